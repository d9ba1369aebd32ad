"""Generate every attachment of the bank into ``resources/bank/files/``.

Run with the project's environment::

    .venv/bin/python resources/bank/tools/make_attachments.py [OUTPUT_DIR]

Each ``files_d<N>.py`` module beside this script (one per domain) exposes ``build(root: Path)``
and writes its files under ``root/<competence code>/``. The output is byte-for-byte reproducible
(see ``docmaker``), so a test can regenerate it and compare with the committed files.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE.parent / "files"

logger = logging.getLogger("make_attachments")


def generators() -> list:
    """The ``files_d*`` modules, in name order."""
    sys.path.insert(0, str(HERE))
    try:
        return [importlib.import_module(p.stem) for p in sorted(HERE.glob("files_d*.py"))]
    finally:
        sys.path.remove(str(HERE))


def build(root: Path) -> None:
    """Write every attachment under ``root``."""
    for module in generators():
        logger.info("generating %s", module.__name__)
        module.build(root)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT)
