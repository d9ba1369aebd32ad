"""The sync package against the real server (uvicorn in a thread, SQLite)."""

from __future__ import annotations

import dataclasses
import json
import socket

import httpx
import pytest
from sqlalchemy import select

from app.sync.client import KioskApiClient, RetryPolicy, SyncConfig, Syncer, enrol
from app.sync.device import Device
from app.sync.errors import SyncError, SyncErrorKind
from app.sync.journal import ANSWER, CourseKey, Journal
from server.models import Answer, Candidate, KioskEvent
from tests.server import conftest as server_fixtures

# The server's fixtures, made visible to pytest here (a non-root conftest may not use pytest_plugins).
_cheap_password_hashing = server_fixtures._cheap_password_hashing
clock = server_fixtures.clock
live_server = server_fixtures.live_server
live_demo = server_fixtures.live_demo

FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)




def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nobody listens there once the socket is closed


def answer_for(challenge: dict) -> dict:
    kind = challenge["type"]
    if kind in ("QCU", "QCM"):
        return {"challenge_id": challenge["id"], "value": "1"}
    if kind == "QROC":
        return {"challenge_id": challenge["id"], "value": "réponse"}
    return {"challenge_id": challenge["id"], "skip": True}


@pytest.fixture
def kiosk(tmp_path, live_server, live_demo, mem_keyring):
    device = Device(tmp_path / "kiosk")
    journal = Journal(tmp_path / "kiosk", marker_key=device.marker_key())
    http = httpx.Client()
    config = SyncConfig(base_url=live_server, connect_timeout=2, read_timeout=5, retry=FAST)
    client = KioskApiClient(config, http, sleep=lambda _s: None)
    yield device, journal, client
    journal.close()
    http.close()


def join_and_start(live_server, live_demo, device, client) -> CourseKey:
    enrol(client, device, name="Salle B12 poste 3")
    person = live_demo["candidates"][0]
    joined = client.join(
        session_id=live_demo["session_id"], access_code=live_demo["access_code"], install_id=device.install_id, **person
    )
    course = CourseKey(joined["session"]["id"], joined["candidate"]["id"])
    assert client.wait_for_authorisation(wait=0)["authorised"] is False
    with live_server.app.state.sessions.begin() as db:
        db.get(Candidate, course.candidate_id).authorized_to_start = True
    assert client.wait_for_authorisation(wait=1)["authorised"] is True
    assert client.start()["resumed"] is False
    return course


def server_answers(live_server) -> list[str]:
    with live_server.app.state.sessions.begin() as db:
        return list(db.scalars(select(Answer.client_uuid)))


def test_every_journaled_answer_reaches_the_server_exactly_once_across_a_network_loss(live_server, live_demo, kiosk):
    device, journal, client = kiosk
    course = join_and_start(live_server, live_demo, device, client)
    journal.start_course(install_id=device.install_id, course=course)
    online = Syncer(journal, client)
    offline_http = httpx.Client()
    offline_client = KioskApiClient(
        dataclasses.replace(client.config, base_url=closed_port_url()), offline_http, sleep=lambda _s: None
    )
    offline_client.token = client.token
    offline = Syncer(journal, offline_client)

    for number in range(5):
        challenge = client.current_challenge()["challenge"]
        entry = journal.append(ANSWER, course, answer_for(challenge))
        if number == 2:  # the network goes down: the answer stays in the journal
            report = offline.flush(course)
            assert report.error.kind is SyncErrorKind.NETWORK and report.remaining == 1
            assert [e.client_uuid for e in journal.pending()] == [entry.client_uuid]
        report = online.flush(course)  # back on line
        assert report.complete and report.sent[-1].client_uuid == entry.client_uuid
        assert report.rejected == []
    offline_http.close()

    # A replay of an answer already kept gets its first receipt back and adds nothing.
    first = journal.entries()[0]
    again = client.send_answer({**first.payload, "uuid": first.client_uuid})
    assert again == first.server_reply

    journaled = [e.client_uuid for e in journal.entries() if e.kind == ANSWER]
    on_server = server_answers(live_server)
    assert sorted(on_server) == sorted(journaled) and len(on_server) == 5
    assert client.current_challenge()["question_number"] == 6
    assert journal.unfinished_course().course == course


def test_signed_heartbeats_are_accepted_and_a_replayed_counter_is_refused(live_server, live_demo, kiosk):
    device, journal, client = kiosk
    course = join_and_start(live_server, live_demo, device, client)
    syncer = Syncer(journal, client)
    event = syncer.record_event(course, "lock_shown", {"reason": "test"})

    reply = syncer.heartbeat(device, state={"screen": "question"})
    assert reply["nonce"] == device.nonce and reply["instructions"] == []
    assert journal.pending() == []
    reply = syncer.heartbeat(device, state={"screen": "question"})
    assert reply["nonce"] == device.nonce

    with live_server.app.state.sessions.begin() as db:
        events = list(db.scalars(select(KioskEvent).where(KioskEvent.install_id == device.install_id)))
    assert [(e.event_id, e.kind) for e in events] == [(event.client_uuid, "lock_shown")]

    body, signature = device.heartbeat_body()
    client.heartbeat(body, signature)
    with pytest.raises(SyncError) as replayed:
        client.heartbeat(body, signature)
    assert replayed.value.kind is SyncErrorKind.CONFLICT and replayed.value.code == "stale_counter"

    body, _ = device.heartbeat_body()
    forged = device.sign(body.replace(b'"state":{}', b'"state":{"x":1}'))
    with pytest.raises(SyncError) as bad:
        client.heartbeat(body, forged)
    assert bad.value.kind is SyncErrorKind.AUTH and bad.value.code == "bad_signature"


def test_a_lost_heartbeat_reply_is_recovered_by_enrolling_again(live_server, live_demo, kiosk):
    device, journal, client = kiosk
    join_and_start(live_server, live_demo, device, client)
    syncer = Syncer(journal, client)
    body, signature = device.heartbeat_body()
    client.heartbeat(body, signature)  # accepted, but the kiosk never stores the new nonce
    reply = syncer.heartbeat(device)  # stale nonce -> enrol again -> accepted
    assert reply["nonce"] == device.nonce
    assert json.loads(device.heartbeat_body()[0])["counter"] > 2
