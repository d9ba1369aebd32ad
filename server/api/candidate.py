"""The candidate's JSON API, as the kiosk calls it (architecture §2-§3, issue 5 §2).

Join a session, wait for the invigilator's authorisation, start or resume, get the pending
question, answer (idempotent on the UUID), report a problem and wait for the decision, report a
focus loss, read the end screen, download attachments. The two waits are long-polls that hold no
database session while they sleep: each check opens its own, in a worker thread.
"""

from __future__ import annotations

import asyncio
import mimetypes
import time
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Annotated, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cadenas.resources import attachment_reader
from server.auth import CurrentCandidate
from server.deps import AppSettings, Catalog, Clock, DbSession
from server.errors import NotFoundError
from server.models import Candidate, Course, LiveAlert
from server.schemas_candidate import (
    AnswerCreate,
    AnswerPublic,
    AuthorisationPublic,
    CandidatePublic,
    ChallengePublic,
    CoursePublic,
    CurrentChallengePublic,
    CurrentLiveAlertPublic,
    FocusOutCreate,
    FocusOutPublic,
    JoinCreate,
    JoinPublic,
    LiveAlertCreate,
    LiveAlertPublic,
    SessionPublic,
    StartPublic,
)
from server.services import course_alerts, course_answers, course_join, courses

router = APIRouter(prefix="/api/v1", tags=["candidate"])

PREFIX = "/api/v1"
#: Seconds between two checks of a long-poll.
POLL_INTERVAL = 0.5
#: Longest wait a long-poll accepts, in seconds.
MAX_WAIT = 60
Wait = Annotated[float, Query(ge=0, le=MAX_WAIT, description="Seconds to wait for a change before answering.")]
T = TypeVar("T")


def commit_now(db: Session) -> None:
    """Commit before the response leaves: ``DbSession`` commits only after the response is sent.

    Without it a kiosk that asks for the next question as soon as its answer is acknowledged
    could read the course before the answer is committed.
    """
    db.commit()


def _course_public(course: Course | None) -> CoursePublic | None:
    if course is None:
        return None
    p = courses.progress(course)
    return CoursePublic(state=p.state, answered=p.answered, finished=p.finished)


def _alert_public(alert: LiveAlert | None) -> LiveAlertPublic | None:
    if alert is None:
        return None
    return LiveAlertPublic(
        id=alert.id,
        challenge_id=alert.challenge_id,
        question_number=alert.question_number,
        status=alert.status,
        created_at=alert.created_at,
        resolved_at=alert.resolved_at,
    )


async def _long_poll(request: Request, wait: float, check: Callable[[Session, Candidate], tuple[bool, T]]) -> T:
    """Run ``check`` in a fresh session every ``POLL_INTERVAL`` until it says done or ``wait`` runs out."""
    token = course_join.bearer_token(request.headers.get("authorization"))
    factory, clock = request.app.state.sessions, request.app.state.clock

    def once() -> tuple[bool, T]:
        with factory.begin() as db:
            return check(db, course_join.candidate_for_token(db=db, token=token, now=clock()))

    give_up = time.monotonic() + wait
    while True:
        done, result = await run_in_threadpool(once)
        left = give_up - time.monotonic()
        if done or left <= 0:
            return result
        await asyncio.sleep(min(POLL_INTERVAL, left))


@router.post("/sessions/join")
def join_session(join_in: JoinCreate, db: DbSession, clock: Clock) -> JoinPublic:
    """Sign a candidate in to a session and issue their bearer token."""
    joined = course_join.join_session(
        db=db,
        session_id=join_in.session_id,
        access_code=join_in.access_code,
        last_name=join_in.last_name,
        first_name=join_in.first_name,
        birth_date=join_in.birth_date,
        install_id=join_in.install_id,
        now=clock(),
    )
    commit_now(db)
    candidate, session = joined.candidate, joined.session
    return JoinPublic(
        token=joined.token,
        expires_at=joined.expires_at,
        session=SessionPublic(
            id=session.id, date=session.date, time=session.time, room=session.room, url_rules=session.url_rules or {}
        ),
        candidate=CandidatePublic(
            id=candidate.id,
            display_name=f"{candidate.first_name} {candidate.last_name}",
            extra_time_percentage=candidate.extra_time_percentage,
            accessibility_adjustment=candidate.accessibility_adjustment,
        ),
        has_course=candidate.course is not None,
        course=_course_public(candidate.course),
    )


@router.get("/candidate/authorisation")
async def read_authorisation(request: Request, wait: Wait = 25) -> AuthorisationPublic:
    """Wait (long-poll) until the invigilator authorises the candidate to start or resume."""

    def check(db: Session, candidate: Candidate) -> tuple[bool, AuthorisationPublic]:
        course = courses.load_course(db=db, candidate=candidate)
        public = AuthorisationPublic(authorised=candidate.authorized_to_start, course=_course_public(course))
        return candidate.authorized_to_start or (course is not None and course.state != courses.STARTED), public

    return await _long_poll(request, wait, check)


