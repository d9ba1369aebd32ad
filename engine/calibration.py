r"""Item calibration: 2PL marginal maximum likelihood by EM on a quadrature grid (Bock & Aitkin, 1981).

Model and data
--------------
The 2PL model of :mod:`engine.irt`, :math:`P_j(\theta) = 1 / (1 + e^{a_j (b_j - \theta)})`, no 1.7 constant.
Responses are a sparse list of ``(examinee, item, success)`` triples: an adaptive test gives each examinee
about 32 of several hundred items, and only the observed cells enter the likelihood. Adaptive selection
depends on the answers already given, so the missing cells are missing at random and can be ignored
(Rubin, 1976; Mislevy & Wu, 1996). A simulation that picks items from the *true* ability breaks this
(the choice of items then tells about the ability beyond the answers) and biases any marginal-likelihood
calibration; simulate a real adaptive test instead.

.. math::

    \log L = \sum_i \log \sum_k \pi_k \prod_{j \in J(i)} P_j(\theta_k)^{x_{ij}} (1 - P_j(\theta_k))^{1 - x_{ij}}

with :math:`\pi_k` a normal distribution discretised on an equally spaced grid (default 41 points on
[-6, 6]; the trapezoid rule is spectrally accurate for these smooth integrands).

EM cycle
--------
E-step
    Per examinee, the posterior weights :math:`w_{ik}` over the grid from that examinee's own responses,
    in log space; then the expected counts :math:`n_{jk} = \sum_{i \in I(j)} w_{ik}` and
    :math:`r_{jk} = \sum_{i \in I(j)} w_{ik} x_{ij}`. Both sums run over the response list only (one
    ``reduceat`` per grid point each), so a cycle costs O(responses · grid points).
M-step
    For every free item at once, maximise :math:`\sum_k r_{jk} \log P_{jk} + (n_{jk} - r_{jk}) \log(1 - P_{jk})`
    plus the log prior, in the slope-intercept form :math:`z = a\theta + c`, :math:`b = -c/a`. Newton steps
    use the Fisher information of this weighted logistic regression plus the Gauss-Newton curvature of
    the priors (positive definite, so every step is an ascent direction), with step halving so the
    objective never decreases: the EM objective is then non-decreasing (a GEM algorithm).
Priors (Mislevy, 1986; the defaults follow BILOG-MG's, Zimowski et al., 2003)
    :math:`\log a \sim N(0, 0.5^2)` and :math:`b \sim N(0, 2^2)`, as penalties on :math:`(\log a, b)`, so the
    estimate is the posterior mode in those coordinates and :math:`a > 0`. They keep estimates finite
    for items that everyone answers correctly and barely move well-measured items.
Population
    Without anchors the ability distribution is fixed (N(0, 1) by default), which identifies the scale.
    With anchors (items whose ``(a, b)`` is held fixed), its mean and variance are re-estimated in each
    M-step so the free items land on the anchors' scale: the discretised normal is an exponential family
    in :math:`(\theta, \theta^2)`, so the exact M-step matches its moments to the posterior moments.
Convergence
    EM cycles are extrapolated by SQUAREM (Varadhan & Roland, 2008; mirt offers the same), keeping an
    extrapolated point only when it raises the objective, so the objective still never decreases; this
    matters with few anchors, where plain EM crawls along the scale direction (hundreds of cycles).
    Converged when one plain EM cycle moves no free ``a``, ``b`` (nor the population mean and SD) by
    more than ``tolerance``; otherwise the cycle cap is hit, a warning is logged and ``converged`` is False.

After EM
--------
Standard errors
    From the per-item cross-product (XPD) information :math:`\sum_i s_{ij} s_{ij}^\top` of the
    examinees' marginal score vectors :math:`s_{ij} = E[(x_{ij} - P_j(\theta))(1, \theta) \mid x_i]`
    (Berndt et al., 1974; the "empirical" information of BILOG-MG; Paek & Cai, 2014), plus the prior
    curvature, inverted per item (block-diagonal) and carried to :math:`(a, b)` by the delta method.
Fit
    A Pearson :math:`X^2` of observed against expected successes in ability groups, in the spirit of
    Yen's :math:`Q_1` (1981) and Orlando & Thissen's S-X² (2000): each response is compared with its
    *leave-one-out* posterior-predictive probability :math:`\tilde\pi_{ij} = E[P_j(\theta) \mid x_{i,-j}]`,
    and the responses of an item are grouped (up to 10 equal groups of at least 15) by the
    leave-one-out EAP. Both leave the item's own answer out, so under the model each group's residual
    sum has mean 0 and variance :math:`\sum \tilde\pi (1 - \tilde\pi)`, and
    :math:`X^2_j = \sum_g (\sum_{i \in g} x_{ij} - \tilde\pi_{ij})^2 / \sum_{i \in g} \tilde\pi_{ij}
    (1 - \tilde\pi_{ij})` is approximately :math:`\chi^2` with G - 2 degrees of freedom for a free item
    and G for an anchor (anchor drift shows up here). Leave-one-out replaces the summed rest score of
    S-X², which adaptive tests do not have.

Items with fewer than ``min_responses`` responses are *provisional*: they keep their start values
(the prior modes when none are given), are flagged, and their responses are left out of the
estimation, since their parameters are not trusted.

This module is longer than the guide's 800 lines because it is one algorithm: the E-step layout
(:class:`_Design`), the M-step and the post-EM diagnostics share private arrays, and splitting them
would make that layout a cross-module interface.

References
----------
Berndt, E. K., Hall, B. H., Hall, R. E., & Hausman, J. A. (1974). Estimation and inference in nonlinear
structural models. *Annals of Economic and Social Measurement*, 3, 653-665.
Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item parameters: Application
of an EM algorithm. *Psychometrika*, 46, 443-459.
Linacre, J. M. (1994). PROX with missing data, or known item or person measures. *Rasch Measurement
Transactions*, 8(3), 378.
Mislevy, R. J. (1984). Estimating latent distributions. *Psychometrika*, 49, 359-381.
Mislevy, R. J. (1986). Bayes modal estimation in item response models. *Psychometrika*, 51, 177-195.
Mislevy, R. J., & Wu, P.-K. (1996). Missing responses and IRT ability estimation: omits, choice, time
limits, and adaptive testing. ETS Research Report RR-96-30.
Orlando, M., & Thissen, D. (2000). Likelihood-based item-fit indices for dichotomous item response theory
models. *Applied Psychological Measurement*, 24, 50-64.
Paek, I., & Cai, L. (2014). A comparison of item parameter standard error estimation procedures for
unidimensional and multidimensional item response theory modeling. *Educational and Psychological
Measurement*, 74, 58-76.
Rubin, D. B. (1976). Inference and missing data. *Biometrika*, 63, 581-592.
Varadhan, R., & Roland, C. (2008). Simple and globally convergent methods for accelerating the convergence
of any EM algorithm. *Scandinavian Journal of Statistics*, 35, 335-353.
Wright, B. D., & Stone, M. H. (1979). *Best Test Design*. MESA Press.
Yen, W. M. (1981). Using simulation results to choose a latent trait model. *Applied Psychological
Measurement*, 5, 245-262.
Zimowski, M., Muraki, E., Mislevy, R. J., & Bock, R. D. (2003). *BILOG-MG 3*. Scientific Software International.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.errors import EngineError

logger = logging.getLogger(__name__)

#: Ability groups of the fit statistic: at most this many, each with at least ``_FIT_GROUP_SIZE`` responses.
_FIT_GROUPS = 10
_FIT_GROUP_SIZE = 15
#: Newton iterations per M-step, step halvings per Newton iteration, largest SQUAREM step length.
_NEWTON_STEPS = 25
_HALVINGS = 20
_MAX_SQUAREM_STEP = 64.0


class CalibrationError(ValueError, EngineError):
    """Calibration input is invalid: mismatched lengths, bad indices or successes, duplicates, anchors."""


@dataclass(frozen=True, slots=True)
class CalibrationOptions:
    """Settings of :func:`calibrate`; the defaults suit adaptive data on a N(0, 1) scale.

    Parameters
    ----------
    min_responses : int
        Items with fewer responses stay provisional (start values kept, flagged). Default 50.
    quadrature_points, quadrature_bound : int, float
        The grid: ``quadrature_points`` equally spaced points on [-bound, bound]. Default 41 on [-6, 6].
    ability_mean, ability_sd : float
        The ability distribution N(mean, sd²): fixed without anchors, starting values with anchors.
    log_discriminant_mean, log_discriminant_sd : float
        Normal prior on log a. Default N(0, 0.5²): a in [0.37, 2.7] with 95 % prior probability.
    difficulty_mean, difficulty_sd : float
        Normal prior on b. Default N(0, 2²).
    tolerance : float
        Convergence when an EM cycle moves no free a, b (nor the population mean and SD) by more than
        this. Default 1e-4.
    max_iterations : int
        EM cycle cap. Default 500.
    accelerate : bool
        SQUAREM extrapolation between EM cycles (monotone; see :func:`_iterate`). Default True.
    """

    min_responses: int = 50
    quadrature_points: int = 41
    quadrature_bound: float = 6.0
    ability_mean: float = 0.0
    ability_sd: float = 1.0
    log_discriminant_mean: float = 0.0
    log_discriminant_sd: float = 0.5
    difficulty_mean: float = 0.0
    difficulty_sd: float = 2.0
    tolerance: float = 1e-4
    max_iterations: int = 500
    accelerate: bool = True

    def __post_init__(self) -> None:
        for name in ("min_responses", "quadrature_points", "max_iterations"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise CalibrationError(f"{name} must be an integer >= 0, got {value!r}")
        if self.quadrature_points < 5:
            raise CalibrationError(f"quadrature_points must be at least 5, got {self.quadrature_points}")
        for name in ("quadrature_bound", "ability_sd", "log_discriminant_sd", "difficulty_sd", "tolerance"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise CalibrationError(f"{name} must be finite and > 0, got {value!r}")
        for name in ("ability_mean", "log_discriminant_mean", "difficulty_mean"):
            if not math.isfinite(getattr(self, name)):
                raise CalibrationError(f"{name} must be finite, got {getattr(self, name)!r}")
        if not isinstance(self.accelerate, bool):
            raise CalibrationError(f"accelerate must be a bool, got {self.accelerate!r}")

    def grid(self) -> NDArray[np.float64]:
        """The quadrature points: ``quadrature_points`` equally spaced on [-bound, bound]."""
        return np.linspace(-self.quadrature_bound, self.quadrature_bound, self.quadrature_points)


@dataclass(frozen=True, slots=True)
class CalibrationResult:
    """Item parameters and diagnostics from :func:`calibrate`; every array is read-only.

    Attributes
    ----------
    discriminants, difficulties : ndarray, shape (n_items,)
        Estimated a and b; anchors keep their values, provisional items their start values.
    discriminant_se, difficulty_se : ndarray, shape (n_items,)
        Standard errors (XPD information plus prior curvature); NaN for anchored and provisional items.
    response_counts, success_counts : ndarray of int, shape (n_items,)
        Responses and successes per item, in the input.
    fit_statistic : ndarray, shape (n_items,)
        Leave-one-out grouped Pearson X² (module docstring); NaN for provisional items and for
        anchors with fewer than 3 groups.
    fit_df : ndarray of int, shape (n_items,)
        Its approximate degrees of freedom: groups - 2 for free items, groups for anchors, 0 where NaN.
    provisional, anchored : ndarray of bool, shape (n_items,)
        Items left at their start values for lack of responses; items held fixed.
    abilities, ability_se : ndarray, shape (n_examinees,)
        EAP and posterior SD of each examinee under the final parameters (the population mean and SD
        for an examinee whose only answers are to provisional items).
    ability_mean, ability_sd : float
        The ability distribution: the fixed one, or the estimated one with anchors.
    converged : bool
        Whether the tolerance was reached before ``max_iterations``.
    iterations : int
        EM cycles run (M-steps; SQUAREM extrapolations are not counted).
    log_likelihood : float
        Marginal log-likelihood of the responses used (provisional items' are left out) at the result.
    log_likelihood_trace, objective_trace : tuple of float
        Marginal log-likelihood and EM objective (log-likelihood plus the free items' log priors) at the
        start, after every EM cycle and at every accepted SQUAREM extrapolation, in order. The objective
        never decreases; the log-likelihood alone may, slightly, when a prior pulls an estimate.
    """

    discriminants: NDArray[np.float64]
    difficulties: NDArray[np.float64]
    discriminant_se: NDArray[np.float64]
    difficulty_se: NDArray[np.float64]
    response_counts: NDArray[np.int64]
    success_counts: NDArray[np.int64]
    fit_statistic: NDArray[np.float64]
    fit_df: NDArray[np.int64]
    provisional: NDArray[np.bool_]
    anchored: NDArray[np.bool_]
    abilities: NDArray[np.float64]
    ability_se: NDArray[np.float64]
    ability_mean: float
    ability_sd: float
    converged: bool
    iterations: int
    log_likelihood: float
    log_likelihood_trace: tuple[float, ...]
    objective_trace: tuple[float, ...]

    def __post_init__(self) -> None:
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False


@dataclass(frozen=True, slots=True)
class ResponseIndex:
    """The mapping from string ids to the indices :func:`calibrate` takes (see :func:`index_responses`)."""

    examinees: NDArray[np.intp]
    items: NDArray[np.intp]
    candidate_ids: tuple[str, ...]
    challenge_ids: tuple[str, ...]


# --------------------------------------------------------------------------------------------- input


def _as_index(values: ArrayLike, name: str) -> NDArray[np.int64]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise CalibrationError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(arr) | (arr != np.round(arr)))
        if bad.size == 0:
            return arr.astype(np.int64)
        raise CalibrationError(f"{name} at row {int(bad[0])} is {arr[bad[0]].item()!r}: indices must be integers")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    raise CalibrationError(f"{name} must hold integer indices, got dtype {arr.dtype}")


def _as_successes(values: ArrayLike) -> NDArray[np.bool_]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise CalibrationError(f"successes must be 1-D, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind not in "iuf":
        raise CalibrationError(f"successes must be bools or 0/1, got dtype {arr.dtype}")
    bad = np.flatnonzero((arr != 0) & (arr != 1))
    if bad.size:
        raise CalibrationError(f"success at row {int(bad[0])} is {arr[bad[0]].item()!r}: expected a bool or 0/1")
    return arr == 1


def _check_responses(
    examinees: ArrayLike, items: ArrayLike, successes: ArrayLike, n_items: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    if isinstance(n_items, bool) or not isinstance(n_items, (int, np.integer)) or n_items < 1:
        raise CalibrationError(f"n_items must be a positive integer, got {n_items!r}")
    e, j, x = _as_index(examinees, "examinee index"), _as_index(items, "item index"), _as_successes(successes)
    if not e.size == j.size == x.size:
        raise CalibrationError(
            f"{e.size} examinee indices, {j.size} item indices and {x.size} successes: one of each per response"
        )
    if e.size == 0:
        raise CalibrationError("no responses: there is nothing to calibrate")
    for name, arr in (("examinee index", e), ("item index", j)):
        bad = np.flatnonzero(arr < 0)
        if bad.size:
            raise CalibrationError(f"{name} at row {int(bad[0])} is {int(arr[bad[0]])}: indices must be >= 0")
    bad = np.flatnonzero(j >= n_items)
    if bad.size:
        raise CalibrationError(f"item index at row {int(bad[0])} is {int(j[bad[0]])} but n_items is {n_items}")
    key = e * n_items + j
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(key[order][1:] == key[order][:-1])
    if dup.size:
        first, second = int(order[dup[0]]), int(order[dup[0] + 1])
        raise CalibrationError(
            f"examinee {int(e[first])} answered item {int(j[first])} twice (rows {first} and {second}): "
            "keep one response per examinee and item"
        )
    return e, j, x


def _check_anchors(anchors: Mapping[int, tuple[float, float]] | None, n_items: int) -> dict[int, tuple[float, float]]:
    out: dict[int, tuple[float, float]] = {}
    for key, value in (anchors or {}).items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
            raise CalibrationError(f"anchor key {key!r} is not an item index")
        if not 0 <= key < n_items:
            raise CalibrationError(f"anchor for item {key} is out of range 0..{n_items - 1}")
        try:
            a, b = (float(v) for v in value)
        except (TypeError, ValueError) as exc:
            raise CalibrationError(f"anchor for item {key} must be a pair (a, b), got {value!r}") from exc
        if not (math.isfinite(a) and math.isfinite(b)):
            raise CalibrationError(f"anchor for item {key} has a non-finite parameter: a={a}, b={b}")
        out[int(key)] = (a, b)
    return out


def _check_start(values: ArrayLike | None, n_items: int, name: str, positive: bool) -> NDArray[np.float64] | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n_items,):
        raise CalibrationError(f"{name} must have shape ({n_items},), got {arr.shape}")
    bad = np.flatnonzero(np.isinf(arr) | ((arr <= 0) if positive else False))
    if bad.size:
        rule = "finite and > 0 (or NaN for none)" if positive else "finite (or NaN for none)"
        raise CalibrationError(f"{name} of item {int(bad[0])} is {arr[bad[0]].item()}: it must be {rule}")
    return arr


# --------------------------------------------------------------------------------------------- numerics


def _log_expit(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """log(1 / (1 + e^-z)) without overflow."""
    return -np.logaddexp(0.0, -z)


def _expit(z: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _log_normal_weights(grid: NDArray[np.float64], mean: float, sd: float) -> NDArray[np.float64]:
    log_w = -0.5 * np.square((grid - mean) / sd)
    return log_w - np.logaddexp.reduce(log_w)


@dataclass(frozen=True, slots=True)
class _Priors:
    log_a_mean: float
    log_a_sd: float
    b_mean: float
    b_sd: float

    def log_density(self, a: NDArray, c: NDArray) -> NDArray:
        """Penalty -(log a - m)²/2s² - (b - m)²/2s² per item, with b = -c/a (constants dropped)."""
        u = (np.log(a) - self.log_a_mean) / self.log_a_sd
        v = (-c / a - self.b_mean) / self.b_sd
        return -0.5 * (u * u + v * v)


def _item_objective(a: NDArray, c: NDArray, n: NDArray, r: NDArray, grid: NDArray, priors: _Priors) -> NDArray:
    r"""Expected complete-data log-likelihood plus log prior of each item, :math:`z = a\theta + c`."""
    z = a[:, None] * grid + c[:, None]
    # r log P + (n - r) log(1 - P), with log(1 - P) = log P - z.
    return (n * _log_expit(z) - (n - r) * z).sum(axis=1) + priors.log_density(a, c)


def _newton_direction(
    a: NDArray, c: NDArray, n: NDArray, r: NDArray, grid: NDArray, priors: _Priors
) -> tuple[NDArray, NDArray]:
    """Scoring step (dc, da): Fisher information of the weighted logistic fit + Gauss-Newton prior curvature."""
    p = _expit(a[:, None] * grid + c[:, None])
    resid = r - n * p
    w = n * p * (1.0 - p)
    g_c, g_a = resid.sum(axis=1), resid @ grid
    i_cc, i_ca, i_aa = w.sum(axis=1), w @ grid, w @ np.square(grid)
    # Priors in u = log a and v = b = -c/a: du = (0, 1/a), dv = (-1/a, c/a²) in (c, a).
    ku = (np.log(a) - priors.log_a_mean) / priors.log_a_sd**2
    kv = (-c / a - priors.b_mean) / priors.b_sd**2
    dv_c, dv_a = -1.0 / a, c / a**2
    g_c -= kv * dv_c
    g_a -= ku / a + kv * dv_a
    s_b = 1.0 / priors.b_sd**2
    i_cc += s_b * dv_c**2
    i_ca += s_b * dv_c * dv_a
    i_aa += 1.0 / (a**2 * priors.log_a_sd**2) + s_b * dv_a**2
    det = i_cc * i_aa - i_ca**2
    return (i_aa * g_c - i_ca * g_a) / det, (i_cc * g_a - i_ca * g_c) / det


def _m_step_items(
    a: NDArray, c: NDArray, n: NDArray, r: NDArray, grid: NDArray, priors: _Priors
) -> tuple[NDArray, NDArray]:
    """Maximise each item's objective; step halving keeps every item's objective from decreasing.

    An item drops out once its step is below 1e-8 or no halving of it improves the objective.
    """
    a, c = a.copy(), c.copy()
    f = _item_objective(a, c, n, r, grid, priors)
    active = np.ones(a.size, dtype=bool)
    for _ in range(_NEWTON_STEPS):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        dc, da = _newton_direction(a[idx], c[idx], n[idx], r[idx], grid, priors)
        big = np.isfinite(dc) & np.isfinite(da) & (np.maximum(np.abs(dc), np.abs(da)) > 1e-8)
        active[idx[~big]] = False
        idx, dc, da = idx[big], dc[big], da[big]
        step = 1.0
        for _ in range(_HALVINGS):
            if idx.size == 0:
                break
            ta, tc = a[idx] + step * da, c[idx] + step * dc
            tf = np.full(idx.size, -np.inf)
            ok = ta > 0
            tf[ok] = _item_objective(ta[ok], tc[ok], n[idx[ok]], r[idx[ok]], grid, priors)
            accept = tf >= f[idx]
            hit = idx[accept]
            a[hit], c[hit], f[hit] = ta[accept], tc[accept], tf[accept]
            idx, dc, da = idx[~accept], dc[~accept], da[~accept]
            step *= 0.5
        active[idx] = False  # no improving step: at the optimum up to rounding
    return a, c


def _m_step_population(counts: NDArray, grid: NDArray, mean: float, sd: float) -> tuple[float, float]:
    r"""Exact M-step of the discretised normal: match its moments to the posterior moments.

    :math:`\pi_k \propto e^{\eta_1 \theta_k + \eta_2 \theta_k^2}` is an exponential family, so
    :math:`\sum_k N_k \log \pi_k` is concave in :math:`\eta` and maximal where
    :math:`E_\pi[\theta^m] = \sum_k N_k \theta_k^m / N` (m = 1, 2); Newton from the current values.
    """
    stats = np.stack([grid, np.square(grid)])
    target = stats @ counts / counts.sum()
    eta = np.array([mean / sd**2, -0.5 / sd**2])

    def log_pi(e: NDArray) -> NDArray:
        t = e @ stats
        return t - np.logaddexp.reduce(t)

    value = counts @ log_pi(eta)
    for _ in range(50):
        pi = np.exp(log_pi(eta))
        moments = stats @ pi
        cov = (stats * pi) @ stats.T - np.outer(moments, moments)
        try:
            step = np.linalg.solve(cov, target - moments)
        except np.linalg.LinAlgError:  # a population squeezed onto one grid point: keep the last values
            break
        for _ in range(_HALVINGS):
            trial = eta + step
            trial_value = counts @ log_pi(trial) if trial[1] < 0 else -np.inf
            if trial_value >= value:
                break
            step = step * 0.5
        else:
            break
        eta, value = trial, trial_value
        if np.max(np.abs(step)) < 1e-12:
            break
    var = -0.5 / eta[1]
    return float(eta[0] * var), math.sqrt(var)


class _Design:
    """The responses used in estimation, laid out for the E-step's sums over the grid.

    Responses are sorted by examinee for the per-examinee likelihood (``reduceat`` over contiguous
    runs) and by item for the expected counts (``reduceat`` again). Only examinees with at least one
    response used are rows; ``examinees`` maps them back to the input's examinee index.
    """

    def __init__(self, e: NDArray, j: NDArray, x: NDArray, n_items: int) -> None:
        order = np.lexsort((j, e))
        e, j, x = e[order], j[order], x[order]
        new_row = np.r_[True, e[1:] != e[:-1]]
        self.examinees = e[new_row]
        self.row = np.cumsum(new_row) - 1
        self.row_starts = np.flatnonzero(new_row)
        self.item, self.success = j, x
        self.code = 2 * j + x
        by_code = np.argsort(self.code, kind="stable")
        self.code_rows = self.row[by_code]
        sorted_code = self.code[by_code]
        self.code_starts = np.flatnonzero(np.r_[True, sorted_code[1:] != sorted_code[:-1]])
        self.code_values = sorted_code[self.code_starts]
        self.n_codes = 2 * n_items

    def e_step(self, log_table: NDArray, log_prior: NDArray) -> tuple[NDArray, float]:
        """Posterior weights (grid × examinee rows) and the marginal log-likelihood."""
        k_count = log_prior.size
        post = np.empty((k_count, self.row_starts.size))
        for k in range(k_count):
            post[k] = np.add.reduceat(log_table[k].take(self.code), self.row_starts)
        post += log_prior[:, None]
        top = post.max(axis=0)
        post -= top
        np.exp(post, out=post)
        total = post.sum(axis=0)
        post /= total
        return post, float(np.sum(top + np.log(total)))

    def expected_counts(self, post: NDArray) -> tuple[NDArray, NDArray]:
        """``n`` and ``r`` (item × grid point): expected responses and successes per item and point."""
        counts = np.zeros((post.shape[0], self.n_codes))
        for k in range(post.shape[0]):
            counts[k, self.code_values] = np.add.reduceat(post[k].take(self.code_rows), self.code_starts)
        r = counts[:, 1::2].T
        return counts[:, 0::2].T + r, np.ascontiguousarray(r)


def _log_table(a: NDArray, b: NDArray, grid: NDArray) -> NDArray:
    """log(1 - P) and log P of every item at every grid point, as (grid × 2·items) with code 2j + x."""
    z = a * (grid[:, None] - b)
    table = np.empty((grid.size, 2 * a.size))
    table[:, 0::2] = _log_expit(-z)
    table[:, 1::2] = _log_expit(z)
    return table


# --------------------------------------------------------------------------------------------- after EM


def _per_response_moments(design: _Design, post: NDArray, a: NDArray, b: NDArray, grid: NDArray) -> dict:
    """Posterior sums each response needs: score for the XPD, leave-one-out prediction and EAP."""
    n = design.item.size
    acc = {name: np.zeros(n) for name in ("p", "p_theta", "loo_w", "loo_p", "loo_theta")}
    x, a_r, b_r = design.success, a[design.item], b[design.item]
    for k, theta in enumerate(grid):
        w = post[k].take(design.row)
        p = _expit(a_r * (theta - b_r))
        f = np.maximum(np.where(x, p, 1.0 - p), 1e-300)
        loo = w / f
        acc["p"] += w * p
        acc["p_theta"] += w * p * theta
        acc["loo_w"] += loo
        acc["loo_p"] += loo * p
        acc["loo_theta"] += loo * theta
    return acc


def _standard_errors(
    design: _Design, moments: dict, eap: NDArray, a: NDArray, b: NDArray, free: NDArray, priors: _Priors
) -> tuple[NDArray, NDArray]:
    """XPD + prior curvature per free item, inverted per item, delta method from (c, a) to (a, b)."""
    j, x = design.item, design.success.astype(np.float64)
    s_c = x - moments["p"]
    s_a = x * eap[design.row] - moments["p_theta"]
    fa, fb = a[free], b[free]
    i_cc, i_ca, i_aa = (np.bincount(j, s, a.size)[free] for s in (s_c * s_c, s_c * s_a, s_a * s_a))
    dv_c, dv_a = -1.0 / fa, -fb / fa  # db/dc and db/da at c = -ab
    s_b = 1.0 / priors.b_sd**2
    i_cc += s_b * dv_c**2
    i_ca += s_b * dv_c * dv_a
    i_aa += 1.0 / (fa**2 * priors.log_a_sd**2) + s_b * dv_a**2
    det = i_cc * i_aa - i_ca**2
    v_cc, v_ca, v_aa = i_aa / det, -i_ca / det, i_cc / det
    se_a, se_b = np.full(a.size, np.nan), np.full(a.size, np.nan)
    se_a[free] = np.sqrt(v_aa)
    se_b[free] = np.sqrt(dv_c**2 * v_cc + 2 * dv_c * dv_a * v_ca + dv_a**2 * v_aa)
    return se_a, se_b


def _fit(design: _Design, moments: dict, n_items: int, free: NDArray) -> tuple[NDArray, NDArray]:
    """Leave-one-out grouped Pearson X² per item and its degrees of freedom (module docstring)."""
    j = design.item
    loo_p = moments["loo_p"] / moments["loo_w"]
    loo_theta = moments["loo_theta"] / moments["loo_w"]
    counts = np.bincount(j, minlength=n_items)
    groups = np.minimum(_FIT_GROUPS, counts // _FIT_GROUP_SIZE)
    order = np.lexsort((loo_theta, j))
    js = j[order]
    rank = np.arange(js.size) - (np.cumsum(counts) - counts)[js]
    group = rank * groups[js] // np.maximum(counts[js], 1)
    key = js * _FIT_GROUPS + group
    resid = np.bincount(key, (design.success - loo_p)[order], n_items * _FIT_GROUPS)
    var = np.bincount(key, (loo_p * (1.0 - loo_p))[order], n_items * _FIT_GROUPS)
    terms = np.divide(np.square(resid), var, out=np.zeros_like(var), where=var > 0)
    stat = terms.reshape(n_items, _FIT_GROUPS).sum(axis=1)
    df = np.where(free, groups - 2, groups)
    valid = (groups >= 3) & (counts > 0)
    return np.where(valid, stat, np.nan), np.where(valid, df, 0).astype(np.int64)


# --------------------------------------------------------------------------------------------- start


def _start_difficulties(design: _Design, n_items: int, mean: float, sd: float) -> NDArray[np.float64]:
    r"""PROX start for b, which works on incomplete, adaptive data (Wright & Stone, 1979; Linacre, 1994).

    Alternates :math:`\theta_i = \bar b_{J(i)} + \sqrt{1 + s^2_{b,i}/2.89}\,\operatorname{logit} p_i` and
    :math:`b_j = \bar\theta_{I(j)} - \sqrt{1 + s^2_{\theta,j}/2.89}\,\operatorname{logit} p_j` (means and
    variances over the items an examinee took, the examinees who took an item), standardising the abilities
    to N(mean, sd²) each time. Adaptive data have p ≈ 0.5 everywhere: the takers' mean ability, not the
    p-value, then carries the item's location.
    """
    j, row, x = design.item, design.row, design.success.astype(np.float64)
    n_rows = design.row_starts.size
    per_row = np.bincount(row, minlength=n_rows)
    per_item = np.maximum(np.bincount(j, minlength=n_items), 1)
    p_row = (np.bincount(row, x, n_rows) + 0.5) / (per_row + 1.0)
    p_item = (np.bincount(j, x, n_items) + 0.5) / (per_item + 1.0)
    logit_row, logit_item = np.log(p_row / (1 - p_row)), np.log(p_item / (1 - p_item))

    def mean_var(index: NDArray, values: NDArray, size: int, count: NDArray) -> tuple[NDArray, NDArray]:
        m = np.bincount(index, values, size) / count
        return m, np.maximum(np.bincount(index, values * values, size) / count - m * m, 0.0)

    b = -logit_item * math.sqrt(1 + 1 / 2.89)
    for _ in range(50):
        b_mean, b_var = mean_var(row, b[j], n_rows, per_row)
        theta = b_mean + np.sqrt(1 + b_var / 2.89) * logit_row
        theta = (theta - theta.mean()) / max(float(theta.std()), 1e-6)
        t_mean, t_var = mean_var(j, theta[row], n_items, per_item)
        new_b = t_mean - np.sqrt(1 + t_var / 2.89) * logit_item
        done = float(np.max(np.abs(new_b - b))) < 1e-3
        b = new_b
        if done:
            break
    return mean + sd * b


# --------------------------------------------------------------------------------------------- API


@dataclass(frozen=True, slots=True)
class _Items:
    """Per-item counts and roles, fixed before EM."""

    response_counts: NDArray[np.int64]
    success_counts: NDArray[np.int64]
    anchored: NDArray[np.bool_]
    provisional: NDArray[np.bool_]

    @property
    def free(self) -> NDArray[np.bool_]:
        return ~self.anchored & ~self.provisional


def calibrate(
    examinees: ArrayLike,
    items: ArrayLike,
    successes: ArrayLike,
    n_items: int,
    *,
    anchors: Mapping[int, tuple[float, float]] | None = None,
    start_discriminants: ArrayLike | None = None,
    start_difficulties: ArrayLike | None = None,
    options: CalibrationOptions | None = None,
) -> CalibrationResult:
    r"""Calibrate 2PL items from sparse responses by marginal maximum likelihood (EM, Bock & Aitkin 1981).

    Parameters
    ----------
    examinees, items : array_like of int, shape (n_responses,)
        Examinee index (0 .. n_examinees - 1) and item index (0 .. n_items - 1) of each response.
    successes : array_like of bool or 0/1, shape (n_responses,)
        True for a correct response.
    n_items : int
        Number of items; items without enough responses are provisional.
    anchors : mapping of int to (a, b), optional
        Items held fixed at known parameters. With anchors, the ability distribution's mean and SD are
        estimated and the free items come out on the anchors' scale; without, it stays N(mean, sd²) of
        ``options`` (N(0, 1) by default), which fixes the scale.
    start_discriminants, start_difficulties : array_like, shape (n_items,), optional
        Starting values, e.g. the bank's current parameters; provisional items keep them. NaN (or no
        array) means no start value: then a = exp(prior mean of log a) = 1, and b comes from a PROX
        start for estimated items and is the prior mean for provisional ones.
    options : CalibrationOptions, optional
        Grid, priors, population, tolerance, iteration cap, ``min_responses``.

    Returns
    -------
    CalibrationResult
        Parameters, standard errors, counts, fit, flags, abilities and the EM traces.

    Raises
    ------
    CalibrationError
        Mismatched lengths, negative or out-of-range indices, non-binary successes, a duplicate
        (examinee, item) pair, no responses, anchors out of range or non-finite, infinite or
        non-positive start values, or anchors none of which has a response (the scale cannot be linked).
    """
    opts = options if options is not None else CalibrationOptions()
    e, j, x = _check_responses(examinees, items, successes, n_items)
    anchor_map = _check_anchors(anchors, n_items)
    a_start = _check_start(start_discriminants, n_items, "start_discriminants", positive=True)
    b_start = _check_start(start_difficulties, n_items, "start_difficulties", positive=False)
    priors = _Priors(opts.log_discriminant_mean, opts.log_discriminant_sd, opts.difficulty_mean, opts.difficulty_sd)

    response_counts = np.bincount(j, minlength=n_items).astype(np.int64)
    anchored = np.zeros(n_items, dtype=bool)
    anchored[list(anchor_map)] = True
    item_set = _Items(
        response_counts=response_counts,
        success_counts=np.bincount(j, x, n_items).astype(np.int64),
        anchored=anchored,
        provisional=(response_counts < opts.min_responses) & ~anchored,
    )
    if anchor_map and not response_counts[anchored].any():
        raise CalibrationError(f"none of the {len(anchor_map)} anchor items has a response: the scale cannot be linked")
    used = ~item_set.provisional[j]
    design = _Design(e[used], j[used], x[used], n_items) if used.any() else None
    a, b = _initial_parameters(design, item_set, anchor_map, a_start, b_start, opts)
    n_examinees = int(e.max()) + 1
    if design is None:
        logger.warning(
            "no item has enough responses to calibrate",
            extra={"event": "calibration_no_free_items", "min_responses": opts.min_responses},
        )
        return _unestimated_result(a, b, item_set, n_examinees, opts)
    return _run_em(design, a, b, item_set, priors, opts, n_examinees)


def _initial_parameters(
    design: _Design | None,
    item_set: _Items,
    anchor_map: Mapping[int, tuple[float, float]],
    a_start: NDArray | None,
    b_start: NDArray | None,
    opts: CalibrationOptions,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Start values: given ones, else the prior modes, PROX for the b of estimated items; anchors last."""
    n_items = item_set.anchored.size
    a = np.full(n_items, math.exp(opts.log_discriminant_mean))
    b = np.full(n_items, opts.difficulty_mean)
    need_prox = item_set.free & (np.isnan(b_start) if b_start is not None else True)
    if design is not None and need_prox.any():
        b[need_prox] = _start_difficulties(design, n_items, opts.ability_mean, opts.ability_sd)[need_prox]
    for start, values in ((a_start, a), (b_start, b)):
        if start is not None:
            given = ~np.isnan(start)
            values[given] = start[given]
    for item, (a_anchor, b_anchor) in anchor_map.items():
        a[item], b[item] = a_anchor, b_anchor
    return a, b


@dataclass(frozen=True, slots=True)
class _Point:
    """A parameter point and its E-step: x = (log a, b of the free items[, mean, log sd])."""

    x: NDArray[np.float64]
    post: NDArray[np.float64]
    log_likelihood: float
    objective: float


class _EmProblem:
    """The EM map and its evaluation, on the packed free parameters (see :class:`_Point`)."""

    def __init__(
        self, design: _Design, a: NDArray, b: NDArray, item_set: _Items, priors: _Priors, opts: CalibrationOptions
    ) -> None:
        self.design, self.priors = design, priors
        self.grid = opts.grid()
        self.free = item_set.free
        self.n_free = int(self.free.sum())
        self.estimate_population = bool(item_set.anchored.any())
        self.fixed_mean, self.fixed_sd = opts.ability_mean, opts.ability_sd
        self.a, self.b = a.copy(), b.copy()  # anchored and provisional entries never change

    def pack(self, a_free: NDArray, b_free: NDArray, mean: float, sd: float) -> NDArray:
        """``x`` from the free items' a and b and the population."""
        tail = [mean, math.log(sd)] if self.estimate_population else []
        return np.concatenate([np.log(a_free), b_free, tail])

    def unpack(self, x: NDArray) -> tuple[NDArray, NDArray, float, float]:
        """The free items' a and b and the population at ``x``."""
        k = self.n_free
        if self.estimate_population:
            return np.exp(x[:k]), x[k : 2 * k], float(x[2 * k]), math.exp(x[2 * k + 1])
        return np.exp(x[:k]), x[k : 2 * k], self.fixed_mean, self.fixed_sd

    def parameters(self, x: NDArray) -> tuple[NDArray, NDArray, float, float]:
        """All items' a and b and the population at ``x``."""
        a_free, b_free, mean, sd = self.unpack(x)
        a, b = self.a.copy(), self.b.copy()
        a[self.free], b[self.free] = a_free, b_free
        return a, b, mean, sd

    def evaluate(self, x: NDArray) -> _Point:
        """E-step at ``x``: posterior weights, marginal log-likelihood and EM objective."""
        a, b, mean, sd = self.parameters(x)
        post, ll = self.design.e_step(_log_table(a, b, self.grid), _log_normal_weights(self.grid, mean, sd))
        a_free, b_free = a[self.free], b[self.free]
        return _Point(x, post, ll, ll + float(self.priors.log_density(a_free, -a_free * b_free).sum()))

    def em_map(self, point: _Point) -> NDArray:
        """One M-step from ``point``'s posterior, starting the Newton iterations at ``point``."""
        a_free, b_free, mean, sd = self.unpack(point.x)
        n, r = self.design.expected_counts(point.post)
        new_a, new_c = _m_step_items(a_free, -a_free * b_free, n[self.free], r[self.free], self.grid, self.priors)
        if self.estimate_population:
            mean, sd = _m_step_population(point.post.sum(axis=1), self.grid, mean, sd)
        return self.pack(new_a, -new_c / new_a, mean, sd)

    def change(self, old: NDArray, new: NDArray) -> float:
        """Largest change of a free a or b, or of the population mean or SD."""
        k = self.n_free
        steps = [np.abs(np.exp(new[:k]) - np.exp(old[:k])), np.abs(new[k : 2 * k] - old[k : 2 * k])]
        if self.estimate_population:
            steps.append(np.abs([new[2 * k] - old[2 * k], math.exp(new[2 * k + 1]) - math.exp(old[2 * k + 1])]))
        return float(max(np.max(step, initial=0.0) for step in steps))


def _iterate(problem: _EmProblem, start: _Point, opts: CalibrationOptions) -> tuple[_Point, list[_Point], int, bool]:
    r"""EM cycles from ``start``, accelerated by SQUAREM unless ``opts.accelerate`` is False.

    SQUAREM (scheme S3 of Varadhan & Roland, 2008): after two EM steps :math:`x_1, x_2` from
    :math:`x_0`, with :math:`r = x_1 - x_0` and :math:`v = x_2 - 2x_1 + x_0`, try
    :math:`x' = x_0 - 2\alpha r + \alpha^2 v` with
    :math:`\alpha = -\min(\max(\lVert r\rVert / \lVert v\rVert, 1), 64)`, and keep it only if its
    objective is at least that of :math:`x_2`; the objective then never decreases. Convergence is
    judged on plain EM steps only.

    Returns
    -------
    (final point, every accepted point in order, EM cycles, converged)
    """
    point, trace, cycles = start, [start], 0

    def em_step(p: _Point) -> _Point:
        nonlocal cycles
        cycles += 1
        new = problem.evaluate(problem.em_map(p))
        trace.append(new)
        return new

    while cycles < opts.max_iterations:
        x0 = point.x
        p1 = em_step(point)
        if problem.change(x0, p1.x) < opts.tolerance:
            return p1, trace, cycles, True
        point = p1
        if not opts.accelerate or cycles >= opts.max_iterations:
            continue
        p2 = em_step(p1)
        if problem.change(p1.x, p2.x) < opts.tolerance:
            return p2, trace, cycles, True
        point = p2
        r, v = p1.x - x0, p2.x - 2.0 * p1.x + x0
        norm_v = float(np.linalg.norm(v))
        alpha = -min(max(float(np.linalg.norm(r)) / norm_v, 1.0), _MAX_SQUAREM_STEP) if norm_v > 0 else -1.0
        if alpha < -1.0:
            # A wild extrapolation may overflow; it then scores NaN or -inf and is dropped.
            with np.errstate(all="ignore"):
                trial = problem.evaluate(x0 - 2.0 * alpha * r + alpha**2 * v)
            if trial.objective >= p2.objective:  # False for NaN too
                point = trial
                trace.append(trial)
    return point, trace, cycles, False


def _run_em(
    design: _Design,
    a: NDArray,
    b: NDArray,
    item_set: _Items,
    priors: _Priors,
    opts: CalibrationOptions,
    n_examinees: int,
) -> CalibrationResult:
    """The EM loop, then abilities, standard errors and fit at the final parameters."""
    problem = _EmProblem(design, a, b, item_set, priors, opts)
    free = item_set.free
    start = problem.evaluate(problem.pack(a[free], b[free], opts.ability_mean, opts.ability_sd))
    final, trace, cycles, converged = _iterate(problem, start, opts)
    if converged:
        logger.info("calibration converged after %d EM cycles (log-likelihood %.3f)", cycles, final.log_likelihood)
    else:
        logger.warning(
            "calibration did not converge after %d EM cycles",
            cycles,
            extra={"event": "calibration_not_converged", "iterations": cycles, "tolerance": opts.tolerance},
        )
    a, b, mean, sd = problem.parameters(final.x)
    grid, post = problem.grid, final.post
    eap = grid @ post
    moments = _per_response_moments(design, post, a, b, grid)
    se_a, se_b = _standard_errors(design, moments, eap, a, b, free, priors)
    fit, fit_df = _fit(design, moments, a.size, free)
    abilities, ability_se = _population_abilities(grid, mean, sd, n_examinees)
    abilities[design.examinees] = eap
    ability_se[design.examinees] = np.sqrt(np.maximum(np.square(grid) @ post - np.square(eap), 0.0))
    return CalibrationResult(
        discriminants=a,
        difficulties=b,
        discriminant_se=se_a,
        difficulty_se=se_b,
        response_counts=item_set.response_counts,
        success_counts=item_set.success_counts,
        fit_statistic=fit,
        fit_df=fit_df,
        provisional=item_set.provisional,
        anchored=item_set.anchored,
        abilities=abilities,
        ability_se=ability_se,
        ability_mean=mean,
        ability_sd=sd,
        converged=converged,
        iterations=cycles,
        log_likelihood=final.log_likelihood,
        log_likelihood_trace=tuple(p.log_likelihood for p in trace),
        objective_trace=tuple(p.objective for p in trace),
    )


def _population_abilities(grid: NDArray, mean: float, sd: float, n_examinees: int) -> tuple[NDArray, NDArray]:
    """Mean and SD of the discretised population, one copy per examinee (for those without data)."""
    weights = np.exp(_log_normal_weights(grid, mean, sd))
    centre = float(grid @ weights)
    spread = math.sqrt(float(np.square(grid - centre) @ weights))
    return np.full(n_examinees, centre), np.full(n_examinees, spread)


def _unestimated_result(
    a: NDArray, b: NDArray, item_set: _Items, n_examinees: int, opts: CalibrationOptions
) -> CalibrationResult:
    """Every item provisional: start values, no estimation, the population as every ability."""
    abilities, ability_se = _population_abilities(opts.grid(), opts.ability_mean, opts.ability_sd, n_examinees)
    return CalibrationResult(
        discriminants=a,
        difficulties=b,
        discriminant_se=np.full(a.size, np.nan),
        difficulty_se=np.full(a.size, np.nan),
        response_counts=item_set.response_counts,
        success_counts=item_set.success_counts,
        fit_statistic=np.full(a.size, np.nan),
        fit_df=np.zeros(a.size, dtype=np.int64),
        provisional=item_set.provisional,
        anchored=item_set.anchored,
        abilities=abilities,
        ability_se=ability_se,
        ability_mean=opts.ability_mean,
        ability_sd=opts.ability_sd,
        converged=True,
        iterations=0,
        log_likelihood=0.0,
        log_likelihood_trace=(0.0,),
        objective_trace=(0.0,),
    )


def index_responses(
    candidate_ids: Sequence[str], challenge_ids: Sequence[str], *, challenges: Sequence[str] | None = None
) -> ResponseIndex:
    """Map string ids to the 0-based indices :func:`calibrate` takes.

    Parameters
    ----------
    candidate_ids, challenge_ids : sequence of str
        One candidate id and one challenge id per response. Candidates are numbered in sorted order.
    challenges : sequence of str, optional
        The full list of challenge ids (e.g. the bank's), fixing item order and including challenges
        nobody answered; default: the distinct ``challenge_ids`` in sorted order.

    Raises
    ------
    CalibrationError
        Mismatched lengths, a repeated id in ``challenges``, or an answered challenge missing from it.
    """
    if len(candidate_ids) != len(challenge_ids):
        raise CalibrationError(f"{len(candidate_ids)} candidate ids but {len(challenge_ids)} challenge ids")
    candidates = tuple(sorted(set(candidate_ids)))
    order = tuple(sorted(set(challenge_ids))) if challenges is None else tuple(challenges)
    challenge_index: dict[str, int] = {}
    for position, challenge in enumerate(order):
        if challenge in challenge_index:
            raise CalibrationError(f"challenge {challenge!r} is listed twice in challenges")
        challenge_index[challenge] = position
    for row, challenge in enumerate(challenge_ids):
        if challenge not in challenge_index:
            raise CalibrationError(f"challenge {challenge!r} (response {row}) is not in challenges")
    candidate_index = {c: i for i, c in enumerate(candidates)}
    return ResponseIndex(
        examinees=np.array([candidate_index[c] for c in candidate_ids], dtype=np.intp),
        items=np.array([challenge_index[c] for c in challenge_ids], dtype=np.intp),
        candidate_ids=candidates,
        challenge_ids=order,
    )


def calibrate_by_id(
    candidate_ids: Sequence[str],
    challenge_ids: Sequence[str],
    successes: ArrayLike,
    *,
    challenges: Sequence[str] | None = None,
    anchors: Mapping[str, tuple[float, float]] | None = None,
    start: Mapping[str, tuple[float, float]] | None = None,
    options: CalibrationOptions | None = None,
) -> tuple[CalibrationResult, ResponseIndex]:
    """:func:`calibrate` with string candidate and challenge ids.

    Parameters
    ----------
    candidate_ids, challenge_ids, successes : sequences, one entry per response
        As in :func:`index_responses`; successes as in :func:`calibrate`.
    challenges : sequence of str, optional
        Full challenge list and order (see :func:`index_responses`).
    anchors : mapping of challenge id to (a, b), optional
        Challenges held fixed.
    start : mapping of challenge id to (a, b), optional
        Starting values, e.g. the bank's current ones; unlisted challenges get the defaults of :func:`calibrate`.

    Returns
    -------
    (CalibrationResult, ResponseIndex)
        The result, whose arrays follow ``ResponseIndex.challenge_ids`` and ``candidate_ids``.

    Raises
    ------
    CalibrationError
        As :func:`index_responses` and :func:`calibrate`, or an anchor or start id that is not a challenge.
    """
    index = index_responses(candidate_ids, challenge_ids, challenges=challenges)
    position = {c: i for i, c in enumerate(index.challenge_ids)}
    for name, mapping in (("anchor", anchors), ("start", start)):
        unknown = next((key for key in mapping or {} if key not in position), None)
        if unknown is not None:
            raise CalibrationError(f"{name} challenge {unknown!r} is not among the challenges")
    start_a = start_b = None
    if start:
        start_a = np.full(len(index.challenge_ids), np.nan)
        start_b = start_a.copy()
        for key, (a, b) in start.items():
            start_a[position[key]], start_b[position[key]] = a, b
    result = calibrate(
        index.examinees,
        index.items,
        successes,
        len(index.challenge_ids),
        anchors={position[key]: value for key, value in (anchors or {}).items()},
        start_discriminants=start_a,
        start_difficulties=start_b,
        options=options,
    )
    return result, index
