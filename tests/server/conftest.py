"""Server test fixtures: every API test runs on SQLite and on a private PostgreSQL cluster.

The cluster (kiosk.md B9) is started once per test session in a temporary folder, with fsync off,
and each test gets a fresh database in it. Set ``TEST_PG_URL`` to use an existing server instead.
"""

from __future__ import annotations

import datetime as dt
import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from cadenas.demo import EmbeddedServer, free_port
from server.app import create_app
from server.config import Settings
from server.db import session_scope
from server.seed import seed_demo


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """A low scrypt cost for the tests' many log-ins; the production cost is tested in test_security."""
    monkeypatch.setattr("server.security.SCRYPT_N", 2**8)


class FakeClock:
    """A settable clock for time limits: starts at a fixed instant, moves only when told."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 11, 23, 9, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def pg_admin_url():
    """URL of the maintenance database of a private cluster (or of TEST_PG_URL)."""
    if os.environ.get("TEST_PG_URL"):
        yield os.environ["TEST_PG_URL"]
        return
    pgbin = _pg_bin()
    if pgbin is None:
        pytest.skip("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin/initdb)")
    base = Path(tempfile.mkdtemp(prefix="cadenas-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data = base / "data"
    subprocess.run(
        _as_postgres(
            [str(pgbin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"]
        ),
        check=True,
        capture_output=True,
    )
    port = free_port()  # a free port per run, so parallel runs do not collide
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        _as_postgres(
            [
                str(pgbin / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(base / "server.log"),
                "-w",
                "-t",
                "30",
                "-o",
                options,
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(pgbin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


_counter = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    name = f"cadenas_test_{os.getpid()}_{next(_counter)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def settings(tmp_path, database_url):
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def app(settings, clock):
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


def _seed(app, clock) -> dict:
    # Let the session scope run to its end (commit): returning from inside the loop would close
    # the generator early and roll the seed back.
    for db in session_scope(app.state.sessions):
        info = seed_demo(db, today=clock().date())
    return info


@pytest.fixture
def demo(app, client, clock):
    """The demo centre, organiser, session and three candidates (the CLI's --seed-demo)."""
    return _seed(app, clock)


# --- a live server and a real browser, for the portals --------------------------------------


@pytest.fixture
def live_server(tmp_path, clock):
    """The app served by uvicorn in a thread on a free loopback port (SQLite); yields its base URL.

    The fixture also exposes the app as ``live_server.app`` through the returned object.
    """
    settings = Settings(data_dir=tmp_path / "live", database_url=f"sqlite:///{tmp_path / 'live.sqlite3'}")
    server = EmbeddedServer(create_app(settings, clock=clock)).start()

    class Live(str):
        app = server.app

    try:
        yield Live(server.url)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (no browser download is possible here)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR")
    yield context.new_page()
    context.close()


@pytest.fixture
def live_demo(live_server, clock):
    """Demo data in the live server's database."""
    return _seed(live_server.app, clock)
