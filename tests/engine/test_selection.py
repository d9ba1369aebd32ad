"""Selection: ranking (§14.3), binary-tree pick (§14.4), the rule chain and the §6.2 procedure."""

from __future__ import annotations

import numpy as np
import pytest

from engine.bank import Challenge, Pool
from engine.config import COMPETENCE_CODES, EngineConfig
from engine.errors import AnswerCountError, BankError, LackOfChallengesError
from engine.irt import information, p_correct
from engine.selection import (
    AskedChallenge,
    CourseHistory,
    CourseState,
    MaxInfoSelector,
    RuleChainSelector,
    binary_tree_pick,
    binary_tree_probabilities,
    select_next_challenge,
    top_k_stable,
)

CFG = EngineConfig()


def _asked(c: Challenge) -> AskedChallenge:
    return AskedChallenge(c.id, c.skill, c.tube, c.competence, c.discriminant, c.difficulty)


def _run_course(pool: Pool, seed: int, *, config=CFG, accessibility=False, theta=0.5) -> list[int]:
    """Administer a whole course with random responses at ``theta``; return pool positions."""
    rng = np.random.default_rng(seed)
    state = CourseState(pool, config, accessibility=accessibility)
    selector = RuleChainSelector(config)
    chosen = []
    while (item := selector.select(state, rng)) is not None:
        success = rng.random() < p_correct(theta, pool.a[item], pool.b[item])
        state.record_index(item, bool(success))
        chosen.append(item)
    return chosen


def test_ranking_reproduces_the_spec_vector():
    a = np.array([-5, 5, -5, 5, 5, 5], dtype=float)
    b = np.array([-5, 1, -5, -8, 1, 1], dtype=float)
    rewards = information(0.0, a, b)
    expected = [3.471985966144568e-10, 0.16620141676975386, 3.471985966144568e-10, 0.0, 0.16620141676975386]
    assert rewards[:5] == pytest.approx(expected, abs=1e-12)
    names = ["first", "second", "third", "fourth", "fifth", "sixth"]
    assert [names[i] for i in top_k_stable(rewards, 5)] == ["second", "fifth", "sixth", "first", "third"]


def test_top_k_keeps_ties_in_input_order_across_the_cut():
    rewards = np.array([1.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 0.5])
    assert top_k_stable(rewards, 5).tolist() == [1, 2, 3, 4, 5]
    assert top_k_stable(rewards[:3], 5).tolist() == [1, 2, 0]


def test_top_k_matches_a_stable_sort_on_random_input():
    rng = np.random.default_rng(3)
    for _ in range(200):
        rewards = rng.integers(0, 6, size=int(rng.integers(1, 40))).astype(float)
        expected = sorted(range(rewards.size), key=lambda i: -rewards[i])[:5]
        assert top_k_stable(rewards, 5).tolist() == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, [1]),
        (2, [0.51, 0.49]),
        (3, [0.51, 0.2499, 0.2401]),
        (4, [0.51, 0.2499, 0.122451, 0.117649]),
        (5, [0.51, 0.2499, 0.122451, 0.060001, 0.057648]),
    ],
)
def test_pick_probabilities_follow_the_spec_table(n, expected):
    # The spec prints six decimals (0.51 * 0.49**3 = 0.06000099 shows as 0.060001).
    got = binary_tree_probabilities(n, 51)
    assert got == pytest.approx(expected, abs=5e-7)
    assert sum(got) == pytest.approx(1.0, abs=1e-15)
    assert got[-1] == pytest.approx(0.49 ** (n - 1), abs=1e-15)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_pick_frequencies_over_100000_draws_are_within_three_standard_errors(n):
    rng = np.random.default_rng(2024 + n)
    draws = 100_000
    counts = np.bincount([binary_tree_pick(n, rng, 51) for _ in range(draws)], minlength=n)
    for count, p in zip(counts, binary_tree_probabilities(n, 51), strict=True):
        se = np.sqrt(p * (1 - p) / draws)
        assert abs(count / draws - p) < 3 * se


def test_pick_with_probability_100_draws_nothing_and_returns_the_first():
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    assert binary_tree_pick(5, rng, 100) == 0
    assert rng.bit_generator.state == before
    with pytest.raises(LackOfChallengesError):
        binary_tree_pick(0, rng)


def test_first_16_questions_hit_16_distinct_competences(pool_512):
    for seed in range(20):
        chosen = _run_course(pool_512, seed, theta=float(np.random.default_rng(seed).normal(0, 1.5)))
        competences = pool_512.competence_index[chosen]
        assert len(chosen) == 32
        assert len(set(competences[:16].tolist())) == 16


