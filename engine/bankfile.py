"""Reading the item bank's YAML files into immutable objects (format: ``resources/bank/README.md``).

One document per competence declares its tubes and skills (the explicit competence → tube → skill
hierarchy) and its challenges, each naming a declared skill. :func:`read_bank` collects every
problem it finds, each message naming the file, the challenge (or tube) and the field;
:func:`load_bank` is the strict form for callers that need a usable bank. The engine does no file
I/O: callers pass ``{file name: YAML text}``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from engine.bank import CHALLENGE_TYPES, Challenge
from engine.config import COMPETENCE_CODES, INTERVAL_COUNT
from engine.errors import BankError
from engine.validation import KNOWN_TOLERANCES

LOCALES = frozenset({"fr-fr", "fr", "en"})
CONTENT_STATUSES = frozenset({"validé", "proposé", "archivé", "périmé"})
PROVISIONAL = "provisional"

#: Fields every challenge must state explicitly (spec §3); the others have defaults.
REQUIRED = (
    "id", "skill", "type", "statement", "proposals", "solution", "focused", "timer", "attachments",
    "accessibility1", "accessibility2", "locale", "status", "discriminant", "difficulty", "calibration",
)  # fmt: skip
OPTIONAL = ("tolerances", "format", "embed", "verify", "tube", "competence")

_TUBE_ID = re.compile(r"@[A-Za-z][A-Za-z0-9]*")


class BankFormatError(BankError):
    """The bank has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  {p}" for p in self.problems[:20])
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the item bank:\n{shown}{more}")


@dataclass(frozen=True)
class Skill:
    """A tube at one level (1-8)."""

    id: str
    tube: str
    competence: str
    level: int


@dataclass(frozen=True)
class Tube:
    """A family of skills of increasing level on one topic, inside one competence."""

    id: str
    title: str
    competence: str
    skills: tuple[Skill, ...]


@dataclass(frozen=True)
class BankEntry:
    """A challenge with the bank metadata the engine does not use for selection."""

    challenge: Challenge
    file: str
    calibration: str
    verify: tuple[Mapping[str, Any], ...] = ()

    @property
    def provisional(self) -> bool:
        """True until a calibration run has set the 2PL parameters."""
        return self.calibration == PROVISIONAL


@dataclass(frozen=True)
class Bank:
    """Every tube and challenge of a bank, in file order."""

    tubes: tuple[Tube, ...]
    entries: tuple[BankEntry, ...]
    skills: Mapping[str, Skill] = field(default_factory=dict)

    @property
    def challenges(self) -> tuple[Challenge, ...]:
        """The challenges, ready for :class:`engine.bank.Pool`."""
        return tuple(e.challenge for e in self.entries)


