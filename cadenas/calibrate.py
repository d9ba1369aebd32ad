"""``cadenas calibrate RESPONSES.csv``: estimate 2PL parameters from real answers, write a new bank.

Input: a CSV with the header ``candidate_id,challenge_id,success`` (success 0 or 1), as the server
exports it. Output: a new bank folder (the input bank is never modified) whose challenges carry
the estimated ``discriminant`` and ``difficulty`` and ``calibration: <id>``; challenges with too
few responses keep their parameters and calibration. A ``calibration-report.json`` beside the
competence files lists every item's counts, estimates, standard errors and fit.

The YAML files are edited line by line (only the three parameter lines of each calibrated
challenge change), so comments and layout survive; the result is read back and compared with the
estimates before anything is written.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import math
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from cadenas.cli import emit
from cadenas.resources import DEFAULT_BANK, bank_documents
from engine.bankfile import Bank, load_bank
from engine.calibration import CalibrationOptions, CalibrationResult, calibrate_by_id
from engine.errors import EngineError

logger = logging.getLogger(__name__)

HEADER = ("candidate_id", "challenge_id", "success")
_ID_LINE = re.compile(r"^\s*-\s+id:\s*[\"']?([^\"'\s#]+)")
_PARAM_LINE = re.compile(r"^(\s+)(discriminant|difficulty|calibration):.*$")
#: Decimal places written to the bank (the reference stores 5; one more costs nothing).
DECIMALS = 6


class CalibrationInputError(ValueError):
    """The responses file or the options are unusable; the message names the line or option."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``cadenas calibrate``."""
    parser.add_argument("responses", type=Path, help="CSV with candidate_id,challenge_id,success")
    parser.add_argument("--bank", type=Path, default=DEFAULT_BANK, help="bank folder to start from (the shipped bank)")
    parser.add_argument("--output", type=Path, default=None, help="new bank folder (default: ./bank-<id>)")
    parser.add_argument("--id", dest="calibration_id", default=None, help="calibration id (default: from the data)")
    parser.add_argument("--min-responses", type=int, default=50, help="responses needed to estimate an item (50)")
    parser.add_argument(
        "--anchors",
        choices=("calibrated", "none"),
        default="calibrated",
        help="hold already calibrated challenges fixed to keep the scale (calibrated)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.set_defaults(handler=run)


def read_responses(path: Path, known: set[str]) -> tuple[list[str], list[str], list[int]]:
    """The three columns of the responses CSV, every row checked.

    Raises
    ------
    CalibrationInputError
        A wrong header, a short row, an unknown challenge, a success other than 0/1, or a
        candidate answering one challenge twice; the message gives the line number.
    """
    candidates, challenges, successes = [], [], []
    seen: set[tuple[str, str]] = set()
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != HEADER:
            raise CalibrationInputError(f"{path}: line 1: expected the header {','.join(HEADER)}, got {header}")
        for line, row in enumerate(reader, start=2):
            if len(row) != 3:
                raise CalibrationInputError(f"{path}: line {line}: expected 3 columns, got {len(row)}")
            candidate, challenge, success = (cell.strip() for cell in row)
            if challenge not in known:
                raise CalibrationInputError(f"{path}: line {line}: challenge {challenge!r} is not in the bank")
            if success not in ("0", "1"):
                raise CalibrationInputError(f"{path}: line {line}: success must be 0 or 1, got {success!r}")
            if (candidate, challenge) in seen:
                raise CalibrationInputError(f"{path}: line {line}: {candidate} answered {challenge} twice")
            seen.add((candidate, challenge))
            candidates.append(candidate)
            challenges.append(challenge)
            successes.append(int(success))
    if not candidates:
        raise CalibrationInputError(f"{path}: no responses")
    return candidates, challenges, successes


def rewrite_parameters(text: str, updates: dict[str, tuple[float, float, str]]) -> str:
    """Replace the parameter lines of the challenges in ``updates`` (id → (a, b, calibration id))."""
    out, current = [], None
    for line in text.splitlines(keepends=True):
        if match := _ID_LINE.match(line):
            current = match.group(1)
        elif current in updates and (match := _PARAM_LINE.match(line)):
            a, b, cal = updates[current]
            value = {"discriminant": f"{a:.{DECIMALS}f}", "difficulty": f"{b:.{DECIMALS}f}", "calibration": cal}
            line = f"{match.group(1)}{match.group(2)}: {value[match.group(2)]}\n"
        out.append(line)
    return "".join(out)


def _updates(result: CalibrationResult, ids: tuple[str, ...], cal_id: str) -> dict[str, tuple[float, float, str]]:
    estimated = ~result.provisional & ~result.anchored
    return {
        ids[i]: (float(result.discriminants[i]), float(result.difficulties[i]), cal_id)
        for i in np.flatnonzero(estimated)
    }


def _check_written(documents: dict[str, str], updates: dict[str, tuple[float, float, str]]) -> Bank:
    bank = load_bank(documents)
    by_id = {e.challenge.id: e for e in bank.entries}
    missing = [cid for cid in updates if cid not in by_id]
    wrong = [
        cid
        for cid, (a, b, cal) in updates.items()
        if cid in by_id
        and not (
            by_id[cid].calibration == cal
            and math.isclose(by_id[cid].challenge.discriminant, a, abs_tol=10**-DECIMALS)
            and math.isclose(by_id[cid].challenge.difficulty, b, abs_tol=10**-DECIMALS)
        )
    ]
    if missing or wrong:
        raise CalibrationInputError(
            f"the rewritten bank does not hold the estimates (missing {missing[:5]}, wrong {wrong[:5]}): "
            "a challenge's parameter lines could not be found; nothing was written"
        )
    return bank


def _report(result: CalibrationResult, ids: tuple[str, ...], cal_id: str, source: Path) -> dict:
    items = []
    for i, cid in enumerate(ids):
        items.append(
            {
                "challenge_id": cid,
                "responses": int(result.response_counts[i]),
                "successes": int(result.success_counts[i]),
                "status": "anchor" if result.anchored[i] else "provisional" if result.provisional[i] else "estimated",
                "discriminant": float(result.discriminants[i]),
                "difficulty": float(result.difficulties[i]),
                "discriminant_se": _finite(result.discriminant_se[i]),
                "difficulty_se": _finite(result.difficulty_se[i]),
                "fit_x2": _finite(result.fit_statistic[i]),
                "fit_df": int(result.fit_df[i]),
            }
        )
    return {
        "calibration": cal_id,
        "responses_file": str(source),
        "converged": bool(result.converged),
        "iterations": int(result.iterations),
        "log_likelihood": float(result.log_likelihood),
        "ability_mean": float(result.ability_mean),
        "ability_sd": float(result.ability_sd),
        "estimated": int(sum(i["status"] == "estimated" for i in items)),
        "anchors": int(result.anchored.sum()),
        "provisional": int(result.provisional.sum()),
        "items": items,
    }


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def calibrate_bank(args: argparse.Namespace) -> dict:
    """Run the whole command; return the report. Writes nothing unless everything succeeded."""
    documents = bank_documents(args.bank)
    bank = load_bank(documents)
    ids = tuple(e.challenge.id for e in bank.entries)
    candidates, challenges, successes = read_responses(args.responses, set(ids))
    cal_id = args.calibration_id or "cal-" + hashlib.sha256(args.responses.read_bytes()).hexdigest()[:10]
    output = args.output or Path(f"bank-{cal_id}")
    if output.exists():
        raise CalibrationInputError(f"--output {output} already exists: choose a new folder")
    anchors = (
        {e.challenge.id: (e.challenge.discriminant, e.challenge.difficulty) for e in bank.entries if not e.provisional}
        if args.anchors == "calibrated"
        else None
    )
    start = {e.challenge.id: (e.challenge.discriminant, e.challenge.difficulty) for e in bank.entries}
    result, index = calibrate_by_id(
        candidates,
        challenges,
        successes,
        challenges=ids,
        anchors=anchors or None,
        start=start,
        options=CalibrationOptions(min_responses=args.min_responses),
    )
    updates = _updates(result, index.challenge_ids, cal_id)
    rewritten = {name: rewrite_parameters(text, updates) for name, text in documents.items()}
    _check_written(rewritten, updates)
    report = _report(result, index.challenge_ids, cal_id, args.responses)
    _write_bank(args.bank, output, rewritten, report)
    report["output"] = str(output)
    return report


def _write_bank(source: Path, output: Path, documents: dict[str, str], report: dict) -> None:
    """Copy the bank with the new competence files into ``output``, atomically (temp dir + rename)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".calibrating-", dir=output.parent))
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        for name, text in documents.items():
            (staging / "competences" / name).write_text(text, encoding="utf-8")
        (staging / "calibration-report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        staging.rename(output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def format_summary(report: dict) -> str:
    """A short human-readable summary with the worst-fitting items."""
    lines = [
        f"calibration {report['calibration']}: {report['estimated']} estimated, {report['anchors']} anchors, "
        f"{report['provisional']} left provisional (too few responses)",
        f"EM {'converged' if report['converged'] else 'did NOT converge'} in {report['iterations']} iterations, "
        f"log-likelihood {report['log_likelihood']:.1f}, ability N({report['ability_mean']:.3f}, "
        f"{report['ability_sd']:.3f}²)",
        f"new bank: {report['output']}",
    ]
    fits = [i for i in report["items"] if i["fit_x2"] is not None and i["fit_df"] > 0]
    worst = sorted(fits, key=lambda i: -(i["fit_x2"] / i["fit_df"]))[:5]
    if worst:
        lines.append(
            "largest fit X²/df: " + ", ".join(f"{i['challenge_id']} {i['fit_x2'] / i['fit_df']:.2f}" for i in worst)
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Exit 0 on success, 2 on bad input (nothing written)."""
    if args.min_responses < 1:
        logger.error("--min-responses must be at least 1, got %s", args.min_responses)
        return 2
    try:
        report = calibrate_bank(args)
    except (CalibrationInputError, EngineError, OSError) as exc:
        logger.error("calibration failed, nothing written: %s", exc)
        return 2
    if not report["converged"]:
        logger.warning("EM did not converge; the estimates are written but should be checked")
    emit(json.dumps({k: v for k, v in report.items() if k != "items"}) if args.json else format_summary(report))
    return 0
