"""A course through the candidate API: start, 32 answers, resume, time limit, live alerts, focus, timers.

The helpers at the top (a committed demo seed, a kiosk-side client that checks every response
for leaked answer keys) are shared with the other candidate and kiosk API tests.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, select

from engine.bank import Challenge
from engine.validation import SKIP, correct_answer, solution_lines, template_fields
from server.models import Answer, AskedChallenge, Candidate, CertificationVersion, Course, LiveAlert, Result
from server.seed import seed_demo
from server.services.versions import VersionCatalog

API = "/api/v1"
#: Keys no response to the kiosk may ever hold (architecture §1, issue 5 §7).
FORBIDDEN_KEYS = {"solution", "tolerances", "discriminant", "difficulty", "calibration", "skill", "tube", "format"}
#: One parsed bank for every test (a catalog holds no request state; parsing the bank takes 0.4 s).
SHARED_CATALOG = VersionCatalog()


def seed(app, clock) -> dict:
    """The demo centre, session and three candidates, committed (the CLI's --seed-demo)."""
    app.state.catalog = SHARED_CATALOG
    with app.state.sessions.begin() as db:
        return seed_demo(db, today=clock().date())


@pytest.fixture
def seeded(app, client, clock):
    return seed(app, clock)


def challenge_of(app, challenge_id: str) -> Challenge:
    """A challenge of the default version's bank (the test may read solutions; the API may not send them)."""
    with app.state.sessions() as db:
        version = db.scalars(select(CertificationVersion)).first()
        return app.state.catalog.challenge(version, challenge_id)


def correct_value(challenge: Challenge):
    """A value the engine validates as ``ok`` for ``challenge``."""
    return correct_answer(challenge)


def wrong_value(challenge: Challenge):
    """A value that is ``ko`` for ``challenge``."""
    if challenge.type == "QCU":
        return "1" if challenge.solution != "1" else "2"
    if challenge.type == "QCM":
        return "1" if challenge.solution != "1" else "2"
    if challenge.type == "QROC":
        return "zzzz-certainement-faux"
    return {f.key: "zzzz-certainement-faux" for f in template_fields(challenge.proposals)}


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value)) if value else set()
    return set()


class Kiosk:
    """The candidate side of the API for one token; every response is checked for leaks."""

    def __init__(self, app, client, token: str, candidate_id: int) -> None:
        self.app, self.client, self.token, self.candidate_id = app, client, token, candidate_id
        self.headers = {"Authorization": f"Bearer {token}"}
        self.responses = 0

    def request(self, method: str, path: str, headers: dict | None = None, **kwargs):
        response = self.client.request(method, f"{API}{path}", headers={**self.headers, **(headers or {})}, **kwargs)
        self.check_no_leak(response)
        return response

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def check_no_leak(self, response) -> None:
        self.responses += 1
        assert response.status_code < 500, response.text
        if not response.headers.get("content-type", "").startswith("application/json"):
            return
        body = response.json()
        assert not (_keys(body) & FORBIDDEN_KEYS), f"leaked keys {_keys(body) & FORBIDDEN_KEYS} in {body}"
        text = response.text
        with self.app.state.sessions() as db:
            asked = db.scalars(select(AskedChallenge.challenge_id)).all()
        for challenge_id in asked:
            if challenge_id not in text:
                continue
            challenge = challenge_of(self.app, challenge_id)
            assert json.dumps(challenge.solution)[1:-1] not in text or len(challenge.solution) < 3
            if challenge.type == "QROC":
                for line in solution_lines(challenge.solution):
                    if len(line) >= 4 and not line.replace(",", "").replace(".", "").isdigit():
                        assert json.dumps(line)[1:-1] not in text, f"solution of {challenge_id} leaked"

    def pending(self) -> dict:
        response = self.get("/candidate/challenge")
        assert response.status_code == 200, response.text
        return response.json()

    def answer(self, challenge_id: str, value, **extra):
        body = {"uuid": str(uuid.uuid4()), "challenge_id": challenge_id, "value": value, **extra}
        return self.post("/candidate/answers", json=body)

    def answer_pending(self, *, correct: bool = True, **extra):
        current = self.pending()
        challenge = challenge_of(self.app, current["challenge"]["id"])
        value = correct_value(challenge) if correct else wrong_value(challenge)
        response = self.answer(challenge.id, value, **extra)
        assert response.status_code == 200, response.text
        return current, response.json()

    def force(self, predicate) -> Challenge:
        """Make the first bank challenge matching ``predicate`` the pending one, as if the engine drew it.

        Call it when no question is pending (right after the start, or after an answer): the draw
        is random, and the tests need a timed, focused or QROCM question on demand.
        """
        now = self.app.state.clock()
        with self.app.state.sessions.begin() as db:
            course = db.scalars(select(Course).where(Course.candidate_id == self.candidate_id)).one()
            version = db.get(CertificationVersion, course.version_id)
            asked = db.scalars(select(AskedChallenge.challenge_id).where(AskedChallenge.course_id == course.id)).all()
            pool = self.app.state.catalog.pool(version, course.locale)
            challenge = next(c for c in pool.challenges if predicate(c) and c.id not in asked)
            db.add(
                AskedChallenge(
                    course_id=course.id,
                    challenge_id=challenge.id,
                    skill=challenge.skill,
                    tube=challenge.tube,
                    competence=challenge.competence,
                    question_index=len(asked),
                    discriminant=challenge.discriminant,
                    difficulty=challenge.difficulty,
                    asked_at=now,
                )
            )
            course.question_shown_at = now
        return challenge


