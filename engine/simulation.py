"""Vectorised simulation of the adaptive test (all examinees advance in lock-step).

:func:`simulate` runs the full rule chain of spec §6 (one question per tube or skill, passage by
all competences, competence spacing, accessibility filter, top-5 ranking, binary-tree pick) and
the estimator of §5 for N simulated examinees at once, in chunks that fit the CPU cache. It
computes the same numbers as :class:`engine.selection.CourseState` does for one course; the
test suite checks that one against the other.

Common random numbers: the response of examinee *i* to challenge *j* is decided by one uniform
``U[i, j]`` and the pick at each question by its own uniforms, both drawn from streams derived
from the seed and the examinee's index only. Two runs with the same seed and examinees (say the
rule chain against max-information) therefore differ only by their design.

:func:`report` turns a :class:`SimulationResult` into the figures of the issue: accuracy (RMSE,
bias, conditional bias and SE by level band, level accuracy, pix-score RMSE), calibration of the
reported error rate, and exposure (max exposure, unused items, overlap, missing competences).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.bank import Pool
from engine.config import COMPETENCE_CODES, EngineConfig
from engine.errors import ItemParameterError
from engine.irt import GRID, PRIOR_VARIANCE, SHEPPARD_CORRECTION, information, p_correct
from engine.scoring import score_and_mesh
from engine.selection import TOP_N

#: Examinees simulated together; keeps the (examinees × items) work arrays in cache.
DEFAULT_CHUNK = 256

#: Reward given to blocked items, and the threshold below which a reward means "no candidate".
_BLOCKED = -1e300
_VALID = -1e299

ProgressCallback = Callable[[int, int], None]


class Design(StrEnum):
    """What the simulated test does at each question."""

    RULES = "rules"  # the spec's rule chain, top-5 and binary-tree pick
    MAX_INFO = "max_info"  # unconstrained: the single most informative unused challenge


@dataclass(frozen=True)
class SimulationResult:
    """Raw outcome of a simulation run.

    ``administered[i, k]`` is the pool position of examinee *i*'s question *k*, −1 where the
    test stopped early because the pool ran out.
    """

    true_theta: NDArray[np.float64]
    theta: NDArray[np.float64]
    error_rate: NDArray[np.float64]
    administered: NDArray[np.intp]
    successes: NDArray[np.bool_]
    bank_size: int


def _vector_flash_step(
    likelihood: NDArray, capacity: NDArray, factor: NDArray, variation: float | None
) -> tuple[NDArray, NDArray]:
    """One answer of the §5.3 estimator for every row; same operations as FlashState."""
    prior = np.exp(-np.square(GRID[None, :] - capacity[:, None]) / (2.0 * PRIOR_VARIANCE))
    prior /= prior.sum(axis=1, keepdims=True)
    likelihood *= factor
    posterior = likelihood * prior
    posterior /= posterior.sum(axis=1, keepdims=True)
    raw = posterior @ GRID
    if variation:
        gap = np.where((-variation < capacity) & (capacity < variation), variation, np.abs(capacity * variation))
        raw = np.where(raw > capacity, np.minimum(raw, capacity + gap), np.maximum(raw, capacity - gap))
    variance = np.einsum("ij,ij->i", np.square(GRID[None, :] - raw[:, None]), posterior) - SHEPPARD_CORRECTION
    return raw, np.sqrt(np.maximum(variance, 0.0))


class _Chunk:
    """Lock-step state of a block of examinees."""

    def __init__(self, sim: _Simulator, true_theta: NDArray, streams: list[np.random.Generator]) -> None:
        n, pool, cfg = true_theta.size, sim.pool, sim.config
        self.sim = sim
        self.true_theta = true_theta
        self.uniforms = np.stack([s.random(len(pool)) for s in streams])
        self.pick_uniforms = np.stack([s.random((cfg.maximum_assessment_length, TOP_N - 1)) for s in streams])
        self.likelihood = np.ones((n, GRID.size))
        self.capacity = np.full(n, sim.start, dtype=np.float64)
        self.error_rate = np.full(n, 5.0)
        self.unavailable = np.tile(~sim.base_mask, (n, 1))
        self.buffer = np.empty((n, len(pool)))
        self.scratch = np.empty((n, len(pool)))
        self.blocked = np.empty((n, len(pool)), dtype=bool)
        self.competence_available = np.tile(sim.competence_size, (n, 1))
        self.competence_answered = np.zeros((n, len(COMPETENCE_CODES)), dtype=bool)
        self.recent = np.full((n, max(cfg.spacing, 1)), -1, dtype=np.intp)
        self.administered = np.full((n, cfg.maximum_assessment_length), -1, dtype=np.intp)
        self.successes = np.zeros((n, cfg.maximum_assessment_length), dtype=bool)
        self.active = np.ones(n, dtype=bool)

    def allowed_competences(self) -> NDArray[np.bool_]:
        allowed = self.competence_available > 0
        self.active &= allowed.any(axis=1)
        if self.sim.design is Design.MAX_INFO:
            return allowed
        cfg = self.sim.config
        if cfg.enable_passage_by_all_competences:
            fresh = allowed & ~self.competence_answered
            allowed = np.where(fresh.any(axis=1, keepdims=True), fresh, allowed)
        if cfg.spacing:
            recent = np.zeros_like(allowed)
            rows = np.repeat(np.arange(allowed.shape[0]), self.recent.shape[1])
            cols = self.recent.ravel()
            keep = cols >= 0
            recent[rows[keep], cols[keep]] = True
            spaced = allowed & ~recent
            allowed = np.where(spaced.any(axis=1, keepdims=True), spaced, allowed)
        return allowed

    def pick_rank(self, step: int) -> NDArray[np.intp]:
        """Rank chosen by the binary tree before capping at the number of candidates (§6.6)."""
        if self.sim.design is Design.MAX_INFO or self.sim.config.probability_to_pick_challenge >= 100:
            return np.zeros(self.true_theta.size, dtype=np.intp)
        hits = self.pick_uniforms[:, step, :] * 100 < self.sim.config.probability_to_pick_challenge
        return np.where(hits.any(axis=1), hits.argmax(axis=1), TOP_N - 1)

    def rewards(self) -> NDArray[np.float64]:
        """Information of every item at every row's capacity, in a reused buffer.

        The same operations, in the same order, as :func:`engine.irt.information`.
        """
        pool, buf, tmp = self.sim.pool, self.buffer, self.scratch
        np.subtract(pool.b[None, :], self.capacity[:, None], out=buf)
        np.multiply(buf, pool.a, out=buf)
        with np.errstate(over="ignore"):
            np.exp(buf, out=buf)
        np.add(buf, 1.0, out=buf)
        np.reciprocal(buf, out=buf)
        np.subtract(1.0, buf, out=tmp)
        np.multiply(buf, tmp, out=buf)
        np.multiply(buf, pool.a_squared, out=buf)
        return buf

    def step(self, k: int) -> None:
        pool = self.sim.pool
        refused = ~(self.allowed_competences() & self.active[:, None])
        blocked = np.take(refused, pool.competence_index, axis=1, out=self.blocked)
        blocked |= self.unavailable
        rewards = self.rewards()
        # Branch-free masking: a blocked item's reward becomes -1e300, below every real reward
        # (rewards are >= 0); a masked copy (copyto/where) is several times slower here.
        np.add(rewards, np.multiply(blocked, _BLOCKED, out=self.scratch), out=rewards)
        rank = self.pick_rank(k)
        rows = np.arange(rewards.shape[0])
        chosen = rewards.argmax(axis=1)
        has_any = rewards[rows, chosen] > _VALID
        best = chosen
        for r in range(1, int(rank.max()) + 1):
            rewards[rows, best] = -np.inf
            best = rewards.argmax(axis=1)
            # Fewer than r + 1 candidates: the tree's last leaf is the last candidate (§6.6).
            take = (rank >= r) & (rewards[rows, best] > _VALID)
            chosen = np.where(take, best, chosen)
        self.active &= has_any
        if self.active.any():
            self.answer(np.flatnonzero(self.active), chosen[self.active], k)

    def answer(self, rows: NDArray[np.intp], chosen: NDArray[np.intp], k: int) -> None:
        sim, pool = self.sim, self.sim.pool
        success = self.uniforms[rows, chosen] < p_correct(self.true_theta[rows], pool.a[chosen], pool.b[chosen])
        factor = sim.factors[chosen + len(pool) * ~success]
        everyone = rows.size == self.true_theta.size
        likelihood = self.likelihood if everyone else self.likelihood[rows]
        capacity, error_rate = _vector_flash_step(likelihood, self.capacity[rows], factor, sim.variation)
        if not everyone:
            self.likelihood[rows] = likelihood
        self.capacity[rows] = capacity
        self.error_rate[rows] = error_rate
        group = sim.group_of_item[chosen]
        competence = pool.competence_index[chosen]
        members = sim.group_members[group]
        self.unavailable[np.repeat(rows, members.shape[1]), members.ravel()] = True
        self.competence_available[rows, competence] -= sim.group_size[group]
        self.competence_answered[rows, competence] = True
        self.recent[rows] = np.roll(self.recent[rows], -1, axis=1)
        self.recent[rows, -1] = competence
        self.administered[rows, k] = chosen
        self.successes[rows, k] = success


class _Simulator:
    def __init__(
        self, pool: Pool, config: EngineConfig, design: Design, accessibility: bool, start: float | None
    ) -> None:
        self.pool, self.config, self.design = pool, config, design
        self.start = float(config.default_candidate_capacity if start is None or design is Design.RULES else start)
        self.variation = config.variation_percent if design is Design.RULES else None
        self.base_mask = pool.accessible if accessibility else np.ones(len(pool), dtype=bool)
        if design is Design.MAX_INFO:
            # Unconstrained: every challenge is its own group, so only repeats are forbidden.
            self.group_of_item = np.arange(len(pool))
        elif config.limit_to_one_question_per_tube:
            self.group_of_item = pool.tube_index
        else:
            self.group_of_item = pool.skill_index
        self.group_count = int(self.group_of_item.max()) + 1 if len(pool) else 0
        self.group_size = np.bincount(self.group_of_item[self.base_mask], minlength=self.group_count)
        # Answer factors on the grid: rows 0..M-1 for a success, M..2M-1 for a failure.
        self.factors = np.concatenate((pool.grid_success, pool.grid_failure))
        self.group_members = _padded_members(self.group_of_item, self.group_count)
        self.competence_size = np.bincount(pool.competence_index[self.base_mask], minlength=len(COMPETENCE_CODES))


def _padded_members(group_of_item: NDArray[np.intp], count: int) -> NDArray[np.intp]:
    """Items of each group as rows of a matrix, padded by repeating the group's first item."""
    order = np.argsort(group_of_item, kind="stable")
    sizes = np.bincount(group_of_item, minlength=count)
    members = np.empty((count, int(sizes.max())), dtype=np.intp)
    start = 0
    for g, size in enumerate(sizes):
        row = order[start : start + size]
        members[g, :] = row[0]
        members[g, :size] = row
        start += size
    return members


