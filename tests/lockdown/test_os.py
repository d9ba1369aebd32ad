"""K2, K34, K33: lockdown.os (Protocols, severity table, subscribers, clipboard policy, stand-ins)."""

from __future__ import annotations

import logging

import pytest

from lockdown.errors import LockdownError
from lockdown.os import (
    ClipboardPolicy,
    MechanismError,
    NoSessionEvents,
    ProcessTable,
    SessionEvent,
    SessionEventKind,
    SessionEvents,
    Severity,
    Subscribers,
    UnavailableProcessTable,
    UnsupportedPlatformError,
    classify,
)

# ------------------------------------------------------------------------------------------------ K34 table


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        ("sleep", Severity.INCIDENT),
        ("resume", Severity.INCIDENT),
        ("lid_close", Severity.INCIDENT),
        ("lid_open", Severity.INCIDENT),
        ("lock", Severity.INCIDENT),
        ("unlock", Severity.INCIDENT),
        ("console_disconnect", Severity.CRITICAL),
        ("console_connect", Severity.CRITICAL),
        ("remote_connect", Severity.CRITICAL),
        ("display_change", Severity.CRITICAL),
    ],
)
def test_classify_follows_the_k34_table(kind, severity):
    assert classify(kind) is severity
    assert classify(SessionEventKind(kind)) is severity
    assert SessionEvent(SessionEventKind(kind), 0.0).severity is severity


def test_every_event_kind_has_a_severity():
    assert {classify(kind) for kind in SessionEventKind} <= set(Severity)


def test_classify_rejects_an_unknown_kind():
    with pytest.raises(ValueError):
        classify("coffee_break")


# ------------------------------------------------------------------------------------------------ subscribers


def test_subscribers_are_called_in_order_and_can_unsubscribe():
    subscribers: Subscribers[int] = Subscribers("test")
    seen: list[tuple[str, int]] = []
    subscribers.add(lambda value: seen.append(("a", value)))
    unsubscribe_b = subscribers.add(lambda value: seen.append(("b", value)))
    subscribers.notify(1)
    unsubscribe_b()
    unsubscribe_b()  # harmless twice
    subscribers.notify(2)
    assert seen == [("a", 1), ("b", 1), ("a", 2)]
    assert len(subscribers) == 1


def test_a_failing_subscriber_does_not_hide_the_change_from_the_others(caplog):
    subscribers: Subscribers[str] = Subscribers("displays")
    seen: list[str] = []

    def broken(_value: str) -> None:
        raise RuntimeError("boom")

    subscribers.add(broken)
    subscribers.add(seen.append)
    with caplog.at_level(logging.ERROR, logger="lockdown.os"):
        subscribers.notify("change")
    assert seen == ["change"]
    assert [record.event for record in caplog.records] == ["subscriber_failed"]


# ------------------------------------------------------------------------------------------------ K35 policy


@pytest.mark.parametrize(("text", "policy"), [("Allow", "Allow"), ("block", "Block"), (" ISOLATED ", "Isolated")])
def test_clipboard_policy_parses_gpo_values_ignoring_case(text, policy):
    assert ClipboardPolicy(text).value == policy


def test_clipboard_policy_rejects_unknown_values():
    with pytest.raises(ValueError):
        ClipboardPolicy("Sometimes")


# ------------------------------------------------------------------------------------------------ stand-ins


def test_no_session_events_accepts_subscribers_and_never_calls_them():
    source = NoSessionEvents()
    assert isinstance(source, SessionEvents)
    source.subscribe(lambda _event: pytest.fail("called"))()


def test_unavailable_process_table_raises_a_mechanism_error():
    table = UnavailableProcessTable()
    assert isinstance(table, ProcessTable)
    with pytest.raises(MechanismError):
        table.processes()


def test_unsupported_platform_error_names_the_mechanism_and_is_a_lockdown_error():
    error = UnsupportedPlatformError("WindowsKeepAwake")
    assert isinstance(error, LockdownError)
    assert "WindowsKeepAwake is Windows only" in str(error)
