"""Reading a QtWebEngine page from tests: JSON through ``runJavaScript`` (trap T5: objects come back as '')."""

from __future__ import annotations

import json
from typing import Any


def evaluate(qtbot, page, expression: str, timeout: int = 5000, *, world: int = 0) -> Any:
    """``expression`` evaluated in ``page`` (a QWebEnginePage; the main world unless ``world``), JSON-decoded.

    None for ``undefined``.
    """
    out: list[str] = []
    page.runJavaScript(f"JSON.stringify({expression})", world, out.append)
    qtbot.waitUntil(lambda: bool(out), timeout=timeout)
    return json.loads(out[0]) if out[0] else None


def wait_for(qtbot, page, expression: str, timeout: int = 5000) -> None:
    """Wait until ``expression`` is truthy in ``page``."""
    qtbot.waitUntil(lambda: bool(evaluate(qtbot, page, f"!!({expression})")), timeout=timeout)
