"""The lock screens (kiosk.md K42, K46) offscreen: one window per screen, code input, rate limit, watchdog."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.ui.lock import LockScreens, LockWatchdog
from app.unlock import UnlockResult


class FakeDisplays:
    """A DisplayProvider whose screen list the test sets (the real offscreen screen, repeated)."""

    def __init__(self, count: int) -> None:
        self.list = [QGuiApplication.primaryScreen()] * count
        self.callbacks = []

    def screens(self):
        return list(self.list)

    def on_change(self, callback) -> None:
        self.callbacks.append(callback)

    def change(self, count: int) -> None:
        self.list = [QGuiApplication.primaryScreen()] * count
        for callback in self.callbacks:
            callback()


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


class Wall:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 23, 9, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def make_screens(qapp):
    made = []

    def make(count: int = 1, **kwargs) -> tuple[LockScreens, FakeDisplays]:
        displays = FakeDisplays(count)
        kwargs.setdefault("clock", Clock())
        kwargs.setdefault("wall", Wall())
        screens = LockScreens(displays, **kwargs)
        made.append(screens)
        return screens, displays

    yield make
    for screens in made:
        screens.hide_lock()
        screens.deleteLater()


def _result(wait: int = 0, accepted: bool = False) -> UnlockResult:
    return UnlockResult(accepted, "offline", "wrong_code", wait, f"Code incorrect ({wait})", f"Wrong code ({wait})")


def test_one_frameless_topmost_fullscreen_window_per_screen(make_screens, caplog):
    screens, _ = make_screens(3)
    screens.show_lock(["Fenêtre quittée"])
    assert screens.is_locked and len(screens.windows) == 3
    for window in screens.windows:
        flags = window.windowFlags()
        assert flags & Qt.WindowType.FramelessWindowHint and flags & Qt.WindowType.WindowStaysOnTopHint
        assert window.isVisible() and window.isFullScreen()
        assert window.screen() is QGuiApplication.primaryScreen()


def test_the_default_provider_covers_the_applications_screens(qapp):
    screens = LockScreens(clock=Clock(), wall=Wall())
    try:
        screens.show_lock(["x"])
        assert len(screens.windows) == len(QGuiApplication.screens()) >= 1
    finally:
        screens.hide_lock()
        screens.deleteLater()


def test_windows_are_recreated_when_the_screens_change(make_screens, qtbot):
    screens, displays = make_screens(2)
    screens.show_lock(["a"])
    old = list(screens.windows)
    displays.change(3)
    assert len(screens.windows) == 3 and not set(map(id, old)) & set(map(id, screens.windows))
    assert not any(window.isVisible() for window in old)
    assert [w.reasons.item(0).text() for w in screens.windows] == ["09:00:00 — a"] * 3
    screens.hide_lock()
    displays.change(1)
    assert screens.windows == []


def test_every_queued_reason_is_shown_with_its_time(make_screens):
    wall = Wall()
    screens, _ = make_screens(2, wall=wall)
    screens.show_lock(["Processus interdit : cheat.exe (PID 4242)"])
    wall.now += dt.timedelta(minutes=1, seconds=5)
    screens.show_lock(["Processus interdit : cheat.exe (PID 4242)", "Fenêtre quittée"])
    for window in screens.windows:
        texts = [window.reasons.item(i).text() for i in range(window.reasons.count())]
        assert texts == ["09:00:00 — Processus interdit : cheat.exe (PID 4242)", "09:01:05 — Fenêtre quittée"]


def test_the_time_locked_is_updated_every_tick(make_screens, qtbot):
    clock = Clock()
    screens, _ = make_screens(1, clock=clock, tick_ms=20)
    screens.show_lock(["a"])
    label = screens.windows[0].locked_for
    assert label.text() == "Verrouillé depuis 0:00"
    clock.now += 65
    qtbot.waitUntil(lambda: label.text() == "Verrouillé depuis 1:05", timeout=2000)
    clock.now += 3600
    qtbot.waitUntil(lambda: label.text() == "Verrouillé depuis 1:01:05", timeout=2000)


def test_enter_submits_the_typed_code(make_screens, qtbot):
    screens, _ = make_screens(2)
    screens.show_lock(["a"])
    code_input = screens.windows[1].code_input
    qtbot.keyClicks(code_input, "123456")
    with qtbot.waitSignal(screens.code_entered, timeout=1000) as blocker:
        qtbot.keyClick(code_input, Qt.Key.Key_Return)
    assert blocker.args == ["123456"] and code_input.text() == ""
    with qtbot.assertNotEmitted(screens.code_entered):
        qtbot.keyClick(code_input, Qt.Key.Key_Enter)  # an empty input sends nothing


def test_the_raise_hand_button_emits_its_signal(make_screens, qtbot):
    screens, _ = make_screens(1)
    screens.show_lock(["a"])
    window = screens.windows[0]
    assert window.hand_button.text() == "Appeler le surveillant"
    with qtbot.waitSignal(screens.raise_hand, timeout=1000):
        qtbot.mouseClick(window.hand_button, Qt.MouseButton.LeftButton)
    screens.show_hand_raised()
    assert window.message.text() == "Le surveillant a été appelé."


def test_a_rate_limit_wait_disables_the_inputs_with_a_countdown(make_screens, qtbot):
    clock = Clock()
    screens, _ = make_screens(2, clock=clock, tick_ms=20)
    screens.show_lock(["a"])
    screens.show_result(_result(wait=30))
    for window in screens.windows:
        assert not window.code_input.isEnabled()
        assert window.message.text() == "Trop de codes incorrects : réessayez dans 30 s."
    clock.now += 12.5
    qtbot.waitUntil(lambda: screens.windows[0].message.text().endswith("dans 18 s."), timeout=2000)
    clock.now += 18
    qtbot.waitUntil(lambda: all(w.code_input.isEnabled() for w in screens.windows), timeout=2000)
    assert screens.windows[1].message.text() == "Vous pouvez saisir un nouveau code."
    screens.show_result(_result(wait=0))
    assert screens.windows[0].message.text() == "Code incorrect (0)" and screens.windows[0].code_input.isEnabled()


def test_controls_are_labelled_for_assistive_technologies(make_screens):
    screens, _ = make_screens(1)
    screens.show_lock(["a"])
    window = screens.windows[0]
    assert window.code_label.buddy() is window.code_input
    labelled = (window.title, window.reasons, window.locked_for, window.code_input, window.message, window.hand_button)
    names = {w.accessibleName() for w in labelled}
    assert "" not in names and len(names) == 6
    assert window.code_input.accessibleName() == "Code de déverrouillage (donné par le surveillant)"


def test_english_texts(make_screens):
    screens, _ = make_screens(1, language="en")
    screens.show_lock(["a"])
    screens.show_result(_result(wait=0))
    window = screens.windows[0]
    assert window.hand_button.text() == "Call the invigilator" and window.message.text() == "Wrong code (0)"
    with pytest.raises(ValueError, match="language"):
        LockScreens(FakeDisplays(1), language="de")


def test_a_lock_window_refuses_to_close_and_hide_closes_them_all(make_screens):
    screens, _ = make_screens(2)
    screens.show_lock(["a"])
    windows = list(screens.windows)
    windows[0].close()  # Alt+F4
    assert windows[0].isVisible()
    screens.hide_lock()
    assert not screens.is_locked and screens.windows == []
    assert not any(window.isVisible() for window in windows)


# --- watchdog -------------------------------------------------------------------------------------


@pytest.fixture
def watchdog():
    fired = threading.Event()
    seen = []

    def on_wedged() -> None:
        seen.append(threading.current_thread().name)
        fired.set()

    dog = LockWatchdog(on_wedged, timeout=0.3, interval=0.05)
    dog.fired, dog.seen = fired, seen
    yield dog
    dog.stop(timeout=2)


def test_the_watchdog_fires_when_the_gui_thread_stops_ponging(make_screens, qtbot, watchdog, caplog):
    screens, _ = make_screens(1)
    screens.attach_watchdog(watchdog)
    watchdog.start()
    screens.show_lock(["a"])
    qtbot.wait(600)  # events processed: the pongs arrive
    assert not watchdog.fired.is_set()
    with caplog.at_level(logging.ERROR):
        time.sleep(0.8)  # the GUI thread is stuck: no event loop, no pong
        assert watchdog.fired.wait(2)
    assert watchdog.seen == ["lock-watchdog"]
    assert any(getattr(r, "event", None) == "lock_screen_wedged" for r in caplog.records)


def test_the_watchdog_is_quiet_while_unlocked(make_screens, watchdog):
    screens, _ = make_screens(1)
    screens.attach_watchdog(watchdog)
    watchdog.start()
    screens.show_lock(["a"])
    screens.hide_lock()
    time.sleep(0.6)
    assert not watchdog.fired.is_set()


def test_the_watchdog_fires_once_per_wedge_and_survives_a_failing_recovery(caplog):
    now = [0.0]
    calls = []

    def recover() -> None:
        calls.append(now[0])
        raise RuntimeError("restart failed")

    dog = LockWatchdog(recover, timeout=5, interval=1, clock=lambda: now[0])
    dog.arm()
    now[0] = 4.0
    assert dog.check() is False
    now[0] = 6.0
    with caplog.at_level(logging.ERROR):
        assert dog.check() is True
        assert dog.check() is False  # once per wedge
        dog.pong()
        now[0] = 12.0
        assert dog.check() is True
    assert calls == [6.0, 12.0]
    assert any(getattr(r, "event", None) == "lock_watchdog_failed" for r in caplog.records)
    with pytest.raises(ValueError):
        LockWatchdog(recover, timeout=0)
