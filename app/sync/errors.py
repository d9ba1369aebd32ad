"""The sync package's one exception root.

::

    SyncError(kind, message, code=None, status=None)
        kind: SyncErrorKind
            AUTH          401/403: the token or signature is refused
            CONFLICT      409: the request contradicts the server's state (``code`` says how)
            RATE_LIMITED  429: wait before trying again
            INVALID       other 4xx: the request itself is wrong; sending it again will not help
            NETWORK       timeout, refused or dropped connection (retried)
            SERVER        5xx (retried)
            JOURNAL       the local journal cannot be read or written
            INTEGRITY     the resume marker or a key file was tampered with
            DEVICE        the install's key cannot be stored or loaded

Foreign errors (httpx, SQLAlchemy, ``OSError``, keyring) are re-raised as ``SyncError`` with
``raise ... from exc``.
"""

from __future__ import annotations

import enum


class SyncErrorKind(enum.Enum):
    """What went wrong, as far as deciding what to do next is concerned."""

    AUTH = "auth"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    INVALID = "invalid"
    NETWORK = "network"
    SERVER = "server"
    JOURNAL = "journal"
    INTEGRITY = "integrity"
    DEVICE = "device"

    @property
    def retryable(self) -> bool:
        """True for the transient kinds that a later attempt may get through (network, 5xx)."""
        return self in (SyncErrorKind.NETWORK, SyncErrorKind.SERVER)


class SyncError(Exception):
    """An error of the kiosk's server link or local storage.

    Parameters
    ----------
    kind
        The category, which decides retrying and what the kiosk shows.
    message
        For people (the server's ``message`` when it sent one).
    code
        The server's stable ``error`` code (``stale_counter``, ``already_answered`` ...), if any.
    status
        The HTTP status, if a response was received.
    """

    def __init__(self, kind: SyncErrorKind, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code
        self.status = status

    def __str__(self) -> str:
        code = f" [{self.code}]" if self.code else ""
        return f"{self.kind.value}{code}: {self.message}"
