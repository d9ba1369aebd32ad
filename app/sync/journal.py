"""The kiosk's answer journal: append-only, on disk before anything is sent (kiosk.md K47, K52).

One SQLite file in the kiosk's data directory, in WAL mode with ``synchronous=FULL``: every
commit is fsync'd, so an entry returned by :meth:`Journal.append` survives a crash, a SIGKILL
or a power cut. Entries are never deleted or rewritten; sending one only stamps ``sent_at``
and keeps the server's reply.

The journal also holds the *unfinished course* marker (K47): written when a course starts,
cleared on a clean end, HMAC'd with a key derived from the install's private key so that a
hand-edited marker is refused rather than trusted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, create_engine, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from app.sync.errors import SyncError, SyncErrorKind

logger = logging.getLogger(__name__)

JOURNAL_FILE = "journal.sqlite3"
#: Kinds of entries the :class:`~app.sync.client.Syncer` knows how to send.
ANSWER, FOCUS_OUT, EVENT = "answer", "focus_out", "event"
_MARKER_ID = 1


def utcnow() -> dt.datetime:
    """The current time, naive UTC (the storage convention of the server too)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclasses.dataclass(frozen=True)
class CourseKey:
    """Which course an entry belongs to: the session and the candidate in it."""

    session_id: int
    candidate_id: int


@dataclasses.dataclass(frozen=True)
class Entry:
    """One journal entry, as read from disk (a detached copy, safe to pass between threads)."""

    seq: int
    client_uuid: str
    kind: str
    course: CourseKey
    payload: dict[str, Any]
    created_at: dt.datetime
    sent_at: dt.datetime | None
    server_reply: dict[str, Any] | None

    @property
    def sent(self) -> bool:
        """True once the server answered this entry (accepted, or refused for good)."""
        return self.sent_at is not None


@dataclasses.dataclass(frozen=True)
class CourseMarker:
    """The unfinished-course marker (K47): a course was started here and has not ended cleanly."""

    install_id: str
    course: CourseKey
    journal_seq: int
    started_at: dt.datetime


class _Base(DeclarativeBase):
    pass


class _EntryRow(_Base):
    __tablename__ = "entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    session_id: Mapped[int] = mapped_column(Integer)
    candidate_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    server_reply: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    def to_entry(self) -> Entry:
        return Entry(
            seq=self.seq,
            client_uuid=self.client_uuid,
            kind=self.kind,
            course=CourseKey(self.session_id, self.candidate_id),
            payload=dict(self.payload),
            created_at=self.created_at,
            sent_at=self.sent_at,
            server_reply=self.server_reply,
        )


class _MarkerRow(_Base):
    __tablename__ = "course_marker"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    install_id: Mapped[str] = mapped_column(String(100))
    session_id: Mapped[int] = mapped_column(Integer)
    candidate_id: Mapped[int] = mapped_column(Integer)
    journal_seq: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[str] = mapped_column(String(40))
    mac: Mapped[str] = mapped_column(String(64))


