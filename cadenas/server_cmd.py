"""``cadenas server``: serve the central server with uvicorn (SQLite under --data-dir by default)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from cadenas.cli import emit

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``cadenas server``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (8000)")
    parser.add_argument("--data-dir", type=Path, default=None, help="SQLite database and files (./cadenas-data)")
    parser.add_argument("--bank", type=Path, default=None, help="bank folder of the default version (shipped bank)")
    parser.add_argument("--seed-demo", action="store_true", help="create a demo session and print how to log in")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Migrate, optionally seed, then serve until interrupted."""
    try:
        import uvicorn

        from server.app import create_app
    except ImportError as exc:
        logger.error("the server's dependencies are missing (%s): pip install -e '.[server]'", exc.name)
        return 2
    from server.config import Settings
    from server.db import make_engine, migrate, session_factory, session_scope
    from server.errors import ConfigError
    from server.models import utcnow
    from server.seed import seed_demo
    from server.services.versions import ensure_default_version

    overrides = {k: v for k, v in {"data_dir": args.data_dir, "bank_dir": args.bank}.items() if v is not None}
    try:
        settings = Settings(**overrides)
    except ConfigError as exc:
        logger.error("invalid settings: %s", exc.message)
        return 2
    if args.seed_demo:
        engine = make_engine(settings.effective_database_url)
        migrate(engine)
        for db in session_scope(session_factory(engine)):
            ensure_default_version(db, settings.bank_dir)
            info = seed_demo(db, today=utcnow().date())
        engine.dispose()
        logger.info("demo data created; log in at http://%s:%d/organiser and /invigilator", args.host, args.port)
        emit(json.dumps(info, ensure_ascii=False))
    # log_config=None: uvicorn logs through our handlers (stderr), so stdout holds only the JSON line.
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)
    return 0
