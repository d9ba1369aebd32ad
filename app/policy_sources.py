r"""Readers of the kiosk's machine policy (issue 6 section 1, kiosk.md K57): Windows registry, Linux JSON file.

A reader only turns the stored policy into a plain ``{policy name: raw value}`` dict; validating the values is
:func:`app.config.load_config`'s job. The readers:

* :class:`JsonPolicySource` - ``/etc/cadenas/kiosk.json`` on Linux: one JSON object, keys are the policy names
  (``{"ServerUrl": "https://...", "UrlRules": [{"id": ..., "action": ..., "kind": ..., "pattern": ...}]}``);
* :class:`WindowsRegistryPolicySource` - ``HKLM\SOFTWARE\Policies\Cadenas\Kiosk``, written by the ADMX of
  K57 (never by the MSI, K55). ``winreg`` is imported inside :meth:`~WindowsRegistryPolicySource.read` only, so
  this module imports on Linux (style.md section 3, "untestable platform calls");
* :func:`default_policy_source` - the reader for the running platform.

Errors are :class:`app.config.KioskConfigError` with ``source="machine policy"``, so that the pre-flight screen
shows them like any other invalid setting. A policy that does not exist (no file, no key) is an empty policy, not
an error: a development machine has none.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, Protocol

from app.config import POLICY_SOURCE, KioskConfigError

__all__ = [
    "LINUX_POLICY_PATH",
    "WINDOWS_POLICY_KEY",
    "JsonPolicySource",
    "PolicySource",
    "WindowsRegistryPolicySource",
    "default_policy_source",
]

logger = logging.getLogger(__name__)

#: The machine policy file on Linux (and any non-Windows platform).
LINUX_POLICY_PATH = Path("/etc/cadenas/kiosk.json")
#: The machine policy key under ``HKEY_LOCAL_MACHINE`` on Windows (kiosk.md K57).
WINDOWS_POLICY_KEY = r"SOFTWARE\Policies\Cadenas\Kiosk"


class PolicySource(Protocol):
    """Where the machine policy comes from: one method, :meth:`read`.

    Implementations: :class:`JsonPolicySource`, :class:`WindowsRegistryPolicySource`, and in tests any object with
    a ``read`` method.
    """

    def read(self) -> dict[str, object]:
        """The policy as ``{policy name: raw value}``.

        Returns
        -------
        dict
            Names as stored (``"ServerUrl"``, ``"HeartbeatSeconds"``...; matched case-insensitively later). Values
            are ``str``, ``int``, ``bool``, ``list`` (of ``str``, or of rule mappings in JSON) or ``dict``, not yet
            validated. Empty when the machine has no policy at all.

        Raises
        ------
        KioskConfigError
            When a policy exists but cannot be read or decoded; ``setting`` is ``"(file)"`` or ``"(registry)"``
            (or the value's name for a value of an unsupported type), ``source`` is ``"machine policy"``.
        """
        ...


class JsonPolicySource:
    """The machine policy as one JSON object in a file (Linux: :data:`LINUX_POLICY_PATH`).

    Parameters
    ----------
    path : Path
        The file. A missing file is an empty policy; an unreadable file, invalid UTF-8 or JSON, a top level that is
        not an object, or a key given twice raise :class:`~app.config.KioskConfigError` with ``setting="(file)"``
        and the path in the message.
    """

    def __init__(self, path: Path | str = LINUX_POLICY_PATH):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"JsonPolicySource({str(self.path)!r})"

    def read(self) -> dict[str, object]:
        """The file's JSON object; ``{}`` when the file does not exist (see :meth:`PolicySource.read`)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            logger.info("no machine policy file", extra={"event": "policy_file_missing", "path": str(self.path)})
            return {}
        except OSError as exc:
            raise self._error(
                f"cannot read {self.path}: {exc.strerror or exc}",
                f"impossible de lire {self.path} : {exc.strerror or exc}",
            ) from exc
        try:
            policy = json.loads(data.decode("utf-8-sig"), object_pairs_hook=_no_duplicate_keys)
        except UnicodeDecodeError as exc:
            raise self._error(f"{self.path} is not UTF-8 text", f"{self.path} n'est pas un texte UTF-8") from exc
        except json.JSONDecodeError as exc:
            raise self._error(
                f"{self.path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                f"{self.path} n'est pas du JSON valide (ligne {exc.lineno}, colonne {exc.colno} : {exc.msg})",
            ) from exc
        except _DuplicateKeyError as exc:
            raise self._error(
                f"{self.path} gives the key {exc.key!r} twice", f"{self.path} donne deux fois la clé {exc.key!r}"
            ) from exc
        if not isinstance(policy, dict):
            raise self._error(
                f'{self.path} must hold one JSON object {{"ServerUrl": ...}}',
                f'{self.path} doit contenir un objet JSON {{"ServerUrl": ...}}',
            )
        return policy

    def _error(self, english: str, french: str) -> KioskConfigError:
        return KioskConfigError("(file)", POLICY_SOURCE, english=english, french=french)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` refusing a key given twice (``json`` would silently keep the last one)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


class WindowsRegistryPolicySource:
    r"""The machine policy in the registry, under ``HKEY_LOCAL_MACHINE\<key>`` (Windows only).

    Values map to Python as ``REG_SZ`` → ``str``, ``REG_EXPAND_SZ`` → ``str`` with ``%VARIABLES%`` expanded,
    ``REG_DWORD`` / ``REG_QWORD`` → ``int``, ``REG_MULTI_SZ`` → ``list[str]``. A subkey (what an ADMX ``list``
    element writes, e.g. ``BlockRules`` with values ``1``, ``2``...) becomes a ``list[str]`` of its string values,
    ordered by value name (numerically when the names are numbers). The 64-bit registry view is read, where the
    ADMX writes, even from a 32-bit Python.

    Parameters
    ----------
    key : str
        The key path under ``HKEY_LOCAL_MACHINE``; :data:`WINDOWS_POLICY_KEY` by default. A missing key is an empty
        policy; a key that cannot be opened (access denied) raises ``KioskConfigError(setting="(registry)")``, a
        value of another type (``REG_BINARY``...) raises ``KioskConfigError`` naming that value.
    """

    def __init__(self, key: str = WINDOWS_POLICY_KEY):
        self.key = key

    def __repr__(self) -> str:
        return f"WindowsRegistryPolicySource({self.key!r})"

    def read(self) -> dict[str, object]:
        """The values of the policy key; ``{}`` when the key does not exist (see :meth:`PolicySource.read`)."""
        import winreg  # Windows only: imported here so that this module imports everywhere.

        access = winreg.KEY_READ | winreg.KEY_WOW64_64KEY
        try:
            handle = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, self.key, 0, access)
        except FileNotFoundError:
            logger.info("no machine policy key", extra={"event": "policy_key_missing", "key": self.key})
            return {}
        except OSError as exc:
            raise KioskConfigError(
                "(registry)",
                POLICY_SOURCE,
                english=f"cannot open HKLM\\{self.key}: {exc.strerror or exc}",
                french=f"impossible d'ouvrir HKLM\\{self.key} : {exc.strerror or exc}",
            ) from exc
        with handle:
            subkey_count, value_count, _ = winreg.QueryInfoKey(handle)
            policy: dict[str, object] = {}
            for index in range(value_count):
                name, data, kind = winreg.EnumValue(handle, index)
                policy[name] = _registry_value(winreg, name, data, kind)
            for index in range(subkey_count):
                name = winreg.EnumKey(handle, index)
                with winreg.OpenKey(handle, name, 0, access) as subkey:
                    policy[name] = _registry_list(winreg, name, subkey)
        return policy


def _registry_value(winreg: Any, name: str, data: object, kind: int) -> object:
    """One registry value as a Python value (see :class:`WindowsRegistryPolicySource`)."""
    if kind == winreg.REG_SZ:
        return data
    if kind == winreg.REG_EXPAND_SZ:
        return winreg.ExpandEnvironmentStrings(data)
    if kind in (winreg.REG_DWORD, winreg.REG_QWORD):
        return int(data)  # type: ignore[call-overload]
    if kind == winreg.REG_MULTI_SZ:
        return list(data)  # type: ignore[call-overload]
    raise KioskConfigError(
        name,
        POLICY_SOURCE,
        english=f"unsupported registry type {kind} (use REG_SZ, REG_DWORD or REG_MULTI_SZ)",
        french=f"type de registre {kind} non pris en charge (utiliser REG_SZ, REG_DWORD ou REG_MULTI_SZ)",
    )


def _registry_list(winreg: Any, list_name: str, subkey: Any) -> list[str]:
    """The string values of an ADMX ``list`` subkey, ordered by value name (numerically when possible)."""
    _, value_count, _ = winreg.QueryInfoKey(subkey)
    entries: list[tuple[str, object]] = []
    for index in range(value_count):
        name, data, kind = winreg.EnumValue(subkey, index)
        value = _registry_value(winreg, f"{list_name}\\{name}", data, kind)
        if not isinstance(value, str):
            raise KioskConfigError(
                list_name,
                POLICY_SOURCE,
                english=f"list entry {name!r} is not a string (REG_SZ)",
                french=f"l'entrée de liste {name!r} n'est pas une chaîne (REG_SZ)",
            )
        entries.append((name, value))
    entries.sort(key=lambda entry: (0, int(entry[0]), "") if entry[0].isdigit() else (1, 0, entry[0].lower()))
    return [value for _, value in entries]  # type: ignore[misc]


def default_policy_source(platform: str = sys.platform) -> PolicySource:
    """The machine policy reader for ``platform``: the registry on ``"win32"``, :data:`LINUX_POLICY_PATH` elsewhere."""
    if platform == "win32":
        return WindowsRegistryPolicySource(WINDOWS_POLICY_KEY)
    return JsonPolicySource(LINUX_POLICY_PATH)
