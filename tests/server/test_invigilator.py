"""The invigilator portal through the HTTP API, on SQLite and PostgreSQL.

Courses, answers, alerts, kiosks and events are written straight into the database, in the shapes
the candidate and kiosk API produce, so these tests do not depend on that API.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from server.db import session_scope
from server.models import (
    Answer,
    AskedChallenge,
    AuditEntry,
    Candidate,
    CandidateToken,
    Course,
    ExamSession,
    IssueReport,
    KioskDevice,
    KioskEvent,
    KioskInstruction,
    LiveAlert,
)
from server.security import hash_password, unlock_code
from server.services.scoring import course_history

# --- helpers -------------------------------------------------------------------------------------


@contextmanager
def database(app):
    """A committed database session on the app's database."""
    yield from session_scope(app.state.sessions)


def candidate_ids(app, session_id: int) -> dict[str, int]:
    with database(app) as db:
        return {c.last_name: c.id for c in db.scalars(select(Candidate).where(Candidate.session_id == session_id))}


def add_candidate(db, session_id: int, last_name: str, **fields) -> Candidate:
    candidate = Candidate(
        session_id=session_id, last_name=last_name, first_name="Test", birth_date=dt.date(2008, 1, 1), **fields
    )
    db.add(candidate)
    db.flush()
    return candidate


def join(db, candidate_id: int, now: dt.datetime) -> None:
    """What the candidate API's join leaves: a token for the candidate."""
    digest = f"{candidate_id:064d}"
    db.add(CandidateToken(token_hash=digest, candidate_id=candidate_id, expires_at=now + dt.timedelta(hours=24)))


def start_course(db, candidate_id: int, now: dt.datetime, *, answers: int = 0, state: str = "started") -> Course:
    """A course created at ``now`` with ``answers`` answered challenges and one pending challenge."""
    candidate = db.get(Candidate, candidate_id)
    course = Course(
        candidate_id=candidate_id,
        session_id=candidate.session_id,
        version_id="v3",
        seed=12345,
        state=state,
        verification_code=f"P-{candidate_id:08d}",
        created_at=now,
        deadline=now + dt.timedelta(minutes=105),
    )
    db.add(course)
    db.flush()
    for index in range(answers + 1):
        ask(db, course, index, now)
        if index < answers:
            db.add(
                Answer(
                    course_id=course.id,
                    challenge_id=f"chal{index}",
                    client_uuid=str(uuid.uuid4()),
                    value="x",
                    status="ok",
                    created_at=now,
                )
            )
    db.flush()
    return course


def ask(db, course: Course, index: int, now: dt.datetime) -> None:
    asked = AskedChallenge(
        course_id=course.id,
        challenge_id=f"chal{index}",
        skill=f"@skill{index}",
        tube=f"tube{index}",
        competence="1.1",
        question_index=index,
        discriminant=1.0,
        difficulty=0.0,
        asked_at=now,
    )
    db.add(asked)


def add_alert(db, course: Course, *, challenge_id: str, question_number: int, now: dt.datetime, **flags) -> LiveAlert:
    alert = LiveAlert(
        course_id=course.id, challenge_id=challenge_id, question_number=question_number, created_at=now, **flags
    )
    db.add(alert)
    db.flush()
    return alert


def add_device(db, candidate_id: int, install_id: str, *, seen: dt.datetime | None, state: dict | None = None):
    device = KioskDevice(
        install_id=install_id,
        public_key="k" * 44,
        name=f"PC {install_id}",
        last_seen_at=seen,
        state=state or {},
        candidate_id=candidate_id,
    )
    db.add(device)
    db.flush()
    return device


def log_in(client, demo, *, password: str | None = None):
    return client.post(
        "/invigilator/login",
        data={"session_number": str(demo["session_id"]), "password": password or demo["invigilator_password"]},
        follow_redirects=False,
    )


@pytest.fixture
def portal(client, demo):
    """The client, logged in to the demo session."""
    assert log_in(client, demo).status_code == 303
    return client


def state(client, demo) -> dict:
    response = client.get(f"/invigilator/sessions/{demo['session_id']}/state")
    assert response.status_code == 200, response.text
    return response.json()


def row(payload: dict, candidate_id: int) -> dict:
    return next(c for c in payload["candidates"] if c["id"] == candidate_id)


