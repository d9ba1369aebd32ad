"""The kiosk's OS features as narrow Protocols, with their value types (kiosk.md K2, K38).

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

Pure pieces that every implementation shares: :func:`classify` (the K34 severity table) and :class:`Subscribers`
(callback lists). :class:`Mechanisms` bundles one implementation of each Protocol.

Elsewhere: the versioned VM heuristics behind :meth:`RemoteSignals.vm_signals` are in :mod:`lockdown.vm`; the
reversible lockdown steps that drive these mechanisms, and their crash backups (K40, K41), are in
:mod:`lockdown.operations`.

Errors, all under :class:`lockdown.errors.LockdownError`::

    MechanismError              an OS call failed (the foreign OSError is chained), or a feature is missing
    └── UnsupportedPlatformError   a mechanism built on the wrong OS ("Windows only")

(:class:`lockdown.operations.BackupError` is a :class:`MechanismError` too.)
"""

from __future__ import annotations

import enum
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, runtime_checkable

from lockdown.errors import LockdownError
from lockdown.vm import VmReport

__all__ = [
    "CaptureProtection",
    "CaptureStatus",
    "ClipboardGuard",
    "ClipboardPolicy",
    "Display",
    "DisplayProvider",
    "KeepAwake",
    "MechanismError",
    "Mechanisms",
    "NoSessionEvents",
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
    "classify",
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


# ------------------------------------------------------------------------------------------------ remote


@runtime_checkable
class RemoteSignals(Protocol):
    """Remote-session and VM signals (K33): reported at pre-flight and in every heartbeat, never a hard failure."""

    def remote_session(self) -> bool | None:
        """True in a remote session (RDP, SSH...), False when the OS says local, None when it cannot tell.

        Raises nothing.
        """
        ...

    def vm_signals(self) -> VmReport:
        """The VM score of this machine (:func:`lockdown.vm.score_vm` on its inventory).

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
