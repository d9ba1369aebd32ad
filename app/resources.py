"""Where the kiosk's shipped data lives: ``resources/`` beside the packages, or inside a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_root() -> Path:
    """The ``resources/`` folder: ``sys._MEIPASS/resources`` in a bundle, else the repository's."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


#: The candidate pages served on ``kiosk://app/`` (see resources/web/README.md for the bridge messages).
WEB = resources_root() / "web"