def join(client, seeded, index: int = 0, **overrides):
    """POST the sign-in of the demo's candidate ``index`` (fields overridable)."""
    person = seeded["candidates"][index]
    body = {
        "session_id": seeded["session_id"],
        "access_code": seeded["access_code"],
        "last_name": person["last_name"],
        "first_name": person["first_name"],
        "birth_date": person["birth_date"],
        **overrides,
    }
    return client.post(f"{API}/sessions/join", json=body)


def authorise(app, candidate_id: int, value: bool = True) -> None:
    """What the invigilator's "authorise" button does (the portal is tested elsewhere)."""
    with app.state.sessions.begin() as db:
        db.get(Candidate, candidate_id).authorized_to_start = value


def joined(app, client, seeded, index: int = 0) -> Kiosk:
    """A kiosk signed in as candidate ``index``."""
    response = join(client, seeded, index)
    assert response.status_code == 200, response.text
    body = response.json()
    return Kiosk(app, client, body["token"], body["candidate"]["id"])


def started(app, client, seeded, index: int = 0) -> Kiosk:
    """A kiosk whose candidate was authorised and started the course."""
    kiosk = joined(app, client, seeded, index)
    authorise(app, kiosk.candidate_id)
    assert kiosk.post("/candidate/course/start").status_code == 200
    return kiosk


def course_row(app, candidate_id: int) -> Course:
    with app.state.sessions() as db:
        return db.scalars(select(Course).where(Course.candidate_id == candidate_id)).one()


@pytest.fixture
def kiosk(app, client, seeded) -> Kiosk:
    return started(app, client, seeded)


# --- the whole course ------------------------------------------------------------------------


