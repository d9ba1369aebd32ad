"""The PySide6 6.12.0 reference leak on ``True`` is compensated by app.qt_compat."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from app.qt_compat import LEAK, disconnect, emit


class _Emitter(QObject):
    text = Signal(str)


def test_thousands_of_emits_and_disconnects_leave_true_alone(qapp):
    emitter, received = _Emitter(), []
    emitter.text.connect(received.append)
    before = sys.getrefcount(True)
    for n in range(3000):
        emit(emitter.text, str(n))
    for _ in range(200):
        emitter.text.connect(received.append)
        disconnect(emitter.text, received.append)
    # Without the compensation the count would fall by LEAK * 3200 (and the interpreter abort).
    assert before <= sys.getrefcount(True) <= before + 5
    assert len(received) == 3000 and received[-1] == "2999"


def test_the_leak_is_measured_not_assumed():
    assert LEAK in (0, 1)  # 1 with PySide6 6.12.0, 0 once the bindings are fixed
