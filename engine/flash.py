r"""Capacity estimation: sequential EAP with a re-centred Gaussian prior (spec §5.3, §5.4).

At answer *k* the prior is :math:`N(\hat\theta_{k-1}, 1.5)` on the 81-point grid, the likelihood
accumulates over all answers so far, and the capacity is the posterior mean, optionally limited
in its change (``variation_percent``). The error rate is the posterior standard deviation around
the (limited) capacity, minus Sheppard's correction.

:class:`FlashState` does one answer at a time and is what the live selector and the scorer use;
:func:`estimate` and :func:`estimate_history` are the public one-shot forms built on it, so the
numbers are identical whichever path computed them.

Reference behaviour: the reference's ``flash.js`` (see spec §5.3); this is a re-implementation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.errors import EstimationError, ItemParameterError
from engine.irt import GRID, PRIOR_VARIANCE, SHEPPARD_CORRECTION, as_item_parameters, p_correct

#: Error rate reported before any answer (spec §4.2).
NO_ANSWER_ERROR_RATE = 5.0


@dataclass(frozen=True, slots=True)
class Estimate:
    """A capacity estimate and its error rate (posterior SD, Sheppard-corrected)."""

    capacity: float
    error_rate: float


def limit_variation(previous: float, raw: float, variation_percent: float) -> float:
    """Limit the change of capacity from ``previous`` to ``raw`` (spec §5.4).

    The allowed gap is ``variation_percent`` itself while ``-v < previous < v`` (strict), and
    ``|previous · v|`` otherwise.
    """
    v = variation_percent
    gap = v if -v < previous < v else abs(previous * v)
    return min(raw, previous + gap) if raw > previous else max(raw, previous - gap)


def _check_start(start_capacity: float, variation_percent: float | None) -> None:
    if not math.isfinite(start_capacity):
        raise ItemParameterError(f"start_capacity must be finite, got {start_capacity}")
    if variation_percent is not None and not (math.isfinite(variation_percent) and variation_percent >= 0):
        raise ItemParameterError(f"variation_percent must be None or a finite number >= 0, got {variation_percent}")


class FlashState:
    """Incremental estimator state for one course: the accumulated likelihood and the capacity.

    Parameters
    ----------
    start_capacity : float
        Capacity before any answer (the prior's first centre), -3 in production.
    variation_percent : float or None
        Capacity-change limit of spec §5.4; None or 0 disables it.
    """

    __slots__ = ("_likelihood", "_variation", "capacity", "error_rate", "answers")

    def __init__(self, start_capacity: float, variation_percent: float | None) -> None:
        _check_start(start_capacity, variation_percent)
        self._likelihood = np.ones_like(GRID)
        self._variation = variation_percent or None
        self.capacity = float(start_capacity)
        self.error_rate = NO_ANSWER_ERROR_RATE
        self.answers = 0

    @property
    def estimate(self) -> Estimate:
        """The current estimate."""
        return Estimate(self.capacity, self.error_rate)

    def update(self, a: float, b: float, success: bool) -> Estimate:
        """Fold in one answer to an item ``(a, b)`` and return the new estimate."""
        p = p_correct(GRID, a, b)
        return self.update_with_factor(p if success else 1.0 - p)

    def update_with_factor(self, factor: NDArray[np.float64]) -> Estimate:
        """Fold in one answer given its likelihood factor on the grid (P or 1 − P).

        Raises
        ------
        EstimationError
            The posterior sums to 0 or to a non-finite value (spec §5.3 rule 6).
        """
        previous = self.capacity
        prior = np.exp(-np.square(GRID - previous) / (2.0 * PRIOR_VARIANCE))
        prior /= prior.sum()
        self._likelihood = self._likelihood * factor
        posterior = self._likelihood * prior
        total = posterior.sum()
        if not (total > 0.0 and math.isfinite(total)):
            raise EstimationError(
                f"posterior sum is {total} after answer {self.answers + 1}: the likelihood underflowed"
            )
        posterior /= total
        raw = float(GRID @ posterior)
        capacity = limit_variation(previous, raw, self._variation) if self._variation else raw
        variance = float(np.square(GRID - capacity) @ posterior) - SHEPPARD_CORRECTION
        # Spec §13 point 4: a negative argument of the square root gives an error rate of 0.
        self.capacity = capacity
        self.error_rate = math.sqrt(variance) if variance > 0.0 else 0.0
        self.answers += 1
        return Estimate(self.capacity, self.error_rate)


def _as_successes(successes: Sequence[bool] | ArrayLike, count: int) -> list[bool]:
    values = list(successes)  # type: ignore[arg-type]
    if len(values) != count:
        raise ItemParameterError(f"{count} items but {len(values)} successes: one answer is needed per item")
    out = []
    for i, value in enumerate(values):
        if isinstance(value, (bool, np.bool_)) or value in (0, 1):
            out.append(bool(value))
        else:
            raise ItemParameterError(f"success {i} is {value!r}: expected a bool")
    return out


def estimate_history(
    discriminants: ArrayLike,
    difficulties: ArrayLike,
    successes: Sequence[bool] | ArrayLike,
    *,
    start_capacity: float = -3.0,
    variation_percent: float | None = None,
) -> list[Estimate]:
    """Estimate after each answer, in answer order (spec §5.3 rule 7); ``[]`` with no answers.

    Parameters
    ----------
    discriminants, difficulties : array_like
        ``a`` and ``b`` of the answered items, in answer order (recorded at draw time, §5.5).
    successes : sequence of bool
        True for status ``ok``, False for every other status (§5.1).
    start_capacity : float
        The first prior's centre; -3 in production, 0 in the §14 vectors.
    variation_percent : float or None
        Capacity-change limit (§5.4); None or 0 disables it.

    Raises
    ------
    ItemParameterError
        Mismatched lengths, NaN or infinite parameters, a non-boolean success.
    EstimationError
        The posterior underflows.
    """
    a, b = as_item_parameters(discriminants, difficulties)
    flags = _as_successes(successes, a.size)
    state = FlashState(start_capacity, variation_percent)
    return [state.update(ai, bi, ok) for ai, bi, ok in zip(a.tolist(), b.tolist(), flags, strict=True)]


def estimate(
    discriminants: ArrayLike,
    difficulties: ArrayLike,
    successes: Sequence[bool] | ArrayLike,
    *,
    start_capacity: float = -3.0,
    variation_percent: float | None = None,
) -> Estimate:
    """Final estimate after all answers; ``Estimate(start_capacity, 5.0)`` with none (§5.3 rule 5).

    Same arguments and errors as :func:`estimate_history`.
    """
    history = estimate_history(
        discriminants,
        difficulties,
        successes,
        start_capacity=start_capacity,
        variation_percent=variation_percent,
    )
    if history:
        return history[-1]
    _check_start(start_capacity, variation_percent)
    return Estimate(float(start_capacity), NO_ANSWER_ERROR_RATE)