def test_never_two_challenges_of_one_tube_and_competences_are_spaced(pool_512):
    for seed in range(20):
        chosen = _run_course(pool_512, seed)
        tubes = pool_512.tube_index[chosen].tolist()
        assert len(set(tubes)) == len(tubes)
        comps = pool_512.competence_index[chosen].tolist()
        for k in range(2, len(comps)):
            assert comps[k] not in comps[k - 2 : k]


def test_skill_mode_allows_a_second_skill_of_a_tube_but_never_a_repeated_skill(pool_128):
    cfg = EngineConfig(limit_to_one_question_per_tube=False, enable_passage_by_all_competences=False)
    repeated_tube = False
    for seed in range(10):
        chosen = _run_course(pool_128, seed, config=cfg)
        skills = pool_128.skill_index[chosen].tolist()
        assert len(set(skills)) == len(skills)
        repeated_tube |= len(set(pool_128.tube_index[chosen].tolist())) < len(chosen)
    assert repeated_tube


def test_accessibility_filter_keeps_only_compatible_challenges(pool_512):
    assert not pool_512.accessible.all()
    for seed in range(10):
        chosen = _run_course(pool_512, seed, accessibility=True)
        assert pool_512.accessible[chosen].all()


def test_a_small_pool_runs_out_with_lack_of_challenges(pool_128):
    # 128 challenges make only about 21 tubes: a 32-question test cannot be completed.
    with pytest.raises(LackOfChallengesError, match="no challenge left"):
        _run_course(pool_128, 0)


def test_more_answers_than_the_test_length_is_refused(pool_512):
    cfg = EngineConfig(maximum_assessment_length=2, minimum_answers_required=1)
    state = CourseState(pool_512, cfg)
    state.record_index(0, True)
    state.record_index(5, False)
    with pytest.raises(AnswerCountError, match="exceed the test length of 2"):
        state.record_index(9, True)
    assert RuleChainSelector(cfg).select(state, np.random.default_rng(0)) is None


def test_selection_draws_among_the_top_five_with_the_tree_probabilities(pool_512):
    state = CourseState(pool_512, CFG)
    top = state.ranked().tolist()
    counts = {i: 0 for i in top}
    for seed in range(4000):
        counts[RuleChainSelector(CFG).select(state, np.random.default_rng(seed))] += 1
    shares = [counts[i] / 4000 for i in top]
    assert shares == pytest.approx(binary_tree_probabilities(5, 51), abs=0.03)


def test_max_info_selector_takes_the_single_most_informative_challenge(pool_512):
    state = CourseState(pool_512, CFG, start_capacity=1.0)
    item = MaxInfoSelector(CFG).select(state, np.random.default_rng(0))
    rewards = information(1.0, pool_512.a, pool_512.b)
    assert item == int(np.argmax(rewards))


def test_max_info_ignores_content_rules_but_never_repeats_a_challenge():
    rows = [
        Challenge("a", "s1", "t1", "1.1", 2.0, 0.0),
        Challenge("b", "s2", "t1", "1.1", 1.9, 0.0),
        Challenge("c", "s3", "t2", "1.2", 0.3, 0.0),
    ]
    pool, cfg = Pool(rows), EngineConfig(maximum_assessment_length=3, minimum_answers_required=0)
    state = CourseState(pool, cfg, start_capacity=0.0)
    picked = []
    for _ in range(3):
        item = MaxInfoSelector(cfg).select(state, np.random.default_rng(0))
        picked.append(pool.ids[item])
        state.record_index(item, True)
    assert picked == ["a", "b", "c"]  # "b" shares the tube of "a": only the rule chain forbids it
    assert MaxInfoSelector(cfg).select(state, np.random.default_rng(0)) is None


def _history(pool: Pool, positions, statuses, alerts=()):
    asked = [_asked(pool.challenges[i]) for i in positions]
    return CourseHistory(asked, dict(zip([a.challenge_id for a in asked], statuses, strict=False)), frozenset(alerts))


def test_pending_challenge_is_returned_again_on_resume(pool_512):
    history = _history(pool_512, [3, 40], ["ok"])
    got = select_next_challenge(pool_512, CFG, history, np.random.default_rng(1))
    assert got.challenge_id == pool_512.ids[40]


