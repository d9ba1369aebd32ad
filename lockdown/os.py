"""The kiosk's OS features as narrow Protocols (kiosk.md K2, K38), and the reversible-operation stack (K40, K41).

Every OS feature the kiosk uses is one :class:`typing.Protocol` here, with three implementations (K2):
``lockdown.windows.mechanisms`` (ctypes), ``lockdown.x11.mechanisms`` plus ``app.platform`` (what Linux and Qt can
do) and :mod:`lockdown.fake` (deterministic, scriptable). Each member's docstring is the contract: arguments,
return value and what it raises, so the implementations stay lightly commented.

=====================  =================================================================================
Protocol               Capability
=====================  =================================================================================
DisplayProvider        active displays, hot-plug notifications (K32)
CaptureProtection      exclude a top-level window from screen capture (K30)
KeepAwake              keep the PC and the display awake during the exam (K34)
ClipboardGuard         apply the ``Allow | Block | Isolated`` clipboard policy to the OS clipboard (K35)
ProcessTable           the running processes: pid, image path, name, signer (K31)
SessionEvents          sleep / resume / lock / user switch / remote connect notifications (K34)
RemoteSignals          remote-session flag and VM heuristics, signals and never failures (K33)
=====================  =================================================================================

Pure pieces that every implementation shares: :func:`classify` (the K34 severity table), :func:`score_vm` (the
versioned VM heuristics of K33, run on a :class:`VmInventory`), :class:`Subscribers` (callback lists).

Reversible lockdown (K40, K41): :class:`Operation` (``perform`` / ``repeat`` / ``revert``), :class:`OperationStack`
(a transaction: the first failure reverts the completed steps in reverse order), and the backup helpers
:func:`write_backup` (atomic: temp file, fsync, rename, written *before* the change), :func:`read_backup`,
:func:`remove_backup` and :func:`restore_leftovers` (run at the next start after a crash).

Errors, all under :class:`lockdown.errors.LockdownError`::

    MechanismError              an OS call failed (the foreign OSError is chained), or a feature is missing
    ├── UnsupportedPlatformError   a mechanism built on the wrong OS ("Windows only")
    └── BackupError                a K41 backup could not be written, read or removed
    OperationError              a lockdown step failed to perform / repeat / revert; names the step

This module is over the usual 400 lines because it is the whole contract of the OS layer: the Protocols, their
value types and the operation stack belong together, and splitting them would scatter one interface.
"""

from __future__ import annotations

import enum
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar, runtime_checkable

from lockdown.errors import LockdownError

