"""The organiser portal (HTML, French): log-in, the centre's sessions, a session's page (issue 5 §4).

Every page of the portal uses :class:`PortalRoute`: a visitor without the organiser cookie is sent
to the log-in page, and a :class:`~server.errors.ServerError` becomes a French HTML page with its
status (404 for another centre's session or candidate), after rolling the request's changes back.
The request's changes are committed before the response is sent (``DbSession``), so the page a
redirect leads to sees them.
Forms are posted with ``SameSite=Strict`` cookies, so another site cannot post them for the organiser.
The candidate, finalisation and results pages live in ``organiser_candidates`` and ``organiser_results``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from server import auth
from server.auth import CurrentOrganiser
from server.deps import AppSettings, Clock, DbSession
from server.errors import AuthError, ServerError
from server.models import ExamSession, Organiser
from server.services import sessions as session_service
from server.services.certificates import COURSE_STATE_LABELS
from server.services.sessions import (
    STATUS_LABELS,
    TIME_PATTERN,
    InvalidRequestError,
    SessionCreate,
    has_control_characters,
)
from server.services.throttle import LoginThrottledError

logger = logging.getLogger(__name__)

LOGIN_PATH = "/organiser/login"
#: Messages shown after a redirect, chosen by a key in the query string (never reflected text).
NOTICES = {
    "added": "Le candidat est inscrit.",
    "updated": "L'inscription est modifiée.",
    "removed": "Le candidat est retiré de la session.",
    "imported": "Le fichier est importé : tous les candidats sont inscrits.",
    "finalized": "La session est finalisée et les résultats sont calculés.",
    "published": "Les résultats sont publiés.",
    "logout": "Vous êtes déconnecté.",
}


class LoginRequiredError(AuthError):
    """The page needs an organiser who is logged in."""


class PortalRoute(APIRoute):
    """A portal page: redirect to the log-in page when needed, errors as French HTML pages."""

    def get_route_handler(self):
        """Wrap FastAPI's handler with the portal's redirect and error pages."""
        handler = super().get_route_handler()

        async def portal_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequiredError:
                return RedirectResponse(LOGIN_PATH, status_code=303)
            except ServerError as exc:
                rollback(request)
                return error_page(request, exc)

        return portal_handler


def rollback(request: Request) -> None:
    """Undo the request's database changes (before showing an error page)."""
    db = getattr(request.state, "portal_db", None)
    if db is not None:
        db.rollback()


def error_page(request: Request, exc: ServerError) -> HTMLResponse:
    """The portal's error page for ``exc``, with its status."""
    problems = getattr(exc, "problems", None) or [exc.message]
    return request.app.state.templates.TemplateResponse(
        request, "organiser/error.html", {"problems": problems, "status": exc.status}, status_code=exc.status
    )


def _portal_db(request: Request, db: DbSession) -> Session:
    request.state.portal_db = db  # for the rollback of PortalRoute, which answers errors itself
    return db


def _portal_organiser(organiser: CurrentOrganiser) -> Organiser:
    if organiser is None:
        raise LoginRequiredError("connexion requise", code="login_required")
    return organiser


async def _form(request: Request) -> AsyncIterator[FormData]:
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()  # uploaded files are spooled to temporary files


PortalDb = Annotated[Session, Depends(_portal_db)]
PortalOrganiser = Annotated[Organiser, Depends(_portal_organiser)]
FormFields = Annotated[FormData, Depends(_form)]


def _owned_session(session_id: int, organiser: PortalOrganiser, db: PortalDb) -> ExamSession:
    return session_service.get_session(db=db, organiser=organiser, session_id=session_id)


OwnedSession = Annotated[ExamSession, Depends(_owned_session)]