def test_a_whole_course_is_answered_completed_and_scored_without_leaking_solutions(app, client, seeded):
    kiosk = joined(app, client, seeded)
    waiting = kiosk.get("/candidate/authorisation", params={"wait": 0}).json()
    assert waiting == {"authorised": False, "course": None}
    authorise(app, kiosk.candidate_id)
    assert kiosk.get("/candidate/authorisation", params={"wait": 0}).json()["authorised"] is True
    start = kiosk.post("/candidate/course/start").json()
    assert start["resumed"] is False and start["question_number"] == 1 and start["seconds_left"] == 105 * 60
    numbers = []
    for k in range(1, 33):
        current, receipt = kiosk.answer_pending()
        numbers.append(current["question_number"])
        assert receipt["answered"] == k
        assert receipt["next"] == ("end" if k == 32 else "challenge")
        assert "status" not in receipt
    assert numbers == list(range(1, 33))
    assert kiosk.pending() == {
        "finished": True,
        "state": "completed",
        "question_number": 32,
        "question_count": 32,
        "seconds_left": 0,
        "timer_seconds_left": None,
        "live_alert": None,
        "challenge": None,
    }
    assert kiosk.get("/candidate/course").json() == {"state": "completed", "answered": 32, "finished": True}
    course = course_row(app, kiosk.candidate_id)
    with app.state.sessions() as db:
        result = db.get(Result, course.id)
        statuses = set(db.scalars(select(Answer.status).where(Answer.course_id == course.id)))
    assert statuses == {"ok"}
    assert result.status == "validated" and result.answer_count == 32 and result.pix_score > 500
    assert course.verification_code.startswith("P-") and len(course.verification_code) == 10
    assert kiosk.responses == 69  # every one of them was checked for leaks


def test_the_challenge_shows_what_the_page_needs_and_no_answer_key(kiosk, app):
    body = kiosk.pending()
    challenge = challenge_of(app, body["challenge"]["id"])
    shown = body["challenge"]
    assert set(shown) == {
        "id",
        "type",
        "statement",
        "proposals",
        "options",
        "fields",
        "focused",
        "timer",
        "attachments",
        "embed",
    }
    assert shown["statement"] == challenge.statement and shown["type"] == challenge.type
    assert body["question_number"] == 1 and body["question_count"] == 32 and body["live_alert"] is None
    if challenge.type in ("QCU", "QCM"):
        assert len(shown["options"]) >= 2 and shown["fields"] == []


def test_the_same_pending_challenge_is_returned_until_answered(kiosk):
    first = kiosk.pending()["challenge"]["id"]
    assert kiosk.pending()["challenge"]["id"] == first
    kiosk.answer(first, SKIP)
    assert kiosk.pending()["challenge"]["id"] != first


# --- idempotency -----------------------------------------------------------------------------


def test_replayed_answer_returns_the_first_receipt_and_stores_nothing_more(kiosk, app):
    challenge_id = kiosk.pending()["challenge"]["id"]
    body = {"uuid": str(uuid.uuid4()), "challenge_id": challenge_id, "value": SKIP}
    first = kiosk.post("/candidate/answers", json=body)
    kiosk.answer_pending()  # the course moves on before the replay arrives
    replay = kiosk.post("/candidate/answers", json={**body, "value": "something else"})
    assert replay.status_code == 200 and replay.json() == first.json()
    with app.state.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Answer)) == 2
        assert db.scalars(select(Answer.value).where(Answer.client_uuid == body["uuid"])).one() == SKIP


def test_a_second_answer_to_an_answered_challenge_is_refused(kiosk):
    challenge_id = kiosk.pending()["challenge"]["id"]
    assert kiosk.answer(challenge_id, SKIP).status_code == 200
    again = kiosk.answer(challenge_id, SKIP)
    assert again.status_code == 409 and again.json()["error"] == "already_answered"


def test_an_answer_to_a_challenge_never_asked_is_refused(kiosk):
    response = kiosk.answer("c11-pas-pose-1a", "1")
    assert response.status_code == 404 and response.json()["error"] == "unknown_challenge"


def test_an_answer_uuid_of_another_course_is_refused(app, client, seeded):
    first, second = started(app, client, seeded, 0), started(app, client, seeded, 1)
    body = {"uuid": str(uuid.uuid4()), "challenge_id": first.pending()["challenge"]["id"], "value": SKIP}
    assert first.post("/candidate/answers", json=body).status_code == 200
    stolen = second.post("/candidate/answers", json={**body, "challenge_id": second.pending()["challenge"]["id"]})
    assert stolen.status_code == 409 and stolen.json()["error"] == "uuid_conflict"


