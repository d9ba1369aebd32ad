"""A synthetic item bank shaped like the reference bank, for simulation and benchmarks.

Shape (project decision, from the spec's description of the referential, §2-§3):

- 16 competences, tubes assigned round-robin so every competence gets about the same number;
- each tube holds 3-5 skills of consecutive levels (1-8), each skill 1-2 variant challenges;
- difficulty uniform inside the skill level's capacity cell (:func:`engine.config.skill_level_cell`);
- discriminant log-normal, median 1 (``a = exp(N(0, sigma²))``);
- a share of challenges is not accessibility-compatible (``accessibility1 = "KO"``).

The random generator is injected; the same seed gives the same bank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.bank import Challenge
from engine.config import COMPETENCE_CODES, DEFAULT_GLOBAL_BOUNDS, skill_level_cell
from engine.errors import BankError


def synthetic_bank(
    size: int,
    rng: np.random.Generator,
    *,
    bounds: Sequence[float] = DEFAULT_GLOBAL_BOUNDS,
    discriminant_sigma: float = 0.3,
    inaccessible_share: float = 0.2,
) -> list[Challenge]:
    """Generate ``size`` calibrated challenges.

    Parameters
    ----------
    size : int
        Number of challenges, at least 16 · 3 so every competence has a full tube.
    rng : numpy.random.Generator
        Source of every random choice.
    bounds : sequence of float
        The 9 global scoring bounds that define the skill-level cells.
    discriminant_sigma : float
        Standard deviation of log(a).
    inaccessible_share : float
        Probability that a challenge is not compatible with an accessibility adjustment.

    Raises
    ------
    BankError
        ``size`` too small, or a share outside [0, 1].
    """
    if size < 3 * len(COMPETENCE_CODES):
        raise BankError(f"a synthetic bank needs at least {3 * len(COMPETENCE_CODES)} challenges, got {size}")
    if not 0.0 <= inaccessible_share <= 1.0:
        raise BankError(f"inaccessible_share must be in [0, 1], got {inaccessible_share}")
    challenges: list[Challenge] = []
    tube_number = 0
    while len(challenges) < size:
        competence = COMPETENCE_CODES[tube_number % len(COMPETENCE_CODES)]
        tube = f"@c{competence.replace('.', '')}t{tube_number // len(COMPETENCE_CODES):03d}"
        skills = int(rng.integers(3, 6))
        first_level = int(rng.integers(1, 10 - skills))
        for level in range(first_level, first_level + skills):
            lo, hi = skill_level_cell(level, bounds)
            for _ in range(int(rng.integers(1, 3))):
                if len(challenges) == size:
                    break
                challenges.append(
                    Challenge(
                        id=f"rec{len(challenges):06d}",
                        skill=f"{tube}{level}",
                        tube=tube,
                        competence=competence,
                        discriminant=float(np.exp(rng.normal(0.0, discriminant_sigma))),
                        difficulty=float(rng.uniform(lo, hi)),
                        level=level,
                        accessibility1="KO" if rng.random() < inaccessible_share else "OK",
                    )
                )
        tube_number += 1
    return challenges
