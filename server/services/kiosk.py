"""Kiosk devices: enrolment, signed heartbeats with events and instructions, one-time unlock codes.

A kiosk enrols its install id with an Ed25519 public key (kiosk.md K49). Every later request is
signed: ``X-Cadenas-Signature`` holds the base64 Ed25519 signature of the raw request body, and
the body carries a counter that must increase and the nonce the server handed out last (K50), so
a captured request cannot be replayed. A heartbeat rotates the nonce; an unlock does not (its
refusal must not leave the kiosk with a nonce it never received). A kiosk that lost its nonce
(reply lost on the network) enrols again with the same key and gets the current nonce and counter.

Unlock codes are one-time (K44): the code of one lock (session, install id, lock counter) is
accepted once. While a candidate is signed in on a kiosk, its signed-heartbeat reply carries the
per-(session, kiosk) secret the codes derive from, so the kiosk can check a code offline. After
5 wrong codes the kiosk waits 30 s, doubling up to 10 min (K46); every failure is a kiosk event,
so the limit holds across server workers.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import logging
import math
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.config import Settings
from server.errors import (
    AuthError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TooManyRequestsError,
    UnprocessableError,
)
from server.models import Candidate, KioskDevice, KioskEvent, KioskInstruction
from server.schemas_candidate import DeviceCreate, HeartbeatCreate, KioskEventIn, SignedRequest, UnlockCreate
from server.security import kiosk_unlock_secret, unlock_code
from server.services.courses import STARTED, load_course, version_of
from server.services.scoring import course_history
from server.services.versions import VersionCatalog

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Cadenas-Signature"
UNLOCK_FREE_FAILURES = 5
UNLOCK_BASE_WAIT_SECONDS = 30
UNLOCK_MAX_WAIT_SECONDS = 600
UNLOCK_ACCEPTED = "unlock_accepted"
UNLOCK_REFUSED = "unlock_refused"
FOCUS_LOST = "focus_lost"


class InvalidPublicKeyError(UnprocessableError):
    """The enrolled key is not a raw 32-byte Ed25519 public key in base64."""

    default_code = "invalid_public_key"


def new_nonce() -> str:
    """A fresh server nonce (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def _decode_base64(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)


def canonical_public_key(text: str) -> str:
    """The key as standard base64 of its 32 raw bytes.

    Raises
    ------
    InvalidPublicKeyError
        Not base64, or not 32 bytes of a valid Ed25519 public key.
    """
    try:
        raw = _decode_base64(text)
        Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidPublicKeyError("public_key must be a raw 32-byte Ed25519 public key in base64") from exc
    return base64.b64encode(raw).decode()


def enrol_device(*, db: Session, device_in: DeviceCreate, now: dt.datetime) -> KioskDevice:
    """Enrol a kiosk, or return it unchanged when it enrols again with the same key.

    Raises
    ------
    InvalidPublicKeyError
        A malformed key.
    ConflictError
        ``device_key_mismatch``: the install id is enrolled with another key.
    """
    key = canonical_public_key(device_in.public_key)
    device = db.get(KioskDevice, device_in.install_id)
    if device is not None:
        if not hmac.compare_digest(device.public_key.encode(), key.encode()):
            logger.warning(
                "kiosk enrolment with another key",
                extra={"event": "kiosk_key_mismatch", "install_id": device.install_id},
            )
            raise ConflictError("this install id is enrolled with another key", code="device_key_mismatch")
        return device
    device = KioskDevice(
        install_id=device_in.install_id,
        public_key=key,
        name=device_in.name,
        last_counter=0,
        nonce=new_nonce(),
        state={},
        enrolled_at=now,
    )
    db.add(device)
    db.flush()
    logger.info("kiosk enrolled", extra={"event": "kiosk_enrolled", "install_id": device.install_id})
    return device


def verify_signature(device: KioskDevice, body: bytes, signature: str | None) -> None:
    """Check the Ed25519 signature of ``body`` by the device's key.

    Raises
    ------
    AuthError
        ``missing_signature`` or ``bad_signature``.
    """
    if not signature:
        raise AuthError(f"the {SIGNATURE_HEADER} header is missing", code="missing_signature")
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(device.public_key)).verify(
            _decode_base64(signature.strip()), body
        )
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        logger.warning("bad kiosk signature", extra={"event": "kiosk_bad_signature", "install_id": device.install_id})
        raise AuthError("the request signature does not match the kiosk's key", code="bad_signature") from exc


def authenticate(
    *, db: Session, request_in: SignedRequest, body: bytes, signature: str | None, rotate_nonce: bool, now: dt.datetime
) -> KioskDevice:
    """The signing device, after the signature, counter and nonce checks (K50); the counter is advanced.

    Raises
    ------
    NotFoundError
        ``unknown_device``.
    AuthError
        ``missing_signature``, ``bad_signature``.
    ConflictError
        ``stale_counter`` (not above the last one), ``stale_nonce`` (enrol again to get the current one).
    """
    device = db.get(KioskDevice, request_in.install_id, with_for_update=True, populate_existing=True)
    if device is None:
        raise NotFoundError(f"kiosk {request_in.install_id} is not enrolled", code="unknown_device")
    verify_signature(device, body, signature)
    if request_in.counter <= device.last_counter:
        logger.warning(
            "kiosk counter replayed", extra={"event": "kiosk_stale_counter", "install_id": device.install_id}
        )
        raise ConflictError(f"counter {request_in.counter} is not above {device.last_counter}", code="stale_counter")
    if not hmac.compare_digest(request_in.nonce.encode(), device.nonce.encode()):
        logger.warning("kiosk nonce stale", extra={"event": "kiosk_stale_nonce", "install_id": device.install_id})
        raise ConflictError("the nonce is not the last one the server gave", code="stale_nonce")
    device.last_counter = request_in.counter
    device.last_seen_at = now
    if rotate_nonce:
        device.nonce = new_nonce()
    return device


def _note_focus_loss(
    db: Session, catalog: VersionCatalog, device: KioskDevice, event: KioskEventIn, at: dt.datetime | None
) -> None:
    # A focus loss seen by the kiosk counts against the pending focused question (spec §7.9), if
    # it is about that question: named in the event, or (unnamed) seen after it was shown.
    candidate = db.get(Candidate, device.candidate_id) if device.candidate_id is not None else None
    course = load_course(db=db, candidate=candidate, lock=True) if candidate is not None else None
    if course is None or course.state != STARTED:
        return
    pending = course_history(course).pending()
    if pending is None:
        return
    named = event.data.get("challenge_id")
    if named is not None and named != pending.challenge_id:
        return
    if named is None and (at is None or (course.question_shown_at is not None and at < course.question_shown_at)):
        return
    if catalog.challenge(version_of(db, course), pending.challenge_id).focused:
        course.pending_focus_lost = True


def _on_server_clock(at: dt.datetime, skew: dt.timedelta) -> dt.datetime | None:
    try:
        return at + skew
    except OverflowError:  # absurd kiosk clocks: the time says nothing
        return None


def _store_events(
    db: Session, catalog: VersionCatalog, device: KioskDevice, heartbeat_in: HeartbeatCreate, now: dt.datetime
) -> None:
    ids = [e.id for e in heartbeat_in.events]
    if not ids:
        return
    seen = set(
        db.scalars(
            select(KioskEvent.event_id).where(KioskEvent.install_id == device.install_id, KioskEvent.event_id.in_(ids))
        )
    )
    skew = now - heartbeat_in.ts  # the kiosk's clock against ours, to place its events on our clock
    for event in heartbeat_in.events:
        if event.id in seen:
            continue
        seen.add(event.id)
        db.add(
            KioskEvent(
                install_id=device.install_id,
                event_id=event.id,
                candidate_id=device.candidate_id,
                kind=event.kind,
                payload=event.data,
                occurred_at=event.at,
                received_at=now,
            )
        )
        if event.kind == FOCUS_LOST:
            _note_focus_loss(db, catalog, device, event, _on_server_clock(event.at, skew))


def record_heartbeat(
    *,
    db: Session,
    catalog: VersionCatalog,
    heartbeat_in: HeartbeatCreate,
    body: bytes,
    signature: str | None,
    now: dt.datetime,
) -> tuple[KioskDevice, list[KioskInstruction]]:
    """Take a signed heartbeat: state, new events (de-duplicated), acknowledgements; return what is due.

    Raises
    ------
    NotFoundError, AuthError, ConflictError
        As :func:`authenticate`.
    """
    device = authenticate(db=db, request_in=heartbeat_in, body=body, signature=signature, rotate_nonce=True, now=now)
    device.state = heartbeat_in.state
    _store_events(db, catalog, device, heartbeat_in, now)
    if heartbeat_in.acks:
        db.execute(
            update(KioskInstruction)
            .where(
                KioskInstruction.install_id == device.install_id,
                KioskInstruction.id.in_(heartbeat_in.acks),
                KioskInstruction.acked_at.is_(None),
            )
            .values(acked_at=now)
            .execution_options(synchronize_session="fetch")
        )
    db.flush()
    due = db.scalars(
        select(KioskInstruction)
        .where(KioskInstruction.install_id == device.install_id, KioskInstruction.acked_at.is_(None))
        .order_by(KioskInstruction.id)
    ).all()
    return device, list(due)


