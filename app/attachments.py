"""Attachments of free questions (issue 6 §3): fetched, kept in the data directory, opened by the OS.

Fetched with the candidate's token; the composition root opens the saved file with Qt.

Qt-free. Only a free question's own files can be fetched: a focused question (yellow marker) keeps the
candidate on the page, and a name that is not one of the question's attachments is refused.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from app.controller_model import Question
from app.sync.client import KioskApiClient
from app.sync.device import write_atomic


class AttachmentError(ValueError):
    """The attachment cannot be opened; ``code`` is what the page is told."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def find_attachment(question: Question | None, name: str) -> dict[str, Any]:
    """The attachment ``name`` of the pending free ``question``.

    Raises
    ------
    AttachmentError
        ``focused_question`` (no question, or a focused one), ``unknown_attachment`` (not one of its files).
    """
    if question is None or question.focused:
        raise AttachmentError("focused_question", "attachments open only on free questions")
    for attachment in question.challenge.get("attachments") or []:
        if attachment.get("name") == name:
            return attachment
    raise AttachmentError("unknown_attachment", f"the question has no file named {name!r}")


def save_attachment(client: KioskApiClient, data_dir: Path, question: Question, attachment: dict[str, Any]) -> Path:
    """Download ``attachment`` and write it whole under ``data_dir/attachments/<challenge>/``; returns its path.

    Raises
    ------
    SyncError
        The download failed (network, refused).
    """
    name = PurePosixPath(attachment["name"]).name  # never a path: the server's name is a file name
    target = Path(data_dir) / "attachments" / question.challenge_id / name
    data = client.download(attachment["url"])
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, data, mode=0o644)  # the machine's applications open it
    return target
