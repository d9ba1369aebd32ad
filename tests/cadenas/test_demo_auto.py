"""``cadenas demo --auto``: the main job, end to end, and its output contract (issue 6 §9).

The real command in a child process: embedded server, the kiosk on its own Xvfb (the test runs
without a display), a scripted candidate with a free question and a search, a focus loss, a network
cut, a SIGKILL and an authorised resumption, two locks (a second screen) opened with the portal's
one-time code and remotely, then the certificate.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.x11,
    pytest.mark.skipif(
        shutil.which("Xvfb") is None or shutil.which("openbox") is None,
        reason="needs Xvfb and openbox (scripts/setup installs them with the kiosk extra)",
    ),
]


def test_demo_auto_plays_a_whole_course_and_prints_the_contract(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    done = subprocess.run(
        [sys.executable, "-m", "cadenas", "demo", "--auto", "--data-dir", str(tmp_path), "--timeout", "400"],
        capture_output=True,
        text=True,
        timeout=480,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:] + (tmp_path / "kiosk.log").read_text(errors="replace")[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert {
        "certificate_pdf",
        "verification_code",
        "pix_score",
        "answers_sent",
        "answers_on_server",
        "screenshots",
    } <= set(result)
    pdf = Path(result["certificate_pdf"])
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    assert result["verification_code"].startswith("P-")
    assert 0 < result["pix_score"] <= 1024
    assert result["answers_sent"] == result["answers_on_server"] == 32
    shots = [Path(p) for p in result["screenshots"]]
    assert shots and all(p.is_file() and p.read_bytes().startswith(b"\x89PNG") for p in shots)
    names = {p.stem.split("-", 1)[1] for p in shots}
    assert {"sign-in", "waiting-authorisation", "instructions", "waiting-resume", "lock-screen", "end"} <= names
    assert "search-results" in names
    assert result["steps"] == {
        "focus_out": True,
        "disconnection": True,
        "crash": True,
        "resumed": True,
        "unlocked_with_code": True,
        "unlocked_remotely": True,
    }