# --- start and resume ------------------------------------------------------------------------


def test_start_without_authorisation_is_refused(app, client, seeded):
    kiosk = joined(app, client, seeded)
    response = kiosk.post("/candidate/course/start")
    assert response.status_code == 403 and response.json()["error"] == "not_authorised"


def test_resume_consumes_the_authorisation_and_returns_the_same_question(kiosk, app):
    pending = kiosk.pending()["challenge"]["id"]
    again = kiosk.post("/candidate/course/start")
    assert again.status_code == 403 and again.json()["error"] == "not_authorised"
    authorise(app, kiosk.candidate_id)
    resumed = kiosk.post("/candidate/course/start").json()
    assert resumed["resumed"] is True and resumed["question_number"] == 1
    assert kiosk.pending()["challenge"]["id"] == pending
    with app.state.sessions() as db:
        assert db.get(Candidate, kiosk.candidate_id).authorized_to_start is False
    assert kiosk.post("/candidate/course/start").json()["error"] == "not_authorised"


def test_resume_restarts_the_timer_of_a_timed_question(kiosk, app, clock):
    kiosk.force(lambda c: c.timer is not None)
    clock.advance(seconds=40)
    assert kiosk.pending()["timer_seconds_left"] is not None
    left = kiosk.pending()["timer_seconds_left"]
    authorise(app, kiosk.candidate_id)
    kiosk.post("/candidate/course/start")
    assert kiosk.pending()["timer_seconds_left"] == left + 40


def test_resume_more_than_24_hours_after_the_start_ends_the_course(kiosk, app, clock, seeded):
    clock.advance(hours=25)
    kiosk = joined(app, kiosk.client, seeded)  # the first token expired after 24 h: the kiosk signs in again
    authorise(app, kiosk.candidate_id)
    response = kiosk.post("/candidate/course/start")
    assert response.status_code == 409 and response.json()["error"] == "duration_exceeded"
    assert course_row(app, kiosk.candidate_id).state == "endedDueToDurationExceeded"


def test_extra_time_lengthens_the_deadline(app, client, seeded):
    with app.state.sessions.begin() as db:
        db.scalars(select(Candidate).where(Candidate.last_name == "Diallo")).one().extra_time_percentage = 0.3
    kiosk = joined(app, client, seeded, 1)
    authorise(app, kiosk.candidate_id)
    assert kiosk.post("/candidate/course/start").json()["seconds_left"] == round(105 * 1.3 * 60)


# --- time limit ------------------------------------------------------------------------------


def test_the_time_limit_ends_the_course_and_keeps_what_was_answered(kiosk, app, clock):
    kiosk.answer_pending()
    kiosk.answer_pending()
    pending = kiosk.pending()["challenge"]["id"]
    clock.advance(minutes=105, seconds=1)
    late = kiosk.answer(pending, SKIP)
    assert late.status_code == 409 and late.json()["error"] == "time_limit_reached"
    assert kiosk.pending()["finished"] is True
    assert kiosk.get("/candidate/course").json() == {"state": "endedDueToTimeLimit", "answered": 2, "finished": True}
    again = kiosk.answer(pending, SKIP)
    assert again.status_code == 409 and again.json()["error"] == "course_ended"


def test_an_answer_just_before_the_deadline_counts(kiosk, clock):
    pending = kiosk.pending()["challenge"]["id"]
    clock.advance(minutes=105)
    assert kiosk.answer(pending, SKIP).status_code == 200


# --- live alerts -----------------------------------------------------------------------------


def _decide(app, alert_id: int, status: str) -> None:
    with app.state.sessions.begin() as db:
        alert = db.get(LiveAlert, alert_id)
        alert.status, alert.resolved_at = status, dt.datetime(2026, 11, 23, 9, 5)