class _Reader:
    """Collects problems while reading one file."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.file}: {where}: {message}")

    def value(self, raw: Mapping, key: str, where: str, kinds: tuple[type, ...], default: Any = None) -> Any:
        if key not in raw:
            if key in REQUIRED:
                self.problem(where, f"{key}: missing")
            return default
        value = raw[key]
        if value is None and type(None) in kinds:
            return None
        if isinstance(value, bool) and bool not in kinds:
            self.problem(where, f"{key}: expected {' or '.join(k.__name__ for k in kinds)}, got {value!r}")
            return default
        if not isinstance(value, kinds):
            self.problem(where, f"{key}: expected {' or '.join(k.__name__ for k in kinds)}, got {value!r}")
            return default
        return value


def _read_tubes(reader: _Reader, doc: Mapping, competence: str, skills: dict[str, Skill], tube_ids: set[str]):
    tubes = []
    raw_tubes = doc.get("tubes")
    if not isinstance(raw_tubes, list) or not raw_tubes:
        reader.problem("tubes", "expected a non-empty list of tubes")
        return tubes
    for i, raw in enumerate(raw_tubes):
        tid = raw.get("id") if isinstance(raw, Mapping) else None
        where = f"tube {tid}" if isinstance(tid, str) else f"tubes[{i}]"
        if not isinstance(tid, str) or not _TUBE_ID.fullmatch(tid):
            reader.problem(where, f"id: expected '@' followed by letters and digits, got {tid!r}")
            continue
        if tid in tube_ids:
            reader.problem(where, "id: duplicate tube id")
            continue
        tube_ids.add(tid)
        title = reader.value(raw, "title", where, (str,), default="")
        tube_skills, last_level = [], 0
        for j, s in enumerate(raw.get("skills") or []):
            sid = s.get("id") if isinstance(s, Mapping) else None
            level = s.get("level") if isinstance(s, Mapping) else None
            swhere = f"{where}: skill {sid}" if isinstance(sid, str) else f"{where}: skills[{j}]"
            if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= INTERVAL_COUNT:
                reader.problem(swhere, f"level: expected an integer 1-{INTERVAL_COUNT}, got {level!r}")
                continue
            if sid != f"{tid}{level}":
                reader.problem(swhere, f"id: expected {tid}{level!s} (tube id + level)")
                continue
            if sid in skills:
                reader.problem(swhere, "id: duplicate skill id")
                continue
            if level <= last_level:
                reader.problem(swhere, "level: skill levels of a tube must strictly increase")
            last_level = level
            skill = Skill(sid, tid, competence, level)
            skills[sid] = skill
            tube_skills.append(skill)
        if not tube_skills:
            reader.problem(where, "skills: a tube needs at least one skill")
        tubes.append(Tube(tid, title or "", competence, tuple(tube_skills)))
    return tubes


def _read_challenge(reader: _Reader, raw: Any, index: int, skills: Mapping[str, Skill]) -> BankEntry | None:
    if not isinstance(raw, Mapping):
        reader.problem(f"challenges[{index}]", "expected a mapping")
        return None
    cid = raw.get("id")
    where = f"challenge {cid}" if isinstance(cid, str) and cid else f"challenges[{index}]"
    before = len(reader.problems)
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        reader.problem(where, f"unknown field(s) {unknown}")
    v = reader.value
    skill_id = v(raw, "skill", where, (str,))
    skill = skills.get(skill_id) if skill_id else None
    if skill_id and skill is None:
        reader.problem(where, f"skill: unknown skill {skill_id!r} (not declared in any tube)")
    if skill is not None:
        for key, expected in (("tube", skill.tube), ("competence", skill.competence)):
            if key in raw and raw[key] != expected:
                reader.problem(where, f"{key}: {raw[key]!r} contradicts skill {skill_id} ({expected!r})")
    kind = v(raw, "type", where, (str,))
    if kind is not None and kind not in CHALLENGE_TYPES:
        reader.problem(where, f"type: {kind!r} is not one of {list(CHALLENGE_TYPES)}")
    for key in ("statement", "solution"):
        text = v(raw, key, where, (str,))
        if text is not None and not text.strip():
            reader.problem(where, f"{key}: empty")
    proposals = v(raw, "proposals", where, (str,), default="")
    tolerances = v(raw, "tolerances", where, (list,), default=["t1", "t2", "t3"])
    if tolerances is not None and not set(map(str, tolerances)) <= KNOWN_TOLERANCES:
        reader.problem(where, f"tolerances: {tolerances} not among t1, t2, t3")
    fmt = v(raw, "format", where, (str, type(None)))
    focused = v(raw, "focused", where, (bool,), default=False)
    timer = v(raw, "timer", where, (int, type(None)))
    if timer is not None and timer <= 0:
        reader.problem(where, f"timer: expected a positive number of seconds or null, got {timer}")
    attachments = v(raw, "attachments", where, (list,), default=[]) or []
    if not all(isinstance(a, str) and a for a in attachments):
        reader.problem(where, f"attachments: expected a list of file paths, got {attachments!r}")
    embed = v(raw, "embed", where, (dict, type(None)))
    access = [v(raw, k, where, (str,), default="OK") for k in ("accessibility1", "accessibility2")]
    locale = v(raw, "locale", where, (list,), default=[]) or []
    if not locale or not set(locale) <= LOCALES:
        reader.problem(where, f"locale: expected a non-empty list among {sorted(LOCALES)}, got {locale!r}")
    status = v(raw, "status", where, (str,))
    if status is not None and status not in CONTENT_STATUSES:
        reader.problem(where, f"status: {status!r} is not one of {sorted(CONTENT_STATUSES)}")
    params = {}
    for key in ("discriminant", "difficulty"):
        value = v(raw, key, where, (int, float, type(None)))
        if value is not None and not math.isfinite(value):
            reader.problem(where, f"{key}: must be finite, got {value}")
            value = None
        params[key] = None if value is None else float(value)
    calibration = v(raw, "calibration", where, (str,), default=PROVISIONAL)
    verify = v(raw, "verify", where, (list,), default=[]) or []
    if not all(isinstance(check, Mapping) for check in verify):
        reader.problem(where, "verify: expected a list of mappings")
    if len(reader.problems) > before or skill is None:
        return None
    challenge = Challenge(
        id=cid,
        skill=skill.id,
        tube=skill.tube,
        competence=skill.competence,
        discriminant=params["discriminant"],
        difficulty=params["difficulty"],
        type=kind,
        status=status,
        locale=tuple(locale),
        accessibility1=access[0],
        accessibility2=access[1],
        focused=focused,
        timer=timer,
        level=skill.level,
        statement=raw["statement"],
        proposals=proposals,
        solution=raw["solution"],
        tolerances=frozenset(map(str, tolerances)),
        format=fmt,
        attachments=tuple(attachments),
        embed=embed,
    )
    return BankEntry(challenge, reader.file, calibration, tuple(verify))


def read_bank(documents: Mapping[str, str]) -> tuple[Bank, list[str]]:
    """Read every competence document; return the bank and the problems found.

    Parameters
    ----------
    documents : mapping of str to str
        File name (``1.1.yaml`` ...) → YAML text. The competence of a document must match its
        file name.

    Returns
    -------
    (Bank, list of str)
        Challenges with problems are left out of the bank; every problem names the file, the
        challenge or tube, and the field.
    """
    problems: list[str] = []
    skills: dict[str, Skill] = {}
    tube_ids: set[str] = set()
    tubes, entries, seen = [], [], {}
    for name in sorted(documents):
        reader = _Reader(name, problems)
        try:
            doc = yaml.safe_load(documents[name])
        except yaml.YAMLError as exc:
            reader.problem("file", f"not valid YAML: {exc}")
            continue
        if not isinstance(doc, Mapping):
            reader.problem("file", "expected a mapping with 'competence', 'tubes' and 'challenges'")
            continue
        competence = str(doc.get("competence", ""))
        if competence not in COMPETENCE_CODES:
            reader.problem("competence", f"unknown competence {competence!r}")
            continue
        if name.rsplit("/", 1)[-1] != f"{competence}.yaml":
            reader.problem("competence", f"competence {competence} must be in a file named {competence}.yaml")
        tubes.extend(_read_tubes(reader, doc, competence, skills, tube_ids))
        raw_challenges = doc.get("challenges")
        if not isinstance(raw_challenges, list):
            reader.problem("challenges", "expected a list of challenges")
            continue
        for i, raw in enumerate(raw_challenges):
            entry = _read_challenge(reader, raw, i, skills)
            if entry is None:
                continue
            cid = entry.challenge.id
            if cid in seen:
                reader.problem(f"challenge {cid}", f"id: duplicate challenge id (also in {seen[cid]})")
                continue
            seen[cid] = name
            entries.append(entry)
    return Bank(tuple(tubes), tuple(entries), dict(skills)), problems


def load_bank(documents: Mapping[str, str]) -> Bank:
    """Like :func:`read_bank`, but any problem raises.

    Raises
    ------
    BankFormatError
        Listing every problem found.
    """
    bank, problems = read_bank(documents)
    if problems:
        raise BankFormatError(problems)
    return bank
