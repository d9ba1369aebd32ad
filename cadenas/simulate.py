"""``cadenas simulate``: run the vectorised simulator on a synthetic bank and report.

The report is printed as a table (or, with ``--json``, as one JSON object on stdout) and written
as JSON to ``--output``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

from cadenas.cli import emit
from cadenas.resources import load_shipped_bank
from engine.bank import Pool
from engine.config import EngineConfig
from engine.errors import EngineError
from engine.simulation import Design, report, simulate
from engine.synthetic import synthetic_bank

logger = logging.getLogger(__name__)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``cadenas simulate``."""
    parser.add_argument("--examinees", type=_positive_int, default=5000, help="simulated candidates (5000)")
    parser.add_argument("--bank-size", type=_positive_int, default=512, help="synthetic bank size (512)")
    parser.add_argument(
        "--bank", type=Path, default=None, help="simulate on this bank folder instead of a synthetic bank"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the bank, abilities and responses (0)")
    parser.add_argument("--ability-mean", type=float, default=0.0, help="mean of the true abilities (0)")
    parser.add_argument("--ability-sd", type=float, default=1.5, help="SD of the true abilities (1.5)")
    parser.add_argument(
        "--design", choices=[d.value for d in Design], default=Design.RULES.value, help="test design (rules)"
    )
    parser.add_argument("--accessibility", action="store_true", help="simulate accessibility-adjusted courses")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object on stdout")
    parser.add_argument(
        "--output", type=Path, default=Path("simulation-report.json"), help="JSON report file (simulation-report.json)"
    )
    parser.set_defaults(handler=run)


class _ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} examinees")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def build_report(args: argparse.Namespace) -> dict:
    """Generate the bank and abilities, simulate, and return the report with its settings."""
    if not args.ability_sd > 0:
        raise EngineError(f"--ability-sd must be > 0, got {args.ability_sd}")
    config = EngineConfig()
    root = np.random.default_rng(args.seed)
    bank_rng, ability_rng = root.spawn(2)
    if args.bank is not None:
        pool = Pool(load_shipped_bank(args.bank).challenges, locale="fr")
    else:
        pool = Pool(synthetic_bank(args.bank_size, bank_rng))
    theta = ability_rng.normal(args.ability_mean, args.ability_sd, args.examinees)
    started = time.perf_counter()
    result = simulate(
        pool,
        config,
        theta,
        seed=args.seed,
        design=args.design,
        accessibility=args.accessibility,
        progress=_ProgressBar(),
    )
    elapsed = time.perf_counter() - started
    out = report(result, pool, config)
    out.update(
        design=args.design,
        bank=str(args.bank) if args.bank is not None else f"synthetic ({args.bank_size})",
        seed=args.seed,
        accessibility=args.accessibility,
        ability_mean=args.ability_mean,
        ability_sd=args.ability_sd,
        seconds=elapsed,
        tests_per_second=args.examinees / elapsed if elapsed else None,
    )
    return out


def format_table(rep: dict) -> str:
    """The report as a human-readable table."""
    rows = [
        ("examinees", f"{rep['n_examinees']}"),
        ("bank", f"{rep['bank']}, {rep['bank_size']} challenges"),
        ("design", rep["design"]),
        ("RMSE (logits)", f"{rep['rmse']:.4f}"),
        ("bias (logits)", f"{rep['bias']:+.4f}"),
        ("mean reported error rate", f"{rep['mean_error_rate']:.4f}"),
        ("error rate / RMSE", f"{rep['error_rate_over_rmse']:.3f}" if rep["error_rate_over_rmse"] else "-"),
        ("level accuracy (exact)", f"{rep['level_accuracy']:.1%}"),
        ("level accuracy (±1)", f"{rep['level_accuracy_within_one']:.1%}"),
        ("pix score RMSE", f"{rep['pix_rmse']:.1f}"),
        ("max item exposure", f"{rep['max_exposure']:.1%}"),
        ("unused items", f"{rep['unused_share']:.1%}"),
        ("mean pairwise overlap", f"{rep['overlap']:.1%}"),
        ("tests missing a competence", f"{rep['missing_competence_share']:.1%}"),
        ("tests per second", f"{rep['tests_per_second']:.0f}"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines += ["", "by level band of the true ability (mesh -1: below the scale)"]
    lines.append(f"{'mesh':>4} {'n':>6} {'bias':>8} {'RMSE':>7} {'SE':>7} {'err.rate':>8} {'level acc':>9}")
    for b in rep["bands"]:
        lines.append(
            f"{b['mesh']:>4} {b['n']:>6} {b['bias']:>+8.3f} {b['rmse']:>7.3f} {b['se']:>7.3f} "
            f"{b['mean_error_rate']:>8.3f} {b['level_accuracy']:>9.1%}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; exit code 0 on success, 2 on an engine error."""
    try:
        rep = build_report(args)
    except (EngineError, OSError) as exc:
        logger.error("simulation failed: %s", exc)
        return 2
    text = json.dumps(rep, indent=2, ensure_ascii=False)
    try:
        args.output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        logger.error("cannot write the report to %s: %s", args.output, exc)
        return 2
    emit(json.dumps(rep, ensure_ascii=False) if args.json else format_table(rep))
    logger.info("report written to %s", args.output)
    return 0
