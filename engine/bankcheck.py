"""The bank checker behind ``cadenas bank check`` (issue 4, ``resources/bank/README.md``).

Beyond the schema (:mod:`engine.bankfile`), it checks that every solution is accepted by its own
validator, that proposals and solutions agree (option numbers, template fields, drop-down
choices), that provisional parameters sit in their level's capacity cell, that attachments exist
and really hold the answer (``verify`` checks), and it reports the coverage of the bank. Files are
read through an injected ``read_attachment(relative_path) -> bytes``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml

from engine.attachments import AttachmentError, csv_rows, extract_text, png_text, zip_member
from engine.bank import Challenge, Pool
from engine.bankfile import Bank, BankEntry, read_bank
from engine.config import COMPETENCE_CODES, DEFAULT_GLOBAL_BOUNDS, skill_level_cell
from engine.validation import (
    ValidationError,
    as_number,
    check,
    evaluate,
    proposal_options,
    solution_lines,
    t1,
    template_fields,
)

ReadAttachment = Callable[[str], bytes]

_STATS = ("mean", "sum", "min", "max", "count")


@dataclass
class BankReport:
    """What the checker found: counts, errors (the bank is unusable) and warnings (coverage)."""

    challenges: int
    errors: list[str]
    warnings: list[str]
    coverage: dict[str, dict[str, int]]
    summary: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The JSON form printed by ``cadenas bank check --json``."""
        return {
            "challenges": self.challenges,
            "errors": self.errors,
            "warnings": self.warnings,
            "coverage": self.coverage,
            "summary": self.summary,
        }


def canonical_answer(challenge: Challenge) -> str:
    """The answer a candidate types when giving the first accepted solution of every field.

    Raises
    ------
    ValidationError
        A QROCM solution that is not a YAML mapping.
    """
    if challenge.type in ("QCU", "QCM"):
        return challenge.solution
    if challenge.type == "QROC":
        lines = solution_lines(challenge.solution)
        return lines[0] if lines else ""
    solution = _solution_mapping(challenge)
    firsts = [v[0] if isinstance(v, list) else v for v in solution.values()]
    if challenge.type == "QROCM-ind":
        return yaml.safe_dump(dict(zip(solution, firsts, strict=True)), allow_unicode=True)
    keys = [f.key for f in template_fields(challenge.proposals)] or list(solution)
    return yaml.safe_dump(dict(zip(keys, firsts, strict=False)), allow_unicode=True)


