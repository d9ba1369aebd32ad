"""2PL calibration by EM: recovery on adaptive and complete data, anchors, provisional items, bad input.

Every data set is simulated with its own seeded generator. The adaptive design is a real CAT (each
next item is chosen from the answers so far), because that is what makes the missing cells ignorable;
choosing items from the true ability instead biases any marginal-likelihood calibration (see the
module docstring of engine.calibration).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from engine.calibration import (
    CalibrationError,
    CalibrationOptions,
    CalibrationResult,
    ResponseIndex,
    calibrate,
    calibrate_by_id,
    index_responses,
)
from engine.errors import EngineError

# Thresholds, each well inside what the method reaches and outside what a broken one gives. With the
# seeds below the tests see: sparse 0.174 / 0.233 (b / a, all estimated items), 0.103 / 0.176 (items
# with >= 200 responses); complete 0.181 / 0.091; anchored free items 0.084. Over 8 other sparse seeds the
# worst were 0.174 / 0.252 and 0.127 / 0.198, over 40 complete seeds 0.181 / 0.130. Broken variants fail:
# scoring the missing cells as failures gives a b error near 3.8, a = 1 for every item an a error near 0.4,
# and choosing the items from the true ability (not missing at random) a b error near 0.47.
SPARSE_RMSE_B = 0.25
SPARSE_RMSE_A = 0.32
EXPOSED_RMSE_B = 0.16
EXPOSED_RMSE_A = 0.25
EXPOSED_COUNT = 200
COMPLETE_RMSE_B = 0.22
COMPLETE_RMSE_A = 0.16
ANCHORED_FREE_RMSE_B = 0.12
LOG_A_SD = 0.4  # true discriminants: a = exp(N(0, 0.4²)), so a = 1 for every item has an RMSE near 0.4


def _expit(z):
    return 1.0 / (1.0 + np.exp(-z))


def _rmse(estimate, truth) -> float:
    return float(np.sqrt(np.mean(np.square(np.asarray(estimate) - np.asarray(truth)))))


def _true_items(rng: np.random.Generator, count: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    return np.exp(rng.normal(0.0, LOG_A_SD, count)), rng.uniform(-spread, spread, count)


def _adaptive_responses(a, b, theta, length, rng, *, selection_sd=0.5):
    """A CAT: the next item is the unused one whose b is nearest the current EAP plus N(0, selection_sd²).

    The EAP uses a N(0, 1) prior and the true (bank) parameters; the noise spreads exposure and is
    independent of ability, so selection depends on earlier answers only (missing at random).
    """
    n, grid = theta.size, np.linspace(-6.0, 6.0, 61)
    rows = np.arange(n)
    used = np.zeros((n, a.size), dtype=bool)
    log_post = np.tile(-0.5 * grid**2, (n, 1))
    eap = np.zeros(n)
    examinees, items, successes = [], [], []
    for _ in range(length):
        distance = np.abs(b - (eap + selection_sd * rng.standard_normal(n))[:, None])
        distance[used] = np.inf
        pick = distance.argmin(axis=1)
        used[rows, pick] = True
        success = rng.random(n) < _expit(a[pick] * (theta - b[pick]))
        p = _expit(a[pick, None] * (grid - b[pick, None]))
        log_post += np.log(np.where(success[:, None], p, 1.0 - p))
        w = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        eap = (w @ grid) / w.sum(axis=1)
        examinees.append(rows)
        items.append(pick)
        successes.append(success)
    return np.concatenate(examinees), np.concatenate(items), np.concatenate(successes)


def _complete_responses(a, b, theta, rng, probabilities=None):
    p = _expit(a * (theta[:, None] - b)) if probabilities is None else probabilities
    x = rng.random(p.shape) < p
    n, m = p.shape
    return np.repeat(np.arange(n), m), np.tile(np.arange(m), n), x.ravel()


@pytest.fixture(scope="module")
def sparse():
    """300 items, 6000 examinees, 32 adaptive answers each (192,000 responses), and its calibration."""
    rng = np.random.default_rng(20240611)
    a, b = _true_items(rng, 300, 3.0)
    theta = rng.normal(0.0, 1.0, 6000)
    e, j, x = _adaptive_responses(a, b, theta, 32, rng)
    return {"a": a, "b": b, "e": e, "j": j, "x": x, "result": calibrate(e, j, x, a.size)}


@pytest.fixture(scope="module")
def complete():
    """20 items × 2000 examinees, every cell observed, and its calibration."""
    rng = np.random.default_rng(7)
    a, b = _true_items(rng, 20, 2.0)
    e, j, x = _complete_responses(a, b, rng.normal(0.0, 1.0, 2000), rng)
    return {"a": a, "b": b, "e": e, "j": j, "x": x, "result": calibrate(e, j, x, a.size)}


# ------------------------------------------------------------------------------------------ recovery


def test_sparse_adaptive_design_recovers_items(sparse):
    res, a, b = sparse["result"], sparse["a"], sparse["b"]
    assert res.converged
    estimated = ~res.provisional
    assert estimated.sum() >= 240  # the extreme items are rarely given: some stay provisional
    assert _rmse(res.difficulties[estimated], b[estimated]) < SPARSE_RMSE_B
    assert _rmse(res.discriminants[estimated], a[estimated]) < SPARSE_RMSE_A
    exposed = res.response_counts >= EXPOSED_COUNT
    assert exposed.sum() >= 150
    assert _rmse(res.difficulties[exposed], b[exposed]) < EXPOSED_RMSE_B
    assert _rmse(res.discriminants[exposed], a[exposed]) < EXPOSED_RMSE_A
    # Guessing a = 1 everywhere would not pass: the a thresholds are well inside the a's own spread.
    assert _rmse(1.0, a[estimated]) > SPARSE_RMSE_A + 0.05
    assert _rmse(1.0, a[exposed]) > EXPOSED_RMSE_A + 0.05


def test_treating_unanswered_items_as_failures_does_not_recover_them(sparse):
    # The thresholds above mean something: the classic mistake of scoring the missing cells as wrong
    # (on the first 500 examinees, stopped at a loose tolerance to keep the test fast).
    a, b, e, j, x = (sparse[k] for k in ("a", "b", "e", "j", "x"))
    n, keep = 500, e < 500
    filled = np.zeros((n, a.size), dtype=bool)
    filled[e[keep], j[keep]] = x[keep]
    loose = CalibrationOptions(tolerance=1e-2)
    mistaken = calibrate(
        np.repeat(np.arange(n), a.size), np.tile(np.arange(a.size), n), filled.ravel(), a.size, options=loose
    )
    assert _rmse(mistaken.difficulties, b) > 2 * SPARSE_RMSE_B


def test_standard_errors_match_the_actual_errors_on_sparse_data(sparse):
    res, a, b = sparse["result"], sparse["a"], sparse["b"]
    estimated = ~res.provisional
    z_b = (res.difficulties[estimated] - b[estimated]) / res.difficulty_se[estimated]
    z_a = (res.discriminants[estimated] - a[estimated]) / res.discriminant_se[estimated]
    assert 0.8 < float(np.std(z_b)) < 1.3
    assert 0.7 < float(np.std(z_a)) < 1.25


def test_fit_statistic_averages_its_degrees_of_freedom_when_the_model_holds(sparse):
    res = sparse["result"]
    estimated = ~res.provisional
    assert np.all(np.isfinite(res.fit_statistic[estimated]))
    assert np.all(res.fit_df[estimated] >= 1)
    ratio = res.fit_statistic[estimated].sum() / res.fit_df[estimated].sum()
    assert 0.85 < ratio < 1.25


def test_complete_data_recovers_items_tightly(complete):
    res, a, b = complete["result"], complete["a"], complete["b"]
    assert res.converged
    assert not res.provisional.any()
    assert _rmse(res.difficulties, b) < COMPLETE_RMSE_B
    assert _rmse(res.discriminants, a) < COMPLETE_RMSE_A
    assert res.ability_mean == 0.0 and res.ability_sd == 1.0
    assert np.all(res.response_counts == 2000)


def test_fit_statistic_flags_an_item_whose_curve_is_not_logistic():
    rng = np.random.default_rng(11)
    a, b = _true_items(rng, 15, 2.0)
    theta = rng.normal(0.0, 1.0, 2000)
    u_shaped = _expit(1.5 * (np.abs(theta) - 0.7))  # the weakest and the strongest succeed
    p = np.column_stack([_expit(a * (theta[:, None] - b)), u_shaped])
    res = calibrate(*_complete_responses(a, b, theta, rng, probabilities=p), 16)
    assert res.fit_df[15] == 8
    assert res.fit_statistic[15] > 60.0  # chi-square(8) 99.9 % quantile: 26.1
    assert np.argmax(res.fit_statistic) == 15


def test_item_everyone_answers_correctly_gets_a_finite_easy_estimate(complete):
    e, j, x = complete["e"], complete["j"], complete["x"].copy()
    x[j == 0] = True
    res = calibrate(e, j, x, 20)
    assert np.isfinite(res.difficulties[0]) and np.isfinite(res.discriminants[0])
    assert res.difficulties[0] < -2.0
    assert res.success_counts[0] == res.response_counts[0] == 2000


# ------------------------------------------------------------------------------------------ anchors


def test_anchors_put_free_items_on_the_anchor_scale_and_stay_fixed():
    rng = np.random.default_rng(3)
    a, b = _true_items(rng, 40, 2.5)
    theta = rng.normal(0.5, 1.2, 3000)
    e, j, x = _complete_responses(a, b, theta, rng)
    anchors = {i: (float(a[i]), float(b[i])) for i in range(0, 40, 2)}
    res = calibrate(e, j, x, 40, anchors=anchors)
    assert res.converged
    for i, (a_i, b_i) in anchors.items():
        assert res.discriminants[i] == a_i and res.difficulties[i] == b_i
    assert np.array_equal(res.anchored, np.arange(40) % 2 == 0)
    assert np.all(np.isnan(res.difficulty_se[res.anchored]))
    free = ~res.anchored
    assert _rmse(res.difficulties[free], b[free]) < ANCHORED_FREE_RMSE_B
    assert res.ability_mean == pytest.approx(0.5, abs=0.1)
    assert res.ability_sd == pytest.approx(1.2, abs=0.1)
    # Without anchors the scale is N(0, 1), not the true one: the free items are then far off.
    unlinked = calibrate(e, j, x, 40)
    assert _rmse(unlinked.difficulties[free], b[free]) > 3 * ANCHORED_FREE_RMSE_B


def test_anchored_calibration_on_adaptive_data_recovers_the_population(sparse):
    a, b, e, j, x = (sparse[k] for k in ("a", "b", "e", "j", "x"))
    # Shift the scale: anchor half the items at (a / 1.2, 1.2 b + 0.5), the same items on another scale.
    anchors = {i: (float(a[i] / 1.2), float(1.2 * b[i] + 0.5)) for i in range(0, a.size, 2)}
    res = calibrate(e, j, x, a.size, anchors=anchors)
    assert res.ability_mean == pytest.approx(0.5, abs=0.1)
    assert res.ability_sd == pytest.approx(1.2, abs=0.1)
    free = ~res.anchored & ~res.provisional
    assert _rmse(res.difficulties[free], 1.2 * b[free] + 0.5) < 1.2 * SPARSE_RMSE_B


def test_few_anchors_still_converge_quickly_thanks_to_the_acceleration(sparse):
    # With 10 anchors out of 300, plain EM needs about 200 cycles to crawl along the scale direction.
    a, b, e, j, x = (sparse[k] for k in ("a", "b", "e", "j", "x"))
    anchors = {i: (float(a[i]), float(b[i])) for i in range(15, 300, 30)}
    res = calibrate(e, j, x, a.size, anchors=anchors)
    assert res.converged and res.iterations < 80
    free = ~res.anchored & ~res.provisional
    assert _rmse(res.difficulties[free], b[free]) < SPARSE_RMSE_B


# ------------------------------------------------------------------------------------------ provisional


def test_items_with_too_few_responses_are_provisional_and_keep_their_start_values(complete):
    rng = np.random.default_rng(5)
    e, j, x = complete["e"], complete["j"], complete["x"]
    # Item 20: 30 responses; item 21: none; item 22: 49 (one below the default min_responses of 50).
    extra_e = np.concatenate([np.arange(30), np.arange(49)])
    extra_j = np.concatenate([np.full(30, 20), np.full(49, 22)])
    e2, j2 = np.concatenate([e, extra_e]), np.concatenate([j, extra_j])
    x2 = np.concatenate([x, rng.random(extra_e.size) < 0.5])
    start_a = np.linspace(0.8, 1.6, 23)
    start_b = np.linspace(-1.0, 1.0, 23)
    res = calibrate(e2, j2, x2, 23, start_discriminants=start_a, start_difficulties=start_b)
    assert res.provisional.tolist() == [False] * 20 + [True] * 3
    assert res.response_counts[20:].tolist() == [30, 0, 49]
    assert np.array_equal(res.discriminants[20:], start_a[20:])
    assert np.array_equal(res.difficulties[20:], start_b[20:])
    assert np.all(np.isnan(res.discriminant_se[20:])) and np.all(np.isnan(res.fit_statistic[20:]))
    # The provisional items' responses are left out, so the other items come out as without them.
    assert np.allclose(res.difficulties[:20], complete["result"].difficulties, atol=2e-3)


def test_provisional_items_without_start_values_get_the_prior_modes(complete):
    e, j, x = complete["e"], complete["j"], complete["x"]
    res = calibrate(e, j, x, 21)  # item 20 has no response
    assert res.provisional[20]
    assert res.discriminants[20] == 1.0 and res.difficulties[20] == 0.0


def test_nothing_to_estimate_returns_the_start_values_and_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="engine.calibration"):
        res = calibrate([0, 1, 2], [0, 0, 1], [True, False, True], 2)
    assert res.provisional.all() and res.iterations == 0
    assert res.discriminants.tolist() == [1.0, 1.0] and res.difficulties.tolist() == [0.0, 0.0]
    assert "no item has enough responses" in caplog.text


# ------------------------------------------------------------------------------------------ EM behaviour


def _never_decreases(trace) -> bool:
    trace = np.asarray(trace)
    return bool(np.all(np.diff(trace) >= -1e-9 * np.abs(trace[1:])))


def test_objective_never_decreases_across_accelerated_em_cycles(sparse):
    res = sparse["result"]
    trace = np.array(res.objective_trace)
    # One entry per EM cycle, plus the start, plus each accepted SQUAREM extrapolation.
    assert trace.size >= res.iterations + 1
    assert _never_decreases(trace)
    assert trace[-1] > trace[0]


def test_plain_em_never_decreases_its_objective_and_reaches_the_same_optimum(sparse):
    plain = calibrate(
        sparse["e"], sparse["j"], sparse["x"], 300, options=CalibrationOptions(accelerate=False, tolerance=1e-5)
    )
    assert len(plain.objective_trace) == plain.iterations + 1
    assert _never_decreases(plain.objective_trace)
    fast = sparse["result"]
    assert fast.iterations < plain.iterations
    assert fast.objective_trace[-1] == pytest.approx(plain.objective_trace[-1], abs=0.05)
    estimated = ~fast.provisional
    assert np.allclose(fast.difficulties[estimated], plain.difficulties[estimated], atol=5e-3)
    assert np.allclose(fast.discriminants[estimated], plain.discriminants[estimated], atol=5e-3)


def test_log_likelihood_never_decreases_when_the_priors_are_flat(complete):
    flat = CalibrationOptions(log_discriminant_sd=1e4, difficulty_sd=1e4)
    res = calibrate(complete["e"], complete["j"], complete["x"], 20, options=flat)
    assert _never_decreases(res.log_likelihood_trace)
    assert res.log_likelihood == res.log_likelihood_trace[-1]


def test_objective_never_decreases_with_anchors_and_an_estimated_population(sparse):
    a, b, e, j, x = (sparse[k] for k in ("a", "b", "e", "j", "x"))
    anchors = {i: (float(a[i]), float(b[i])) for i in range(0, 60, 3)}
    res = calibrate(e, j, x, a.size, anchors=anchors, options=CalibrationOptions(max_iterations=15, accelerate=False))
    assert _never_decreases(res.objective_trace)


def test_hitting_the_iteration_cap_warns_but_returns_a_result(complete, caplog):
    with caplog.at_level(logging.WARNING, logger="engine.calibration"):
        res = calibrate(complete["e"], complete["j"], complete["x"], 20, options=CalibrationOptions(max_iterations=2))
    assert not res.converged and res.iterations == 2
    assert len(res.objective_trace) >= 3
    assert [r.event for r in caplog.records] == ["calibration_not_converged"]


def test_calibration_is_deterministic_and_its_arrays_are_read_only(complete):
    again = calibrate(complete["e"], complete["j"], complete["x"], 20)
    first = complete["result"]
    assert isinstance(again, CalibrationResult)
    assert np.array_equal(again.discriminants, first.discriminants)
    assert np.array_equal(again.difficulties, first.difficulties)
    assert again.objective_trace == first.objective_trace
    with pytest.raises(ValueError):
        first.difficulties[0] = 0.0


def test_abilities_are_eaps_on_the_item_scale(complete):
    res = complete["result"]
    assert res.abilities.shape == (2000,)
    assert abs(float(res.abilities.mean())) < 0.1
    assert np.all((res.ability_se > 0.2) & (res.ability_se < 0.8))


# ------------------------------------------------------------------------------------------ ids


def test_calibrate_by_id_matches_calibrate_on_indices(complete):
    e, j, x = complete["e"], complete["j"], complete["x"]
    candidates = [f"cand-{i:04d}" for i in e]
    challenges = [f"ch-{k:02d}" for k in j]
    res, index = calibrate_by_id(candidates, challenges, x, anchors={"ch-00": (1.0, 0.0)})
    assert isinstance(index, ResponseIndex) and index.challenge_ids[0] == "ch-00"
    direct = calibrate(index.examinees, index.items, x, 20, anchors={0: (1.0, 0.0)})
    assert np.array_equal(res.difficulties, direct.difficulties)
    assert res.anchored[0] and res.difficulties[0] == 0.0


def test_index_responses_keeps_the_given_challenge_order_including_unanswered_ones():
    index = index_responses(["u", "v", "u"], ["c2", "c1", "c1"], challenges=["c1", "c3", "c2"])
    assert index.challenge_ids == ("c1", "c3", "c2")
    assert index.candidate_ids == ("u", "v")
    assert index.items.tolist() == [2, 0, 0] and index.examinees.tolist() == [0, 1, 0]


# ------------------------------------------------------------------------------------------ bad input


GOOD = ([0, 0, 1, 1], [0, 1, 0, 1], [True, False, True, True])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"examinees": [0, 0, 1]}, "3 examinee indices, 4 item indices and 4 successes"),
        ({"examinees": [0, -1, 1, 1]}, "examinee index at row 1 is -1"),
        ({"items": [0, 1, 2, 1]}, "item index at row 2 is 2 but n_items is 2"),
        ({"items": [0, 0.5, 0, 1]}, "item index at row 1 is 0.5"),
        ({"successes": [1, 0, 2, 1]}, "success at row 2 is 2"),
        ({"successes": [1.0, np.nan, 1.0, 0.0]}, "success at row 1 is nan"),
        ({"examinees": [0, 1, 1, 1], "items": [0, 1, 0, 0]}, r"examinee 1 answered item 0 twice \(rows 2 and 3\)"),
        ({"examinees": [], "items": [], "successes": []}, "no responses"),
        ({"n_items": 0}, "n_items must be a positive integer"),
        ({"anchors": {2: (1.0, 0.0)}}, r"anchor for item 2 is out of range 0\.\.1"),
        ({"anchors": {-1: (1.0, 0.0)}}, "anchor for item -1 is out of range"),
        ({"anchors": {1: (1.0, math.inf)}}, "anchor for item 1 has a non-finite parameter"),
        ({"anchors": {1: (math.nan, 0.0)}}, "anchor for item 1 has a non-finite parameter"),
        ({"anchors": {1: (1.0,)}}, r"anchor for item 1 must be a pair \(a, b\)"),
        ({"start_discriminants": [1.0, -0.5]}, "start_discriminants of item 1 is -0.5"),
        ({"start_difficulties": [0.0]}, r"start_difficulties must have shape \(2,\)"),
    ],
)
def test_bad_input_raises_a_calibration_error_naming_the_problem(kwargs, message):
    args = dict(zip(("examinees", "items", "successes"), GOOD, strict=True)) | {"n_items": 2} | kwargs
    with pytest.raises(CalibrationError, match=message) as info:
        calibrate(
            args.pop("examinees"),
            args.pop("items"),
            args.pop("successes"),
            args.pop("n_items"),
            options=CalibrationOptions(min_responses=1),
            **args,
        )
    assert isinstance(info.value, EngineError) and isinstance(info.value, ValueError)


def test_anchors_without_any_response_cannot_link_the_scale():
    with pytest.raises(CalibrationError, match="none of the 1 anchor items has a response"):
        calibrate(*GOOD, 3, anchors={2: (1.0, 0.0)}, options=CalibrationOptions(min_responses=1))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_responses": -1}, "min_responses must be an integer >= 0"),
        ({"quadrature_points": 3}, "quadrature_points must be at least 5"),
        ({"ability_sd": 0.0}, "ability_sd must be finite and > 0"),
        ({"tolerance": math.nan}, "tolerance must be finite and > 0"),
        ({"difficulty_mean": math.inf}, "difficulty_mean must be finite"),
    ],
)
def test_bad_options_raise_a_calibration_error(options, message):
    with pytest.raises(CalibrationError, match=message):
        CalibrationOptions(**options)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: index_responses(["u"], ["c1", "c2"]), "1 candidate ids but 2 challenge ids"),
        (lambda: index_responses(["u"], ["c9"], challenges=["c1"]), r"challenge 'c9' \(response 0\) is not in"),
        (lambda: index_responses(["u"], ["c1"], challenges=["c1", "c1"]), "challenge 'c1' is listed twice"),
        (lambda: calibrate_by_id(["u"], ["c1"], [True], anchors={"zz": (1.0, 0.0)}), "anchor challenge 'zz'"),
        (lambda: calibrate_by_id(["u"], ["c1"], [True], start={"zz": (1.0, 0.0)}), "start challenge 'zz'"),
    ],
)
def test_bad_ids_raise_a_calibration_error(call, message):
    with pytest.raises(CalibrationError, match=message):
        call()