def audit(app, action: str) -> list[AuditEntry]:
    with database(app) as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- log-in --------------------------------------------------------------------------------------


def test_the_invigilator_password_opens_the_live_session_page(client, demo, app):
    response = log_in(client, demo)
    assert response.status_code == 303
    assert response.headers["location"] == f"/invigilator/sessions/{demo['session_id']}"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert f"Session n° {demo['session_id']}" in page.text and "/static/invigilator.js" in page.text
    assert "Durée prévue : 1 h 45" in page.text
    [entry] = audit(app, "invigilator_login")
    assert entry.actor == f"invigilator:session:{demo['session_id']}"


def test_the_password_may_be_typed_in_lower_case(client, demo):
    assert log_in(client, demo, password=" " + demo["invigilator_password"].lower()).status_code == 303


def test_a_wrong_password_is_refused_on_the_form_and_counted(client, demo, app, caplog):
    with caplog.at_level(logging.WARNING, logger="server.services.invigilation"):
        response = log_in(client, demo, password="ZZZZZ")
    assert response.status_code == 401
    assert "mot de passe surveillant incorrect" in response.text
    assert f'value="{demo["session_id"]}"' in response.text  # the number stays in the form
    [entry] = audit(app, "invigilator_login_failed")
    assert entry.target == f"session:{demo['session_id']}" and entry.actor == "address:testclient"
    assert any(getattr(r, "event", None) == "invigilator_login_failed" for r in caplog.records)
    assert client.get(f"/invigilator/sessions/{demo['session_id']}/state").status_code == 401


def test_log_in_is_refused_after_too_many_failures_until_the_window_passes(client, demo, app, clock, caplog):
    settings = app.state.settings
    with caplog.at_level(logging.WARNING, logger="server.services.invigilation"):
        for _ in range(settings.invigilator_login_attempts):
            assert log_in(client, demo, password="ZZZZZ").status_code == 401
        refused = log_in(client, demo)  # even the right password
    assert refused.status_code == 429
    assert "Trop de tentatives" in refused.text
    assert 0 < int(refused.headers["retry-after"]) <= settings.invigilator_login_window_seconds
    as_json = client.post(
        "/invigilator/login",
        data={"session_number": str(demo["session_id"]), "password": "x"},
        headers={"accept": "application/json"},
    )
    assert as_json.status_code == 429 and as_json.json()["error"] == "too_many_attempts"
    clock.advance(seconds=settings.invigilator_login_window_seconds + 1)
    assert log_in(client, demo).status_code == 303


def test_failures_from_one_address_are_limited_across_sessions(client, demo, app, caplog):
    with caplog.at_level(logging.WARNING, logger="server.services.invigilation"):
        for unknown in range(900, 900 + app.state.settings.invigilator_login_attempts):
            response = client.post("/invigilator/login", data={"session_number": str(unknown), "password": "ABCDE"})
            assert response.status_code == 401
        assert log_in(client, demo).status_code == 429


