"""Answer validation for the five challenge types (spec §7).

:func:`check` is the raw contract (kind, stored solution, candidate answer → status string);
:func:`evaluate` is the server's entry point for a :class:`~engine.bank.Challenge`: it knows the
challenge's drop-down fields, tolerances and format, applies the timed-out and focused-out rules
(§7.2) and returns per-field details for QROCM.

Free-text answers are compared after the tolerances of §7.3: t1 (case, accents, white space),
t2 (punctuation), t3 (Levenshtein distance / answer length ≤ 0.25). Drop-down fields are compared
exactly. Malformed stored data or answers raise :class:`ValidationError`, never a silent ``ko``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import yaml

from engine.errors import EngineError

#: Value sent by the candidate page when a question is skipped ("Je passe").
SKIP = "#ABAND#"

#: Every status an answer can get (spec §7.1). Only ``ok`` is a success.
STATUSES = ("ok", "ko", "aband", "timedout", "focusedOut", "partially", "unimplemented")

DEFAULT_TOLERANCES = ("t1", "t2", "t3")
KNOWN_TOLERANCES = frozenset(DEFAULT_TOLERANCES)

#: A template field: ``{{key}}`` (free text) or ``{{key: choice A | choice B}}`` (drop-down).
FIELD_PATTERN = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*(?::([^}]*))?\}\}")

_T3_RATIO = 0.25


class ValidationError(ValueError, EngineError):
    """Stored solution or candidate answer cannot be validated; the message names the field."""


@dataclass(frozen=True, slots=True)
class Field:
    """One input of a QROC/QROCM template."""

    key: str
    choices: tuple[str, ...] = ()

    @property
    def is_select(self) -> bool:
        """True for a drop-down list (exact match, no tolerance; spec §7.3 rule 3)."""
        return bool(self.choices)


@dataclass(frozen=True)
class Evaluation:
    """Status of an answer and, for QROCM, whether each field matched."""

    status: str
    details: dict[str, bool] = field(default_factory=dict)


def template_fields(proposals: str) -> tuple[Field, ...]:
    """The fields of a QROC/QROCM template, in order of appearance."""
    out = []
    for match in FIELD_PATTERN.finditer(proposals):
        choices = tuple(c.strip() for c in match.group(2).split("|")) if match.group(2) is not None else ()
        out.append(Field(match.group(1), tuple(c for c in choices if c)))
    return tuple(out)


def proposal_options(proposals: str) -> tuple[str, ...]:
    """The options of a QCU/QCM, one per Markdown list line (``- option``), numbered from 1."""
    return tuple(line.strip()[2:].strip() for line in proposals.splitlines() if line.strip().startswith("- "))


# --- treatments (spec §7.3) ---------------------------------------------------------------------


def pretreat(value: str) -> str:
    """Unicode NFC, then non-breaking spaces (U+00A0) become spaces."""
    return unicodedata.normalize("NFC", value).replace("\u00a0", " ")


def t1(value: str) -> str:
    """Trim, lower-case, strip accents (NFD, drop U+0300-U+036F), remove all white space."""
    decomposed = unicodedata.normalize("NFD", value.strip().lower())
    no_marks = "".join(ch for ch in decomposed if not "\u0300" <= ch <= "\u036f")
    return "".join(no_marks.split())


_NOT_ALNUM_SPACE = re.compile(r"[^a-zA-Z0-9 ]")
_SPACES = re.compile(r" {2,}")


def t2(value: str) -> str:
    """Remove every character outside ``[a-zA-Z0-9 ]`` and collapse runs of spaces."""
    return _SPACES.sub(" ", _NOT_ALNUM_SPACE.sub("", value))


def treat(value: str, tolerances: Iterable[str]) -> str:
    """Apply t1 then t2 when enabled (spec §7.3 rule 1)."""
    tol = set(tolerances)
    if "t1" in tol:
        value = t1(value)
    if "t2" in tol:
        value = t2(value)
    return value


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions) between two strings."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def matches(value: str, solutions: Sequence[str], tolerances: Iterable[str]) -> bool:
    """Whether ``value`` matches one of ``solutions`` under the tolerances (spec §7.3)."""
    tol = set(tolerances)
    treated = treat(pretreat(value), tol)
    candidates = [treat(pretreat(s), tol) for s in solutions]
    if treated in candidates:
        return True
    if "t3" in tol and candidates:
        if treated == "":
            return "" in candidates
        return min(levenshtein(treated, s) for s in candidates) / len(treated) <= _T3_RATIO
    return False


# --- per type ---------------------------------------------------------------------------------


def _check_tolerances(tolerances: Iterable[str]) -> tuple[str, ...]:
    tol = tuple(tolerances)
    unknown = sorted(set(tol) - KNOWN_TOLERANCES)
    if unknown:
        raise ValidationError(f"tolerances: unknown {unknown}, expected among t1, t2, t3")
    return tol


def solution_lines(solution: str) -> list[str]:
    """QROC accepted answers: one per line, a trailing carriage return dropped, blank lines ignored."""
    return [line.rstrip("\r") for line in solution.split("\n") if line.strip()]


def as_number(text: str) -> float | None:
    """The number in ``text`` (one decimal comma allowed), or None if it is not a finite number."""
    cleaned = text.strip()
    if cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _qroc(solution: str, answer: str, tolerances: Sequence[str], fmt: str | None) -> bool:
    solutions = solution_lines(solution)
    if not solutions:
        raise ValidationError("solution: a QROC needs at least one accepted answer")
    if fmt == "nombre":
        number = as_number(answer)
        numbers = [as_number(s) for s in solutions]
        if number is not None and all(n is not None for n in numbers):
            return number in numbers
    return matches(answer, solutions, tolerances)


def _mapping(text: str, what: str) -> dict[str, str | list]:
    try:
        data = yaml.load(text, Loader=yaml.BaseLoader)  # every scalar stays a string (§7.7)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{what}: not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict) or not data:
        raise ValidationError(f"{what}: expected a non-empty mapping of field keys, got {type(data).__name__}")
    return data


def _variants(solution: Mapping, key: str) -> list[str]:
    entry = solution[key]
    if isinstance(entry, dict):
        raise ValidationError(f"solution: entry {key!r} must be a text or a list of texts")
    values = entry if isinstance(entry, list) else [entry]
    for v in values:
        if not isinstance(v, str):
            raise ValidationError(f"solution: entry {key!r} holds a nested list or mapping")
    return values


def _answer_values(answer: Mapping, keys: Iterable[str] | None) -> dict[str, str]:
    for key, value in answer.items():
        if not isinstance(value, str):
            raise ValidationError(f"answer: field {key!r} must be a text, got {type(value).__name__}")
    if keys is None:
        return dict(answer)
    return {key: answer.get(key, "") for key in keys}


def _field_matches(value: str, accepted: Sequence[str], field_: Field | None, tolerances: Sequence[str]) -> bool:
    if field_ is not None and field_.is_select:
        return pretreat(value) in [pretreat(a) for a in accepted]
    return matches(value, accepted, tolerances)


def _qrocm_ind(
    solution: str, answer: str, tolerances: Sequence[str], fields: Sequence[Field]
) -> tuple[bool, dict[str, bool]]:
    sol = _mapping(solution, "solution")
    given = _answer_values(_mapping(answer, "answer"), None)
    by_key = {f.key: f for f in fields}
    details = {key: _field_matches(given.get(key, ""), _variants(sol, key), by_key.get(key), tolerances) for key in sol}
    return all(details.values()), details


def _qrocm_dep(
    solution: str, answer: str, tolerances: Sequence[str], fields: Sequence[Field]
) -> tuple[bool, dict[str, bool]]:
    sol = _mapping(solution, "solution")
    raw = _mapping(answer, "answer")
    given = _answer_values(raw, [f.key for f in fields] if fields else None)
    by_key = {f.key: f for f in fields}
    free = list(sol)
    details: dict[str, bool] = {}
    for key, value in given.items():
        group = next((g for g in free if _field_matches(value, _variants(sol, g), by_key.get(key), tolerances)), None)
        details[key] = group is not None
        if group is not None:
            free.remove(group)
    return bool(details) and all(details.values()), details


def _validate(
    kind: str, solution: str, answer: str, tolerances: Sequence[str], fmt: str | None, fields: Sequence[Field]
) -> Evaluation:
    if not isinstance(answer, str) or not isinstance(solution, str):
        raise ValidationError("solution and answer must be texts")
    if answer == SKIP:
        return Evaluation("aband")
    if kind == "QCU":
        return Evaluation("ok" if answer == solution else "ko")
    if kind == "QCM":
        ok = {p.strip() for p in answer.split(",")} == {p.strip() for p in solution.split(",")}
        return Evaluation("ok" if ok else "ko")
    if kind == "QROC":
        return Evaluation("ok" if _qroc(solution, answer, tolerances, fmt) else "ko")
    if kind == "QROCM-ind":
        ok, details = _qrocm_ind(solution, answer, tolerances, fields)
        return Evaluation("ok" if ok else "ko", details)
    if kind == "QROCM-dep":
        ok, details = _qrocm_dep(solution, answer, tolerances, fields)
        return Evaluation("ok" if ok else "ko", details)
    return Evaluation("unimplemented")


def check(
    kind: str,
    solution: str,
    answer: str,
    *,
    tolerances: Iterable[str] = DEFAULT_TOLERANCES,
    format: str | None = None,  # the spec's field name, kept for the public contract
) -> str:
    """Status of ``answer`` against a stored ``solution`` (spec §7.2-§7.7).

    Parameters
    ----------
    kind : str
        ``QCU``, ``QCM``, ``QROC``, ``QROCM-ind`` or ``QROCM-dep``; any other kind gives
        ``unimplemented``.
    solution : str
        The solution as stored in the bank.
    answer : str
        The value sent by the candidate page; ``#ABAND#`` is a skip (``aband``).
    tolerances : iterable of str
        Enabled tolerances among ``t1``, ``t2``, ``t3``.
    format : str or None
        ``nombre`` compares numeric QROC answers as numbers.

    Returns
    -------
    str
        ``ok``, ``ko``, ``aband`` or ``unimplemented``. Without the challenge's template every
        QROCM field is treated as free text.

    Raises
    ------
    ValidationError
        A QROCM solution or answer that is not a YAML mapping, unknown tolerances, a QROC without
        any accepted answer.
    """
    return _validate(kind, solution, answer, _check_tolerances(tolerances), format, ()).status


def evaluate(challenge, value: str, *, timed_out: bool = False, focused_out: bool = False) -> Evaluation:
    """Validate an answer to ``challenge`` (a :class:`~engine.bank.Challenge`), spec §7.2.

    A correct answer becomes ``timedout`` if the challenge is timed and the time ran out, then
    ``focusedOut`` if it is focused and the focus was lost (``timedout`` first, §13 point 10).

    Raises
    ------
    ValidationError
        As :func:`check`; the message starts with the challenge id.
    """
    try:
        result = _validate(
            challenge.type,
            challenge.solution,
            value,
            _check_tolerances(challenge.tolerances),
            challenge.format,
            template_fields(challenge.proposals),
        )
    except ValidationError as exc:
        raise ValidationError(f"challenge {challenge.id}: {exc}") from exc
    if result.status == "ok" and challenge.timer is not None and timed_out:
        return Evaluation("timedout", result.details)
    if result.status == "ok" and challenge.focused and focused_out:
        return Evaluation("focusedOut", result.details)
    return result


def correct_answer(challenge) -> str | dict[str, str]:
    """A value :func:`evaluate` accepts as ``ok`` for ``challenge`` (its first solution variant).

    What a perfect candidate would send: the option number(s) of a QCU/QCM, the first accepted text
    of a QROC, the first accepted text of each field of a QROCM. Used by the demo's scripted
    candidate and by tests.
    """
    if challenge.type in ("QCU", "QCM"):
        return challenge.solution
    if challenge.type == "QROC":
        return solution_lines(challenge.solution)[0]
    solution = yaml.safe_load(challenge.solution)
    if challenge.type == "QROCM-ind":
        return {key: str(variants[0] if isinstance(variants, list) else variants) for key, variants in solution.items()}
    groups = list(solution.values())
    return {
        field.key: str(group[0] if isinstance(group, list) else group)
        for field, group in zip(template_fields(challenge.proposals), groups, strict=False)
    }
