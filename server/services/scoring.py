"""Scoring a course with the engine and storing its result (spec §8)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from engine.errors import EngineError
from engine.results import ResultStatus, score_course
from engine.selection import AskedChallenge as EngineAsked
from engine.selection import CourseHistory
from server.models import CertificationVersion, Course, Result, utcnow
from server.services.versions import VersionCatalog

logger = logging.getLogger(__name__)


def course_history(course: Course) -> CourseHistory:
    """What the engine needs of a stored course: recorded calibrations, statuses, validated alerts."""
    asked = [
        EngineAsked(a.challenge_id, a.skill, a.tube, a.competence, a.discriminant, a.difficulty) for a in course.asked
    ]
    statuses = {answer.challenge_id: answer.status for answer in course.answers}
    validated = frozenset(alert.challenge_id for alert in course.alerts if alert.status == "validated")
    return CourseHistory(asked, statuses, validated, course.is_adjusted_for_accessibility)


def score(db: Session, catalog: VersionCatalog, course: Course) -> Result:
    """Score ``course`` and store (or replace) its result; scoring errors give status ``error``."""
    version = db.get(CertificationVersion, course.version_id)
    history = course_history(course)
    try:
        outcome = score_course(
            catalog.pool(version, course.locale),
            catalog.config(version),
            history,
            abort_reason=course.abort_reason,
            jury=course.jury,
        )
        values = {
            "status": outcome.status.value,
            "comment": outcome.comment,
            "answer_count": outcome.answer_count,
            "capacity": outcome.capacity,
            "pix_score": outcome.pix_score,
            "mesh": outcome.mesh,
            "competence_levels": outcome.competence_levels,
            "degraded": outcome.degraded,
        }
    except EngineError as exc:
        logger.error("scoring failed", extra={"event": "scoring_error", "course": course.id, "error": str(exc)})
        values = {
            "status": ResultStatus.ERROR.value,
            "comment": str(exc)[:80],
            "answer_count": len(history.kept()),
            "capacity": None,
            "pix_score": 0,
            "mesh": None,
            "competence_levels": {},
            "degraded": False,
        }
    result = db.get(Result, course.id) or Result(course_id=course.id)
    for key, value in values.items():
        setattr(result, key, value)
    result.scored_at = utcnow()
    db.add(result)
    db.flush()
    return result
