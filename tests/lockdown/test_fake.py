"""K2, K38: the fakes of lockdown.fake satisfy the Protocols and script what the tests need."""

from __future__ import annotations

import pytest

from lockdown.fake import (
    FakeCaptureProtection,
    FakeClipboardGuard,
    FakeDisplayProvider,
    FakeKeepAwake,
    FakeProcessTable,
    FakeRemoteSignals,
    FakeSessionEvents,
    fake_display,
    fake_mechanisms,
)
from lockdown.os import (
    CaptureProtection,
    CaptureStatus,
    ClipboardGuard,
    ClipboardPolicy,
    Display,
    DisplayProvider,
    KeepAwake,
    MechanismError,
    ProcessInfo,
    ProcessTable,
    RemoteSignals,
    SessionEvents,
    Severity,
)
from lockdown.vm import VmInventory


def test_fake_mechanisms_bundle_one_fake_per_protocol():
    mechanisms = fake_mechanisms(displays=2)
    for value, protocol in [
        (mechanisms.displays, DisplayProvider),
        (mechanisms.capture, CaptureProtection),
        (mechanisms.keep_awake, KeepAwake),
        (mechanisms.clipboard, ClipboardGuard),
        (mechanisms.processes, ProcessTable),
        (mechanisms.session, SessionEvents),
        (mechanisms.remote, RemoteSignals),
    ]:
        assert isinstance(value, protocol)
    assert len(mechanisms.displays.active_displays()) == 2


def test_display_hot_plug_notifies_subscribers_with_the_new_list():
    provider = FakeDisplayProvider(1)
    seen: list[list[Display]] = []
    unsubscribe = provider.subscribe(seen.append)
    added = provider.plug()
    assert added == Display("DISPLAY2", 1920, 1080, False)
    provider.unplug("DISPLAY1")
    unsubscribe()
    provider.plug()
    assert [[display.name for display in displays] for displays in seen] == [["DISPLAY1", "DISPLAY2"], ["DISPLAY2"]]
    assert provider.subscriber_count == 0


def test_unplugging_an_unknown_display_is_a_test_mistake():
    with pytest.raises(KeyError):
        FakeDisplayProvider(1).unplug("HDMI-9")


def test_display_provider_can_fail_like_a_broken_os_query():
    provider = FakeDisplayProvider([fake_display(0)])
    provider.fail_with = MechanismError("QueryDisplayConfig failed")
    with pytest.raises(MechanismError):
        provider.active_displays()


def test_capture_protection_records_calls_and_scripted_statuses():
    capture = FakeCaptureProtection(per_window={7: CaptureStatus.FAILED})
    assert [capture.protect(handle) for handle in (5, 7)] == [CaptureStatus.EXCLUDED, CaptureStatus.FAILED]
    assert capture.calls == [5, 7]


def test_keep_awake_records_calls_and_fails_as_scripted():
    keep_awake = FakeKeepAwake()
    keep_awake.acquire()
    keep_awake.fail_on.add("release")
    with pytest.raises(MechanismError):
        keep_awake.release()
    assert keep_awake.calls == ["acquire", "release"]


def test_clipboard_guard_records_policy():
    guard = FakeClipboardGuard()
    guard.start(ClipboardPolicy("isolated"))
    assert guard.policy is ClipboardPolicy.ISOLATED
    guard.stop()
    assert guard.policy is None
    assert guard.calls == [("start", ClipboardPolicy.ISOLATED), ("stop", None)]


def test_process_table_is_static_and_sorted():
    table = FakeProcessTable(
        [ProcessInfo(20, r"C:\x\obs64.exe", "obs64.exe", "OBS Project"), ProcessInfo(4, None, "System")]
    )
    assert [process.pid for process in table.processes()] == [4, 20]


def test_session_events_play_a_script_with_deterministic_timestamps():
    source = FakeSessionEvents(start=100.0, step=5.0)
    seen = []
    source.subscribe(seen.append)
    events = source.play(["sleep", "resume", "remote_connect"])
    assert [(event.kind, event.timestamp, event.severity) for event in seen] == [
        ("sleep", 100.0, Severity.INCIDENT),
        ("resume", 105.0, Severity.INCIDENT),
        ("remote_connect", 110.0, Severity.CRITICAL),
    ]
    assert events == seen == source.emitted


def test_remote_signals_score_a_captured_inventory():
    signals = FakeRemoteSignals(remote=None, vm=VmInventory("QEMU", "Standard PC (i440FX + PIIX, 1996)", "", True))
    assert signals.remote_session() is None
    assert signals.vm_signals().score == 1.0
