"""Course scoring: degradation (§14.7) and the status rules of §8.6."""

from __future__ import annotations

import numpy as np
import pytest

from engine.bank import Challenge, Pool
from engine.config import COMPETENCE_CODES, EngineConfig
from engine.errors import AnswerCountError, ScoringError
from engine.flash import estimate
from engine.irt import p_correct
from engine.results import ResultStatus, degrade, score_course
from engine.scoring import pix_score
from engine.selection import AskedChallenge, CourseHistory, CourseState, RuleChainSelector


def _asked(c: Challenge) -> AskedChallenge:
    return AskedChallenge(c.id, c.skill, c.tube, c.competence, c.discriminant, c.difficulty)


def test_degradation_lowers_the_capacity_in_the_spec_setup():
    challenges = [Challenge(f"c{i}", f"s{i}", f"t{i}", COMPETENCE_CODES[i], 5.0, 1.5) for i in range(4)]
    pool = Pool(challenges)
    cfg = EngineConfig(maximum_assessment_length=4, minimum_answers_required=3, variation_percent=None)
    asked = [_asked(c) for c in challenges[:3]]
    history = CourseHistory(asked, {a.challenge_id: "ok" for a in asked})
    degraded = degrade(2.0, pool, cfg, history)
    assert degraded < 2.0
    # One skip simulated on the only challenge left, re-estimated from θ_final = 2.
    expected = estimate([5.0] * 4, [1.5] * 4, [True, True, True, False], start_capacity=2.0)
    assert degraded == expected.capacity


def test_degradation_keeps_theta_final_when_the_pool_is_empty():
    challenges = [Challenge(f"c{i}", f"s{i}", f"t{i}", COMPETENCE_CODES[i], 5.0, 1.5) for i in range(3)]
    cfg = EngineConfig(maximum_assessment_length=4, minimum_answers_required=3, variation_percent=None)
    asked = [_asked(c) for c in challenges]
    history = CourseHistory(asked, {a.challenge_id: "ok" for a in asked})
    assert degrade(2.0, Pool(challenges), cfg, history) == 2.0


def _course(pool: Pool, answers: int, *, seed: int = 0, theta: float = 1.0, correct=None) -> CourseHistory:
    cfg = EngineConfig()
    rng = np.random.default_rng(seed)
    state = CourseState(pool, cfg)
    selector = RuleChainSelector(cfg)
    asked, statuses = [], {}
    for _ in range(answers):
        item = selector.select(state, rng)
        c = pool.challenges[item]
        ok = correct if correct is not None else bool(rng.random() < p_correct(theta, c.discriminant, c.difficulty))
        state.record_index(item, ok)
        asked.append(_asked(c))
        statuses[c.id] = "ok" if ok else "ko"
    return CourseHistory(asked, statuses)


CFG = EngineConfig()


def test_a_complete_course_is_validated_with_16_competence_levels(pool_512):
    history = _course(pool_512, 32)
    result = score_course(pool_512, CFG, history)
    assert result.status is ResultStatus.VALIDATED
    assert result.pix_score == pix_score(result.capacity, CFG.global_scoring_bounds)
    assert set(result.competence_levels) == set(COMPETENCE_CODES)
    assert result.level_label is not None
    assert not result.degraded
    # Deterministic: re-running on the same data gives the same result.
    assert score_course(pool_512, CFG, history) == result


def test_early_stop_by_the_candidate_is_degraded_and_technical_is_not(pool_512):
    history = _course(pool_512, 25)
    candidate = score_course(pool_512, CFG, history, abort_reason="candidate")
    technical = score_course(pool_512, CFG, history, abort_reason="technical")
    assert candidate.degraded and not technical.degraded
    assert candidate.capacity < technical.capacity
    assert candidate.pix_score <= technical.pix_score


@pytest.mark.parametrize(
    ("answers", "reason", "jury", "status", "comment"),
    [
        (32, None, "fraud", ResultStatus.REJECTED, "FRAUD"),
        (32, None, "cancelled", ResultStatus.CANCELLED, None),
        (10, "technical", None, ResultStatus.CANCELLED, "CANCELLED_DUE_TO_LACK_OF_ANSWERS_FOR_TECHNICAL_REASON"),
        (10, "candidate", None, ResultStatus.REJECTED, "REJECTED_DUE_TO_LACK_OF_ANSWERS"),
        (19, None, None, ResultStatus.REJECTED, "REJECTED_DUE_TO_LACK_OF_ANSWERS"),
    ],
)
def test_status_rules_in_spec_order(pool_512, answers, reason, jury, status, comment):
    result = score_course(pool_512, CFG, _course(pool_512, answers), abort_reason=reason, jury=jury)
    assert (result.status, result.comment) == (status, comment)
    assert result.capacity is None and result.competence_levels == {}


def test_capacity_below_the_scale_is_rejected_with_zero_score_but_levels_are_stored(pool_512):
    history = _course(pool_512, 32, correct=False)
    result = score_course(pool_512, CFG, history)
    assert result.capacity < CFG.global_scoring_bounds[0]
    assert (result.status, result.comment, result.pix_score) == (
        ResultStatus.REJECTED,
        "REJECTED_DUE_TO_ZERO_PIX_SCORE",
        0,
    )
    assert set(result.competence_levels.values()) == {0}


def test_missing_abort_reason_between_minimum_and_maximum_is_an_error(pool_512):
    with pytest.raises(ScoringError, match="stopped after 25 of 32 answers without an abort reason"):
        score_course(pool_512, CFG, _course(pool_512, 25))
    with pytest.raises(ValueError, match="'giving-up' is not a valid AbortReason"):
        score_course(pool_512, CFG, _course(pool_512, 25), abort_reason="giving-up")


def test_too_many_answers_are_refused(pool_512):
    short = EngineConfig(maximum_assessment_length=20, minimum_answers_required=10)
    with pytest.raises(AnswerCountError, match="25 kept answers exceed the test length of 20"):
        score_course(pool_512, short, _course(pool_512, 25))


def test_answers_to_validated_alerts_are_not_counted(pool_512):
    history = _course(pool_512, 21)
    flagged = frozenset({history.asked[0].challenge_id, history.asked[1].challenge_id})
    trimmed = CourseHistory(history.asked, history.statuses, flagged)
    result = score_course(pool_512, CFG, trimmed, abort_reason="candidate")
    assert result.answer_count == 19
    assert result.status is ResultStatus.REJECTED
