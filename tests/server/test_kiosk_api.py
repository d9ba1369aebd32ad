"""Kiosk devices: enrolment, signed heartbeats (signature, counter, nonce), events, instructions, unlock codes."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select

from server.models import Candidate, Course, KioskDevice, KioskEvent, KioskInstruction
from server.security import unlock_code
from tests.server.test_course_flow import API, Kiosk, authorise, course_row, join, seed

SIGNATURE = "X-Cadenas-Signature"


class Device:
    """A kiosk install: its key, its counter, the last nonce the server gave."""

    def __init__(self, client, install_id: str = "pc-salle-b12-04") -> None:
        self.client, self.install_id = client, install_id
        self.key = Ed25519PrivateKey.generate()
        self.counter, self.nonce = 0, ""

    @property
    def public_key(self) -> str:
        return base64.b64encode(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()

    def enrol(self):
        response = self.client.post(
            f"{API}/kiosk/devices", json={"install_id": self.install_id, "public_key": self.public_key, "name": "PC 4"}
        )
        if response.status_code == 200:
            self.nonce = response.json()["nonce"]
        return response

    def signed(self, path: str, body: dict, *, key: Ed25519PrivateKey | None = None, raw: bytes | None = None):
        content = raw if raw is not None else json.dumps(body).encode()
        signature = base64.b64encode((key or self.key).sign(content)).decode()
        return self.client.post(
            f"{API}/kiosk/{path}", content=content, headers={"content-type": "application/json", SIGNATURE: signature}
        )

    def envelope(self, **fields) -> dict:
        self.counter += 1
        return {"install_id": self.install_id, "counter": self.counter, "nonce": self.nonce, **fields}

    def heartbeat(self, *, events=(), acks=(), state=None, ts="2026-11-23T09:00:00Z"):
        body = self.envelope(
            ts=ts,
            state=state or {"lock": "unlocked", "lock_counter": 0, "screens": 1},
            events=list(events),
            acks=list(acks),
        )
        response = self.signed("heartbeat", body)
        if response.status_code == 200:
            self.nonce = response.json()["nonce"]
        return response

    def unlock(self, code: str, lock_counter: int = 1):
        return self.signed("unlock", self.envelope(code=code, lock_counter=lock_counter))


@pytest.fixture
def seeded(app, client, clock):
    return seed(app, clock)


@pytest.fixture
def device(client):
    enrolled = Device(client)
    assert enrolled.enrol().status_code == 200
    return enrolled


def _event(kind: str = "url_blocked", event_id: str | None = None, **data) -> dict:
    return {"id": event_id or str(uuid.uuid4()), "kind": kind, "at": "2026-11-23T09:00:10Z", "data": data}


def _signed_in(app, client, demo: dict, device: Device) -> Kiosk:
    body = join(client, demo, 0, install_id=device.install_id).json()
    return Kiosk(app, client, body["token"], body["candidate"]["id"])


# --- enrolment -------------------------------------------------------------------------------


def test_enrolment_gives_a_nonce_and_is_idempotent_with_the_same_key(client, device):
    again = device.enrol()
    assert again.status_code == 200
    assert again.json() == {"install_id": device.install_id, "nonce": device.nonce, "counter": 0}


def test_enrolling_an_install_id_with_another_key_is_refused(client, device):
    thief = Device(client, device.install_id)
    response = thief.enrol()
    assert response.status_code == 409 and response.json()["error"] == "device_key_mismatch"


def test_a_malformed_public_key_is_refused(client):
    for key in ("not base64 at all!!", base64.b64encode(b"short").decode().ljust(44, "="), "A" * 60):
        response = client.post(f"{API}/kiosk/devices", json={"install_id": "pc-1", "public_key": key})
        assert response.status_code == 422 and response.json()["message"]


# --- heartbeat authentication ----------------------------------------------------------------


def test_a_signed_heartbeat_rotates_the_nonce_and_stores_the_state(app, device):
    first_nonce = device.nonce
    response = device.heartbeat(state={"lock": "locked", "lock_counter": 3, "screens": 2, "page": "question"})
    assert response.status_code == 200
    assert response.json()["nonce"] != first_nonce and response.json()["instructions"] == []
    with app.state.sessions() as db:
        row = db.get(KioskDevice, device.install_id)
    assert row.state["lock_counter"] == 3 and row.last_counter == 1 and row.last_seen_at is not None


def test_a_bad_or_missing_signature_is_401(client, device, caplog):
    body = device.envelope(ts="2026-11-23T09:00:00Z")
    forged = device.signed("heartbeat", body, key=Ed25519PrivateKey.generate())
    assert forged.status_code == 401 and forged.json()["error"] == "bad_signature"
    unsigned = client.post(f"{API}/kiosk/heartbeat", json=body)
    assert unsigned.status_code == 401 and unsigned.json()["error"] == "missing_signature", unsigned.text
    garbage = client.post(f"{API}/kiosk/heartbeat", json=body, headers={SIGNATURE: "%%%"})
    assert garbage.status_code == 401 and garbage.json()["error"] == "bad_signature"
    tampered = json.dumps({**body, "counter": 99}).encode()
    signature = base64.b64encode(device.key.sign(json.dumps(body).encode())).decode()
    swapped = client.post(
        f"{API}/kiosk/heartbeat", content=tampered, headers={"content-type": "application/json", SIGNATURE: signature}
    )
    assert swapped.status_code == 401
    assert "kiosk_bad_signature" in [getattr(r, "event", "") for r in caplog.records]


def test_a_replayed_heartbeat_is_refused(device):
    body = device.envelope(ts="2026-11-23T09:00:00Z", state={}, events=[], acks=[])
    assert device.signed("heartbeat", body).status_code == 200
    replay = device.signed("heartbeat", body)
    assert replay.status_code == 409 and replay.json()["error"] == "stale_counter"


def test_a_stale_nonce_is_refused_and_re_enrolment_resynchronises(device):
    old_nonce = device.nonce
    assert device.heartbeat().status_code == 200
    device.nonce = old_nonce
    stale = device.heartbeat()
    assert stale.status_code == 409 and stale.json()["error"] == "stale_nonce"
    resync = device.enrol().json()
    assert resync["counter"] == 1 and resync["nonce"] == device.nonce != old_nonce
    assert device.heartbeat().status_code == 200


def test_a_counter_that_does_not_increase_is_refused(device):
    device.counter = 10
    assert device.heartbeat().status_code == 200
    device.counter = 5
    response = device.heartbeat()
    assert response.status_code == 409 and response.json()["error"] == "stale_counter"


def test_an_unknown_device_is_404(client):
    stranger = Device(client, "never-enrolled")
    response = stranger.heartbeat()
    assert response.status_code == 404 and response.json()["error"] == "unknown_device"


def test_bad_heartbeat_bodies_are_4xx_never_500(device):
    base = {"install_id": device.install_id, "nonce": device.nonce, "ts": "2026-11-23T09:00:00Z"}
    cases = [
        {**base, "counter": 2**64},
        {**base, "counter": "one"},
        {**base, "counter": 1, "state": {"page": "a\x00b"}},
        {**base, "counter": 1, "state": {"blob": "x" * 20_000}},
        {**base, "counter": 1, "events": [{"id": "e" * 65, "kind": "x", "at": "2026-11-23T09:00:00Z"}]},
        {**base, "counter": 1, "events": [{"id": "e", "kind": "bad kind", "at": "2026-11-23T09:00:00Z"}]},
        {**base, "counter": 1, "events": "nope"},
        {**base, "counter": 1, "acks": [0]},
        {**base, "counter": 1, "ts": "9999-12-31T23:59:59-05:00"},
        {**base, "counter": 1, "install_id": "bad id with spaces"},
    ]
    for body in cases:
        response = device.signed("heartbeat", body)
        assert response.status_code == 422, (body, response.text)
    malformed = device.signed("heartbeat", {}, raw=b'{"install_id": ')
    assert malformed.status_code == 422 and malformed.json()["error"] == "invalid_request"


# --- events and instructions -----------------------------------------------------------------


def test_events_are_stored_once_per_id(app, device):
    event = _event("url_blocked", url="https://example.org/", rule="default")
    assert device.heartbeat(events=[event, event]).status_code == 200
    assert device.heartbeat(events=[event, _event("screen_count", count=2)]).status_code == 200
    with app.state.sessions() as db:
        kinds = db.scalars(select(KioskEvent.kind).order_by(KioskEvent.id)).all()
        stored = db.scalars(select(KioskEvent).where(KioskEvent.event_id == event["id"])).one()
    assert kinds == ["url_blocked", "screen_count"]
    assert stored.payload["url"] == "https://example.org/" and str(stored.occurred_at) == "2026-11-23 09:00:10"


def test_instructions_are_repeated_until_acknowledged(app, device):
    with app.state.sessions.begin() as db:
        db.add_all(
            [
                KioskInstruction(install_id=device.install_id, kind="unlock", payload={}),
                KioskInstruction(install_id=device.install_id, kind="notify", payload={"message": "Bonjour"}),
            ]
        )
    first = device.heartbeat().json()["instructions"]
    assert [(i["kind"], i["payload"]) for i in first] == [("unlock", {}), ("notify", {"message": "Bonjour"})]
    assert device.heartbeat().json()["instructions"] == first
    remaining = device.heartbeat(acks=[first[0]["id"]]).json()["instructions"]
    assert remaining == first[1:]
    with app.state.sessions() as db:
        assert db.get(KioskInstruction, first[0]["id"]).acked_at is not None


def test_a_kiosk_cannot_acknowledge_another_kiosks_instruction(app, client, device):
    other = Device(client, "pc-other")
    other.enrol()
    with app.state.sessions.begin() as db:
        db.add(KioskInstruction(install_id=device.install_id, kind="quit", payload={}))
    instruction = device.heartbeat().json()["instructions"][0]
    assert other.heartbeat(acks=[instruction["id"]]).status_code == 200
    assert device.heartbeat().json()["instructions"] == [instruction]


def test_a_kiosk_focus_loss_event_marks_the_pending_focused_question(app, client, seeded, device):
    kiosk = _signed_in(app, client, seeded, device)
    authorise(app, kiosk.candidate_id)
    kiosk.post("/candidate/course/start")
    challenge = kiosk.force(lambda c: c.focused and c.type == "QCU")
    device.heartbeat(events=[_event("focus_lost", challenge_id="another-question")])
    assert course_row(app, kiosk.candidate_id).pending_focus_lost is False
    device.heartbeat(events=[_event("focus_lost", challenge_id=challenge.id)])
    assert course_row(app, kiosk.candidate_id).pending_focus_lost is True
    kiosk.answer(challenge.id, challenge.solution)
    with app.state.sessions() as db:
        event = db.scalars(select(KioskEvent).where(KioskEvent.kind == "focus_lost")).first()
        assert event.candidate_id == kiosk.candidate_id
        status = db.scalars(select(Course)).one().answers[0].status
    assert status == "focusedOut"


def test_a_focus_loss_seen_before_the_question_was_shown_does_not_count(app, client, seeded, device, clock):
    kiosk = _signed_in(app, client, seeded, device)
    authorise(app, kiosk.candidate_id)
    kiosk.post("/candidate/course/start")
    clock.advance(minutes=2)
    kiosk.force(lambda c: c.focused)
    clock.advance(seconds=10)
    late = _event("focus_lost")  # at 09:00:10, the question was shown at 09:02:00
    device.heartbeat(events=[late], ts="2026-11-23T09:02:10Z")
    assert course_row(app, kiosk.candidate_id).pending_focus_lost is False
    recent = {**_event("focus_lost"), "at": "2026-11-23T11:02:05+02:00"}  # the kiosk's clock runs 0 s apart
    device.heartbeat(events=[recent], ts="2026-11-23T11:02:10+02:00")
    assert course_row(app, kiosk.candidate_id).pending_focus_lost is True


# --- unlock ----------------------------------------------------------------------------------


def _code(app, demo: dict, device: Device, lock_counter: int = 1) -> str:
    return unlock_code(app.state.settings.secret_key, demo["session_id"], device.install_id, lock_counter)


def test_the_right_unlock_code_unlocks_once(app, client, seeded, device):
    _signed_in(app, client, seeded, device)
    response = device.unlock(_code(app, seeded, device))
    assert response.status_code == 200 and response.json() == {"unlocked": True, "nonce": device.nonce}
    again = device.unlock(_code(app, seeded, device))
    assert again.status_code == 409 and again.json()["error"] == "code_used"
    assert device.unlock(_code(app, seeded, device, 2), lock_counter=2).status_code == 200
    assert device.heartbeat().status_code == 200  # an unlock does not rotate the nonce
    with app.state.sessions() as db:
        assert db.scalar(select(func.count()).where(KioskEvent.kind == "unlock_accepted")) == 2


def test_a_code_for_another_lock_is_wrong(app, client, seeded, device, caplog):
    _signed_in(app, client, seeded, device)
    response = device.unlock(_code(app, seeded, device, 1), lock_counter=2)
    assert response.status_code == 403 and response.json()["error"] == "wrong_unlock_code"


def test_five_wrong_codes_make_the_kiosk_wait_30_seconds_then_longer(app, client, seeded, device, clock, caplog):
    _signed_in(app, client, seeded, device)
    right = _code(app, seeded, device)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        assert device.unlock(wrong).json()["error"] == "wrong_unlock_code"
    blocked = device.unlock(right)
    assert blocked.status_code == 429 and blocked.json()["error"] == "too_many_attempts"
    assert "30 s" in blocked.json()["message"]
    clock.advance(seconds=31)
    assert device.unlock(wrong).status_code == 403
    clock.advance(seconds=31)
    assert device.unlock(right).status_code == 429  # the sixth failure doubled the wait to 60 s
    clock.advance(seconds=30)
    assert device.unlock(right).status_code == 200
    with app.state.sessions() as db:
        assert db.scalar(select(func.count()).where(KioskEvent.kind == "unlock_refused")) == 6


def test_unlock_needs_a_signed_in_candidate_and_a_valid_signature(app, client, seeded, device):
    nobody = device.unlock("123456")
    assert nobody.status_code == 409 and nobody.json()["error"] == "no_candidate"
    _signed_in(app, client, seeded, device)
    body = device.envelope(code=_code(app, seeded, device), lock_counter=1)
    forged = device.signed("unlock", body, key=Ed25519PrivateKey.generate())
    assert forged.status_code == 401
    assert device.signed("unlock", body).status_code == 200
    assert device.signed("unlock", body).json()["error"] == "stale_counter"


def test_the_unlock_code_is_bound_to_the_candidates_session(app, client, seeded, device):
    _signed_in(app, client, seeded, device)
    with app.state.sessions() as db:
        candidate = db.scalars(select(Candidate).where(Candidate.last_name == "Martin")).one()
        assert db.get(KioskDevice, device.install_id).candidate_id == candidate.id
    other_session = unlock_code(app.state.settings.secret_key, seeded["session_id"] + 1, device.install_id, 1)
    assert device.unlock(other_session).status_code in (403, 429)


def test_the_openapi_lists_the_kiosk_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {f"{API}/kiosk/devices", f"{API}/kiosk/heartbeat", f"{API}/kiosk/unlock"} <= set(paths)


def test_an_absurd_kiosk_clock_does_not_break_the_heartbeat(app, client, seeded, device):
    kiosk = _signed_in(app, client, seeded, device)
    authorise(app, kiosk.candidate_id)
    kiosk.post("/candidate/course/start")
    kiosk.force(lambda c: c.focused)
    event = {**_event("focus_lost"), "at": "9999-12-30T00:00:00Z"}
    assert device.heartbeat(events=[event], ts="0001-01-02T00:00:00Z").status_code == 200
    assert course_row(app, kiosk.candidate_id).pending_focus_lost is False