@router.post("/candidate/course/start")
def start_course(
    candidate: CurrentCandidate, db: DbSession, catalog: Catalog, settings: AppSettings, clock: Clock
) -> StartPublic:
    """Start the course, or resume it; consumes the invigilator's authorisation."""
    now = clock()
    course, resumed = courses.start_course(db=db, settings=settings, candidate=candidate, now=now)
    commit_now(db)
    length = catalog.config(courses.version_of(db, course)).maximum_assessment_length
    public = _course_public(course)
    return StartPublic(
        resumed=resumed,
        course=public,
        question_number=min(public.answered + 1, length),
        question_count=length,
        deadline=course.deadline,
        seconds_left=courses.seconds_left(course, now),
    )


@router.get("/candidate/challenge")
def read_challenge(
    candidate: CurrentCandidate, db: DbSession, catalog: Catalog, clock: Clock
) -> CurrentChallengePublic:
    """The pending question (drawn now if none is pending), or ``finished`` once the test is over."""
    now = clock()
    course = courses.require_course(db=db, candidate=candidate, lock=True)
    pending = courses.current_challenge(db=db, catalog=catalog, course=course, now=now)
    commit_now(db)
    length = catalog.config(courses.version_of(db, course)).maximum_assessment_length
    challenge = pending.challenge
    return CurrentChallengePublic(
        finished=challenge is None,
        state=pending.progress.state,
        question_number=min(pending.progress.answered + 1, length),
        question_count=length,
        seconds_left=courses.seconds_left(course, now) if challenge is not None else 0,
        timer_seconds_left=courses.timer_seconds_left(course, challenge, now) if challenge is not None else None,
        live_alert=_alert_public(pending.alert),
        challenge=None
        if challenge is None
        else ChallengePublic.from_challenge(challenge, attachment_url=f"{PREFIX}/candidate/attachments/{challenge.id}"),
    )


@router.post("/candidate/answers")
def create_answer(
    answer_in: AnswerCreate, candidate: CurrentCandidate, db: DbSession, catalog: Catalog, clock: Clock
) -> AnswerPublic:
    """Answer (or skip) the pending question; a replayed UUID gets the first receipt back."""
    receipt = course_answers.submit_answer(
        db=db, catalog=catalog, candidate=candidate, answer_in=answer_in, now=clock()
    )
    commit_now(db)
    return AnswerPublic(
        uuid=receipt.uuid,
        challenge_id=receipt.challenge_id,
        answered=receipt.answered,
        next="end" if receipt.finished else "challenge",
    )


@router.post("/candidate/live-alerts", status_code=201)
def create_live_alert(
    candidate: CurrentCandidate, db: DbSession, catalog: Catalog, clock: Clock, alert_in: LiveAlertCreate | None = None
) -> LiveAlertPublic:
    """Report a problem on the pending question; the candidate then waits for the invigilator."""
    alert = course_alerts.create_live_alert(
        db=db,
        catalog=catalog,
        candidate=candidate,
        challenge_id=alert_in.challenge_id if alert_in else None,
        now=clock(),
    )
    commit_now(db)
    return _alert_public(alert)


@router.get("/candidate/live-alerts/current")
async def read_current_live_alert(request: Request, wait: Wait = 25) -> CurrentLiveAlertPublic:
    """Wait (long-poll) for the invigilator's decision on the candidate's latest report."""

    def check(db: Session, candidate: Candidate) -> tuple[bool, CurrentLiveAlertPublic]:
        course = courses.load_course(db=db, candidate=candidate)
        alert = course_alerts.latest_alert(course) if course is not None else None
        return alert is None or alert.status != course_alerts.ONGOING, CurrentLiveAlertPublic(
            alert=_alert_public(alert)
        )

    return await _long_poll(request, wait, check)


@router.post("/candidate/focus-out")
def create_focus_out(
    focus_in: FocusOutCreate, candidate: CurrentCandidate, db: DbSession, catalog: Catalog, clock: Clock
) -> FocusOutPublic:
    """Report that the candidate left a focused question (counted even if the kiosk crashes later)."""
    recorded = course_answers.record_focus_out(
        db=db, catalog=catalog, candidate=candidate, focus_in=focus_in, now=clock()
    )
    commit_now(db)
    return FocusOutPublic(recorded=recorded, challenge_id=focus_in.challenge_id)


@router.get("/candidate/course")
def read_course(candidate: CurrentCandidate, db: DbSession, clock: Clock) -> CoursePublic:
    """The course's state for the end screen (never the score: it is on the certificate)."""
    course = courses.require_course(db=db, candidate=candidate, lock=True)
    courses.enforce_time_limit(db=db, course=course, now=clock())
    commit_now(db)
    return _course_public(course)


@router.get(
    "/candidate/attachments/{challenge_id}/{name}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file, as an attachment."}},
)
def read_attachment(challenge_id: str, name: str, candidate: CurrentCandidate, db: DbSession, catalog: Catalog):
    """Download a file of a question asked to the candidate."""
    course = courses.require_course(db=db, candidate=candidate)
    if not any(a.challenge_id == challenge_id for a in course.asked):
        raise NotFoundError(f"challenge {challenge_id} was not asked in this course", code="unknown_challenge")
    version = courses.version_of(db, course)
    challenge = catalog.challenge(version, challenge_id)
    path = next((p for p in challenge.attachments if PurePosixPath(p).name == name), None)
    if path is None:
        raise NotFoundError(f"challenge {challenge_id} has no file named {name}", code="unknown_attachment")
    try:
        content = attachment_reader(version.bank_dir)(path)
    except OSError as exc:
        raise NotFoundError(f"the file {name} is missing on the server", code="unknown_attachment") from exc
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})
