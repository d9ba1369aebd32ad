"""The vectorised simulator: equivalence with the one-course path, determinism, report figures."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from engine.config import EngineConfig
from engine.errors import ItemParameterError
from engine.selection import TOP_N, CourseState
from engine.simulation import Design, oracle_bound, report, simulate

CFG = EngineConfig()


def _expected_rank(seed: int, examinee: int, bank_size: int, step: int) -> int:
    """The binary-tree rank the simulator's pick uniforms give (its documented streams)."""
    stream = np.random.default_rng([seed, examinee])
    stream.random(bank_size)  # the response uniforms come first
    uniforms = stream.random((CFG.maximum_assessment_length, TOP_N - 1))[step]
    hits = np.flatnonzero(uniforms * 100 < CFG.probability_to_pick_challenge)
    return int(hits[0]) if hits.size else TOP_N - 1


def test_lock_step_simulation_matches_the_one_course_path(pool_512):
    theta = np.random.default_rng(1).normal(0, 1.5, 12)
    result = simulate(pool_512, CFG, theta, seed=9, chunk=5)
    for i in range(theta.size):
        state = CourseState(pool_512, CFG)
        for k, (item, ok) in enumerate(zip(result.administered[i], result.successes[i], strict=True)):
            ranked = state.ranked()
            assert item == ranked[min(_expected_rank(9, i, len(pool_512), k), ranked.size - 1)]
            state.record_index(int(item), bool(ok))
        assert result.theta[i] == pytest.approx(state.estimate.capacity, abs=1e-12)
        assert result.error_rate[i] == pytest.approx(state.estimate.error_rate, abs=1e-12)


def test_responses_follow_the_common_random_numbers(pool_512):
    theta = np.random.default_rng(2).normal(0, 1.5, 6)
    result = simulate(pool_512, CFG, theta, seed=4)
    for i in range(theta.size):
        uniforms = np.random.default_rng([4, i]).random(len(pool_512))
        items = result.administered[i]
        p = 1 / (1 + np.exp(pool_512.a[items] * (pool_512.b[items] - theta[i])))
        assert np.array_equal(result.successes[i], uniforms[items] < p)


def test_results_do_not_depend_on_chunking_and_are_reproducible(pool_512):
    theta = np.random.default_rng(3).normal(0, 1.5, 40)
    a = simulate(pool_512, CFG, theta, seed=1, chunk=7)
    b = simulate(pool_512, CFG, theta, seed=1, chunk=64)
    assert np.array_equal(a.administered, b.administered)
    # Row sums may be ordered differently by block shape (BLAS): equal to rounding only.
    np.testing.assert_allclose(a.theta, b.theta, rtol=0, atol=1e-12)
    c = simulate(pool_512, CFG, theta, seed=2, chunk=64)
    assert not np.array_equal(a.administered, c.administered)


def test_rule_chain_holds_in_every_simulated_test(pool_512):
    theta = np.random.default_rng(4).normal(0, 1.5, 200)
    result = simulate(pool_512, CFG, theta, seed=5)
    for row in result.administered:
        assert (row >= 0).all()
        tubes = pool_512.tube_index[row]
        assert np.unique(tubes).size == row.size
        assert np.unique(pool_512.competence_index[row[:16]]).size == 16


def test_accessibility_simulation_uses_only_compatible_challenges(pool_512):
    theta = np.random.default_rng(5).normal(0, 1.5, 50)
    result = simulate(pool_512, CFG, theta, seed=5, accessibility=True)
    assert pool_512.accessible[result.administered].all()


def test_a_pool_that_runs_out_stops_tests_early(pool_128):
    result = simulate(pool_128, CFG, np.zeros(5), seed=0)
    lengths = (result.administered >= 0).sum(axis=1)
    assert (lengths < 32).all() and (lengths > 16).all()


def test_max_info_design_takes_the_best_item_at_each_step(pool_512):
    theta = np.array([-1.0, 0.5, 2.0])
    result = simulate(pool_512, CFG, theta, seed=3, design=Design.MAX_INFO, start_capacity=0.0)
    cfg = EngineConfig(variation_percent=None, default_candidate_capacity=0.0)
    for i in range(theta.size):
        state = CourseState(pool_512, cfg)
        for item, ok in zip(result.administered[i], result.successes[i], strict=True):
            used = set(state.answered)
            rewards = np.array(
                [-1.0 if pool_512.ids[j] in used else r for j, r in enumerate(_info(pool_512, state.estimate.capacity))]
            )
            assert item == int(np.argmax(rewards))
            state.record_index(int(item), bool(ok))


def _info(pool, theta):
    p = 1 / (1 + np.exp(pool.a * (pool.b - theta)))
    return pool.a**2 * p * (1 - p)


def test_report_figures_agree_with_direct_computation(pool_512):
    theta = np.random.default_rng(6).normal(0, 1.5, 60)
    result = simulate(pool_512, CFG, theta, seed=8)
    rep = report(result, pool_512, CFG)
    sets = [set(row.tolist()) for row in result.administered]
    pairwise = np.mean([len(x & y) / 32 for x, y in combinations(sets, 2)])
    assert rep["overlap"] == pytest.approx(pairwise, abs=1e-12)
    used = set().union(*sets)
    assert rep["unused_share"] == pytest.approx(1 - len(used) / len(pool_512))
    counts = np.bincount(result.administered.ravel(), minlength=len(pool_512))
    assert rep["max_exposure"] == counts.max() / 60
    assert rep["rmse"] == pytest.approx(np.sqrt(np.mean((result.theta - theta) ** 2)))
    assert rep["missing_competence_share"] == 0.0
    assert sum(b["n"] for b in rep["bands"]) == 60
    assert 0 < rep["rmse"] < 0.6
    assert 0 <= rep["level_accuracy"] <= rep["level_accuracy_within_one"] <= 1


def test_oracle_bound_is_below_what_the_adaptive_test_achieves(pool_512):
    theta = np.random.default_rng(7).normal(0, 1.5, 400)
    result = simulate(pool_512, CFG, theta, seed=2, design="max_info", start_capacity=0.0)
    bound = oracle_bound(pool_512, theta, length=32, prior_variance=2.25)
    assert 0 < bound < report(result, pool_512, CFG)["rmse"]


def test_bad_input_is_refused(pool_512):
    with pytest.raises(ItemParameterError, match="true abilities must be finite"):
        simulate(pool_512, CFG, [0.0, np.nan], seed=0)
    with pytest.raises(ValueError, match="'greedy' is not a valid Design"):
        simulate(pool_512, CFG, [0.0], seed=0, design="greedy")
