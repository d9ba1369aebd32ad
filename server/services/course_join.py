"""A candidate joins a session from the kiosk: enrolment check, the 15-day rule, a bearer token.

Names and birth date are compared as people type them: trimmed, runs of spaces collapsed, case
and accents ignored (``Léa`` = ``lea``). Only the token's SHA-256 is stored (``candidate_tokens``).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import AuthError, ConflictError, ForbiddenError, NotFoundError
from server.models import Candidate, CandidateToken, Course, ExamSession, KioskDevice, Result
from server.security import new_token, token_digest

logger = logging.getLogger(__name__)

#: How long a candidate token lives.
TOKEN_LIFETIME = dt.timedelta(hours=24)
#: A person certified (or being certified) in another session this recently may not join (issue 5 §2).
RECENT_CERTIFICATION = dt.timedelta(days=15)
#: The session status in which candidates may join (spec §9.2 rule 2).
JOINABLE_STATUS = "created"


@dataclass(frozen=True)
class Joined:
    """A successful join: the clear token (shown once) and the enrolment it opens."""

    token: str
    expires_at: dt.datetime
    candidate: Candidate
    session: ExamSession


def normalise_name(text: str) -> str:
    """``text`` trimmed, spaces collapsed, lower-cased and without accents (``" Léa  Marie"`` → ``"lea marie"``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def same_person(candidate: Candidate, *, last_name: str, first_name: str, birth_date: dt.date) -> bool:
    """Whether ``candidate`` is the person named, under :func:`normalise_name`."""
    return (
        candidate.birth_date == birth_date
        and normalise_name(candidate.last_name) == normalise_name(last_name)
        and normalise_name(candidate.first_name) == normalise_name(first_name)
    )


def find_enrolment(
    *, db: Session, session: ExamSession, last_name: str, first_name: str, birth_date: dt.date
) -> Candidate | None:
    """The session's candidate with these names and birth date, or None."""
    rows = db.scalars(
        select(Candidate).where(Candidate.session_id == session.id, Candidate.birth_date == birth_date)
    ).all()
    return next(
        (c for c in rows if same_person(c, last_name=last_name, first_name=first_name, birth_date=birth_date)), None
    )


def recently_certified(*, db: Session, candidate: Candidate, now: dt.datetime) -> bool:
    """Whether the same person has, in another session within 15 days, a validated result or a started course."""
    rows = db.execute(
        select(Candidate, Course.state, Result.status)
        .join(Course, Course.candidate_id == Candidate.id)
        .outerjoin(Result, Result.course_id == Course.id)
        .where(
            Candidate.birth_date == candidate.birth_date,
            Candidate.session_id != candidate.session_id,
            Course.created_at >= now - RECENT_CERTIFICATION,
        )
    ).all()
    return any(
        same_person(other, last_name=candidate.last_name, first_name=candidate.first_name, birth_date=other.birth_date)
        and (result_status == "validated" or state == "started")
        for other, state, result_status in rows
    )


def join_session(
    *,
    db: Session,
    session_id: int,
    access_code: str,
    last_name: str,
    first_name: str,
    birth_date: dt.date,
    install_id: str | None,
    now: dt.datetime,
) -> Joined:
    """Check the sign-in and issue a candidate token; bind the kiosk device when it is enrolled.

    Raises
    ------
    NotFoundError
        ``session_not_found``: no such session.
    ForbiddenError
        ``wrong_access_code``, ``session_not_open`` (not ``created``) or ``not_enrolled``.
    ConflictError
        ``already_certified``: the 15-day rule.
    """
    session = db.get(ExamSession, session_id)
    if session is None:
        raise NotFoundError(f"session {session_id} does not exist", code="session_not_found")
    if not hmac.compare_digest(access_code.strip().upper().encode(), session.access_code.upper().encode()):
        logger.warning("wrong access code", extra={"event": "join_wrong_access_code", "session_id": session_id})
        raise ForbiddenError("the access code is wrong for this session", code="wrong_access_code")
    if session.status != JOINABLE_STATUS:
        raise ForbiddenError(f"session {session_id} is not open (it is {session.status})", code="session_not_open")
    candidate = find_enrolment(
        db=db, session=session, last_name=last_name, first_name=first_name, birth_date=birth_date
    )
    if candidate is None:
        logger.warning("join by a person not enrolled", extra={"event": "join_not_enrolled", "session_id": session_id})
        raise ForbiddenError("nobody with these names and birth date is enrolled in this session", code="not_enrolled")
    if candidate.course is None and recently_certified(db=db, candidate=candidate, now=now):
        raise ConflictError(
            "this person took a certification in another session less than 15 days ago", code="already_certified"
        )
    token = new_token()
    expires_at = now + TOKEN_LIFETIME
    db.add(
        CandidateToken(
            token_hash=token_digest(token),
            candidate_id=candidate.id,
            install_id=install_id or "",
            created_at=now,
            expires_at=expires_at,
        )
    )
    if install_id:
        device = db.get(KioskDevice, install_id)
        if device is not None:
            device.candidate_id = candidate.id
    db.flush()
    logger.info("candidate joined", extra={"event": "candidate_joined", "candidate_id": candidate.id})
    return Joined(token=token, expires_at=expires_at, candidate=candidate, session=session)


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header.

    Raises
    ------
    AuthError
        ``missing_token``.
    """
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("missing candidate token (Authorization: Bearer ...)", code="missing_token")
    return token.strip()


def candidate_for_token(*, db: Session, token: str, now: dt.datetime) -> Candidate:
    """The candidate a bearer token opens (the same check as ``server.auth.CurrentCandidate``).

    Raises
    ------
    AuthError
        ``invalid_token``: unknown or expired.
    """
    row = db.get(CandidateToken, token_digest(token))
    if row is None or row.expires_at < now:
        raise AuthError("unknown or expired candidate token", code="invalid_token")
    return db.get(Candidate, row.candidate_id)
