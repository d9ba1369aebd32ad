"""The lock screen's code check (kiosk.md K43-K46): local code, one-time codes online/offline, rate limit."""

from __future__ import annotations

import json
import logging
import stat

import httpx
import pytest

from app.sync.client import KioskApiClient, RetryPolicy, SyncConfig
from app.sync.device import KEYRING_SERVICE, Device
from app.unlock import (
    LOCAL_CODE,
    OFFLINE,
    ONLINE,
    LocalCodeHash,
    RateLimitPolicy,
    UnlockConfigError,
    UnlockGate,
    UnlockSecretStore,
    one_time_code,
    online_verifier,
)
from server import security

INSTALL_ID = "kiosk-test-1"
SERVER_KEY = "server-secret-key"
SESSION_ID = 42
SECRET = security.kiosk_unlock_secret(SERVER_KEY, SESSION_ID, INSTALL_ID)






class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Online:
    """A scripted online check that records its calls."""

    def __init__(self, verdict: bool | None) -> None:
        self.verdict, self.calls = verdict, []

    def __call__(self, code: str, lock_counter: int) -> bool | None:
        self.calls.append((code, lock_counter))
        return self.verdict


def server_code(counter: int) -> str:
    return security.unlock_code(SERVER_KEY, SESSION_ID, INSTALL_ID, counter)


def wrong_code(counter: int) -> str:
    return "000000" if server_code(counter) != "000000" else "111111"


def offline_gate(tmp_path, clock=None, **kwargs) -> UnlockGate:
    gate = UnlockGate(secret_store=UnlockSecretStore(tmp_path, INSTALL_ID), clock=clock or Clock(), **kwargs)
    gate.update_secret(SECRET)
    return gate


# --- derivation ---------------------------------------------------------------------------------


def test_the_offline_code_equals_the_servers_for_several_counters():
    for counter in (0, 1, 2, 3, 17, 999, 2**40):
        assert one_time_code(SECRET, counter) == server_code(counter)


# --- local code (K43) ---------------------------------------------------------------------------


def test_a_local_code_is_kept_only_as_salted_scrypt_and_matches_in_constant_time():
    stored = LocalCodeHash.from_code("BRAVO7", n=2**8)
    text = stored.to_text()
    assert "BRAVO7" not in text and text.startswith("scrypt$256$")
    assert LocalCodeHash.parse(text) == stored
    assert stored.matches(" BRAVO7 ") and not stored.matches("BRAVO8")
    assert LocalCodeHash.from_code("BRAVO7", n=2**8).salt != stored.salt


def test_the_servers_hash_format_is_read(monkeypatch):
    monkeypatch.setattr("server.security.SCRYPT_N", 2**8)
    assert LocalCodeHash.parse(security.hash_password("K7Q2M")).matches("K7Q2M")


@pytest.mark.parametrize(
    "text", ["", "scrypt$256$abc", "bcrypt$256$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==", "scrypt$3$x$y"]
)
def test_a_malformed_local_code_hash_is_refused(text):
    with pytest.raises(UnlockConfigError):
        LocalCodeHash.parse(text)


def test_the_local_code_unlocks(caplog):
    gate = UnlockGate(local_code=LocalCodeHash.from_code("BRAVO7", n=2**8), clock=Clock())
    with caplog.at_level(logging.WARNING):
        assert gate.attempt("nope").accepted is False
    result = gate.attempt("BRAVO7")
    assert (result.accepted, result.how, result.event["kind"]) == (True, LOCAL_CODE, "unlock_accepted")


def test_without_a_local_code_nor_a_secret_nothing_unlocks(caplog):
    gate = UnlockGate(clock=Clock())
    with caplog.at_level(logging.WARNING):
        result = gate.attempt("123456")
    assert result.accepted is False and result.reason == "unavailable"
    assert result.event["kind"] == "unlock_refused" and "appelez le surveillant" in result.message_fr
    with caplog.at_level(logging.WARNING):
        tries = [gate.attempt("123456") for _ in range(6)]
    assert {(r.wait_seconds, r.event["data"]["failures"]) for r in tries} == {(0, 0)}  # nothing was checked


# --- one-time codes offline (K44) ---------------------------------------------------------------


