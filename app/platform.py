"""The Qt side of the OS layer (kiosk.md K2, K32, K35, K38), and the choice of mechanisms per platform.

* :class:`QtDisplayProvider` - :class:`lockdown.os.DisplayProvider` over ``QGuiApplication.screens()``, with
  ``screenAdded`` / ``screenRemoved`` / ``primaryScreenChanged`` forwarded to subscribers (K32); it also offers
  ``screens()`` / ``on_change()`` so the lock screens (``app.ui.lock``) can use the same object;
* :class:`QtClipboardGuard` - :class:`lockdown.os.ClipboardGuard` over ``QClipboard.dataChanged`` (K35, K38);
* :func:`platform_mechanisms` - one :class:`lockdown.os.Mechanisms` for this platform: the Windows ctypes
  mechanisms on ``win32`` (imported lazily, only there), the Linux/X11 ones elsewhere, the Qt ones on both until
  the Windows display and clipboard mechanisms land (later issue).

Everything here runs on the GUI thread.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from PySide6.QtGui import QClipboard, QGuiApplication, QScreen

from app.qt_compat import disconnect
from lockdown.os import (
    ClipboardPolicy,
    Display,
    MechanismError,
    Mechanisms,
    NoSessionEvents,
    Subscribers,
    UnavailableProcessTable,
    Unsubscribe,
)

__all__ = ["QtClipboardGuard", "QtDisplayProvider", "platform_mechanisms"]

logger = logging.getLogger(__name__)


def _application(app: QGuiApplication | None) -> QGuiApplication:
    """``app``, else the running instance.

    Raises
    ------
    MechanismError
        If there is no Qt application yet.
    """
    instance = app if app is not None else QGuiApplication.instance()
    if not isinstance(instance, QGuiApplication):
        raise MechanismError("the Qt mechanisms need a QGuiApplication (create it first)")
    return instance


def _display(screen: QScreen, primary: QScreen | None) -> Display:
    size = screen.size()
    return Display(screen.name(), size.width(), size.height(), screen == primary)


class QtDisplayProvider:
    """:class:`lockdown.os.DisplayProvider` over Qt's screens (K32, K38).

    Parameters
    ----------
    app : QGuiApplication, optional
        The application (the running instance by default).

    Raises
    ------
    MechanismError
        If there is no Qt application.
    """

    def __init__(self, app: QGuiApplication | None = None):
        self._app = _application(app)
        self._subscribers: Subscribers[list[Display]] = Subscribers("displays")
        self._app.screenAdded.connect(self._on_screen_added)
        self._app.screenRemoved.connect(self._on_screen_removed)
        self._app.primaryScreenChanged.connect(self._on_primary_changed)

    def active_displays(self) -> list[Display]:
        """The screens Qt knows, primary first. Raises nothing (Qt always answers)."""
        return self._displays()

    def subscribe(self, callback: Callable[[list[Display]], None]) -> Unsubscribe:
        """Call ``callback(displays)`` after every screen change."""
        return self._subscribers.add(callback)

    def screens(self) -> list[QScreen]:
        """The ``QScreen`` objects themselves, for windows placed per screen (``app.ui.lock.DisplayProvider``)."""
        return list(self._app.screens())

    def on_change(self, callback: Callable[[], None]) -> Unsubscribe:
        """Call ``callback()`` (no argument) after every screen change (``app.ui.lock.DisplayProvider``)."""
        return self._subscribers.add(lambda _displays: callback())

    def close(self) -> None:
        """Disconnect from the application's signals; subscribers are no longer called."""
        disconnect(self._app.screenAdded, self._on_screen_added)
        disconnect(self._app.screenRemoved, self._on_screen_removed)
        disconnect(self._app.primaryScreenChanged, self._on_primary_changed)

    def _displays(self, *, without: QScreen | None = None) -> list[Display]:
        primary = self._app.primaryScreen()
        displays = [_display(screen, primary) for screen in self._app.screens() if screen != without]
        return sorted(displays, key=lambda display: not display.primary)

    def _on_screen_added(self, screen: QScreen) -> None:
        self._changed(self._displays(), "added", screen.name())

    def _on_screen_removed(self, screen: QScreen) -> None:
        # The removed screen may still be listed while the signal is delivered; leave it out explicitly.
        self._changed(self._displays(without=screen), "removed", screen.name())

    def _on_primary_changed(self, screen: QScreen) -> None:
        self._changed(self._displays(), "primary", screen.name())

    def _changed(self, displays: list[Display], change: str, name: str) -> None:
        logger.info(
            "displays changed",
            extra={"event": "displays_changed", "change": change, "display": name, "count": len(displays)},
        )
        self._subscribers.notify(displays)


