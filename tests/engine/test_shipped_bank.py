"""The authored bank in resources/bank: valid, complete enough for a test, reproducible files."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cadenas.resources import DEFAULT_BANK, attachment_reader, bank_documents, load_shipped_bank
from engine.bank import Pool
from engine.bankcheck import check_bank
from engine.config import COMPETENCE_CODES, EngineConfig
from engine.simulation import simulate


@pytest.fixture(scope="module")
def report():
    return check_bank(bank_documents(DEFAULT_BANK), attachment_reader(DEFAULT_BANK))


@pytest.fixture(scope="module")
def bank():
    return load_shipped_bank()


def test_the_shipped_bank_has_no_error_and_no_warning(report):
    assert report.errors == []
    assert report.warnings == []


def test_the_bank_is_large_and_varied_enough(report, bank):
    s = report.summary
    assert report.challenges >= 240
    assert set(s["types"]) == {"QCU", "QCM", "QROC", "QROCM-ind", "QROCM-dep"}
    assert s["free_text_share"] >= 0.25
    assert s["focused_share"] >= 0.15
    assert s["free_mode_with_attachment_share"] >= 0.15
    assert s["timed"] >= 16
    assert s["skills_with_variants"] >= 8
    tubes = Counter(t.competence for t in bank.tubes)
    for code in COMPETENCE_CODES:
        assert tubes[code] >= 3, code
        levels = {int(level) for level, n in report.coverage[code].items() if n}
        assert set(range(1, 7)) <= levels, code
    assert any(c.level == 7 for c in bank.challenges)


def test_every_challenge_carries_every_spec_field(bank):
    for entry in bank.entries:
        c = entry.challenge
        assert c.statement.strip() and c.solution.strip()
        assert c.accessibility1 and c.accessibility2 and c.locale
        assert entry.provisional or entry.calibration


def test_attachments_cover_the_formats_a_candidate_meets(bank):
    suffixes = {Path(a).suffix for c in bank.challenges for a in c.attachments}
    for wanted in ({".csv"}, {".ods", ".xlsx"}, {".odt", ".docx"}, {".png"}, {".pdf"}, {".zip"}, {".html"}):
        assert suffixes & wanted, wanted


def test_attachment_generation_is_reproducible(tmp_path):
    path = DEFAULT_BANK / "tools" / "make_attachments.py"
    spec = importlib.util.spec_from_file_location("make_attachments", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(tmp_path)
    shipped = {
        p.relative_to(DEFAULT_BANK / "files"): p.read_bytes()
        for p in (DEFAULT_BANK / "files").rglob("*")
        if p.is_file()
    }
    made = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert sorted(made) == sorted(shipped)
    assert [name for name in made if made[name] != shipped[name]] == []


@pytest.mark.parametrize("accessibility", [False, True])
def test_a_full_test_never_runs_out_at_any_ability(bank, accessibility):
    pool = Pool(bank.challenges, locale="fr")
    theta = np.linspace(-5, 7.5, 120)
    result = simulate(pool, EngineConfig(), theta, seed=1, accessibility=accessibility)
    assert (result.administered >= 0).all()
