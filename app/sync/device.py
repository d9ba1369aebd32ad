"""The kiosk installation's identity: install id, Ed25519 key, heartbeat counter and nonce (K49-K50).

The private key is kept with ``keyring`` (service ``Cadenas Kiosk``, user = the install id). When
no keyring backend is usable (``NoKeyringError``, the ``fail`` backend, a locked store), a
warning is logged and the key is kept in ``device_key`` in the data directory, mode 0600; a key
file that others can read is refused. The install id, the last counter used and the last nonce
the server returned live in the data directory too; the counter is written to disk before it is
used, so it only ever increases, across restarts and crashes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import stat
import threading
import uuid
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.sync.errors import SyncError, SyncErrorKind

logger = logging.getLogger(__name__)

KEYRING_SERVICE = "Cadenas Kiosk"
INSTALL_ID_FILE = "install_id"
KEY_FILE = "device_key"
STATE_FILE = "device_state.json"
_MARKER_LABEL = b"cadenas resume marker v1"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` whole or not at all: temp file, fsync, rename, fsync of the folder."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


class Device:
    """The installation's identity and signing key, kept in ``data_dir`` and the keyring.

    Parameters
    ----------
    data_dir
        The kiosk's data directory (created if missing).

    Raises
    ------
    SyncError
        ``INTEGRITY`` when the fallback key file is readable by others or malformed, ``DEVICE``
        when the key or the state cannot be stored.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._lock = threading.Lock()
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.install_id = self._load_install_id()
            self._key = self._load_key()
            self._counter, self._nonce = self._load_state()
        except OSError as exc:
            raise SyncError(SyncErrorKind.DEVICE, f"cannot set up the device in {self.data_dir}: {exc}") from exc
        self.key_in_keyring = not (self.data_dir / KEY_FILE).exists()

    # --- loading -----------------------------------------------------------------------------

    def _load_install_id(self) -> str:
        path = self.data_dir / INSTALL_ID_FILE
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        install_id = f"kiosk-{uuid.uuid4().hex}"
        write_atomic(path, install_id.encode("ascii"), mode=0o644)
        logger.info("install id created", extra={"event": "install_id_created", "install_id": install_id})
        return install_id

    def _load_key(self) -> Ed25519PrivateKey:
        key_file = self.data_dir / KEY_FILE
        if key_file.exists():
            return self._read_key_file(key_file)
        try:
            stored = keyring.get_password(KEYRING_SERVICE, self.install_id)
        except keyring.errors.KeyringError as exc:
            self._warn_no_keyring(exc)
            stored = None
            usable = False
        else:
            usable = True
        if stored is not None:
            return self._decode_key(stored, "the keyring")
        key = Ed25519PrivateKey.generate()
        encoded = base64.b64encode(_raw_private(key)).decode()
        if usable:
            try:
                keyring.set_password(KEYRING_SERVICE, self.install_id, encoded)
                logger.info("device key created in the keyring", extra={"event": "device_key_created"})
                return key
            except keyring.errors.KeyringError as exc:
                self._warn_no_keyring(exc)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, encoded.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(self.data_dir)
        logger.info("device key created in a file", extra={"event": "device_key_created", "path": str(key_file)})
        return key

    def _warn_no_keyring(self, exc: Exception) -> None:
        logger.warning(
            "no usable keyring backend: the device key is kept in a file readable only by this user",
            extra={"event": "keyring_unavailable", "backend": type(keyring.get_keyring()).__name__, "error": str(exc)},
        )

    def _read_key_file(self, path: Path) -> Ed25519PrivateKey:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            logger.warning(
                "device key file readable by others", extra={"event": "device_key_exposed", "path": str(path)}
            )
            raise SyncError(
                SyncErrorKind.INTEGRITY, f"the key file {path} is accessible to others (mode {oct(mode & 0o777)})"
            )
        return self._decode_key(path.read_text(encoding="ascii"), str(path))

    @staticmethod
    def _decode_key(text: str, where: str) -> Ed25519PrivateKey:
        try:
            return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text.strip(), validate=True))
        except ValueError as exc:
            raise SyncError(SyncErrorKind.INTEGRITY, f"the device key in {where} is malformed") from exc

    def _load_state(self) -> tuple[int, str | None]:
        path = self.data_dir / STATE_FILE
        if not path.exists():
            return 0, None
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            return int(state["counter"]), state.get("nonce")
        except (ValueError, KeyError, TypeError) as exc:
            raise SyncError(SyncErrorKind.DEVICE, f"the device state {path} is unreadable") from exc

    def _save_state(self) -> None:
        data = json.dumps({"counter": self._counter, "nonce": self._nonce}).encode()
        try:
            write_atomic(self.data_dir / STATE_FILE, data)
        except OSError as exc:
            raise SyncError(SyncErrorKind.DEVICE, f"cannot save the device state: {exc}") from exc

    # --- identity and signing ----------------------------------------------------------------

    @property
    def public_key(self) -> str:
        """The raw 32-byte public key in standard base64, as the server enrols it."""
        raw = self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    def sign(self, body: bytes) -> str:
        """The base64 Ed25519 signature of ``body`` (the ``X-Cadenas-Signature`` header)."""
        return base64.b64encode(self._key.sign(body)).decode()

    def marker_key(self) -> bytes:
        """The HMAC key of the journal's unfinished-course marker, derived from the private key."""
        return hmac.new(_raw_private(self._key), _MARKER_LABEL, hashlib.sha256).digest()

    # --- counter and nonce (K50) ---------------------------------------------------------------

    @property
    def counter(self) -> int:
        """The last counter used (0 before the first signed request)."""
        return self._counter

    @property
    def nonce(self) -> str | None:
        """The nonce the server returned last (None before enrolment)."""
        return self._nonce

    def next_counter(self) -> int:
        """Reserve the next counter, persisted before it is returned."""
        with self._lock:
            self._counter += 1
            self._save_state()
            return self._counter

    def remember_nonce(self, nonce: str) -> None:
        """Keep the nonce of the server's last reply for the next signed request."""
        with self._lock:
            self._nonce = nonce
            self._save_state()

    def adopt_server_state(self, *, counter: int, nonce: str) -> None:
        """After an enrolment: take the server's nonce, and its counter if it is ahead of ours."""
        with self._lock:
            self._counter = max(self._counter, counter)
            self._nonce = nonce
            self._save_state()

    def signed_body(self, fields: dict[str, Any]) -> tuple[bytes, str]:
        """``fields`` plus ``install_id``, ``counter`` (next) and ``nonce``, as JSON bytes, and their signature.

        Raises
        ------
        SyncError
            ``DEVICE`` before the first enrolment (no nonce yet).
        """
        if self._nonce is None:
            raise SyncError(SyncErrorKind.DEVICE, "the device is not enrolled yet: no nonce")
        body = {**fields, "install_id": self.install_id, "counter": self.next_counter(), "nonce": self._nonce}
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode()
        return raw, self.sign(raw)

    def heartbeat_body(
        self,
        *,
        state: dict[str, Any] | None = None,
        events: list[dict[str, Any]] | None = None,
        acks: list[int] | None = None,
        ts: dt.datetime | None = None,
    ) -> tuple[bytes, str]:
        """A signed heartbeat (K50): JSON bytes for ``POST /api/v1/kiosk/heartbeat`` and their signature.

        ``events`` are ``{id, kind, at, data}`` dicts (``at`` ISO 8601); ``ts`` defaults to now (UTC).
        """
        when = ts or dt.datetime.now(dt.UTC)
        return self.signed_body(
            {"ts": when.isoformat(), "state": state or {}, "events": events or [], "acks": acks or []}
        )
