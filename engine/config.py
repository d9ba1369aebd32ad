"""Configuration of one certification version (spec §4).

A version bundles a challenge pool with one :class:`EngineConfig`. Every parameter of the spec's
configuration table is a field here, with the production default; the scoring intervals are read
from the configuration and never hard-coded elsewhere.

Scoring intervals are stored as *bounds*: 9 increasing numbers ``min of mesh 0, 7 cut points,
max of mesh 7``. :meth:`EngineConfig.from_mapping` also accepts the reference's form, 8
``{min, max}`` pairs, and checks that they are contiguous (spec §4.2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from engine.errors import ConfigurationError

#: The 16 competence codes of the referential (spec §2.2). Labels are data (resources/), codes are structure.
COMPETENCE_CODES: tuple[str, ...] = (
    "1.1", "1.2", "1.3",
    "2.1", "2.2", "2.3", "2.4",
    "3.1", "3.2", "3.3", "3.4",
    "4.1", "4.2", "4.3",
    "5.1", "5.2",
)  # fmt: skip

#: Number of scoring intervals (meshes 0-7, competence levels 0-7).
INTERVAL_COUNT = 8

#: Default global scoring bounds, newest reference seed (spec §8.3).
DEFAULT_GLOBAL_BOUNDS: tuple[float, ...] = (-4.67, -1.4, -0.519, 0.6, 1.5, 2.25, 3.1, 4.0, 8.0)

#: Default competence bounds, the same for all 16 competences (spec §8.5); outer bounds stored as -9/9.
DEFAULT_COMPETENCE_BOUNDS: tuple[float, ...] = (-9.0, -2.0, -1.0, 0.5, 1.0, 2.0, 3.0, 4.0, 9.0)


def validate_bounds(bounds: Sequence[float], *, name: str) -> tuple[float, ...]:
    """Return ``bounds`` as a tuple of floats after checking the production rules.

    Parameters
    ----------
    bounds : sequence of float
        ``INTERVAL_COUNT + 1`` finite, strictly increasing numbers.
    name : str
        What the bounds are, used in the error message (e.g. ``"competence 2.3"``).

    Raises
    ------
    ConfigurationError
        Wrong count, a non-finite value, or bounds that do not strictly increase.
    """
    values = tuple(float(b) for b in bounds)
    if len(values) != INTERVAL_COUNT + 1:
        raise ConfigurationError(f"{name}: expected {INTERVAL_COUNT + 1} interval bounds, got {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise ConfigurationError(f"{name}: interval bounds must be finite, got {values}")
    for i, (lo, hi) in enumerate(zip(values, values[1:], strict=False)):
        if not lo < hi:
            raise ConfigurationError(f"{name}: interval {i} has min {lo} >= max {hi}; bounds must strictly increase")
    return values


def bounds_from_intervals(intervals: Sequence[Any], *, name: str) -> tuple[float, ...]:
    """Convert the reference's ``[{min, max}, ...]`` form (or plain bounds) to bounds.

    Contiguity is required: ``max_i == min_{i+1}`` (spec §4.2).

    Raises
    ------
    ConfigurationError
        Missing keys, gaps or overlaps between intervals, or any rule of :func:`validate_bounds`.
    """
    if not intervals or not isinstance(intervals[0], Mapping):
        return validate_bounds(intervals, name=name)
    try:
        pairs = [(float(iv["min"]), float(iv["max"])) for iv in intervals]
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"{name}: each interval needs numeric 'min' and 'max' ({exc})") from exc
    for i, ((_, hi), (lo_next, _)) in enumerate(zip(pairs, pairs[1:], strict=False)):
        if hi != lo_next:
            raise ConfigurationError(
                f"{name}: intervals {i} and {i + 1} are not contiguous (max {hi} != min {lo_next})"
            )
    return validate_bounds([lo for lo, _ in pairs] + [pairs[-1][1]], name=name)


def _default_competence_bounds() -> Mapping[str, tuple[float, ...]]:
    return MappingProxyType({code: DEFAULT_COMPETENCE_BOUNDS for code in COMPETENCE_CODES})


@dataclass(frozen=True)
class EngineConfig:
    """Every parameter of spec §4.1, with the production defaults.

    The instance validates itself on construction; an invalid value raises
    :class:`~engine.errors.ConfigurationError` naming the key.
    """

    maximum_assessment_length: int = 32
    minimum_answers_required: int = 20
    default_candidate_capacity: float = -3.0
    variation_percent: float | None = 0.5
    probability_to_pick_challenge: float = 51.0
    limit_to_one_question_per_tube: bool = True
    enable_passage_by_all_competences: bool = True
    challenges_between_same_competence: int | None = 2
    global_scoring_bounds: tuple[float, ...] = DEFAULT_GLOBAL_BOUNDS
    competence_scoring_bounds: Mapping[str, tuple[float, ...]] = field(default_factory=_default_competence_bounds)

    def __post_init__(self) -> None:
        """Validate every field (spec §4.1, §4.2)."""
        self._check_int("maximum_assessment_length", minimum=1)
        self._check_int("minimum_answers_required", minimum=0)
        if self.minimum_answers_required > self.maximum_assessment_length:
            raise ConfigurationError(
                "minimum_answers_required "
                f"({self.minimum_answers_required}) exceeds maximum_assessment_length "
                f"({self.maximum_assessment_length})"
            )
        if not math.isfinite(self.default_candidate_capacity):
            raise ConfigurationError("default_candidate_capacity must be finite")
        if self.variation_percent is not None and not (
            math.isfinite(self.variation_percent) and self.variation_percent >= 0
        ):
            raise ConfigurationError(
                f"variation_percent must be None or a finite number >= 0, got {self.variation_percent}"
            )
        p = self.probability_to_pick_challenge
        if not (math.isfinite(p) and 0 < p):
            raise ConfigurationError(f"probability_to_pick_challenge must be > 0 (percent), got {p}")
        if self.challenges_between_same_competence is not None:
            self._check_int("challenges_between_same_competence", minimum=0)
        for flag in ("limit_to_one_question_per_tube", "enable_passage_by_all_competences"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigurationError(f"{flag} must be a boolean, got {getattr(self, flag)!r}")
        object.__setattr__(
            self,
            "global_scoring_bounds",
            validate_bounds(self.global_scoring_bounds, name="global_scoring_intervals"),
        )
        self._freeze_competence_bounds()

    def _check_int(self, key: str, *, minimum: int) -> None:
        value = getattr(self, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigurationError(f"{key} must be an integer >= {minimum}, got {value!r}")

    def _freeze_competence_bounds(self) -> None:
        given = dict(self.competence_scoring_bounds)
        unknown = sorted(set(given) - set(COMPETENCE_CODES))
        missing = [code for code in COMPETENCE_CODES if code not in given]
        if unknown or missing:
            raise ConfigurationError(
                "competences_scoring_intervals needs exactly the 16 competence codes; "
                f"missing {missing}, unknown {unknown}"
            )
        frozen = {
            code: validate_bounds(given[code], name=f"competences_scoring_intervals[{code}]")
            for code in COMPETENCE_CODES
        }
        object.__setattr__(self, "competence_scoring_bounds", MappingProxyType(frozen))

    @property
    def spacing(self) -> int:
        """``challenges_between_same_competence`` as an int, 0 when the rule is disabled."""
        return self.challenges_between_same_competence or 0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> EngineConfig:
        """Build a configuration from the spec's keys (e.g. a parsed JSON or YAML document).

        ``global_scoring_intervals`` and ``competences_scoring_intervals`` (code → intervals) take
        either 9 bounds or 8 ``{min, max}`` mappings. Missing keys take the production default.

        Raises
        ------
        ConfigurationError
            An unknown key, or any invalid value (the message names the key).
        """
        names = {f.name for f in fields(cls)}
        renamed = {"global_scoring_intervals", "competences_scoring_intervals"}
        unknown = sorted(set(data) - names - renamed)
        if unknown:
            raise ConfigurationError(f"unknown configuration keys: {unknown}")
        kwargs = {k: v for k, v in data.items() if k in names}
        if "global_scoring_intervals" in data:
            kwargs["global_scoring_bounds"] = bounds_from_intervals(
                data["global_scoring_intervals"], name="global_scoring_intervals"
            )
        if "competences_scoring_intervals" in data:
            per_code = data["competences_scoring_intervals"]
            if not isinstance(per_code, Mapping):
                raise ConfigurationError("competences_scoring_intervals must map competence codes to intervals")
            kwargs["competence_scoring_bounds"] = {
                str(code): bounds_from_intervals(iv, name=f"competences_scoring_intervals[{code}]")
                for code, iv in per_code.items()
            }
        return cls(**kwargs)


def skill_level_cell(level: int, bounds: Sequence[float] = DEFAULT_GLOBAL_BOUNDS) -> tuple[float, float]:
    """Capacity cell ``[lo, hi)`` where a skill of ``level`` (1-8) has its difficulty.

    Decision (project): skill level ℓ sits in global mesh ℓ − 1 of the version's scoring bounds,
    so the eight skill levels tile the whole scored capacity range. With the default bounds,
    level 1 is [-4.67, -1.4) and level 8 is [4, 8). Used by the synthetic bank generator and by
    the bank checker.

    Raises
    ------
    ConfigurationError
        ``level`` outside 1-8.
    """
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= INTERVAL_COUNT:
        raise ConfigurationError(f"skill level must be an integer 1-{INTERVAL_COUNT}, got {level!r}")
    return float(bounds[level - 1]), float(bounds[level])
