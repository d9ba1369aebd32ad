"""``cadenas calibrate``: responses CSV in, a new calibrated bank out, nothing half-written."""

from __future__ import annotations

import csv
import hashlib
import json

import numpy as np
import pytest

from cadenas.calibrate import rewrite_parameters
from cadenas.cli import main
from cadenas.resources import DEFAULT_BANK, attachment_reader, bank_documents, load_shipped_bank
from engine.bank import Pool
from engine.bankcheck import check_bank
from engine.config import EngineConfig
from engine.simulation import simulate


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((folder / "competences").glob("*.yaml"))}


@pytest.fixture(scope="module")
def responses(tmp_path_factory):
    """Answers of 2,500 simulated candidates to real adaptive tests on the shipped bank."""
    bank = load_shipped_bank()
    pool = Pool(bank.challenges, locale="fr")
    theta = np.random.default_rng(5).normal(0.5, 1.4, 2500)
    result = simulate(pool, EngineConfig(), theta, seed=5)
    path = tmp_path_factory.mktemp("cal") / "responses.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["candidate_id", "challenge_id", "success"])
        for i, (items, oks) in enumerate(zip(result.administered, result.successes, strict=True)):
            for item, ok in zip(items, oks, strict=True):
                writer.writerow([f"cand{i:05d}", pool.ids[item], int(ok)])
    return path, pool


def test_calibration_writes_a_valid_new_bank_and_leaves_the_old_one_alone(tmp_path, responses, capsys):
    path, pool = responses
    before = _digest(DEFAULT_BANK)
    out = tmp_path / "bank-new"
    assert main(["calibrate", str(path), "--output", str(out), "--id", "cal-test", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["converged"] and summary["estimated"] > 150 and summary["output"] == str(out)
    assert _digest(DEFAULT_BANK) == before
    report = check_bank(bank_documents(out), attachment_reader(out))
    assert report.errors == []
    new = load_shipped_bank(out)
    calibrated = [e for e in new.entries if e.calibration == "cal-test"]
    assert len(calibrated) == summary["estimated"]
    untouched = [e for e in new.entries if e.provisional]
    assert len(untouched) == summary["provisional"]
    # The simulated answers followed the bank's provisional parameters: estimates must track them.
    true_b = np.array([pool.b[pool.position[e.challenge.id]] for e in calibrated])
    est_b = np.array([e.challenge.difficulty for e in calibrated])
    assert np.corrcoef(true_b, est_b)[0, 1] > 0.9
    items = json.loads((out / "calibration-report.json").read_text(encoding="utf-8"))["items"]
    assert {i["status"] for i in items} <= {"estimated", "provisional"}
    assert (out / "files").is_dir()


def _write(tmp_path, rows, header=("candidate_id", "challenge_id", "success")):
    path = tmp_path / "r.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([["a", "c11-requete-1a", "1"], ["a", "nope", "0"]], None, "line 3: challenge 'nope' is not in the bank"),
        ([["a", "c11-requete-1a", "yes"]], None, "line 2: success must be 0 or 1"),
        ([["a", "c11-requete-1a", "1"], ["a", "c11-requete-1a", "0"]], None, "line 3: a answered c11-requete-1a twice"),
        ([["a", "c11-requete-1a"]], None, "line 2: expected 3 columns"),
        ([], ("who", "what", "ok"), "line 1: expected the header"),
        ([], None, "no responses"),
    ],
)
def test_bad_responses_are_refused_by_line_and_nothing_is_written(tmp_path, caplog, rows, header, message):
    path = _write(tmp_path, rows, header or ("candidate_id", "challenge_id", "success"))
    out = tmp_path / "out"
    with caplog.at_level("ERROR"):
        assert main(["calibrate", str(path), "--output", str(out)]) == 2
    assert message in caplog.text
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".calibrating")] == []


def test_an_existing_output_folder_is_never_overwritten(tmp_path, caplog):
    path = _write(tmp_path, [["a", "c11-requete-1a", "1"]])
    (tmp_path / "out").mkdir()
    with caplog.at_level("ERROR"):
        assert main(["calibrate", str(path), "--output", str(tmp_path / "out")]) == 2
    assert "already exists" in caplog.text


def test_rewriting_keeps_comments_and_other_challenges():
    text = (
        'challenges:\n  # a comment\n  - id: "x1"\n    discriminant: 0.9\n    difficulty: -2.6\n'
        "    calibration: provisional\n  - id: x2\n    discriminant: 1.1\n    difficulty: 0.3\n"
        "    calibration: provisional\n"
    )
    out = rewrite_parameters(text, {"x2": (1.234567891, -0.5, "cal-1")})
    assert "# a comment" in out
    assert "discriminant: 0.9\n    difficulty: -2.6\n    calibration: provisional" in out
    assert "discriminant: 1.234568\n    difficulty: -0.500000\n    calibration: cal-1" in out
