"""Challenges and the selection pool of a version (spec §3, §6.2 step 2).

:class:`Challenge` is one bank row with the spec's fields. :class:`Pool` is the eligible part of
a version's bank for one locale, ordered by challenge id (spec §6.2 step 2: the order decides
ties), held as numpy arrays so that selection and simulation work on whole vectors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from engine.config import COMPETENCE_CODES
from engine.errors import BankError
from engine.irt import GRID, p_correct

#: Content status of challenges that may be drawn (spec §3).
ELIGIBLE_STATUS = "validé"

#: Accessibility values compatible with an adjusted course (spec §6.2 step 4).
ACCESSIBLE_VALUES = frozenset({"OK", "RAS"})

CHALLENGE_TYPES = ("QCU", "QCM", "QROC", "QROCM-ind", "QROCM-dep")


@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge of a version's bank (spec §3). Only the selection fields are required."""

    id: str
    skill: str
    tube: str
    competence: str
    discriminant: float | None
    difficulty: float | None
    type: str = "QCU"
    status: str = ELIGIBLE_STATUS
    locale: tuple[str, ...] = ("fr-fr", "fr", "en")
    accessibility1: str = "OK"
    accessibility2: str = "OK"
    focused: bool = False
    timer: int | None = None
    level: int | None = None
    statement: str = ""
    proposals: str = ""
    solution: str = ""
    tolerances: frozenset[str] = frozenset({"t1", "t2", "t3"})
    format: str | None = None
    attachments: tuple[str, ...] = ()
    embed: dict | None = None

    @property
    def accessible(self) -> bool:
        """True when both accessibility flags are ``OK`` or ``RAS``."""
        return self.accessibility1 in ACCESSIBLE_VALUES and self.accessibility2 in ACCESSIBLE_VALUES

    @property
    def calibrated(self) -> bool:
        """True when both 2PL parameters are present (spec §3 rule 1)."""
        return self.discriminant is not None and self.difficulty is not None


def _index(values: list[str]) -> tuple[tuple[str, ...], NDArray[np.intp]]:
    names = tuple(sorted(set(values)))
    position = {name: i for i, name in enumerate(names)}
    return names, np.fromiter((position[v] for v in values), dtype=np.intp, count=len(values))


def _groups(index: NDArray[np.intp], count: int) -> tuple[NDArray[np.intp], ...]:
    order = np.argsort(index, kind="stable")
    splits = np.cumsum(np.bincount(index, minlength=count))[:-1]
    return tuple(np.split(order, splits))


class Pool:
    """The eligible challenges of a version for one locale, sorted by id.

    Parameters
    ----------
    challenges : iterable of Challenge
        The version's bank. Challenges that are not ``validé``, not calibrated or not available
        in ``locale`` are left out (spec §6.2 step 2).
    locale : str or None
        Course locale (``fr-fr``, ``fr``, ``en``); None keeps every locale.

    Raises
    ------
    BankError
        Duplicate ids, an unknown competence code, non-finite parameters, or a skill that
        appears in two tubes.
    """

    def __init__(self, challenges: Iterable[Challenge], *, locale: str | None = None) -> None:
        rows = sorted(
            (c for c in challenges if self._eligible(c, locale)),
            key=lambda c: c.id,
        )
        self._check(rows)
        self.challenges: tuple[Challenge, ...] = tuple(rows)
        self.ids: tuple[str, ...] = tuple(c.id for c in rows)
        self.position: dict[str, int] = {cid: i for i, cid in enumerate(self.ids)}
        self.a = np.array([c.discriminant for c in rows], dtype=np.float64)
        self.b = np.array([c.difficulty for c in rows], dtype=np.float64)
        self.a_squared = np.square(self.a)
        self.tubes, self.tube_index = _index([c.tube for c in rows])
        self.skills, self.skill_index = _index([c.skill for c in rows])
        comp = {code: i for i, code in enumerate(COMPETENCE_CODES)}
        self.competence_index = np.fromiter((comp[c.competence] for c in rows), dtype=np.intp, count=len(rows))
        self.accessible = np.fromiter((c.accessible for c in rows), dtype=bool, count=len(rows))
        self.items_by_tube = _groups(self.tube_index, len(self.tubes))
        self.items_by_skill = _groups(self.skill_index, len(self.skills))
        self.tube_position = {name: i for i, name in enumerate(self.tubes)}
        self.skill_position = {name: i for i, name in enumerate(self.skills)}
        for arr in (
            self.a,
            self.b,
            self.a_squared,
            self.tube_index,
            self.skill_index,
            self.competence_index,
            self.accessible,
        ):
            arr.flags.writeable = False

    @staticmethod
    def _eligible(c: Challenge, locale: str | None) -> bool:
        return c.status == ELIGIBLE_STATUS and c.calibrated and (locale is None or locale in c.locale)

    @staticmethod
    def _check(rows: list[Challenge]) -> None:
        seen: set[str] = set()
        tube_of_skill: dict[str, str] = {}
        for c in rows:
            if c.id in seen:
                raise BankError(f"duplicate challenge id {c.id!r}")
            seen.add(c.id)
            if c.competence not in COMPETENCE_CODES:
                raise BankError(f"challenge {c.id!r}: unknown competence {c.competence!r}")
            for name in ("discriminant", "difficulty"):
                value = getattr(c, name)
                if not math.isfinite(value):
                    raise BankError(f"challenge {c.id!r}: {name} is {value}, must be finite")
            if tube_of_skill.setdefault(c.skill, c.tube) != c.tube:
                raise BankError(
                    f"challenge {c.id!r}: skill {c.skill!r} is in tube {c.tube!r} "
                    f"and in tube {tube_of_skill[c.skill]!r}"
                )

    def shortfalls(self, *, accessibility: bool, test_length: int = 32, per_competence: int = 2) -> list[str]:
        """Why this pool may run out during a test (spec §6.8), as messages; empty when fine.

        A pool should hold at least ``test_length`` tubes in total and ``per_competence`` tubes in
        every competence, counting only accessibility-compatible challenges when ``accessibility``.
        A version loader logs these as warnings for every locale and both accessibility settings.
        """
        keep = self.accessible if accessibility else np.ones(len(self), dtype=bool)
        tubes = np.unique(self.tube_index[keep])
        where = "accessibility-adjusted pool" if accessibility else "pool"
        problems = []
        if tubes.size < test_length:
            problems.append(f"{where} has {tubes.size} tubes, fewer than the {test_length} questions of a test")
        comp_of_tube = np.zeros(len(self.tubes), dtype=np.intp)
        comp_of_tube[self.tube_index] = self.competence_index
        counts = np.bincount(comp_of_tube[tubes], minlength=len(COMPETENCE_CODES))
        for code, count in zip(COMPETENCE_CODES, counts, strict=True):
            if count < per_competence:
                problems.append(f"{where}: competence {code} has {count} tube(s), fewer than {per_competence}")
        return problems

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def grid_success(self) -> NDArray[np.float64]:
        """P(θ) of every item on the capacity grid, shape (items, 81): the answer factors."""
        table = p_correct(GRID[None, :], self.a[:, None], self.b[:, None])
        table.flags.writeable = False
        return table

    @cached_property
    def grid_failure(self) -> NDArray[np.float64]:
        """1 − P(θ) of every item on the grid, shape (items, 81)."""
        table = 1.0 - self.grid_success
        table.flags.writeable = False
        return table