def test_validated_alert_excludes_the_challenge_and_its_skill_and_draws_anew(pool_512):
    flagged = pool_512.challenges[40]
    siblings = {c.id for c in pool_512.challenges if c.skill == flagged.skill}
    history = _history(pool_512, [3, 40], ["ok"], alerts={flagged.id})
    drawn = set()
    for seed in range(200):
        got = select_next_challenge(pool_512, CFG, history, np.random.default_rng(seed))
        drawn.add(got.challenge_id)
        assert got.challenge_id not in siblings
        assert (got.discriminant, got.difficulty) == (
            pool_512.a[pool_512.position[got.challenge_id]],
            pool_512.b[pool_512.position[got.challenge_id]],
        )
    assert len(drawn) > 1


def test_an_answer_to_a_validated_alert_is_not_kept(pool_512):
    history = _history(pool_512, [3, 40, 77], ["ok", "ok", "ko"], alerts={pool_512.ids[40]})
    assert [a.challenge_id for a, _ in history.kept()] == [pool_512.ids[3], pool_512.ids[77]]
    assert history.pending() is None


def test_the_server_seed_scheme_replays_the_same_draw(pool_512):
    history = _history(pool_512, [3, 40], ["ok", "ko"])
    first = select_next_challenge(pool_512, CFG, history, np.random.default_rng([123456789, 2]))
    again = select_next_challenge(pool_512, CFG, history, np.random.default_rng([123456789, 2]))
    assert first == again


def test_recorded_calibration_feeds_the_estimator_not_the_current_one(pool_512):
    c = pool_512.challenges[3]
    recorded = AskedChallenge(c.id, c.skill, c.tube, c.competence, 2.0, -1.0)
    state = CourseState(pool_512, CFG)
    state.record(recorded, True)
    from engine.flash import estimate

    assert state.estimate == estimate([2.0], [-1.0], [True], variation_percent=0.5)


def test_pool_keeps_only_eligible_challenges_sorted_by_id():
    rows = [
        Challenge("b", "s1", "t1", "1.1", 1.0, 0.0),
        Challenge("a", "s2", "t1", "1.1", 1.0, 0.0),
        Challenge("c", "s3", "t2", "1.2", None, 0.0),
        Challenge("d", "s4", "t2", "1.2", 1.0, 0.0, status="archivé"),
        Challenge("e", "s5", "t3", "1.3", 1.0, 0.0, locale=("en",)),
    ]
    assert Pool(rows, locale="fr").ids == ("a", "b")
    assert Pool(rows, locale="en").ids == ("a", "b", "e")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([Challenge("a", "s", "t", "1.1", 1, 0), Challenge("a", "s2", "t", "1.1", 1, 0)], "duplicate challenge id 'a'"),
        ([Challenge("a", "s", "t", "9.9", 1, 0)], "unknown competence '9.9'"),
        ([Challenge("a", "s", "t", "1.1", float("nan"), 0)], "discriminant is nan"),
        ([Challenge("a", "s", "t", "1.1", 1, 0), Challenge("b", "s", "u", "1.1", 1, 0)], "skill 's' is in tube 'u'"),
    ],
)
def test_bad_pools_are_refused_with_the_challenge_named(rows, message):
    with pytest.raises(BankError, match=message):
        Pool(rows)


def test_every_competence_code_is_known_to_the_pool(pool_512):
    assert set(pool_512.competence_index.tolist()) == set(range(len(COMPETENCE_CODES)))


def test_pool_shortfalls_name_the_missing_tubes(pool_512, pool_128):
    assert pool_512.shortfalls(accessibility=False) == []
    small = pool_128.shortfalls(accessibility=False)
    assert any("fewer than the 32 questions" in m for m in small)
    one_competence = Pool([Challenge(f"c{i}", f"s{i}", f"t{i}", "1.1", 1.0, 0.0) for i in range(3)])
    problems = one_competence.shortfalls(accessibility=True)
    assert "accessibility-adjusted pool: competence 1.2 has 0 tube(s), fewer than 2" in problems
    assert not any("competence 1.1" in m for m in problems)


def test_an_unknown_competence_is_refused_before_anything_is_recorded(pool_512):
    state = CourseState(pool_512, CFG)
    c = pool_512.challenges[0]
    with pytest.raises(BankError, match="unknown competence '7.7'"):
        state.record(AskedChallenge(c.id, c.skill, c.tube, "7.7", 1.0, 0.0), True)
    assert state.answer_count == 0
    assert 0 in state.candidates().tolist()  # its tube is still available
