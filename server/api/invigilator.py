"""The invigilator portal: log-in, the live session page, its JSON state and the actions (issue 5 §3).

Pages are HTML (Jinja2); the page polls ``GET /invigilator/sessions/{id}/state`` every 2 s and acts
with ``fetch`` POSTs that answer JSON. The signed cookie (``SameSite=Strict``) names the one session
the browser may see; requests for another session are refused, and ids of another session's
candidates or alerts are answered 404. Actions also refuse a foreign ``Origin`` header.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from server import auth
from server.auth import InvigilatedSessionId
from server.deps import AppSettings, Catalog, Clock, DbSession, Templates
from server.errors import AuthError, ForbiddenError, NotFoundError, ServerError, UnprocessableError
from server.models import ExamSession
from server.services import invigilation, invigilation_state
from server.services.invigilation import IN_CHALLENGE_SUBCATEGORIES
from server.services.throttle import LoginThrottledError

logger = logging.getLogger(__name__)

POLL_MILLISECONDS = 2000
#: Row ids fit a 32-bit integer column; a bigger one would make PostgreSQL fail (a 500) instead of a 422.
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
router = APIRouter(tags=["invigilator"])


# --- schemas -----------------------------------------------------------------------------------


class KioskEventPublic(BaseModel):
    """A recent kiosk event (focus lost, blocked site...)."""

    kind: str
    label: str
    detail: str
    at: dt.datetime


class KioskPublic(BaseModel):
    """The candidate's kiosk: heartbeat freshness, lock state, screens."""

    install_id: str
    name: str
    connected: bool
    last_seen_at: dt.datetime | None
    locked: bool
    lock_counter: int
    screens: int | None


class CoursePublic(BaseModel):
    """Where a candidate's course stands: question k/total, time left, end."""

    id: int
    state: str
    ended: bool
    ended_label: str | None
    answered: int
    question: int
    total: int
    seconds_left: int
    deadline: dt.datetime


class LiveAlertPublic(BaseModel):
    """An ongoing live alert (a candidate's report on the current question)."""

    id: int
    candidate_id: int
    candidate_name: str
    question_number: int
    flags: list[str]
    created_at: dt.datetime


class CandidateStatePublic(BaseModel):
    """One candidate as the invigilator sees them."""

    id: int
    last_name: str
    first_name: str
    birth_date: dt.date
    extra_time_percentage: float
    accessibility_adjustment: bool
    state: Literal["enrolled", "waiting", "authorised", "in_progress", "ended"]
    state_label: str
    course: CoursePublic | None
    kiosk: KioskPublic | None
    events: list[KioskEventPublic]
    alerts: list[LiveAlertPublic]


class SessionInfoPublic(BaseModel):
    """The session's identity."""

    id: int
    status: str
    date: dt.date
    time: str
    room: str
    examiner: str


class SessionStatePublic(BaseModel):
    """The live state of the invigilator page."""

    session: SessionInfoPublic
    now: dt.datetime
    candidates: list[CandidateStatePublic]
    alerts: list[LiveAlertPublic]


class ActionPublic(BaseModel):
    """The outcome of an action, in words for the page."""

    message: str


class UnlockCodePublic(BaseModel):
    """A one-time local unlock code for one lock of one kiosk (kiosk.md K44)."""

    code: str
    install_id: str
    kiosk_name: str
    lock_counter: int
    message: str


class AlertValidationCreate(BaseModel):
    """The invigilator's reason for validating a live alert (an IN_CHALLENGE subcategory)."""

    subcategory: str = Field(max_length=40)


class KioskMessageCreate(BaseModel):
    """A message shown on the candidate's kiosk."""

    text: str = Field(max_length=invigilation.MESSAGE_MAX_CHARS)


# --- helpers -----------------------------------------------------------------------------------


class LoginFieldError(UnprocessableError):
    """A log-in form field is missing or malformed."""

    default_code = "invalid_request"


def _guard(cookie_session_id: int | None, session_id: int) -> int:
    if cookie_session_id is None:
        raise AuthError("Connectez-vous à l'espace surveillant.", code="not_logged_in")
    if cookie_session_id != session_id:
        raise ForbiddenError(f"Ce navigateur est connecté à la session n° {cookie_session_id}.", code="other_session")
    return session_id


