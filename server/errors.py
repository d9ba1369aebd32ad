"""The server's exceptions, each with its HTTP status and stable error code.

::

    ServerError                      400 bad_request
    ├── NotFoundError                404 not_found
    ├── AuthError                    401 unauthorized
    ├── ForbiddenError               403 forbidden
    ├── ConflictError                409 conflict
    ├── UnprocessableError           422 invalid_request
    ├── TooManyRequestsError         429 too_many_requests
    └── ConfigError                  500 (raised at start-up only, never for a request)

Every route error is answered as ``{"error": code, "message": text}`` (architecture §3).
"""

from __future__ import annotations


class ServerError(Exception):
    """Root of the server's errors; ``code`` is stable, ``message`` is for people."""

    status = 400
    default_code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class NotFoundError(ServerError):
    """The thing asked for does not exist (or is not the caller's to see)."""

    status = 404
    default_code = "not_found"


class AuthError(ServerError):
    """Missing or wrong credentials."""

    status = 401
    default_code = "unauthorized"


class ForbiddenError(ServerError):
    """Authenticated, but not allowed to do this now."""

    status = 403
    default_code = "forbidden"


class ConflictError(ServerError):
    """The request contradicts the current state (answer to a question that is not pending, ...)."""

    status = 409
    default_code = "conflict"


class UnprocessableError(ServerError):
    """Well-formed, but the content cannot be accepted (a form field, an answer, a key)."""

    status = 422
    default_code = "invalid_request"


class TooManyRequestsError(ServerError):
    """Rate limit hit (invigilator log-in attempts, ...)."""

    status = 429
    default_code = "too_many_requests"


class ConfigError(ServerError):
    """Invalid settings at start-up (a default secret in production, ...)."""

    status = 500
    default_code = "configuration"
