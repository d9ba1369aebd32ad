"""Linux mechanisms, standard library only (kiosk.md K38): ``/proc``, ``/sys/class/dmi/id``, and honest no-ops.

* :class:`LinuxProcessTable` - pid, ``exe`` link when readable, ``comm`` name; no signer on Linux;
* :class:`LinuxRemoteSignals` - remote session from the environment (SSH, xrdp, a remote ``DISPLAY``), the VM
  score from DMI strings and the CPU ``hypervisor`` flag; the root folder is injectable, so tests run on
  captured inventories in a temporary folder;
* :class:`NoKeepAwake`, :class:`UnsupportedCaptureProtection` - Linux offers no such thing to a user process:
  they do nothing and say so.

Session events on Linux: :class:`lockdown.os.NoSessionEvents` (K38: none).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from lockdown.os import CaptureStatus, MechanismError, ProcessInfo
from lockdown.vm import VmInventory, VmReport, score_vm

__all__ = [
    "REMOTE_ENVIRONMENT_MARKERS",
    "LinuxProcessTable",
    "LinuxRemoteSignals",
    "NoKeepAwake",
    "UnsupportedCaptureProtection",
]

logger = logging.getLogger(__name__)

#: Variables set by SSH and xrdp sessions: any of them present means "remote".
REMOTE_ENVIRONMENT_MARKERS = ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "XRDP_SESSION", "XRDP_SOCKET_PATH")


class LinuxProcessTable:
    """:class:`~lockdown.os.ProcessTable` read from ``/proc``.

    Parameters
    ----------
    proc_root : str or Path
        The proc file system (a captured copy in tests).
    """

    def __init__(self, proc_root: str | Path = "/proc"):
        self._root = Path(proc_root)

    def processes(self) -> list[ProcessInfo]:
        """Every numeric entry of ``/proc``, by pid; processes that exit meanwhile are skipped.

        ``path`` is the target of ``/proc/<pid>/exe`` when the kernel lets us read it (our own processes; not
        kernel threads, nor other users' processes unless root), else None; ``name`` is ``/proc/<pid>/comm``.

        Raises
        ------
        MechanismError
            If ``/proc`` cannot be listed.
        """
        try:
            pids = sorted(int(entry.name) for entry in self._root.iterdir() if entry.name.isdigit())
        except OSError as exc:
            raise MechanismError(f"cannot list {self._root}") from exc
        table = []
        for pid in pids:
            info = self._read(pid)
            if info is not None:
                table.append(info)
        return table

    def _read(self, pid: int) -> ProcessInfo | None:
        folder = self._root / str(pid)
        try:
            name = (folder / "comm").read_text(encoding="utf-8", errors="replace").rstrip("\n")
        except OSError:  # exited since the listing
            return None
        try:
            path: str | None = os.readlink(folder / "exe")
        except OSError:  # kernel thread, another user's process, or exited
            path = None
        return ProcessInfo(pid, path, name, None)


class LinuxRemoteSignals:
    """:class:`~lockdown.os.RemoteSignals` on Linux (K33, K38).

    Parameters
    ----------
    root : str or Path
        The folder that holds ``sys/class/dmi/id`` and ``proc/cpuinfo`` (``/``; a captured inventory in tests).
    environ : mapping, optional
        The environment to inspect; :data:`os.environ` at call time by default.
    """

    def __init__(self, root: str | Path = "/", environ: Mapping[str, str] | None = None):
        self._root = Path(root)
        self._environ = environ

    def remote_session(self) -> bool | None:
        """True when an SSH or xrdp marker is set, or ``DISPLAY`` names another host; else None (unknown).

        Linux has no reliable "this is local" answer, so the absence of markers is None, never False. Raises
        nothing.
        """
        environ = os.environ if self._environ is None else self._environ
        if any(environ.get(name) for name in REMOTE_ENVIRONMENT_MARKERS):
            return True
        host = environ.get("DISPLAY", "").rpartition(":")[0]
        if host and host not in ("unix", "localhost/unix"):  # "localhost:10.0" is SSH X11 forwarding
            return True
        return None

    def vm_signals(self) -> VmReport:
        """:func:`~lockdown.vm.score_vm` on the DMI strings and the CPU flags; unreadable files count as unknown.

        Raises
        ------
        MechanismError
            If none of the DMI files nor ``proc/cpuinfo`` can be read (nothing to score).
        """
        texts = self._texts()
        if all(text is None for text in texts.values()):
            raise MechanismError(f"no hardware inventory readable under {self._root}")
        return score_vm(self._inventory(texts))

    def inventory(self) -> VmInventory:
        """The raw :class:`~lockdown.vm.VmInventory` (empty strings / None for what cannot be read)."""
        return self._inventory(self._texts())

    def _texts(self) -> dict[str, str | None]:
        dmi = self._root / "sys" / "class" / "dmi" / "id"
        texts = {name: _read_text(dmi / name) for name in ("sys_vendor", "product_name", "board_vendor")}
        texts["cpuinfo"] = _read_text(self._root / "proc" / "cpuinfo")
        return texts

    @staticmethod
    def _inventory(texts: dict[str, str | None]) -> VmInventory:
        return VmInventory(
            sys_vendor=texts["sys_vendor"] or "",
            product_name=texts["product_name"] or "",
            board_vendor=texts["board_vendor"] or "",
            hypervisor_flag=_hypervisor_flag(texts["cpuinfo"] or ""),
        )


def _hypervisor_flag(cpuinfo: str) -> bool | None:
    flag_lines = [line for line in cpuinfo.splitlines() if line.split(":", 1)[0].strip() == "flags"]
    if not flag_lines:
        return None  # unreadable, or not x86 (ARM lists "Features", with no hypervisor bit)
    return any("hypervisor" in line.split(":", 1)[-1].split() for line in flag_lines)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


class NoKeepAwake:
    """:class:`~lockdown.os.KeepAwake` that does nothing: Linux has no per-process equivalent here (K38)."""

    def acquire(self) -> None:
        """Do nothing. Raises nothing."""
        logger.debug("keep-awake unsupported on this platform")

    def release(self) -> None:
        """Do nothing. Raises nothing."""


class UnsupportedCaptureProtection:
    """:class:`~lockdown.os.CaptureProtection` that reports "unsupported" (X11 has no capture exclusion, K38)."""

    def protect(self, window_handle: int) -> CaptureStatus:
        """Return :attr:`~lockdown.os.CaptureStatus.UNSUPPORTED`. Raises nothing."""
        return CaptureStatus.UNSUPPORTED
