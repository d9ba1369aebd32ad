"""Work-around for a reference-count bug of PySide6 6.12.0, measured at import.

``SignalInstance.emit()`` and ``.disconnect()`` return ``True`` without taking a reference to it, so
every call made from Python takes one reference away from the interpreter's ``True``. A process has
a few hundred of them: after that many emits (the bridge pushes the time left every second) the
interpreter aborts with "Fatal Python error: bool_dealloc". Every emit and disconnect in ``app/``
goes through :func:`emit` and :func:`disconnect`, which give the reference back when (and only when)
the installed bindings lose it: a fixed PySide6 measures a leak of 0 and nothing is added.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

logger = logging.getLogger(__name__)


class _Probe(QObject):
    ping = Signal()


def _measure_leak() -> int:
    """References to ``True`` one Python-side ``emit()`` loses with these bindings (0 when fixed)."""
    probe = _Probe()
    before = sys.getrefcount(True)
    probe.ping.emit()
    lost = before - sys.getrefcount(True)
    probe.deleteLater()
    return max(0, lost)


#: References to ``True`` lost by each Python-side emit() or disconnect().
LEAK = _measure_leak()
if LEAK:
    logger.info("PySide6 emit() loses a reference to True: compensating", extra={"event": "pyside_bool_leak"})


def _give_back() -> None:
    for _ in range(LEAK):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))


def emit(signal: Any, *args: Any) -> None:
    """``signal.emit(*args)``, without losing a reference to ``True`` (see the module docstring)."""
    signal.emit(*args)
    _give_back()


def disconnect(signal: Any, *slot: Any) -> None:
    """``signal.disconnect(*slot)``, without losing a reference to ``True``."""
    signal.disconnect(*slot)
    _give_back()
