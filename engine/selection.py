"""Next-challenge selection: rule chain, ranking by information, binary-tree pick (spec §6).

:class:`CourseState` holds what the rules need for one course, updated one answer at a time:
which tubes (or skills) are spent, which competences were answered and which recently, and the
capacity estimate. :class:`RuleChainSelector` applies spec §6.4-§6.6 to it;
:class:`MaxInfoSelector` is the unconstrained maximum-information baseline used in simulation.

:func:`select_next_challenge` is the whole §6.2 procedure on a stored course history; the server
calls it with a generator seeded as ``default_rng([course_seed, question_index])`` (§6.6).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.bank import Pool
from engine.config import COMPETENCE_CODES, EngineConfig
from engine.errors import AnswerCountError, BankError, LackOfChallengesError
from engine.flash import Estimate, FlashState
from engine.irt import information

#: Number of challenges kept by the ranking (spec §4.2).
TOP_N = 5

_COMPETENCE_POSITION = {code: i for i, code in enumerate(COMPETENCE_CODES)}


@dataclass(frozen=True, slots=True)
class AskedChallenge:
    """A challenge drawn for a course, with its calibration at draw time (spec §6.7)."""

    challenge_id: str
    skill: str
    tube: str
    competence: str
    discriminant: float
    difficulty: float


def top_k_stable(rewards: NDArray[np.float64], k: int = TOP_N) -> NDArray[np.intp]:
    """Positions of the ``k`` largest rewards, descending, ties in input order (spec §6.5).

    The same as ``sorted(range(n), key=lambda i: -rewards[i])[:k]`` (a stable sort), done as
    ``k`` passes of ``argmax``, which returns the first of equal maxima: O(n·k), and faster than
    a partition for the k = 5 of the spec. ``rewards`` is left unchanged.
    """
    work = rewards.copy()
    chosen = np.empty(min(k, work.size), dtype=np.intp)
    for i in range(chosen.size):
        j = int(work.argmax())
        chosen[i] = j
        work[j] = -np.inf
    return chosen


def binary_tree_pick(n: int, rng: np.random.Generator, p: float = 51) -> int:
    """Index among ``n`` ranked candidates, i < n−1 with probability p′(1−p′)^i (spec §6.6).

    Draws one uniform per level of the tree, none when ``p >= 100`` or one candidate is left.

    Raises
    ------
    LackOfChallengesError
        ``n`` is 0.
    """
    if n < 1:
        raise LackOfChallengesError("no candidate challenge to pick from")
    if p >= 100:
        return 0
    for i in range(n - 1):
        if rng.random() * 100 < p:
            return i
    return n - 1


def binary_tree_probabilities(n: int, p: float = 51) -> list[float]:
    """Exact pick probability of each index (spec §14.4)."""
    q = min(p, 100) / 100
    return [q * (1 - q) ** i for i in range(n - 1)] + [(1 - q) ** (n - 1)]


class CourseState:
    """Rule and estimator state of one course, updated answer by answer.

    Parameters
    ----------
    pool : Pool
        The version's pool for the course locale.
    config : EngineConfig
        The version's configuration.
    accessibility : bool
        True when the course is adjusted for accessibility (spec §6.2 step 4).
    excluded_skills : iterable of str
        Skills of challenges with a validated live alert (spec §6.2 step 3).
    start_capacity : float or None
        Overrides ``config.default_candidate_capacity`` (degradation starts at θ_final, §8.2).
    """

    def __init__(
        self,
        pool: Pool,
        config: EngineConfig,
        *,
        accessibility: bool = False,
        excluded_skills: Iterable[str] = (),
        start_capacity: float | None = None,
    ) -> None:
        self.pool = pool
        self.config = config
        start = config.default_candidate_capacity if start_capacity is None else start_capacity
        self.flash = FlashState(start, config.variation_percent)
        per_tube = config.limit_to_one_question_per_tube
        self._group_of_item = pool.tube_index if per_tube else pool.skill_index
        self._group_items = pool.items_by_tube if per_tube else pool.items_by_skill
        self._group_position = pool.tube_position if per_tube else pool.skill_position
        self._group_key = "tube" if per_tube else "skill"
        self._group_used = np.zeros(len(self._group_items), dtype=bool)
        eligible = pool.accessible.copy() if accessibility else np.ones(len(pool), dtype=bool)
        for skill in excluded_skills:
            if skill in pool.skill_position:
                eligible[pool.items_by_skill[pool.skill_position[skill]]] = False
        self._unanswered = eligible  # pool filters minus answered challenges (no content rule)
        self._available = eligible.copy()  # ... minus spent tubes or skills (rule 1)
        self._competence_available = np.bincount(pool.competence_index[eligible], minlength=len(COMPETENCE_CODES))
        self._competence_answered = np.zeros(len(COMPETENCE_CODES), dtype=bool)
        self._recent: deque[int] = deque(maxlen=config.spacing or 1)
        self.answered: list[str] = []

    @property
    def answer_count(self) -> int:
        """Number of kept answers folded in."""
        return len(self.answered)

    @property
    def estimate(self) -> Estimate:
        """Current capacity estimate."""
        return self.flash.estimate

    @property
    def complete(self) -> bool:
        """True once ``maximum_assessment_length`` answers are in."""
        return self.answer_count >= self.config.maximum_assessment_length

    def record_index(self, item: int, success: bool) -> Estimate:
        """Fold in an answer to pool item ``item`` with the pool's calibration (fast path).

        Raises
        ------
        AnswerCountError
            The course already holds ``maximum_assessment_length`` answers.
        """
        self._check_room(self.pool.ids[item])
        table = self.pool.grid_success if success else self.pool.grid_failure
        self._unanswered[item] = False
        self._spend_group(int(self._group_of_item[item]))
        self._note_competence(int(self.pool.competence_index[item]), self.pool.ids[item])
        return self.flash.update_with_factor(table[item])

    def record(self, asked: AskedChallenge, success: bool) -> Estimate:
        """Fold in an answer to ``asked``, with the calibration recorded at draw time (§5.5).

        The challenge need not be in the pool any more: its tube (or skill) and competence still
        count for the rules.

        Raises
        ------
        AnswerCountError
            The course already holds ``maximum_assessment_length`` answers.
        BankError
            The challenge names an unknown competence (nothing is recorded).
        """
        self._check_room(asked.challenge_id)
        if asked.competence not in _COMPETENCE_POSITION:
            raise BankError(f"challenge {asked.challenge_id!r}: unknown competence {asked.competence!r}")
        if asked.challenge_id in self.pool.position:
            self._unanswered[self.pool.position[asked.challenge_id]] = False
        group = self._group_position.get(getattr(asked, self._group_key))
        if group is not None:
            self._spend_group(group)
        self._note_competence(_COMPETENCE_POSITION[asked.competence], asked.challenge_id)
        return self.flash.update(asked.discriminant, asked.difficulty, success)

    def _check_room(self, challenge_id: str) -> None:
        if self.complete:
            raise AnswerCountError(
                f"answer to {challenge_id!r} would exceed the test length of {self.config.maximum_assessment_length}"
            )

    def _spend_group(self, group: int) -> None:
        if self._group_used[group]:
            return
        self._group_used[group] = True
        items = self._group_items[group]
        still = items[self._available[items]]
        if still.size:
            self._competence_available[self.pool.competence_index[still[0]]] -= still.size
            self._available[still] = False

    def _note_competence(self, competence: int, challenge_id: str) -> None:
        self._competence_answered[competence] = True
        self._recent.append(competence)
        self.answered.append(challenge_id)

    def allowed_competences(self) -> NDArray[np.bool_]:
        """Competences that may hold the next challenge after rules 2 and 3 (spec §6.4)."""
        allowed = self._competence_available > 0
        if not allowed.any():
            raise LackOfChallengesError(
                f"no challenge left after the pool filters and rule 1, after {self.answer_count} answers"
            )
        if self.config.enable_passage_by_all_competences:
            fresh = allowed & ~self._competence_answered
            if fresh.any():
                allowed = fresh
        if self.config.spacing:
            spaced = allowed.copy()
            spaced[list(self._recent)] = False
            if spaced.any():
                allowed = spaced
        return allowed

    def candidates(self, *, rules: bool = True) -> NDArray[np.intp]:
        """Pool positions of every challenge the rules allow, in pool order.

        With ``rules=False`` no content rule applies: only the pool filters, and no challenge
        is asked twice.
        """
        if rules:
            mask = self._available & self.allowed_competences()[self.pool.competence_index]
        else:
            mask = self._unanswered
        found = np.flatnonzero(mask)
        if not found.size:
            raise LackOfChallengesError(f"no challenge left after {self.answer_count} answers")
        return found

    def ranked(self, *, rules: bool = True, k: int = TOP_N, theta: float | None = None) -> NDArray[np.intp]:
        """The ``k`` most informative allowed challenges at the current capacity (spec §6.5).

        Raises
        ------
        LackOfChallengesError
            Nothing is left after the rules.
        """
        found = self.candidates(rules=rules)
        at = self.flash.capacity if theta is None else theta
        rewards = information(at, self.pool.a[found], self.pool.b[found], self.pool.a_squared[found])
        return found[top_k_stable(rewards, k)]


class Selector(ABC):
    """Chooses the next pool position for a course, or None when the test is complete."""

    @abstractmethod
    def select(self, state: CourseState, rng: np.random.Generator) -> int | None:
        """Return the pool position of the next challenge, or None if the test is complete.

        Raises
        ------
        LackOfChallengesError
            No challenge is left.
        """


class RuleChainSelector(Selector):
    """Spec §6.4-§6.6: the rule chain, the top-5 ranking and the binary-tree pick."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config

    def select(self, state: CourseState, rng: np.random.Generator) -> int | None:
        """Apply the rules, rank the top 5 and pick one with ``rng`` (spec §6.2 steps 5-9)."""
        if state.answer_count == self.config.maximum_assessment_length:
            return None
        top = state.ranked()
        return int(top[binary_tree_pick(top.size, rng, self.config.probability_to_pick_challenge)])


