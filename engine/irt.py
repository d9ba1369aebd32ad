r"""The 2PL item response model and its capacity grid (spec §5.1, §5.2, §6.5).

Pure numpy functions; every function broadcasts over its arguments.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.errors import ItemParameterError


def _build_grid() -> NDArray[np.float64]:
    # Spec §5.2: repeated floating-point addition, not arange/linspace; the last bits matter
    # for the §14 vectors.
    points = []
    x = -9.0
    while x < 9:
        points.append(x)
        x += 0.225
    grid = np.array(points, dtype=np.float64)
    grid.flags.writeable = False
    return grid


#: The 81-point capacity grid, -9 ... 8.999999999999988 (spec §5.2).
GRID: NDArray[np.float64] = _build_grid()

#: Variance of the re-centred Gaussian prior (spec §4.2).
PRIOR_VARIANCE = 1.5

#: Sheppard's correction for the grid step, (9/80)² / 12 (spec §4.2).
SHEPPARD_CORRECTION = (9 / 80) ** 2 / 12


def p_correct(theta: ArrayLike, a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    r"""Probability of a correct response under the 2PL model (no scaling constant, no guessing).

    .. math:: P(\theta) = \frac{1}{1 + e^{a(b - \theta)}}

    Parameters
    ----------
    theta : array_like
        Capacity (ability), usually on the grid [-9, 9).
    a, b : array_like
        Discriminant (usually 0.5-2.5; negative values are allowed) and difficulty.

    Returns
    -------
    ndarray
        Probabilities in [0, 1]; ``exp`` overflow gives exactly 0, as in the reference.

    References
    ----------
    Birnbaum, A. (1968). In Lord & Novick, *Statistical Theories of Mental Test Scores*.
    Spec: shared/spec/engine.md §5.1.
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(np.multiply(a, np.subtract(b, theta))))


def information(
    theta: ArrayLike, a: ArrayLike, b: ArrayLike, a_squared: ArrayLike | None = None
) -> NDArray[np.float64]:
    r"""Fisher information of a 2PL item, the selection reward of spec §6.5.

    .. math:: I(\theta) = a^2 P(\theta) (1 - P(\theta))

    Computed from :func:`p_correct` exactly as the reference does, so items far from θ get a
    reward of exactly 0 (spec §14.3, item "fourth").

    References
    ----------
    Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*, ch. 5.
    """
    p = p_correct(theta, a, b)
    return np.multiply(np.square(a) if a_squared is None else a_squared, p * (1.0 - p))


def as_item_parameters(discriminants: ArrayLike, difficulties: ArrayLike) -> tuple[NDArray, NDArray]:
    """Return ``(a, b)`` as 1-D float64 arrays after checking shape and finiteness.

    Raises
    ------
    ItemParameterError
        The arrays are not 1-D, differ in length, or hold NaN or infinite values.
    """
    a = np.asarray(discriminants, dtype=np.float64)
    b = np.asarray(difficulties, dtype=np.float64)
    if a.ndim != 1 or b.ndim != 1:
        raise ItemParameterError(f"discriminants and difficulties must be 1-D, got shapes {a.shape} and {b.shape}")
    if a.shape != b.shape:
        raise ItemParameterError(f"{a.size} discriminants but {b.size} difficulties: one of each is needed per item")
    for name, values in (("discriminant", a), ("difficulty", b)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise ItemParameterError(f"{name} of item {int(bad[0])} is {values[bad[0]]}: parameters must be finite")
    return a, b
