"""Real HTTP servers on 127.0.0.1 for the browser tests: routes, and a log of every request they received.

The URL filter (kiosk.md K8, K15) is only proven by what reaches a real server: a mocked network cannot
show that Chromium never sent a request. :class:`HttpServer` is a stdlib ``ThreadingHTTPServer`` on an
ephemeral port serving a dict of :class:`Response` (or callables building one), and recording every
request line (method, path with query, headers) in a thread-safe log, including requests for unknown
paths (404) and WebSocket upgrade attempts (answered 400: the point is only to see them arrive).

Qt-free on purpose: tests wait on the log with ``qtbot.waitUntil(lambda: server.received("/x"))``, so the
Qt event loop keeps running while they wait.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

#: A 1x1 transparent PNG.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


@dataclass(frozen=True)
class Response:
    """What a route answers: status, body, content type and extra headers."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server received it."""

    method: str
    path: str  # with the query, as on the request line
    headers: dict[str, str] = field(default_factory=dict)
    monotonic: float = field(default_factory=time.monotonic)  # arrival (same clock as the kiosk's verdicts)

    @property
    def route(self) -> str:
        """The path without the query."""
        return urlsplit(self.path).path

    @property
    def is_websocket(self) -> bool:
        """Whether this is a WebSocket upgrade (an HTTP GET with ``Upgrade: websocket``)."""
        return self.headers.get("upgrade", "").lower() == "websocket"


Route = Response | Callable[[LoggedRequest], Response]


def html(text: str, *, status: int = 200) -> Response:
    """An HTML page."""
    return Response(status, text.encode("utf-8"))


def png() -> Response:
    """A 1x1 PNG image."""
    return Response(body=PNG_1X1, content_type="image/png")


def text(body: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    """A text resource (scripts, style sheets...)."""
    return Response(body=body.encode("utf-8"), content_type=content_type)


def json_response(value: Any) -> Response:
    """A JSON document, readable cross-origin (CORS ``*``)."""
    return Response(
        body=json.dumps(value).encode("utf-8"),
        content_type="application/json",
        headers=(("Access-Control-Allow-Origin", "*"),),
    )


def redirect(location: str, status: int = 302) -> Response:
    """A redirect to ``location``."""
    return Response(status=status, headers=(("Location", location),), content_type="text/plain")


def attachment(filename: str, data: bytes) -> Response:
    """A file download (``Content-Disposition: attachment``)."""
    return Response(
        body=data,
        content_type="application/octet-stream",
        headers=(("Content-Disposition", f'attachment; filename="{filename}"'),),
    )


class HttpServer:
    """A threaded HTTP server on ``127.0.0.1:<ephemeral port>`` with routes and a request log.

    ``routes`` maps a path (without query) to a :class:`Response` or to a function of the
    :class:`LoggedRequest` returning one; it may be changed while the server runs. Unknown paths get 404.
    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, routes: dict[str, Route] | None = None, *, name: str = "server") -> None:
        self.name = name
        self.routes: dict[str, Route] = dict(routes or {})
        self._lock = threading.Lock()
        self._log: list[LoggedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> HttpServer:
        """Bind an ephemeral port on 127.0.0.1 and serve in a daemon thread."""
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"http-{self.name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket (open keep-alive connections die with their threads)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- addresses ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port."""
        assert self._server is not None, "the server is not started"
        return self._server.server_address[1]

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return self.origin + path

    # --- log ----------------------------------------------------------------------------------

    def record(self, request: LoggedRequest) -> None:
        """Append ``request`` to the log (called from the handler threads)."""
        with self._lock:
            self._log.append(request)

    def requests(self) -> list[LoggedRequest]:
        """A copy of the log, in arrival order."""
        with self._lock:
            return list(self._log)

    def paths(self, *, ignore_favicon: bool = True) -> list[str]:
        """The request paths (with query) in arrival order; the browser's own favicon probe left out by default."""
        return [r.path for r in self.requests() if not (ignore_favicon and r.route == "/favicon.ico")]

    def received(self, path: str) -> bool:
        """Whether a request for ``path`` (with query if ``path`` has one, else any query) arrived."""
        with_query = "?" in path
        return any((r.path if with_query else r.route) == path for r in self.requests())

    def clear(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self._log.clear()

    def answer(self, request: LoggedRequest) -> Response:
        """The response to ``request``: its route's, or 404."""
        route = self.routes.get(request.route)
        if route is None:
            return Response(404, b"not found", "text/plain")
        return route(request) if callable(route) else route


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # The browser aborts connections it no longer needs (a cancelled download, a closed page): not a failure.
        logger.debug("http test server: connection error from %s", client_address, exc_info=True)


def _handler_for(server: HttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10  # a pre-connected socket that never sends a request does not hold a thread forever
        server_version = "CadenasTest/1"

        def _serve(self) -> None:
            request = LoggedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
            server.record(request)
            if request.is_websocket:
                response = Response(400, b"no websocket here", "text/plain")
            else:
                response = server.answer(request)
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                with contextlib.suppress(ConnectionError):
                    self.wfile.write(response.body)

        do_GET = do_POST = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: object) -> None:
            logger.debug("%s: " + format, server.name, *args)

    return Handler
