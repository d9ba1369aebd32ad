"""Fetch axe-core (the accessibility rules engine) for the page tests: ``.venv/axe-core/axe.min.js``.

The tarball comes from the npm registry and is checked against its published sha512 integrity
before anything is extracted; only ``axe.min.js`` and its ``LICENSE`` (MPL-2.0) are kept. Each file
is written to a temporary name and renamed, so an interrupted run never leaves a half file. Nothing
is done when the right version is already there (``VERSION`` stamp).

Usage: ``python scripts/fetch_axe.py`` (exit 0 on success, 1 with a message on failure).
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

logger = logging.getLogger("fetch_axe")

VERSION = "4.14.1"
URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
#: Members of the tarball to keep, and their names in the target folder.
MEMBERS = {"package/axe.min.js": "axe.min.js", "package/LICENSE": "LICENSE"}
TARGET = Path(__file__).resolve().parent.parent / ".venv" / "axe-core"
STAMP = "VERSION"
TIMEOUT_SECONDS = 60


class FetchError(RuntimeError):
    """The download failed, or what was downloaded is not the expected tarball."""


def is_installed(target: Path) -> bool:
    """True when ``target`` already holds every file of this version."""
    stamp = target / STAMP
    if not stamp.is_file() or stamp.read_text(encoding="utf-8").strip() != VERSION:
        return False
    return all((target / name).is_file() for name in MEMBERS.values())


def download(url: str) -> bytes:
    """The body at ``url``; raises :class:`FetchError` on any network or HTTP failure."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchError(f"could not download {url}: {exc}") from exc


def check_integrity(data: bytes, integrity: str) -> None:
    """Raise :class:`FetchError` unless ``data`` has the npm ``sha512-<base64>`` integrity ``integrity``."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise FetchError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    if actual != expected:
        raise FetchError(f"integrity mismatch for axe-core {VERSION}: expected sha512-{expected}, got sha512-{actual}")


def extract(data: bytes, target: Path) -> None:
    """Write the :data:`MEMBERS` of the tarball ``data`` into ``target`` (temp file, then rename)."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member_name, file_name in MEMBERS.items():
            try:
                member = archive.getmember(member_name)
            except KeyError as exc:
                raise FetchError(f"{member_name} is missing from the axe-core tarball") from exc
            source = archive.extractfile(member)
            if source is None:
                raise FetchError(f"{member_name} is not a regular file in the axe-core tarball")
            write_atomically(target / file_name, source.read())
    write_atomically(target / STAMP, f"{VERSION}\n".encode())


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same folder."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.chmod(temporary, 0o644)  # mkstemp creates 0600
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fetch(target: Path = TARGET) -> Path:
    """Make sure ``target/axe.min.js`` is axe-core :data:`VERSION`; return its path."""
    if is_installed(target):
        logger.info("axe-core %s is already in %s", VERSION, target)
        return target / "axe.min.js"
    logger.info("downloading %s", URL)
    data = download(URL)
    check_integrity(data, INTEGRITY)
    extract(data, target)
    logger.info("axe-core %s written to %s", VERSION, target)
    return target / "axe.min.js"


def main() -> int:
    """Entry point: fetch axe-core; 0 on success, 1 with an error message otherwise."""
    logging.basicConfig(level=logging.INFO, format="fetch_axe: %(message)s", stream=sys.stderr)
    try:
        fetch()
    except (FetchError, OSError, tarfile.TarError) as exc:
        logger.error("%s", exc)  # the message is the whole story: no traceback
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
