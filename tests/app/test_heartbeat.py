"""The heartbeat loop: one at a time, instructions applied once and acknowledged, enrolment first."""

from __future__ import annotations

import threading

from app.heartbeat import Heartbeat
from app.sync.errors import SyncError, SyncErrorKind


class ManualRunner:
    """Runs tasks when told to, so a test can see a heartbeat in flight."""

    def __init__(self) -> None:
        self.pending = []

    def run_in_background(self, fn, on_done, on_error):
        self.pending.append((fn, on_done, on_error))

    def finish_all(self) -> None:
        while self.pending:
            fn, on_done, on_error = self.pending.pop(0)
            try:
                result = fn()
            except Exception as exc:  # handed to on_error, as the real runner does
                on_error(exc)
            else:
                on_done(result)


class FakeSyncer:
    def __init__(self, replies) -> None:
        self.replies = list(replies)
        self.sent = []
        self.client = object()

    def heartbeat(self, device, *, state, acks):
        self.sent.append({"state": state, "acks": acks})
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


class FakeDevice:
    nonce = "n0"


def make(replies, applied, device=None):
    runner, syncer = ManualRunner(), FakeSyncer(replies)
    beat = Heartbeat(
        syncer,
        device or FakeDevice(),
        runner,
        state=lambda: {"state": "question", "locked": False},
        on_instruction=applied.append,
        signing_lock=threading.Lock(),
    )
    return beat, runner, syncer


def test_instructions_are_applied_once_and_acknowledged_in_the_next_heartbeat():
    unlock = {"id": 7, "kind": "unlock", "payload": {}}
    applied = []
    beat, runner, syncer = make(
        [{"nonce": "a", "instructions": [unlock]}, {"nonce": "b", "instructions": [unlock]}, {"nonce": "c"}], applied
    )
    for _ in range(3):
        beat.beat()
        runner.finish_all()
    assert applied == [unlock]  # sent again (our ack was not yet seen): applied only once
    assert [s["acks"] for s in syncer.sent] == [[], [7], [7]]
    assert beat.connected is True


def test_one_heartbeat_at_a_time():
    applied = []
    beat, runner, syncer = make([{"nonce": "a"}], applied)
    beat.beat()
    beat.beat()  # the first is still in flight
    assert len(runner.pending) == 1
    runner.finish_all()
    assert len(syncer.sent) == 1 and not beat.in_flight


def test_a_failed_heartbeat_keeps_the_acks_for_the_next_one():
    notify = {"id": 3, "kind": "notify", "payload": {"message": "5 minutes"}}
    applied = []
    beat, runner, syncer = make(
        [{"nonce": "a", "instructions": [notify]}, SyncError(SyncErrorKind.NETWORK, "down"), {"nonce": "b"}], applied
    )
    for _ in range(3):
        beat.beat()
        runner.finish_all()
    assert [s["acks"] for s in syncer.sent] == [[], [3], [3]]
    assert applied == [notify]


def test_a_device_without_nonce_enrols_first(monkeypatch):
    enrolled = []

    class NewDevice:
        nonce = None

    monkeypatch.setattr("app.heartbeat.enrol", lambda client, device: enrolled.append(device))
    beat, runner, syncer = make([{"nonce": "a"}], [], device=NewDevice())
    beat.beat()
    runner.finish_all()
    assert len(enrolled) == 1 and len(syncer.sent) == 1
