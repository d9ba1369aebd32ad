"""The invigilator's side of a session: log-in, the live state of every candidate, and the actions.

Issue 5 §3; spec engine.md §9.1 rule 5 (the portal opens only while the session is ``created``),
§9.6 (end by invigilator), §10 (live alerts and issue reports); kiosk.md K44-K45 (one-time unlock
code, remote unlock). Every action is written to the audit log with the invigilator as actor, and
failed log-ins are counted in the audit log, so the rate limit holds across workers.

The functions flush but never commit: the caller's request session commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.config import Settings
from server.errors import AuthError, ConflictError, ForbiddenError, NotFoundError, ServerError
from server.issue_categories import IN_CHALLENGE_SUBCATEGORIES
from server.models import (
    AuditEntry,
    Candidate,
    CandidateToken,
    Course,
    ExamSession,
    IssueReport,
    KioskDevice,
    KioskInstruction,
    LiveAlert,
)
from server.security import unlock_code, verify_password
from server.services.throttle import check_login_rate, record_login_failure

logger = logging.getLogger(__name__)

LOGIN_FAILED = "invigilator_login_failed"

#: IN_CHALLENGE subcategories allowed for a new report (engine.md §10.2 without the deprecated ones).
ALERT_RESOLUTION = "validée par le surveillant, une nouvelle question a été proposée"
MESSAGE_MAX_CHARS = 500


# --- log-in ------------------------------------------------------------------------------------


def _password_matches(password: str, stored: str) -> bool:
    typed = password.strip()
    # Spec §9.1 rule 2: the password is upper-case letters and digits; accept it typed in lower case.
    return verify_password(typed, stored) or (typed != typed.upper() and verify_password(typed.upper(), stored))


def log_in(
    *, db: Session, settings: Settings, session_id: int, password: str, address: str, now: dt.datetime
) -> ExamSession:
    """The session ``password`` opens, once the rate limit and the session status allow it.

    A failure is added to ``db`` (audit action ``invigilator_login_failed``) *before* the error is
    raised: the caller must answer without rolling ``db`` back, or the limit never bites. Raises
    :class:`LoginThrottledError` (429), :class:`AuthError` (unknown session or wrong password) or
    :class:`ForbiddenError` (right password, session no longer ``created``).
    """
    target = f"session:{session_id}"
    check_login_rate(
        db,
        action=LOGIN_FAILED,
        target=target,
        address=address,
        now=now,
        attempts=settings.invigilator_login_attempts,
        window_seconds=settings.invigilator_login_window_seconds,
    )
    session = db.get(ExamSession, session_id)
    if session is None or not _password_matches(password, session.invigilator_password_hash):
        record_login_failure(db, action=LOGIN_FAILED, target=target, address=address, now=now)
        logger.warning("invigilator log-in failed", extra={"event": LOGIN_FAILED, "target": target, "address": address})
        raise AuthError("Numéro de session ou mot de passe surveillant incorrect.", code="invalid_credentials")
    if session.status != "created":
        raise ForbiddenError(
            f"La session n° {session_id} est close (statut « {session.status} ») : l'espace surveillant est fermé.",
            code="session_closed",
        )
    _audit(db, session_id=session_id, action="invigilator_login", target=target, now=now, address=address)
    logger.info("invigilator logged in", extra={"event": "invigilator_login", "target": target})
    return session


# --- lookups -----------------------------------------------------------------------------------


def _audit(db: Session, *, session_id: int, action: str, target: str, now: dt.datetime, **details: Any) -> None:
    actor = f"invigilator:session:{session_id}"
    db.add(AuditEntry(at=now, actor=actor, action=action, target=target, details=details))
    db.flush()


def open_session(db: Session, session_id: int) -> ExamSession:
    """The session, which must still be ``created`` for an action (else :class:`ConflictError`)."""
    session = db.get(ExamSession, session_id)
    if session is None:
        raise NotFoundError(f"Session n° {session_id} introuvable.")
    if session.status != "created":
        raise ConflictError("La session est close : plus aucune action n'est possible.", code="session_closed")
    return session


def _candidate(db: Session, session_id: int, candidate_id: int) -> Candidate:
    open_session(db, session_id)
    candidate = db.get(Candidate, candidate_id)
    if candidate is None or candidate.session_id != session_id:
        raise NotFoundError(f"Aucun candidat n° {candidate_id} dans cette session.")
    return candidate


def _seen(device: KioskDevice) -> tuple[dt.datetime, dt.datetime]:
    return device.last_seen_at or dt.datetime.min, device.enrolled_at or dt.datetime.min


def _device(db: Session, candidate: Candidate) -> KioskDevice:
    """The kiosk the candidate uses: the one seen last (they may have changed PC)."""
    devices = db.scalars(select(KioskDevice).where(KioskDevice.candidate_id == candidate.id)).all()
    if not devices:
        name = f"{candidate.first_name} {candidate.last_name}"
        raise ConflictError(f"Aucun kiosque n'est associé à {name}.", code="no_kiosk")
    return max(devices, key=_seen)


def is_locked(state: dict) -> bool:
    """Whether a kiosk's reported state says it is locked (``locked: true`` or ``lock: "locked"``)."""
    return state.get("locked") is True or state.get("lock") in ("locked", True)