__all__ = [
    "VM_HEURISTICS_VERSION",
    "BackupError",
    "CaptureProtection",
    "CaptureStatus",
    "ClipboardGuard",
    "ClipboardGuardOperation",
    "ClipboardPolicy",
    "Display",
    "DisplayProvider",
    "KeepAwake",
    "KeepAwakeOperation",
    "MechanismError",
    "Mechanisms",
    "NoSessionEvents",
    "Operation",
    "OperationError",
    "OperationStack",
    "ProcessInfo",
    "ProcessTable",
    "RemoteSignals",
    "SessionEvent",
    "SessionEventKind",
    "SessionEvents",
    "Severity",
    "Subscribers",
    "UnavailableProcessTable",
    "UnsupportedPlatformError",
    "Unsubscribe",
    "VmInventory",
    "VmReport",
    "classify",
    "read_backup",
    "remove_backup",
    "restore_leftovers",
    "score_vm",
    "write_backup",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: What ``subscribe`` returns: call it to stop the notifications (idempotent).
Unsubscribe = Callable[[], None]


# --------------------------------------------------------------------------------------------------- errors


class MechanismError(LockdownError):
    """An OS mechanism failed, or does not exist on this platform; the foreign ``OSError`` is the ``__cause__``."""


class UnsupportedPlatformError(MechanismError):
    """A mechanism was built on an operating system that does not have it (a Windows one on Linux).

    Parameters
    ----------
    mechanism : str
        The class or feature, e.g. ``"WindowsKeepAwake"``.
    required : str
        The operating system it needs, e.g. ``"Windows"``.
    """

    def __init__(self, mechanism: str, required: str = "Windows"):
        self.mechanism = mechanism
        self.required = required
        super().__init__(f"{mechanism} is {required} only (this is {sys.platform})")


class BackupError(MechanismError):
    """A K41 backup file could not be written, read or removed.

    Parameters
    ----------
    path : str
        The backup file.
    action : str
        ``"write"``, ``"read"``, ``"remove"`` or ``"list"``.
    """

    def __init__(self, path: str, action: str):
        self.path = path
        self.action = action
        super().__init__(f"cannot {action} lockdown backup {path}")


class OperationError(LockdownError):
    """A lockdown step (K40) failed; the step's own exception is the ``__cause__``.

    Parameters
    ----------
    operation : str
        The name of the step that failed (its ``name`` attribute, else its class name).
    phase : str
        ``"perform"``, ``"repeat"`` or ``"revert"``.
    revert_failures : sequence of (str, BaseException)
        Steps whose revert failed while the stack was rolling back; their backups are kept for the next start.
    """

    def __init__(self, operation: str, phase: str, *, revert_failures: Sequence[tuple[str, BaseException]] = ()):
        self.operation = operation
        self.phase = phase
        self.revert_failures = tuple(revert_failures)
        message = f"lockdown step {operation!r} failed to {phase}"
        if self.revert_failures:
            names = ", ".join(name for name, _ in self.revert_failures)
            message += f"; could not revert: {names}"
        super().__init__(message)


# ------------------------------------------------------------------------------------------- subscribers


class Subscribers(Generic[T]):
    """A list of callbacks for one kind of notification (hot-plug, session events).

    One failing callback does not stop the others: its exception is logged and the next one runs, so a broken
    listener cannot hide a display change from the lock screen.

    Parameters
    ----------
    topic : str
        Named in the log when a callback fails (``"displays"``, ``"session"``).
    """

    def __init__(self, topic: str):
        self._topic = topic
        self._callbacks: list[Callable[[T], None]] = []

    def __len__(self) -> int:
        return len(self._callbacks)

    def add(self, callback: Callable[[T], None]) -> Unsubscribe:
        """Register ``callback``; the returned function removes it (calling it twice is harmless)."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    def notify(self, value: T) -> None:
        """Call every callback with ``value``, in subscription order; exceptions are logged, never raised."""
        for callback in list(self._callbacks):
            try:
                callback(value)
            except Exception:
                logger.exception("subscriber failed", extra={"event": "subscriber_failed", "topic": self._topic})


# ---------------------------------------------------------------------------------------------- displays


@dataclass(frozen=True, slots=True)
class Display:
    """One active display (K32): its OS name, size in device-independent pixels, and whether it is primary."""

    name: str
    width: int
    height: int
    primary: bool


@runtime_checkable
class DisplayProvider(Protocol):
    """The active displays and their changes (K32: the rule is exactly ``AllowedDisplays`` active displays)."""

    def active_displays(self) -> list[Display]:
        """The displays currently showing the desktop, primary first when the OS says which one is.

        Raises
        ------
        MechanismError
            If the OS query fails. Callers report it as "could not check" (K61), never as "0 displays".
        """
        ...

    def subscribe(self, callback: Callable[[list[Display]], None]) -> Unsubscribe:
        """Call ``callback(displays)`` with the new list after every hot-plug, on the GUI thread.

        Raises nothing. Returns the function that ends the subscription.
        """
        ...


# ------------------------------------------------------------------------------------------------ capture


class CaptureStatus(enum.StrEnum):
    """What :meth:`CaptureProtection.protect` achieved for one window (K30)."""

    EXCLUDED = "excluded"  # WDA_EXCLUDEFROMCAPTURE: the window is absent from captures (Windows 10 2004+)
    MONITOR = "monitor"  # WDA_MONITOR fallback: the window shows black in captures
    UNSUPPORTED = "unsupported"  # the platform has no such feature (Linux/X11)
    FAILED = "failed"  # the OS refused both; logged, reported to the server


@runtime_checkable
class CaptureProtection(Protocol):
    """Protect top-level windows from screen capture (K30): exam view, dialogs, every lock-screen window."""

    def protect(self, window_handle: int) -> CaptureStatus:
        """Protect the window ``window_handle`` (``int(widget.winId())``, after ``show()``).

        Raises nothing: an OS refusal is logged and returned as :attr:`CaptureStatus.FAILED`, so the caller
        reports it instead of stopping the exam.
        """
        ...


# ------------------------------------------------------------------------------------------------ power


@runtime_checkable
class KeepAwake(Protocol):
    """Keep the PC and the display awake for the duration of the exam (K34)."""

    def acquire(self) -> None:
        """Ask the OS not to sleep nor blank the display; calling it again is harmless.

        Raises
        ------
        MechanismError
            If the OS refuses.
        """
        ...

    def release(self) -> None:
        """Give the request back (normal power management resumes); harmless when not acquired.

        Raises
        ------
        MechanismError
            If the OS refuses.
        """
        ...


# ------------------------------------------------------------------------------------------------ clipboard


class ClipboardPolicy(enum.StrEnum):
    """The K35 clipboard policy, spelled as in the ``ClipboardPolicy`` GPO value (parsing ignores case)."""

    ALLOW = "Allow"  # the OS clipboard is left alone
    BLOCK = "Block"  # the OS clipboard is cleared on change; Ctrl+C/V/X are also swallowed (key policy)
    ISOLATED = "Isolated"  # the OS clipboard is cleared on change; the page offers a private exam clipboard

    @classmethod
    def _missing_(cls, value: object) -> ClipboardPolicy | None:
        if isinstance(value, str):
            for member in cls:
                if member.value.casefold() == value.strip().casefold():
                    return member
        return None


@runtime_checkable
class ClipboardGuard(Protocol):
    """Apply a :class:`ClipboardPolicy` to the OS clipboard, event-driven (no polling, K35)."""

    def start(self, policy: ClipboardPolicy) -> None:
        """Start (or reconfigure to) ``policy``; in ``Block`` and ``Isolated`` the OS clipboard is cleared at once.

        Raises
        ------
        MechanismError
            If the change listener cannot be installed.
        """
        ...

    def stop(self) -> None:
        """Stop listening; the clipboard is no longer touched. Harmless when not started. Raises nothing."""
        ...


# ------------------------------------------------------------------------------------------------ processes


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """One running process (K31).

    Attributes
    ----------
    pid : int
    path : str or None
        The full image path, or None when the OS does not tell (access denied, kernel thread).
    name : str
        The image or command name (a hint only: never match on the bare name, K31).
    signer : str or None
        The Authenticode signer validated by ``WinVerifyTrust``; None when unsigned, unknown, or on Linux.
    """

    pid: int
    path: str | None
    name: str
    signer: str | None = None


@runtime_checkable
class ProcessTable(Protocol):
    """The running processes, for the deny list of K31."""

    def processes(self) -> list[ProcessInfo]:
        """A snapshot, sorted by pid. Processes that exit while being read are left out.

        Raises
        ------
        MechanismError
            If the table cannot be read at all (the pre-flight check then warns, K61).
        """
        ...


class UnavailableProcessTable:
    """A :class:`ProcessTable` for a platform whose implementation does not exist yet: every read raises."""

    def processes(self) -> list[ProcessInfo]:
        """Raise :class:`MechanismError` (the pre-flight runner turns it into a ``warn``, K61)."""
        raise MechanismError(f"no process table on this platform yet ({sys.platform})")


# ------------------------------------------------------------------------------------------------ session


class SessionEventKind(enum.StrEnum):
    """The session and power events of the K34 table."""

    SLEEP = "sleep"
    RESUME = "resume"
    LID_CLOSE = "lid_close"
    LID_OPEN = "lid_open"
    LOCK = "lock"
    UNLOCK = "unlock"
    CONSOLE_DISCONNECT = "console_disconnect"
    CONSOLE_CONNECT = "console_connect"
    REMOTE_CONNECT = "remote_connect"
    DISPLAY_CHANGE = "display_change"


class Severity(enum.StrEnum):
    """How the kiosk answers an event (K34)."""

    INCIDENT = "incident"  # logged with its duration; lock screen on resume, the proctor resumes with one click
    CRITICAL = "critical"  # lock screen, proctor unlock required (and a signal to the server)


_SEVERITY = {
    SessionEventKind.SLEEP: Severity.INCIDENT,
    SessionEventKind.RESUME: Severity.INCIDENT,
    SessionEventKind.LID_CLOSE: Severity.INCIDENT,
    SessionEventKind.LID_OPEN: Severity.INCIDENT,
    SessionEventKind.LOCK: Severity.INCIDENT,
    SessionEventKind.UNLOCK: Severity.INCIDENT,
    SessionEventKind.CONSOLE_DISCONNECT: Severity.CRITICAL,
    SessionEventKind.CONSOLE_CONNECT: Severity.CRITICAL,
    SessionEventKind.REMOTE_CONNECT: Severity.CRITICAL,
    SessionEventKind.DISPLAY_CHANGE: Severity.CRITICAL,
}


def classify(kind: SessionEventKind | str) -> Severity:
    """The K34 severity of an event kind (pure).

    Raises
    ------
    ValueError
        If ``kind`` is not a :class:`SessionEventKind` value.
    """
    return _SEVERITY[SessionEventKind(kind)]


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One session or power event: its kind, when it happened (seconds since the epoch) and an OS detail."""

    kind: SessionEventKind
    timestamp: float
    detail: str = ""

    @property
    def severity(self) -> Severity:
        """:func:`classify` of :attr:`kind`."""
        return classify(self.kind)


@runtime_checkable
class SessionEvents(Protocol):
    """Session and power notifications (K34: WTS session changes and power broadcasts on Windows)."""

    def subscribe(self, callback: Callable[[SessionEvent], None]) -> Unsubscribe:
        """Call ``callback(event)`` for every event, on the GUI thread.

        Raises
        ------
        MechanismError
            If the OS registration fails (the kiosk then reports the monitor as missing, it does not stop).
        """
        ...


class NoSessionEvents:
    """A :class:`SessionEvents` that never fires: the platform reports none (Linux/X11, K38)."""

    def subscribe(self, callback: Callable[[SessionEvent], None]) -> Unsubscribe:
        """Accept ``callback`` and never call it. Raises nothing."""
        return lambda: None


# ------------------------------------------------------------------------------------------------ remote / VM

#: Bumped whenever :func:`score_vm` changes, so the server knows which heuristics produced a score (K33).
VM_HEURISTICS_VERSION = "1"

# Substrings (case-folded) of DMI fields set by hypervisors. Vendor alone is not used for Microsoft: Surface
# laptops say "Microsoft Corporation" too; Hyper-V is recognised by its product name "Virtual Machine".
_VM_VENDORS = ("qemu", "vmware", "innotek", "virtualbox", "xen", "bochs", "parallels", "amazon ec2", "google")
_VM_PRODUCTS = ("virtualbox", "vmware", "kvm", "qemu", "virtual machine", "standard pc (", "hvm domu", "bochs")
_VM_WEIGHTS = {"sys_vendor": 0.5, "product_name": 0.5, "board_vendor": 0.3}
# The CPU hypervisor flag alone is weak: a Windows host with VBS/Hyper-V enabled, or WSL, sets it too.
_HYPERVISOR_FLAG_WEIGHT = 0.3


@dataclass(frozen=True, slots=True)
class VmInventory:
    """Hardware facts the VM heuristics look at (captured from a real machine in the tests).

    Attributes
    ----------
    sys_vendor, product_name, board_vendor : str
        SMBIOS/DMI strings (Linux ``/sys/class/dmi/id/*``; the registry BIOS key on Windows); empty when unknown.
    hypervisor_flag : bool or None
        The CPUID hypervisor bit (``hypervisor`` in ``/proc/cpuinfo`` flags), None when unknown.
    """

    sys_vendor: str = ""
    product_name: str = ""
    board_vendor: str = ""
    hypervisor_flag: bool | None = None


@dataclass(frozen=True, slots=True)
class VmReport:
    """K33 VM signal: a score in [0, 1], the reasons behind it, and the heuristics version. Never a verdict."""

    score: float
    reasons: tuple[str, ...] = ()
    version: str = VM_HEURISTICS_VERSION


def score_vm(inventory: VmInventory) -> VmReport:
    """Score ``inventory`` with the versioned K33 heuristics (pure): each matching signal adds its weight.

    DMI vendor or product naming a hypervisor weighs 0.5 (board vendor 0.3), the CPU hypervisor flag 0.3; the sum
    is capped at 1.0. A bare-metal machine scores 0.0 with no reasons.
    """
    score = 0.0
    reasons: list[str] = []
    fields = (
        ("sys_vendor", inventory.sys_vendor, _VM_VENDORS),
        ("product_name", inventory.product_name, _VM_PRODUCTS),
        ("board_vendor", inventory.board_vendor, _VM_VENDORS),
    )
    for field_name, value, needles in fields:
        folded = value.casefold()
        hit = next((needle for needle in needles if needle in folded), None)
        if hit is not None:
            score += _VM_WEIGHTS[field_name]
            reasons.append(f"{field_name} {value.strip()!r} names a hypervisor ({hit})")
    if inventory.hypervisor_flag:
        score += _HYPERVISOR_FLAG_WEIGHT
        reasons.append("CPU reports a hypervisor")
    return VmReport(round(min(score, 1.0), 2), tuple(reasons))


@runtime_checkable
class RemoteSignals(Protocol):
    """Remote-session and VM signals (K33): reported at pre-flight and in every heartbeat, never a hard failure."""

    def remote_session(self) -> bool | None:
        """True in a remote session (RDP, SSH...), False when the OS says local, None when it cannot tell.

        Raises nothing.
        """
        ...

    def vm_signals(self) -> VmReport:
        """The VM score of this machine (:func:`score_vm` on its inventory).

        Raises
        ------
        MechanismError
            If the inventory cannot be gathered at all (the pre-flight check then warns, K61).
        """
        ...


# ------------------------------------------------------------------------------------------------ bundle


@dataclass(frozen=True, slots=True)
class Mechanisms:
    """One implementation of each Protocol, chosen by the composition root (``app.platform``) or a test."""

    displays: DisplayProvider
    capture: CaptureProtection
    keep_awake: KeepAwake
    clipboard: ClipboardGuard
    processes: ProcessTable
    session: SessionEvents
    remote: RemoteSignals


# ------------------------------------------------------------------------------------------------ operations


@runtime_checkable
class Operation(Protocol):
    """One reversible lockdown step (K40): sticky keys, execution state, a registry value, a listener.

    A step that changes persistent state writes the original value with :func:`write_backup` **before** the
    change, and removes the backup (:func:`remove_backup`) only after a successful revert (K41). An optional
    ``name`` attribute names it in logs and errors (the class name otherwise).
    """

    def perform(self) -> None:
        """Apply the change.

        Raises
        ------
        LockdownError
            Usually :class:`MechanismError`, when the change cannot be made. A step that fails half-way undoes its
            own partial change: the stack reverts only the steps that completed.
        """
        ...

    def repeat(self) -> None:
        """Apply the change again after a reconfiguration (or when the OS dropped it).

        Raises
        ------
        LockdownError
            As :meth:`perform`.
        """
        ...

    def revert(self) -> None:
        """Restore the original state, then remove the backup. Harmless when not performed.

        Raises
        ------
        LockdownError
            When the original state cannot be restored; the backup then stays for :func:`restore_leftovers`.
        """
        ...


def _name(operation: Operation) -> str:
    return str(getattr(operation, "name", type(operation).__name__))


class OperationStack:
    """Lockdown steps run as a transaction (K40), like :class:`contextlib.ExitStack`.

    ``with OperationStack() as stack: stack.perform_all(steps)`` performs the steps in order; the first failure
    reverts the completed ones in reverse order and raises :class:`OperationError`; leaving the block reverts
    everything, in reverse order. :meth:`reconfigure` calls ``repeat`` on every performed step.
    """

    def __init__(self) -> None:
        self._performed: list[Operation] = []

    def __enter__(self) -> OperationStack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.revert()

    def __len__(self) -> int:
        return len(self._performed)

    @property
    def performed(self) -> tuple[Operation, ...]:
        """The steps performed so far, in order."""
        return tuple(self._performed)

    def perform(self, operation: Operation) -> None:
        """Perform one step and keep it for :meth:`revert`.

        Raises
        ------
        OperationError
            If ``operation.perform()`` raises: the completed steps have been reverted (reverse order) and the
            stack is empty. :attr:`OperationError.revert_failures` lists the reverts that failed too.
        """
        try:
            operation.perform()
        except Exception as exc:
            name = _name(operation)
            logger.exception("lockdown step failed", extra={"event": "lockdown_perform_failed", "operation": name})
            failures = self._revert_all()
            raise OperationError(name, "perform", revert_failures=failures) from exc
        self._performed.append(operation)
        logger.info("lockdown step performed", extra={"event": "lockdown_performed", "operation": _name(operation)})

    def perform_all(self, operations: Iterable[Operation]) -> None:
        """:meth:`perform` each step in order; stops (after the rollback) at the first failure."""
        for operation in operations:
            self.perform(operation)

    def reconfigure(self) -> None:
        """Call ``repeat`` on every performed step, in order.

        Raises
        ------
        OperationError
            At the first failing ``repeat``. Nothing is reverted: the caller decides (lock screen, then
            :meth:`revert`), as a half-applied lockdown is still safer than none during an exam.
        """
        for operation in self._performed:
            try:
                operation.repeat()
            except Exception as exc:
                name = _name(operation)
                logger.exception("lockdown step failed", extra={"event": "lockdown_repeat_failed", "operation": name})
                raise OperationError(name, "repeat") from exc

    def revert(self) -> None:
        """Revert every performed step in reverse order, carrying on past failures; the stack is then empty.

        Raises
        ------
        OperationError
            If any revert failed (after all were tried); it names the first and lists all in ``revert_failures``.
        """
        failures = self._revert_all()
        if failures:
            raise OperationError(failures[0][0], "revert", revert_failures=failures) from failures[0][1]

    def _revert_all(self) -> list[tuple[str, BaseException]]:
        failures: list[tuple[str, BaseException]] = []
        while self._performed:
            operation = self._performed.pop()
            name = _name(operation)
            try:
                operation.revert()
            except Exception as exc:
                logger.exception("lockdown revert failed", extra={"event": "lockdown_revert_failed", "operation": name})
                failures.append((name, exc))
            else:
                logger.info("lockdown step reverted", extra={"event": "lockdown_reverted", "operation": name})
        return failures


class KeepAwakeOperation:
    """:class:`KeepAwake` as an :class:`Operation` (K34, K40). No backup: the OS drops the request at process exit."""

    name = "keep_awake"

    def __init__(self, keep_awake: KeepAwake):
        self._keep_awake = keep_awake

    def perform(self) -> None:
        """Acquire. Raises :class:`MechanismError` as :meth:`KeepAwake.acquire`."""
        self._keep_awake.acquire()

    def repeat(self) -> None:
        """Acquire again. Raises :class:`MechanismError` as :meth:`KeepAwake.acquire`."""
        self._keep_awake.acquire()

    def revert(self) -> None:
        """Release. Raises :class:`MechanismError` as :meth:`KeepAwake.release`."""
        self._keep_awake.release()


class ClipboardGuardOperation:
    """:class:`ClipboardGuard` as an :class:`Operation` (K35, K40); ``repeat`` applies the current policy."""

    name = "clipboard_guard"

    def __init__(self, guard: ClipboardGuard, policy: ClipboardPolicy):
        self._guard = guard
        self.policy = policy

    def perform(self) -> None:
        """Start the guard. Raises :class:`MechanismError` as :meth:`ClipboardGuard.start`."""
        self._guard.start(self.policy)

    def repeat(self) -> None:
        """Start again with :attr:`policy` (set it before :meth:`OperationStack.reconfigure`)."""
        self._guard.start(self.policy)

    def revert(self) -> None:
        """Stop the guard. Raises nothing."""
        self._guard.stop()


# ------------------------------------------------------------------------------------------------ backups


def _temporary(path: Path) -> Path:
    # Dot-prefixed, so restore_leftovers never mistakes an unfinished write for a backup.
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _fsync_directory(directory: Path) -> None:
    if sys.platform == "win32":  # no directory handles to fsync; MoveFileEx is what os.replace gives us
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_backup(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a K41 backup atomically: a temporary file in the same folder, fsync, rename, fsync of the folder.

    Call it **before** changing the system: a crash then leaves either no backup (nothing was changed) or a
    complete one. The folder is created when missing.

    Raises
    ------
    BackupError
        If the backup cannot be written (the ``OSError`` is chained); the caller must not make the change.
    """
    target = Path(path)
    temporary = _temporary(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        _fsync_directory(target.parent)
    except OSError as exc:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            logger.exception("cannot remove a temporary backup", extra={"event": "lockdown_backup_cleanup_failed"})
        raise BackupError(str(target), "write") from exc


def read_backup(path: str | os.PathLike[str]) -> bytes:
    """The content of a backup written by :func:`write_backup`.

    Raises
    ------
    BackupError
        If it cannot be read (missing included).
    """
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BackupError(str(path), "read") from exc


def remove_backup(path: str | os.PathLike[str]) -> None:
    """Delete a backup after a successful restore (K41); a missing file is fine.

    Raises
    ------
    BackupError
        If it exists and cannot be removed.
    """
    try:
        Path(path).unlink(missing_ok=True)
    except OSError as exc:
        raise BackupError(str(path), "remove") from exc


def restore_leftovers(directory: str | os.PathLike[str], restore_fn: Callable[[str, bytes], None]) -> list[str]:
    """Restore the backups a crashed session left in ``directory`` (K41: at the next start, or ``kiosk --reset``).

    Each backup file (any regular file not starting with ``.``) is passed to ``restore_fn(name, data)`` in name
    order and removed once that returns. A backup whose restore raises is logged and kept for the next attempt;
    the others still run. Unfinished temporary files are deleted: their change never happened.

    Returns
    -------
    list of str
        The names of the backups restored (to report to the server). Empty when the folder does not exist.

    Raises
    ------
    BackupError
        If the folder exists but cannot be listed.
    """
    folder = Path(directory)
    if not folder.is_dir():
        return []
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise BackupError(str(folder), "list") from exc
    restored: list[str] = []
    for entry in entries:
        if entry.name.startswith("."):
            _discard_temporary(entry)
        elif entry.is_file() and _restore_one(entry, restore_fn):
            restored.append(entry.name)
    return restored


def _discard_temporary(entry: Path) -> None:
    try:
        entry.unlink(missing_ok=True)
    except OSError:
        logger.exception("cannot remove a temporary backup", extra={"event": "lockdown_backup_cleanup_failed"})


def _restore_one(entry: Path, restore_fn: Callable[[str, bytes], None]) -> bool:
    try:
        restore_fn(entry.name, read_backup(entry))
    except Exception:
        logger.exception(
            "leftover backup not restored", extra={"event": "lockdown_restore_failed", "backup": entry.name}
        )
        return False
    logger.warning("leftover backup restored", extra={"event": "lockdown_backup_restored", "backup": entry.name})
    try:
        remove_backup(entry)
    except BackupError:
        logger.exception("restored backup not removed", extra={"event": "lockdown_backup_cleanup_failed"})
    return True
