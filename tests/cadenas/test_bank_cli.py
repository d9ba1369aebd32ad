"""``cadenas bank check``."""

from __future__ import annotations

import json

from cadenas.cli import main
from tests.engine.bank_fixture import valid_document, write_bank


def test_json_output_of_a_valid_bank(tmp_path, capsys):
    root = write_bank(tmp_path / "bank")
    assert main(["bank", "check", "--json", str(root)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["challenges"] == 6
    assert out["errors"] == []
    assert out["coverage"]["1.3"]["3"] == 2
    assert set(out["coverage"]) >= {"1.1", "5.2"}


def test_errors_give_a_non_zero_exit_and_are_listed(tmp_path, capsys):
    doc = valid_document()
    doc["challenges"][0]["solution"] = "9"
    root = write_bank(tmp_path / "bank", doc)
    assert main(["bank", "check", str(root)]) == 1
    text = capsys.readouterr().out
    assert "1 error(s)" in text
    assert "1.3.yaml: challenge c13-qcu-1a: solution: '9' is not an option number 1-2" in text
    assert text.splitlines()[0].startswith("competence L1")


def test_a_folder_that_is_not_a_bank_is_reported(tmp_path, caplog):
    with caplog.at_level("ERROR"):
        assert main(["bank", "check", str(tmp_path)]) == 2
    assert "no such folder" in caplog.text
