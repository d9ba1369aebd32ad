"""Database tables (SQLAlchemy 2, declarative with ``Mapped``). Every change is an Alembic migration.

Times are stored as naive UTC datetimes (SQLite keeps no time zone); :func:`utcnow` makes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    """Now, as a naive UTC datetime (the storage convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Centre(Base):
    """A certification centre (a school, an association)."""

    __tablename__ = "centres"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    habilitated: Mapped[bool] = mapped_column(Boolean, default=True)


class Organiser(Base):
    """An organiser account of a centre (creates sessions, enrols candidates, finalises)."""

    __tablename__ = "organisers"
    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    centre: Mapped[Centre] = relationship()


class CertificationVersion(Base):
    """One challenge pool (a bank folder) with its configuration, in force from ``start_date`` (spec §4)."""

    __tablename__ = "certification_versions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    bank_dir: Mapped[str] = mapped_column(String(500))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ExamSession(Base):
    """A certification session: a date, a room, an access code, an invigilator password (spec §9.1)."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    time: Mapped[str] = mapped_column(String(5), default="09:00")
    room: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    examiner: Mapped[str] = mapped_column(String(200), default="")
    access_code: Mapped[str] = mapped_column(String(6), index=True)
    invigilator_password_hash: Mapped[str] = mapped_column(String(300))
    unlock_code_hash: Mapped[str] = mapped_column(String(300), default="")
    url_rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="created")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finalized_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    centre: Mapped[Centre] = relationship()
    candidates: Mapped[list[Candidate]] = relationship(back_populates="session", order_by="Candidate.id")


class Candidate(Base):
    """An enrolment of a person in a session (spec §9.2, §9.4, §9.8)."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("session_id", "last_name", "first_name", "birth_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    birth_place: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    external_id: Mapped[str] = mapped_column(String(100), default="")
    extra_time_percentage: Mapped[float] = mapped_column(Float, default=0.0)
    accessibility_adjustment: Mapped[bool] = mapped_column(Boolean, default=False)
    authorized_to_start: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    session: Mapped[ExamSession] = relationship(back_populates="candidates")
    course: Mapped[Course | None] = relationship(back_populates="candidate", uselist=False)


class CandidateToken(Base):
    """A candidate's bearer token; only its SHA-256 is stored."""

    __tablename__ = "candidate_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    install_id: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Course(Base):
    """A candidate's certification course and its assessment state (spec §9.2, §9.3)."""

    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("certification_versions.id"))
    seed: Mapped[int] = mapped_column(BigInteger)
    locale: Mapped[str] = mapped_column(String(10), default="fr")
    state: Mapped[str] = mapped_column(String(40), default="started")
    abort_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    jury: Mapped[str | None] = mapped_column(String(20), nullable=True)
    is_adjusted_for_accessibility: Mapped[bool] = mapped_column(Boolean, default=False)
    verification_code: Mapped[str] = mapped_column(String(10), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    deadline: Mapped[dt.datetime] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    question_shown_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    pending_focus_lost: Mapped[bool] = mapped_column(Boolean, default=False)
    candidate: Mapped[Candidate] = relationship(back_populates="course")
    asked: Mapped[list[AskedChallenge]] = relationship(order_by="AskedChallenge.question_index")
    answers: Mapped[list[Answer]] = relationship(order_by="Answer.id")
    alerts: Mapped[list[LiveAlert]] = relationship(order_by="LiveAlert.id")


class AskedChallenge(Base):
    """A challenge drawn for a course with its calibration at draw time (spec §6.7)."""

    __tablename__ = "asked_challenges"
    __table_args__ = (UniqueConstraint("course_id", "challenge_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    challenge_id: Mapped[str] = mapped_column(String(100))
    skill: Mapped[str] = mapped_column(String(100))
    tube: Mapped[str] = mapped_column(String(100))
    competence: Mapped[str] = mapped_column(String(5))
    question_index: Mapped[int] = mapped_column(Integer)
    discriminant: Mapped[float] = mapped_column(Float)
    difficulty: Mapped[float] = mapped_column(Float)
    asked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Answer(Base):
    """An answer, idempotent on the client's UUID (spec §7.11)."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("course_id", "challenge_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    challenge_id: Mapped[str] = mapped_column(String(100))
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    value: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    result_details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timeout: Mapped[int | None] = mapped_column(Integer, nullable=True)
    focused_out: Mapped[bool] = mapped_column(Boolean, default=False)
    time_spent: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LiveAlert(Base):
    """A candidate's in-test report on the current question (spec §10.1)."""

    __tablename__ = "live_alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    challenge_id: Mapped[str] = mapped_column(String(100))
    question_number: Mapped[int] = mapped_column(Integer)
    has_image: Mapped[bool] = mapped_column(Boolean, default=False)
    has_embed: Mapped[bool] = mapped_column(Boolean, default=False)
    has_attachment: Mapped[bool] = mapped_column(Boolean, default=False)
    is_focus: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="ongoing")
    subcategory: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class IssueReport(Base):
    """Information for the jury about a course (spec §10.2)."""

    __tablename__ = "issue_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    category: Mapped[str] = mapped_column(String(60))
    subcategory: Mapped[str | None] = mapped_column(String(60), nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    question_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class KioskDevice(Base):
    """A kiosk installation: its Ed25519 public key and heartbeat state (kiosk.md K49-K50)."""

    __tablename__ = "kiosk_devices"
    install_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    last_counter: Mapped[int] = mapped_column(BigInteger, default=0)
    nonce: Mapped[str] = mapped_column(String(64), default="")
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), nullable=True)
    enrolled_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class KioskEvent(Base):
    """An event reported by a kiosk (focus lost, blocked URL, lock...), de-duplicated on its id."""

    __tablename__ = "kiosk_events"
    __table_args__ = (UniqueConstraint("install_id", "event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    install_id: Mapped[str] = mapped_column(ForeignKey("kiosk_devices.install_id"), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class KioskInstruction(Base):
    """An instruction for a kiosk, delivered in heartbeat replies until acknowledged (K45)."""

    __tablename__ = "kiosk_instructions"
    id: Mapped[int] = mapped_column(primary_key=True)
    install_id: Mapped[str] = mapped_column(ForeignKey("kiosk_devices.install_id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    acked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Result(Base):
    """The scored outcome of a course (spec §8.6)."""

    __tablename__ = "results"
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(String(80), nullable=True)
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    capacity: Mapped[float | None] = mapped_column(Float, nullable=True)
    pix_score: Mapped[int] = mapped_column(Integer, default=0)
    mesh: Mapped[int | None] = mapped_column(Integer, nullable=True)
    competence_levels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    scored_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """Append-only audit log: who did what to what, when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
