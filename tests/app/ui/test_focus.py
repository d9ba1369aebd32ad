"""FocusWatcher: the application state decides, once per departure; minimising counts (offscreen)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.ui.focus import FocusWatcher


def test_one_event_per_departure_and_return(qtbot):
    window, seen = QWidget(), []
    qtbot.addWidget(window)
    watcher = FocusWatcher(window, seen.append)
    watcher._state_changed(Qt.ApplicationState.ApplicationInactive)
    watcher._state_changed(Qt.ApplicationState.ApplicationHidden)  # still away: nothing new
    watcher._state_changed(Qt.ApplicationState.ApplicationActive)
    watcher._state_changed(Qt.ApplicationState.ApplicationActive)
    assert [(e.kind, e.signal) for e in seen] == [("lost", "application_inactive"), ("regained", "application_active")]
    assert seen[0].monotonic <= seen[1].monotonic and seen[0].wall <= seen[1].wall


def test_minimising_the_window_is_a_focus_loss(qtbot):
    window, seen = QWidget(), []
    qtbot.addWidget(window)
    watcher = FocusWatcher(window, seen.append)
    window.show()
    qtbot.waitExposed(window)
    window.showMinimized()
    qtbot.waitUntil(lambda: bool(seen), timeout=3000)
    assert seen[0].kind == "lost" and watcher.away


def test_a_second_window_of_the_kiosk_is_not_a_focus_loss(qtbot):
    window, other, seen = QWidget(), QWidget(), []
    qtbot.addWidget(window)
    qtbot.addWidget(other)
    FocusWatcher(window, seen.append)
    window.show()
    other.show()
    qtbot.waitExposed(other)
    other.activateWindow()  # a lock screen or dialog of the same application
    qtbot.wait(100)
    assert [e for e in seen if e.kind == "lost"] == []
