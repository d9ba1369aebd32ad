"""Request dependencies, as ``Annotated`` aliases (style guide habit 9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from server.config import Settings
from server.db import session_scope
from server.services.versions import VersionCatalog


def _db(request: Request) -> Iterator[Session]:
    yield from session_scope(request.app.state.sessions)


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _catalog(request: Request) -> VersionCatalog:
    return request.app.state.catalog


def _clock(request: Request) -> Callable[[], dt.datetime]:
    return request.app.state.clock


def _templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


# scope="function": commit before the response is sent, so a client that got a 200 always finds
# its write (and a failed commit is an error response, not a lost write after a success).
DbSession = Annotated[Session, Depends(_db, scope="function")]
AppSettings = Annotated[Settings, Depends(_settings)]
Catalog = Annotated[VersionCatalog, Depends(_catalog)]
Clock = Annotated[Callable[[], dt.datetime], Depends(_clock)]
Templates = Annotated[Jinja2Templates, Depends(_templates)]
