"""Capacity ↔ pix score and competence levels (spec §8.3-§8.5).

``bounds`` everywhere are the 9 interval bounds: the min of mesh 0, the 7 cut points, and the max
of mesh 7. The functions accept any strictly increasing bounds (the §14 vectors use non-production
ones); a version configuration is validated separately (:mod:`engine.config`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from engine.errors import ScoringError


@dataclass(frozen=True, slots=True)
class Mesh:
    """One mesh of the global score (spec §8.3): weight, coefficient, key and public label."""

    index: int
    key: str
    weight: int
    coefficient: int
    label: str

    @property
    def first_score(self) -> int:
        """Lowest score of the mesh (cumulative weights of the meshes before it)."""
        return sum(m.weight for m in MESHES[: self.index])


#: The fixed mesh table (spec §8.3). Mesh 8 is unreachable with 8 intervals.
MESHES: tuple[Mesh, ...] = (
    Mesh(0, "LEVEL_PRE_BEGINNER", 64, 0, "Débutant"),
    Mesh(1, "LEVEL_BEGINNER_1", 64, 1, "Novice 1"),
    Mesh(2, "LEVEL_BEGINNER_2", 128, 1, "Novice 2"),
    Mesh(3, "LEVEL_INDEPENDENT_3", 128, 2, "Indépendant 1"),
    Mesh(4, "LEVEL_INDEPENDENT_4", 128, 3, "Indépendant 2"),
    Mesh(5, "LEVEL_ADVANCED_5", 128, 4, "Avancé 1"),
    Mesh(6, "LEVEL_ADVANCED_6", 128, 5, "Avancé 2"),
    Mesh(7, "LEVEL_EXPERT_7", 128, 6, "Expert 1"),
    Mesh(8, "LEVEL_EXPERT_8", 128, 7, "Expert 2"),
)


def check_bounds(bounds: Sequence[float]) -> tuple[float, ...]:
    """Return ``bounds`` as floats after checking: 2-9 finite, strictly increasing values.

    Raises
    ------
    ScoringError
        Too few or too many bounds, a non-finite bound, or bounds that do not strictly increase.
    """
    values = tuple(float(b) for b in bounds)
    if not 2 <= len(values) <= len(MESHES):
        raise ScoringError(f"expected 2 to {len(MESHES)} interval bounds, got {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise ScoringError(f"interval bounds must be finite, got {values}")
    for i in range(len(values) - 1):
        if not values[i] < values[i + 1]:
            raise ScoringError(
                f"interval bounds are not increasing: bound {i} is {values[i]}, bound {i + 1} is {values[i + 1]}"
            )
    return values


def max_score(interval_count: int) -> int:
    """Highest reachable score: ``(intervals - 1) · 16 · 8 − 1`` (895 with 8 intervals)."""
    return (interval_count - 1) * 16 * 8 - 1


def _finite(capacity: float) -> float:
    value = float(capacity)
    if not math.isfinite(value):
        raise ScoringError(f"capacity must be finite, got {capacity}")
    return value


def score_and_mesh(capacity: float, bounds: Sequence[float]) -> tuple[int, int | None]:
    """Pix score of ``capacity`` and its mesh index (None when below the first min: rejected).

    Spec §8.3::

        score = floor(w[i] · (c[i] + 1 − (hi − θ) / (hi − lo)))   capped at max_score

    Raises
    ------
    ScoringError
        Invalid bounds or a non-finite capacity.
    """
    b = check_bounds(bounds)
    theta = _finite(capacity)
    count = len(b) - 1
    top = max_score(count)
    if theta >= b[-1]:
        return top, count - 1
    if theta < b[0]:
        return 0, None
    i = next((k for k in range(count) if b[k] <= theta < b[k + 1]), count - 1)
    lo, hi = b[i], b[i + 1]
    mesh = MESHES[i]
    score = math.floor(mesh.weight * (mesh.coefficient + 1 - (hi - theta) / (hi - lo)))
    return min(score, top), i


def pix_score(capacity: float, bounds: Sequence[float]) -> int:
    """Global pix score (0-895) of a capacity (spec §8.3); 0 below the first interval's min."""
    return score_and_mesh(capacity, bounds)[0]