def test_json_clients_get_the_error_shape(client, demo):
    response = client.post(
        "/invigilator/login",
        data={"session_number": str(demo["session_id"]), "password": "ZZZZZ"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_credentials",
        "message": "Numéro de session ou mot de passe surveillant incorrect.",
    }


def test_a_closed_session_cannot_be_opened(client, demo, app):
    with database(app) as db:
        db.get(ExamSession, demo["session_id"]).status = "finalized"
    response = log_in(client, demo)
    assert response.status_code == 403
    assert "est close" in response.text


@pytest.mark.parametrize(
    ("number", "password", "message"),
    [
        ("douze", "ABCDE", "doit être un nombre"),
        ("", "ABCDE", "doit être un nombre"),
        ("99999999999", "ABCDE", "doit être un nombre"),
        ("1", "  ", "Saisissez"),
    ],
)
def test_bad_log_in_fields_are_named(client, number, password, message):
    response = client.post("/invigilator/login", data={"session_number": number, "password": password})
    assert response.status_code == 422
    assert message in response.text


def test_the_session_page_sends_strangers_to_the_log_in_form(client, demo):
    response = client.get(f"/invigilator/sessions/{demo['session_id']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/invigilator/login?session={demo['session_id']}"
    form = client.get(response.headers["location"])
    assert form.status_code == 200 and 'for="session_number"' in form.text and 'for="password"' in form.text


def test_log_out_forgets_the_session(portal, demo):
    response = portal.post("/invigilator/logout", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/invigilator/login"
    assert portal.get(f"/invigilator/sessions/{demo['session_id']}/state").status_code == 401


# --- the live state --------------------------------------------------------------------------------


def test_the_state_shows_every_candidate_in_its_state(portal, demo, app, clock):
    now, sid = clock(), demo["session_id"]
    ids = candidate_ids(app, sid)
    with database(app) as db:
        join(db, ids["Diallo"], now)  # waiting
        running = start_course(db, ids["Nguyen"], now - dt.timedelta(minutes=20), answers=3)
        # A validated alert on an answered challenge drops that answer from the kept ones (spec §10.1).
        add_alert(db, running, challenge_id="chal1", question_number=2, now=now).status = "validated"
        authorised = add_candidate(db, sid, "Bernard", authorized_to_start=True, extra_time_percentage=0.3)
        join(db, authorised.id, now)
        resumed = add_candidate(db, sid, "Petit", authorized_to_start=True, accessibility_adjustment=True)
        start_course(db, resumed.id, now, answers=1)
        done = add_candidate(db, sid, "Roux")
        start_course(db, done.id, now, answers=32, state="completed")
        late = add_candidate(db, sid, "Faure")
        start_course(db, late.id, now - dt.timedelta(minutes=106), answers=2)
    payload = state(portal, demo)
    assert payload["session"]["id"] == sid and payload["session"]["status"] == "created"
    names = ["Bernard", "Diallo", "Faure", "Martin", "Nguyen", "Petit", "Roux"]
    assert [c["last_name"] for c in payload["candidates"]] == names
    assert row(payload, ids["Martin"])["state"] == "enrolled" and row(payload, ids["Martin"])["course"] is None
    assert row(payload, ids["Diallo"])["state_label"] == "En attente d'autorisation"
    first = row(payload, authorised.id)
    assert (first["state"], first["state_label"], first["extra_time_percentage"]) == (
        "authorised",
        "Autorisé à démarrer",
        0.3,
    )
    assert row(payload, resumed.id)["state_label"] == "Reprise autorisée"
    assert row(payload, resumed.id)["accessibility_adjustment"] is True
    nguyen = row(payload, ids["Nguyen"])
    assert nguyen["state"] == "in_progress" and nguyen["state_label"] == "Question 3/32"
    assert nguyen["course"]["answered"] == 2 and nguyen["course"]["seconds_left"] == 85 * 60
    completed = row(payload, done.id)
    assert (completed["state"], completed["state_label"], completed["course"]["seconds_left"]) == (
        "ended",
        "Terminé",
        0,
    )
    timed_out = row(payload, late.id)
    assert timed_out["course"]["state"] == "endedDueToTimeLimit" and timed_out["state_label"] == "Temps écoulé"
    clock.advance(minutes=5)
    assert row(state(portal, demo), ids["Nguyen"])["course"]["seconds_left"] == 80 * 60


def test_the_state_shows_the_kiosk_connection_lock_screens_and_recent_events(portal, demo, app, clock):
    now, ids = clock(), candidate_ids(app, demo["session_id"])
    with database(app) as db:
        add_device(db, ids["Martin"], "old-pc", seen=now - dt.timedelta(hours=2))
        add_device(
            db,
            ids["Martin"],
            "pc-12",
            seen=now - dt.timedelta(seconds=10),
            state={"locked": True, "lock_counter": 2, "screens": 2},
        )
        kinds = ["focus_lost", "url_blocked", "focus_lost", "screen_count", "lock", "proctor_needed", "mystery"]
        for minute, kind in enumerate(kinds):
            db.add(
                KioskEvent(
                    install_id="pc-12",
                    event_id=f"e{minute}",
                    candidate_id=ids["Martin"],
                    kind=kind,
                    payload={"url": "https://blocked.example/"} if kind == "url_blocked" else {},
                    occurred_at=now - dt.timedelta(minutes=10 - minute),
                )
            )
        add_device(db, ids["Diallo"], "pc-13", seen=now)
        for second in range(300):  # a chatty kiosk hides nobody else's events
            db.add(
                KioskEvent(
                    install_id="pc-13",
                    event_id=f"d{second}",
                    candidate_id=ids["Diallo"],
                    kind="focus_lost",
                    occurred_at=now - dt.timedelta(seconds=second),
                )
            )
    payload = state(portal, demo)
    assert len(row(payload, ids["Diallo"])["events"]) == 5
    martin = row(payload, ids["Martin"])
    kiosk = martin["kiosk"]
    assert (kiosk["install_id"], kiosk["connected"], kiosk["locked"], kiosk["lock_counter"], kiosk["screens"]) == (
        "pc-12",
        True,
        True,
        2,
        2,
    )
    assert [e["kind"] for e in martin["events"]] == ["mystery", "proctor_needed", "lock", "screen_count", "focus_lost"]
    assert martin["events"][1]["label"] == "Le candidat appelle le surveillant"
    assert martin["events"][0]["at"].endswith("Z")
    clock.advance(seconds=app.state.settings.heartbeat_missing_seconds)
    assert row(state(portal, demo), ids["Martin"])["kiosk"]["connected"] is False
    with database(app) as db:
        db.add(
            KioskEvent(
                install_id="pc-12",
                event_id="late",
                candidate_id=ids["Martin"],
                kind="url_blocked",
                payload={"url": "https://blocked.example/"},
                occurred_at=clock(),
            )
        )
    latest = row(state(portal, demo), ids["Martin"])["events"][0]
    assert (latest["label"], latest["detail"]) == ("Site bloqué", "https://blocked.example/")


def test_the_state_lists_ongoing_alerts_with_their_flags(portal, demo, app, clock):
    now, ids = clock(), candidate_ids(app, demo["session_id"])
    with database(app) as db:
        course = start_course(db, ids["Diallo"], now, answers=4)
        alert = add_alert(db, course, challenge_id="chal4", question_number=5, now=now, has_image=True, is_focus=True)
        add_alert(db, course, challenge_id="chal0", question_number=1, now=now).status = "dismissed"
    payload = state(portal, demo)
    assert payload["alerts"] == [
        {
            "id": alert.id,
            "candidate_id": ids["Diallo"],
            "candidate_name": "Moussa Diallo",
            "question_number": 5,
            "flags": ["image", "question en mode focus"],
            "created_at": "2026-11-23T09:00:00Z",
        }
    ]
    assert row(payload, ids["Diallo"])["alerts"] == payload["alerts"]


def test_the_state_is_only_for_the_session_in_the_cookie(client, portal, demo, app):
    with database(app) as db:
        other = ExamSession(
            centre_id=1,
            date=dt.date(2026, 11, 23),
            access_code="BCDF23",
            invigilator_password_hash=hash_password("QQQQQ"),
        )
        db.add(other)
        db.flush()
        other_id = other.id
    response = portal.get(f"/invigilator/sessions/{other_id}/state")
    assert response.status_code == 403 and response.json()["error"] == "other_session"
    page = portal.get(f"/invigilator/sessions/{other_id}", follow_redirects=False)
    assert page.status_code == 303


# --- actions -------------------------------------------------------------------------------------


def test_authorising_a_waiting_candidate_sets_the_flag_and_is_audited(portal, demo, app, clock):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        join(db, ids["Diallo"], clock())
    response = portal.post(f"/invigilator/sessions/{demo['session_id']}/candidates/{ids['Diallo']}/authorisation")
    assert response.status_code == 200
    assert response.json() == {"message": "Moussa Diallo est autorisé(e) à démarrer son test."}
    with database(app) as db:
        assert db.get(Candidate, ids["Diallo"]).authorized_to_start is True
    assert row(state(portal, demo), ids["Diallo"])["state"] == "authorised"
    [entry] = audit(app, "authorise_start")
    assert (entry.actor, entry.target, entry.details) == (
        f"invigilator:session:{demo['session_id']}",
        f"candidate:{ids['Diallo']}",
        {"resume": False},
    )


def test_authorisation_is_refused_before_joining_and_after_the_end(portal, demo, app, clock):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        start_course(db, ids["Nguyen"], clock(), answers=32, state="completed")
    base = f"/invigilator/sessions/{demo['session_id']}/candidates"
    not_joined = portal.post(f"{base}/{ids['Martin']}/authorisation")
    assert not_joined.status_code == 409 and not_joined.json()["error"] == "not_joined"
    ended = portal.post(f"{base}/{ids['Nguyen']}/authorisation")
    assert ended.status_code == 409 and ended.json()["error"] == "course_ended"
    with database(app) as db:
        assert not db.get(Candidate, ids["Martin"]).authorized_to_start


def test_ending_a_test_marks_it_ended_by_the_invigilator_and_tells_the_kiosk(portal, demo, app, clock):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        course_id = start_course(db, ids["Martin"], clock(), answers=5).id
        add_device(db, ids["Martin"], "pc-1", seen=clock())
    url = f"/invigilator/sessions/{demo['session_id']}/candidates/{ids['Martin']}/end"
    assert portal.post(url).status_code == 200
    assert portal.post(url).status_code == 200  # twice is harmless
    with database(app) as db:
        course = db.get(Course, course_id)
        assert (course.state, course.ended_at) == ("endedByInvigilator", clock())
        [instruction] = db.scalars(select(KioskInstruction)).all()
        assert (instruction.install_id, instruction.kind) == ("pc-1", "end_test")
    martin = row(state(portal, demo), ids["Martin"])
    assert (martin["state"], martin["state_label"]) == ("ended", "Arrêté par le surveillant")
    assert len(audit(app, "end_course")) == 1


def test_a_completed_test_stays_completed_and_a_missing_one_cannot_end(portal, demo, app, clock):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        course_id = start_course(db, ids["Nguyen"], clock(), answers=32, state="completed").id
    base = f"/invigilator/sessions/{demo['session_id']}/candidates"
    assert portal.post(f"{base}/{ids['Nguyen']}/end").json()["error"] == "course_ended"
    assert portal.post(f"{base}/{ids['Martin']}/end").json()["error"] == "no_course"
    with database(app) as db:
        assert db.get(Course, course_id).state == "completed"


def test_validating_an_alert_excludes_the_question_and_reports_it_for_the_jury(portal, demo, app, clock):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        course = start_course(db, ids["Martin"], clock(), answers=4)
        alert_id, course_id = add_alert(db, course, challenge_id="chal4", question_number=5, now=clock()).id, course.id
    clock.advance(minutes=2)
    response = portal.post(
        f"/invigilator/sessions/{demo['session_id']}/alerts/{alert_id}/validation",
        json={"subcategory": "IMAGE_NOT_DISPLAYING"},
    )
    assert response.status_code == 200 and "nouvelle question" in response.json()["message"]
    with database(app) as db:
        alert = db.get(LiveAlert, alert_id)
        assert (alert.status, alert.subcategory, alert.resolved_at) == ("validated", "IMAGE_NOT_DISPLAYING", clock())
        [report] = db.scalars(select(IssueReport)).all()
        assert (report.course_id, report.category, report.subcategory, report.question_number, report.resolved) == (
            course_id,
            "IN_CHALLENGE",
            "IMAGE_NOT_DISPLAYING",
            5,
            True,
        )
        assert report.resolution == "validée par le surveillant, une nouvelle question a été proposée"
        history = course_history(db.get(Course, course_id))
        assert history.pending() is None  # the next challenge request draws a new question
        assert history.excluded_skills() == {"@skill4"}
    payload = state(portal, demo)
    assert payload["alerts"] == [] and row(payload, ids["Martin"])["course"]["question"] == 5
    [entry] = audit(app, "validate_live_alert")
    assert entry.details == {"subcategory": "IMAGE_NOT_DISPLAYING", "question_number": 5}


@pytest.mark.parametrize("subcategory", ["OTHER", "LINK_NOT_WORKING", "NAME_OR_BIRTHDATE", ""])
def test_deprecated_or_foreign_subcategories_are_refused(portal, demo, app, clock, subcategory):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        course = start_course(db, ids["Martin"], clock())
        alert_id = add_alert(db, course, challenge_id="chal0", question_number=1, now=clock()).id
    response = portal.post(
        f"/invigilator/sessions/{demo['session_id']}/alerts/{alert_id}/validation", json={"subcategory": subcategory}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_subcategory" and "UNINTENTIONAL_FOCUS_OUT" in response.json()["message"]
    with database(app) as db:
        assert db.get(LiveAlert, alert_id).status == "ongoing"


def test_dismissing_an_alert_keeps_the_same_question(portal, demo, app, clock):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        course = start_course(db, ids["Martin"], clock(), answers=2)
        alert_id, course_id = add_alert(db, course, challenge_id="chal2", question_number=3, now=clock()).id, course.id
    url = f"/invigilator/sessions/{demo['session_id']}/alerts/{alert_id}/dismissal"
    assert portal.post(url).status_code == 200
    with database(app) as db:
        assert db.get(LiveAlert, alert_id).status == "dismissed"
        assert course_history(db.get(Course, course_id)).pending().challenge_id == "chal2"
        assert db.scalar(select(func.count()).select_from(IssueReport)) == 0
    again = portal.post(url)
    assert again.status_code == 409 and again.json()["error"] == "alert_resolved"
    assert len(audit(app, "dismiss_live_alert")) == 1


def test_remote_unlock_and_messages_become_kiosk_instructions(portal, demo, app, clock):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        add_device(db, ids["Martin"], "pc-7", seen=clock(), state={"locked": True, "lock_counter": 1})
    base = f"/invigilator/sessions/{demo['session_id']}/candidates/{ids['Martin']}"
    assert portal.post(f"{base}/unlock").status_code == 200
    assert portal.post(f"{base}/messages", json={"text": "  Levez la main, j'arrive.  "}).status_code == 200
    with database(app) as db:
        instructions = db.scalars(select(KioskInstruction).order_by(KioskInstruction.id)).all()
        assert [(i.install_id, i.kind, i.payload) for i in instructions] == [
            ("pc-7", "unlock", {"by": "invigilator"}),
            ("pc-7", "notify", {"message": "Levez la main, j'arrive."}),
        ]
    assert [e.action for e in audit(app, "kiosk_unlock") + audit(app, "kiosk_notify")] == [
        "kiosk_unlock",
        "kiosk_notify",
    ]
    assert portal.post(f"{base}/messages", json={"text": "   "}).json()["error"] == "invalid_message"
    assert portal.post(f"{base}/messages", json={"text": "x" * 501}).status_code == 422
    nobody = portal.post(f"/invigilator/sessions/{demo['session_id']}/candidates/{ids['Diallo']}/unlock")
    assert nobody.status_code == 409 and nobody.json()["error"] == "no_kiosk"


def test_the_invigilator_can_lock_a_kiosk_remotely(portal, demo, app, clock):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        add_device(db, ids["Martin"], "pc-8", seen=clock(), state={"locked": False, "lock_counter": 0})
    base = f"/invigilator/sessions/{demo['session_id']}/candidates/{ids['Martin']}"
    assert portal.post(f"{base}/lock").status_code == 200
    with database(app) as db:
        (instruction,) = db.scalars(select(KioskInstruction)).all()
        assert (instruction.install_id, instruction.kind) == ("pc-8", "force_lock")
        assert instruction.payload["message"]
    assert [e.action for e in audit(app, "kiosk_force_lock")] == ["kiosk_force_lock"]
    nobody = portal.post(f"/invigilator/sessions/{demo['session_id']}/candidates/{ids['Diallo']}/lock")
    assert nobody.status_code == 409 and nobody.json()["error"] == "no_kiosk"


def test_the_unlock_code_is_the_one_time_code_of_the_current_lock(portal, demo, app, clock):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        # The kiosk API stores the heartbeat's state as sent: {"lock": "locked", "lock_counter": n, ...}.
        state = {"lock": "locked", "lock_counter": 3, "screens": 1}
        device = add_device(db, ids["Martin"], "pc-9", seen=clock(), state=state)
    url = f"/invigilator/sessions/{demo['session_id']}/candidates/{ids['Martin']}/unlock-code"
    response = portal.post(url)
    assert response.status_code == 200
    expected = unlock_code(app.state.settings.secret_key, demo["session_id"], "pc-9", 3)
    assert response.json()["code"] == expected and response.json()["lock_counter"] == 3
    [entry] = audit(app, "show_unlock_code")
    assert entry.details == {"install_id": "pc-9", "lock_counter": 3}
    assert expected not in str(entry.details)
    with database(app) as db:
        db.get(KioskDevice, device.install_id).state = {"lock": "unlocked", "lock_counter": 3}
    unlocked = portal.post(url)
    assert unlocked.status_code == 409 and unlocked.json()["error"] == "kiosk_not_locked"


def test_ids_of_another_session_are_not_found(portal, demo, app, clock):
    with database(app) as db:
        other = ExamSession(
            centre_id=1,
            date=dt.date(2026, 11, 23),
            access_code="BCDF23",
            invigilator_password_hash=hash_password("QQQQQ"),
        )
        db.add(other)
        db.flush()
        stranger = add_candidate(db, other.id, "Autre")
        join(db, stranger.id, clock())
        course = start_course(db, stranger.id, clock())
        add_device(db, stranger.id, "pc-other", seen=clock(), state={"locked": True})
        alert = add_alert(db, course, challenge_id="chal0", question_number=1, now=clock())
        other_id, stranger_id, alert_id = other.id, stranger.id, alert.id
    base = f"/invigilator/sessions/{demo['session_id']}"
    for path in ("authorisation", "end", "unlock", "unlock-code"):
        assert portal.post(f"{base}/candidates/{stranger_id}/{path}").status_code == 404, path
    assert portal.post(f"{base}/candidates/{stranger_id}/messages", json={"text": "x"}).status_code == 404
    assert portal.post(f"{base}/alerts/{alert_id}/dismissal").status_code == 404
    assert portal.post(f"{base}/alerts/{alert_id}/validation", json={"subcategory": "SKIP_ON_OOPS"}).status_code == 404
    assert portal.post(f"{base}/candidates/999999/authorisation").status_code == 404
    foreign = portal.post(f"/invigilator/sessions/{other_id}/candidates/{stranger_id}/authorisation")
    assert foreign.status_code == 403
    with database(app) as db:
        assert db.get(LiveAlert, alert_id).status == "ongoing"
        assert not db.get(Candidate, stranger_id).authorized_to_start
        assert db.scalar(select(func.count()).select_from(KioskInstruction)) == 0


def test_actions_need_the_cookie_and_refuse_other_origins(portal, demo, app, clock, caplog):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        join(db, ids["Martin"], clock())
    url = f"/invigilator/sessions/{demo['session_id']}/candidates/{ids['Martin']}/authorisation"
    with caplog.at_level(logging.WARNING, logger="server.api.invigilator"):
        refused = portal.post(url, headers={"origin": "https://evil.example"})
    assert refused.status_code == 403 and refused.json()["error"] == "cross_origin"
    assert portal.post(url, headers={"origin": "http://testserver"}).status_code == 200
    portal.cookies.clear()
    assert portal.post(url).status_code == 401


def test_a_closed_session_is_read_only(portal, demo, app, clock):
    ids = candidate_ids(app, demo["session_id"])
    with database(app) as db:
        join(db, ids["Martin"], clock())
        db.get(ExamSession, demo["session_id"]).status = "finalized"
    response = portal.post(f"/invigilator/sessions/{demo['session_id']}/candidates/{ids['Martin']}/authorisation")
    assert response.status_code == 409 and response.json()["error"] == "session_closed"
    assert state(portal, demo)["session"]["status"] == "finalized"
    assert "consultation seule" in portal.get(f"/invigilator/sessions/{demo['session_id']}").text


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("candidates/abc/authorisation", {}),
        ("candidates/99999999999/authorisation", {}),
        ("alerts/0/dismissal", {}),
        ("alerts/1/validation", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
        ("alerts/1/validation", {"json": {"subcategory": 12}}),
        ("alerts/1/validation", {}),
        ("candidates/1/messages", {"json": {"text": ["a"]}}),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_message(portal, demo, path, kwargs):
    response = portal.post(f"/invigilator/sessions/{demo['session_id']}/{path}", **kwargs)
    assert 400 <= response.status_code < 500
    assert response.json()["message"]


def test_the_json_endpoints_are_published_in_openapi(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/invigilator/sessions/{session_id}/state" in paths
    assert "/invigilator/sessions/{session_id}/alerts/{alert_id}/validation" in paths
    assert "/invigilator/login" not in paths