def render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a portal template; ``?ok=<key>`` shows the matching notice."""
    notice = NOTICES.get(request.query_params.get("ok", ""))
    context = {"flash": notice, "flash_kind": "ok", "status_labels": STATUS_LABELS, **context}
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status_code)


def form_error(request: Request, name: str, exc: ServerError, **context: Any) -> HTMLResponse:
    """Re-render a form with the problems of ``exc`` (after rolling the request's changes back)."""
    rollback(request)
    problems = getattr(exc, "problems", None) or [exc.message]
    return render(request, name, status_code=exc.status, problems=problems, **context)


def redirect(path: str, notice: str | None = None) -> RedirectResponse:
    """A 303 redirect (after a POST), with an optional notice key."""
    return RedirectResponse(f"{path}?ok={notice}" if notice else path, status_code=303)


def session_path(session: ExamSession) -> str:
    """The path of a session's page."""
    return f"/organiser/sessions/{session.id}"


def parse_session_form(form: FormData) -> SessionCreate:
    """A :class:`SessionCreate` from the creation form's text fields.

    Raises
    ------
    InvalidRequestError
        The date or the time is missing or malformed, or a text is too long (every problem named).
    """
    problems = []
    raw_date, raw_time = str(form.get("date", "")).strip(), str(form.get("time", "") or "09:00").strip()
    try:
        day = dt.date.fromisoformat(raw_date)
    except ValueError:
        day = None
        problems.append(f"date : « {raw_date} » n'est pas une date (attendu AAAA-MM-JJ)")
    if not TIME_PATTERN.match(raw_time):
        problems.append(f"heure : « {raw_time} » n'est pas une heure (attendu HH:MM)")
    texts = {key: str(form.get(key, "")).strip() for key in ("room", "address", "examiner")}
    limits = {"room": ("salle", 200), "address": ("adresse", 300), "examiner": ("examinateur", 200)}
    for key, (label, limit) in limits.items():
        if len(texts[key]) > limit:
            problems.append(f"{label} : {limit} caractères au plus")
        elif has_control_characters(texts[key]):
            problems.append(f"{label} : caractère de contrôle interdit")
    if problems:
        raise InvalidRequestError(problems)
    return SessionCreate(date=day, time=raw_time, **texts)


router = APIRouter(prefix="/organiser", route_class=PortalRoute, include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def read_portal(organiser: PortalOrganiser) -> Response:
    """The portal's entry: the list of sessions."""
    return redirect("/organiser/sessions")


@router.get("/login", response_class=HTMLResponse)
def read_login(request: Request, organiser: CurrentOrganiser) -> Response:
    """The log-in form."""
    if organiser is not None:
        return redirect("/organiser/sessions")
    return render(request, "organiser/login.html", flash_kind="info")


@router.post("/login", response_class=HTMLResponse)
def create_login(request: Request, form: FormFields, db: PortalDb, settings: AppSettings, clock: Clock) -> Response:
    """Check the e-mail and password, then set the organiser cookie."""
    email = str(form.get("email", ""))
    try:
        organiser = session_service.authenticate_organiser(
            db=db,
            email=email,
            password=str(form.get("password", "")),
            address=request.client.host if request.client else "unknown",
            now=clock(),
            attempts=settings.invigilator_login_attempts,
            window_seconds=settings.invigilator_login_window_seconds,
        )
    except (AuthError, LoginThrottledError) as exc:
        # Not form_error: it rolls back, and the failure just recorded must be committed to count.
        return render(request, "organiser/login.html", status_code=exc.status, problems=[exc.message], email=email)
    response = redirect("/organiser/sessions")
    auth.set_portal_cookie(
        response, auth.ORGANISER_COOKIE, settings.secret_key, {"organiser_id": organiser.id}, secure=settings.production
    )
    return response


@router.post("/logout", response_class=HTMLResponse)
def delete_login() -> Response:
    """Forget the organiser cookie."""
    response = redirect(LOGIN_PATH, "logout")
    response.delete_cookie(auth.ORGANISER_COOKIE)
    return response


@router.get("/sessions", response_class=HTMLResponse)
def read_sessions(request: Request, organiser: PortalOrganiser, db: PortalDb) -> Response:
    """The sessions of the organiser's centre."""
    sessions = session_service.list_sessions(db=db, organiser=organiser)
    return render(request, "organiser/sessions.html", organiser=organiser, sessions=sessions)


@router.get("/sessions/new", response_class=HTMLResponse)
def read_new_session(request: Request, organiser: PortalOrganiser, clock: Clock) -> Response:
    """The form to create a session."""
    return render(request, "organiser/session_form.html", values={"date": clock().date().isoformat(), "time": "09:00"})


@router.post("/sessions", response_class=HTMLResponse)
def create_session(
    request: Request, form: FormFields, organiser: PortalOrganiser, db: PortalDb, clock: Clock
) -> Response:
    """Create a session and show its page with the invigilator password, once."""
    try:
        session_in = parse_session_form(form)
        session, password = session_service.create_session(
            db=db, organiser=organiser, session_in=session_in, now=clock()
        )
    except InvalidRequestError as exc:
        return form_error(request, "organiser/session_form.html", exc, values=dict(form))
    return session_page(request, db, session, invigilator_password=password, status_code=201)


def session_page(
    request: Request, db: Session, session: ExamSession, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A session's page (candidates, codes, actions); ``context`` adds import problems or a new password."""
    courses = {c.candidate_id: c for c in session_service.session_courses(db=db, session=session)}
    return render(
        request,
        "organiser/session.html",
        status_code=status_code,
        session=session,
        courses=courses,
        state_labels=COURSE_STATE_LABELS,
        **context,
    )


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def read_session(request: Request, session: OwnedSession, db: PortalDb) -> Response:
    """A session's page: codes, status, candidates, enrolment and import forms."""
    return session_page(request, db, session)


@router.post("/sessions/{session_id}/invigilator-password", response_class=HTMLResponse)
def create_invigilator_password(
    request: Request, session: OwnedSession, organiser: PortalOrganiser, db: PortalDb, clock: Clock
) -> Response:
    """Replace the invigilator password and show the new one, once."""
    password = session_service.regenerate_invigilator_password(db=db, organiser=organiser, session=session, now=clock())
    return session_page(request, db, session, invigilator_password=password)
