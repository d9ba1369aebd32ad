"""Live alerts raised by the candidate on the pending question (spec §10.1).

The candidate reports a problem; the alert is ``ongoing`` until the invigilator validates it (the
question and its skill are excluded and a new question is drawn with the same number) or
dismisses it (the candidate goes on with the same question). Deciding belongs to the invigilator
portal; this module creates alerts and reads them back.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import PurePosixPath

from sqlalchemy.orm import Session

from engine.bank import Challenge
from server.errors import ConflictError
from server.models import AuditEntry, Candidate, Course, LiveAlert
from server.services.courses import actor, kept_count, refuse_unless_answerable, require_course, version_of
from server.services.scoring import course_history
from server.services.versions import VersionCatalog

logger = logging.getLogger(__name__)

ONGOING = "ongoing"
_IMAGE_MARKUP = re.compile(r"!\[|<img\b", re.IGNORECASE)
_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"})


def has_image(challenge: Challenge) -> bool:
    """Whether the challenge shows an image (Markdown or HTML image, or an image attachment)."""
    if _IMAGE_MARKUP.search(challenge.statement) or _IMAGE_MARKUP.search(challenge.proposals):
        return True
    return any(PurePosixPath(path).suffix.lower() in _IMAGE_SUFFIXES for path in challenge.attachments)


def ongoing_alert(course: Course) -> LiveAlert | None:
    """The course's ongoing alert (at most one, spec §13 point 17), or None."""
    return next((a for a in course.alerts if a.status == ONGOING), None)


def latest_alert(course: Course) -> LiveAlert | None:
    """The course's most recent alert, whatever its status, or None."""
    return course.alerts[-1] if course.alerts else None


def create_live_alert(
    *,
    db: Session,
    catalog: VersionCatalog,
    candidate: Candidate,
    challenge_id: str | None,
    now: dt.datetime,
) -> LiveAlert:
    """Report a problem on the pending question; the candidate then waits for the invigilator.

    Raises
    ------
    NotFoundError
        ``no_course``.
    ConflictError
        ``no_pending_challenge``, ``not_pending`` (``challenge_id`` is not the pending question),
        ``live_alert_ongoing`` (one at a time), and the refusals of a course that is not running.
    """
    course = require_course(db=db, candidate=candidate, lock=True)
    refuse_unless_answerable(db=db, course=course, now=now)
    pending = course_history(course).pending()
    if pending is None:
        raise ConflictError("there is no question on screen to report", code="no_pending_challenge")
    if challenge_id is not None and challenge_id != pending.challenge_id:
        raise ConflictError(f"challenge {challenge_id} is not the pending question", code="not_pending")
    if ongoing_alert(course) is not None:
        raise ConflictError("a report is already waiting for the invigilator", code="live_alert_ongoing")
    challenge = catalog.challenge(version_of(db, course), pending.challenge_id)
    alert = LiveAlert(
        course_id=course.id,
        challenge_id=challenge.id,
        question_number=kept_count(course) + 1,
        has_image=has_image(challenge),
        has_embed=challenge.embed is not None,
        has_attachment=bool(challenge.attachments),
        is_focus=challenge.focused,
        status=ONGOING,
        created_at=now,
    )
    course.alerts.append(alert)
    db.add(
        AuditEntry(
            at=now,
            actor=actor(candidate),
            action="live_alert_created",
            target=f"course:{course.id}",
            details={"challenge_id": challenge.id, "question_number": alert.question_number},
        )
    )
    db.flush()
    logger.info("live alert raised", extra={"event": "live_alert_created", "course_id": course.id})
    return alert
