"""The lock screens (kiosk.md K42, K46): one frameless, topmost, full-screen window per screen, and their watchdog.

:class:`LockScreens` puts a :class:`LockWindow` on every screen a :class:`DisplayProvider` lists,
and builds them again when a screen is added or removed (and on :meth:`LockScreens.recreate_windows`,
which the composition root calls after a resume from standby). Each window shows every reason
queued since the lock began, with its time, the time locked (updated every second), a labelled
code input (Enter submits) and a "call the invigilator" button. The windows belong to the kiosk's
own application, so showing them does not make the application inactive: they never count as a
focus loss (``app.ui.focus``). They refuse to close (Alt+F4) until the lock is lifted.

Checking the code is not done here: :attr:`LockScreens.code_entered` hands it to the caller, which
runs ``app.unlock.UnlockGate.attempt`` off the GUI thread and passes the result back to
:meth:`LockScreens.show_result` (a rate-limit wait disables the inputs, with a countdown).

:class:`LockWatchdog` is the "never wedges" half of K42: a daemon thread that expects the GUI
thread to :meth:`~LockWatchdog.pong` regularly (a ``QTimer`` installed by
:meth:`LockScreens.attach_watchdog`) and calls ``on_wedged`` from its own thread when the pongs
stop while locked; the composition root then restarts the UI into the lock state.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QScreen
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QPushButton, QVBoxLayout, QWidget

from app.qt_compat import emit
from app.unlock import UnlockResult

logger = logging.getLogger(__name__)

TEXTS = {
    "fr": {
        "title": "Poste verrouillé",
        "reasons": "Motifs du verrouillage",
        "locked_for": "Verrouillé depuis {elapsed}",
        "code": "Code de déverrouillage (donné par le surveillant)",
        "raise_hand": "Appeler le surveillant",
        "hand_raised": "Le surveillant a été appelé.",
        "wait": "Trop de codes incorrects : réessayez dans {seconds} s.",
        "may_retry": "Vous pouvez saisir un nouveau code.",
        "message": "Message",
    },
    "en": {
        "title": "Computer locked",
        "reasons": "Why it is locked",
        "locked_for": "Locked for {elapsed}",
        "code": "Unlock code (given by the invigilator)",
        "raise_hand": "Call the invigilator",
        "hand_raised": "The invigilator has been called.",
        "wait": "Too many wrong codes: try again in {seconds} s.",
        "may_retry": "You may type a new code.",
        "message": "Message",
    },
}


class DisplayProvider(Protocol):
    """The screens to cover, and news of their changes.

    ``screens()`` returns the current ``QScreen`` objects (one lock window each);
    ``on_change(callback)`` registers a callable run (on the GUI thread, without arguments)
    whenever a screen is added or removed.
    """

    def screens(self) -> list[QScreen]:
        """The screens to cover now."""

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after each screen addition or removal."""


class QtDisplays(QObject):
    """The application's screens (``QGuiApplication.screens``, ``screenAdded``/``screenRemoved``)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._callbacks: list[Callable[[], None]] = []
        app = QGuiApplication.instance()
        app.screenAdded.connect(self._changed)
        app.screenRemoved.connect(self._changed)

    def screens(self) -> list[QScreen]:
        """The application's screens."""
        return list(QGuiApplication.screens())

    def on_change(self, callback: Callable[[], None]) -> None:
        """Register ``callback`` for screen additions and removals."""
        self._callbacks.append(callback)

    def _changed(self, _screen: QScreen) -> None:
        for callback in list(self._callbacks):
            callback()


def _elapsed_text(seconds: float) -> str:
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours:d}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:d}:{rest % 60:02d}"


#: Calm, high-contrast and large: read from a distance by the candidate and the invigilator.
_STYLE = """
LockWindow { background: #1d2733; }
#panel { background: #ffffff; border-radius: 8px; }
QLabel { color: #1b1b1b; font-size: 17px; }
#title { font-size: 30px; font-weight: bold; color: #8a1c1c; }
QListWidget { font-size: 17px; color: #1b1b1b; border: 1px solid #767676; }
QLineEdit { font-size: 26px; padding: 8px; letter-spacing: 4px; border: 2px solid #1d2733; }
QLineEdit:focus { border: 3px solid #0a4ea3; }
QPushButton { font-size: 18px; padding: 10px; background: #0a4ea3; color: #ffffff; border-radius: 4px; }
QPushButton:focus { outline: 3px solid #ffbf47; }
"""