def _session_id_of(db: Session, device: KioskDevice) -> int | None:
    """The session of the candidate signed in on the kiosk, or None when nobody is."""
    if device.candidate_id is None:
        return None
    return db.get(Candidate, device.candidate_id).session_id


def unlock_secret_for(*, db: Session, settings: Settings, device: KioskDevice) -> str | None:
    """The offline unlock secret of the kiosk's current session (K44), or None when nobody is signed in.

    Only for the signed-heartbeat reply: the signature proves the caller holds the device key.
    """
    session_id = _session_id_of(db, device)
    if session_id is None:
        return None
    return kiosk_unlock_secret(settings.secret_key, session_id, device.install_id)


def unlock_wait_seconds(*, db: Session, device: KioskDevice, now: dt.datetime) -> int:
    """Seconds the kiosk must still wait before trying another code (0 when it may try now, K46)."""
    last_success = db.scalar(
        select(func.max(KioskEvent.id)).where(
            KioskEvent.install_id == device.install_id, KioskEvent.kind == UNLOCK_ACCEPTED
        )
    )
    failures = db.scalars(
        select(KioskEvent.received_at)
        .where(
            KioskEvent.install_id == device.install_id,
            KioskEvent.kind == UNLOCK_REFUSED,
            KioskEvent.id > (last_success or 0),
        )
        .order_by(KioskEvent.id)
    ).all()
    if len(failures) < UNLOCK_FREE_FAILURES:
        return 0
    doublings = min(len(failures) - UNLOCK_FREE_FAILURES, 10)
    wait = min(UNLOCK_MAX_WAIT_SECONDS, UNLOCK_BASE_WAIT_SECONDS * 2**doublings)
    left = (failures[-1] + dt.timedelta(seconds=wait) - now).total_seconds()
    return max(0, math.ceil(left))


def _unlock_event(device: KioskDevice, event_id: str, kind: str, lock_counter: int, now: dt.datetime) -> KioskEvent:
    return KioskEvent(
        install_id=device.install_id,
        event_id=event_id,
        candidate_id=device.candidate_id,
        kind=kind,
        payload={"lock_counter": lock_counter, "source": "server"},
        occurred_at=now,
        received_at=now,
    )


def unlock_kiosk(
    *, db: Session, settings: Settings, unlock_in: UnlockCreate, body: bytes, signature: str | None, now: dt.datetime
) -> KioskDevice:
    """Check a one-time unlock code for the kiosk's current lock (K44, K46).

    A wrong code is recorded (and committed) before the refusal, so the rate limit sees it.

    Raises
    ------
    NotFoundError, AuthError, ConflictError
        As :func:`authenticate`; ``ConflictError`` also for ``no_candidate`` (nobody signed in on
        the kiosk) and ``code_used`` (this lock was already unlocked).
    TooManyRequestsError
        ``too_many_attempts``: wait before the next code.
    ForbiddenError
        ``wrong_unlock_code``.
    """
    device = authenticate(db=db, request_in=unlock_in, body=body, signature=signature, rotate_nonce=False, now=now)
    session_id = _session_id_of(db, device)
    if session_id is None:
        raise ConflictError("nobody has signed in on this kiosk: no unlock code applies", code="no_candidate")
    wait = unlock_wait_seconds(db=db, device=device, now=now)
    if wait:
        raise TooManyRequestsError(f"too many wrong codes: try again in {wait} s", code="too_many_attempts")
    expected = unlock_code(settings.secret_key, session_id, device.install_id, unlock_in.lock_counter)
    if not hmac.compare_digest(unlock_in.code.strip().encode(), expected.encode()):
        db.add(
            _unlock_event(
                device, f"srv-unlock-refused-{unlock_in.counter}", UNLOCK_REFUSED, unlock_in.lock_counter, now
            )
        )
        db.commit()
        logger.warning("wrong unlock code", extra={"event": "kiosk_unlock_refused", "install_id": device.install_id})
        raise ForbiddenError("the unlock code is wrong", code="wrong_unlock_code")
    used_id = f"srv-unlock-{unlock_in.lock_counter}"
    used = db.scalars(
        select(KioskEvent.id).where(KioskEvent.install_id == device.install_id, KioskEvent.event_id == used_id)
    ).first()
    if used is not None:
        raise ConflictError("this code was already used to unlock this lock", code="code_used")
    db.add(_unlock_event(device, used_id, UNLOCK_ACCEPTED, unlock_in.lock_counter, now))
    db.flush()
    logger.info("kiosk unlocked with a code", extra={"event": "kiosk_unlocked", "install_id": device.install_id})
    return device
