"""Focus-loss detection (kiosk.md K10, B6): what Qt sees when the candidate leaves the kiosk.

The primary signal is the application becoming ``Inactive`` (another program took the focus, the
window was minimised); a second window of the kiosk itself (lock screens, dialogs) leaves the
application ``Active``, so it never counts. ``WindowDeactivate`` on the main window and the page's
``blur`` are recorded as hints. One departure gives one :class:`FocusEvent` with monotonic and
wall-clock timestamps; the next one needs the application to become ``Active`` again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class FocusEvent:
    """One focus change: ``lost`` or ``regained``, with what Qt reported and when."""

    kind: str
    signal: str
    monotonic: float
    wall: dt.datetime


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class FocusWatcher(QObject):
    """Watches the application state and the main window; calls ``on_change(FocusEvent)`` once per change.

    Parameters
    ----------
    window
        The kiosk's main window (its Activate/Deactivate events are hints).
    on_change
        Called on the GUI thread with each ``lost`` / ``regained`` event.
    """

    def __init__(self, window: QObject, on_change: Callable[[FocusEvent], None]) -> None:
        super().__init__(window)
        self.on_change = on_change
        self.away = False
        self.history: list[FocusEvent] = []
        app = QGuiApplication.instance()
        app.applicationStateChanged.connect(self._state_changed)
        window.installEventFilter(self)

    def _state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive:
            self._change("regained", "application_active")
        elif state in (Qt.ApplicationState.ApplicationInactive, Qt.ApplicationState.ApplicationHidden):
            self._change("lost", "application_inactive")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Record the main window's deactivation and minimisation (hints; the app state decides)."""
        kind = event.type()
        if kind == QEvent.Type.WindowDeactivate:
            logger.debug("main window deactivated", extra={"event": "window_deactivate"})
        elif kind == QEvent.Type.WindowStateChange and watched.isWidgetType() and watched.isMinimized():
            self._change("lost", "window_minimised")
        return False

    def page_hint(self, kind: str) -> None:
        """The page's ``blur``/``focus`` (never proof: a page script can fake it, K65): logged only."""
        logger.debug("page focus hint", extra={"event": "page_focus_hint", "kind": kind})

    def _change(self, kind: str, signal: str) -> None:
        if (kind == "lost") == self.away:
            return
        self.away = kind == "lost"
        event = FocusEvent(kind=kind, signal=signal, monotonic=time.monotonic(), wall=_utcnow())
        self.history.append(event)
        logger.info("focus %s", kind, extra={"event": f"focus_{kind}", "signal": signal})
        self.on_change(event)