class QtClipboardGuard:
    """:class:`lockdown.os.ClipboardGuard` over ``QClipboard`` (K35, K38).

    ``Block`` and ``Isolated`` both clear the OS clipboard (and the X11 selection) at start and on every change;
    they differ elsewhere (Block also swallows Ctrl+C/V/X in the key policy, Isolated offers a private clipboard in
    the page). ``Allow`` leaves it alone.

    Parameters
    ----------
    clipboard : QClipboard, optional
        The clipboard (the running application's by default).

    Raises
    ------
    MechanismError
        If there is no Qt application.
    """

    def __init__(self, clipboard: QClipboard | None = None):
        self._clipboard = clipboard if clipboard is not None else _application(None).clipboard()
        self._policy: ClipboardPolicy | None = None
        self._clearing = False

    @property
    def policy(self) -> ClipboardPolicy | None:
        """The policy in force, None when stopped."""
        return self._policy

    def start(self, policy: ClipboardPolicy) -> None:
        """Apply ``policy`` (a restart only changes the policy). Raises nothing on Qt."""
        if self._policy is None:
            self._clipboard.dataChanged.connect(self._on_clipboard_changed)
            if self._clipboard.supportsSelection():
                self._clipboard.selectionChanged.connect(self._on_selection_changed)
        self._policy = ClipboardPolicy(policy)
        logger.info("clipboard guard started", extra={"event": "clipboard_guard_started", "policy": str(policy)})
        self._clear(QClipboard.Mode.Clipboard)
        if self._clipboard.supportsSelection():
            self._clear(QClipboard.Mode.Selection)

    def stop(self) -> None:
        """Stop listening; harmless when not started."""
        if self._policy is None:
            return
        disconnect(self._clipboard.dataChanged, self._on_clipboard_changed)
        if self._clipboard.supportsSelection():
            disconnect(self._clipboard.selectionChanged, self._on_selection_changed)
        self._policy = None
        logger.info("clipboard guard stopped", extra={"event": "clipboard_guard_stopped"})

    def _on_clipboard_changed(self) -> None:
        self._clear(QClipboard.Mode.Clipboard)

    def _on_selection_changed(self) -> None:
        self._clear(QClipboard.Mode.Selection)

    def _clear(self, mode: QClipboard.Mode) -> None:
        if self._policy in (None, ClipboardPolicy.ALLOW) or self._clearing:
            return
        mime = self._clipboard.mimeData(mode)
        if mime is None or not mime.formats():
            return  # already empty: clearing again would only emit another change
        self._clearing = True  # clear() emits dataChanged itself
        try:
            self._clipboard.clear(mode)
        finally:
            self._clearing = False
        logger.info("clipboard cleared", extra={"event": "clipboard_cleared", "policy": str(self._policy)})


def platform_mechanisms(platform: str = sys.platform, *, app: QGuiApplication | None = None) -> Mechanisms:
    """One implementation of each :mod:`lockdown.os` Protocol for ``platform`` (``sys.platform`` values).

    ``win32``: the ctypes capture protection, keep-awake and remote signals (imported here, lazily); Qt displays
    and clipboard; the process table and session events are not there yet (the process table raises, so
    pre-flight warns; no session events). Elsewhere: the ``lockdown.x11`` mechanisms and the Qt ones.

    Raises
    ------
    MechanismError
        If there is no Qt application.
    UnsupportedPlatformError
        When asked for ``win32`` off Windows (the ctypes DLLs do not exist).
    """
    qt_app = _application(app)
    displays = QtDisplayProvider(qt_app)
    clipboard = QtClipboardGuard(qt_app.clipboard())
    if platform == "win32":
        from lockdown.windows.mechanisms import WindowsCaptureProtection, WindowsKeepAwake, WindowsRemoteSignals

        try:
            return Mechanisms(
                displays=displays,
                capture=WindowsCaptureProtection(),
                keep_awake=WindowsKeepAwake(),
                clipboard=clipboard,
                processes=UnavailableProcessTable(),
                session=NoSessionEvents(),
                remote=WindowsRemoteSignals(),
            )
        except MechanismError:
            displays.close()
            raise
    from lockdown.x11.mechanisms import (
        LinuxProcessTable,
        LinuxRemoteSignals,
        NoKeepAwake,
        UnsupportedCaptureProtection,
    )

    return Mechanisms(
        displays=displays,
        capture=UnsupportedCaptureProtection(),
        keep_awake=NoKeepAwake(),
        clipboard=clipboard,
        processes=LinuxProcessTable(),
        session=NoSessionEvents(),
        remote=LinuxRemoteSignals(),
    )