def _check_origin(request: Request) -> None:
    """Refuse an action whose ``Origin`` is another site (defence in depth beside ``SameSite=Strict``)."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        logger.warning("cross-origin invigilator action refused", extra={"event": "cross_origin_refused"})
        raise ForbiddenError("Requête refusée : elle ne vient pas de l'espace surveillant.", code="cross_origin")


def _name(candidate) -> str:
    return f"{candidate.first_name} {candidate.last_name}"


def _commit(db: Session) -> None:
    # Request-scoped dependencies exit after the response is sent: commit first, so the page's next
    # poll (sent as soon as this answer arrives) already sees the change.
    db.commit()


# --- log-in ------------------------------------------------------------------------------------


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _login_page(
    request: Request,
    templates: Templates,
    *,
    status: int = 200,
    error: str | None = None,
    session_number: str = "",
    headers: dict | None = None,
    current: int | None = None,
) -> Response:
    context = {"flash": error, "flash_kind": "error", "session_number": session_number, "current": current}
    return templates.TemplateResponse(request, "invigilator/login.html", context, status_code=status, headers=headers)


@router.get("/invigilator/login", response_class=HTMLResponse, include_in_schema=False)
def read_login(request: Request, templates: Templates, cookie: InvigilatedSessionId, session: str = "") -> Response:
    """The invigilator log-in form."""
    number = session if session.isdigit() and len(session) <= 9 else ""
    return _login_page(request, templates, session_number=number, current=cookie)


@router.post("/invigilator/login", include_in_schema=False)
def create_login(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    clock: Clock,
    templates: Templates,
    session_number: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Log an invigilator in with the session number and the invigilator password."""
    number = session_number.strip()
    try:
        if not number.isdigit() or len(number) > 9:
            raise LoginFieldError("Le numéro de session doit être un nombre (par exemple 12).", code="invalid_session")
        if not password.strip():
            raise LoginFieldError("Saisissez le mot de passe surveillant.", code="missing_password")
        address = request.client.host if request.client else "unknown"
        session = invigilation.log_in(
            db=db, settings=settings, session_id=int(number), password=password, address=address, now=clock()
        )
    except ServerError as exc:
        # Answer the error instead of raising it: the failure just recorded must be committed.
        _commit(db)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, LoginThrottledError) else None
        if _wants_json(request):
            return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status, headers=headers)
        return _login_page(
            request, templates, status=exc.status, error=exc.message, session_number=number[:9], headers=headers
        )
    _commit(db)
    target = f"/invigilator/sessions/{session.id}"
    response: Response = (
        JSONResponse({"session_id": session.id, "location": target})
        if _wants_json(request)
        else RedirectResponse(target, status_code=303)
    )
    payload = {"session_id": session.id}
    auth.set_portal_cookie(response, auth.INVIGILATOR_COOKIE, settings.secret_key, payload, secure=settings.production)
    return response


@router.post("/invigilator/logout", include_in_schema=False)
def delete_login() -> Response:
    """Log the invigilator out (forget the cookie)."""
    response = RedirectResponse("/invigilator/login", status_code=303)
    response.delete_cookie(auth.INVIGILATOR_COOKIE, httponly=True, samesite="strict")
    return response


# --- the session page and its live state -------------------------------------------------------


@router.get("/invigilator/sessions/{session_id}", response_class=HTMLResponse, include_in_schema=False)
def read_session_page(
    request: Request,
    session_id: Id,
    db: DbSession,
    settings: AppSettings,
    templates: Templates,
    cookie: InvigilatedSessionId,
) -> Response:
    """The live page of the session (log-in first)."""
    if cookie != session_id:
        return RedirectResponse(f"/invigilator/login?session={session_id}", status_code=303)
    session = db.get(ExamSession, session_id)
    if session is None:
        raise NotFoundError(f"Session n° {session_id} introuvable.")
    subcategories = list(IN_CHALLENGE_SUBCATEGORIES.items())
    minutes = settings.session_minutes
    context = {
        "session": session,
        "subcategories": subcategories,
        "poll_ms": POLL_MILLISECONDS,
        "duration": f"{minutes // 60} h {minutes % 60:02d}",
    }
    return templates.TemplateResponse(request, "invigilator/session.html", context)


@router.get("/invigilator/sessions/{session_id}/state", response_model=SessionStatePublic)
def read_session_state(
    session_id: Id, db: DbSession, settings: AppSettings, catalog: Catalog, clock: Clock, cookie: InvigilatedSessionId
) -> dict:
    """Live state of every candidate of the invigilator's session."""
    _guard(cookie, session_id)
    state = invigilation_state.session_state(
        db=db, settings=settings, catalog=catalog, session_id=session_id, now=clock()
    )
    return state


# --- actions -----------------------------------------------------------------------------------

actions = APIRouter(prefix="/invigilator/sessions/{session_id}", dependencies=[Depends(_check_origin)])


@actions.post("/candidates/{candidate_id}/authorisation", response_model=ActionPublic)
def authorise_candidate(session_id: Id, candidate_id: Id, db: DbSession, clock: Clock, cookie: InvigilatedSessionId):
    """Authorise a candidate to start or resume their test."""
    candidate = invigilation.authorise(
        db=db, session_id=_guard(cookie, session_id), candidate_id=candidate_id, now=clock()
    )
    _commit(db)
    verb = "reprendre" if candidate.course is not None else "démarrer"
    return {"message": f"{_name(candidate)} est autorisé(e) à {verb} son test."}


