"""The referential: 5 domains and 16 competences with their labels (spec §2.2).

Labels are data (``resources/referential.yaml``), read here into immutable objects. The engine
does no file I/O: callers pass the YAML text (or the parsed document).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import yaml

from engine.config import COMPETENCE_CODES
from engine.errors import BankError

LOCALES = ("fr", "en")


class ReferentialError(BankError):
    """The referential document is malformed; the message names the entry."""


@dataclass(frozen=True)
class Competence:
    """One of the 16 competences, with its labels per locale."""

    code: str
    domain: str
    name: Mapping[str, str]
    description: Mapping[str, str]

    def label(self, locale: str = "fr") -> str:
        """The competence's name in ``locale`` (``fr-fr`` falls back to ``fr``)."""
        return self.name.get(locale) or self.name[locale.split("-")[0]]


@dataclass(frozen=True)
class Domain:
    """One of the 5 domains and its competences, in referential order."""

    code: str
    name: Mapping[str, str]
    competences: tuple[Competence, ...]


@dataclass(frozen=True)
class Referential:
    """The whole referential, in order; ``competences`` maps a code to its competence."""

    domains: tuple[Domain, ...]
    competences: Mapping[str, Competence]


def _labels(entry: Mapping[str, Any], key: str, where: str) -> Mapping[str, str]:
    labels = entry.get(key)
    if not isinstance(labels, Mapping):
        raise ReferentialError(f"{where}: '{key}' must map locales ({', '.join(LOCALES)}) to texts")
    missing = [loc for loc in LOCALES if not isinstance(labels.get(loc), str) or not labels[loc].strip()]
    if missing:
        raise ReferentialError(f"{where}: '{key}' has no text for locale(s) {missing}")
    return MappingProxyType({str(k): str(v) for k, v in labels.items()})


def parse_referential(document: str | Mapping[str, Any]) -> Referential:
    """Read the referential from its YAML text (or parsed mapping).

    Raises
    ------
    ReferentialError
        Invalid YAML, a missing label, a competence outside its domain, or a set of competence
        codes other than the 16 of spec §2.2.
    """
    if isinstance(document, str):
        try:
            document = yaml.safe_load(document)
        except yaml.YAMLError as exc:
            raise ReferentialError(f"referential: not valid YAML ({exc})") from exc
    if not isinstance(document, Mapping) or not isinstance(document.get("domains"), list):
        raise ReferentialError("referential: expected a mapping with a 'domains' list")
    domains, competences = [], {}
    for i, d in enumerate(document["domains"]):
        where = f"domains[{i}]"
        if not isinstance(d, Mapping) or not isinstance(d.get("competences"), list):
            raise ReferentialError(f"{where}: expected 'code', 'name' and a 'competences' list")
        code = str(d.get("code", ""))
        comps = []
        for j, c in enumerate(d["competences"]):
            cwhere = f"{where}.competences[{j}]"
            ccode = str(c.get("code", "")) if isinstance(c, Mapping) else ""
            if ccode.split(".")[0] != code:
                raise ReferentialError(f"{cwhere}: competence {ccode!r} is not in domain {code!r}")
            if ccode in competences:
                raise ReferentialError(f"{cwhere}: competence {ccode!r} appears twice")
            comp = Competence(ccode, code, _labels(c, "name", cwhere), _labels(c, "description", cwhere))
            competences[ccode] = comp
            comps.append(comp)
        domains.append(Domain(code, _labels(d, "name", where), tuple(comps)))
    if set(competences) != set(COMPETENCE_CODES):
        raise ReferentialError(
            f"referential: expected the 16 competences {list(COMPETENCE_CODES)}, got {sorted(competences)}"
        )
    return Referential(tuple(domains), MappingProxyType(competences))
