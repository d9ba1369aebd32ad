"""Organiser portal: finalise a session, see and export its results, publish them, download certificates.

Finalisation (spec §9.7) takes one abort reason per unfinished course (form field
``abort_reason_<candidate id>``) and optional issue reports (``report_category_<id>`` as
``CATEGORY`` or ``CATEGORY:SUBCATEGORY``, ``report_question_<id>``, ``report_description_<id>``).
"""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from cadenas.resources import load_shipped_referential
from engine.config import COMPETENCE_CODES
from engine.scoring import MESHES
from server.api.organiser import (
    FormFields,
    OwnedSession,
    PortalDb,
    PortalOrganiser,
    PortalRoute,
    form_error,
    redirect,
    render,
    session_path,
)
from server.deps import Catalog, Clock
from server.errors import ConflictError
from server.models import ExamSession
from server.services import certificates, enrolment
from server.services import sessions as session_service
from server.services.sessions import ABORT_REASONS, ISSUE_CATEGORIES, InvalidRequestError, IssueReportCreate

router = APIRouter(prefix="/organiser/sessions/{session_id}", route_class=PortalRoute, include_in_schema=False)

FINALISE_FORM = "organiser/finalise.html"


def _int(raw: str, what: str, problems: list[str]) -> int | None:
    try:
        return int(raw)
    except ValueError:
        problems.append(f"{what} : « {raw} » n'est pas un nombre entier")
        return None


def _parse_finalisation(form: FormData) -> tuple[dict[int, str], list[IssueReportCreate]]:
    """Abort reasons and issue reports from the finalisation form.

    Raises
    ------
    InvalidRequestError
        A field names a candidate or a question number that is not a number.
    """
    reasons, reports, problems = {}, [], []
    for key, value in form.items():
        value = str(value).strip()
        if key.startswith("abort_reason_") and value:
            candidate_id = _int(key.removeprefix("abort_reason_"), "motif d'abandon", problems)
            if candidate_id is not None:
                reasons[candidate_id] = value
        elif key.startswith("report_category_") and value:
            suffix = key.removeprefix("report_category_")
            candidate_id = _int(suffix, "signalement", problems)
            category, _, subcategory = value.partition(":")
            question = str(form.get(f"report_question_{suffix}", "")).strip()
            number = _int(question, "numéro de question", problems) if question else None
            if candidate_id is not None:
                description = str(form.get(f"report_description_{suffix}", "")).strip()[:2000]
                reports.append(
                    IssueReportCreate(
                        candidate_id=candidate_id,
                        category=category,
                        subcategory=subcategory or None,
                        description=description,
                        question_number=number,
                    )
                )
    if problems:
        raise InvalidRequestError(problems)
    return reasons, reports


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ would be run as a formula by a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def results_csv(rows: list[certificates.ResultRow]) -> str:
    """The session's results as CSV (``;``-separated, with a BOM so spreadsheets read UTF-8), one row per candidate."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "nom",
            "prénom",
            "date de naissance",
            "identifiant",
            "état du test",
            "résultat",
            "score pix",
            "niveau",
            "code de vérification",
            *COMPETENCE_CODES,
        ]
    )
    for row in rows:
        c, levels = row.candidate, row.competence_levels
        writer.writerow(
            [
                _cell(v)
                for v in (
                    c.last_name,
                    c.first_name,
                    f"{c.birth_date:%d/%m/%Y}",
                    c.external_id,
                    row.state_label,
                    row.status_label,
                    row.result.pix_score if row.validated else "",
                    row.level_label,
                    row.course.verification_code if row.validated else "",
                )
            ]
            + [levels.get(code, "") for code in COMPETENCE_CODES]
        )
    return out.getvalue()


def _finalise_context(session: ExamSession, db: Session) -> dict:
    courses = {c.candidate_id: c for c in session_service.session_courses(db=db, session=session)}
    return {
        "session": session,
        "courses": courses,
        "abort_reasons": ABORT_REASONS,
        "issue_categories": ISSUE_CATEGORIES,
        "state_labels": certificates.COURSE_STATE_LABELS,
    }


@router.get("/finalise", response_class=HTMLResponse)
def read_finalisation(request: Request, session: OwnedSession, db: PortalDb) -> Response:
    """The finalisation form: an abort reason for each unfinished course, optional issue reports."""
    return render(request, FINALISE_FORM, values={}, **_finalise_context(session, db))


@router.post("/finalise", response_class=HTMLResponse)
def create_finalisation(
    request: Request,
    form: FormFields,
    session: OwnedSession,
    organiser: PortalOrganiser,
    db: PortalDb,
    catalog: Catalog,
    clock: Clock,
) -> Response:
    """Finalise the session: end the courses, score them, all in one transaction."""
    try:
        reasons, reports = _parse_finalisation(form)
        session_service.finalise_session(
            db=db,
            catalog=catalog,
            organiser=organiser,
            session=session,
            abort_reasons=reasons,
            issue_reports=reports,
            now=clock(),
        )
    except (InvalidRequestError, ConflictError) as exc:
        values = {key: str(value) for key, value in form.items()}
        return form_error(request, FINALISE_FORM, exc, values=values, **_finalise_context(session, db))
    return redirect(f"{session_path(session)}/results", "finalized")


@router.get("/results", response_class=HTMLResponse)
def read_results(request: Request, session: OwnedSession, db: PortalDb) -> Response:
    """The session's results: status, score, level, competence levels, verification code."""
    rows = certificates.session_results(db=db, session=session)
    referential = load_shipped_referential()
    names = {code: c.label("fr") for code, c in referential.competences.items()}
    return render(
        request,
        "organiser/results.html",
        session=session,
        rows=rows,
        codes=COMPETENCE_CODES,
        competence_names=names,
        meshes=MESHES,
    )


@router.get("/results.csv")
def read_results_csv(session: OwnedSession, db: PortalDb) -> Response:
    """The session's results as a CSV file, one row per candidate."""
    body = results_csv(certificates.session_results(db=db, session=session))
    filename = f"resultats-session-{session.id}.csv"
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/publish", response_class=HTMLResponse)
def create_publication(session: OwnedSession, organiser: PortalOrganiser, db: PortalDb, clock: Clock) -> Response:
    """Publish the results of a finalised session."""
    session_service.publish_results(db=db, organiser=organiser, session=session, now=clock())
    return redirect(f"{session_path(session)}/results", "published")


@router.get("/certificates/{candidate_id}.pdf")
def read_certificate(request: Request, candidate_id: int, session: OwnedSession, db: PortalDb) -> Response:
    """The certificate of a validated result, as a PDF."""
    candidate = enrolment.get_candidate(db=db, session=session, candidate_id=candidate_id)
    certificate = certificates.certificate_for_candidate(
        db=db, session=session, candidate=candidate, referential=load_shipped_referential()
    )
    verify_url = str(request.url_for("read_verification", code=certificate.verification_code))
    pdf = certificates.certificate_pdf(certificate, verify_url=verify_url)
    filename = f"certificat-{certificate.verification_code}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )
