"""Shared fixtures: small synthetic pools built once per session."""

from __future__ import annotations

import numpy as np
import pytest

from engine.bank import Pool
from engine.synthetic import synthetic_bank


@pytest.fixture(scope="session")
def pool_512() -> Pool:
    """A 512-challenge synthetic pool (seed 7), the bench's small size."""
    return Pool(synthetic_bank(512, np.random.default_rng(7)))


@pytest.fixture(scope="session")
def pool_128() -> Pool:
    """A small pool where rules and fallbacks are exercised quickly."""
    return Pool(synthetic_bank(128, np.random.default_rng(11)))