class LockWindow(QWidget):
    """The lock screen of one screen: reasons, time locked, code input, raise-hand button.

    Signals
    -------
    code_entered(str)
        Enter was pressed in the code input (the input is cleared).
    raise_hand()
        The "call the invigilator" button was pressed.
    """

    code_entered = Signal(str)
    raise_hand = Signal()

    def __init__(self, texts: dict[str, str]) -> None:
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.may_close = False
        self.title = QLabel(texts["title"])
        self.title.setAccessibleName(texts["title"])
        self.reasons = QListWidget()
        self.reasons.setAccessibleName(texts["reasons"])
        self.locked_for = QLabel()
        self.locked_for.setAccessibleName(texts["locked_for"].format(elapsed="").strip())
        self.code_label = QLabel(texts["code"])
        self.code_input = QLineEdit()
        self.code_input.setAccessibleName(texts["code"])
        self.code_label.setBuddy(self.code_input)
        self.message = QLabel()
        self.message.setAccessibleName(texts["message"])
        self.message.setWordWrap(True)
        self.hand_button = QPushButton(texts["raise_hand"])
        self.hand_button.setAccessibleName(texts["raise_hand"])
        self.title.setObjectName("title")
        self.reasons.setMaximumHeight(220)
        self.reasons.setWordWrap(True)
        self.reasons.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.code_input.setMaxLength(20)
        panel = QWidget(self)
        panel.setObjectName("panel")
        panel.setMinimumWidth(min(640, max(320, self.screen().availableGeometry().width() - 40)))
        panel.setMaximumWidth(720)
        column = QVBoxLayout(panel)
        column.setSpacing(12)
        column.setContentsMargins(28, 24, 28, 24)
        for widget in (self.title, QLabel(texts["reasons"]), self.reasons, self.locked_for):
            column.addWidget(widget)
        for widget in (self.code_label, self.code_input, self.message, self.hand_button):
            column.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(panel, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.setStyleSheet(_STYLE)
        self.setWindowTitle(texts["title"])
        self.code_input.returnPressed.connect(self._submit)
        self.hand_button.clicked.connect(self.raise_hand)

    def _submit(self) -> None:
        code = self.code_input.text()
        self.code_input.clear()
        if code.strip():
            emit(self.code_entered, code)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Refuse Alt+F4 and the like while locked."""
        if self.may_close:
            event.accept()
        else:
            event.ignore()


class LockScreens(QObject):
    """The lock windows of every screen, kept in step with each other (K42).

    Parameters
    ----------
    displays
        The screens to cover; defaults to :class:`QtDisplays`.
    language
        ``fr`` or ``en``.
    clock
        Monotonic seconds (time locked, rate-limit countdown).
    wall
        Local wall-clock time, for the reasons' times.
    tick_ms
        Milliseconds between refreshes of the time locked and the countdown.

    Signals
    -------
    code_entered(str)
        A code typed on any screen.
    raise_hand()
        The candidate asks for the invigilator (a "proctor needed" event, K46).
    """

    code_entered = Signal(str)
    raise_hand = Signal()

    def __init__(
        self,
        displays: DisplayProvider | None = None,
        *,
        language: str = "fr",
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], dt.datetime] = dt.datetime.now,
        tick_ms: int = 1000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if language not in TEXTS:
            raise ValueError(f"no lock screen texts for language {language!r} (known: {sorted(TEXTS)})")
        self.displays = displays if displays is not None else QtDisplays(self)
        self.language, self.clock, self.wall = language, clock, wall
        self.windows: list[LockWindow] = []
        self._reasons: list[tuple[dt.datetime, str]] = []
        self._locked_since: float | None = None
        self._wait_until: float | None = None
        self._message = ""
        self._watchdog: LockWatchdog | None = None
        self._pong: QTimer | None = None
        self._tick = QTimer(self)
        self._tick.setInterval(tick_ms)
        self._tick.timeout.connect(self._refresh_times)
        self.displays.on_change(self._screens_changed)

    @property
    def texts(self) -> dict[str, str]:
        """The texts of the current language."""
        return TEXTS[self.language]

    @property
    def is_locked(self) -> bool:
        """Whether the lock screens are up."""
        return self._locked_since is not None

    # --- the View side -------------------------------------------------------------------------

    def show_lock(self, reasons: list[str]) -> None:
        """Show the lock screens, or update them; ``reasons``: every reason since the lock began, oldest first."""
        now = self.wall()
        if not self.is_locked:
            self._reasons, self._message, self._wait_until = [], "", None
            self._locked_since = self.clock()
            self._tick.start()
            if self._watchdog is not None:
                self._watchdog.arm()
        # Reasons already shown keep their time; the new ones are stamped now (K42: queued with times).
        self._reasons = [
            self._reasons[i] if i < len(self._reasons) and self._reasons[i][1] == r else (now, r)
            for i, r in enumerate(reasons)
        ]
        if not self.windows:
            self.recreate_windows()
            return
        for window in self.windows:
            self._fill(window)
        self._refresh_times()

    def hide_lock(self) -> None:
        """Lift the lock: close every lock window."""
        if self._watchdog is not None:
            self._watchdog.disarm()
        self._tick.stop()
        self._locked_since, self._wait_until, self._reasons = None, None, []
        self._close_windows()

    def show_result(self, result: UnlockResult) -> None:
        """Show what the unlock check decided; a rate-limit wait disables the inputs with a countdown."""
        self._message = result.message_fr if self.language == "fr" else result.message_en
        self._wait_until = self.clock() + result.wait_seconds if result.wait_seconds > 0 else None
        self._refresh_times()

    def show_hand_raised(self) -> None:
        """Confirm that the invigilator was called."""
        self._message = self.texts["hand_raised"]
        self._refresh_times()

    def recreate_windows(self) -> None:
        """Build one window per current screen again (screen change, resume from standby)."""
        self._close_windows()
        if not self.is_locked:
            return
        for screen in self.displays.screens():
            window = LockWindow(self.texts)
            window.code_entered.connect(self.code_entered)
            window.raise_hand.connect(self.raise_hand)
            window.setScreen(screen)
            window.setGeometry(screen.geometry())
            self._fill(window)
            window.showFullScreen()
            self.windows.append(window)
        self._refresh_times()
        if self.windows:
            self.windows[0].activateWindow()
            self.windows[0].code_input.setFocus()
        logger.info("lock screens shown", extra={"event": "lock_screens_shown", "screens": len(self.windows)})

    # --- watchdog --------------------------------------------------------------------------------

    def attach_watchdog(self, watchdog: LockWatchdog) -> None:
        """Pong ``watchdog`` from the GUI thread every ``watchdog.interval`` / 2 seconds; arm it while locked."""
        if self._pong is not None:  # attached again (a new watchdog after a restart): one timer only
            self._pong.stop()
            self._pong.deleteLater()
        self._watchdog = watchdog
        self._pong = QTimer(self)
        self._pong.setInterval(max(10, int(watchdog.interval * 500)))
        self._pong.timeout.connect(watchdog.pong)
        self._pong.start()
        if self.is_locked:
            watchdog.arm()

    # --- internals -------------------------------------------------------------------------------

    def _screens_changed(self) -> None:
        if self.is_locked:
            logger.info("screens changed: lock screens rebuilt", extra={"event": "lock_screens_rebuilt"})
            self.recreate_windows()

    def _close_windows(self) -> None:
        windows, self.windows = self.windows, []
        for window in windows:
            window.may_close = True
            window.close()
            window.deleteLater()

    def _fill(self, window: LockWindow) -> None:
        window.reasons.clear()
        for at, reason in self._reasons:
            window.reasons.addItem(f"{at:%H:%M:%S} — {reason}")

    def _refresh_times(self) -> None:
        """Time locked and the wait countdown, on every window (each second, and on each change)."""
        now = self.clock()
        if self._wait_until is not None and now >= self._wait_until:
            self._wait_until, self._message = None, self.texts["may_retry"]
        waiting = self._wait_until is not None
        message = self.texts["wait"].format(seconds=math.ceil(self._wait_until - now)) if waiting else self._message
        elapsed = _elapsed_text(now - self._locked_since) if self._locked_since is not None else ""
        for window in self.windows:
            window.locked_for.setText(self.texts["locked_for"].format(elapsed=elapsed))
            window.message.setText(message)
            window.code_input.setEnabled(not waiting)


class LockWatchdog(threading.Thread):
    """Calls ``on_wedged()`` (from this thread) when the GUI thread stops ponging while locked (K42).

    Parameters
    ----------
    on_wedged
        Called once per wedge, from the watchdog thread: it must not touch widgets (in production,
        it restarts the UI into the lock state). Called again only after a pong came back.
    timeout
        Seconds without a pong, while armed, that count as wedged.
    interval
        Seconds between checks (also paces the pongs, see :meth:`LockScreens.attach_watchdog`).
    clock
        Monotonic seconds.
    """

    def __init__(
        self,
        on_wedged: Callable[[], None],
        *,
        timeout: float = 5.0,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name="lock-watchdog", daemon=True)
        if timeout <= 0 or interval <= 0:
            raise ValueError(f"the watchdog needs a positive timeout and interval (got {timeout}, {interval})")
        self.on_wedged, self.timeout, self.interval, self.clock = on_wedged, timeout, interval, clock
        self._last_pong = clock()
        self._armed = False
        self._fired = False
        self._stopping = threading.Event()

    def pong(self) -> None:
        """The GUI thread is alive (called by its timer)."""
        self._last_pong = self.clock()
        self._fired = False

    def arm(self) -> None:
        """Start watching (the lock screens are up)."""
        self.pong()
        self._armed = True

    def disarm(self) -> None:
        """Stop watching (the lock is lifted)."""
        self._armed = False

    def stop(self, timeout: float | None = None) -> None:
        """End the thread (and wait for it up to ``timeout`` seconds if it was started)."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)

    def check(self) -> bool:
        """One check: True when it found the GUI wedged (and called ``on_wedged``)."""
        silent = self.clock() - self._last_pong
        if not self._armed or self._fired or silent <= self.timeout:
            return False
        self._fired = True
        logger.error(
            "lock screen not answering: restarting the UI into the lock state",
            extra={"event": "lock_screen_wedged", "silent_seconds": round(silent, 1)},
        )
        try:
            self.on_wedged()
        except Exception:
            logger.exception("the lock watchdog's recovery failed", extra={"event": "lock_watchdog_failed"})
        return True

    def run(self) -> None:
        """Check every ``interval`` seconds until :meth:`stop`."""
        while not self._stopping.wait(self.interval):
            self.check()
