"""Command-line entry point: ``cadenas <subcommand>``.

Subcommands are registered in :data:`COMMANDS`; each one imports what it needs only when run.
The CLI writes its results to stdout with :func:`emit` and its progress to stderr; diagnostics go
through :mod:`logging`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

logger = logging.getLogger(__name__)


def emit(text: str) -> None:
    """Write one block of command output to stdout."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _add_demo(sub: argparse._SubParsersAction) -> None:
    from cadenas.demo import add_arguments

    text = "the main job: the server, a demo session and the kiosk window (--auto: a scripted candidate)"
    add_arguments(sub.add_parser("demo", help=text, description=text))


def _add_simulate(sub: argparse._SubParsersAction) -> None:
    from cadenas.simulate import add_arguments

    text = "simulate adaptive tests on a synthetic bank (or --bank DIR) and report accuracy and exposure"
    add_arguments(sub.add_parser("simulate", help=text, description=text))


def _add_bank(sub: argparse._SubParsersAction) -> None:
    from cadenas.bank import add_arguments

    add_arguments(sub.add_parser("bank", help="check an item bank", description="Item bank tools."))


def _add_calibrate(sub: argparse._SubParsersAction) -> None:
    from cadenas.calibrate import add_arguments

    text = "estimate 2PL parameters from a responses CSV and write a new bank version"
    add_arguments(sub.add_parser("calibrate", help=text, description=text))


def _add_server(sub: argparse._SubParsersAction) -> None:
    from cadenas.server_cmd import add_arguments

    text = "run the central server (API, invigilator and organiser portals)"
    add_arguments(sub.add_parser("server", help=text, description=text))


def _add_kiosk(sub: argparse._SubParsersAction) -> None:
    from cadenas.kiosk_cmd import add_arguments

    text = "run the candidate kiosk (Qt): --server-url URL [--data-dir DIR] [--language fr|en] ..."
    add_arguments(sub.add_parser("kiosk", help=text, description=text))


#: Subcommand registrars, in the order shown by ``--help``.
COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_demo,
    _add_simulate,
    _add_bank,
    _add_calibrate,
    _add_server,
    _add_kiosk,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="cadenas", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return int(args.handler(args) or 0)
