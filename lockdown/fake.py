"""Deterministic, scriptable fakes of every :mod:`lockdown.os` Protocol, for tests (kiosk.md K2, K38 "Fake").

=======================  ==============================================================================
Fake                     What a test scripts or reads
=======================  ==============================================================================
FakeDisplayProvider      N displays; :meth:`~FakeDisplayProvider.plug` / ``unplug`` notify subscribers
FakeCaptureProtection    a status per window handle; every call recorded
FakeKeepAwake            recorded calls, :attr:`~FakeKeepAwake.active`; scripted failures
FakeClipboardGuard       recorded calls, the current policy
FakeProcessTable         a static table (replaceable)
FakeSessionEvents        :meth:`~FakeSessionEvents.emit` / ``play`` scripted events, fake timestamps
FakeRemoteSignals        a remote flag and a VM report, or a captured :class:`~lockdown.vm.VmInventory`
FakeOperation            an :class:`~lockdown.operations.Operation` writing to a shared log; scripted failures
=======================  ==============================================================================

A fake raises :class:`~lockdown.os.MechanismError` wherever the Protocol says the real one may, when the test
asks it to (``fail_with``), so the K61 "could not check" paths are testable. No fake touches the OS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from lockdown.os import (
    CaptureStatus,
    ClipboardPolicy,
    Display,
    MechanismError,
    Mechanisms,
    ProcessInfo,
    SessionEvent,
    SessionEventKind,
    Subscribers,
    Unsubscribe,
)
from lockdown.vm import VmInventory, VmReport, score_vm

__all__ = [
    "FakeCaptureProtection",
    "FakeClipboardGuard",
    "FakeDisplayProvider",
    "FakeKeepAwake",
    "FakeOperation",
    "FakeProcessTable",
    "FakeRemoteSignals",
    "FakeSessionEvents",
    "fake_display",
    "fake_mechanisms",
]


def fake_display(index: int, *, primary: bool | None = None, width: int = 1920, height: int = 1080) -> Display:
    """Display ``DISPLAY<index+1>``, 1920x1080, primary when ``index`` is 0 unless told otherwise."""
    return Display(f"DISPLAY{index + 1}", width, height, index == 0 if primary is None else primary)


class FakeDisplayProvider:
    """A :class:`~lockdown.os.DisplayProvider` with N displays and scripted hot-plug.

    Parameters
    ----------
    displays : int or iterable of Display
        How many :func:`fake_display` displays, or the displays themselves.
    """

    def __init__(self, displays: int | Iterable[Display] = 1):
        self.displays: list[Display] = (
            [fake_display(i) for i in range(displays)] if isinstance(displays, int) else list(displays)
        )
        self.fail_with: Exception | None = None
        self._subscribers: Subscribers[list[Display]] = Subscribers("displays")

    @property
    def subscriber_count(self) -> int:
        """How many subscriptions are live."""
        return len(self._subscribers)

    def active_displays(self) -> list[Display]:
        """The current displays; raises :attr:`fail_with` when a test set it."""
        if self.fail_with is not None:
            raise self.fail_with
        return list(self.displays)

    def subscribe(self, callback: Callable[[list[Display]], None]) -> Unsubscribe:
        """Register ``callback`` for hot-plug."""
        return self._subscribers.add(callback)

    def plug(self, display: Display | None = None) -> Display:
        """Add ``display`` (default: the next :func:`fake_display`) and notify subscribers."""
        display = display or fake_display(len(self.displays), primary=not self.displays)
        self.set_displays([*self.displays, display])
        return display

    def unplug(self, name: str) -> None:
        """Remove the display called ``name`` and notify subscribers.

        Raises
        ------
        KeyError
            If no display has that name (a mistake in the test).
        """
        remaining = [display for display in self.displays if display.name != name]
        if len(remaining) == len(self.displays):
            raise KeyError(name)
        self.set_displays(remaining)

    def set_displays(self, displays: Iterable[Display]) -> None:
        """Replace the displays and notify subscribers with the new list."""
        self.displays = list(displays)
        self._subscribers.notify(list(self.displays))


class FakeCaptureProtection:
    """A :class:`~lockdown.os.CaptureProtection` that records the handles it was given.

    Parameters
    ----------
    status : CaptureStatus
        What :meth:`protect` returns by default.
    per_window : mapping of int to CaptureStatus
        Overrides for given window handles.
    """

    def __init__(
        self, status: CaptureStatus = CaptureStatus.EXCLUDED, per_window: Mapping[int, CaptureStatus] | None = None
    ):
        self.status = status
        self.per_window = dict(per_window or {})
        self.calls: list[int] = []

    def protect(self, window_handle: int) -> CaptureStatus:
        """Record ``window_handle`` and return its scripted status."""
        self.calls.append(window_handle)
        return self.per_window.get(window_handle, self.status)


class FakeKeepAwake:
    """A :class:`~lockdown.os.KeepAwake` recording ``"acquire"`` / ``"release"`` in :attr:`calls`.

    Put a method name in :attr:`fail_on` to make it raise :class:`~lockdown.os.MechanismError` (after recording).
    """

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.active = False
        self.fail_on: set[str] = set()

    def acquire(self) -> None:
        """Record, then stay awake (or fail as scripted)."""
        self._record("acquire")
        self.active = True

    def release(self) -> None:
        """Record, then stop (or fail as scripted)."""
        self._record("release")
        self.active = False

    def _record(self, method: str) -> None:
        self.calls.append(method)
        if method in self.fail_on:
            raise MechanismError(f"scripted {method} failure")


class FakeClipboardGuard:
    """A :class:`~lockdown.os.ClipboardGuard` recording ``("start", policy)`` and ``("stop", None)``.

    :attr:`policy` is the policy in force (None when stopped); :attr:`fail_with` makes ``start`` raise.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, ClipboardPolicy | None]] = []
        self.policy: ClipboardPolicy | None = None
        self.fail_with: Exception | None = None

    def start(self, policy: ClipboardPolicy) -> None:
        """Record and apply ``policy`` (or raise :attr:`fail_with`)."""
        self.calls.append(("start", policy))
        if self.fail_with is not None:
            raise self.fail_with
        self.policy = ClipboardPolicy(policy)

    def stop(self) -> None:
        """Record and stop."""
        self.calls.append(("stop", None))
        self.policy = None