# --- actions -----------------------------------------------------------------------------------


def authorise(*, db: Session, session_id: int, candidate_id: int, now: dt.datetime) -> Candidate:
    """Set ``authorized_to_start`` (start or resume, spec §9.2 rule 5).

    Raises :class:`ConflictError` if the candidate has not joined from a kiosk yet or their test is over.
    """
    candidate = _candidate(db, session_id, candidate_id)
    course = candidate.course
    if course is not None and course.state != "started":
        raise ConflictError("Le test de ce candidat est terminé : il ne peut pas reprendre.", code="course_ended")
    joined = db.scalar(select(func.count()).where(CandidateToken.candidate_id == candidate.id))
    if course is None and not joined:
        raise ConflictError(
            "Ce candidat ne s'est pas encore connecté depuis un kiosque : autorisez-le quand il attend.",
            code="not_joined",
        )
    candidate.authorized_to_start = True
    target = f"candidate:{candidate.id}"
    _audit(db, session_id=session_id, action="authorise_start", target=target, now=now, resume=course is not None)
    return candidate


def end_course(*, db: Session, session_id: int, candidate_id: int, now: dt.datetime) -> Course:
    """End a candidate's test (spec §9.6): ``endedByInvigilator``; the kiosk gets an ``end_test`` instruction.

    Ending twice is harmless. Raises :class:`ConflictError` if no test was started or it is over otherwise
    (``completed`` stays ``completed``).
    """
    candidate = _candidate(db, session_id, candidate_id)
    course = candidate.course
    if course is None:
        raise ConflictError("Ce candidat n'a pas commencé son test.", code="no_course")
    if course.state == "endedByInvigilator":
        return course
    if course.state != "started":
        raise ConflictError("Le test de ce candidat est déjà terminé.", code="course_ended")
    course.state, course.ended_at = "endedByInvigilator", now
    candidate.authorized_to_start = False
    devices = db.scalars(select(KioskDevice).where(KioskDevice.candidate_id == candidate.id)).all()
    if devices:
        db.add(KioskInstruction(install_id=max(devices, key=_seen).install_id, kind="end_test", created_at=now))
    target = f"course:{course.id}"
    _audit(db, session_id=session_id, action="end_course", target=target, now=now, candidate_id=candidate.id)
    return course


def _ongoing_alert(db: Session, session_id: int, alert_id: int) -> LiveAlert:
    open_session(db, session_id)
    alert = db.get(LiveAlert, alert_id)
    course = db.get(Course, alert.course_id) if alert is not None else None
    if course is None or course.session_id != session_id:
        raise NotFoundError(f"Aucun signalement n° {alert_id} dans cette session.")
    if alert.status != "ongoing":
        raise ConflictError("Ce signalement a déjà été traité.", code="alert_resolved")
    return alert