def simulate(
    pool: Pool,
    config: EngineConfig,
    true_theta: ArrayLike,
    *,
    seed: int,
    design: Design | str = Design.RULES,
    accessibility: bool = False,
    start_capacity: float | None = None,
    chunk: int = DEFAULT_CHUNK,
    progress: ProgressCallback | None = None,
) -> SimulationResult:
    """Simulate one test per true ability, all examinees in lock-step.

    Parameters
    ----------
    pool : Pool
        The pool to draw from.
    config : EngineConfig
        Test length, rules, estimator settings.
    true_theta : array_like
        True abilities, one per examinee.
    seed : int
        Root of the common random numbers (examinee *i* uses streams ``[seed, i]``).
    design : Design
        ``rules`` (the spec) or ``max_info`` (unconstrained maximum information, no variation limit,
        starting at ``start_capacity``).
    accessibility : bool
        Simulate accessibility-adjusted courses.
    start_capacity : float or None
        Start capacity of the ``max_info`` design (default: the configuration's).
    chunk : int
        Examinees per lock-step block.
    progress : callable or None
        Called as ``progress(done, total)`` after each block.

    Raises
    ------
    ItemParameterError
        Non-finite abilities or an empty pool.
    """
    theta = np.asarray(true_theta, dtype=np.float64).ravel()
    if not np.all(np.isfinite(theta)):
        raise ItemParameterError("true abilities must be finite")
    if not len(pool):
        raise ItemParameterError("the pool is empty: nothing to simulate")
    sim = _Simulator(pool, config, Design(design), accessibility, start_capacity)
    parts = []
    for lo in range(0, theta.size, chunk):
        hi = min(lo + chunk, theta.size)
        streams = [np.random.default_rng([seed, i]) for i in range(lo, hi)]
        block = _Chunk(sim, theta[lo:hi], streams)
        for k in range(config.maximum_assessment_length):
            block.step(k)
        parts.append(block)
        if progress is not None:
            progress(hi, theta.size)
    return SimulationResult(
        true_theta=theta,
        theta=np.concatenate([p.capacity for p in parts]),
        error_rate=np.concatenate([p.error_rate for p in parts]),
        administered=np.concatenate([p.administered for p in parts]),
        successes=np.concatenate([p.successes for p in parts]),
        bank_size=len(pool),
    )


