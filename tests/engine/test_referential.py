"""The referential: the shipped file and malformed documents."""

from __future__ import annotations

import copy

import pytest
import yaml

from cadenas.resources import DEFAULT_REFERENTIAL, load_shipped_referential
from engine.config import COMPETENCE_CODES
from engine.referential import ReferentialError, parse_referential


def test_the_shipped_referential_has_5_domains_and_the_16_competences():
    ref = load_shipped_referential()
    assert [d.code for d in ref.domains] == ["1", "2", "3", "4", "5"]
    assert [len(d.competences) for d in ref.domains] == [3, 4, 4, 3, 2]
    assert tuple(ref.competences) == COMPETENCE_CODES
    assert ref.competences["5.2"].label() == "Évoluer dans un environnement numérique"
    assert ref.competences["1.1"].label("fr-fr") == ref.competences["1.1"].label("fr")
    assert ref.competences["4.2"].label("en").startswith("Protecting personal data")
    with pytest.raises(TypeError):
        ref.competences["1.1"] = None  # type: ignore[index]


def _document():
    return yaml.safe_load(DEFAULT_REFERENTIAL.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["domains"][0]["competences"].pop(), r"expected the 16 competences"),
        (lambda d: d["domains"][1]["competences"][0].update(code="3.9"), r"competence '3.9' is not in domain '2'"),
        (lambda d: d["domains"][0]["competences"][1]["name"].pop("en"), r"competences\[1\]: .name. has no"),
        (lambda d: d["domains"][2].pop("name"), r"domains\[2\]: 'name' must map locales"),
        (lambda d: d["domains"][0]["competences"].append(d["domains"][0]["competences"][0]), "appears twice"),
        (lambda d: d.pop("domains"), "expected a mapping with a 'domains' list"),
    ],
)
def test_malformed_referentials_are_refused_with_the_entry_named(mutate, message):
    doc = copy.deepcopy(_document())
    mutate(doc)
    with pytest.raises(ReferentialError, match=message):
        parse_referential(doc)


def test_invalid_yaml_is_refused():
    with pytest.raises(ReferentialError, match="not valid YAML"):
        parse_referential("domains: [unclosed")
