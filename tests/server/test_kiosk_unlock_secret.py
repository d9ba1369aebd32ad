"""The offline unlock secret (kiosk.md K44): in the signed-heartbeat reply, and the codes derived from it."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from server.security import kiosk_unlock_secret, unlock_code
from tests.server.test_course_flow import seed
from tests.server.test_invigilator import log_in
from tests.server.test_kiosk_api import Device, _signed_in


@pytest.fixture
def seeded(app, client, clock):
    return seed(app, clock)


@pytest.fixture
def device(client):
    enrolled = Device(client)
    assert enrolled.enrol().status_code == 200
    return enrolled


def offline_code(secret_hex: str, lock_counter: int) -> str:
    """What a kiosk cut from the network computes from the secret alone (no server key)."""
    digest = hmac.new(bytes.fromhex(secret_hex), str(lock_counter).encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def test_the_secret_is_hex_sha256_and_bound_to_the_key_session_and_kiosk():
    secret = kiosk_unlock_secret("key", 1, "pc-1")
    assert len(secret) == 64 and bytes.fromhex(secret)
    assert secret == kiosk_unlock_secret("key", 1, "pc-1")
    others = {
        kiosk_unlock_secret("other", 1, "pc-1"),
        kiosk_unlock_secret("key", 2, "pc-1"),
        kiosk_unlock_secret("key", 1, "pc-2"),
    }
    assert secret not in others and len(others) == 3
    # Domain separation: the secret is not the plain HMAC of the fields the old codes used.
    assert secret != hmac.new(b"key", b"1:pc-1", hashlib.sha256).hexdigest()


def test_unlock_code_derives_from_the_secret_and_the_lock_counter():
    secret = kiosk_unlock_secret("key", 7, "pc-1")
    for counter in (0, 1, 2, 41, 10**12):
        assert unlock_code("key", 7, "pc-1", counter) == offline_code(secret, counter)
    assert len({unlock_code("key", 7, "pc-1", counter) for counter in range(20)}) > 15


def test_the_heartbeat_reply_has_no_secret_while_nobody_is_signed_in(device):
    response = device.heartbeat()
    assert response.status_code == 200 and response.json()["unlock_secret"] is None


def test_the_heartbeat_reply_carries_the_secret_of_the_signed_in_session(app, client, seeded, device):
    _signed_in(app, client, seeded, device)
    response = device.heartbeat()
    assert response.status_code == 200
    expected = kiosk_unlock_secret(app.state.settings.secret_key, seeded["session_id"], device.install_id)
    assert response.json()["unlock_secret"] == expected


def test_another_kiosk_gets_no_secret_for_a_candidate_signed_in_elsewhere(app, client, seeded, device):
    _signed_in(app, client, seeded, device)
    other = Device(client, "pc-salle-b12-05")
    assert other.enrol().status_code == 200
    assert other.heartbeat().json()["unlock_secret"] is None


def test_the_secret_is_not_given_to_an_unsigned_heartbeat(app, client, seeded, device):
    _signed_in(app, client, seeded, device)
    body = device.envelope(ts="2026-11-23T09:00:00Z", state={}, events=[], acks=[])
    response = client.post("/api/v1/kiosk/heartbeat", json=body)
    assert response.status_code == 401 and "unlock_secret" not in response.text


def test_a_code_computed_offline_equals_the_one_the_portal_shows(app, client, seeded, device):
    candidate_id = _signed_in(app, client, seeded, device).candidate_id
    secret = device.heartbeat(state={"lock": "locked", "lock_counter": 3, "screens": 1}).json()["unlock_secret"]
    assert log_in(client, seeded).status_code == 303
    shown = client.post(f"/invigilator/sessions/{seeded['session_id']}/candidates/{candidate_id}/unlock-code")
    assert shown.status_code == 200, shown.text
    assert shown.json()["lock_counter"] == 3
    assert shown.json()["code"] == offline_code(secret, 3)
    # The same code is also the one the online check accepts, once.
    assert device.unlock(offline_code(secret, 3), lock_counter=3).status_code == 200