def _meshes(theta: NDArray, bounds) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    pairs = [score_and_mesh(float(t), bounds) for t in theta]
    scores = np.array([s for s, _ in pairs], dtype=np.intp)
    meshes = np.array([-1 if m is None else m for _, m in pairs], dtype=np.intp)
    return scores, meshes


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def report(result: SimulationResult, pool: Pool, config: EngineConfig) -> dict:
    """The accuracy and exposure figures of a simulation, as a JSON-ready dict.

    Level bands are the global meshes of the *true* ability (−1: below the first interval).
    ``overlap`` is the mean share of common questions between two tests,
    ``Σ_j c_j (c_j − 1) / (N (N − 1) L̄)`` with ``c_j`` the uses of challenge *j*.
    """
    error = result.theta - result.true_theta
    n = result.true_theta.size
    rmse = float(np.sqrt(np.mean(error**2)))
    true_scores, true_mesh = _meshes(result.true_theta, config.global_scoring_bounds)
    est_scores, est_mesh = _meshes(result.theta, config.global_scoring_bounds)
    bands = []
    for mesh in range(-1, len(config.global_scoring_bounds) - 1):
        sel = true_mesh == mesh
        if sel.any():
            e = error[sel]
            bands.append(
                {
                    "mesh": mesh,
                    "n": int(sel.sum()),
                    "bias": float(e.mean()),
                    "rmse": float(np.sqrt(np.mean(e**2))),
                    "se": float(e.std()),
                    "mean_error_rate": float(result.error_rate[sel].mean()),
                    "level_accuracy": float(np.mean(est_mesh[sel] == mesh)),
                }
            )
    used = result.administered[result.administered >= 0]
    counts = np.bincount(used, minlength=result.bank_size)
    lengths = (result.administered >= 0).sum(axis=1)
    mean_length = float(lengths.mean())
    overlap = float(np.sum(counts * (counts - 1.0)) / (n * (n - 1) * mean_length)) if n > 1 else 0.0
    comp_of = pool.competence_index
    missing = 0
    for row in result.administered:
        if np.unique(comp_of[row[row >= 0]]).size < len(COMPETENCE_CODES):
            missing += 1
    mean_error_rate = float(result.error_rate.mean())
    return {
        "n_examinees": n,
        "bank_size": result.bank_size,
        "test_length": config.maximum_assessment_length,
        "mean_test_length": mean_length,
        "rmse": rmse,
        "bias": float(error.mean()),
        "mean_error_rate": mean_error_rate,
        "error_rate_over_rmse": _finite_or_none(mean_error_rate / rmse) if rmse else None,
        "level_accuracy": float(np.mean(est_mesh == true_mesh)),
        "level_accuracy_within_one": float(np.mean(np.abs(est_mesh - true_mesh) <= 1)),
        "pix_rmse": float(np.sqrt(np.mean((est_scores - true_scores) ** 2.0))),
        "max_exposure": float(counts.max() / n),
        "unused_share": float(np.mean(counts == 0)),
        "overlap": overlap,
        "missing_competence_share": missing / n,
        "bands": bands,
    }


def oracle_bound(pool: Pool, true_theta: ArrayLike, *, length: int, prior_variance: float) -> float:
    r"""Bayesian oracle bound on the RMSE: the ``length`` most informative items at the true θ.

    .. math:: \sqrt{\overline{1 / (1/\sigma^2 + \sum_{j \in \text{top}} I_j(\theta))}}

    with :math:`\sigma^2` the variance of the ability population. No adaptive test with the same
    bank and length can, on average, beat it.
    """
    theta = np.asarray(true_theta, dtype=np.float64)
    info = information(theta[:, None], pool.a[None, :], pool.b[None, :])
    top = -np.partition(-info, length - 1, axis=1)[:, :length]
    return float(np.sqrt(np.mean(1.0 / (1.0 / prior_variance + top.sum(axis=1)))))
