"""Estimation: spec §14.1-§14.2 vectors, properties, and bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import EngineError, EstimationError, ItemParameterError
from engine.flash import Estimate, FlashState, estimate, estimate_history, limit_variation
from engine.irt import GRID

ITEM_A = (1.86350005965093, 0.194712138508747)
ITEM_B = (2.25422414740233, 0.823376599163319)
TOL = 1e-12


def _split(items):
    return [a for a, _ in items], [b for _, b in items]


def test_grid_is_built_by_repeated_addition():
    assert GRID.size == 81
    assert GRID[0] == -9.0
    assert GRID[-1] == 8.999999999999988


@pytest.mark.parametrize(
    ("items", "successes", "capacity", "error_rate"),
    [
        ([ITEM_A], [True], 0.859419960298745, 0.9327454634914153),
        ([ITEM_A, ITEM_B], [True, True], 1.802340122865396, 0.8549014053951466),
        (
            [
                (1.06665273005823, -0.030736508016524),
                (1.50948587856458, 1.62670103354638),
                (0.950709518595358, 1.90647729810166),
            ],
            [True, True, True],
            2.851063556136754,
            0.9271693210547304,
        ),
    ],
    ids=["case-A", "case-B", "case-C"],
)
def test_estimate_reproduces_the_spec_vectors(items, successes, capacity, error_rate):
    a, b = _split(items)
    got = estimate(a, b, successes, start_capacity=0.0)
    assert got.capacity == pytest.approx(capacity, abs=TOL, rel=0)
    assert got.error_rate == pytest.approx(error_rate, abs=TOL, rel=0)


def test_history_of_case_b_gives_both_intermediate_estimates():
    a, b = _split([ITEM_A, ITEM_B])
    history = estimate_history(a, b, [True, True], start_capacity=0.0)
    expected = [(0.859419960298745, 0.9327454634914153), (1.802340122865396, 0.8549014053951466)]
    assert len(history) == 2
    for got, (cap, err) in zip(history, expected, strict=True):
        assert got.capacity == pytest.approx(cap, abs=TOL, rel=0)
        assert got.error_rate == pytest.approx(err, abs=TOL, rel=0)


def test_no_answers_returns_start_and_error_rate_five():
    assert estimate([], [], [], start_capacity=0.0) == Estimate(0.0, 5.0)
    assert estimate_history([], [], [], start_capacity=0.0) == []
    assert estimate([], [], []) == Estimate(-3.0, 5.0)


@pytest.mark.parametrize(
    ("items", "successes", "expected"),
    [
        ([ITEM_A], [True], [0.5]),
        ([ITEM_A], [False], [-0.5]),
        ([ITEM_A, (2.056, 0.6973893), (2.5689203, 1.36973893)], [True] * 3, [0.5, 0.75, 1.125]),
        ([ITEM_A, (2.056, 0.6973893), (2.5689203, 1.36973893)], [False] * 3, [-0.5, -0.75, -1.125]),
    ],
)
def test_variation_limit_reproduces_the_spec_vectors(items, successes, expected):
    a, b = _split(items)
    history = estimate_history(a, b, successes, start_capacity=0.0, variation_percent=0.5)
    assert [h.capacity for h in history] == pytest.approx(expected, abs=TOL, rel=0)


def test_variation_limit_uses_strict_inequalities_and_relative_gap():
    assert limit_variation(0.0, 3.0, 0.5) == 0.5
    assert limit_variation(0.5, 3.0, 0.5) == 0.75  # |0.5| is not < 0.5: relative gap
    assert limit_variation(-3.0, 1.0, 0.5) == -1.5
    assert limit_variation(-3.0, -3.2, 0.5) == -3.2  # inside the gap: unchanged


def test_zero_variation_percent_disables_the_limit():
    a, b = _split([ITEM_A])
    assert estimate(a, b, [True], start_capacity=0.0, variation_percent=0).capacity == pytest.approx(
        0.859419960298745, abs=TOL
    )


def test_incremental_state_matches_one_shot_estimate():
    a, b = _split([ITEM_A, ITEM_B, (0.7, -1.0)])
    state = FlashState(-3.0, 0.5)
    for ai, bi, ok in zip(a, b, [True, False, True], strict=True):
        state.update(ai, bi, ok)
    assert state.estimate == estimate(a, b, [True, False, True], variation_percent=0.5)


@pytest.mark.parametrize(
    ("a", "b", "s", "message"),
    [
        ([1.0, 2.0], [0.0], [True], "2 discriminants but 1 difficulties"),
        ([1.0], [0.0], [True, False], "1 items but 2 successes"),
        ([math.nan], [0.0], [True], "discriminant of item 0 is nan"),
        ([1.0], [math.inf], [True], "difficulty of item 0 is inf"),
        ([1.0], [0.0], ["yes"], "success 0 is 'yes'"),
    ],
)
def test_bad_input_raises_an_error_that_names_the_problem(a, b, s, message):
    with pytest.raises(ItemParameterError, match=message) as info:
        estimate(a, b, s)
    assert isinstance(info.value, EngineError)


def test_non_finite_start_capacity_is_refused():
    with pytest.raises(ItemParameterError, match="start_capacity"):
        estimate([1.0], [0.0], [True], start_capacity=math.nan)


def test_posterior_underflow_raises_estimation_error():
    # A success on an item far beyond the grid has probability exp(-910) = 0.0 everywhere.
    with pytest.raises(EstimationError, match="underflowed"):
        estimate([10.0], [100.0], [True])


items = st.lists(
    st.tuples(
        st.floats(min_value=0.2, max_value=4.0),
        st.floats(min_value=-6.0, max_value=6.0),
        st.booleans(),
    ),
    min_size=1,
    max_size=32,
)


@settings(max_examples=150, deadline=None)
@given(items, st.sampled_from([None, 0.5]), st.floats(min_value=-4, max_value=4))
def test_estimate_stays_inside_the_grid_with_a_positive_error_rate(rows, variation, start):
    a, b, s = zip(*rows, strict=True)
    for est in estimate_history(a, b, s, start_capacity=start, variation_percent=variation):
        assert GRID[0] <= est.capacity <= GRID[-1]
        assert est.error_rate > 0


@settings(max_examples=150, deadline=None)
@given(
    items,
    st.floats(min_value=0.2, max_value=4.0),
    st.floats(min_value=-6, max_value=6),
    st.sampled_from([None, 0.5]),
)
def test_a_success_never_gives_a_lower_capacity_than_a_failure(rows, a_new, b_new, variation):
    a, b, s = (list(x) for x in zip(*rows, strict=True))
    ok = estimate([*a, a_new], [*b, b_new], [*s, True], start_capacity=0.0, variation_percent=variation)
    ko = estimate([*a, a_new], [*b, b_new], [*s, False], start_capacity=0.0, variation_percent=variation)
    assert ok.capacity >= ko.capacity
