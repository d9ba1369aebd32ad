"""Enrolment of candidates in a session: by form, by CSV import, edit and removal (spec §9.4, §9.8).

One validator, :func:`parse_candidate`, reads the text fields of the form and of a CSV row and
names every problem with its column, in French. A CSV import checks every row (and duplicates,
within the file and against the session) before adding any: a bad file imports nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import ConflictError, NotFoundError
from server.models import Candidate, CandidateToken, ExamSession, KioskDevice, KioskEvent, Organiser
from server.services.sessions import OPEN_STATUS, InvalidRequestError, is_row_id, record_audit

logger = logging.getLogger(__name__)

#: The import file's columns, in order, with the field each fills (the header names them).
COLUMNS: dict[str, str] = {
    "nom": "last_name",
    "prénom": "first_name",
    "date de naissance": "birth_date",
    "lieu de naissance": "birth_place",
    "email": "email",
    "identifiant": "external_id",
    "temps majoré": "extra_time",
    "aménagement": "accessibility",
}
LABELS = {field: column for column, field in COLUMNS.items()}
REQUIRED_COLUMNS = ("nom", "prénom", "date de naissance")
_HEADER_ALIASES = {"e-mail": "email", "courriel": "email", "mail": "email"}
_LIMITS = {"last_name": 100, "first_name": 100, "birth_place": 200, "email": 254, "external_id": 100}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_PERCENT = re.compile(r"^(\d{1,3}(?:[.,]\d+)?)\s*%?$")
MAX_ROWS = 2000


class CandidateCreate(BaseModel):
    """A candidate's enrolment, validated; ``extra_time_percentage`` is a fraction (0.3 for 30 %)."""

    last_name: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    birth_date: dt.date
    birth_place: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254)
    external_id: str = Field(default="", max_length=100)
    extra_time_percentage: float = Field(default=0.0, ge=0.0, le=1.0)
    accessibility_adjustment: bool = False


@dataclass(frozen=True)
class RowProblem:
    """One problem of an import file: its line (1 = header), the column, and why."""

    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.column} : {self.message}" if self.column else self.message
        where = f"ligne {self.line}, colonne « {self.column} »" if self.column else f"ligne {self.line}"
        return f"{where} : {self.message}"


class EnrolmentError(InvalidRequestError):
    """Bad enrolment data (a form or an import file): ``rows`` lists each problem; nothing was saved."""

    def __init__(self, rows: Iterable[RowProblem]) -> None:
        self.rows = list(rows)
        super().__init__([str(row) for row in self.rows], code="invalid_csv")


# --- one candidate's fields -------------------------------------------------------------------


def _clean(value: object) -> str:
    return " ".join(str(value or "").split())


def _birth_date(raw: str, today: dt.date) -> dt.date:
    match = _FR_DATE.match(raw)
    try:
        day = dt.date(int(match[3]), int(match[2]), int(match[1])) if match else dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"« {raw} » n'est pas une date valide (JJ/MM/AAAA ou AAAA-MM-JJ)") from exc
    if not dt.date(1900, 1, 1) <= day <= today:
        raise ValueError(f"« {raw} » n'est pas une date de naissance plausible")
    return day


def _extra_time(raw: str) -> float:
    match = _PERCENT.match(raw)
    if not match:
        raise ValueError(f"« {raw} » n'est pas un pourcentage (par exemple 30 ou 30 %)")
    percent = float(match[1].replace(",", "."))
    if percent > 100:
        raise ValueError(f"{raw} dépasse 100 %")
    return round(percent / 100, 4)


def _yes_no(raw: str) -> bool:
    value = raw.casefold()
    if value not in ("oui", "non"):
        raise ValueError(f"« {raw} » : répondez oui ou non")
    return value == "oui"


def _field_value(field: str, raw: str, today: dt.date):
    if not raw:
        if field in ("last_name", "first_name", "birth_date"):
            raise ValueError("valeur obligatoire")
        return {"extra_time": 0.0, "accessibility": False}.get(field, "")
    if field in _LIMITS and len(raw) > _LIMITS[field]:
        raise ValueError(f"{_LIMITS[field]} caractères au plus")
    if any(unicodedata.category(ch) == "Cc" for ch in raw):
        raise ValueError("caractère de contrôle interdit")
    if field == "birth_date":
        return _birth_date(raw, today)
    if field == "email" and not _EMAIL.match(raw):
        raise ValueError(f"« {raw} » n'est pas une adresse e-mail")
    if field == "extra_time":
        return _extra_time(raw)
    if field == "accessibility":
        return _yes_no(raw)
    return raw


