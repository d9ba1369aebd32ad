"""Qt set-up for the kiosk tests (kiosk.md B7): offscreen, sandbox off as root, the scheme registered early.

Every Qt test here runs offscreen in this process; the tests that need a real X server (focus loss
through xdotool) start their own Xvfb + openbox and run the kiosk as a subprocess.
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile

import pytest

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
