"""Passwords, tokens and the codes of spec §9 (access code, invigilator password, verification code).

Passwords are hashed with scrypt (stdlib ``hashlib``), compared in constant time. Codes are drawn
with ``secrets`` (a cryptographic generator), never with the engine's generator (spec §9.1 rule 3).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ACCESS_LETTERS = "BCDFGHJKMPQRTVWXY"
ACCESS_DIGITS = "2346789"
INVIGILATOR_ALPHABET = "BCDFGHJKMPQRTVWXY2346789"
VERIFICATION_ALPHABET = "2346789BCDFGHJKMPQRTVWXY"

#: scrypt work factor for new hashes (r = 8, p = 1). Stored with each hash, so it can be raised
#: later without breaking existing ones; the test suite lowers it to keep the tests fast.
SCRYPT_N = 2**14


def hash_password(password: str) -> str:
    """``scrypt$<n>$<salt>$<hash>`` of ``password`` (salt and hash in base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=8, p=1, dklen=32)
    return f"scrypt${SCRYPT_N}$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a :func:`hash_password` value, in constant time."""
    try:
        scheme, n_text, salt_b64, digest_b64 = stored.split("$")
        n = int(n_text)
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
    except ValueError:  # binascii.Error is a ValueError
        return False
    if scheme != "scrypt" or n < 2 or n > 2**20 or n & (n - 1) or len(salt) < 8 or len(expected) < 16:
        return False
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=8, p=1, dklen=len(expected), maxmem=2**27)
    return hmac.compare_digest(digest, expected)


def new_token() -> str:
    """A bearer token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest stored in place of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def access_code() -> str:
    """4 letters then 2 digits (spec §9.1 rule 1)."""
    return "".join(secrets.choice(ACCESS_LETTERS) for _ in range(4)) + "".join(
        secrets.choice(ACCESS_DIGITS) for _ in range(2)
    )


def invigilator_password() -> str:
    """5 characters from the 24-character alphabet (spec §9.1 rule 2)."""
    return "".join(secrets.choice(INVIGILATOR_ALPHABET) for _ in range(5))


def verification_code() -> str:
    """``P-`` and 8 distinct characters (spec §9.5): a partial shuffle of the alphabet."""
    pool = list(VERIFICATION_ALPHABET)
    picked = []
    for _ in range(8):
        picked.append(pool.pop(secrets.randbelow(len(pool))))
    return "P-" + "".join(picked)


def course_seed() -> int:
    """A random 63-bit seed stored with a course (spec §6.6)."""
    return secrets.randbits(63)


#: Domain label of :func:`kiosk_unlock_secret`, so its HMAC can never collide with another use of the key.
KIOSK_UNLOCK_LABEL = "cadenas kiosk unlock secret v1"


def kiosk_unlock_secret(secret_key: str, session_id: int, install_id: str) -> str:
    """The per-(session, kiosk) secret from which the one-time unlock codes derive (kiosk.md K44): 64 hex chars.

    ``HMAC-SHA256(secret_key, "cadenas kiosk unlock secret v1:<session_id>:<install_id>")``. The
    server hands it to the enrolled kiosk in its signed-heartbeat reply, so a kiosk cut from the
    network can still check a code. It opens only that kiosk's locks in that session.
    """
    message = f"{KIOSK_UNLOCK_LABEL}:{int(session_id)}:{install_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def unlock_code(secret: str, session_id: int, install_id: str, lock_counter: int) -> str:
    """The one-time local unlock code for one lock of one kiosk (kiosk.md K44): 6 digits.

    ``HMAC-SHA256(key=bytes.fromhex(kiosk_unlock_secret(...)), msg=str(lock_counter))``, its first
    8 bytes read big-endian, modulo 1,000,000, zero-padded. Bound to the session, the kiosk's
    install id and its lock counter, so a code unlocks one lock once; the kiosk checks it with the
    server, or offline with the derived secret (``app/unlock.py`` repeats this derivation).
    """
    key = bytes.fromhex(kiosk_unlock_secret(secret, session_id, install_id))
    digest = hmac.new(key, str(int(lock_counter)).encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"
