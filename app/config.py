r"""The kiosk's configuration (issue 6 section 1): a typed schema, read from the machine policy, then the command line.

Plain Python, no Qt: the composition root calls :func:`load_config` before ``QApplication`` exists, and shows a
:class:`KioskConfigError` on the pre-flight screen (kiosk.md A16), never a traceback.

Sources, in order
-----------------
1. **machine policy** (:mod:`app.policy_sources`): ``HKLM\SOFTWARE\Policies\Cadenas\Kiosk`` on Windows (ADMX,
   K57), ``/etc/cadenas/kiosk.json`` on Linux. Names below; matched case-insensitively (registry value names are);
2. **command line**, for development: ``--server-url``, ``--kiosk-id``, ``--data-dir``, ``--language``,
   ``--strictness``, ``--block-rule PATTERN`` and ``--allow-rule PATTERN`` (simplified K12 rules, repeatable).

Who wins (the safe rule)
------------------------
* The strictness is decided first: the policy's ``Strictness`` if it sets one; else ``--strictness`` **only on a
  machine without any machine policy** (a development machine); else ``"exam"``. ``--strictness relaxed`` on a
  machine with a policy is an error, so a candidate cannot relax a managed kiosk from a shortcut.
* In ``"exam"`` strictness a flag may only **fill** a setting the policy leaves unset; a flag for a setting the
  policy sets is an error naming it (visible, not silently ignored). ``--block-rule`` lines are always added (they
  only tighten); ``--allow-rule`` lines are refused on a machine with a policy.
* In ``"relaxed"`` strictness flags override the policy.

Policy names
------------
``ServerUrl`` (required; https, or http to a loopback host or in relaxed strictness), ``KioskId``, ``UrlRules``
(a JSON list of ``{id, action, kind, pattern}`` objects, or lines ``"block simplified example.org"`` - a JSON list
of strings or a REG_MULTI_SZ), ``BlockRules`` / ``AllowRules`` (K57: lists of simplified patterns),
``AllowLocalAdditions``, ``Strictness``, ``Language``, ``DataDir``, ``HeartbeatSeconds``, ``Spellcheck``,
``Clipboard``, ``LogFullUrls``. The other K57 names (``KioskMode``, ``AllowedDisplays``, ``AccessibilityProfile``,
``UpdateChannel``, ``PinnedVersion``, ``ClipboardPolicy``) are recognised, not validated here, and handed over
untouched in :attr:`KioskConfig.passthrough` for the checks that own them (pre-flight K60, updates K56).
**Any other name is an error** naming it: a typo in a GPO must stop the kiosk visibly on the pre-flight screen, not
leave a setting silently at its default.

The environment and Chromium (kiosk.md A7)
------------------------------------------
:func:`scrubbed_environment` removes what K23 forbids (every ``QT_*``, ``QTWEBENGINE_*``, ``PYTHON*``, and the
QML import paths; the rule is :func:`lockdown.preflight.is_forbidden_variable`, which the K25 pre-flight check
uses too); :func:`chromium_flags` is the kiosk's fixed Chromium switch list (K24).
"""

from __future__ import annotations

import argparse
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from lockdown import preflight
from lockdown.errors import InvalidRuleError
from lockdown.policy import ALLOW, BLOCK, SIMPLIFIED, UrlPolicy, UrlRule

if TYPE_CHECKING:
    from app.policy_sources import PolicySource

__all__ = [
    "COMMAND_LINE_SOURCE",
    "CONFIGURATION_SOURCE",
    "POLICY_SOURCE",
    "KioskConfig",
    "KioskConfigError",
    "chromium_flags",
    "default_data_dir",
    "load_config",
    "scrubbed_environment",
]

logger = logging.getLogger(__name__)

POLICY_SOURCE = "machine policy"
COMMAND_LINE_SOURCE = "command line"
#: The source of an error raised when a :class:`KioskConfig` is built directly, not through :func:`load_config`.
CONFIGURATION_SOURCE = "configuration"
_SOURCE_FR = {POLICY_SOURCE: "stratégie machine", COMMAND_LINE_SOURCE: "ligne de commande"}

Strictness = Literal["exam", "relaxed"]
Language = Literal["fr", "en"]