def test_the_secret_is_kept_in_the_keyring_under_the_install_id(tmp_path, mem_keyring):
    offline_gate(tmp_path)
    assert mem_keyring.data == {(KEYRING_SERVICE, f"unlock-secret:{INSTALL_ID}"): SECRET}
    assert not (tmp_path / "unlock_secret").exists()
    restarted = UnlockGate(secret_store=UnlockSecretStore(tmp_path, INSTALL_ID), clock=Clock(), lock_counter=4)
    assert restarted.attempt(server_code(4)).how == OFFLINE


def test_without_a_keyring_the_secret_goes_to_a_private_file(tmp_path, no_keyring, caplog):
    with caplog.at_level(logging.WARNING):
        offline_gate(tmp_path)
    path = tmp_path / "unlock_secret"
    assert path.read_text() == SECRET and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert any(r.event == "keyring_unavailable" for r in caplog.records)
    with caplog.at_level(logging.WARNING):
        assert UnlockSecretStore(tmp_path, INSTALL_ID).load() == SECRET
        UnlockSecretStore(tmp_path, INSTALL_ID).clear()
    assert not path.exists()


def test_a_one_time_code_is_checked_offline_and_consumed_by_use(tmp_path, mem_keyring, caplog):
    gate = offline_gate(tmp_path)
    assert gate.new_lock() == 1
    result = gate.attempt(server_code(1))
    assert (result.accepted, result.how) == (True, OFFLINE)
    assert result.event == {"kind": "unlock_accepted", "data": {"how": OFFLINE, "lock_counter": 1}}
    with caplog.at_level(logging.WARNING):
        again = gate.attempt(server_code(1))
    assert again.accepted is False and again.reason == "code_used"
    gate.new_lock()
    with caplog.at_level(logging.WARNING):
        assert gate.attempt(server_code(1)).reason == "wrong_code"  # the code of the last lock
    assert gate.attempt(server_code(2)).accepted is True


def test_a_heartbeat_reply_without_a_secret_forgets_it(tmp_path, mem_keyring, caplog):
    gate = offline_gate(tmp_path)
    gate.on_heartbeat_reply({"nonce": "n", "instructions": []})  # an older server: nothing changes
    assert mem_keyring.data
    gate.on_heartbeat_reply({"nonce": "n", "instructions": [], "unlock_secret": None})
    assert mem_keyring.data == {}
    with caplog.at_level(logging.WARNING):
        gate.on_heartbeat_reply({"unlock_secret": "not hex"})
        assert gate.attempt(server_code(0)).reason == "unavailable"
    assert any(r.event == "unlock_secret_malformed" for r in caplog.records)


# --- online first ---------------------------------------------------------------------------------


def test_the_online_check_is_preferred(tmp_path, mem_keyring):
    online = Online(True)
    gate = offline_gate(tmp_path, verify_online=online, lock_counter=3)
    result = gate.attempt(" 123456 ")
    assert (result.accepted, result.how) == (True, ONLINE) and online.calls == [("123456", 3)]


def test_an_unreachable_server_falls_back_to_the_offline_check(tmp_path, mem_keyring):
    online = Online(None)
    gate = offline_gate(tmp_path, verify_online=online, lock_counter=3)
    result = gate.attempt(server_code(3))
    assert (result.accepted, result.how) == (True, OFFLINE) and online.calls == [(server_code(3), 3)]


def test_a_code_the_server_refuses_is_not_checked_offline(tmp_path, mem_keyring, caplog):
    gate = offline_gate(tmp_path, verify_online=Online(False), lock_counter=3)
    with caplog.at_level(logging.WARNING):
        result = gate.attempt(server_code(3))
    assert (result.accepted, result.how, result.reason) == (False, ONLINE, "wrong_code")
    assert result.event["kind"] == "unlock_refused" and result.event["data"]["how"] == ONLINE


def _device(tmp_path) -> Device:
    device = Device(tmp_path / "device")
    device.adopt_server_state(counter=0, nonce="nonce-1")
    return device


