"""``cadenas kiosk``: the candidate kiosk (the launcher: scrubbed environment, UI restarted after a crash)."""

from __future__ import annotations

import argparse
import logging

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every argument after ``kiosk`` goes to the kiosk (settings and UI options, see app.config and app.main)."""
    parser.add_argument("kiosk_args", nargs=argparse.REMAINDER, help="--server-url URL, --data-dir DIR, ...")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the launcher."""
    try:
        from app.launcher import run as launch
    except ImportError as exc:
        logger.error("the kiosk's dependencies are missing (%s): pip install -e '.[kiosk]'", exc.name)
        return 2
    return launch(args.kiosk_args)