def parse_candidate(values: Mapping[str, object], *, today: dt.date, line: int | None = None) -> CandidateCreate:
    """A :class:`CandidateCreate` from text fields keyed like :data:`COLUMNS`' values.

    ``extra_time`` is a percentage 0-100 (``30``, ``30 %``, ``12,5``), ``accessibility`` is
    ``oui``/``non`` (empty means non), ``birth_date`` is ``JJ/MM/AAAA`` or ISO.

    Raises
    ------
    EnrolmentError
        One :class:`RowProblem` per bad field, with ``line`` when given.
    """
    parsed, problems = {}, []
    for field, column in LABELS.items():
        try:
            parsed[field] = _field_value(field, _clean(values.get(field)), today)
        except ValueError as exc:
            problems.append(RowProblem(line, column, str(exc)))
    if problems:
        raise EnrolmentError(problems)
    extra, accessibility = parsed.pop("extra_time"), parsed.pop("accessibility")
    return CandidateCreate(**parsed, extra_time_percentage=extra, accessibility_adjustment=accessibility)


def _identity(candidate: CandidateCreate | Candidate) -> tuple[str, str, dt.date]:
    return candidate.last_name.casefold(), candidate.first_name.casefold(), candidate.birth_date


# --- CSV --------------------------------------------------------------------------------------


def _header_key(cell: str) -> str:
    plain = unicodedata.normalize("NFD", _clean(cell).casefold())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return _HEADER_ALIASES.get(plain, plain)


_KNOWN_HEADERS = {_header_key(column): column for column in COLUMNS}


def _read_header(cells: list[str]) -> tuple[list[str | None], list[RowProblem]]:
    columns: list[str | None] = []
    problems = []
    for cell in cells:
        column = _KNOWN_HEADERS.get(_header_key(cell))
        if column is None and cell.strip():
            problems.append(RowProblem(1, cell.strip(), f"colonne inconnue (attendues : {';'.join(COLUMNS)})"))
        elif column in columns:
            problems.append(RowProblem(1, column, "colonne en double"))
        columns.append(column)
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            problems.append(RowProblem(1, column, "colonne obligatoire absente de l'en-tête"))
    return columns, problems


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise EnrolmentError(
            [RowProblem(line, None, "le fichier n'est pas en UTF-8 (enregistrez-le en « CSV UTF-8 »)")]
        ) from exc


def parse_candidate_csv(content: bytes, *, today: dt.date) -> list[tuple[int, CandidateCreate]]:
    """Every candidate of a UTF-8 import file (``;`` or ``,`` separated, with the header of :data:`COLUMNS`).

    Returns ``(line, candidate)`` pairs. Empty lines are skipped; duplicates within the file are problems.

    Raises
    ------
    EnrolmentError
        Every problem of the file, line by line; the caller then imports nothing.
    """
    text = _decode(content)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise EnrolmentError([RowProblem(None, None, "le fichier est vide")])
    reader = csv.reader(io.StringIO(text), delimiter=";" if first_line.count(";") >= first_line.count(",") else ",")
    rows, problems, seen = [], [], {}
    header, last_line = None, 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header, header_problems = _read_header(cells)
                if header_problems:
                    raise EnrolmentError(header_problems)
                continue
            if len(rows) + len(problems) >= MAX_ROWS:
                problems.append(RowProblem(line, None, f"plus de {MAX_ROWS} lignes : découpez le fichier"))
                break
            extra = [cell for cell in cells[len(header) :] if cell.strip()]
            if extra:
                problems.append(RowProblem(line, None, f"{len(cells)} valeurs pour {len(header)} colonnes"))
                continue
            values = {COLUMNS[col]: cell for col, cell in zip(header, cells, strict=False) if col is not None}
            try:
                candidate = parse_candidate(values, today=today, line=line)
            except EnrolmentError as exc:
                problems.extend(exc.rows)
                continue
            if _identity(candidate) in seen:
                problems.append(RowProblem(line, None, f"même candidat qu'à la ligne {seen[_identity(candidate)]}"))
                continue
            seen[_identity(candidate)] = line
            rows.append((line, candidate))
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, None, f"ligne illisible ({exc})"))
    if header is not None and not rows and not problems:
        problems.append(RowProblem(None, None, "le fichier ne contient aucun candidat"))
    if problems:
        raise EnrolmentError(problems)
    return rows


# --- changes to a session's candidates ------------------------------------------------------


def _check_open(session: ExamSession) -> None:
    if session.status != OPEN_STATUS:
        raise ConflictError("la session est finalisée : les inscriptions sont closes", code="session_closed")


def _check_not_enrolled(session: ExamSession, candidate_in: CandidateCreate, *, ignore: int | None = None) -> None:
    for other in session.candidates:
        if other.id != ignore and _identity(other) == _identity(candidate_in):
            raise ConflictError(
                f"{candidate_in.first_name} {candidate_in.last_name}, né(e) le {candidate_in.birth_date:%d/%m/%Y}, "
                "est déjà inscrit(e) à cette session",
                code="duplicate_candidate",
            )


