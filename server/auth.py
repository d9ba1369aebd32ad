"""Who is calling: candidate bearer tokens, and signed cookies for the two portals.

Portal cookies hold a small JSON payload signed with HMAC-SHA256 under the server's secret
(``SameSite=Strict``, ``HttpOnly``), so workers need no shared session store. Candidates send
``Authorization: Bearer <token>``; only the token's SHA-256 is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy import select

from server.deps import AppSettings, Clock, DbSession
from server.errors import AuthError
from server.models import Candidate, CandidateToken, Organiser
from server.security import token_digest

INVIGILATOR_COOKIE = "cadenas_invigilator"
ORGANISER_COOKIE = "cadenas_organiser"
COOKIE_MAX_AGE = 12 * 3600


def sign(secret: str, payload: dict[str, Any]) -> str:
    """``<base64 payload>.<base64 HMAC>``, with the signing time in the payload."""
    body = base64.urlsafe_b64encode(json.dumps({**payload, "iat": int(time.time())}).encode()).decode()
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return body + "." + base64.urlsafe_b64encode(mac).decode()


def unsign(secret: str, value: str | None, *, max_age: int = COOKIE_MAX_AGE) -> dict[str, Any] | None:
    """The payload of a :func:`sign` value if the signature holds and it is not older than ``max_age``."""
    if not value or "." not in value:
        return None
    body, mac_b64 = value.rsplit(".", 1)
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(expected, base64.urlsafe_b64decode(mac_b64.encode())):
            return None
        payload = json.loads(base64.urlsafe_b64decode(body.encode()))
    except (ValueError, json.JSONDecodeError):
        return None
    if not isinstance(payload, dict) or time.time() - payload.get("iat", 0) > max_age:
        return None
    return payload


def set_portal_cookie(response: Response, name: str, secret: str, payload: dict[str, Any], *, secure: bool) -> None:
    """Attach a signed portal cookie to ``response``."""
    response.set_cookie(
        name, sign(secret, payload), max_age=COOKIE_MAX_AGE, httponly=True, samesite="strict", secure=secure
    )


def invigilated_session_id(request: Request, settings: AppSettings) -> int | None:
    """The session the invigilator cookie opens, or None."""
    payload = unsign(settings.secret_key, request.cookies.get(INVIGILATOR_COOKIE))
    return int(payload["session_id"]) if payload and "session_id" in payload else None


def current_organiser(request: Request, settings: AppSettings, db: DbSession) -> Organiser | None:
    """The organiser the cookie names, or None."""
    payload = unsign(settings.secret_key, request.cookies.get(ORGANISER_COOKIE))
    if not payload or "organiser_id" not in payload:
        return None
    return db.get(Organiser, int(payload["organiser_id"]))


def _current_candidate(request: Request, db: DbSession, clock: Clock) -> Candidate:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("missing candidate token (Authorization: Bearer ...)", code="missing_token")
    row = db.scalars(select(CandidateToken).where(CandidateToken.token_hash == token_digest(token))).first()
    if row is None or row.expires_at < clock():
        raise AuthError("unknown or expired candidate token", code="invalid_token")
    return db.get(Candidate, row.candidate_id)


CurrentCandidate = Annotated[Candidate, Depends(_current_candidate)]
InvigilatedSessionId = Annotated[int | None, Depends(invigilated_session_id)]
CurrentOrganiser = Annotated[Organiser | None, Depends(current_organiser)]
