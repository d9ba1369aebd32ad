"""The synthetic bank generator."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from engine.config import COMPETENCE_CODES, skill_level_cell
from engine.errors import BankError
from engine.synthetic import synthetic_bank


def test_bank_has_the_requested_size_and_is_reproducible():
    first = synthetic_bank(300, np.random.default_rng(5))
    assert len(first) == 300
    assert first == synthetic_bank(300, np.random.default_rng(5))
    assert first != synthetic_bank(300, np.random.default_rng(6))
    assert len({c.id for c in first}) == 300


def test_bank_is_shaped_like_the_reference():
    bank = synthetic_bank(1000, np.random.default_rng(1))
    assert {c.competence for c in bank} == set(COMPETENCE_CODES)
    skills_per_tube = defaultdict(set)
    for c in bank:
        skills_per_tube[c.tube].add(c.skill)
        lo, hi = skill_level_cell(c.level)
        assert lo <= c.difficulty < hi
        assert c.discriminant > 0
    sizes = [len(s) for s in skills_per_tube.values()]
    assert min(sizes[:-1]) >= 3 and max(sizes) <= 5  # the last tube may be cut by the size
    a = np.array([c.discriminant for c in bank])
    assert 0.9 < np.median(a) < 1.1
    assert 0.1 < np.mean([not c.accessible for c in bank]) < 0.3


def test_bank_size_too_small_is_refused():
    with pytest.raises(BankError, match="at least 48 challenges"):
        synthetic_bank(20, np.random.default_rng(0))