@actions.post("/candidates/{candidate_id}/end", response_model=ActionPublic)
def end_candidate_course(session_id: Id, candidate_id: Id, db: DbSession, clock: Clock, cookie: InvigilatedSessionId):
    """End a candidate's test (state endedByInvigilator)."""
    course = invigilation.end_course(
        db=db, session_id=_guard(cookie, session_id), candidate_id=candidate_id, now=clock()
    )
    _commit(db)
    return {"message": f"Le test de {_name(course.candidate)} est terminé."}


@actions.post("/candidates/{candidate_id}/unlock", response_model=ActionPublic)
def unlock_kiosk(session_id: Id, candidate_id: Id, db: DbSession, clock: Clock, cookie: InvigilatedSessionId):
    """Unlock a candidate's kiosk remotely (instruction in its next heartbeat reply)."""
    invigilation.instruct_kiosk(
        db=db,
        session_id=_guard(cookie, session_id),
        candidate_id=candidate_id,
        kind="unlock",
        payload={"by": "invigilator"},
        now=clock(),
    )
    _commit(db)
    return {"message": "Déverrouillage envoyé : le kiosque le recevra dans quelques secondes."}


@actions.post("/candidates/{candidate_id}/lock", response_model=ActionPublic)
def lock_kiosk(session_id: Id, candidate_id: Id, db: DbSession, clock: Clock, cookie: InvigilatedSessionId):
    """Lock a candidate's kiosk remotely (a ``force_lock`` instruction in its next heartbeat reply, K45)."""
    invigilation.instruct_kiosk(
        db=db,
        session_id=_guard(cookie, session_id),
        candidate_id=candidate_id,
        kind="force_lock",
        payload={"message": "Poste verrouillé par le surveillant."},
        now=clock(),
    )
    _commit(db)
    return {"message": "Verrouillage envoyé : le kiosque le recevra dans quelques secondes."}


@actions.post("/candidates/{candidate_id}/messages", response_model=ActionPublic)
def create_kiosk_message(
    session_id: Id,
    candidate_id: Id,
    message: KioskMessageCreate,
    db: DbSession,
    clock: Clock,
    cookie: InvigilatedSessionId,
):
    """Send a message to a candidate's kiosk."""
    invigilation.send_message(
        db=db, session_id=_guard(cookie, session_id), candidate_id=candidate_id, text=message.text, now=clock()
    )
    _commit(db)
    return {"message": "Message envoyé au kiosque."}


@actions.post("/candidates/{candidate_id}/unlock-code", response_model=UnlockCodePublic)
def create_unlock_code(
    session_id: Id,
    candidate_id: Id,
    db: DbSession,
    settings: AppSettings,
    clock: Clock,
    cookie: InvigilatedSessionId,
):
    """Show the one-time code that unlocks a candidate's locked kiosk locally."""
    code, device, counter = invigilation.show_unlock_code(
        db=db, settings=settings, session_id=_guard(cookie, session_id), candidate_id=candidate_id, now=clock()
    )
    _commit(db)
    return {
        "code": code,
        "install_id": device.install_id,
        "kiosk_name": device.name,
        "lock_counter": counter,
        "message": f"Code de déverrouillage affiché pour le kiosque {device.name or device.install_id}.",
    }


@actions.post("/alerts/{alert_id}/validation", response_model=ActionPublic)
def validate_live_alert(
    session_id: Id,
    alert_id: Id,
    validation: AlertValidationCreate,
    db: DbSession,
    clock: Clock,
    cookie: InvigilatedSessionId,
):
    """Validate a live alert: the candidate gets a new question."""
    alert = invigilation.validate_alert(
        db=db,
        session_id=_guard(cookie, session_id),
        alert_id=alert_id,
        subcategory=validation.subcategory,
        now=clock(),
    )
    _commit(db)
    return {"message": f"Signalement validé : une nouvelle question remplace la question {alert.question_number}."}


@actions.post("/alerts/{alert_id}/dismissal", response_model=ActionPublic)
def dismiss_live_alert(session_id: Id, alert_id: Id, db: DbSession, clock: Clock, cookie: InvigilatedSessionId):
    """Dismiss a live alert: the candidate goes on with the same question."""
    alert = invigilation.dismiss_alert(db=db, session_id=_guard(cookie, session_id), alert_id=alert_id, now=clock())
    _commit(db)
    return {"message": f"Signalement refusé : le candidat reprend la question {alert.question_number}."}


router.include_router(actions)
