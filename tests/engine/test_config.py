"""Version configuration: production defaults, validation, loading from the reference's form."""

from __future__ import annotations

import pytest

from engine.config import (
    COMPETENCE_CODES,
    DEFAULT_GLOBAL_BOUNDS,
    EngineConfig,
    skill_level_cell,
)
from engine.errors import ConfigurationError


def test_defaults_are_the_spec_production_values():
    cfg = EngineConfig()
    assert cfg.maximum_assessment_length == 32
    assert cfg.minimum_answers_required == 20
    assert cfg.default_candidate_capacity == -3
    assert cfg.variation_percent == 0.5
    assert cfg.probability_to_pick_challenge == 51
    assert cfg.limit_to_one_question_per_tube is True
    assert cfg.enable_passage_by_all_competences is True
    assert cfg.challenges_between_same_competence == 2
    assert cfg.global_scoring_bounds == (-4.67, -1.4, -0.519, 0.6, 1.5, 2.25, 3.1, 4.0, 8.0)
    assert set(cfg.competence_scoring_bounds) == set(COMPETENCE_CODES)
    assert len(COMPETENCE_CODES) == 16


def test_configuration_is_immutable():
    cfg = EngineConfig()
    with pytest.raises(AttributeError):
        cfg.maximum_assessment_length = 10  # type: ignore[misc]
    with pytest.raises(TypeError):
        cfg.competence_scoring_bounds["1.1"] = (0,)  # type: ignore[index]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"maximum_assessment_length": 0}, "maximum_assessment_length must be an integer >= 1"),
        ({"minimum_answers_required": 40}, "minimum_answers_required .40. exceeds maximum_assessment_length"),
        ({"variation_percent": -0.1}, "variation_percent must be None or a finite number >= 0"),
        ({"probability_to_pick_challenge": 0}, "probability_to_pick_challenge must be > 0"),
        ({"challenges_between_same_competence": -1}, "challenges_between_same_competence must be an integer"),
        ({"limit_to_one_question_per_tube": "yes"}, "limit_to_one_question_per_tube must be a boolean"),
        ({"global_scoring_bounds": (0, 1, 2)}, "expected 9 interval bounds, got 3"),
        ({"global_scoring_bounds": (0, 1, 2, 3, 3, 5, 6, 7, 8)}, "interval 3 has min 3.0 >= max 3.0"),
        ({"competence_scoring_bounds": {"1.1": DEFAULT_GLOBAL_BOUNDS}}, "missing .'1.2'"),
    ],
)
def test_invalid_values_raise_an_error_naming_the_key(kwargs, message):
    with pytest.raises(ConfigurationError, match=message):
        EngineConfig(**kwargs)


def test_from_mapping_accepts_the_reference_min_max_form():
    pairs = zip(DEFAULT_GLOBAL_BOUNDS, DEFAULT_GLOBAL_BOUNDS[1:], strict=False)
    intervals = [{"min": lo, "max": hi} for lo, hi in pairs]
    per_code = {code: [-9, -2, -1, 0.5, 1, 2, 3, 4.5, 9] for code in COMPETENCE_CODES}
    cfg = EngineConfig.from_mapping(
        {
            "global_scoring_intervals": intervals,
            "competences_scoring_intervals": per_code,
            "challenges_between_same_competence": None,
        }
    )
    assert cfg.global_scoring_bounds == DEFAULT_GLOBAL_BOUNDS
    assert cfg.competence_scoring_bounds["3.4"][7] == 4.5
    assert cfg.spacing == 0


def test_from_mapping_refuses_gaps_and_unknown_keys():
    gap = [{"min": 0, "max": 1}, {"min": 1.5, "max": 2}] + [{"min": i, "max": i + 1} for i in range(2, 8)]
    with pytest.raises(ConfigurationError, match="intervals 0 and 1 are not contiguous"):
        EngineConfig.from_mapping({"global_scoring_intervals": gap})
    with pytest.raises(ConfigurationError, match=r"unknown configuration keys: \['max_length'\]"):
        EngineConfig.from_mapping({"max_length": 32})
    with pytest.raises(ConfigurationError, match="numeric 'min' and 'max'"):
        EngineConfig.from_mapping({"global_scoring_intervals": [{"low": 0}]})


def test_skill_level_cells_tile_the_scored_range():
    cells = [skill_level_cell(level) for level in range(1, 9)]
    assert cells[0] == (-4.67, -1.4)
    assert cells[-1] == (4.0, 8.0)
    assert all(hi == nxt for (_, hi), (nxt, _) in zip(cells, cells[1:], strict=False))
    with pytest.raises(ConfigurationError, match="skill level must be an integer 1-8"):
        skill_level_cell(9)
