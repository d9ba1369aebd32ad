"""Benchmark of the server's test loop: answer submitted → next question received, over loopback.

A real uvicorn server (SQLite in a temporary folder, or ``--database-url``) and an httpx client
play whole courses: join, authorisation (set in the database, as the invigilator would), start,
then 32 × (POST answer, GET next challenge). Each answer + next-question pair is timed; the report
gives p50/p95/p99 in milliseconds and courses per second.

    python bench/server.py [--quick] [--json] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import tempfile
import time
import uuid
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == _ROOT / "bench":
    sys.path[0] = str(_ROOT)  # bench/engine.py would shadow the engine package

import httpx  # noqa: E402
import numpy as np  # noqa: E402
from sqlalchemy import update  # noqa: E402

from bench._harness import run_benchmark  # noqa: E402
from cadenas.demo import EmbeddedServer  # noqa: E402
from server.app import create_app  # noqa: E402
from server.config import Settings  # noqa: E402
from server.models import Candidate  # noqa: E402
from server.seed import seed_demo  # noqa: E402

log = logging.getLogger("bench.server")


def _answer_for(challenge: dict):
    if challenge["type"] in ("QROCM-ind", "QROCM-dep"):
        return {field["key"]: "réponse" for field in challenge["fields"]}
    return "1" if challenge["type"] in ("QCU", "QCM") else "réponse"


def _course(client: httpx.Client, app, demo: dict, person: dict) -> list[float]:
    joined = client.post(
        "/api/v1/sessions/join", json={"session_id": demo["session_id"], "access_code": demo["access_code"], **person}
    )
    joined.raise_for_status()
    headers = {"Authorization": f"Bearer {joined.json()['token']}"}
    with app.state.sessions.begin() as db:
        db.execute(
            update(Candidate).where(Candidate.id == joined.json()["candidate"]["id"]).values(authorized_to_start=True)
        )
    client.post("/api/v1/candidate/course/start", headers=headers).raise_for_status()
    shown = client.get("/api/v1/candidate/challenge", headers=headers).json()
    timings = []
    while not shown["finished"]:
        challenge = shown["challenge"]
        body = {"uuid": str(uuid.uuid4()), "challenge_id": challenge["id"], "value": _answer_for(challenge)}
        start = time.perf_counter()
        client.post("/api/v1/candidate/answers", json=body, headers=headers).raise_for_status()
        shown = client.get("/api/v1/candidate/challenge", headers=headers).json()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def run(args: argparse.Namespace) -> dict:
    """Play the courses and collect the timings."""
    folder = Path(tempfile.mkdtemp(prefix="cadenas-bench-"))
    settings = Settings(data_dir=folder, database_url=args.database_url)
    app = create_app(settings)
    server = EmbeddedServer(app).start()
    url = server.url
    courses = 3 if args.quick else 20
    try:
        timings: list[float] = []
        started = time.perf_counter()
        with app.state.sessions.begin() as db:
            demo = seed_demo(db, today=app.state.clock().date())
            people = [
                {"last_name": f"Essai{i:03d}", "first_name": "Banc", "birth_date": "2009-05-17"} for i in range(courses)
            ]
            for person in people:
                db.add(Candidate(session_id=demo["session_id"], **{**person, "birth_date": dt.date(2009, 5, 17)}))
        with httpx.Client(base_url=url, timeout=30) as client:
            for person in people:
                timings += _course(client, app, demo, person)
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
    values = np.array(timings)
    return {
        "database": "postgresql" if settings.database_url else "sqlite",
        "courses": courses,
        "answers": int(values.size),
        "answer_to_next_p50_ms": float(np.percentile(values, 50)),
        "answer_to_next_p95_ms": float(np.percentile(values, 95)),
        "answer_to_next_p99_ms": float(np.percentile(values, 99)),
        "courses_per_s": courses / elapsed,
    }


def format_table(out: dict) -> str:
    """The results as lines of text."""
    p50, p95, p99 = (out[f"answer_to_next_{q}_ms"] for q in ("p50", "p95", "p99"))
    return (
        f"server loop on {out['database']}: {out['courses']} courses, {out['answers']} answers\n"
        f"answer -> next question: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms\n"
        f"{out['courses_per_s']:.2f} whole courses/s (one client)\n"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The database to run on."""
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL (default: SQLite in a temp folder)")


if __name__ == "__main__":
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    sys.exit(run_benchmark(__doc__, run, format_table, None, add_arguments=add_arguments))
