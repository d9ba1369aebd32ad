"""The ``kiosk://`` scheme: the candidate pages, served from ``resources/web/`` (kiosk.md K8, B5).

``kiosk://app/<path>`` maps to ``resources/web/<path>``; nothing outside that folder can be read
(``..`` segments are refused). ``kiosk://app/qwebchannel.js`` is Qt's own QWebChannel client, served
from Qt's resources, so the pages need no ``qrc:`` URL (the URL filter knows only ``kiosk:``).
:func:`register_kiosk_scheme` must run before the ``QApplication`` exists (trap T16).
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path, PurePosixPath

from PySide6 import QtWebChannel  # noqa: F401  (loads the library that holds :/qtwebchannel/qwebchannel.js)
from PySide6.QtCore import QBuffer, QByteArray, QFile, QIODevice, QObject
from PySide6.QtWebEngineCore import (
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

logger = logging.getLogger(__name__)

SCHEME = b"kiosk"
#: The host of the candidate pages: ``kiosk://app/index.html``.
HOST = "app"
ORIGIN = "kiosk://app"
QWEBCHANNEL_PATH = "/qwebchannel.js"

_TYPES = {
    ".html": b"text/html;charset=utf-8",
    ".js": b"text/javascript;charset=utf-8",
    ".css": b"text/css;charset=utf-8",
    ".json": b"application/json",
    ".svg": b"image/svg+xml",
    ".png": b"image/png",
    ".woff2": b"font/woff2",
}


def register_kiosk_scheme() -> None:
    """Register ``kiosk:`` as a secure, local, host-syntax scheme (once, before the QApplication)."""
    if QWebEngineUrlScheme.schemeByName(SCHEME).name() == SCHEME:
        return
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    flags = QWebEngineUrlScheme.Flag
    scheme.setFlags(flags.SecureScheme | flags.LocalAccessAllowed | flags.CorsEnabled | flags.FetchApiAllowed)
    QWebEngineUrlScheme.registerScheme(scheme)


def resolve(root: Path, host: str, path: str) -> Path | None:
    """The file under ``root`` that ``kiosk://<host><path>`` names, or None (unknown host, ``..``, missing)."""
    if host != HOST:
        return None
    parts = PurePosixPath(path or "/").parts[1:]
    if not parts or any(part in ("..", ".") or "\\" in part for part in parts):
        return None
    candidate = root.joinpath(*parts)
    return candidate if candidate.is_file() else None


class KioskSchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves ``kiosk://app/...`` from ``root``; keep a Python reference to it while the profile lives."""

    def __init__(self, root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.root = root.resolve()

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        """Reply with the file's bytes, or fail the job with UrlNotFound."""
        url = job.requestUrl()
        if url.host() == HOST and url.path() == QWEBCHANNEL_PATH:
            self._reply(job, _TYPES[".js"], _qwebchannel_js())
            return
        path = resolve(self.root, url.host(), url.path())
        if path is None:
            logger.info("kiosk page not found", extra={"event": "scheme_not_found", "path": url.path()})
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        kind = _TYPES.get(path.suffix) or (mimetypes.guess_type(path.name)[0] or "application/octet-stream").encode()
        self._reply(job, kind, path.read_bytes())

    @staticmethod
    def _reply(job: QWebEngineUrlRequestJob, kind: bytes, body: bytes) -> None:
        buffer = QBuffer(parent=job)  # parented to the job so it outlives this call
        buffer.setData(QByteArray(body))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(kind, buffer)


def _qwebchannel_js() -> bytes:
    """Qt's QWebChannel client script (``:/qtwebchannel/qwebchannel.js``, in the QtWebChannel module)."""
    source = QFile(":/qtwebchannel/qwebchannel.js")
    if not source.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError("Qt's qwebchannel.js resource is missing (is QtWebChannel installed?)")
    try:
        return bytes(source.readAll().data())
    finally:
        source.close()
