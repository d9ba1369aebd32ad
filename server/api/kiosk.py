"""The kiosk's device API: enrolment, signed heartbeats, one-time unlock codes (kiosk.md K44-K51).

Signed requests carry ``X-Cadenas-Signature: base64(Ed25519 signature of the raw body)``; the
body holds the install id, a counter that must increase and the server's last nonce.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from server.api.candidate import commit_now
from server.deps import AppSettings, Catalog, Clock, DbSession
from server.schemas_candidate import (
    DeviceCreate,
    DevicePublic,
    HeartbeatCreate,
    HeartbeatPublic,
    InstructionPublic,
    UnlockCreate,
    UnlockPublic,
)
from server.services import kiosk

router = APIRouter(prefix="/api/v1/kiosk", tags=["kiosk"])


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]
Signature = Annotated[
    str | None,
    Header(alias=kiosk.SIGNATURE_HEADER, max_length=200, description="base64 Ed25519 signature of the raw body"),
]


@router.post("/devices")
def enrol_device(device_in: DeviceCreate, db: DbSession, clock: Clock) -> DevicePublic:
    """Enrol a kiosk's public key (again with the same key: get the current nonce and counter)."""
    device = kiosk.enrol_device(db=db, device_in=device_in, now=clock())
    commit_now(db)
    return DevicePublic(install_id=device.install_id, nonce=device.nonce, counter=device.last_counter)


@router.post("/heartbeat")
def send_heartbeat(
    heartbeat_in: HeartbeatCreate,
    body: RawBody,
    db: DbSession,
    catalog: Catalog,
    settings: AppSettings,
    clock: Clock,
    signature: Signature = None,
) -> HeartbeatPublic:
    """Take a signed heartbeat (state, events, acknowledgements) and return the pending instructions."""
    device, due = kiosk.record_heartbeat(
        db=db, catalog=catalog, heartbeat_in=heartbeat_in, body=body, signature=signature, now=clock()
    )
    unlock_secret = kiosk.unlock_secret_for(db=db, settings=settings, device=device)
    commit_now(db)
    return HeartbeatPublic(
        nonce=device.nonce,
        instructions=[InstructionPublic(id=i.id, kind=i.kind, payload=i.payload) for i in due],
        unlock_secret=unlock_secret,
    )


@router.post("/unlock")
def unlock_kiosk(
    unlock_in: UnlockCreate,
    body: RawBody,
    db: DbSession,
    settings: AppSettings,
    clock: Clock,
    signature: Signature = None,
) -> UnlockPublic:
    """Check a one-time unlock code typed on the kiosk's lock screen (rate-limited)."""
    device = kiosk.unlock_kiosk(
        db=db, settings=settings, unlock_in=unlock_in, body=body, signature=signature, now=clock()
    )
    commit_now(db)
    return UnlockPublic(nonce=device.nonce)
