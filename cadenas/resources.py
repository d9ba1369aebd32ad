"""Where the shipped data lives, and reading it from disk for the engine (which does no I/O)."""

from __future__ import annotations

from pathlib import Path

from engine.bankfile import Bank, load_bank
from engine.referential import Referential, parse_referential

#: The repository's resources/ folder (the project is installed in editable mode).
RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEFAULT_BANK = RESOURCES / "bank"
DEFAULT_REFERENTIAL = RESOURCES / "referential.yaml"


def bank_documents(bank_dir: Path) -> dict[str, str]:
    """``{file name: YAML text}`` of every competence file in ``bank_dir/competences/``.

    Raises
    ------
    FileNotFoundError
        ``bank_dir`` has no ``competences/`` folder.
    """
    folder = Path(bank_dir) / "competences"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (a bank holds competences/<code>.yaml files)")
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))}


def attachment_reader(bank_dir: Path):
    """A ``read(relative_path) -> bytes`` for the bank's ``files/`` folder that stays inside it."""
    root = (Path(bank_dir) / "files").resolve()

    def read(relative: str) -> bytes:
        path = (root / relative).resolve()
        if root not in path.parents:
            raise FileNotFoundError(f"{relative}: outside the bank's files/ folder")
        return path.read_bytes()

    return read


def load_shipped_bank(bank_dir: Path = DEFAULT_BANK) -> Bank:
    """The bank in ``bank_dir``, strictly loaded (any problem raises ``BankFormatError``)."""
    return load_bank(bank_documents(bank_dir))


def load_shipped_referential(path: Path = DEFAULT_REFERENTIAL) -> Referential:
    """The referential shipped in ``resources/referential.yaml``."""
    return parse_referential(Path(path).read_text(encoding="utf-8"))
