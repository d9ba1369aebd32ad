from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.sync.device import KEY_FILE, KEYRING_SERVICE, Device
from app.sync.errors import SyncError, SyncErrorKind


def verify(public_key: str, signature: str, body: bytes) -> None:
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(base64.b64decode(signature), body)


def test_key_is_kept_in_the_keyring_under_the_install_id(tmp_path, mem_keyring):
    device = Device(tmp_path)
    assert (KEYRING_SERVICE, device.install_id) in mem_keyring.data
    assert device.key_in_keyring and not (tmp_path / KEY_FILE).exists()


def test_install_id_and_key_persist_across_instances(tmp_path, mem_keyring):
    first = Device(tmp_path)
    second = Device(tmp_path)
    assert second.install_id == first.install_id and second.public_key == first.public_key
    assert len(base64.b64decode(first.public_key)) == 32


def test_two_installs_have_different_ids_and_keys(tmp_path, mem_keyring):
    a, b = Device(tmp_path / "a"), Device(tmp_path / "b")
    assert a.install_id != b.install_id and a.public_key != b.public_key


def test_signature_verifies_with_the_public_key(tmp_path, mem_keyring):
    device = Device(tmp_path)
    verify(device.public_key, device.sign(b"hello"), b"hello")
    with pytest.raises(InvalidSignature):
        verify(device.public_key, device.sign(b"hello"), b"hellO")


def test_without_keyring_the_key_goes_to_a_private_file_with_a_warning(tmp_path, no_keyring, caplog):
    with caplog.at_level("WARNING"):
        device = Device(tmp_path)
    assert any(getattr(r, "event", None) == "keyring_unavailable" for r in caplog.records)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not device.key_in_keyring
    with caplog.at_level("WARNING"):
        again = Device(tmp_path)
    assert again.public_key == device.public_key


def test_a_key_file_readable_by_others_is_refused(tmp_path, no_keyring, caplog):
    with caplog.at_level("WARNING"):
        Device(tmp_path)
        os.chmod(tmp_path / KEY_FILE, 0o644)
        with pytest.raises(SyncError) as info:
            Device(tmp_path)
    assert info.value.kind is SyncErrorKind.INTEGRITY


def test_counter_is_monotonic_across_instances(tmp_path, mem_keyring):
    device = Device(tmp_path)
    assert [device.next_counter() for _ in range(3)] == [1, 2, 3]
    assert Device(tmp_path).next_counter() == 4


def test_server_state_is_adopted_only_forward(tmp_path, mem_keyring):
    device = Device(tmp_path)
    device.adopt_server_state(counter=10, nonce="n1")
    device.adopt_server_state(counter=2, nonce="n2")
    reopened = Device(tmp_path)
    assert (reopened.counter, reopened.nonce) == (10, "n2")


def test_heartbeat_body_is_signed_and_carries_counter_and_nonce(tmp_path, mem_keyring):
    device = Device(tmp_path)
    device.remember_nonce("nonce-1")
    body, signature = device.heartbeat_body(state={"screen": "test"}, events=[], acks=[3])
    verify(device.public_key, signature, body)
    data = json.loads(body)
    assert data["install_id"] == device.install_id and data["nonce"] == "nonce-1"
    assert data["counter"] == 1 and data["acks"] == [3] and data["state"] == {"screen": "test"}
    assert json.loads(device.heartbeat_body()[0])["counter"] == 2


def test_signed_body_before_enrolment_is_refused(tmp_path, mem_keyring):
    with pytest.raises(SyncError) as info:
        Device(tmp_path).heartbeat_body()
    assert info.value.kind is SyncErrorKind.DEVICE


def test_marker_key_is_stable_per_install_and_differs_between_installs(tmp_path, mem_keyring):
    assert Device(tmp_path / "a").marker_key() == Device(tmp_path / "a").marker_key()
    assert Device(tmp_path / "a").marker_key() != Device(tmp_path / "b").marker_key()