def _client(handler) -> KioskApiClient:
    config = SyncConfig("http://server", retry=RetryPolicy(max_attempts=1))
    return KioskApiClient(config, httpx.Client(transport=httpx.MockTransport(handler)), sleep=lambda _: None)


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (200, {"unlocked": True, "nonce": "nonce-1"}, True),
        (403, {"error": "wrong_unlock_code", "message": "wrong"}, False),
        (409, {"error": "code_used", "message": "used"}, False),
        (429, {"error": "too_many_attempts", "message": "wait"}, False),
        (409, {"error": "no_candidate", "message": "nobody"}, None),
        (503, {"message": "down"}, None),
    ],
)
def test_the_online_verifier_maps_the_servers_answers(tmp_path, mem_keyring, status, body, verdict):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, json.loads(request.content), request.headers.get("X-Cadenas-Signature")))
        return httpx.Response(status, json=body)

    verify = online_verifier(_client(handler), _device(tmp_path))
    assert verify("123456", 7) is verdict
    [(path, sent, signature)] = seen
    assert path == "/api/v1/kiosk/unlock" and signature
    assert (sent["code"], sent["lock_counter"], sent["nonce"], sent["counter"]) == ("123456", 7, "nonce-1", 1)


def test_the_online_verifier_says_none_when_the_server_cannot_be_reached(tmp_path, mem_keyring):
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    assert online_verifier(_client(handler), _device(tmp_path))("123456", 1) is None


# --- rate limit (K46) -----------------------------------------------------------------------------


def _fail(gate: UnlockGate, counter: int = 0):
    return gate.attempt(wrong_code(counter))


def test_five_wrong_codes_make_the_kiosk_wait_30_seconds_doubling_up_to_10_minutes(tmp_path, mem_keyring, caplog):
    clock = Clock()
    online = Online(None)
    gate = offline_gate(tmp_path, clock=clock, verify_online=online)
    with caplog.at_level(logging.WARNING):
        assert [_fail(gate).wait_seconds for _ in range(5)] == [0, 0, 0, 0, 30]
        clock.now += 10
        blocked = gate.attempt(server_code(0))
        assert (blocked.accepted, blocked.reason, blocked.wait_seconds, blocked.event) == (
            False,
            "rate_limited",
            20,
            None,
        )
        assert "20 s" in blocked.message_fr and "20 s" in blocked.message_en
        assert len(online.calls) == 5  # nothing is checked during the wait
        waits = []
        for _ in range(7):
            clock.now += gate.wait_seconds()
            waits.append(_fail(gate).wait_seconds)
    assert waits == [60, 120, 240, 480, 600, 600, 600]
    events = [r for r in caplog.records if getattr(r, "event", None) == "unlock_refused"]
    assert len(events) == 12 and all(not hasattr(r, "code") for r in events)


def test_a_success_resets_the_rate_limit(tmp_path, mem_keyring, caplog):
    clock = Clock()
    gate = offline_gate(tmp_path, clock=clock)
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            _fail(gate)
    clock.now += 30
    assert gate.attempt(server_code(0)).accepted is True
    gate.new_lock()
    with caplog.at_level(logging.WARNING):
        assert [_fail(gate, 1).wait_seconds for _ in range(5)] == [0, 0, 0, 0, 30]


def test_every_checked_code_gives_a_journal_event_without_the_code(tmp_path, mem_keyring, caplog):
    gate = offline_gate(tmp_path, lock_counter=2)
    with caplog.at_level(logging.WARNING):
        refused = gate.attempt(wrong_code(2))
    assert refused.event == {
        "kind": "unlock_refused",
        "data": {"how": OFFLINE, "reason": "wrong_code", "lock_counter": 2, "failures": 1, "wait_seconds": 0},
    }
    accepted = gate.attempt(server_code(2))
    assert accepted.event["kind"] == "unlock_accepted"
    assert server_code(2) not in json.dumps([refused.event, accepted.event])
    assert gate.attempt("   ").reason == "empty" and gate.attempt("").event is None


def test_the_wait_starts_at_30_seconds_after_5_failures_and_doubles_up_to_10_minutes():
    policy = RateLimitPolicy()
    assert [policy.wait_after(n) for n in (0, 4, 5, 6, 9, 10, 50)] == [0, 0, 30, 60, 480, 600, 600]
