"""The bank reader and checker on fixture banks, one broken thing at a time."""

from __future__ import annotations

import pytest

from cadenas.resources import attachment_reader, bank_documents
from engine.bankcheck import canonical_answer, check_bank
from engine.bankfile import BankFormatError, load_bank

from .bank_fixture import docmaker, valid_document, write_bank


def _check(tmp_path, document=None, **kw):
    root = write_bank(tmp_path / "bank", document, **kw)
    return check_bank(bank_documents(root), attachment_reader(root))


def test_the_valid_fixture_bank_has_no_error(tmp_path):
    report = _check(tmp_path)
    assert report.errors == []
    assert report.challenges == 6
    assert report.coverage["1.3"] == {"1": 2, "2": 0, "3": 2, "4": 0, "5": 2, "6": 0, "7": 0, "8": 0}
    assert report.summary["types"] == {"QCM": 1, "QCU": 1, "QROC": 2, "QROCM-dep": 1, "QROCM-ind": 1}
    assert any("competence 1.3: 1 tube(s), fewer than 3" in w for w in report.warnings)


def test_the_loaded_bank_keeps_the_hierarchy(tmp_path):
    bank = load_bank(bank_documents(write_bank(tmp_path / "b")))
    c = {e.challenge.id: e.challenge for e in bank.entries}["c13-ind-5a"]
    assert (c.skill, c.tube, c.competence, c.level) == ("@tableurTest5", "@tableurTest", "1.3", 5)
    assert bank.skills["@tableurTest3"].level == 3
    assert [t.id for t in bank.tubes] == ["@tableurTest"]


def _broken(mutate):
    doc = valid_document()
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["challenges"].append(dict(d["challenges"][0])),
            "challenge c13-qcu-1a: id: duplicate challenge id",
        ),
        (lambda d: d["challenges"][0].update(skill="@inconnu2"), "skill: unknown skill '@inconnu2'"),
        (lambda d: d["challenges"][0].update(solution="4"), "solution: '4' is not an option number 1-2"),
        (lambda d: d["challenges"][2].update(solution="13"), "verify: the file gives 12.5, which the solution refuses"),
        (lambda d: d["challenges"][3].update(solution="pâquerette"), "does not contain ['pâquerette']"),
        (
            lambda d: d["challenges"][1].update(difficulty=0.2),
            "difficulty: 0.2 is outside the level 1 cell [-4.67, -1.4)",
        ),
        (lambda d: d["challenges"][4].update(solution="auteur: [Léa Martin]\nformat: GIF"), "not among the drop-down"),
        (lambda d: d["challenges"][5].update(proposals="{{a}} {{b}} {{c}} {{d}}"), "4 fields: some field can never"),
        (lambda d: d["challenges"][2].update(proposals="Pas de champ"), "a QROC has exactly one {{field}}, found 0"),
        (lambda d: d["challenges"][0].pop("locale"), "challenge c13-qcu-1a: locale: missing"),
        (lambda d: d["challenges"][0].update(type="QCX"), "type: 'QCX' is not one of"),
        (lambda d: d["challenges"][0].update(timer=-5), "timer: expected a positive number of seconds"),
        (lambda d: d["challenges"][0].update(colour="bleu"), "unknown field(s) ['colour']"),
        (lambda d: d["challenges"][0].update(competence="2.1"), "competence: '2.1' contradicts skill"),
        (
            lambda d: d["tubes"][0]["skills"].append({"id": "@tableurTest2", "level": 2}),
            "levels of a tube must strictly",
        ),
        (lambda d: d["tubes"][0]["skills"][0].update(id="@autre1"), "id: expected @tableurTest1"),
        (lambda d: d["challenges"][4].update(solution="- not a mapping"), "solution: expected a non-empty mapping"),
        (lambda d: d["challenges"][3].update(verify=[]), "verify: a challenge with attachments needs a check"),
    ],
)
def test_each_broken_fixture_bank_reports_the_file_challenge_and_field(tmp_path, mutate, message):
    report = _check(tmp_path, _broken(mutate))
    assert any(e.startswith("1.3.yaml: ") and message in e for e in report.errors), report.errors


def test_a_missing_attachment_is_an_error(tmp_path):
    report = _check(tmp_path, files=False)
    assert "1.3.yaml: challenge c13-moyenne-3a: attachments: 1.3/notes.csv is missing" in report.errors


def test_an_attachment_path_outside_files_is_refused(tmp_path):
    doc = _broken(lambda d: d["challenges"][2].update(attachments=["../secret.csv"], verify=[]))
    report = _check(tmp_path, doc)
    assert any("attachments: '../secret.csv' must be a relative path inside files/" in e for e in report.errors)


def test_a_file_in_the_wrong_place_and_bad_yaml_are_reported(tmp_path):
    root = write_bank(tmp_path / "b")
    (root / "competences" / "2.1.yaml").write_text("competence: '2.2'\ntubes: []\nchallenges: []\n", encoding="utf-8")
    (root / "competences" / "9.9.yaml").write_text("competence: [unclosed\n", encoding="utf-8")
    report = check_bank(bank_documents(root), attachment_reader(root))
    assert any(
        e.startswith("2.1.yaml: competence: competence 2.2 must be in a file named 2.2.yaml") for e in report.errors
    )
    assert any(e.startswith("9.9.yaml: file: not valid YAML") for e in report.errors)


def test_load_bank_raises_with_every_problem(tmp_path):
    doc = _broken(lambda d: (d["challenges"][0].update(type="QCX"), d["challenges"][1].pop("status")))
    with pytest.raises(BankFormatError) as info:
        load_bank(bank_documents(write_bank(tmp_path / "b", doc)))
    assert len(info.value.problems) == 2
    assert "2 problem(s) in the item bank" in str(info.value)


def test_canonical_answers_are_what_a_candidate_sends():
    doc = valid_document()
    bank = load_bank({"1.3.yaml": __import__("yaml").safe_dump(doc, allow_unicode=True)})
    answers = {e.challenge.id: canonical_answer(e.challenge) for e in bank.entries}
    assert answers["c13-qcm-1b"] == "1,3"
    assert answers["c13-moyenne-3a"] == "12,5"
    assert "auteur: Léa Martin" in answers["c13-ind-5a"]


def test_text_is_extracted_from_office_documents_and_pdfs(tmp_path):
    from engine.attachments import extract_text

    docmaker.write_odt(tmp_path / "a.odt", ["Rapport d'été", "Total : 42"], author="Zoé")
    docmaker.write_docx(tmp_path / "a.docx", ["Madame, Monsieur"])
    docmaker.write_xlsx(tmp_path / "a.xlsx", [["Ville", "Habitants"], ["Lyon", 522250]])
    docmaker.write_ods(tmp_path / "a.ods", [["Ville", "Habitants"], ["Nantes", 320732]])
    docmaker.write_pdf(tmp_path / "a.pdf", ["Facture n° 2026-117", "Total : 84,50 €"])
    docmaker.write_html(tmp_path / "a.html", "Page", "<p>Caf&eacute; &amp; croissant</p>")
    read = {p.name: extract_text(p.name, p.read_bytes()) for p in tmp_path.iterdir()}
    assert "Rapport d'été" in read["a.odt"] and "Zoé" in read["a.odt"]
    assert "Madame, Monsieur" in read["a.docx"]
    assert "Lyon" in read["a.xlsx"] and "522250" in read["a.xlsx"]
    assert "Nantes" in read["a.ods"] and "320732" in read["a.ods"]
    assert "Facture n° 2026-117" in read["a.pdf"] and "84,50 €" in read["a.pdf"]
    assert "Café & croissant" in read["a.html"]
