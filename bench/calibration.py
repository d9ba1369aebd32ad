"""Benchmark of the 2PL calibration (engine.calibration) against girth, and on sparse adaptive data.

Everything runs in one process with BLAS pinned to one thread (``threadpoolctl``).

What is measured
----------------
complete  5000 examinees × 50 items, every cell observed; a = exp(N(0, 0.3²)), b ~ U(-2.5, 2.5),
          θ ~ N(0, 1). The same 0/1 matrix goes to ``engine.calibration.calibrate`` (default options:
          SQUAREM-accelerated EM, 41 points on [-6, 6], weak priors), to the same with plain EM, and to
          ``girth.twopl_mml`` (girth's defaults: 41 points on [-4.5, 4.5], 25 iterations, no priors; it
          takes an (items, examinees) array). Wall time (best of the repeats) and RMSE of a and b
          against the true parameters, plus the largest difference between our and girth's estimates.
sparse    20,000 examinees × 32 answers over 500 items (b ~ U(-3, 3)), from a simulated adaptive test:
          each next item is the unused one whose b is nearest the current EAP plus N(0, 0.5²) noise,
          so selection depends on the answers only (missing at random). Our wall time, EM cycles and
          RMSE over the items with at least ``min_responses`` (50) answers; girth is not run here (its
          marginal likelihood code takes a dense matrix).

Usage
-----
::

    python bench/calibration.py            # full run, readable table on stdout
    python bench/calibration.py --quick    # smaller designs (2000 × 50 complete, 5000 × 32 over 300)
    python bench/calibration.py --json     # one JSON object on stdout (progress goes to stderr)
    python bench/calibration.py --seed 3   # other items, abilities and answers

Needs ``threadpoolctl`` (benchmark extras) and, for the comparison, ``girth`` (``pip install girth``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import platform
import sys
import time
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np

try:
    import threadpoolctl  # noqa: F401 - checked here, used by bench._harness
except ImportError as exc:  # reported by main() with the install hint
    _MISSING: ImportError | None = exc
else:
    _MISSING = None

try:
    import girth
except Exception as exc:  # any import failure (ImportError, a numpy ABI error, ...) is reported
    girth = None
    _GIRTH_ERROR: str | None = f"{type(exc).__name__}: {exc}"
else:
    _GIRTH_ERROR = None

# ``python bench/calibration.py`` puts bench/ first on sys.path, where bench/engine.py would shadow the
# ``engine`` package: put the repository root there instead before importing the engine.
_ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == _ROOT / "bench":
    sys.path[0] = str(_ROOT)

from bench._harness import blas_info, run_benchmark  # noqa: E402
from engine.calibration import CalibrationOptions, calibrate  # noqa: E402

log = logging.getLogger("bench.calibration")

#: Independent random streams, all derived from ``--seed``: ``default_rng([seed, stream])``.
_STREAM_COMPLETE = 1
_STREAM_SPARSE = 2


def _expit(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _rmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(estimate - truth))))


def complete_design(n_examinees: int, n_items: int, rng: np.random.Generator) -> dict:
    """True parameters and a complete (examinees × items) 0/1 matrix."""
    a = np.exp(rng.normal(0.0, 0.3, n_items))
    b = rng.uniform(-2.5, 2.5, n_items)
    theta = rng.normal(0.0, 1.0, n_examinees)
    x = rng.random((n_examinees, n_items)) < _expit(a * (theta[:, None] - b))
    return {"a": a, "b": b, "x": x}


def adaptive_design(n_examinees: int, n_items: int, length: int, rng: np.random.Generator) -> dict:
    """A simulated CAT: nearest b to the running EAP (N(0, 1) prior) plus N(0, 0.5²) selection noise."""
    a = np.exp(rng.normal(0.0, 0.3, n_items))
    b = rng.uniform(-3.0, 3.0, n_items)
    theta = rng.normal(0.0, 1.0, n_examinees)
    grid = np.linspace(-6.0, 6.0, 61)
    rows = np.arange(n_examinees)
    used = np.zeros((n_examinees, n_items), dtype=bool)
    log_post = np.tile(-0.5 * grid**2, (n_examinees, 1))
    eap = np.zeros(n_examinees)
    items, successes = [], []
    for _ in range(length):
        distance = np.abs(b - (eap + 0.5 * rng.standard_normal(n_examinees))[:, None])
        distance[used] = np.inf
        pick = distance.argmin(axis=1)
        used[rows, pick] = True
        success = rng.random(n_examinees) < _expit(a[pick] * (theta - b[pick]))
        p = _expit(a[pick, None] * (grid - b[pick, None]))
        log_post += np.log(np.where(success[:, None], p, 1.0 - p))
        w = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        eap = (w @ grid) / w.sum(axis=1)
        items.append(pick)
        successes.append(success)
    examinees = np.tile(rows, length)
    return {"a": a, "b": b, "e": examinees, "j": np.concatenate(items), "x": np.concatenate(successes)}


def _best_of(repeats: int, run):
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run_ours(e, j, x, n_items, truth: dict, *, repeats: int, options: CalibrationOptions | None = None) -> dict:
    """Time :func:`calibrate` and score it against the true parameters (items not provisional)."""
    elapsed, res = _best_of(repeats, lambda: calibrate(e, j, x, n_items, options=options))
    kept = ~res.provisional
    return {
        "seconds": elapsed,
        "rmse_a": _rmse(res.discriminants[kept], truth["a"][kept]),
        "rmse_b": _rmse(res.difficulties[kept], truth["b"][kept]),
        "em_cycles": res.iterations,
        "converged": res.converged,
        "estimated_items": int(kept.sum()),
        "provisional_items": int(res.provisional.sum()),
        "_a": res.discriminants,
        "_b": res.difficulties,
    }


def run_girth(x: np.ndarray, truth: dict, *, repeats: int) -> dict:
    """Time ``girth.twopl_mml`` (default options) on the (items, examinees) matrix."""
    data = np.ascontiguousarray(x.T.astype(int))
    sink = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(sink):
        warnings.simplefilter("always")
        elapsed, res = _best_of(repeats, lambda: girth.twopl_mml(data))
    if caught:
        log.info("girth emitted %d warning(s), first: %s", len(caught), caught[0].message)
    a, b = np.asarray(res["Discrimination"], dtype=float), np.asarray(res["Difficulty"], dtype=float)
    return {
        "seconds": elapsed,
        "rmse_a": _rmse(a, truth["a"]),
        "rmse_b": _rmse(b, truth["b"]),
        "estimated_items": int(a.size),
        "_a": a,
        "_b": b,
    }


def _public(d: dict) -> dict:
    return {k: v for k, v in d.items() if not k.startswith("_")}


def run(args: argparse.Namespace) -> dict:
    """All measurements, as the JSON-ready result dict."""
    quick = args.quick
    n_complete = 2000 if quick else 5000
    n_sparse, n_sparse_items = (5000, 300) if quick else (20_000, 500)
    repeats = 1 if quick else 3
    out: dict = {
        "quick": quick,
        "seed": args.seed,
        "complete_design": f"{n_complete} examinees x 50 items, complete",
        "sparse_design": f"{n_sparse} examinees x 32 adaptive answers over {n_sparse_items} items",
        "repeats": repeats,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "girth": metadata.version("girth") if girth is not None else None,
        "girth_error": _GIRTH_ERROR,
        "machine": platform.machine(),
        "blas": blas_info(),
    }
    complete = complete_design(n_complete, 50, np.random.default_rng([args.seed, _STREAM_COMPLETE]))
    n, m = complete["x"].shape
    e, j, x = np.repeat(np.arange(n), m), np.tile(np.arange(m), n), complete["x"].ravel()

    log.info("ours on complete data (%s)", out["complete_design"])
    ours = run_ours(e, j, x, m, complete, repeats=repeats)
    log.info("ours, plain EM, on complete data")
    plain = run_ours(e, j, x, m, complete, repeats=repeats, options=CalibrationOptions(accelerate=False))
    out["complete_ours"] = _public(ours)
    out["complete_ours_plain_em"] = _public(plain)
    if girth is not None:
        log.info("girth on complete data")
        theirs = run_girth(complete["x"], complete, repeats=repeats)
        out["complete_girth"] = _public(theirs)
        out["complete_max_abs_diff_a"] = float(np.max(np.abs(ours["_a"] - theirs["_a"])))
        out["complete_max_abs_diff_b"] = float(np.max(np.abs(ours["_b"] - theirs["_b"])))
        out["complete_speedup_vs_girth"] = theirs["seconds"] / ours["seconds"]
    else:
        log.error("girth is not usable, benchmarking our method alone: %s", _GIRTH_ERROR)

    log.info("simulating the sparse adaptive design (%s)", out["sparse_design"])
    sparse = adaptive_design(n_sparse, n_sparse_items, 32, np.random.default_rng([args.seed, _STREAM_SPARSE]))
    log.info("ours on sparse data")
    out["sparse_ours"] = _public(
        run_ours(sparse["e"], sparse["j"], sparse["x"], n_sparse_items, sparse, repeats=max(1, repeats - 1))
    )
    return out


def format_table(out: dict) -> str:
    """The results as a readable text table."""
    rows = [("design / method", "seconds", "RMSE a", "RMSE b", "EM cycles", "items")]

    def add(label: str, r: dict | None) -> None:
        if r is None:
            return
        cycles = str(r.get("em_cycles", "25 max")) + ("" if r.get("converged", True) else " (not converged)")
        items = str(r.get("estimated_items", "all"))
        rows.append((label, f"{r['seconds']:.3f}", f"{r['rmse_a']:.4f}", f"{r['rmse_b']:.4f}", cycles, items))

    add("complete: ours (SQUAREM EM)", out["complete_ours"])
    add("complete: ours (plain EM)", out["complete_ours_plain_em"])
    add("complete: girth.twopl_mml", out.get("complete_girth"))
    add("sparse:   ours (SQUAREM EM)", out["sparse_ours"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        f"Calibration benchmark ({'quick' if out['quick'] else 'full'}, seed {out['seed']}, best of "
        f"{out['repeats']}; Python {out['python']}, numpy {out['numpy']}, girth {out['girth']})",
        f"complete: {out['complete_design']}; sparse: {out['sparse_design']}",
        "BLAS: "
        + "; ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} thread)" for b in out["blas"]),
        "",
    ]
    lines.append("  ".join(c.ljust(w) for c, w in zip(rows[0], widths, strict=True)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for r in rows[1:]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines.append("")
    if "complete_girth" in out:
        lines.append(
            f"ours vs girth on complete data: {out['complete_speedup_vs_girth']:.1f}x faster; largest |difference| "
            f"a {out['complete_max_abs_diff_a']:.4f}, b {out['complete_max_abs_diff_b']:.4f}"
        )
    else:
        lines.append(f"girth not run: {out['girth_error']}")
    sparse = out["sparse_ours"]
    lines.append(
        f"sparse: {sparse['provisional_items']} items provisional (< 50 answers), RMSE over the "
        f"{sparse['estimated_items']} estimated items"
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    logging.getLogger("engine.calibration").setLevel(logging.WARNING)
    sys.exit(run_benchmark(__doc__, run, format_table, _MISSING))
