"""A small valid bank written to a temporary folder, for the bank reader and checker tests."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import yaml

_TOOLS = Path(__file__).resolve().parents[2] / "resources" / "bank" / "tools" / "docmaker.py"
_spec = importlib.util.spec_from_file_location("docmaker", _TOOLS)
docmaker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docmaker)


def _challenge(cid: str, skill: str, kind: str, proposals: str, solution: str, difficulty: float, **extra) -> dict:
    base = {
        "id": cid,
        "skill": skill,
        "type": kind,
        "statement": "Énoncé de test.",
        "proposals": proposals,
        "solution": solution,
        "focused": False,
        "timer": None,
        "attachments": [],
        "accessibility1": "OK",
        "accessibility2": "OK",
        "locale": ["fr-fr", "fr"],
        "status": "validé",
        "discriminant": 1.0,
        "difficulty": difficulty,
        "calibration": "provisional",
    }
    base.update(extra)
    return base


def valid_document() -> dict:
    """One competence (1.3) with a tube of three skills and one challenge of every type."""
    return {
        "competence": "1.3",
        "tubes": [
            {
                "id": "@tableurTest",
                "title": "Tableur",
                "skills": [{"id": "@tableurTest1", "level": 1}, {"id": "@tableurTest3", "level": 3},
                           {"id": "@tableurTest5", "level": 5}],
            }
        ],
        "challenges": [
            _challenge("c13-qcu-1a", "@tableurTest1", "QCU", "- oui\n- non\n", "2", -2.0, focused=True),
            _challenge("c13-qcm-1b", "@tableurTest1", "QCM", "- a\n- b\n- c\n", "1,3", -3.0),
            _challenge(
                "c13-moyenne-3a", "@tableurTest3", "QROC", "Moyenne : {{moyenne}}", "12,5", 0.0,
                format="nombre", tolerances=["t1", "t2"], attachments=["1.3/notes.csv"],
                verify=[{"kind": "csv", "file": "1.3/notes.csv", "column": "Note", "stat": "mean", "decimals": 1}],
            ),
            _challenge(
                "c13-zip-3b", "@tableurTest3", "QROC", "Mot magique : {{mot}}", "tournesol", 0.3,
                attachments=["1.3/archive.zip"],
                verify=[{"kind": "zip_member", "file": "1.3/archive.zip", "member": "dossier/secret.txt"}],
            ),
            _challenge(
                "c13-ind-5a", "@tableurTest5", "QROCM-ind", "Auteur {{auteur}} Format {{format: PNG | JPEG}}",
                "auteur:\n  - Léa Martin\nformat: PNG\n", 1.8, attachments=["1.3/image.png"],
                verify=[{"kind": "png_text", "file": "1.3/image.png", "key": "Author", "field": "auteur"}],
            ),
            _challenge("c13-dep-5b", "@tableurTest5", "QROCM-dep", "{{a}} et {{b}}",
                       "g1: [Calc]\ng2: [Excel]\ng3: [Numbers]\n", 2.0),
        ],
    }  # fmt: skip


def write_bank(root: Path, document: dict | None = None, *, files: bool = True) -> Path:
    """Write ``document`` (default: the valid one) and its attachments under ``root``."""
    doc = copy.deepcopy(document if document is not None else valid_document())
    (root / "competences").mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    (root / "competences" / f"{doc.get('competence', '1.3')}.yaml").write_text(text, encoding="utf-8")
    if files:
        out = root / "files" / "1.3"
        docmaker.write_csv(out / "notes.csv", [["Nom", "Note"], ["Ana", "12"], ["Bob", "13"]])
        docmaker.write_zip(out / "archive.zip", {"dossier/secret.txt": "Le mot magique est tournesol."})
        docmaker.write_png(out / "image.png", 4, 4, lambda x, y: (0, 0, 0), text={"Author": "Léa Martin"})
    return root
