"""The kiosk's link to the server, without Qt (kiosk.md K47-K52).

``journal`` keeps every answer and event on disk before it is sent, ``client`` talks to the
candidate and kiosk APIs with retries, ``Syncer`` drains the journal through the client, and
``device`` holds the install's Ed25519 key and signs heartbeats. Every error is a
:class:`SyncError` with a :class:`SyncErrorKind`.
"""

from app.sync.errors import SyncError, SyncErrorKind

__all__ = ["SyncError", "SyncErrorKind"]