def get_candidate(*, db: Session, session: ExamSession, candidate_id: int) -> Candidate:
    """One candidate of the session.

    Raises
    ------
    NotFoundError
        No such candidate in this session.
    """
    candidate = db.get(Candidate, candidate_id) if is_row_id(candidate_id) else None
    if candidate is None or candidate.session_id != session.id:
        raise NotFoundError(f"candidat {candidate_id} introuvable dans cette session", code="candidate_not_found")
    return candidate


def check_editable(candidate: Candidate) -> None:
    """Refuse a change to an enrolment once the session is finalised or the candidate has started.

    Raises
    ------
    ConflictError
        The session is finalised, or the candidate has a course.
    """
    _check_open(candidate.session)
    if candidate.course is not None:
        raise ConflictError("le candidat a commencé son test : son inscription ne peut plus changer", code="started")


def add_candidate(
    *, db: Session, organiser: Organiser, session: ExamSession, candidate_in: CandidateCreate, now: dt.datetime
) -> Candidate:
    """Enrol one candidate.

    Raises
    ------
    ConflictError
        The session is finalised, or the same person (names and birth date) is already enrolled.
    """
    _check_open(session)
    _check_not_enrolled(session, candidate_in)
    candidate = Candidate(session=session, created_at=now, **candidate_in.model_dump())
    db.add(candidate)
    db.flush()
    record_audit(
        db=db, actor=f"organiser:{organiser.id}", action="enrol_candidate", target=f"candidate:{candidate.id}", now=now
    )
    return candidate


def update_candidate(
    *, db: Session, organiser: Organiser, candidate: Candidate, candidate_in: CandidateCreate, now: dt.datetime
) -> Candidate:
    """Change a candidate's enrolment, allowed until the candidate starts the test.

    Raises
    ------
    ConflictError
        The session is finalised, the candidate has started, or the change makes a duplicate.
    """
    check_editable(candidate)
    _check_not_enrolled(candidate.session, candidate_in, ignore=candidate.id)
    for key, value in candidate_in.model_dump().items():
        setattr(candidate, key, value)
    record_audit(
        db=db, actor=f"organiser:{organiser.id}", action="update_candidate", target=f"candidate:{candidate.id}", now=now
    )
    db.flush()
    return candidate


def remove_candidate(*, db: Session, organiser: Organiser, candidate: Candidate, now: dt.datetime) -> None:
    """Remove a candidate who has not started; their tokens go, their kiosk is released.

    Raises
    ------
    ConflictError
        The session is finalised, the candidate has started, or a kiosk has reported events for them.
    """
    _check_open(candidate.session)
    if candidate.course is not None:
        raise ConflictError("le candidat a commencé son test : il ne peut plus être retiré", code="started")
    if db.scalars(select(KioskEvent.id).where(KioskEvent.candidate_id == candidate.id)).first() is not None:
        raise ConflictError(
            "un poste a déjà signalé des événements pour ce candidat : il est conservé", code="has_events"
        )
    for token in db.scalars(select(CandidateToken).where(CandidateToken.candidate_id == candidate.id)):
        db.delete(token)
    for device in db.scalars(select(KioskDevice).where(KioskDevice.candidate_id == candidate.id)):
        device.candidate_id = None
    record_audit(
        db=db,
        actor=f"organiser:{organiser.id}",
        action="remove_candidate",
        target=f"candidate:{candidate.id}",
        now=now,
        details={"name": f"{candidate.first_name} {candidate.last_name}"},
    )
    candidate.session.candidates.remove(candidate)
    db.delete(candidate)
    db.flush()


def import_candidates(
    *, db: Session, organiser: Organiser, session: ExamSession, content: bytes, now: dt.datetime
) -> list[Candidate]:
    """Enrol every candidate of an import file, or none (see :func:`parse_candidate_csv`).

    Raises
    ------
    ConflictError
        The session is finalised.
    EnrolmentError
        Any problem in the file, including a candidate already enrolled in the session.
    """
    _check_open(session)
    rows = parse_candidate_csv(content, today=now.date())
    enrolled = {_identity(other) for other in session.candidates}
    duplicates = [
        RowProblem(line, None, f"{c.first_name} {c.last_name} est déjà inscrit(e) à cette session")
        for line, c in rows
        if _identity(c) in enrolled
    ]
    if duplicates:
        raise EnrolmentError(duplicates)
    candidates = [Candidate(session=session, created_at=now, **c.model_dump()) for _, c in rows]
    db.add_all(candidates)
    db.flush()
    record_audit(
        db=db,
        actor=f"organiser:{organiser.id}",
        action="import_candidates",
        target=f"session:{session.id}",
        now=now,
        details={"count": len(candidates)},
    )
    logger.info("candidates imported", extra={"event": "candidates_imported", "session": session.id})
    return candidates
