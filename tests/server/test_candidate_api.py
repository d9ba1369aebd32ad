"""The candidate API's edges: join and its refusals, the long-polls, attachments, bad input (4xx, never 500)."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from cadenas.resources import DEFAULT_BANK
from server.models import (
    Candidate,
    CandidateToken,
    CertificationVersion,
    Course,
    ExamSession,
    KioskDevice,
    Result,
)
from server.security import hash_password
from tests.server.test_course_flow import API, authorise, course_row, join, joined, seed, started


@pytest.fixture
def seeded(app, client, clock):
    return seed(app, clock)


@pytest.fixture
def kiosk(app, client, seeded):
    return started(app, client, seeded)


# --- join ------------------------------------------------------------------------------------


def test_join_ignores_case_accents_and_spaces_and_returns_what_the_kiosk_needs(app, client, seeded):
    response = join(
        client, seeded, 0, last_name="  martin ", first_name="LEA", access_code=seeded["access_code"].lower()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["session"]["id"] == seeded["session_id"] and body["session"]["url_rules"] == {}
    assert body["candidate"]["display_name"] == "Léa Martin" and body["candidate"]["extra_time_percentage"] == 0
    assert body["has_course"] is False and body["course"] is None and body["token_type"] == "bearer"
    with app.state.sessions() as db:
        stored = db.scalars(select(CandidateToken.token_hash)).all()
    assert body["token"] not in stored and len(stored) == 1
    assert body["expires_at"] == "2026-11-24T09:00:00"


def test_join_returns_the_session_url_rules(app, client, seeded):
    rules = {
        "default": "block",
        "rules": [{"id": "r1", "action": "allow", "kind": "simplified", "pattern": "fr.wikipedia.org"}],
    }
    with app.state.sessions.begin() as db:
        db.get(ExamSession, seeded["session_id"]).url_rules = rules
    assert join(client, seeded).json()["session"]["url_rules"] == rules


def test_join_refusals_name_the_problem(client, seeded, caplog):
    cases = [
        ({"session_id": 999}, 404, "session_not_found"),
        ({"access_code": "BCDF22"}, 403, "wrong_access_code"),
        ({"last_name": "Dupont"}, 403, "not_enrolled"),
        ({"birth_date": "2010-03-15"}, 403, "not_enrolled"),
    ]
    for overrides, status, code in cases:
        response = join(client, seeded, 0, **overrides)
        assert response.status_code == status
        assert response.json()["error"] == code and response.json()["message"]
    assert {"join_wrong_access_code", "join_not_enrolled"} <= {getattr(r, "event", "") for r in caplog.records}


def test_join_is_refused_once_the_session_is_finalised(app, client, seeded):
    with app.state.sessions.begin() as db:
        db.get(ExamSession, seeded["session_id"]).status = "finalized"
    response = join(client, seeded)
    assert response.status_code == 403 and response.json()["error"] == "session_not_open"


def test_join_binds_an_enrolled_kiosk_to_the_candidate(app, client, seeded):
    with app.state.sessions.begin() as db:
        db.add(KioskDevice(install_id="pc-12", public_key="x" * 44, nonce="n"))
    body = join(client, seeded, 0, install_id="pc-12").json()
    with app.state.sessions() as db:
        assert db.get(KioskDevice, "pc-12").candidate_id == body["candidate"]["id"]
    assert join(client, seeded, 0, install_id="unknown-pc").status_code == 200


def _other_session(app, clock, course_state: str, result_status: str | None, days_ago: float) -> None:
    """Léa Martin (the same person, spelt differently) took a course in another session."""
    with app.state.sessions.begin() as db:
        first = db.scalars(select(ExamSession)).first()
        other = ExamSession(
            centre_id=first.centre_id,
            date=clock().date(),
            access_code="BCDF23",
            invigilator_password_hash=hash_password("x"),
        )
        person = Candidate(session=other, last_name="MARTIN", first_name="Léa", birth_date=dt.date(2010, 3, 14))
        db.add_all([other, person])
        db.flush()
        created = clock() - dt.timedelta(days=days_ago)
        course = Course(
            candidate=person,
            session_id=other.id,
            version_id="v3",
            seed=1,
            state=course_state,
            verification_code="P-BCDFGHJK",
            created_at=created,
            deadline=created,
        )
        db.add(course)
        db.flush()
        if result_status:
            db.add(Result(course_id=course.id, status=result_status))


@pytest.mark.parametrize(
    ("state", "result", "days_ago", "refused"),
    [
        ("completed", "validated", 14, True),
        ("started", None, 1, True),
        ("completed", "validated", 16, False),
        ("completed", "rejected", 3, False),
        ("endedByInvigilator", None, 3, False),
    ],
)
def test_the_15_day_rule_refuses_a_recently_certified_person(
    app, client, clock, seeded, state, result, days_ago, refused
):
    _other_session(app, clock, state, result, days_ago)
    response = join(client, seeded, 0)
    if refused:
        assert response.status_code == 409 and response.json()["error"] == "already_certified"
    else:
        assert response.status_code == 200


def test_a_candidate_may_join_again_after_a_crash_and_sees_the_course(app, client, seeded):
    first = started(app, client, seeded)
    first.pending()
    again = join(client, seeded).json()
    assert again["has_course"] is True and again["course"] == {"state": "started", "answered": 0, "finished": False}


# --- long-polls ------------------------------------------------------------------------------


def test_the_authorisation_long_poll_answers_as_soon_as_the_invigilator_authorises(app, client, seeded):
    waiting = joined(app, client, seeded)
    timer = threading.Timer(0.3, authorise, args=(app, waiting.candidate_id))
    began = time.monotonic()
    timer.start()
    try:
        body = waiting.get("/candidate/authorisation", params={"wait": 10}).json()
    finally:
        timer.join()
    assert body == {"authorised": True, "course": None}
    assert 0.25 < time.monotonic() - began < 5


def test_the_authorisation_long_poll_gives_up_after_the_wait(app, client, seeded):
    waiting = joined(app, client, seeded)
    began = time.monotonic()
    assert waiting.get("/candidate/authorisation", params={"wait": 0.6}).json()["authorised"] is False
    assert 0.5 < time.monotonic() - began < 3


def test_the_long_polls_need_a_valid_token(client):
    for path in ("/candidate/authorisation", "/candidate/live-alerts/current"):
        assert client.get(f"{API}{path}?wait=0").json()["error"] == "missing_token"
        bad = client.get(f"{API}{path}?wait=0", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"


def test_the_live_alert_long_poll_without_any_report_answers_at_once(kiosk):
    assert kiosk.get("/candidate/live-alerts/current", params={"wait": 10}).json() == {"alert": None}


# --- attachments -----------------------------------------------------------------------------


def test_an_asked_challenge_attachment_is_downloaded_as_a_file(kiosk, app):
    challenge = kiosk.force(lambda c: bool(c.attachments))
    link = kiosk.pending()["challenge"]["attachments"][0]
    response = kiosk.client.get(link["url"], headers=kiosk.headers)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content == (DEFAULT_BANK / "files" / challenge.attachments[0]).read_bytes()


def test_attachments_of_challenges_not_asked_or_unknown_files_are_not_served(app, client, seeded):
    mine, other = started(app, client, seeded, 0), started(app, client, seeded, 1)
    challenge = mine.force(lambda c: bool(c.attachments))
    other.pending()
    name = challenge.attachments[0].rsplit("/", 1)[-1]
    stranger = other.get(f"/candidate/attachments/{challenge.id}/{name}")
    assert stranger.status_code == 404 and stranger.json()["error"] == "unknown_challenge"
    for bad in (f"{challenge.id}/nope.csv", f"{challenge.id}/..%2F..%2Fcompetences%2F1.1.yaml"):
        response = mine.get(f"/candidate/attachments/{bad}")
        assert response.status_code == 404
    assert client.get(f"{API}/candidate/attachments/{challenge.id}/{name}").status_code == 401


# --- lack of challenges ----------------------------------------------------------------------


def test_running_out_of_challenges_is_a_409_for_the_technical_problem_screen(
    app, client, clock, seeded, tmp_path, caplog
):
    bank = tmp_path / "small-bank"
    (bank / "competences").mkdir(parents=True)
    shutil.copy(DEFAULT_BANK / "competences" / "1.1.yaml", bank / "competences" / "1.1.yaml")
    with app.state.sessions.begin() as db:
        version = CertificationVersion(
            id=f"tiny-{uuid.uuid4().hex[:8]}", start_date=clock().date(), bank_dir=str(bank), config={}
        )
        db.add(version)
    small = started(app, client, seeded)
    assert course_row(app, small.candidate_id).version_id.startswith("tiny-")
    for _ in range(10):
        response = small.get("/candidate/challenge")
        if response.status_code == 409:
            break
        small.answer(response.json()["challenge"]["id"], "#ABAND#")
    assert response.json()["error"] == "lack_of_challenges"
    assert "lack_of_challenges" in [getattr(r, "event", "") for r in caplog.records]


# --- bad input: always a 4xx with a message --------------------------------------------------


def _assert_4xx(response, status: int | None = None) -> dict:
    assert 400 <= response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"} and body["message"]
    return body


def test_malformed_json_and_wrong_types_are_422(kiosk):
    challenge_id = kiosk.pending()["challenge"]["id"]
    raw = kiosk.post("/candidate/answers", content=b"{not json", headers={"content-type": "application/json"})
    assert _assert_4xx(raw, 422)["error"] == "invalid_request"
    cases = [
        {"uuid": "not-a-uuid", "challenge_id": challenge_id, "value": "1"},
        {"uuid": str(uuid.uuid4()), "challenge_id": 12, "value": "1"},
        {"uuid": str(uuid.uuid4()), "challenge_id": challenge_id, "value": ["1"]},
        {"uuid": str(uuid.uuid4()), "challenge_id": challenge_id, "value": "1", "timeout": "soon"},
        {"uuid": str(uuid.uuid4()), "challenge_id": challenge_id, "value": "1", "timeout": 10**12},
        {"uuid": str(uuid.uuid4()), "challenge_id": challenge_id, "value": "a\x00b"},
        {"uuid": str(uuid.uuid4()), "challenge_id": "x" * 101, "value": "1"},
        {"uuid": str(uuid.uuid4()), "challenge_id": challenge_id, "value": "1", "elapsed": -3},
        [],
    ]
    for body in cases:
        _assert_4xx(kiosk.post("/candidate/answers", json=body), 422)


def test_a_mapping_answer_to_a_single_choice_question_is_refused(kiosk):
    challenge = kiosk.force(lambda c: c.type == "QCU")
    response = kiosk.answer(challenge.id, {"a": "1"})
    assert _assert_4xx(response, 422)["error"] == "invalid_answer"


def test_an_unreadable_qrocm_answer_is_refused_not_stored(kiosk, app):
    challenge = kiosk.force(lambda c: c.type == "QROCM-ind")
    assert _assert_4xx(kiosk.answer(challenge.id, "just: [unbalanced"), 422)["error"] == "invalid_answer"
    assert kiosk.answer(challenge.id, "#ABAND#").status_code == 200


def test_bad_join_input_is_refused_with_a_message(client, seeded):
    cases = [
        {},
        {"session_id": "one", "access_code": "X", "last_name": "a", "first_name": "b", "birth_date": "2010-01-01"},
        {"session_id": 2**40, "access_code": "X", "last_name": "a", "first_name": "b", "birth_date": "2010-01-01"},
        {"session_id": 1, "access_code": "X", "last_name": "a", "first_name": "b", "birth_date": "2010-02-30"},
        {"session_id": 1, "access_code": "X", "last_name": "", "first_name": "b", "birth_date": "2010-01-01"},
        {"session_id": 1, "access_code": "X", "last_name": "a" * 101, "first_name": "b", "birth_date": "2010-01-01"},
        {"session_id": 1, "access_code": "X\x00", "last_name": "a", "first_name": "b", "birth_date": "2010-01-01"},
        {
            "session_id": 1,
            "access_code": "X",
            "last_name": "a",
            "first_name": "b",
            "birth_date": "2010-01-01",
            "install_id": "../../etc",
        },
    ]
    for body in cases:
        _assert_4xx(client.post(f"{API}/sessions/join", json=body), 422)
    accented = join(client, seeded, 0, access_code="ÉÉÉÉ22")
    assert _assert_4xx(accented, 403)["error"] == "wrong_access_code"


def test_a_huge_payload_is_refused_with_413(kiosk):
    body = b'{"uuid": "' + b"x" * 300_000 + b'"}'
    response = kiosk.post("/candidate/answers", content=body, headers={"content-type": "application/json"})
    assert _assert_4xx(response, 413)["error"] == "payload_too_large"


def test_candidate_routes_need_a_token_and_a_course(app, client, seeded):
    for method, path in [
        ("GET", "/candidate/challenge"),
        ("POST", "/candidate/course/start"),
        ("GET", "/candidate/course"),
        ("POST", "/candidate/live-alerts"),
    ]:
        assert _assert_4xx(client.request(method, f"{API}{path}"), 401)["error"] == "missing_token"
    fresh = joined(app, client, seeded)
    for method, path in [
        ("GET", "/candidate/challenge"),
        ("GET", "/candidate/course"),
        ("POST", "/candidate/live-alerts"),
    ]:
        assert _assert_4xx(fresh.request(method, path), 404)["error"] == "no_course"
    answer = fresh.answer("c11-x-1a", "1")
    assert _assert_4xx(answer, 404)["error"] == "no_course"


def test_an_expired_token_is_refused(kiosk, clock):
    clock.advance(hours=24, seconds=1)
    assert _assert_4xx(kiosk.get("/candidate/challenge"), 401)["error"] == "invalid_token"


def test_another_candidates_challenge_cannot_be_answered_or_reported(app, client, seeded):
    mine, other = started(app, client, seeded, 0), started(app, client, seeded, 1)
    mine_id = mine.force(lambda c: c.type == "QCU").id
    other.force(lambda c: c.type == "QCM")
    assert _assert_4xx(other.answer(mine_id, "1"), 404)["error"] == "unknown_challenge"
    focus = {"uuid": str(uuid.uuid4()), "challenge_id": mine_id, "at": "2026-11-23T09:01:00"}
    assert _assert_4xx(other.post("/candidate/focus-out", json=focus), 404)["error"] == "unknown_challenge"
    alert = other.post("/candidate/live-alerts", json={"challenge_id": mine_id})
    assert _assert_4xx(alert, 409)["error"] == "not_pending"


def test_answers_are_refused_once_the_session_is_finalised(kiosk, app, seeded):
    challenge_id = kiosk.pending()["challenge"]["id"]
    with app.state.sessions.begin() as db:
        db.get(ExamSession, seeded["session_id"]).status = "finalized"
    assert _assert_4xx(kiosk.answer(challenge_id, "1"), 409)["error"] == "session_finalised"


def test_answers_are_refused_once_the_invigilator_ended_the_test(kiosk, app):
    challenge_id = kiosk.pending()["challenge"]["id"]
    with app.state.sessions.begin() as db:
        db.scalars(select(Course)).one().state = "endedByInvigilator"
    assert _assert_4xx(kiosk.answer(challenge_id, "1"), 409)["error"] == "course_ended"
    assert kiosk.pending() | {"challenge": None} == kiosk.pending()
    assert kiosk.pending()["finished"] is True and kiosk.pending()["state"] == "endedByInvigilator"
    authorise(app, kiosk.candidate_id)
    assert _assert_4xx(kiosk.post("/candidate/course/start"), 409)["error"] == "course_ended"


def test_bad_focus_out_and_alert_bodies_are_422(kiosk):
    challenge_id = kiosk.pending()["challenge"]["id"]
    for body in [
        {"uuid": str(uuid.uuid4()), "challenge_id": challenge_id, "at": "yesterday"},
        {"uuid": str(uuid.uuid4()), "challenge_id": challenge_id, "at": "0001-01-01T00:00:00+01:00"},
        {"challenge_id": challenge_id},
    ]:
        _assert_4xx(kiosk.post("/candidate/focus-out", json=body), 422)
    _assert_4xx(kiosk.post("/candidate/live-alerts", json={"challenge_id": 5}), 422)
    _assert_4xx(kiosk.get("/candidate/authorisation", params={"wait": 1000}), 422)
    _assert_4xx(kiosk.get("/candidate/authorisation", params={"wait": "long"}), 422)


def test_the_openapi_lists_every_candidate_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in [
        "/sessions/join",
        "/candidate/authorisation",
        "/candidate/course/start",
        "/candidate/challenge",
        "/candidate/answers",
        "/candidate/live-alerts",
        "/candidate/live-alerts/current",
        "/candidate/focus-out",
        "/candidate/course",
        "/candidate/attachments/{challenge_id}/{name}",
    ]:
        assert f"{API}{path}" in paths
