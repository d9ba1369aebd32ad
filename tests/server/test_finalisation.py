"""Finalising a session (spec §9.7): abort reasons, issue reports, ending the courses, scoring, publication.

Courses are built directly in the database with the engine: each question is drawn with
``select_next_challenge`` on the version's pool (seeded as the server does) and answered.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import numpy as np
from sqlalchemy import select

from engine.selection import CourseHistory, select_next_challenge
from server.models import Answer, AskedChallenge, AuditEntry, Candidate, Course, ExamSession, IssueReport, Result
from server.security import verification_code
from server.services.scoring import score
from server.services.versions import version_for
from tests.server.test_organiser import database, login, page_text

# --- helpers shared with the results and certificate tests --------------------------------------


def candidate_ids(app, session_id: int) -> list[int]:
    """The ids of the session's candidates, in enrolment order."""
    with database(app) as db:
        return list(db.scalars(select(Candidate.id).where(Candidate.session_id == session_id).order_by(Candidate.id)))


def play_course(
    app,
    candidate_id: int,
    *,
    answers: int,
    success: Callable[[int], bool] = lambda k: True,
    state: str | None = None,
    pending: bool = False,
    scored: bool = False,
    seed: int = 12345,
) -> str:
    """Create the candidate's course with ``answers`` answers drawn by the engine; returns its verification code.

    ``state`` defaults to ``completed`` after 32 answers, else ``started``; ``pending`` adds an
    asked, unanswered question; ``scored`` stores the result now (the end-screen scoring).
    """
    with database(app) as db:
        candidate = db.get(Candidate, candidate_id)
        version = version_for(db, candidate.session.date)
        catalog = app.state.catalog
        pool, config = catalog.pool(version, "fr"), catalog.config(version)
        now = dt.datetime.combine(candidate.session.date, dt.time(9, 0))
        course = Course(
            candidate_id=candidate.id,
            session_id=candidate.session_id,
            version_id=version.id,
            seed=seed + candidate_id,
            locale="fr",
            state=state or ("completed" if answers == config.maximum_assessment_length else "started"),
            verification_code=verification_code(),
            created_at=now,
            deadline=now + dt.timedelta(minutes=105),
        )
        db.add(course)
        db.flush()
        asked, statuses = [], {}
        for k in range(answers + (1 if pending else 0)):
            drawn = select_next_challenge(
                pool, config, CourseHistory(asked, statuses), np.random.default_rng([course.seed, k])
            )
            asked.append(drawn)
            db.add(
                AskedChallenge(
                    course_id=course.id,
                    challenge_id=drawn.challenge_id,
                    skill=drawn.skill,
                    tube=drawn.tube,
                    competence=drawn.competence,
                    question_index=k,
                    discriminant=drawn.discriminant,
                    difficulty=drawn.difficulty,
                )
            )
            if k < answers:
                statuses[drawn.challenge_id] = "ok" if success(k) else "ko"
                db.add(
                    Answer(
                        course_id=course.id,
                        challenge_id=drawn.challenge_id,
                        client_uuid=str(uuid.uuid4()),
                        value="réponse",
                        status=statuses[drawn.challenge_id],
                    )
                )
        db.flush()
        if scored:
            db.refresh(course)
            score(db, catalog, course)
        return course.verification_code


def finalise(client, session_id: int, **fields: str):
    """POST the finalisation form."""
    return client.post(f"/organiser/sessions/{session_id}/finalise", data=fields, follow_redirects=False)


def session_row(app, session_id: int) -> ExamSession:
    """The session as stored now."""
    with database(app) as db:
        return db.get(ExamSession, session_id)


def courses_by_candidate(app, session_id: int) -> dict[int, tuple[Course, Result | None]]:
    """Every course of the session with its result."""
    with database(app) as db:
        courses = db.scalars(select(Course).where(Course.session_id == session_id))
        return {c.candidate_id: (c, db.get(Result, c.id)) for c in courses}


# --- tests --------------------------------------------------------------------------------------


