"""Pix score ↔ capacity and competence levels: spec §14.5-§14.6 vectors, properties, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.config import DEFAULT_COMPETENCE_BOUNDS, DEFAULT_GLOBAL_BOUNDS
from engine.errors import ScoringError
from engine.scoring import (
    MESHES,
    capacity_for_score,
    competence_level,
    mesh_for_score,
    pix_score,
    score_and_mesh,
)

BOUNDS = (-8, -2, -0.5, 0.6, 1.5, 2.25, 3.1, 4, 8)


@pytest.mark.parametrize(("capacity", "score"), [(-10, 0), (-2, 64), (4, 768), (10, 895)])
def test_pix_score_reproduces_the_spec_vectors(capacity, score):
    assert pix_score(capacity, BOUNDS) == score


@pytest.mark.parametrize(("score", "capacity"), [(111, -0.8984375), (895, 7.96875)])
def test_capacity_for_score_reproduces_the_spec_vectors(score, capacity):
    assert capacity_for_score(score, BOUNDS) == pytest.approx(capacity, abs=1e-12)


def test_capacity_at_the_first_min_scores_zero_in_mesh_zero_and_below_is_rejected():
    assert score_and_mesh(-8, BOUNDS) == (0, 0)
    assert score_and_mesh(-8.000001, BOUNDS) == (0, None)


def test_mesh_table_ranges_follow_cumulative_weights():
    assert [m.first_score for m in MESHES] == [0, 64, 128, 256, 384, 512, 640, 768, 896]
    assert mesh_for_score(63).index == 0
    assert mesh_for_score(64).index == 1
    assert mesh_for_score(1000).index == 7  # capped at mesh 7
    assert MESHES[0].label == "Débutant"


@pytest.mark.parametrize(
    ("intervals", "capacity", "level"),
    [
        ([(-5, -1), (-1, 1), (-1, 5)], -4, 0),
        ([(-5, -1), (-1, 1), (-1, 5)], 0, 1),
        ([(-5, -1), (-1, 1), (-1, 5)], 6, 2),
        ([(-5, -1), (-1, 1), (-1, 5)], -6, 0),
    ],
)
def test_competence_level_reproduces_the_spec_vectors(intervals, capacity, level):
    assert competence_level(capacity, intervals) == level


@pytest.mark.parametrize(
    ("capacity", "level"),
    [(-2.5, 0), (-2, 1), (-1.5, 1), (-1, 2), (0.4, 2), (0.5, 3), (1, 4), (2, 5), (3, 6), (4, 7), (12, 7), (-30, 0)],
)
def test_default_competence_cut_points_give_the_spec_table(capacity, level):
    assert competence_level(capacity, [-2, -1, 0.5, 1, 2, 3, 4]) == level
    assert competence_level(capacity, DEFAULT_COMPETENCE_BOUNDS) == level


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ((-8, -2, -2, 0.6, 1.5, 2.25, 3.1, 4, 8), "not increasing: bound 1 is -2.0, bound 2 is -2.0"),
        ((-8, -2, -3, 0.6, 1.5, 2.25, 3.1, 4, 8), "not increasing"),
        ((-8,), "expected 2 to 9 interval bounds, got 1"),
        ((-8, math.nan, 8), "must be finite"),
    ],
)
def test_bad_bounds_are_refused_with_a_message(bounds, message):
    with pytest.raises(ScoringError, match=message):
        pix_score(0.0, bounds)


def test_bad_capacity_and_score_are_refused():
    with pytest.raises(ScoringError, match="capacity must be finite"):
        pix_score(math.nan, BOUNDS)
    with pytest.raises(ScoringError, match="score must be an integer 0-1023"):
        capacity_for_score(-1, BOUNDS)
    with pytest.raises(ScoringError, match="score must be an integer 0-1023"):
        capacity_for_score(12.5, BOUNDS)
    with pytest.raises(ScoringError, match="expected 7 cut points, 9 bounds"):
        competence_level(0.0, [1, 2, 3])


capacities = st.floats(min_value=-12, max_value=12, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(capacities, capacities)
def test_pix_score_is_monotonic_in_capacity(x, y):
    lo, hi = sorted((x, y))
    assert pix_score(lo, DEFAULT_GLOBAL_BOUNDS) <= pix_score(hi, DEFAULT_GLOBAL_BOUNDS)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=DEFAULT_GLOBAL_BOUNDS[0], max_value=DEFAULT_GLOBAL_BOUNDS[-1] - 1e-9))
def test_capacity_for_score_round_trips_to_the_same_mesh(x):
    score, mesh = score_and_mesh(x, DEFAULT_GLOBAL_BOUNDS)
    assume(mesh is not None)
    back = capacity_for_score(score, DEFAULT_GLOBAL_BOUNDS)
    assert score_and_mesh(back, DEFAULT_GLOBAL_BOUNDS)[1] == mesh
    assert back <= x + 1e-9