def _marker_mac(key: bytes, install_id: str, course: CourseKey, journal_seq: int, started_at: str) -> str:
    message = json.dumps(
        [install_id, course.session_id, course.candidate_id, journal_seq, started_at], separators=(",", ":")
    ).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class Journal:
    """The append-only journal in ``data_dir`` (created if missing).

    Parameters
    ----------
    data_dir
        The kiosk's data directory; the journal is ``journal.sqlite3`` in it.
    marker_key
        The HMAC key of the unfinished-course marker (see ``Device.marker_key``).

    Raises
    ------
    SyncError
        ``JOURNAL`` when the file cannot be opened.
    """

    def __init__(self, data_dir: Path, *, marker_key: bytes) -> None:
        if not marker_key:
            raise ValueError("marker_key must not be empty")
        self.path = Path(data_dir) / JOURNAL_FILE
        self._marker_key = marker_key
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._engine = create_engine(f"sqlite:///{self.path}")
            event.listen(self._engine, "connect", _sqlite_pragmas)
            _Base.metadata.create_all(self._engine)
        except (OSError, SQLAlchemyError) as exc:
            raise SyncError(SyncErrorKind.JOURNAL, f"cannot open the journal {self.path}: {exc}") from exc
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)

    def close(self) -> None:
        """Release the file (every entry is already on disk)."""
        self._engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, what: str, fn):
        try:
            with self._sessions.begin() as db:
                return fn(db)
        except SQLAlchemyError as exc:
            logger.exception("journal failure", extra={"event": "journal_failure", "operation": what})
            raise SyncError(SyncErrorKind.JOURNAL, f"journal {what} failed: {exc}") from exc

    # --- entries -----------------------------------------------------------------------------

    def append(self, kind: str, course: CourseKey, payload: dict[str, Any], *, client_uuid: str | None = None) -> Entry:
        """Write an entry and commit it (fsync'd) before returning it; nothing is sent here.

        ``client_uuid`` defaults to a fresh UUID4; the server deduplicates on it.
        """
        row = _EntryRow(
            client_uuid=client_uuid or str(uuid.uuid4()),
            kind=kind,
            session_id=course.session_id,
            candidate_id=course.candidate_id,
            payload=payload,
            created_at=utcnow(),
        )

        def add(db: Session) -> Entry:
            db.add(row)
            db.flush()
            return row.to_entry()

        entry = self._run("append", add)
        logger.info("journal entry written", extra={"event": "journal_append", "seq": entry.seq, "kind": kind})
        return entry

    def pending(self, *, course: CourseKey | None = None, kinds: tuple[str, ...] | None = None) -> list[Entry]:
        """The entries not yet sent, oldest first, optionally of one course and some kinds."""

        def query(db: Session) -> list[Entry]:
            stmt = select(_EntryRow).where(_EntryRow.sent_at.is_(None)).order_by(_EntryRow.seq)
            if course is not None:
                stmt = stmt.where(
                    _EntryRow.session_id == course.session_id, _EntryRow.candidate_id == course.candidate_id
                )
            if kinds is not None:
                stmt = stmt.where(_EntryRow.kind.in_(kinds))
            return [row.to_entry() for row in db.scalars(stmt)]

        return self._run("read", query)

    def entries(self) -> list[Entry]:
        """Every entry, sent or not, oldest first."""
        return self._run("read", lambda db: [r.to_entry() for r in db.scalars(select(_EntryRow).order_by("seq"))])

    def get(self, client_uuid: str) -> Entry | None:
        """The entry with this UUID, or None."""

        def query(db: Session) -> Entry | None:
            row = db.scalars(select(_EntryRow).where(_EntryRow.client_uuid == client_uuid)).first()
            return row.to_entry() if row is not None else None

        return self._run("read", query)

    def mark_sent(self, client_uuid: str, reply: dict[str, Any] | None) -> Entry:
        """Record the server's reply to an entry; the first reply wins (marking twice keeps it).

        Raises
        ------
        SyncError
            ``JOURNAL`` when no entry has this UUID.
        """

        def mark(db: Session) -> Entry:
            row = db.scalars(select(_EntryRow).where(_EntryRow.client_uuid == client_uuid)).first()
            if row is None:
                raise SyncError(SyncErrorKind.JOURNAL, f"no journal entry {client_uuid}")
            if row.sent_at is None:
                row.sent_at = utcnow()
                row.server_reply = reply
            return row.to_entry()

        return self._run("mark_sent", mark)

    def head(self) -> int:
        """The last sequence number written (0 when empty), reported in heartbeats."""
        return (
            self._run("read", lambda db: db.scalars(select(_EntryRow.seq).order_by(_EntryRow.seq.desc())).first()) or 0
        )

    # --- the unfinished-course marker (K47) ----------------------------------------------------

    def start_course(
        self, *, install_id: str, course: CourseKey, started_at: dt.datetime | None = None
    ) -> CourseMarker:
        """Write the unfinished-course marker (replacing any previous one) and return it."""
        when = started_at or utcnow()
        marker = CourseMarker(install_id=install_id, course=course, journal_seq=self.head(), started_at=when)
        stamp = when.isoformat()

        def write(db: Session) -> None:
            row = db.get(_MarkerRow, _MARKER_ID) or _MarkerRow(id=_MARKER_ID)
            row.install_id, row.session_id, row.candidate_id = install_id, course.session_id, course.candidate_id
            row.journal_seq, row.started_at = marker.journal_seq, stamp
            row.mac = _marker_mac(self._marker_key, install_id, course, marker.journal_seq, stamp)
            db.add(row)

        self._run("start_course", write)
        logger.info("course marker written", extra={"event": "course_marker_written", **dataclasses.asdict(course)})
        return marker

    def unfinished_course(self) -> CourseMarker | None:
        """The marker of a course that did not end cleanly, or None.

        Raises
        ------
        SyncError
            ``INTEGRITY`` when the marker's HMAC does not match (edited, or written by another install).
        """
        row = self._run("read", lambda db: db.get(_MarkerRow, _MARKER_ID))
        if row is None:
            return None
        course = CourseKey(row.session_id, row.candidate_id)
        expected = _marker_mac(self._marker_key, row.install_id, course, row.journal_seq, row.started_at)
        if not hmac.compare_digest(expected, row.mac or ""):
            logger.warning("course marker tampered", extra={"event": "course_marker_tampered"})
            raise SyncError(SyncErrorKind.INTEGRITY, "the unfinished-course marker does not verify")
        return CourseMarker(
            install_id=row.install_id,
            course=course,
            journal_seq=row.journal_seq,
            started_at=dt.datetime.fromisoformat(row.started_at),
        )

    def clear_course(self) -> None:
        """Remove the marker after a clean end of the course."""

        def delete(db: Session) -> None:
            row = db.get(_MarkerRow, _MARKER_ID)
            if row is not None:
                db.delete(row)

        self._run("clear_course", delete)
        logger.info("course marker cleared", extra={"event": "course_marker_cleared"})


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()