def test_a_validated_live_alert_gives_a_new_question_with_the_same_number(kiosk, app):
    kiosk.answer_pending()
    before = kiosk.pending()
    alert = kiosk.post("/candidate/live-alerts", json={"challenge_id": before["challenge"]["id"]})
    assert alert.status_code == 201
    assert alert.json()["status"] == "ongoing" and alert.json()["question_number"] == 2
    assert kiosk.pending()["live_alert"]["id"] == alert.json()["id"]
    refused = kiosk.answer(before["challenge"]["id"], SKIP)
    assert refused.status_code == 409 and refused.json()["error"] == "live_alert_ongoing"
    assert kiosk.get("/candidate/live-alerts/current", params={"wait": 0}).json()["alert"]["status"] == "ongoing"
    _decide(app, alert.json()["id"], "validated")
    assert kiosk.get("/candidate/live-alerts/current", params={"wait": 5}).json()["alert"]["status"] == "validated"
    after = kiosk.pending()
    assert after["challenge"]["id"] != before["challenge"]["id"]
    assert after["question_number"] == 2 and after["live_alert"] is None
    withdrawn = kiosk.answer(before["challenge"]["id"], SKIP)
    assert withdrawn.status_code == 409 and withdrawn.json()["error"] == "live_alert_validated"
    with app.state.sessions() as db:
        skill = db.scalars(select(AskedChallenge.skill).where(AskedChallenge.challenge_id == before["challenge"]["id"]))
        assert challenge_of(app, after["challenge"]["id"]).skill != skill.one()


def test_a_dismissed_live_alert_keeps_the_same_question(kiosk, app):
    before = kiosk.pending()
    alert = kiosk.post("/candidate/live-alerts").json()
    _decide(app, alert["id"], "dismissed")
    assert kiosk.get("/candidate/live-alerts/current", params={"wait": 1}).json()["alert"]["status"] == "dismissed"
    after = kiosk.pending()
    assert after["challenge"]["id"] == before["challenge"]["id"] and after["live_alert"] is None
    assert kiosk.answer(before["challenge"]["id"], SKIP).status_code == 200


def test_only_one_live_alert_may_be_ongoing(kiosk):
    kiosk.pending()
    assert kiosk.post("/candidate/live-alerts").status_code == 201
    second = kiosk.post("/candidate/live-alerts")
    assert second.status_code == 409 and second.json()["error"] == "live_alert_ongoing"


def test_a_live_alert_on_another_question_is_refused(kiosk):
    kiosk.pending()
    response = kiosk.post("/candidate/live-alerts", json={"challenge_id": "c11-autre-1a"})
    assert response.status_code == 409 and response.json()["error"] == "not_pending"


def test_the_live_alert_records_what_the_question_contains(kiosk, app):
    challenge = kiosk.force(lambda c: c.focused)
    alert = kiosk.post("/candidate/live-alerts").json()
    with app.state.sessions() as db:
        row = db.get(LiveAlert, alert["id"])
        assert row.is_focus is True and row.has_attachment is bool(challenge.attachments)
        assert row.challenge_id == challenge.id


# --- focus and timers ------------------------------------------------------------------------


def test_a_focus_loss_turns_a_correct_answer_into_focused_out(kiosk, app):
    challenge = kiosk.force(lambda c: c.focused and c.timer is None)
    focus = {"uuid": str(uuid.uuid4()), "challenge_id": challenge.id, "at": "2026-11-23T09:00:30Z"}
    assert kiosk.post("/candidate/focus-out", json=focus).json() == {"recorded": True, "challenge_id": challenge.id}
    assert kiosk.post("/candidate/focus-out", json=focus).json()["recorded"] is True  # idempotent
    assert kiosk.answer(challenge.id, correct_value(challenge)).status_code == 200
    with app.state.sessions() as db:
        answer = db.scalars(select(Answer).where(Answer.challenge_id == challenge.id)).one()
    assert answer.status == "focusedOut" and answer.focused_out is True
    next_id = kiosk.pending()["challenge"]["id"]
    assert course_row(app, kiosk.candidate_id).pending_focus_lost is False and next_id != challenge.id


