"""The ``cadenas`` command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cadenas.cli import main

REQUIRED = {
    "rmse",
    "bias",
    "mean_error_rate",
    "level_accuracy",
    "level_accuracy_within_one",
    "max_exposure",
    "unused_share",
    "overlap",
    "missing_competence_share",
    "n_examinees",
    "bank_size",
}


def test_simulate_json_prints_one_object_and_writes_the_report(tmp_path, capsys):
    out = tmp_path / "report.json"
    code = main(["simulate", "--json", "--examinees", "150", "--bank-size", "512", "--seed", "3", "--output", str(out)])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert REQUIRED <= printed.keys()
    assert printed["n_examinees"] == 150 and printed["bank_size"] == 512
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["rmse"] == printed["rmse"]


def test_simulate_prints_a_table_by_default(tmp_path, capsys):
    code = main(["simulate", "--examinees", "100", "--output", str(tmp_path / "r.json")])
    assert code == 0
    text = capsys.readouterr().out
    assert "RMSE (logits)" in text and "by level band" in text


def test_same_seed_gives_the_same_report(tmp_path, capsys):
    args = ["simulate", "--json", "--examinees", "80", "--seed", "5", "--output", str(tmp_path / "r.json")]
    main(args)
    first = json.loads(capsys.readouterr().out)
    main(args)
    second = json.loads(capsys.readouterr().out)
    for key in ("rmse", "overlap", "max_exposure"):
        assert first[key] == second[key]


@pytest.mark.parametrize("argv", [["simulate", "--examinees", "0"], ["simulate", "--design", "greedy"], ["fly"]])
def test_bad_arguments_exit_with_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_engine_errors_are_reported_not_raised(tmp_path, caplog):
    with caplog.at_level("ERROR"):
        code = main(["simulate", "--bank-size", "20", "--output", str(tmp_path / "r.json")])
    assert code == 2
    assert "at least 48 challenges" in caplog.text


def test_unwritable_output_is_reported(tmp_path, caplog):
    with caplog.at_level("ERROR"):
        code = main(["simulate", "--examinees", "20", "--output", str(tmp_path / "missing" / "r.json")])
    assert code == 2
    assert "cannot write the report" in caplog.text


def test_the_installed_command_simulates_on_the_shipped_bank(tmp_path):
    output = str(tmp_path / "r.json")
    command = ["simulate", "--bank", "resources/bank", "--examinees", "50", "--json", "--output", output]
    done = subprocess.run(
        [sys.executable, "-m", "cadenas", *command],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n_examinees"] == 50
