"""The one QWebChannel object between Python and the candidate pages (issue 6 §1; kiosk.md K64, K65).

Both directions carry JSON text:

* page → Python: ``kiosk.call(JSON.stringify({op: "...", ...}), reply => ...)``; the reply is
  ``{"ok": true, ...}`` or ``{"ok": false, "error": "<code>", "message": "..."}``;
* Python → page: the ``pushed`` signal with ``{"type": "...", ...}``.

Messages pushed before the page said ``{"op": "ready"}`` (or while it reloads) are queued and
delivered in order once it is ready, so a screen change is never lost to a slow page load. The
messages are listed in ``resources/web/README.md``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.qt_compat import emit

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]


class BridgeError(ValueError):
    """A page request the kiosk refuses; ``code`` goes back to the page, ``message`` names the problem."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def field(message: Mapping[str, Any], name: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
    """``message[name]`` checked to be a ``kind``; raises :class:`BridgeError` naming the field otherwise."""
    if name not in message or message[name] is None:
        if optional:
            return None
        raise BridgeError("bad_request", f"'{message.get('op')}' needs the field '{name}'")
    value = message[name]
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise BridgeError("bad_request", f"field '{name}' of '{message.get('op')}' has the wrong type")
    if not isinstance(value, kind):
        raise BridgeError("bad_request", f"field '{name}' of '{message.get('op')}' has the wrong type")
    return value


class Bridge(QObject):
    """The ``kiosk`` object of the page; ``handlers`` maps each ``op`` to a function of the message.

    A handler returns a dict merged into the ``{"ok": true}`` reply (or None), or raises
    :class:`BridgeError`. ``ready`` is handled here: it delivers the queued messages.
    """

    pushed = Signal(str)
    #: Emitted (with the op) for every request, after it is handled: tests and the watchdog listen.
    handled = Signal(str)

    def __init__(self, handlers: Mapping[str, Handler] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.ready = False
        self._queue: list[str] = []

    def push(self, message: dict[str, Any]) -> None:
        """Send ``message`` to the page now, or once it is ready."""
        text = json.dumps(message, ensure_ascii=False, default=str)
        if self.ready:
            emit(self.pushed, text)
        else:
            self._queue.append(text)

    def page_reloading(self) -> None:
        """The page is (re)loading: queue pushes until it says ready again."""
        self.ready = False

    @Slot(str, result=str)
    def call(self, request: str) -> str:
        """Handle one page request (JSON text in, JSON text out); never raises into the page."""
        try:
            message = json.loads(request)
        except ValueError:
            return self._error("bad_request", "the request is not JSON", "?")
        if not isinstance(message, dict) or not isinstance(message.get("op"), str):
            return self._error("bad_request", "the request needs an 'op' text", "?")
        op = message["op"]
        try:
            result = self._ready() if op == "ready" else self.dispatch(op, message)
        except BridgeError as exc:
            return self._error(exc.code, str(exc), op)
        emit(self.handled, op)
        return json.dumps({"ok": True, **result}, ensure_ascii=False, default=str)

    def dispatch(self, op: str, message: dict[str, Any]) -> dict[str, Any]:
        """Run the handler of ``op`` (raises :class:`BridgeError` for an unknown op)."""
        handler = self.handlers.get(op)
        if handler is None:
            raise BridgeError("unknown_op", f"unknown operation '{op}'")
        return handler(message) or {}

    def _ready(self) -> dict[str, Any]:
        self.ready = True
        queued, self._queue = self._queue, []
        for text in queued:
            emit(self.pushed, text)
        return self.dispatch("ready", {"op": "ready"}) if "ready" in self.handlers else {}

    def _error(self, code: str, text: str, op: str) -> str:
        logger.warning("page request refused", extra={"event": "bridge_refused", "op": op, "code": code})
        return json.dumps({"ok": False, "error": code, "message": text}, ensure_ascii=False)