def test_finalisation_ends_the_courses_and_scores_every_one(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    done, left, broken = candidate_ids(app, sid)
    play_course(app, done, answers=32)
    play_course(app, left, answers=25, success=lambda k: k % 2 == 0, pending=True)
    play_course(app, broken, answers=5, state="endedByInvigilator")

    response = finalise(client, sid, **{f"abort_reason_{left}": "candidate", f"abort_reason_{broken}": "technical"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/organiser/sessions/{sid}/results?ok=finalized"
    session = session_row(app, sid)
    assert session.status == "finalized" and session.finalized_at is not None
    rows = courses_by_candidate(app, sid)
    assert rows[done][0].state == "completed" and rows[done][0].abort_reason is None
    assert rows[left][0].state == "endedDueToFinalization" and rows[left][0].abort_reason == "candidate"
    assert rows[broken][0].state == "endedDueToFinalization" and rows[broken][0].abort_reason == "technical"
    assert rows[done][1].status == "validated" and rows[done][1].answer_count == 32
    assert rows[left][1].status == "validated" and rows[left][1].degraded
    assert rows[broken][1].status == "cancelled"
    assert rows[broken][1].comment == "CANCELLED_DUE_TO_LACK_OF_ANSWERS_FOR_TECHNICAL_REASON"
    with database(app) as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "finalize_session")).one()
        assert entry.target == f"session:{sid}" and entry.details["courses"] == 3


def test_a_result_scored_on_the_end_screen_is_kept(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    first = candidate_ids(app, sid)[0]
    play_course(app, first, answers=32, scored=True)
    before = courses_by_candidate(app, sid)[first][1]

    assert finalise(client, sid).status_code == 303

    after = courses_by_candidate(app, sid)[first][1]
    assert after.scored_at == before.scored_at and after.pix_score == before.pix_score


def test_every_unfinished_course_needs_an_abort_reason(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    first, second, _ = candidate_ids(app, sid)
    play_course(app, first, answers=10)
    play_course(app, second, answers=3)

    response = finalise(client, sid, **{f"abort_reason_{first}": "candidate"})

    assert response.status_code == 422
    assert "Moussa Diallo n'a pas terminé : indiquez un motif d'abandon" in page_text(response)
    assert "Léa Martin" not in page_text(response).split("problemes")[1].split("</div>")[0]
    assert session_row(app, sid).status == "created"
    rows = courses_by_candidate(app, sid)
    assert rows[first][0].state == "started" and rows[first][0].abort_reason is None
    assert rows[first][1] is None and rows[second][1] is None


def test_an_abort_reason_for_a_completed_course_is_an_error(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    first, _, third = candidate_ids(app, sid)
    play_course(app, first, answers=32)

    response = finalise(client, sid, **{f"abort_reason_{first}": "technical"})
    assert response.status_code == 422
    assert "Léa Martin a terminé son test : pas de motif d'abandon" in page_text(response)

    response = finalise(client, sid, **{f"abort_reason_{third}": "technical"})
    assert response.status_code == 422
    assert "Camille Nguyen n'a pas commencé" in page_text(response)
    assert session_row(app, sid).status == "created"


def test_an_unknown_abort_reason_is_named(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    first = candidate_ids(app, sid)[0]
    play_course(app, first, answers=4)

    response = finalise(client, sid, **{f"abort_reason_{first}": "boredom"})
    assert response.status_code == 422
    assert "motif « boredom » inconnu" in page_text(response)

    response = finalise(client, sid, **{f"abort_reason_{first}": "candidate", "abort_reason_x": "candidate"})
    assert response.status_code == 422
    assert "motif d'abandon : « x » n'est pas un nombre entier" in page_text(response)
    assert session_row(app, sid).status == "created"


def test_a_session_where_nobody_started_cannot_be_finalised(client, app, demo):
    login(client, demo)

    response = finalise(client, demo["session_id"])

    assert response.status_code == 409
    assert "aucun candidat n'a commencé le test" in page_text(response)
    assert session_row(app, demo["session_id"]).status == "created"


def test_a_finalised_session_cannot_be_finalised_again(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    play_course(app, candidate_ids(app, sid)[0], answers=32)
    assert finalise(client, sid).status_code == 303

    response = finalise(client, sid)

    assert response.status_code == 409
    assert "la session est déjà finalisée" in page_text(response)


def test_issue_reports_are_stored_for_the_jury(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    first, second, _ = candidate_ids(app, sid)
    play_course(app, first, answers=32)
    play_course(app, second, answers=32)

    response = finalise(
        client,
        sid,
        **{
            f"report_category_{first}": "IN_CHALLENGE:FILE_NOT_OPENING",
            f"report_question_{first}": "7",
            f"report_description_{first}": "Le tableur ne s'ouvrait pas.",
            f"report_category_{second}": "NON_BLOCKING_TECHNICAL_ISSUE",
        },
    )

    assert response.status_code == 303
    with database(app) as db:
        reports = {r.category: r for r in db.scalars(select(IssueReport))}
        assert set(reports) == {"IN_CHALLENGE", "NON_BLOCKING_TECHNICAL_ISSUE"}
        assert reports["IN_CHALLENGE"].subcategory == "FILE_NOT_OPENING"
        assert reports["IN_CHALLENGE"].question_number == 7
        assert reports["IN_CHALLENGE"].description == "Le tableur ne s'ouvrait pas."
        assert reports["NON_BLOCKING_TECHNICAL_ISSUE"].subcategory is None


def test_deprecated_or_incomplete_issue_reports_are_refused(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    first, second, third = candidate_ids(app, sid)
    play_course(app, first, answers=32)
    play_course(app, second, answers=32)

    response = finalise(
        client,
        sid,
        **{
            f"report_category_{first}": "TECHNICAL_PROBLEM",
            f"report_category_{second}": "IN_CHALLENGE:IMAGE_NOT_DISPLAYING",
            f"report_category_{third}": "FRAUD",
        },
    )

    assert response.status_code == 422
    assert "la catégorie TECHNICAL_PROBLEM n'est plus acceptée" in page_text(response)
    assert "indiquez le numéro de la question (1 à 500)" in page_text(response)
    assert "Camille Nguyen : ce candidat n'a pas de parcours" in page_text(response)
    with database(app) as db:
        assert db.scalars(select(IssueReport)).first() is None


def test_results_are_published_only_after_finalisation(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    play_course(app, candidate_ids(app, sid)[0], answers=32)

    early = client.post(f"/organiser/sessions/{sid}/publish", follow_redirects=False)
    assert early.status_code == 409 and "impossible de publier une session « créée »" in page_text(early)

    finalise(client, sid)
    published = client.post(f"/organiser/sessions/{sid}/publish", follow_redirects=False)
    assert published.status_code == 303
    assert session_row(app, sid).status == "published"

    again = client.post(f"/organiser/sessions/{sid}/publish", follow_redirects=False)
    assert again.status_code == 409
