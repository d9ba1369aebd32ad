"""What every benchmark in bench/ shares: its command line, one BLAS thread, and how it reports.

A benchmark script defines ``run(args) -> dict`` and ``format_table(result) -> str`` and ends with
``sys.exit(run_benchmark(__doc__, run, format_table, missing))``, where ``missing`` is the
ImportError of its optional dependencies (None when they are installed).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable

log = logging.getLogger("bench")


def blas_info(keys: tuple[str, ...] = ("internal_api", "version", "architecture", "num_threads")) -> list[dict]:
    """The BLAS libraries loaded, with the fields named in ``keys`` (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    return [{k: lib.get(k) for k in keys if k in lib} for lib in threadpool_info()]


def run_benchmark(
    doc: str,
    run: Callable[[argparse.Namespace], dict],
    format_table: Callable[[dict], str],
    missing: ImportError | None,
    argv: list[str] | None = None,
    *,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """Parse ``--quick --json --seed`` (and the script's own options), run with one BLAS thread,
    print the table or the JSON.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run, under a minute")
    parser.add_argument("--json", action="store_true", help="write one JSON object to stdout")
    parser.add_argument("--seed", type=int, default=0, help="root seed of the data (default 0)")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
    if missing is not None:
        log.error("cannot import %r (%s): install the extras with `pip install -e .[bench]`", missing.name, missing)
        return 2
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    with threadpool_limits(limits=1):
        out = run(args)
    out["wall_s"] = time.perf_counter() - start
    log.info("done in %.1f s", out["wall_s"])
    if args.json:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        sys.stdout.write(format_table(out))
        sys.stdout.write(f"wall time: {out['wall_s']:.1f} s\n")
    return 0