class MaxInfoSelector(Selector):
    """Unconstrained maximum information: the single best unasked challenge, no rule, no draw.

    The baseline of the simulator's ``max_info`` design and of the oracle comparison.
    """

    def __init__(self, config: EngineConfig) -> None:
        self.config = config

    def select(self, state: CourseState, rng: np.random.Generator) -> int | None:
        """Return the most informative remaining challenge at the current capacity."""
        if state.answer_count == self.config.maximum_assessment_length:
            return None
        return int(state.ranked(rules=False, k=1)[0])


@dataclass(frozen=True)
class CourseHistory:
    """What selection and scoring read of a stored course (spec §6.1).

    ``asked`` lists the asked challenges in draw order; ``statuses`` maps a challenge id to its
    answer status (absent when unanswered); ``validated_alerts`` holds the challenge ids with a
    validated live alert.
    """

    asked: Sequence[AskedChallenge]
    statuses: dict[str, str]
    validated_alerts: frozenset[str] = frozenset()
    accessibility: bool = False

    def kept(self) -> list[tuple[AskedChallenge, bool]]:
        """Kept answers in chronological order with their success flag (spec §5.5, §6.3)."""
        return [
            (a, self.statuses[a.challenge_id] == "ok")
            for a in self.asked
            if a.challenge_id in self.statuses and a.challenge_id not in self.validated_alerts
        ]

    def excluded_skills(self) -> set[str]:
        """Skills of the challenges with a validated live alert (spec §6.2 step 3)."""
        return {a.skill for a in self.asked if a.challenge_id in self.validated_alerts}

    def pending(self) -> AskedChallenge | None:
        """The last asked challenge if it has neither answer nor validated alert (spec §6.2 step 1)."""
        if not self.asked:
            return None
        last = self.asked[-1]
        if last.challenge_id in self.statuses or last.challenge_id in self.validated_alerts:
            return None
        return last


