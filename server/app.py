"""The FastAPI application factory.

:func:`create_app` wires settings, the database (migrated to the newest revision), the version
catalog, the clock and the templates into ``app.state``, installs the error handlers (every error
is ``{"error": code, "message": text}``, never a 500 for bad input), and includes the ``router`` of
every module in :mod:`server.api`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import pkgutil
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

import server.api
from server.config import Settings
from server.db import make_engine, migrate, session_factory, session_scope
from server.errors import ServerError
from server.models import utcnow
from server.services.versions import VersionCatalog, ensure_default_version

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
API_PREFIX = "/api/v1"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the ``{"error", "message"}`` shape."""

    @app.exception_handler(ServerError)
    async def _server_error(request: Request, exc: ServerError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid_request", _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(exc.status_code, "error")
        return _error(exc.status_code, code, str(exc.detail))


def _include_routers(app: FastAPI) -> None:
    for info in sorted(pkgutil.iter_modules(server.api.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"server.api.{info.name}")
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)


def create_app(settings: Settings | None = None, *, clock: Callable[[], dt.datetime] = utcnow) -> FastAPI:
    """Build the application; the database is migrated when the app starts."""
    settings = settings or Settings()
    engine = make_engine(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        migrate(engine)
        for db in session_scope(app.state.sessions):
            ensure_default_version(db, settings.bank_dir)
        app.state.ready = True
        yield
        engine.dispose()

    app = FastAPI(title="Cadenas server", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.catalog = VersionCatalog()
    app.state.clock = clock
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.ready = False

    @app.middleware("http")
    async def _limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            return _error(413, "payload_too_large", f"request body over {settings.max_body_bytes} bytes")
        return await call_next(request)

    @app.get(f"{API_PREFIX}/health", tags=["health"])
    def read_health() -> dict:
        """Liveness and readiness of the server, and its clock (UTC) for the kiosk's skew check (kiosk.md K60)."""
        now = app.state.clock().replace(tzinfo=None)
        return {"status": "ok" if app.state.ready else "starting", "time": now.isoformat() + "Z"}

    install_error_handlers(app)
    _include_routers(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app
