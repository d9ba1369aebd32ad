"""Answers and focus losses of a running course (spec §7).

An answer is idempotent on the kiosk's UUID: a replay gets exactly the first receipt and never
stores a second answer. The receipt says only that the answer was kept and what comes next; the
status (``ok``, ``ko``, ...) stays on the server, as in the reference, where the candidate never
sees right or wrong during the test.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bank import Challenge
from engine.validation import SKIP, ValidationError, evaluate
from server.errors import ConflictError, NotFoundError, UnprocessableError
from server.models import Answer, AskedChallenge, Candidate, Course, KioskDevice, KioskEvent
from server.schemas_candidate import AnswerCreate, FocusOutCreate
from server.services.courses import (
    complete_course,
    refuse_unless_answerable,
    require_course,
    version_of,
)
from server.services.scoring import course_history
from server.services.versions import VersionCatalog

logger = logging.getLogger(__name__)

#: Seconds added to a timed challenge's timer before the server calls it timed out (spec §7.8 rule 3).
TIMER_GRACE_SECONDS = 5


class UnprocessableAnswerError(UnprocessableError):
    """The answer is well-formed JSON but cannot be an answer to this challenge (422)."""

    default_code = "invalid_answer"


@dataclass(frozen=True)
class AnswerReceipt:
    """What the kiosk is told about a kept answer: never its status."""

    uuid: str
    challenge_id: str
    answered: int
    finished: bool


def receipt_for(*, catalog: VersionCatalog, db: Session, course: Course, answer: Answer) -> AnswerReceipt:
    """The receipt of ``answer``, computed from the answers kept up to it (the same on every replay)."""
    validated = {a.challenge_id for a in course.alerts if a.status == "validated"}
    answered = sum(1 for a in course.answers if a.id <= answer.id and a.challenge_id not in validated)
    length = catalog.config(version_of(db, course)).maximum_assessment_length
    return AnswerReceipt(
        uuid=answer.client_uuid, challenge_id=answer.challenge_id, answered=answered, finished=answered >= length
    )


def _value_text(answer_in: AnswerCreate, challenge: Challenge) -> str:
    if answer_in.skip:
        return SKIP
    value = answer_in.value
    if isinstance(value, dict):
        if not challenge.type.startswith("QROCM"):
            raise UnprocessableAnswerError(f"a mapping of fields answers only a QROCM, not a {challenge.type}")
        return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)
    return value or ""


def _asked_row(course: Course, challenge_id: str) -> AskedChallenge:
    row = next((a for a in course.asked if a.challenge_id == challenge_id), None)
    if row is None:
        raise NotFoundError(f"challenge {challenge_id} was not asked in this course", code="unknown_challenge")
    return row


def _refuse_unless_pending(course: Course, challenge_id: str) -> AskedChallenge:
    # Spec §7.10 rules 1 and 5.
    row = _asked_row(course, challenge_id)
    if any(a.challenge_id == challenge_id for a in course.answers):
        raise ConflictError(f"challenge {challenge_id} already has an answer", code="already_answered")
    statuses = {a.status for a in course.alerts if a.challenge_id == challenge_id}
    if "validated" in statuses:
        raise ConflictError(
            "this question was withdrawn after your report: ask for the next one", code="live_alert_validated"
        )
    if "ongoing" in statuses:
        raise ConflictError(
            "the invigilator has not answered your report on this question yet", code="live_alert_ongoing"
        )
    pending = course_history(course).pending()
    if pending is None or pending.challenge_id != challenge_id:
        raise ConflictError(f"challenge {challenge_id} is not the pending question", code="not_pending")
    return row


def _timed_out(course: Course, challenge: Challenge, answer_in: AnswerCreate, now: dt.datetime) -> bool:
    if challenge.timer is None:
        return False
    if answer_in.timeout is not None and answer_in.timeout < 0:
        return True
    shown = course.question_shown_at
    return shown is not None and (now - shown).total_seconds() > challenge.timer + TIMER_GRACE_SECONDS


def submit_answer(
    *, db: Session, catalog: VersionCatalog, candidate: Candidate, answer_in: AnswerCreate, now: dt.datetime
) -> AnswerReceipt:
    """Validate and keep an answer to the pending challenge; the 32nd completes and scores the course.

    Raises
    ------
    NotFoundError
        ``no_course``, ``unknown_challenge``.
    ConflictError
        ``uuid_conflict`` (the UUID belongs to another course), ``already_answered``,
        ``not_pending``, ``live_alert_ongoing``, ``live_alert_validated``, ``session_finalised``,
        ``course_ended``, ``time_limit_reached``.
    UnprocessableAnswerError
        ``empty_answer`` (spec §7.8 rule 2), ``invalid_answer`` (cannot be read for this type).
    """
    course = require_course(db=db, candidate=candidate, lock=True)
    uid = str(answer_in.uuid)
    existing = db.scalars(select(Answer).where(Answer.client_uuid == uid)).first()
    if existing is not None:
        if existing.course_id != course.id:
            raise ConflictError("this answer id was already used for another course", code="uuid_conflict")
        return receipt_for(catalog=catalog, db=db, course=course, answer=existing)
    refuse_unless_answerable(db=db, course=course, now=now)
    asked = _refuse_unless_pending(course, answer_in.challenge_id)
    challenge = catalog.challenge(version_of(db, course), asked.challenge_id)
    text = _value_text(answer_in, challenge)
    timed_out = _timed_out(course, challenge, answer_in, now)
    if not text.strip() and not timed_out:
        raise UnprocessableAnswerError("the answer is empty (skip the question instead)", code="empty_answer")
    focused_out = answer_in.focused_out or course.pending_focus_lost
    try:
        evaluation = evaluate(challenge, text, timed_out=timed_out, focused_out=focused_out)
    except ValidationError as exc:
        raise UnprocessableAnswerError(f"the answer cannot be read: {exc}") from exc
    shown = course.question_shown_at or asked.asked_at
    answer = Answer(
        course_id=course.id,
        challenge_id=asked.challenge_id,
        client_uuid=uid,
        value=text,
        status=evaluation.status,
        result_details=evaluation.details,
        timeout=answer_in.timeout,
        focused_out=focused_out,
        time_spent=answer_in.elapsed if answer_in.elapsed is not None else max(0.0, (now - shown).total_seconds()),
        created_at=now,
    )
    course.answers.append(answer)
    course.pending_focus_lost = False
    try:
        db.flush()
    except IntegrityError as exc:
        raise ConflictError(
            "this answer conflicts with one stored at the same time: send it again", code="conflict"
        ) from exc
    receipt = receipt_for(catalog=catalog, db=db, course=course, answer=answer)
    logger.info("answer kept", extra={"event": "answer_kept", "course_id": course.id, "answered": receipt.answered})
    if receipt.finished:
        complete_course(db=db, catalog=catalog, course=course, now=now)
    return receipt


def _journal_focus_loss(db: Session, candidate: Candidate, focus_in: FocusOutCreate, now: dt.datetime) -> None:
    # Shown to the invigilator with the kiosk's own events; de-duplicated with them on the event id.
    device = db.scalars(select(KioskDevice).where(KioskDevice.candidate_id == candidate.id)).first()
    if device is None:
        return
    event_id = str(focus_in.uuid)
    known = db.scalars(
        select(KioskEvent.id).where(KioskEvent.install_id == device.install_id, KioskEvent.event_id == event_id)
    ).first()
    if known is None:
        db.add(
            KioskEvent(
                install_id=device.install_id,
                event_id=event_id,
                candidate_id=candidate.id,
                kind="focus_lost",
                payload={"challenge_id": focus_in.challenge_id, "source": "candidate_api"},
                occurred_at=focus_in.at,
                received_at=now,
            )
        )


def record_focus_out(
    *, db: Session, catalog: VersionCatalog, candidate: Candidate, focus_in: FocusOutCreate, now: dt.datetime
) -> bool:
    """Mark the pending focused challenge as focus-lost (spec §7.9); True if it counts against it.

    Idempotent: the flag only ever goes up until the next question. A loss reported for a
    question already answered changes nothing and returns whether that answer was focus-lost.

    Raises
    ------
    NotFoundError
        ``no_course``, ``unknown_challenge``.
    ConflictError
        ``session_finalised``, ``course_ended``, ``time_limit_reached``.
    """
    course = require_course(db=db, candidate=candidate, lock=True)
    answered = next((a for a in course.answers if a.challenge_id == focus_in.challenge_id), None)
    if answered is not None:
        return answered.focused_out
    refuse_unless_answerable(db=db, course=course, now=now)
    asked = _asked_row(course, focus_in.challenge_id)
    _journal_focus_loss(db, candidate, focus_in, now)
    pending = course_history(course).pending()
    challenge = catalog.challenge(version_of(db, course), asked.challenge_id)
    if pending is None or pending.challenge_id != asked.challenge_id or not challenge.focused:
        return False
    if not course.pending_focus_lost:
        course.pending_focus_lost = True
        logger.info("focus lost on a focused question", extra={"event": "focus_lost", "course_id": course.id})
    db.flush()
    return True
