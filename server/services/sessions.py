"""Organiser accounts, certification sessions, finalisation and publication (spec §9.1, §9.7, §10.2).

Every function takes keyword-only arguments and only flushes: the request's database session
commits once at the end, so a finalisation (state changes, scoring, audit) is one transaction.
Messages are in French: the organiser portal shows them as they are.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import AuthError, ConflictError, NotFoundError, UnprocessableError
from server.issue_categories import DEPRECATED_CATEGORIES, DEPRECATED_SUBCATEGORIES, ISSUE_CATEGORIES
from server.models import AuditEntry, Candidate, Centre, Course, ExamSession, IssueReport, Organiser, Result
from server.security import access_code, hash_password, invigilator_password, verify_password
from server.services.scoring import score
from server.services.throttle import check_login_rate, record_login_failure
from server.services.versions import VersionCatalog

logger = logging.getLogger(__name__)

#: Sessions whose access code must stay unique (spec §9.1 rule 1: "not yet finalised").
OPEN_STATUS = "created"
#: Statuses from which results may be published (see :func:`publish_results`).
PUBLISHABLE = ("finalized", "processed")
#: Statuses after finalisation: results exist and certificates can be verified.
FINALISED_STATUSES = ("finalized", "in_process", "processed", "published")
STATUS_LABELS = {
    "created": "créée",
    "finalized": "finalisée",
    "in_process": "en cours de traitement",
    "processed": "traitée",
    "published": "résultats publiés",
}
#: Abort reasons of spec §9.7 with their French labels.
ABORT_REASONS = {"candidate": "abandon du candidat", "technical": "problème technique"}
#: Assessment states that finalisation ends (spec §9.3, plus the time limit state of the test API).
ENDED_BY_FINALISATION = ("started", "endedByInvigilator", "endedDueToTimeLimit")

#: Audit action of a failed organiser log-in (counted by the log-in throttle).
ORGANISER_LOGIN_FAILED = "organiser_login_failed"
#: A session start time, HH:MM.
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_CODE_ATTEMPTS = 200


class InvalidRequestError(UnprocessableError):
    """A form or a request with several problems, each one named in ``problems``."""

    def __init__(self, problems: Sequence[str], *, code: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems), code=code)


class SessionCreate(BaseModel):
    """What the organiser gives to create a session."""

    date: dt.date
    time: str = Field(default="09:00", pattern=TIME_PATTERN.pattern)
    room: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    examiner: str = Field(default="", max_length=200)


class IssueReportCreate(BaseModel):
    """An issue report given at finalisation for one candidate (spec §10.2)."""

    candidate_id: int
    category: str
    subcategory: str | None = None
    description: str = Field(default="", max_length=2000)
    question_number: int | None = None


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds control characters (NUL among them, which PostgreSQL refuses in text)."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def is_row_id(value: int) -> bool:
    """Whether ``value`` can be a row id (a positive 32-bit integer): larger ones overflow the databases."""
    return 0 < value < 2**31


def record_audit(*, db: Session, actor: str, action: str, target: str, now: dt.datetime, details: Any = None) -> None:
    """Append one entry to the audit log."""
    db.add(AuditEntry(at=now, actor=actor, action=action, target=target, details=details or {}))


# --- organisers -------------------------------------------------------------------------------


def create_organiser(*, db: Session, centre_name: str, email: str, password: str, name: str = "") -> Organiser:
    """Create an organiser account (and its centre, found or created by name).

    Raises
    ------
    ConflictError
        An account with this e-mail already exists.
    """
    email = email.strip().lower()
    if db.scalars(select(Organiser).where(func.lower(Organiser.email) == email)).first() is not None:
        raise ConflictError(f"un compte existe déjà pour {email}", code="organiser_exists")
    centre = db.scalars(select(Centre).where(Centre.name == centre_name)).first() or Centre(name=centre_name)
    organiser = Organiser(centre=centre, email=email, name=name, password_hash=hash_password(password))
    db.add(organiser)
    db.flush()
    return organiser


def authenticate_organiser(
    *,
    db: Session,
    email: str,
    password: str,
    address: str = "unknown",
    now: dt.datetime,
    attempts: int = 5,
    window_seconds: int = 300,
) -> Organiser:
    """The organiser with this e-mail and password.

    Failures are counted in the audit log per e-mail and per client address; past ``attempts``
    within ``window_seconds`` the attempt is refused before the password is even checked.

    Raises
    ------
    LoginThrottledError
        Too many recent failures for this e-mail or from this address (429).
    AuthError
        Unknown e-mail or wrong password (one message for both, logged as a security event).
    """
    email = email.strip().lower()
    known = not has_control_characters(email) and len(email) <= 254
    # A control character (NUL...) can be stored neither in PostgreSQL text nor usefully in a log.
    target = f"organiser:{email[:180]}" if known else "organiser:(invalid e-mail)"  # audit target: 200 chars
    check_login_rate(
        db,
        action=ORGANISER_LOGIN_FAILED,
        target=target,
        address=address,
        now=now,
        attempts=attempts,
        window_seconds=window_seconds,
    )
    organiser = db.scalars(select(Organiser).where(func.lower(Organiser.email) == email)).first() if known else None
    if organiser is None or not verify_password(password, organiser.password_hash):
        logger.warning(
            "organiser log-in refused",
            extra={"event": ORGANISER_LOGIN_FAILED, "organiser_id": organiser.id if organiser else None},
        )
        record_login_failure(db, action=ORGANISER_LOGIN_FAILED, target=target, address=address, now=now)
        raise AuthError("adresse e-mail ou mot de passe incorrect", code="bad_credentials")
    logger.info("organiser logged in", extra={"event": "organiser_login", "organiser_id": organiser.id})
    return organiser


# --- sessions ---------------------------------------------------------------------------------


def _unused_access_code(db: Session) -> str:
    open_codes = set(db.scalars(select(ExamSession.access_code).where(ExamSession.status == OPEN_STATUS)))
    for _ in range(_CODE_ATTEMPTS):
        code = access_code()
        if code not in open_codes:
            return code
    raise ConflictError("impossible de trouver un code d'accès libre, réessayez", code="access_code_exhausted")


def create_session(
    *, db: Session, organiser: Organiser, session_in: SessionCreate, now: dt.datetime
) -> tuple[ExamSession, str]:
    """Create a session of the organiser's centre; returns it and its invigilator password (shown once).

    Raises
    ------
    InvalidRequestError
        The date is in the past or more than two years ahead.
    """
    if session_in.date < now.date():
        raise InvalidRequestError([f"date : le {session_in.date:%d/%m/%Y} est déjà passé"])
    if session_in.date > now.date() + dt.timedelta(days=2 * 366):
        raise InvalidRequestError([f"date : le {session_in.date:%d/%m/%Y} est à plus de deux ans"])
    password = invigilator_password()
    session = ExamSession(
        centre_id=organiser.centre_id,
        access_code=_unused_access_code(db),
        invigilator_password_hash=hash_password(password),
        created_at=now,
        **session_in.model_dump(),
    )
    db.add(session)
    db.flush()
    record_audit(
        db=db,
        actor=f"organiser:{organiser.id}",
        action="create_session",
        target=f"session:{session.id}",
        now=now,
        details={"date": session.date.isoformat()},
    )
    return session, password


def list_sessions(*, db: Session, organiser: Organiser) -> list[ExamSession]:
    """The sessions of the organiser's centre, newest date first."""
    return list(
        db.scalars(
            select(ExamSession)
            .where(ExamSession.centre_id == organiser.centre_id)
            .order_by(ExamSession.date.desc(), ExamSession.id.desc())
        )
    )