class KioskConfigError(ValueError):
    """An invalid configuration value: the pre-flight screen shows it (issue 6 section 1).

    The root of the configuration errors (style.md habit 7); also a ``ValueError``.

    Parameters
    ----------
    setting : str
        The policy name (``"ServerUrl"``, ``"UrlRules"``...), or ``"(file)"`` / ``"(registry)"`` when the policy
        itself cannot be read, ``"(arguments)"`` for a command line that does not parse, ``"(policy)"`` for an
        unknown policy name.
    source : str
        ``"machine policy"``, ``"command line"``, or ``"configuration"`` (a :class:`KioskConfig` built directly).
    english, french : str
        What is wrong, for a human, in each language.

    Attributes
    ----------
    setting, source, english, french
        The parameters. ``str(exc)`` is the English message prefixed with the setting and source.
    """

    def __init__(self, setting: str, source: str, *, english: str, french: str):
        self.setting = setting
        self.source = source
        self.english = english
        self.french = french
        super().__init__(f"{setting} ({source}): {english}")

    def message(self, language: str = "fr") -> str:
        """The message for the pre-flight screen in ``language`` (``"fr"`` or ``"en"``), naming setting and source."""
        if language == "en":
            return f"Invalid setting {self.setting} ({self.source}): {self.english}"
        source = _SOURCE_FR.get(self.source, self.source)
        return f"Paramètre {self.setting} invalide ({source}) : {self.french}"


class _Invalid(Exception):
    """Raised by a value parser; :func:`_parse` turns it into a :class:`KioskConfigError` with setting and source."""

    def __init__(self, english: str, french: str):
        super().__init__(english)
        self.english = english
        self.french = french


@dataclass(frozen=True, slots=True)
class KioskConfig:
    """The validated kiosk configuration (immutable; build it with :func:`load_config`).

    Attributes
    ----------
    server_url : str
        The central server's base URL, ``http(s)://host[:port][/path]``, no user info, query or fragment. https
        is required in ``"exam"`` strictness unless the host is a loopback address (the embedded demo server).
    kiosk_id : str or None
        A display name for this kiosk (at most 64 characters), shown to invigilators.
    url_rules : tuple of UrlRule
        The machine's URL rules (K57), validated by :class:`lockdown.policy.UrlPolicy` (each pattern compiles, ids
        unique). They are merged with the exam's rules by :meth:`UrlPolicy.merge`.
    allow_local_additions : bool
        Whether this machine consents to its own **allow** rules being used. It is a ceiling, not a grant: A4 says
        machine allow rules count only if the exam config permits local additions, so the composition root passes
        ``exam_permits and config.allow_local_additions`` to :meth:`UrlPolicy.merge`. Default False.
    strictness : str
        ``"exam"`` (default): full lockdown. ``"relaxed"``, for development only: no full-screen lock window or
        keyboard hooks, http to any server, command-line flags override the policy, and ``--no-sandbox`` may be
        requested (:func:`chromium_flags`). The URL policy, focus-out recording and journal stay on.
    language : str
        ``"fr"`` (default) or ``"en"``: the UI language (candidates may still switch).
    data_dir : Path
        The journal and device files. Default: :func:`default_data_dir`.
    heartbeat_seconds : int
        Heartbeat period, 1 to 60 seconds (default 5).
    spellcheck, clipboard : bool
        Browser features (K20), off by default.
    log_full_urls : bool
        Log the full URL of blocked requests (K19), off by default: the host only.
    passthrough : Mapping[str, object]
        The K57 policy values this module recognises but does not validate (``AllowedDisplays``...), as read.
    """

    server_url: str
    data_dir: Path
    kiosk_id: str | None = None
    url_rules: tuple[UrlRule, ...] = ()
    allow_local_additions: bool = False
    strictness: Strictness = "exam"
    language: Language = "fr"
    heartbeat_seconds: int = 5
    spellcheck: bool = False
    clipboard: bool = False
    log_full_urls: bool = False
    passthrough: Mapping[str, object] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        """Validate every field with the same parsers as :func:`load_config` (source ``"configuration"``)."""
        checks: list[tuple[str, Callable[[object], object], object]] = [
            ("Strictness", _parse_strictness, self.strictness),
            ("ServerUrl", _parse_server_url, self.server_url),
            ("KioskId", _parse_kiosk_id, self.kiosk_id),
            ("Language", _parse_language, self.language),
            ("HeartbeatSeconds", _parse_heartbeat, self.heartbeat_seconds),
            ("AllowLocalAdditions", _parse_bool, self.allow_local_additions),
            ("Spellcheck", _parse_bool, self.spellcheck),
            ("Clipboard", _parse_bool, self.clipboard),
            ("LogFullUrls", _parse_bool, self.log_full_urls),
        ]
        for setting, parser, value in checks:
            if _parse(setting, CONFIGURATION_SOURCE, parser, value) != value:
                english, french = f"not canonical: {value!r}", f"non canonique : {value!r}"
                raise KioskConfigError(setting, CONFIGURATION_SOURCE, english=english, french=french)
        if not isinstance(self.data_dir, Path):
            raise KioskConfigError("DataDir", CONFIGURATION_SOURCE, english="not a Path", french="pas un Path")
        _check_server_url_scheme(self.server_url, self.strictness, CONFIGURATION_SOURCE)
        _validate_rules(tuple(self.url_rules), CONFIGURATION_SOURCE)


# ---------------------------------------------------------------------------------------------------- parsers


def _parse(setting: str, source: str, parser: Callable[[object], object], raw: object) -> object:
    try:
        return parser(raw)
    except _Invalid as exc:
        raise KioskConfigError(setting, source, english=exc.english, french=exc.french) from None


def _as_string(raw: object) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"expected text, got {type(raw).__name__}", f"texte attendu, reçu {type(raw).__name__}")
    return raw.strip()


def _parse_server_url(raw: object) -> str:
    text = _as_string(raw)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise _Invalid(f"not a URL: {text!r} ({exc})", f"pas une URL : {text!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Invalid(
            f"expected an http(s) URL such as https://cadenas.example.fr, got {text!r}",
            f"URL http(s) attendue, par exemple https://cadenas.example.fr, reçu {text!r}",
        )
    if parts.username is not None or parts.query or parts.fragment or "@" in parts.netloc:
        raise _Invalid(
            f"the server URL must not contain user info, a query or a fragment: {text!r}",
            f"l'URL du serveur ne doit contenir ni identifiant, ni requête, ni fragment : {text!r}",
        )
    return text


def _check_server_url_scheme(url: str, strictness: str, source: str) -> None:
    """Exam strictness needs https, except to a loopback host (the embedded demo server)."""
    parts = urlsplit(url)
    if parts.scheme == "https" or strictness == "relaxed" or _is_loopback(parts.hostname or ""):
        return
    raise KioskConfigError(
        "ServerUrl",
        source,
        english=f"an exam kiosk needs an https server URL, got {url!r}",
        french=f"un poste d'examen exige une URL de serveur https, reçu {url!r}",
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _parse_kiosk_id(raw: object) -> str | None:
    if raw is None:
        return None
    text = _as_string(raw)
    if not text:
        return None
    if len(text) > 64 or not text.isprintable():
        raise _Invalid(
            "a kiosk id is at most 64 printable characters",
            "un identifiant de poste fait au plus 64 caractères imprimables",
        )
    return text


def _parse_choice(raw: object, choices: tuple[str, ...]) -> str:
    text = _as_string(raw).lower()
    if text not in choices:
        raise _Invalid(
            f"expected one of {', '.join(choices)}, got {raw!r}",
            f"valeur attendue parmi {', '.join(choices)}, reçu {raw!r}",
        )
    return text


def _parse_strictness(raw: object) -> str:
    return _parse_choice(raw, ("exam", "relaxed"))


def _parse_language(raw: object) -> str:
    # "fr-FR", "en_GB" (an OS locale pasted into the GPO) mean their primary language.
    text = _as_string(raw)
    return _parse_choice(re.split(r"[-_]", text, maxsplit=1)[0], ("fr", "en"))


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _parse_bool(raw: object) -> bool:
    # REG_DWORD gives 0/1, JSON gives true/false; a REG_SZ "1" by mistake is still unambiguous.
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in _TRUE + _FALSE:
        return raw.strip().lower() in _TRUE
    raise _Invalid(f"expected 0 or 1 (true/false), got {raw!r}", f"0 ou 1 (true/false) attendu, reçu {raw!r}")


def _parse_heartbeat(raw: object) -> int:
    value: object = raw
    if isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 60:
        raise _Invalid(
            f"expected a whole number of seconds from 1 to 60, got {raw!r}",
            f"nombre entier de secondes de 1 à 60 attendu, reçu {raw!r}",
        )
    return value


def _data_dir_parser(platform: str) -> Callable[[object], object]:
    def parse(raw: object) -> Path:
        text = _as_string(raw)
        pure = PureWindowsPath(text) if platform == "win32" else PurePosixPath(text)
        if not text or not pure.is_absolute():
            raise _Invalid(f"expected an absolute path, got {text!r}", f"chemin absolu attendu, reçu {text!r}")
        return Path(str(pure))

    return parse


def default_data_dir(environ: Mapping[str, str], platform: str) -> Path:
    r"""The default data directory: ``%LOCALAPPDATA%\Cadenas\Kiosk`` on Windows, else ``$XDG_DATA_HOME/cadenas/kiosk``.

    On Windows ``%USERPROFILE%\AppData\Local`` stands in for a missing ``LOCALAPPDATA``. Elsewhere a relative or
    empty ``XDG_DATA_HOME`` is ignored (XDG Base Directory spec) and ``$HOME/.local/share`` is used.

    Raises
    ------
    KioskConfigError
        ``setting="DataDir"`` when none of these variables is usable: set ``DataDir`` in the policy.
    """
    if platform == "win32":
        base = environ.get("LOCALAPPDATA") or (
            str(PureWindowsPath(environ["USERPROFILE"], "AppData", "Local")) if environ.get("USERPROFILE") else ""
        )
        if PureWindowsPath(base).is_absolute():
            return Path(str(PureWindowsPath(base, "Cadenas", "Kiosk")))
    else:
        xdg = environ.get("XDG_DATA_HOME", "")
        if xdg and PurePosixPath(xdg).is_absolute():
            return Path(xdg) / "cadenas" / "kiosk"
        home = environ.get("HOME", "")
        if home and PurePosixPath(home).is_absolute():
            return Path(home) / ".local" / "share" / "cadenas" / "kiosk"
    raise KioskConfigError(
        "DataDir",
        CONFIGURATION_SOURCE,
        english="no default data directory (no LOCALAPPDATA, XDG_DATA_HOME or HOME): set DataDir",
        french="pas de dossier de données par défaut (ni LOCALAPPDATA, ni XDG_DATA_HOME, ni HOME) : définir DataDir",
    )


# ---------------------------------------------------------------------------------------------------- URL rules


def _as_list(raw: object) -> list[object]:
    if isinstance(raw, str):
        return list(raw.splitlines())
    if isinstance(raw, list):
        return raw
    raise _Invalid(f"expected a list, got {type(raw).__name__}", f"liste attendue, reçu {type(raw).__name__}")


def _parse_url_rules(raw: object) -> tuple[UrlRule, ...]:
    """``UrlRules``: ``{id, action, kind, pattern}`` objects, or lines ``"<action> <kind> <pattern>"``."""
    rules: list[UrlRule] = []
    for index, item in enumerate(_as_list(raw)):
        where = f"rule #{index + 1}"
        try:
            if isinstance(item, Mapping):
                rules.append(UrlRule.from_mapping(item))
                continue
            if not isinstance(item, str):
                raise _Invalid(
                    f"{where} is neither an object nor a line", f"la règle n°{index + 1} n'est ni un objet ni une ligne"
                )
            line = item.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split(maxsplit=2)
            if len(fields) != 3:
                raise _Invalid(
                    f"{where} {line!r}: expected '<block|allow> <simplified|regex> <pattern>'",
                    f"règle n°{index + 1} {line!r} : format attendu '<block|allow> <simplified|regex> <motif>'",
                )
            rules.append(UrlRule(f"machine-{index + 1}", *fields))
        except InvalidRuleError as exc:
            raise _rule_invalid(exc, index) from None
    return tuple(rules)


def _pattern_list_parser(action: str, prefix: str) -> Callable[[object], object]:
    """``BlockRules`` / ``AllowRules`` (K57): simplified patterns, one per entry."""

    def parse(raw: object) -> tuple[UrlRule, ...]:
        rules = []
        for index, item in enumerate(_as_list(raw)):
            if not isinstance(item, str):
                raise _Invalid(f"entry #{index + 1} is not text", f"l'entrée n°{index + 1} n'est pas du texte")
            if item.strip() and not item.strip().startswith("#"):
                rules.append(UrlRule(f"{prefix}-{index + 1}", action, SIMPLIFIED, item.strip()))
        return tuple(rules)

    return parse


def _rule_invalid(exc: InvalidRuleError, index: int | None = None) -> _Invalid:
    name = f"rule {exc.rule_id!r}" if exc.rule_id is not None else f"rule #{(index or 0) + 1}"
    nom = f"règle {exc.rule_id!r}" if exc.rule_id is not None else f"règle n°{(index or 0) + 1}"
    return _Invalid(f"{name}: {exc.reason} ({exc.expression!r})", f"{nom} : {exc.reason} ({exc.expression!r})")


def _validate_rules(rules: tuple[UrlRule, ...], source: str) -> None:
    """Compile the rules once through lockdown (patterns, duplicate ids); the error names the rule's id."""
    try:
        UrlPolicy(rules, cache_size=0)
    except InvalidRuleError as exc:
        invalid = _rule_invalid(exc)
        raise KioskConfigError("UrlRules", source, english=invalid.english, french=invalid.french) from None


# ---------------------------------------------------------------------------------------------------- loading

_RULE_SETTINGS = ("UrlRules", "BlockRules", "AllowRules")
#: Policy name -> KioskConfig field. DataDir's parser depends on the platform, see _parsers().
_FIELDS = {
    "ServerUrl": "server_url",
    "KioskId": "kiosk_id",
    "AllowLocalAdditions": "allow_local_additions",
    "Strictness": "strictness",
    "Language": "language",
    "DataDir": "data_dir",
    "HeartbeatSeconds": "heartbeat_seconds",
    "Spellcheck": "spellcheck",
    "Clipboard": "clipboard",
    "LogFullUrls": "log_full_urls",
}
#: K57 names handled by other parts of the kiosk: passed through untouched in KioskConfig.passthrough.
_PASSTHROUGH = (
    "KioskMode",
    "AllowedDisplays",
    "AccessibilityProfile",
    "UpdateChannel",
    "PinnedVersion",
    "ClipboardPolicy",
)
_KNOWN = {name.lower(): name for name in (*_FIELDS, *_RULE_SETTINGS, *_PASSTHROUGH)}


def _parsers(platform: str) -> dict[str, Callable[[object], object]]:
    return {
        "ServerUrl": _parse_server_url,
        "KioskId": _parse_kiosk_id,
        "AllowLocalAdditions": _parse_bool,
        "Strictness": _parse_strictness,
        "Language": _parse_language,
        "DataDir": _data_dir_parser(platform),
        "HeartbeatSeconds": _parse_heartbeat,
        "Spellcheck": _parse_bool,
        "Clipboard": _parse_bool,
        "LogFullUrls": _parse_bool,
        "UrlRules": _parse_url_rules,
        "BlockRules": _pattern_list_parser(BLOCK, "machine-block"),
        "AllowRules": _pattern_list_parser(ALLOW, "machine-allow"),
    }


def _canonical_policy(raw_policy: Mapping[str, object]) -> dict[str, object]:
    """The policy with canonical names; an unknown name, or one given twice in different case, is an error."""
    policy: dict[str, object] = {}
    unknown = sorted(name for name in raw_policy if name.lower() not in _KNOWN)
    if unknown:
        names, known = ", ".join(unknown), ", ".join(sorted(_KNOWN.values()))
        raise KioskConfigError(
            "(policy)" if len(unknown) > 1 else unknown[0],
            POLICY_SOURCE,
            english=f"unknown policy name(s) {names} (known: {known})",
            french=f"nom(s) de stratégie inconnu(s) {names} (connus : {known})",
        )
    for name, value in raw_policy.items():
        canonical = _KNOWN[name.lower()]
        if canonical in policy:
            raise KioskConfigError(
                canonical,
                POLICY_SOURCE,
                english="given twice (names ignore case)",
                french="donné deux fois (la casse est ignorée)",
            )
        policy[canonical] = value
    return policy


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises a :class:`KioskConfigError` instead of printing and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise KioskConfigError("(arguments)", COMMAND_LINE_SOURCE, english=message, french=message)

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        # --help, or argparse giving up: never end the kiosk process from here.
        english, french = message or "no help in the kiosk", message or "pas d'aide dans le kiosque"
        raise KioskConfigError("(arguments)", COMMAND_LINE_SOURCE, english=english, french=french)


def _argument_parser() -> _ArgumentParser:
    parser = _ArgumentParser(prog="cadenas kiosk", add_help=False, allow_abbrev=False)
    parser.add_argument("--server-url", dest="ServerUrl")
    parser.add_argument("--kiosk-id", dest="KioskId")
    parser.add_argument("--data-dir", dest="DataDir")
    parser.add_argument("--language", dest="Language")
    parser.add_argument("--strictness", dest="Strictness")
    parser.add_argument("--block-rule", dest="block_rules", action="append", default=[])
    parser.add_argument("--allow-rule", dest="allow_rules", action="append", default=[])
    return parser


def _command_line_rules(block: list[str], allow: list[str]) -> tuple[UrlRule, ...]:
    try:
        return tuple(
            [UrlRule(f"cli-block-{n}", BLOCK, SIMPLIFIED, pattern) for n, pattern in enumerate(block, 1)]
            + [UrlRule(f"cli-allow-{n}", ALLOW, SIMPLIFIED, pattern) for n, pattern in enumerate(allow, 1)]
        )
    except InvalidRuleError as exc:
        invalid = _rule_invalid(exc)
        raise KioskConfigError(
            "UrlRules", COMMAND_LINE_SOURCE, english=invalid.english, french=invalid.french
        ) from None


def _effective_strictness(policy: dict[str, object], flag: str | None, parsers: dict) -> str:
    if "Strictness" in policy:
        return str(_parse("Strictness", POLICY_SOURCE, parsers["Strictness"], policy["Strictness"]))
    if flag is None:
        return "exam"
    strictness = str(_parse("Strictness", COMMAND_LINE_SOURCE, parsers["Strictness"], flag))
    if strictness == "relaxed" and policy:
        raise KioskConfigError(
            "Strictness",
            COMMAND_LINE_SOURCE,
            english="this machine has a machine policy: only the policy may relax the kiosk",
            french="ce poste a une stratégie machine : seule la stratégie peut assouplir le kiosque",
        )
    return strictness


def load_config(*, policy: PolicySource, argv: Sequence[str], environ: Mapping[str, str], platform: str) -> KioskConfig:
    """Read the machine policy, then the command line, and validate everything (the rules: module docstring).

    Parameters
    ----------
    policy : PolicySource
        The machine policy reader (:func:`app.policy_sources.default_policy_source` in production).
    argv : sequence of str
        The kiosk's own arguments (without the program name). Any other argument, including a Chromium
        ``--remote-debugging-*`` switch (K25), is an error.
    environ : mapping
        The environment, for the default data directory only.
    platform : str
        ``sys.platform``: picks the default data directory and what an absolute ``DataDir`` is.

    Returns
    -------
    KioskConfig

    Raises
    ------
    KioskConfigError
        For the first invalid, unknown or conflicting setting, with ``setting`` and ``source``; or when the
        policy cannot be read (``"(file)"``, ``"(registry)"``), or ``ServerUrl`` is set nowhere.
    """
    raw_policy = _canonical_policy(policy.read())
    flags = vars(_argument_parser().parse_args(list(argv)))
    parsers = _parsers(platform)
    strictness = _effective_strictness(raw_policy, flags.pop("Strictness"), parsers)

    values: dict[str, object] = {"strictness": strictness}
    rules: list[UrlRule] = []
    passthrough = {name: raw_policy[name] for name in _PASSTHROUGH if name in raw_policy}
    for name, raw in raw_policy.items():
        if name in _PASSTHROUGH or name == "Strictness":
            continue
        value = _parse(name, POLICY_SOURCE, parsers[name], raw)
        if name in _RULE_SETTINGS:
            rules.extend(value)  # type: ignore[call-overload]
        else:
            values[_FIELDS[name]] = value
    _validate_rules(tuple(rules), POLICY_SOURCE)

    managed_exam = strictness == "exam" and bool(raw_policy)
    for name, raw in flags.items():
        if name in _FIELDS and raw is not None:
            if managed_exam and name in raw_policy:
                raise KioskConfigError(
                    name,
                    COMMAND_LINE_SOURCE,
                    english="set by the machine policy; an exam kiosk does not let the command line override it",
                    french="fixé par la stratégie machine ; un poste d'examen ne permet pas de le remplacer "
                    "en ligne de commande",
                )
            values[_FIELDS[name]] = _parse(name, COMMAND_LINE_SOURCE, parsers[name], raw)
    if managed_exam and flags["allow_rules"]:
        raise KioskConfigError(
            "UrlRules",
            COMMAND_LINE_SOURCE,
            english="--allow-rule is refused on an exam kiosk with a machine policy (block rules are accepted)",
            french="--allow-rule est refusé sur un poste d'examen avec stratégie machine "
            "(les règles de blocage sont acceptées)",
        )
    rules.extend(_command_line_rules(flags["block_rules"], flags["allow_rules"]))
    _validate_rules(tuple(rules), COMMAND_LINE_SOURCE)

    if "server_url" not in values:
        raise KioskConfigError(
            "ServerUrl",
            POLICY_SOURCE,
            english="required: set ServerUrl in the machine policy (or --server-url when developing)",
            french="obligatoire : définir ServerUrl dans la stratégie machine (ou --server-url en développement)",
        )
    url_source = COMMAND_LINE_SOURCE if flags["ServerUrl"] is not None else POLICY_SOURCE
    _check_server_url_scheme(str(values["server_url"]), strictness, url_source)
    if "data_dir" not in values:
        values["data_dir"] = default_data_dir(environ, platform)
    config = KioskConfig(url_rules=tuple(rules), passthrough=passthrough, **values)  # type: ignore[arg-type]
    logger.info(
        "kiosk configuration loaded",
        extra={
            "event": "config_loaded",
            "strictness": config.strictness,
            "policy_names": sorted(raw_policy),
            "url_rules": len(config.url_rules),
        },
    )
    return config


# ---------------------------------------------------------------------------------------------------- A7



def scrubbed_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without the variables kiosk.md K23 forbids (a new dict; names compared case-insensitively).

    Removed: every ``QT_*``, ``QTWEBENGINE_*`` and ``PYTHON*`` variable, plus ``QML2_IMPORT_PATH`` and
    ``QML_IMPORT_PATH``.

    *Why* (K23): a user-level variable can open a DevTools port (``QTWEBENGINE_REMOTE_DEBUGGING``), pass Chromium
    switches (``QTWEBENGINE_CHROMIUM_FLAGS``), turn off the sandbox, or load plugins and QML from anywhere. This
    also drops harmless ones such as ``QT_QPA_PLATFORM``: the kiosk sets what it needs explicitly afterwards
    (kiosk.md T18). Everything else (``PATH``, ``HOME``, ``LANG``...) is kept.
    """
    return {name: value for name, value in environ.items() if not preflight.is_forbidden_variable(name)}


#: The kiosk's fixed Chromium switches (K24), passed after ``--webEngineArgs`` (T2). There is no switch that
#: disables DevTools: remote debugging stays off because nothing enables it (K23 scrubs the variable, K25 refuses
#: a --remote-debugging-* argument, K20 creates no inspector page).
_CHROMIUM_FLAGS = (
    "--disable-background-networking",  # no Chromium-initiated requests (safe browsing lists, variations...)
    "--disable-component-update",  # no component downloads during an exam
    "--disable-domain-reliability",  # no reliability beacons to Google
    "--disable-breakpad",  # no crash uploads from a candidate's machine
    "--no-pings",  # no <a ping> auditing requests
)


def chromium_flags(config: KioskConfig, *, no_sandbox: bool = False) -> list[str]:
    """The Chromium switches for ``config`` (kiosk.md K24): the fixed list, plus ``--no-sandbox`` when asked in dev.

    Spell-check (``config.spellcheck``) is not a switch: it is set on the profile (K20,
    ``profile.setSpellCheckEnabled``), as the clipboard is, so it adds nothing here.

    Parameters
    ----------
    config : KioskConfig
    no_sandbox : bool
        Add ``--no-sandbox`` (needed to run QtWebEngine as root, T1). K26: the sandbox stays on in production,
        so this is accepted only in ``"relaxed"`` strictness.

    Raises
    ------
    KioskConfigError
        ``setting="Strictness"`` if ``no_sandbox`` is asked in ``"exam"`` strictness.
    """
    flags = list(_CHROMIUM_FLAGS)
    if no_sandbox:
        if config.strictness != "relaxed":
            raise KioskConfigError(
                "Strictness",
                CONFIGURATION_SOURCE,
                english="the Chromium sandbox cannot be turned off on an exam kiosk",
                french="le bac à sable de Chromium ne peut pas être désactivé sur un poste d'examen",
            )
        flags.append("--no-sandbox")
    return flags
