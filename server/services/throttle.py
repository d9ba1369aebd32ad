"""Log-in throttling shared by the portals, counted in the audit log so it holds across workers.

A failed log-in is an audit entry (``action``, actor ``address:<client address>``, ``target``);
once ``attempts`` failures for the same target, or from the same address, fall inside the window,
further attempts are refused with :class:`LoginThrottledError` until the oldest one leaves it.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import TooManyRequestsError
from server.models import AuditEntry

logger = logging.getLogger(__name__)


class LoginThrottledError(TooManyRequestsError):
    """Too many failed log-ins for a target or from an address; ``retry_after`` in seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, code="too_many_attempts")
        self.retry_after = retry_after


def check_login_rate(
    db: Session,
    *,
    action: str,
    target: str,
    address: str,
    now: dt.datetime,
    attempts: int,
    window_seconds: int,
) -> None:
    """Refuse a log-in attempt when ``attempts`` failures (``action``) are already in the window.

    Raises
    ------
    LoginThrottledError
        With the seconds until an attempt is allowed again.
    """
    window = dt.timedelta(seconds=window_seconds)
    for column, value in ((AuditEntry.target, target), (AuditEntry.actor, f"address:{address}")):
        count, oldest = db.execute(
            select(func.count(), func.min(AuditEntry.at)).where(
                AuditEntry.action == action, AuditEntry.at >= now - window, column == value
            )
        ).one()
        if count and count >= attempts:
            retry_after = max(1, int((oldest + window - now).total_seconds()))
            logger.warning(
                "log-in refused: too many failures",
                extra={"event": f"{action}_throttled", "target": target, "address": address},
            )
            raise LoginThrottledError(
                f"Trop de tentatives de connexion échouées. Réessayez dans {-(-retry_after // 60)} minute(s).",
                retry_after=retry_after,
            )


def record_login_failure(db: Session, *, action: str, target: str, address: str, now: dt.datetime) -> None:
    """Add the failure to the audit log (the caller's transaction must commit for it to count)."""
    db.add(AuditEntry(at=now, actor=f"address:{address}", action=action, target=target))
    db.flush()