def replay(
    pool: Pool,
    config: EngineConfig,
    history: CourseHistory,
    *,
    start_capacity: float | None = None,
) -> CourseState:
    """Build the :class:`CourseState` of a stored course from its kept answers.

    Raises
    ------
    AnswerCountError
        More kept answers than the test length.
    """
    kept = history.kept()
    if len(kept) > config.maximum_assessment_length:
        raise AnswerCountError(f"{len(kept)} kept answers exceed the test length of {config.maximum_assessment_length}")
    state = CourseState(
        pool,
        config,
        accessibility=history.accessibility,
        excluded_skills=history.excluded_skills(),
        start_capacity=start_capacity,
    )
    for asked, success in kept:
        state.record(asked, success)
    return state


def select_next_challenge(
    pool: Pool, config: EngineConfig, history: CourseHistory, rng: np.random.Generator
) -> AskedChallenge | None:
    """The whole §6.2 procedure: pending challenge, or a new draw, or None when complete.

    The returned :class:`AskedChallenge` carries the pool's calibration, to be stored (§6.7).

    Raises
    ------
    AnswerCountError
        More kept answers than the test length.
    LackOfChallengesError
        No challenge is left after the rules.
    """
    pending = history.pending()
    if pending is not None:
        return pending
    state = replay(pool, config, history)
    chosen = RuleChainSelector(config).select(state, rng)
    if chosen is None:
        return None
    c = pool.challenges[chosen]
    return AskedChallenge(c.id, c.skill, c.tube, c.competence, float(c.discriminant), float(c.difficulty))
