"""The lock screen's code check: local code, one-time codes online or offline, rate limit (kiosk.md K43-K46).

:class:`UnlockGate` decides whether a code typed on the lock screen unlocks the kiosk:

- **local code** (K43): an optional per-session code, known only as ``scrypt$<n>$<salt>$<hash>``
  (the server's ``hash_password`` format, r = 8, p = 1), compared in constant time. No code
  configured means no local unlock through this path.
- **one-time code** (K44): the 6 digits the invigilator's portal shows for the current lock,
  bound to the install id and the lock counter. Checked online first (an injected
  ``verify_online``); when the server cannot be reached, checked offline against the
  per-(session, kiosk) secret the signed heartbeat reply carries, kept in the OS keyring by
  :class:`UnlockSecretStore`. A code unlocks one lock once: the counter moves on at each
  :meth:`UnlockGate.new_lock`, and an accepted code is not accepted again.
- **rate limit** (K46): after 5 wrong codes, wait 30 s, doubling up to 10 min; a success resets it.
  A code nothing could check (server unreachable, no secret, no local code) is refused without
  counting as a wrong code.

Every checked code gives an event for the journal (``unlock_refused`` / ``unlock_accepted``);
codes and secrets are never logged. Nothing here imports Qt or the server: the one-time code
derivation repeats ``server.security.unlock_code`` (the tests check they agree). The online check
is a network call: run :meth:`UnlockGate.attempt` off the GUI thread.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import math
import re
import secrets
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import keyring.errors

from app.sync.client import KioskApiClient
from app.sync.device import KEYRING_SERVICE, Device, write_atomic
from app.sync.errors import SyncError, SyncErrorKind

logger = logging.getLogger(__name__)

#: Called with ``(code, lock_counter)``: True = the server accepts it, False = it refuses it,
#: None = the server cannot decide (unreachable, or the request itself failed): check offline.
OnlineVerifier = Callable[[str, int], "bool | None"]

SECRET_FILE = "unlock_secret"
UNLOCK_REFUSED = "unlock_refused"
UNLOCK_ACCEPTED = "unlock_accepted"
ONLINE, OFFLINE, LOCAL_CODE = "online", "offline", "local_code"

SCRYPT_R, SCRYPT_P = 8, 1
_SECRET_RE = re.compile(r"[0-9a-f]{64}")
#: Server codes meaning "this code does not open this lock" (the others leave the decision to the offline check).
_REFUSING_CODES = frozenset({"wrong_unlock_code", "code_used", "too_many_attempts"})


class UnlockConfigError(ValueError):
    """A local code hash or an unlock secret that cannot be used."""


def one_time_code(secret_hex: str, lock_counter: int) -> str:
    """The one-time code of lock ``lock_counter`` (K44): 6 digits, as ``server.security.unlock_code``.

    ``HMAC-SHA256(key=bytes.fromhex(secret_hex), msg=str(lock_counter))``, first 8 bytes
    big-endian, modulo 1,000,000, zero-padded.
    """
    digest = hmac.new(bytes.fromhex(secret_hex), str(int(lock_counter)).encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


@dataclasses.dataclass(frozen=True)
class LocalCodeHash:
    """The salted scrypt hash of a session's local unlock code (K43); the code itself is never kept.

    Parameters
    ----------
    n
        scrypt cost (a power of two, 2 to 2**20); r = 8 and p = 1 as on the server.
    salt, digest
        At least 8 and 16 bytes.
    """

    n: int
    salt: bytes
    digest: bytes

    def __post_init__(self) -> None:
        if self.n < 2 or self.n > 2**20 or self.n & (self.n - 1) or len(self.salt) < 8 or len(self.digest) < 16:
            raise UnlockConfigError("the local unlock code hash has unusable parameters")

    @classmethod
    def from_code(cls, code: str, *, n: int = 2**14) -> LocalCodeHash:
        """Hash ``code`` with a fresh random salt."""
        salt = secrets.token_bytes(16)
        return cls(n=n, salt=salt, digest=_scrypt(code.strip(), salt, n, 32))

    @classmethod
    def parse(cls, text: str) -> LocalCodeHash:
        """Read ``scrypt$<n>$<salt base64>$<hash base64>`` (what the server's ``hash_password`` writes).

        Raises
        ------
        UnlockConfigError
            Not in that format, or parameters out of range.
        """
        try:
            scheme, n_text, salt_b64, digest_b64 = text.strip().split("$")
            n = int(n_text)
            salt = base64.b64decode(salt_b64, validate=True)
            digest = base64.b64decode(digest_b64, validate=True)
        except ValueError as exc:  # binascii.Error is a ValueError
            raise UnlockConfigError("the local unlock code hash is not scrypt$n$salt$hash") from exc
        if scheme != "scrypt":
            raise UnlockConfigError(f"unknown local unlock code hash scheme {scheme!r}")
        return cls(n=n, salt=salt, digest=digest)

    def to_text(self) -> str:
        """The ``scrypt$<n>$<salt>$<hash>`` form :meth:`parse` reads."""
        return f"scrypt${self.n}${base64.b64encode(self.salt).decode()}${base64.b64encode(self.digest).decode()}"

    def matches(self, code: str) -> bool:
        """Whether ``code`` (surrounding blanks ignored) is the local code, in constant time."""
        return hmac.compare_digest(_scrypt(code.strip(), self.salt, self.n, len(self.digest)), self.digest)


def _scrypt(code: str, salt: bytes, n: int, dklen: int) -> bytes:
    return hashlib.scrypt(code.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=dklen, maxmem=2**27)


class UnlockSecretStore:
    """The offline unlock secret (hex), in the OS keyring, or in a 0600 file when there is none.

    Keyring service ``Cadenas Kiosk``, user ``unlock-secret:<install id>``. As for the device key
    (``app.sync.device``), an unusable keyring is logged as a warning and the secret goes to
    ``unlock_secret`` in the data directory, readable only by this user.

    Raises
    ------
    SyncError
        ``INTEGRITY`` when the fallback file is readable by others, ``DEVICE`` when it cannot be
        read or written.
    """

    def __init__(self, data_dir: Path, install_id: str) -> None:
        self.path = Path(data_dir) / SECRET_FILE
        self.user = f"unlock-secret:{install_id}"

    def load(self) -> str | None:
        """The stored secret, or None."""
        if self.path.exists():
            return self._read_file()
        try:
            return keyring.get_password(KEYRING_SERVICE, self.user)
        except keyring.errors.KeyringError as exc:
            self._warn_no_keyring(exc)
            return None

    def save(self, secret: str) -> None:
        """Keep ``secret`` (the keyring first, else the file)."""
        try:
            keyring.set_password(KEYRING_SERVICE, self.user, secret)
        except keyring.errors.KeyringError as exc:
            self._warn_no_keyring(exc)
            self._write_file(secret)
            return
        self._remove_file()

    def clear(self) -> None:
        """Forget the secret (keyring entry and file)."""
        try:
            keyring.delete_password(KEYRING_SERVICE, self.user)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing stored: already clear
        except keyring.errors.KeyringError as exc:
            self._warn_no_keyring(exc)
        self._remove_file()

    def _read_file(self) -> str:
        mode = self.path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            logger.warning(
                "unlock secret file readable by others",
                extra={"event": "unlock_secret_exposed", "path": str(self.path)},
            )
            raise SyncError(SyncErrorKind.INTEGRITY, f"the unlock secret file {self.path} is accessible to others")
        try:
            return self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SyncError(SyncErrorKind.DEVICE, f"cannot read the unlock secret: {exc}") from exc

    def _write_file(self, secret: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, secret.encode("ascii"))
        except OSError as exc:
            raise SyncError(SyncErrorKind.DEVICE, f"cannot store the unlock secret: {exc}") from exc

    def _remove_file(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            raise SyncError(SyncErrorKind.DEVICE, f"cannot remove the unlock secret file: {exc}") from exc

    def _warn_no_keyring(self, exc: Exception) -> None:
        logger.warning(
            "no usable keyring backend: the unlock secret is kept in a file readable only by this user",
            extra={"event": "keyring_unavailable", "backend": type(keyring.get_keyring()).__name__, "error": str(exc)},
        )


@dataclasses.dataclass(frozen=True)
class RateLimitPolicy:
    """K46: ``free_failures`` wrong codes, then ``base_wait`` s, doubling per failure up to ``max_wait`` s."""

    free_failures: int = 5
    base_wait: float = 30.0
    max_wait: float = 600.0

    def wait_after(self, failures: int) -> float:
        """Seconds to wait after the last of ``failures`` consecutive wrong codes (0: no wait)."""
        if failures < self.free_failures:
            return 0.0
        doublings = min(failures - self.free_failures, 20)
        return min(self.max_wait, self.base_wait * 2**doublings)


@dataclasses.dataclass(frozen=True)
class UnlockResult:
    """What one :meth:`UnlockGate.attempt` decided.

    ``how`` says which check accepted the code (``online``, ``offline``, ``local_code``), or
    which one refused it (None when the code was not checked: a wait, an empty input).
    ``wait_seconds`` > 0: no code is checked until then. ``event`` is the journal event
    (``{kind, data}``) to record, None when nothing was checked.
    """

    accepted: bool
    how: str | None
    reason: str
    wait_seconds: int
    message_fr: str
    message_en: str
    event: dict[str, Any] | None = None


_MESSAGES = {
    "accepted": ("Code accepté : le poste est déverrouillé.", "Code accepted: the computer is unlocked."),
    "wrong_code": ("Code incorrect.", "Wrong code."),
    "code_used": ("Ce code a déjà servi : demandez un nouveau code.", "This code was already used: ask for a new one."),
    "unavailable": (
        "Serveur injoignable et aucune vérification hors ligne possible : appelez le surveillant.",
        "The server cannot be reached and no offline check is possible: call the invigilator.",
    ),
    "empty": ("Saisissez le code donné par le surveillant.", "Type the code the invigilator gives you."),
    "rate_limited": (
        "Trop de codes incorrects : réessayez dans {seconds} s.",
        "Too many wrong codes: try again in {seconds} s.",
    ),
}


class UnlockGate:
    """Checks the codes typed on the lock screen and rate-limits them (K43-K46). Thread-safe.

    Parameters
    ----------
    secret_store
        Where the offline unlock secret is kept; None: no offline check.
    verify_online
        The online check (see :data:`OnlineVerifier` and :func:`online_verifier`); None: offline only.
    local_code
        The session's local code hash (K43); None: no local code.
    clock
        Monotonic seconds (``time.monotonic``); the rate limit's time base.
    lock_counter
        The counter of the current (or last) lock; the caller persists it across restarts.
    policy
        The rate limit.
    """

    def __init__(
        self,
        *,
        secret_store: UnlockSecretStore | None = None,
        verify_online: OnlineVerifier | None = None,
        local_code: LocalCodeHash | None = None,
        clock: Callable[[], float] = time.monotonic,
        lock_counter: int = 0,
        policy: RateLimitPolicy | None = None,
    ) -> None:
        self._store, self._verify_online, self.local_code = secret_store, verify_online, local_code
        self._clock, self._policy = clock, policy or RateLimitPolicy()
        self._lock = threading.Lock()
        self._attempt_lock = threading.Lock()
        self._counter = lock_counter
        self._used_counter: int | None = None
        self._failures = 0
        self._blocked_until = 0.0
        self._secret: str | None = None
        self._secret_loaded = False

    @property
    def lock_counter(self) -> int:
        """The counter of the current lock (the portal shows the code of this lock)."""
        return self._counter

    def new_lock(self) -> int:
        """A new lock begins: the counter moves on, so earlier one-time codes no longer apply."""
        with self._lock:
            self._counter += 1
            return self._counter

    def update_secret(self, secret: str | None) -> None:
        """Take the ``unlock_secret`` of a signed heartbeat reply (None: nobody signed in, forget it).

        Raises
        ------
        UnlockConfigError
            Not 64 lower-case hex characters.
        """
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise UnlockConfigError("the unlock secret is not 64 lower-case hex characters")
        with self._lock:
            if self._secret_loaded and secret == self._secret:
                return  # every heartbeat repeats it: write the keyring only on a change
            self._secret, self._secret_loaded = secret, True
            if self._store is None:
                return
            if secret is None:
                self._store.clear()
            else:
                self._store.save(secret)

    def on_heartbeat_reply(self, reply: dict[str, Any]) -> None:
        """Take the secret of a heartbeat reply (``Heartbeat``'s reply callback); a malformed one is ignored."""
        if "unlock_secret" not in reply:
            return  # a server that does not send it: keep what we have
        try:
            self.update_secret(reply["unlock_secret"])
        except UnlockConfigError:
            logger.warning("malformed unlock secret in the heartbeat reply", extra={"event": "unlock_secret_malformed"})

    def wait_seconds(self, now: float | None = None) -> int:
        """Whole seconds before a code may be tried (0: now)."""
        left = self._blocked_until - (self._clock() if now is None else now)
        return max(0, math.ceil(left))

    def attempt(self, code: str, now: float | None = None) -> UnlockResult:
        """Check ``code`` for the current lock; may call the server (not on the GUI thread)."""
        with self._attempt_lock:  # one check at a time, so two quick Enters cannot slip past the limit
            now = self._clock() if now is None else now
            typed = code.strip()
            wait = self.wait_seconds(now)
            if wait:
                return self._result(False, None, "rate_limited", wait)
            if not typed:
                return self._result(False, None, "empty", 0)
            counter = self._counter
            if self.local_code is not None and self.local_code.matches(typed):
                return self._accept(LOCAL_CODE, counter)
            how, verdict = self._check_one_time(typed, counter)
            if verdict == "accepted":
                return self._accept(how, counter)
            return self._refuse(how, verdict, counter, now)

    # --- checks -------------------------------------------------------------------------------

    def _check_one_time(self, code: str, counter: int) -> tuple[str | None, str]:
        if self._used_counter == counter:
            return None, "code_used"  # this lock was already opened with its code
        if self._verify_online is not None:
            online = self._verify_online(code, counter)
            if online is not None:
                return ONLINE, "accepted" if online else "wrong_code"
        secret = self._current_secret()
        if secret is None:
            return OFFLINE, "unavailable"
        matches = hmac.compare_digest(code.encode(), one_time_code(secret, counter).encode())
        return OFFLINE, "accepted" if matches else "wrong_code"

    def _current_secret(self) -> str | None:
        with self._lock:
            if not self._secret_loaded and self._store is not None:
                stored = self._store.load()
                self._secret = stored if stored and _SECRET_RE.fullmatch(stored) else None
                self._secret_loaded = True
            return self._secret

    # --- outcomes -----------------------------------------------------------------------------

    def _accept(self, how: str, counter: int) -> UnlockResult:
        with self._lock:
            self._failures, self._blocked_until = 0, 0.0
            if how != LOCAL_CODE:
                self._used_counter = counter
        logger.info("unlock code accepted", extra={"event": UNLOCK_ACCEPTED, "how": how, "lock_counter": counter})
        event = {"kind": UNLOCK_ACCEPTED, "data": {"how": how, "lock_counter": counter}}
        return self._result(True, how, "accepted", 0, event)

    def _refuse(self, how: str | None, reason: str, counter: int, now: float) -> UnlockResult:
        with self._lock:
            # Nothing could check the code ("unavailable"): not a wrong guess, so it does not count.
            if reason != "unavailable":
                self._failures += 1
            failures = self._failures
            wait = self._policy.wait_after(failures)
            self._blocked_until = now + wait if wait else 0.0
        logger.warning(
            "unlock code refused",
            extra={
                "event": UNLOCK_REFUSED,
                "how": how,
                "reason": reason,
                "lock_counter": counter,
                "failures": failures,
            },
        )
        data = {"how": how, "reason": reason, "lock_counter": counter, "failures": failures, "wait_seconds": int(wait)}
        return self._result(False, how, reason, int(wait), {"kind": UNLOCK_REFUSED, "data": data})

    @staticmethod
    def _result(
        accepted: bool, how: str | None, reason: str, wait: int, event: dict[str, Any] | None = None
    ) -> UnlockResult:
        if wait and reason != "rate_limited":
            french = f"{_MESSAGES[reason][0]} " + _MESSAGES["rate_limited"][0].format(seconds=wait)
            english = f"{_MESSAGES[reason][1]} " + _MESSAGES["rate_limited"][1].format(seconds=wait)
        else:
            french, english = (text.format(seconds=wait) for text in _MESSAGES[reason])
        return UnlockResult(accepted, how, reason, wait, french, english, event)


def online_verifier(
    client: KioskApiClient, device: Device, signing_lock: threading.Lock | None = None
) -> OnlineVerifier:
    """The online check for :class:`UnlockGate`: a signed ``POST /api/v1/kiosk/unlock``.

    True on 200; False when the server refuses the code (wrong, used, too many attempts); None
    when it cannot decide (network, 5xx, stale nonce or counter, nobody signed in, not enrolled),
    so the gate checks offline. ``signing_lock``: the lock the heartbeat holds while it signs and
    sends, so the two signed requests reach the server in counter order.
    """
    guard = signing_lock or threading.Lock()

    def verify(code: str, lock_counter: int) -> bool | None:
        try:
            with guard:
                body, signature = device.signed_body({"code": code, "lock_counter": lock_counter})
                client.unlock(body, signature)
        except SyncError as exc:
            if exc.code in _REFUSING_CODES:
                return False
            logger.info(
                "online unlock check unavailable", extra={"event": "unlock_online_unavailable", "error": str(exc)}
            )
            return None
        return True

    return verify