def get_session(*, db: Session, organiser: Organiser, session_id: int) -> ExamSession:
    """One session of the organiser's centre.

    Raises
    ------
    NotFoundError
        No such session in the organiser's centre (another centre's session is not found either).
    """
    session = db.get(ExamSession, session_id) if is_row_id(session_id) else None
    if session is None or session.centre_id != organiser.centre_id:
        raise NotFoundError(f"session {session_id} introuvable dans votre centre", code="session_not_found")
    return session


def regenerate_invigilator_password(
    *, db: Session, organiser: Organiser, session: ExamSession, now: dt.datetime
) -> str:
    """Replace the invigilator password and return the new one (shown once).

    Raises
    ------
    ConflictError
        The session is finalised: the invigilator portal is closed.
    """
    if session.status != OPEN_STATUS:
        raise ConflictError("la session est finalisée : le portail surveillant est fermé", code="session_closed")
    password = invigilator_password()
    session.invigilator_password_hash = hash_password(password)
    record_audit(
        db=db,
        actor=f"organiser:{organiser.id}",
        action="regenerate_invigilator_password",
        target=f"session:{session.id}",
        now=now,
    )
    logger.info(
        "invigilator password regenerated", extra={"event": "invigilator_password_reset", "session": session.id}
    )
    return password


def session_courses(*, db: Session, session: ExamSession) -> list[Course]:
    """The courses started in the session, in candidate order."""
    return list(db.scalars(select(Course).where(Course.session_id == session.id).order_by(Course.candidate_id)))


# --- finalisation (spec §9.7) -----------------------------------------------------------------


def _name(candidate: Candidate) -> str:
    return f"{candidate.first_name} {candidate.last_name}"


def _abort_reason_problems(
    candidates: Mapping[int, Candidate], courses: Mapping[int, Course], abort_reasons: Mapping[int, str]
) -> list[str]:
    problems = []
    for candidate_id, reason in abort_reasons.items():
        if candidate_id not in candidates:
            problems.append(f"motif d'abandon pour le candidat {candidate_id}, qui n'est pas inscrit à cette session")
        elif candidate_id not in courses:
            problems.append(f"{_name(candidates[candidate_id])} n'a pas commencé : pas de motif d'abandon")
        elif courses[candidate_id].state == "completed":
            problems.append(f"{_name(candidates[candidate_id])} a terminé son test : pas de motif d'abandon")
        elif reason not in ABORT_REASONS:
            problems.append(f"{_name(candidates[candidate_id])} : motif « {reason} » inconnu (abandon ou technique)")
    for candidate_id, course in courses.items():
        if course.state != "completed" and candidate_id not in abort_reasons:
            problems.append(f"{_name(candidates[candidate_id])} n'a pas terminé : indiquez un motif d'abandon")
    return problems


