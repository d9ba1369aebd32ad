"""Qt set-up for the kiosk tests (kiosk.md B7): offscreen, sandbox off as root, the scheme registered early.

Every Qt test here runs offscreen in this process; the tests that need a real X server (focus loss
through xdotool) start their own Xvfb + openbox and run the kiosk as a subprocess.
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # always explicit (trap T18)
if os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")  # trap T1, tests only
os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="cadenas-qt-cache-"))  # trap T11

import PySide6.QtWebEngineWidgets  # noqa: F401  (must load before pytest-qt creates the QApplication)

from app.web.scheme import register_kiosk_scheme

register_kiosk_scheme()


@pytest.fixture(autouse=True)
def _give_back_true():
    """Give back the references to ``True`` that PySide6 6.12.0 lost during the test (see app.qt_compat).

    The kiosk's own emits compensate; pytest-qt's ``waitSignal`` disconnects and the tests' own emits do
    not, and a long run would abort at exit ("bool_dealloc"). Giving back too many is harmless.
    """
    before = sys.getrefcount(True)
    yield
    for _ in range(max(0, before - sys.getrefcount(True))):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring backend (kiosk.md B8): no desktop keyring exists on the test machine."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.data.get((service, username))

    def set_password(self, service, username, password):
        self.data[(service, username)] = password

    def delete_password(self, service, username):
        if self.data.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture
def mem_keyring():
    """The in-memory keyring for the test."""
    previous, backend = keyring.get_keyring(), MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    """No usable keyring backend (``NoKeyringError``), as on a headless machine."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)