class FakeProcessTable:
    """A :class:`~lockdown.os.ProcessTable` over a static list (assign :attr:`table` to change it)."""

    def __init__(self, table: Iterable[ProcessInfo] = ()):
        self.table = list(table)
        self.fail_with: Exception | None = None

    def processes(self) -> list[ProcessInfo]:
        """The table sorted by pid (or :attr:`fail_with` raised)."""
        if self.fail_with is not None:
            raise self.fail_with
        return sorted(self.table, key=lambda process: process.pid)


class FakeSessionEvents:
    """A :class:`~lockdown.os.SessionEvents` whose events the test emits.

    Timestamps come from a fake clock that starts at ``start`` and advances ``step`` seconds per event, unless
    the test gives one; every emitted event is kept in :attr:`emitted`.
    """

    def __init__(self, *, start: float = 1_700_000_000.0, step: float = 1.0):
        self._subscribers: Subscribers[SessionEvent] = Subscribers("session")
        self._clock = start
        self._step = step
        self.emitted: list[SessionEvent] = []

    def subscribe(self, callback: Callable[[SessionEvent], None]) -> Unsubscribe:
        """Register ``callback``."""
        return self._subscribers.add(callback)

    def emit(self, kind: SessionEventKind | str, *, timestamp: float | None = None, detail: str = "") -> SessionEvent:
        """Deliver one event of ``kind`` to every subscriber and return it."""
        if timestamp is None:
            timestamp = self._clock
            self._clock += self._step
        event = SessionEvent(SessionEventKind(kind), timestamp, detail)
        self.emitted.append(event)
        self._subscribers.notify(event)
        return event

    def play(self, kinds: Iterable[SessionEventKind | str]) -> list[SessionEvent]:
        """:meth:`emit` each kind in order (a scripted sequence such as sleep, resume)."""
        return [self.emit(kind) for kind in kinds]


class FakeRemoteSignals:
    """A :class:`~lockdown.os.RemoteSignals` with a scripted remote flag and VM report.

    Parameters
    ----------
    remote : bool or None
        What :meth:`remote_session` returns.
    vm : VmReport or VmInventory
        The report, or a captured inventory scored with :func:`~lockdown.vm.score_vm`.
    """

    def __init__(self, remote: bool | None = False, vm: VmReport | VmInventory | None = None):
        self.remote = remote
        self.vm = score_vm(vm) if isinstance(vm, VmInventory) else (vm or VmReport(0.0))
        self.fail_with: Exception | None = None

    def remote_session(self) -> bool | None:
        """The scripted flag."""
        return self.remote

    def vm_signals(self) -> VmReport:
        """The scripted report (or :attr:`fail_with` raised)."""
        if self.fail_with is not None:
            raise self.fail_with
        return self.vm


@dataclass
class FakeOperation:
    """An :class:`~lockdown.operations.Operation` appending ``"<name>.<method>"`` to a shared :attr:`log`.

    Methods named in :attr:`fail_on` raise :class:`~lockdown.os.MechanismError` after logging.
    """

    name: str
    log: list[str] = field(default_factory=list)
    fail_on: frozenset[str] = frozenset()

    def perform(self) -> None:
        """Log, or fail as scripted."""
        self._record("perform")

    def repeat(self) -> None:
        """Log, or fail as scripted."""
        self._record("repeat")

    def revert(self) -> None:
        """Log, or fail as scripted."""
        self._record("revert")

    def _record(self, method: str) -> None:
        self.log.append(f"{self.name}.{method}")
        if method in self.fail_on:
            raise MechanismError(f"scripted {self.name}.{method} failure")


def fake_mechanisms(displays: int | Iterable[Display] = 1) -> Mechanisms:
    """A :class:`~lockdown.os.Mechanisms` made of fresh fakes (``displays`` as for :class:`FakeDisplayProvider`)."""
    return Mechanisms(
        displays=FakeDisplayProvider(displays),
        capture=FakeCaptureProtection(),
        keep_awake=FakeKeepAwake(),
        clipboard=FakeClipboardGuard(),
        processes=FakeProcessTable(),
        session=FakeSessionEvents(),
        remote=FakeRemoteSignals(),
    )