def validate_alert(*, db: Session, session_id: int, alert_id: int, subcategory: str, now: dt.datetime) -> LiveAlert:
    """Validate a live alert (spec §10.1): its question and skill are excluded and a new question is drawn.

    Adds the resolved IN_CHALLENGE issue report for the jury. Raises :class:`ServerError` (400) for a
    subcategory that is not an IN_CHALLENGE one in use, :class:`NotFoundError` / :class:`ConflictError`
    for an alert of another session or one already handled.
    """
    if subcategory not in IN_CHALLENGE_SUBCATEGORIES:
        raise ServerError(
            f"Motif inconnu « {subcategory} » : choisissez parmi {', '.join(IN_CHALLENGE_SUBCATEGORIES)}.",
            code="invalid_subcategory",
        )
    alert = _ongoing_alert(db, session_id, alert_id)
    alert.status, alert.subcategory, alert.resolved_at = "validated", subcategory, now
    report = IssueReport(
        course_id=alert.course_id,
        category="IN_CHALLENGE",
        subcategory=subcategory,
        question_number=alert.question_number,
        resolved=True,
        resolution=ALERT_RESOLUTION,
        created_at=now,
    )
    db.add(report)
    _audit(
        db,
        session_id=session_id,
        action="validate_live_alert",
        target=f"alert:{alert.id}",
        now=now,
        subcategory=subcategory,
        question_number=alert.question_number,
    )
    return alert


def dismiss_alert(*, db: Session, session_id: int, alert_id: int, now: dt.datetime) -> LiveAlert:
    """Dismiss a live alert (spec §10.1): the candidate goes on with the same question."""
    alert = _ongoing_alert(db, session_id, alert_id)
    alert.status, alert.resolved_at = "dismissed", now
    _audit(
        db,
        session_id=session_id,
        action="dismiss_live_alert",
        target=f"alert:{alert.id}",
        now=now,
        question_number=alert.question_number,
    )
    return alert


def instruct_kiosk(
    *, db: Session, session_id: int, candidate_id: int, kind: str, payload: dict[str, Any], now: dt.datetime
) -> KioskInstruction:
    """Queue an instruction (``unlock``, ``notify``...) for the candidate's kiosk (kiosk.md K45).

    Raises :class:`ConflictError` when no kiosk is bound to the candidate.
    """
    device = _device(db, _candidate(db, session_id, candidate_id))
    instruction = KioskInstruction(install_id=device.install_id, kind=kind, payload=payload, created_at=now)
    db.add(instruction)
    db.flush()
    _audit(
        db,
        session_id=session_id,
        action=f"kiosk_{kind}",
        target=f"candidate:{candidate_id}",
        now=now,
        install_id=device.install_id,
        instruction_id=instruction.id,
    )
    return instruction


def send_message(*, db: Session, session_id: int, candidate_id: int, text: str, now: dt.datetime) -> KioskInstruction:
    """Queue a ``notify`` instruction with ``text`` (1 to 500 characters, else 400) for the candidate's kiosk."""
    message = text.strip()
    if not message or len(message) > MESSAGE_MAX_CHARS:
        raise ServerError(f"Le message doit faire de 1 à {MESSAGE_MAX_CHARS} caractères.", code="invalid_message")
    return instruct_kiosk(
        db=db, session_id=session_id, candidate_id=candidate_id, kind="notify", payload={"message": message}, now=now
    )


def show_unlock_code(
    *, db: Session, settings: Settings, session_id: int, candidate_id: int, now: dt.datetime
) -> tuple[str, KioskDevice, int]:
    """The one-time local unlock code of the candidate's locked kiosk (K44), with the device and lock counter.

    Raises :class:`ConflictError` when there is no kiosk or it does not report itself locked.
    """
    device = _device(db, _candidate(db, session_id, candidate_id))
    state = device.state or {}
    if not is_locked(state):
        raise ConflictError("Le kiosque de ce candidat n'est pas verrouillé.", code="kiosk_not_locked")
    counter = int(state.get("lock_counter", 0) or 0)
    code = unlock_code(settings.secret_key, session_id, device.install_id, counter)
    # The code is a secret: the audit log and the log keep only which lock it opens.
    _audit(
        db,
        session_id=session_id,
        action="show_unlock_code",
        target=f"candidate:{candidate_id}",
        now=now,
        install_id=device.install_id,
        lock_counter=counter,
    )
    logger.info("unlock code shown", extra={"event": "unlock_code_shown", "install_id": device.install_id})
    return code, device, counter


# --- the live state ----------------------------------------------------------------------------
