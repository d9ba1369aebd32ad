"""``cadenas bank check [--json] [PATH]``: validate an item bank and print its coverage."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from cadenas.cli import emit
from cadenas.resources import DEFAULT_BANK, DEFAULT_REFERENTIAL, attachment_reader, bank_documents
from engine.bankcheck import BankReport, check_bank
from engine.config import COMPETENCE_CODES
from engine.referential import Referential, ReferentialError, parse_referential

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``cadenas bank``."""
    sub = parser.add_subparsers(dest="bank_command", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="validate a bank and print its coverage")
    check.add_argument("path", nargs="?", type=Path, default=DEFAULT_BANK, help="bank folder (the shipped bank)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument(
        "--referential", type=Path, default=DEFAULT_REFERENTIAL, help="referential YAML (the shipped one)"
    )
    check.set_defaults(handler=run_check)


def format_report(report: BankReport, referential: Referential) -> str:
    """The coverage table, the summary, then every error and warning."""
    head = "competence " + " ".join(f"L{level:<3}" for level in range(1, 9)) + " total"
    lines = [head]
    for code in COMPETENCE_CODES:
        counts = [report.coverage[code][str(level)] for level in range(1, 9)]
        label = referential.competences[code].label("fr")
        lines.append(f"{code:<10} " + " ".join(f"{c:<4}" for c in counts) + f" {sum(counts):<5} {label}")
    s = report.summary
    if s:
        lines += [
            "",
            f"challenges: {report.challenges}   tubes: {s['tubes']}   types: "
            + ", ".join(f"{k} {v}" for k, v in s["types"].items()),
            f"free text: {s['free_text_share']:.0%}   focused: {s['focused_share']:.0%}   "
            f"free mode with a file: {s['free_mode_with_attachment_share']:.0%}   timed: {s['timed']}",
            f"accessible: {s['accessible_share']:.0%}   skills with variants: {s['skills_with_variants']}   "
            f"provisional parameters: {s['provisional']}",
        ]
    lines += ["", f"{len(report.errors)} error(s)"] + [f"  {e}" for e in report.errors]
    lines += [f"{len(report.warnings)} warning(s)"] + [f"  {w}" for w in report.warnings]
    return "\n".join(lines)


def run_check(args: argparse.Namespace) -> int:
    """Check the bank; exit 0 when it has no error, 1 otherwise, 2 when it cannot be read."""
    try:
        documents = bank_documents(args.path)
        referential = parse_referential(args.referential.read_text(encoding="utf-8"))
    except (OSError, ReferentialError) as exc:
        logger.error("cannot read the bank: %s", exc)
        return 2
    report = check_bank(documents, attachment_reader(args.path))
    emit(json.dumps(report.as_json(), ensure_ascii=False) if args.json else format_report(report, referential))
    return 1 if report.errors else 0