def _solution_mapping(challenge: Challenge) -> dict:
    try:
        data = yaml.load(challenge.solution, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        raise ValidationError(f"solution: not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict) or not data:
        raise ValidationError("solution: expected a non-empty mapping of field keys")
    return data


def _first_answers(challenge: Challenge, key: str | None = None) -> list[str]:
    """First accepted answer of each field (or of field ``key`` only)."""
    if challenge.type in ("QROCM-ind", "QROCM-dep"):
        solution = _solution_mapping(challenge)
        if key is not None:
            if key not in solution:
                raise ValidationError(f"field {key!r} is not in the solution")
            solution = {key: solution[key]}
        return [v[0] if isinstance(v, list) else v for v in solution.values()]
    return [canonical_answer(challenge)]


def _structure_problems(c: Challenge) -> list[str]:
    problems = []
    if c.type in ("QCU", "QCM"):
        count = len(proposal_options(c.proposals))
        if count < 2:
            problems.append(f"proposals: a {c.type} needs at least 2 options ('- ' lines), found {count}")
        numbers = [p.strip() for p in c.solution.split(",")]
        if c.type == "QCU" and len(numbers) != 1:
            problems.append("solution: a QCU has exactly one right option")
        for n in numbers:
            if not n.isdigit() or not 1 <= int(n) <= count:
                problems.append(f"solution: {n!r} is not an option number 1-{count}")
        if len(set(numbers)) != len(numbers):
            problems.append("solution: an option number appears twice")
        return problems
    fields = template_fields(c.proposals)
    keys = [f.key for f in fields]
    if len(set(keys)) != len(keys):
        problems.append(f"proposals: a field key appears twice in {keys}")
    if c.type == "QROC":
        if len(fields) != 1:
            problems.append(f"proposals: a QROC has exactly one {{{{field}}}}, found {len(fields)}")
        elif fields[0].is_select:
            bad = [s for s in solution_lines(c.solution) if s not in fields[0].choices]
            if bad:
                problems.append(f"solution: {bad} not among the drop-down choices {list(fields[0].choices)}")
        if c.format == "nombre" and any(as_number(s) is None for s in solution_lines(c.solution)):
            problems.append("solution: format 'nombre' but an accepted answer is not a number")
        return problems
    if len(fields) < 2:
        problems.append(f"proposals: a {c.type} needs at least two {{{{fields}}}}, found {len(fields)}")
    solution = _solution_mapping(c)
    if c.type == "QROCM-ind":
        if set(solution) != set(keys):
            problems.append(f"solution: keys {sorted(solution)} differ from the template fields {sorted(keys)}")
        for f in fields:
            accepted = solution.get(f.key, [])
            accepted = accepted if isinstance(accepted, list) else [accepted]
            if f.is_select and not set(accepted) <= set(f.choices):
                problems.append(f"solution: {f.key}: {accepted} not among the drop-down choices {list(f.choices)}")
    elif len(solution) < len(fields):
        problems.append(f"solution: {len(solution)} groups for {len(fields)} fields: some field can never match")
    return problems


def _safe_path(path: str) -> bool:
    p = PurePosixPath(path)
    return not p.is_absolute() and ".." not in p.parts and "\\" not in path


def _csv_value(check_: Mapping, data: bytes) -> str:
    stat = check_.get("stat", "mean")
    if stat not in _STATS:
        raise AttachmentError(f"stat: {stat!r} is not one of {list(_STATS)}")
    rows = csv_rows(check_["file"], data)
    where = check_.get("where") or {}
    selected = [r for r in rows if all(str(r.get(k, "")).strip() == str(v) for k, v in where.items())]
    if stat == "count":
        return str(len(selected))
    column = check_.get("column")
    if not rows or column not in rows[0]:
        raise AttachmentError(f"column {column!r} not in the CSV header")
    values = [as_number(r[column]) for r in selected]
    if not values or any(v is None for v in values):
        raise AttachmentError(f"column {column!r}: no rows selected, or a value that is not a number")
    total = {"mean": sum(values) / len(values), "sum": sum(values), "min": min(values), "max": max(values)}[stat]
    rounded = round(total, int(check_.get("decimals", 2)))
    return str(int(rounded)) if float(rounded).is_integer() else repr(rounded)


def _verify(entry: BankEntry, check_: Mapping, read: ReadAttachment) -> str | None:
    """Run one ``verify`` check; return a problem message or None."""
    c = entry.challenge
    kind, path = check_.get("kind"), check_.get("file")
    if not isinstance(path, str) or path not in c.attachments:
        return f"verify: file {path!r} is not one of the challenge's attachments"
    try:
        data = read(path)
        if kind == "csv":
            value = _csv_value(check_, data)
            status = check(c.type, c.solution, value, tolerances=c.tolerances, format=c.format)
            return None if status == "ok" else f"verify: the file gives {value}, which the solution refuses"
        if kind == "png_text":
            found = png_text(path, data).get(str(check_.get("key")), "")
        elif kind == "zip_member":
            member = str(check_.get("member"))
            found = member + "\n" + extract_text(member, zip_member(path, data, member))
        elif kind == "contains":
            found = extract_text(path, data)
        else:
            return f"verify: unknown kind {kind!r} (csv, contains, png_text, zip_member)"
    except (AttachmentError, ValidationError) as exc:
        return f"verify: {exc}"
    except OSError as exc:
        return f"verify: cannot read {path}: {exc.strerror or exc}"
    try:
        targets = [str(check_["text"])] if "text" in check_ else _first_answers(c, check_.get("field"))
    except ValidationError as exc:
        return None if "field" not in check_ else f"verify: {exc}"  # a broken solution is reported apart
    missing = [t for t in targets if t1(t) not in t1(found)]
    return f"verify: {path} does not contain {missing}" if missing else None


def _check_entry(entry: BankEntry, read: ReadAttachment, bounds) -> list[str]:
    c = entry.challenge
    problems = []
    try:
        problems += _structure_problems(c)
        if not problems:
            answer = canonical_answer(c)
            status = evaluate(c, answer).status
            if status != "ok":
                problems.append(f"solution: its own first answer {answer.strip()!r} is judged {status!r}")
    except ValidationError as exc:
        problems.append(str(exc).removeprefix(f"challenge {c.id}: "))
    if entry.provisional:
        lo, hi = skill_level_cell(c.level, bounds)
        if not lo <= c.difficulty < hi:
            problems.append(f"difficulty: {c.difficulty} is outside the level {c.level} cell [{lo}, {hi})")
        if not 0 < c.discriminant <= 4:
            problems.append(f"discriminant: {c.discriminant} is outside (0, 4] for a provisional parameter")
    for path in c.attachments:
        if not _safe_path(path):
            problems.append(f"attachments: {path!r} must be a relative path inside files/")
            continue
        try:
            read(path)
        except OSError:
            problems.append(f"attachments: {path} is missing")
    if c.attachments and not entry.verify:
        problems.append("verify: a challenge with attachments needs a check that its answer is in the file")
    for check_ in entry.verify:
        if (problem := _verify(entry, check_, read)) is not None:
            problems.append(problem)
    return [f"{entry.file}: challenge {c.id}: {p}" for p in problems]


def _coverage(bank: Bank) -> tuple[dict[str, dict[str, int]], dict[str, Any], list[str]]:
    coverage = {code: {str(level): 0 for level in range(1, 9)} for code in COMPETENCE_CODES}
    for c in bank.challenges:
        coverage[c.competence][str(c.level)] += 1
    entries = bank.entries
    n = max(len(entries), 1)
    types = Counter(e.challenge.type for e in entries)
    free_text = sum(types[t] for t in ("QROC", "QROCM-ind", "QROCM-dep"))
    focused = sum(e.challenge.focused for e in entries)
    with_files = sum(bool(e.challenge.attachments) and not e.challenge.focused for e in entries)
    summary = {
        "types": dict(sorted(types.items())),
        "free_text_share": free_text / n,
        "focused_share": focused / n,
        "free_mode_with_attachment_share": with_files / n,
        "timed": sum(e.challenge.timer is not None for e in entries),
        "accessible_share": sum(e.challenge.accessible for e in entries) / n,
        "provisional": sum(e.provisional for e in entries),
        "tubes": len(bank.tubes),
        "skills_with_variants": sum(1 for v in Counter(e.challenge.skill for e in entries).values() if v > 1),
    }
    warnings = []
    tubes_per = Counter(t.competence for t in bank.tubes)
    for code in COMPETENCE_CODES:
        if tubes_per[code] < 3:
            warnings.append(f"competence {code}: {tubes_per[code]} tube(s), fewer than 3")
        empty = [lvl for lvl in range(1, 7) if not coverage[code][str(lvl)]]
        if empty:
            warnings.append(f"competence {code}: no challenge at level(s) {empty}")
    return coverage, summary, warnings


def check_bank(
    documents: Mapping[str, str],
    read_attachment: ReadAttachment,
    *,
    bounds=DEFAULT_GLOBAL_BOUNDS,
) -> BankReport:
    """Check a bank: schema, solutions, parameters, attachments, coverage.

    Parameters
    ----------
    documents : mapping of str to str
        Competence file name → YAML text.
    read_attachment : callable
        ``read_attachment("1.3/notes.csv") -> bytes``; raises ``OSError`` when missing.
    bounds : sequence of float
        Global scoring bounds that define the level cells (the version's).

    Returns
    -------
    BankReport
        ``errors`` is empty when the bank is usable.
    """
    bank, errors = read_bank(documents)
    for entry in bank.entries:
        errors.extend(_check_entry(entry, read_attachment, bounds))
    coverage, summary, warnings = _coverage(bank)
    for locale in ("fr", "en"):
        pool = Pool(bank.challenges, locale=locale)
        if locale == "en" and not len(pool):
            continue  # no English content yet: nothing to draw, nothing to warn about per competence
        for accessibility in (False, True):
            warnings += [f"locale {locale}: {m}" for m in pool.shortfalls(accessibility=accessibility)]
    return BankReport(len(bank.entries), errors, warnings, coverage, summary)