def test_a_focus_loss_flag_on_the_answer_also_counts(kiosk, app):
    challenge = kiosk.force(lambda c: c.focused and c.timer is None)
    kiosk.answer(challenge.id, correct_value(challenge), focused_out=True)
    with app.state.sessions() as db:
        assert db.scalars(select(Answer.status).where(Answer.challenge_id == challenge.id)).one() == "focusedOut"


def test_a_focus_loss_on_a_free_question_is_not_held_against_it(kiosk, app):
    challenge = kiosk.force(lambda c: not c.focused)
    focus = {"uuid": str(uuid.uuid4()), "challenge_id": challenge.id, "at": "2026-11-23T09:00:30"}
    assert kiosk.post("/candidate/focus-out", json=focus).json()["recorded"] is False
    kiosk.answer(challenge.id, correct_value(challenge))
    with app.state.sessions() as db:
        assert db.scalars(select(Answer.status).where(Answer.challenge_id == challenge.id)).one() == "ok"


def test_a_timed_out_answer_reported_by_the_kiosk_is_timedout(kiosk, app):
    challenge = kiosk.force(lambda c: c.timer is not None)
    kiosk.answer(challenge.id, correct_value(challenge), timeout=-2)
    with app.state.sessions() as db:
        assert db.scalars(select(Answer.status).where(Answer.challenge_id == challenge.id)).one() == "timedout"


def test_the_server_clock_times_out_an_answer_after_the_timer_and_grace(kiosk, app, clock):
    challenge = kiosk.force(lambda c: c.timer is not None)
    clock.advance(seconds=challenge.timer + 6)
    kiosk.answer(challenge.id, correct_value(challenge), timeout=10)
    with app.state.sessions() as db:
        assert db.scalars(select(Answer.status).where(Answer.challenge_id == challenge.id)).one() == "timedout"


def test_an_answer_within_the_grace_is_not_timed_out(kiosk, app, clock):
    challenge = kiosk.force(lambda c: c.timer is not None)
    clock.advance(seconds=challenge.timer + 4)
    kiosk.answer(challenge.id, correct_value(challenge))
    with app.state.sessions() as db:
        assert db.scalars(select(Answer.status).where(Answer.challenge_id == challenge.id)).one() == "ok"


def test_an_empty_answer_is_refused_unless_the_timer_ran_out(kiosk, app):
    challenge = kiosk.force(lambda c: c.timer is not None)
    empty = kiosk.answer(challenge.id, "  ")
    assert empty.status_code == 422 and empty.json()["error"] == "empty_answer"
    assert kiosk.answer(challenge.id, "", timeout=-1).status_code == 200
    with app.state.sessions() as db:
        assert db.scalars(select(Answer.status).where(Answer.challenge_id == challenge.id)).one() == "ko"


def test_a_skip_flag_is_stored_as_aband(kiosk, app):
    challenge_id = kiosk.pending()["challenge"]["id"]
    body = {"uuid": str(uuid.uuid4()), "challenge_id": challenge_id, "skip": True}
    assert kiosk.post("/candidate/answers", json=body).status_code == 200
    with app.state.sessions() as db:
        assert db.scalars(select(Answer.status).where(Answer.challenge_id == challenge_id)).one() == "aband"


def test_a_qrocm_answer_may_be_sent_as_a_mapping_of_fields(kiosk, app):
    challenge = kiosk.force(lambda c: c.type == "QROCM-ind" and not c.focused and c.timer is None)
    fields = kiosk.pending()["challenge"]["fields"]
    assert [f["key"] for f in fields] == [f.key for f in template_fields(challenge.proposals)]
    assert kiosk.answer(challenge.id, correct_value(challenge)).status_code == 200
    with app.state.sessions() as db:
        assert db.scalars(select(Answer.status).where(Answer.challenge_id == challenge.id)).one() == "ok"
