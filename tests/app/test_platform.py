"""K32, K35, K38: app.platform on the offscreen Qt platform (displays, clipboard guard, mechanism choice)."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtGui import QClipboard

from app.platform import QtClipboardGuard, QtDisplayProvider, platform_mechanisms
from lockdown.os import (
    CaptureProtection,
    CaptureStatus,
    ClipboardGuard,
    ClipboardPolicy,
    Display,
    DisplayProvider,
    KeepAwake,
    ProcessTable,
    RemoteSignals,
    SessionEvents,
    UnsupportedPlatformError,
)
from lockdown.x11.mechanisms import LinuxProcessTable, LinuxRemoteSignals, NoKeepAwake, UnsupportedCaptureProtection


@pytest.fixture
def provider(qapp):
    provider = QtDisplayProvider(qapp)
    yield provider
    provider.close()


@pytest.fixture
def clipboard(qapp) -> QClipboard:
    board = qapp.clipboard()
    board.clear()
    yield board
    board.clear()


@pytest.fixture
def guard(clipboard):
    guard = QtClipboardGuard(clipboard)
    yield guard
    guard.stop()


def test_display_provider_lists_the_offscreen_screen(provider, qapp):
    assert isinstance(provider, DisplayProvider)
    [display] = provider.active_displays()
    size = qapp.primaryScreen().size()
    assert display == Display(qapp.primaryScreen().name(), size.width(), size.height(), True)
    assert provider.screens() == [qapp.primaryScreen()]


def test_display_provider_notifies_subscribers_when_screens_change(provider, qapp):
    seen: list[list[Display]] = []
    bare: list[str] = []
    provider.subscribe(seen.append)
    provider.on_change(lambda: bare.append("changed"))
    screen = qapp.primaryScreen()
    provider._on_screen_added(screen)  # the slots connected to screenAdded / screenRemoved / primaryScreenChanged
    provider._on_screen_removed(screen)
    provider._on_primary_changed(screen)
    assert [len(displays) for displays in seen] == [1, 0, 1]  # the removed screen is left out at once
    assert bare == ["changed"] * 3


def test_display_provider_unsubscribe_stops_notifications(provider, qapp):
    seen: list[list[Display]] = []
    unsubscribe = provider.subscribe(seen.append)
    unsubscribe()
    provider._on_screen_added(qapp.primaryScreen())
    assert seen == []


def test_clipboard_guard_in_block_mode_clears_the_clipboard_on_change(guard, clipboard):
    assert isinstance(guard, ClipboardGuard)
    clipboard.setText("before the exam")
    guard.start(ClipboardPolicy.BLOCK)
    assert clipboard.text() == ""  # cleared at start
    clipboard.setText("crib sheet")
    assert clipboard.text() == ""
    assert guard.policy is ClipboardPolicy.BLOCK


def test_clipboard_guard_in_isolated_mode_clears_the_os_clipboard_too(guard, clipboard):
    guard.start(ClipboardPolicy.ISOLATED)
    clipboard.setText("copied from a chat window")
    assert clipboard.text() == ""


def test_clipboard_guard_in_allow_mode_leaves_the_clipboard_alone(guard, clipboard):
    clipboard.setText("kept")
    guard.start(ClipboardPolicy.ALLOW)
    clipboard.setText("still kept")
    assert clipboard.text() == "still kept"


def test_clipboard_guard_restart_changes_the_policy_and_stop_ends_the_clearing(guard, clipboard):
    guard.start(ClipboardPolicy.ALLOW)
    guard.start(ClipboardPolicy.BLOCK)
    clipboard.setText("x")
    assert clipboard.text() == ""
    guard.stop()
    guard.stop()  # harmless twice
    assert guard.policy is None
    clipboard.setText("after the exam")
    assert clipboard.text() == "after the exam"


def test_platform_mechanisms_on_linux_bundle_x11_and_qt_mechanisms(qapp):
    mechanisms = platform_mechanisms("linux", app=qapp)
    try:
        assert isinstance(mechanisms.displays, QtDisplayProvider)
        assert isinstance(mechanisms.clipboard, QtClipboardGuard)
        assert isinstance(mechanisms.capture, UnsupportedCaptureProtection)
        assert isinstance(mechanisms.keep_awake, NoKeepAwake)
        assert isinstance(mechanisms.processes, LinuxProcessTable)
        assert isinstance(mechanisms.remote, LinuxRemoteSignals)
        for value, protocol in [
            (mechanisms.capture, CaptureProtection),
            (mechanisms.keep_awake, KeepAwake),
            (mechanisms.processes, ProcessTable),
            (mechanisms.session, SessionEvents),
            (mechanisms.remote, RemoteSignals),
        ]:
            assert isinstance(value, protocol)
        assert mechanisms.capture.protect(1) is CaptureStatus.UNSUPPORTED
    finally:
        mechanisms.displays.close()


@pytest.mark.skipif(sys.platform == "win32", reason="checks the behaviour off Windows")
def test_platform_mechanisms_for_windows_off_windows_is_a_clear_error(qapp):
    with pytest.raises(UnsupportedPlatformError, match="Windows only"):
        platform_mechanisms("win32", app=qapp)
