"""Passwords and codes (spec §9.1, §9.5)."""

from __future__ import annotations

import re

import pytest

from server import security


def test_password_hashes_carry_their_cost_and_verify(monkeypatch):
    monkeypatch.setattr(security, "SCRYPT_N", 2**14)
    stored = security.hash_password("Cadenas 2026")
    assert stored.startswith("scrypt$16384$")
    assert security.verify_password("Cadenas 2026", stored)
    assert not security.verify_password("cadenas 2026", stored)
    assert stored != security.hash_password("Cadenas 2026")  # salted


def test_a_hash_made_at_another_cost_still_verifies(monkeypatch):
    monkeypatch.setattr(security, "SCRYPT_N", 2**8)
    stored = security.hash_password("x")
    monkeypatch.setattr(security, "SCRYPT_N", 2**14)
    assert security.verify_password("x", stored)


@pytest.mark.parametrize("stored", ["", "md5$abc", "scrypt$3$AAAA$AAAA", "scrypt$abc$AAAA$AAAA", "scrypt$2048$!!$??"])
def test_malformed_hashes_never_verify(stored):
    assert not security.verify_password("x", stored)


def test_codes_follow_the_spec_alphabets():
    for _ in range(200):
        assert re.fullmatch(r"[BCDFGHJKMPQRTVWXY]{4}[2346789]{2}", security.access_code())
        assert re.fullmatch(r"[BCDFGHJKMPQRTVWXY2346789]{5}", security.invigilator_password())
        code = security.verification_code()
        assert re.fullmatch(r"P-[2346789BCDFGHJKMPQRTVWXY]{8}", code)
        assert len(set(code[2:])) == 8


def test_unlock_codes_are_bound_to_session_kiosk_and_lock():
    code = security.unlock_code("secret", 1, "kiosk-a", 3)
    assert re.fullmatch(r"\d{6}", code)
    assert code == security.unlock_code("secret", 1, "kiosk-a", 3)
    variants = [
        ("secret", 2, "kiosk-a", 3),
        ("secret", 1, "kiosk-b", 3),
        ("secret", 1, "kiosk-a", 4),
        ("other", 1, "kiosk-a", 3),
    ]
    others = {security.unlock_code(*args) for args in variants}
    assert code not in others
