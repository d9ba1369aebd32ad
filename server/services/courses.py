"""Certification courses: start and resume, the time limit, and the pending challenge (spec §6, §9).

The server is authoritative for the course (architecture §1): which challenge is pending, the time
left, the answers kept. Every request that changes a course first locks its row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers itself), so two requests of
one kiosk cannot draw two questions or keep two answers for one question.

Assessment states (spec §9.3), plus one project addition:

``started`` → ``completed`` (32nd kept answer, scored at once), ``endedByInvigilator``,
``endedDueToFinalization``, ``endedDueToDurationExceeded`` (resume > 24 h after creation), and
``endedDueToTimeLimit``: **a project addition** — the server clock passed the course's deadline
(105 min × (1 + extra time) after the start); answers already kept count, and the course is scored
at finalisation like any unfinished course.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bank import Challenge
from engine.errors import AnswerCountError, LackOfChallengesError
from engine.selection import select_next_challenge
from server.config import Settings
from server.errors import ConflictError, ForbiddenError, NotFoundError, ServerError
from server.models import (
    AskedChallenge,
    AuditEntry,
    Candidate,
    CertificationVersion,
    Course,
    LiveAlert,
)
from server.security import course_seed, verification_code
from server.services.scoring import course_history, score
from server.services.versions import VersionCatalog, version_for

logger = logging.getLogger(__name__)

STARTED = "started"
COMPLETED = "completed"
ENDED_DUE_TO_DURATION_EXCEEDED = "endedDueToDurationExceeded"
#: Project addition (see the module docstring): the deadline passed on the server clock.
ENDED_DUE_TO_TIME_LIMIT = "endedDueToTimeLimit"
#: A course created longer ago than this cannot be resumed (spec §9.2 rule 4).
RESUME_LIMIT = dt.timedelta(hours=24)
#: Verification-code draws before giving up (spec §9.5).
VERIFICATION_CODE_ATTEMPTS = 1000
OPEN_SESSION = "created"


class CodeSpaceExhaustedError(ServerError):
    """No free verification code after 1000 draws (spec §9.5): the server cannot create the course."""

    status = 503
    default_code = "verification_code_exhausted"


@dataclass(frozen=True)
class Progress:
    """Where a course stands, as the candidate may see it (never its score)."""

    state: str
    answered: int
    finished: bool


@dataclass(frozen=True)
class Pending:
    """The pending challenge of a started course, or ``challenge`` None once it is finished."""

    course: Course
    progress: Progress
    challenge: Challenge | None
    alert: LiveAlert | None


def actor(candidate: Candidate) -> str:
    """The audit-log name of a candidate."""
    return f"candidate:{candidate.id}"


def load_course(*, db: Session, candidate: Candidate, lock: bool = False) -> Course | None:
    """The candidate's course, re-read from the database and locked for update when ``lock``."""
    query = select(Course).where(Course.candidate_id == candidate.id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return db.scalars(query).first()


def require_course(*, db: Session, candidate: Candidate, lock: bool = False) -> Course:
    """The candidate's course.

    Raises
    ------
    NotFoundError
        ``no_course``: the course was never started.
    """
    course = load_course(db=db, candidate=candidate, lock=lock)
    if course is None:
        raise NotFoundError("the course has not been started yet", code="no_course")
    return course


def version_of(db: Session, course: Course) -> CertificationVersion:
    """The certification version the course is bound to."""
    return db.get(CertificationVersion, course.version_id)


def kept_count(course: Course) -> int:
    """Number of kept answers: answers minus those to challenges with a validated live alert (§1)."""
    return len(course_history(course).kept())


def progress(course: Course) -> Progress:
    """State, kept answers and whether the course is over."""
    return Progress(state=course.state, answered=kept_count(course), finished=course.state != STARTED)


def seconds_left(course: Course, now: dt.datetime) -> int:
    """Whole seconds until the course's deadline, never negative."""
    return max(0, int((course.deadline - now).total_seconds()))


def enforce_time_limit(*, db: Session, course: Course, now: dt.datetime) -> bool:
    """End a started course whose deadline has passed (``endedDueToTimeLimit``); True if it ended now."""
    if course.state != STARTED or now <= course.deadline:
        return False
    course.state = ENDED_DUE_TO_TIME_LIMIT
    course.ended_at = course.deadline
    db.add(AuditEntry(at=now, actor="server", action="course_time_limit", target=f"course:{course.id}"))
    db.flush()
    logger.info("course ended at its time limit", extra={"event": "course_time_limit", "course_id": course.id})
    return True


def refuse_unless_answerable(*, db: Session, course: Course, now: dt.datetime) -> None:
    """Refuse work on a course that is not running (spec §7.10 rules 2-3, and the time limit).

    An expired course is ended and committed before the refusal, so the end sticks.

    Raises
    ------
    ConflictError
        ``session_finalised``, ``time_limit_reached`` or ``course_ended``.
    """
    if course.candidate.session.status != OPEN_SESSION:
        raise ConflictError("the session is finalised: no more answers are accepted", code="session_finalised")
    if enforce_time_limit(db=db, course=course, now=now):
        db.commit()
        raise ConflictError("the time allowed for the test is over", code="time_limit_reached")
    if course.state != STARTED:
        raise ConflictError(f"the test is over (state {course.state})", code="course_ended")


def _unique_verification_code(db: Session) -> str:
    for _ in range(VERIFICATION_CODE_ATTEMPTS):
        code = verification_code()
        if db.scalars(select(Course.id).where(Course.verification_code == code)).first() is None:
            return code
    raise CodeSpaceExhaustedError(f"no free verification code after {VERIFICATION_CODE_ATTEMPTS} draws")


def _consume_authorisation(db: Session, candidate: Candidate) -> None:
    # Spec §9.2 rule 5: every start and every resume resets the flag. A compare-and-set, so two
    # concurrent starts cannot both use one authorisation.
    result = db.execute(
        update(Candidate)
        .where(Candidate.id == candidate.id, Candidate.authorized_to_start.is_(True))
        .values(authorized_to_start=False)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ForbiddenError("the invigilator has not authorised you to start (or resume) yet", code="not_authorised")
    candidate.authorized_to_start = False


def _create_course(*, db: Session, settings: Settings, candidate: Candidate, now: dt.datetime) -> Course:
    session = candidate.session
    version = version_for(db, session.date)
    minutes = settings.session_minutes * (1 + candidate.extra_time_percentage)
    course = Course(
        candidate=candidate,
        session_id=session.id,
        version_id=version.id,
        seed=course_seed(),
        locale="fr",
        state=STARTED,
        is_adjusted_for_accessibility=candidate.accessibility_adjustment,
        verification_code=_unique_verification_code(db),
        created_at=now,
        deadline=now + dt.timedelta(minutes=minutes),
        question_shown_at=now,
    )
    db.add(course)
    try:
        db.flush()
    except IntegrityError as exc:
        raise ConflictError("the course was started by another request", code="start_conflict") from exc
    return course


def start_course(*, db: Session, settings: Settings, candidate: Candidate, now: dt.datetime) -> tuple[Course, bool]:
    """Start the course, or resume it; returns the course and whether it was a resume (spec §9.2).

    Both consume the invigilator's authorisation. A resume restarts the pending question's timer
    and keeps the same pending question; more than 24 h after creation it ends the course
    (``endedDueToDurationExceeded``) and is refused, as is a resume after the deadline.

    Raises
    ------
    ConflictError
        ``session_finalised``, ``course_ended``, ``duration_exceeded``, ``time_limit_reached``.
    ForbiddenError
        ``not_authorised``.
    """
    if candidate.session.status != OPEN_SESSION:
        raise ConflictError("the session is finalised", code="session_finalised")
    course = load_course(db=db, candidate=candidate, lock=True)
    if course is not None:
        if course.state == STARTED and now - course.created_at > RESUME_LIMIT:
            course.state, course.ended_at = ENDED_DUE_TO_DURATION_EXCEEDED, now
            db.add(
                AuditEntry(
                    at=now, actor=actor(candidate), action="course_duration_exceeded", target=f"course:{course.id}"
                )
            )
            db.commit()
            raise ConflictError("the course started more than 24 hours ago: it cannot resume", code="duration_exceeded")
        refuse_unless_answerable(db=db, course=course, now=now)
    _consume_authorisation(db, candidate)
    resumed = course is not None
    if course is None:
        course = _create_course(db=db, settings=settings, candidate=candidate, now=now)
    else:
        course.question_shown_at = now  # spec §7.8 rule 3: the per-question timer restarts at each resume
    db.add(
        AuditEntry(
            at=now,
            actor=actor(candidate),
            action="course_resumed" if resumed else "course_started",
            target=f"course:{course.id}",
        )
    )
    db.flush()
    logger.info(
        "course %s",
        "resumed" if resumed else "started",
        extra={"event": "course_resumed" if resumed else "course_started", "course_id": course.id},
    )
    return course, resumed


def complete_course(*, db: Session, catalog: VersionCatalog, course: Course, now: dt.datetime) -> None:
    """The last answer is in: state ``completed`` and the course is scored now (spec §8.6 rule 4)."""
    course.state = COMPLETED
    course.ended_at = now
    db.add(AuditEntry(at=now, actor="server", action="course_completed", target=f"course:{course.id}"))
    db.flush()
    score(db, catalog, course)


def _record_draw(db: Session, course: Course, drawn, now: dt.datetime) -> None:
    row = AskedChallenge(
        course_id=course.id,
        challenge_id=drawn.challenge_id,
        skill=drawn.skill,
        tube=drawn.tube,
        competence=drawn.competence,
        question_index=len(course.asked),
        discriminant=drawn.discriminant,
        difficulty=drawn.difficulty,
        asked_at=now,
    )
    course.asked.append(row)
    course.question_shown_at = now
    course.pending_focus_lost = False  # a new question starts with its focus intact (spec §7.9)
    try:
        db.flush()
    except IntegrityError as exc:
        raise ConflictError("another request drew the question at the same time: ask again", code="conflict") from exc


def current_challenge(*, db: Session, catalog: VersionCatalog, course: Course, now: dt.datetime) -> Pending:
    """The pending challenge, drawn with the engine if there is none (spec §6.2, §6.7).

    Nothing is drawn for a course that is over; a course that reaches its deadline ends here.

    Raises
    ------
    ConflictError
        ``lack_of_challenges`` (spec §6.8: the kiosk shows its technical-problem screen).
    """
    enforce_time_limit(db=db, course=course, now=now)
    if course.state != STARTED or course.candidate.session.status != OPEN_SESSION:
        return Pending(course, progress(course), None, None)
    version = version_of(db, course)
    history = course_history(course)
    if history.pending() is None:
        rng = np.random.default_rng([course.seed, len(course.asked)])  # spec §6.6
        try:
            drawn = select_next_challenge(catalog.pool(version, course.locale), catalog.config(version), history, rng)
        except (LackOfChallengesError, AnswerCountError) as exc:
            logger.error(
                "no challenge to draw", extra={"event": "lack_of_challenges", "course_id": course.id, "error": str(exc)}
            )
            raise ConflictError(
                "no question is left to ask: please call the invigilator", code="lack_of_challenges"
            ) from exc
        if drawn is None:
            complete_course(db=db, catalog=catalog, course=course, now=now)
            return Pending(course, progress(course), None, None)
        _record_draw(db, course, drawn, now)
    pending = course.asked[-1]
    alert = next((a for a in course.alerts if a.challenge_id == pending.challenge_id and a.status == "ongoing"), None)
    return Pending(course, progress(course), catalog.challenge(version, pending.challenge_id), alert)


def timer_seconds_left(course: Course, challenge: Challenge, now: dt.datetime) -> int | None:
    """Seconds left on a timed challenge's own timer since it was shown (or resumed), else None."""
    if challenge.timer is None:
        return None
    shown = course.question_shown_at or now
    return max(0, int(challenge.timer - (now - shown).total_seconds()))
