"""Scoring of a finished or interrupted course: status rules and degradation (spec §8.1, §8.2, §8.6).

:func:`score_course` replays the course's kept answers with the calibrations recorded at draw
time, degrades the capacity when the candidate stopped early, and applies the result-status rules.
Re-running it on the same data gives the same result: there is no randomness here (the
degradation takes the top-ranked challenge, pick probability 100).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from engine.bank import Pool
from engine.config import EngineConfig
from engine.errors import AnswerCountError, LackOfChallengesError, ScoringError
from engine.scoring import MESHES, competence_levels, score_and_mesh
from engine.selection import CourseHistory, replay


class AbortReason(StrEnum):
    """Why an unfinished course stopped, given at finalisation (spec §9.7)."""

    CANDIDATE = "candidate"
    TECHNICAL = "technical"


class JuryDecision(StrEnum):
    """A decision of the jury that overrides scoring (spec §8.6 rules 1-2)."""

    FRAUD = "fraud"
    CANCELLED = "cancelled"


class ResultStatus(StrEnum):
    """Result statuses (spec §8.6). ``error`` is set by the caller when scoring raises."""

    VALIDATED = "validated"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ERROR = "error"


@dataclass(frozen=True)
class CourseResult:
    """Outcome of scoring one course.

    ``capacity`` is the θ used for the score (degraded if applicable), None when no score was
    computed (rules 1-4). ``competence_levels`` is filled whenever a capacity was computed, and
    shown on certificates only when the status is validated (spec §13 point 19).
    """

    status: ResultStatus
    comment: str | None
    answer_count: int
    capacity: float | None = None
    pix_score: int = 0
    mesh: int | None = None
    competence_levels: dict[str, int] = field(default_factory=dict)
    degraded: bool = False

    @property
    def level_label(self) -> str | None:
        """Public label of the global level (e.g. ``Indépendant 1``), None without a mesh."""
        return None if self.mesh is None else MESHES[self.mesh].label


def degrade(theta_final: float, pool: Pool, config: EngineConfig, history: CourseHistory) -> float:
    """Capacity after simulating the missing answers as skips (spec §8.2).

    Each step ranks with the capacity re-estimated from θ_final over all answers so far (real
    and simulated), takes the top-ranked challenge and adds a failed answer to it. If the pool
    runs out, simulation stops and the current θ is kept (spec §8.2 rule 5).
    """
    state = replay(pool, config, history, start_capacity=theta_final)
    theta = theta_final
    for _ in range(config.maximum_assessment_length - state.answer_count):
        try:
            nxt = int(state.ranked(k=1)[0])
        except LackOfChallengesError:
            break
        theta = state.record_index(nxt, success=False).capacity
    return theta


def score_course(
    pool: Pool,
    config: EngineConfig,
    history: CourseHistory,
    *,
    abort_reason: AbortReason | str | None = None,
    jury: JuryDecision | str | None = None,
) -> CourseResult:
    """Score a course with the status rules of spec §8.6, in order.

    Parameters
    ----------
    pool : Pool
        The pool of the course's version and locale (used by degradation).
    config : EngineConfig
        The course's version configuration.
    history : CourseHistory
        Asked challenges with recorded calibrations, answer statuses, validated live alerts.
    abort_reason : AbortReason or None
        Required when the course stopped between the minimum and the maximum number of answers.
    jury : JuryDecision or None
        Fraud or cancellation decided by the jury.

    Raises
    ------
    ScoringError
        ``minimum <= n < maximum`` without an abort reason (the caller records status ``error``),
        or an unknown abort reason.
    AnswerCountError
        More kept answers than the test length.
    """
    reason = AbortReason(abort_reason) if abort_reason is not None else None
    verdict = JuryDecision(jury) if jury is not None else None
    n = len(history.kept())
    if n > config.maximum_assessment_length:
        raise AnswerCountError(f"{n} kept answers exceed the test length of {config.maximum_assessment_length}")
    if verdict is JuryDecision.FRAUD:
        return CourseResult(ResultStatus.REJECTED, "FRAUD", n)
    if verdict is JuryDecision.CANCELLED:
        return CourseResult(ResultStatus.CANCELLED, None, n)
    if n < config.minimum_answers_required:
        if reason is AbortReason.TECHNICAL:
            return CourseResult(ResultStatus.CANCELLED, "CANCELLED_DUE_TO_LACK_OF_ANSWERS_FOR_TECHNICAL_REASON", n)
        return CourseResult(ResultStatus.REJECTED, "REJECTED_DUE_TO_LACK_OF_ANSWERS", n)
    theta = replay(pool, config, history).flash.capacity
    degraded = n < config.maximum_assessment_length and reason is AbortReason.CANDIDATE
    if n < config.maximum_assessment_length and reason is None:
        raise ScoringError(
            f"course stopped after {n} of {config.maximum_assessment_length} answers without an abort reason"
        )
    if degraded:
        theta = degrade(theta, pool, config, history)
    levels = competence_levels(theta, dict(config.competence_scoring_bounds))
    score, mesh = score_and_mesh(theta, config.global_scoring_bounds)
    if mesh is None:
        return CourseResult(
            ResultStatus.REJECTED, "REJECTED_DUE_TO_ZERO_PIX_SCORE", n, theta, 0, None, levels, degraded
        )
    return CourseResult(ResultStatus.VALIDATED, None, n, theta, score, mesh, levels, degraded)
