"""Organiser portal: enrol candidates by form or CSV import, edit and remove them (issue 5 §4).

The form's fields are named after :data:`server.services.enrolment.COLUMNS`' values; a bad form is
shown again with one message per field, a bad import file with one message per line and column.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from server.api.organiser import (
    FormFields,
    OwnedSession,
    PortalDb,
    PortalOrganiser,
    PortalRoute,
    form_error,
    redirect,
    render,
    rollback,
    session_page,
    session_path,
)
from server.deps import Clock
from server.errors import ConflictError
from server.models import Candidate
from server.services import enrolment
from server.services.enrolment import EnrolmentError, parse_candidate

router = APIRouter(prefix="/organiser/sessions/{session_id}", route_class=PortalRoute, include_in_schema=False)

FORM = "organiser/candidate_form.html"
UPLOAD_FIELD = "fichier"


def _values(form: FormData) -> dict[str, str]:
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    values["accessibility"] = "oui" if values.get("accessibility") in ("oui", "on") else "non"
    return values


def _candidate_values(candidate: Candidate) -> dict[str, str]:
    return {
        "last_name": candidate.last_name,
        "first_name": candidate.first_name,
        "birth_date": candidate.birth_date.isoformat(),
        "birth_place": candidate.birth_place,
        "email": candidate.email,
        "external_id": candidate.external_id,
        "extra_time": f"{round(candidate.extra_time_percentage * 100, 2):g}",
        "accessibility": "oui" if candidate.accessibility_adjustment else "non",
    }


@router.get("/candidates/new", response_class=HTMLResponse)
def read_new_candidate(request: Request, session: OwnedSession) -> Response:
    """The enrolment form."""
    return render(request, FORM, session=session, candidate=None, values={})


@router.post("/candidates", response_class=HTMLResponse)
def create_candidate(
    request: Request, form: FormFields, session: OwnedSession, organiser: PortalOrganiser, db: PortalDb, clock: Clock
) -> Response:
    """Enrol one candidate from the form."""
    values = _values(form)
    try:
        candidate_in = parse_candidate(values, today=clock().date())
        enrolment.add_candidate(db=db, organiser=organiser, session=session, candidate_in=candidate_in, now=clock())
    except (EnrolmentError, ConflictError) as exc:
        return form_error(request, FORM, exc, session=session, candidate=None, values=values)
    return redirect(session_path(session), "added")


@router.post("/candidates/import", response_class=HTMLResponse)
def create_candidates_from_file(
    request: Request, form: FormFields, session: OwnedSession, organiser: PortalOrganiser, db: PortalDb, clock: Clock
) -> Response:
    """Enrol every candidate of a CSV file, or none if any line is wrong."""
    upload = form.get(UPLOAD_FIELD)
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise EnrolmentError([enrolment.RowProblem(None, None, "choisissez un fichier CSV à importer")])
        content = upload.file.read()
        enrolment.import_candidates(db=db, organiser=organiser, session=session, content=content, now=clock())
    except (EnrolmentError, ConflictError) as exc:
        rows = getattr(exc, "rows", None) or [enrolment.RowProblem(None, None, exc.message)]
        rollback(request)
        return session_page(request, db, session, status_code=exc.status, import_problems=rows)
    return redirect(session_path(session), "imported")


@router.get("/candidates/{candidate_id}/edit", response_class=HTMLResponse)
def read_candidate(request: Request, candidate_id: int, session: OwnedSession, db: PortalDb) -> Response:
    """The form to change an enrolment."""
    candidate = enrolment.get_candidate(db=db, session=session, candidate_id=candidate_id)
    enrolment.check_editable(candidate)
    return render(request, FORM, session=session, candidate=candidate, values=_candidate_values(candidate))


@router.post("/candidates/{candidate_id}", response_class=HTMLResponse)
def update_candidate(
    request: Request,
    candidate_id: int,
    form: FormFields,
    session: OwnedSession,
    organiser: PortalOrganiser,
    db: PortalDb,
    clock: Clock,
) -> Response:
    """Save the changed enrolment."""
    candidate = enrolment.get_candidate(db=db, session=session, candidate_id=candidate_id)
    values = _values(form)
    try:
        candidate_in = parse_candidate(values, today=clock().date())
        enrolment.update_candidate(
            db=db, organiser=organiser, candidate=candidate, candidate_in=candidate_in, now=clock()
        )
    except (EnrolmentError, ConflictError) as exc:
        return form_error(request, FORM, exc, session=session, candidate=candidate, values=values)
    return redirect(session_path(session), "updated")


@router.post("/candidates/{candidate_id}/delete", response_class=HTMLResponse)
def delete_candidate(
    request: Request, candidate_id: int, session: OwnedSession, organiser: PortalOrganiser, db: PortalDb, clock: Clock
) -> Response:
    """Remove a candidate who has not started."""
    candidate = enrolment.get_candidate(db=db, session=session, candidate_id=candidate_id)
    enrolment.remove_candidate(db=db, organiser=organiser, candidate=candidate, now=clock())
    return redirect(session_path(session), "removed")