def mesh_for_score(score: int) -> Mesh:
    """Mesh whose score range holds ``score``, capped at mesh 7 (spec §8.4 step 1).

    Raises
    ------
    ScoringError
        A negative, non-integer or too large (> 1023) score.
    """
    if isinstance(score, bool) or not float(score).is_integer() or not 0 <= score <= 1023:
        raise ScoringError(f"score must be an integer 0-1023, got {score!r}")
    mesh = MESHES[0]
    for candidate in MESHES[:8]:
        if candidate.first_score <= score:
            mesh = candidate
    return mesh


def capacity_for_score(score: int, bounds: Sequence[float]) -> float:
    """Capacity at which ``score`` begins: the inverse of :func:`pix_score` (spec §8.4).

    ``θ = (score / w − c) · (max − min) + min`` with the mesh's weight and coefficient and the
    bounds of its interval.

    Raises
    ------
    ScoringError
        Invalid bounds, a score outside 0-1023, or a mesh beyond the given intervals.
    """
    b = check_bounds(bounds)
    mesh = mesh_for_score(score)
    if mesh.index >= len(b) - 1:
        raise ScoringError(f"score {score} falls in mesh {mesh.index}, but only {len(b) - 1} intervals are given")
    lo, hi = b[mesh.index], b[mesh.index + 1]
    return (score / mesh.weight - mesh.coefficient) * (hi - lo) + lo


def _intervals_from(cut_points: Sequence) -> list[tuple[float, float]]:
    values = list(cut_points)
    if not values:
        raise ScoringError("competence intervals are empty")
    if all(isinstance(v, (tuple, list)) for v in values):
        pairs = [(float(lo), float(hi)) for lo, hi in values]
    elif len(values) == 7:  # the inner cut points of levels 0-7
        edges = [-math.inf, *check_bounds(values), math.inf]
        pairs = list(zip(edges, edges[1:], strict=False))
    elif len(values) == 9:  # full bounds; the outer ones are extended to ±∞ anyway
        check_bounds(values)
        edges = [-math.inf, *(float(v) for v in values[1:-1]), math.inf]
        pairs = list(zip(edges, edges[1:], strict=False))
    else:
        raise ScoringError(
            f"competence intervals: expected 7 cut points, 9 bounds or (min, max) pairs, got {len(values)} values"
        )
    if any(math.isnan(lo) or math.isnan(hi) for lo, hi in pairs):
        raise ScoringError("competence intervals contain NaN")
    return pairs


def competence_level(capacity: float, cut_points: Sequence) -> int:
    """Competence level 0-7 of a capacity (spec §8.5).

    Parameters
    ----------
    capacity : float
        The global capacity used for the pix score (after degradation).
    cut_points : sequence
        Either the 7 inner cut points (``[-2, -1, 0.5, 1, 2, 3, 4]`` by default), the 9 bounds as
        stored in a configuration, or a list of ``(min, max)`` pairs, one per level in level order
        (pairs may overlap, spec §14.6).

    Returns
    -------
    int
        The level of the first interval with ``min <= θ < max``, after extending the lowest
        min to −∞ and the highest max to +∞.

    Raises
    ------
    ScoringError
        Malformed intervals or a non-finite capacity.
    """
    theta = _finite(capacity)
    pairs = _intervals_from(cut_points)
    last = len(pairs) - 1
    for level, (lo, hi) in enumerate(pairs):
        lo = -math.inf if level == 0 else lo
        hi = math.inf if level == last else hi
        if lo <= theta < hi:
            return level
    raise ScoringError(f"capacity {theta} falls in no competence interval (intervals leave a gap)")


def competence_levels(capacity: float, bounds_by_code: dict[str, Sequence[float]]) -> dict[str, int]:
    """Level of every competence from the one global capacity (spec §8.5 rule 2)."""
    return {code: competence_level(capacity, bounds) for code, bounds in bounds_by_code.items()}