def _issue_report_problems(
    candidates: Mapping[int, Candidate], courses: Mapping[int, Course], reports: Sequence[IssueReportCreate]
) -> list[str]:
    problems = []
    for report in reports:
        who = _name(candidates[report.candidate_id]) if report.candidate_id in candidates else None
        where = f"signalement pour {who or f'le candidat {report.candidate_id}'}"
        if who is None or report.candidate_id not in courses:
            problems.append(f"{where} : ce candidat n'a pas de parcours dans cette session")
        elif report.category in DEPRECATED_CATEGORIES or report.subcategory in DEPRECATED_SUBCATEGORIES:
            problems.append(f"{where} : la catégorie {report.subcategory or report.category} n'est plus acceptée")
        elif report.category not in ISSUE_CATEGORIES:
            problems.append(f"{where} : catégorie {report.category} inconnue")
        else:
            subcategories = ISSUE_CATEGORIES[report.category][1]
            if subcategories and report.subcategory not in subcategories:
                problems.append(f"{where} : choisissez une sous-catégorie de {report.category}")
            elif not subcategories and report.subcategory:
                problems.append(f"{where} : la catégorie {report.category} n'a pas de sous-catégorie")
            elif report.category == "IN_CHALLENGE" and not 1 <= (report.question_number or 0) <= 500:
                problems.append(f"{where} : indiquez le numéro de la question (1 à 500)")
            elif has_control_characters(report.description):
                problems.append(f"{where} : la description contient un caractère de contrôle")
    return problems


def finalise_session(
    *,
    db: Session,
    catalog: VersionCatalog,
    organiser: Organiser,
    session: ExamSession,
    abort_reasons: Mapping[int, str],
    issue_reports: Sequence[IssueReportCreate] = (),
    now: dt.datetime,
) -> list[Result]:
    """Finalise the session (spec §9.7): abort reasons, issue reports, end the assessments, score.

    ``abort_reasons`` maps a candidate id to ``candidate`` or ``technical``, one for each course
    that is not completed and none for the others. Courses without a result are scored.

    Raises
    ------
    ConflictError
        The session is already finalised, or no course was started.
    InvalidRequestError
        Missing, extra or unknown abort reasons, or invalid issue reports (every problem listed).
    """
    if session.status != OPEN_STATUS:
        raise ConflictError("la session est déjà finalisée", code="already_finalized")
    courses = {course.candidate_id: course for course in session_courses(db=db, session=session)}
    if not courses:
        raise ConflictError("aucun candidat n'a commencé le test : rien à finaliser", code="no_course_started")
    candidates = {candidate.id: candidate for candidate in session.candidates}
    problems = _abort_reason_problems(candidates, courses, abort_reasons)
    problems += _issue_report_problems(candidates, courses, issue_reports)
    if problems:
        raise InvalidRequestError(problems, code="invalid_finalisation")
    for report in issue_reports:
        db.add(
            IssueReport(
                course_id=courses[report.candidate_id].id, created_at=now, **report.model_dump(exclude={"candidate_id"})
            )
        )
    for candidate_id, course in courses.items():
        if candidate_id in abort_reasons:
            course.abort_reason = abort_reasons[candidate_id]
        if course.state in ENDED_BY_FINALISATION:
            course.state = "endedDueToFinalization"
            course.ended_at = course.ended_at or now
    session.status, session.finalized_at = "finalized", now
    db.flush()
    results = [db.get(Result, course.id) or score(db, catalog, course) for course in courses.values()]
    record_audit(
        db=db,
        actor=f"organiser:{organiser.id}",
        action="finalize_session",
        target=f"session:{session.id}",
        now=now,
        details={
            "abort_reasons": {str(k): v for k, v in abort_reasons.items()},
            "issue_reports": len(issue_reports),
            "courses": len(courses),
        },
    )
    logger.info("session finalised", extra={"event": "session_finalized", "session": session.id})
    return results


def publish_results(*, db: Session, organiser: Organiser, session: ExamSession, now: dt.datetime) -> None:
    """Publish the results: ``finalized`` or ``processed`` becomes ``published``.

    The project has no certification-officer step yet, so a finalised session may be published at
    once; a ``processed`` one (reviewed by an officer, spec §9.1) may be too.

    Raises
    ------
    ConflictError
        The session is not finalised yet, or already published.
    """
    if session.status not in PUBLISHABLE:
        raise ConflictError(
            f"impossible de publier une session « {STATUS_LABELS.get(session.status, session.status)} »",
            code="not_publishable",
        )
    session.status = "published"
    record_audit(
        db=db, actor=f"organiser:{organiser.id}", action="publish_results", target=f"session:{session.id}", now=now
    )
