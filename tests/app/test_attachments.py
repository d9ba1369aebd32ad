"""Attachments: only a free question's own files, downloaded with the candidate token, written whole."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from app.attachments import AttachmentError, find_attachment, save_attachment
from app.controller_model import Question
from app.sync.client import KioskApiClient, RetryPolicy, SyncConfig
from app.sync.errors import SyncError

FILES = [{"name": "notes.csv", "url": "/api/v1/candidate/attachments/c1/notes.csv"}]


def question(*, focused: bool, attachments=FILES) -> Question:
    now = dt.datetime(2026, 11, 23, 9, 0)
    challenge = {"id": "c1", "focused": focused, "attachments": attachments}
    return Question("c1", 3, 32, challenge, deadline=now + dt.timedelta(hours=1))


def client_answering(handler) -> KioskApiClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = KioskApiClient(SyncConfig("http://server.test", retry=RetryPolicy(max_attempts=1)), http)
    client.token = "tok"
    return client


def test_only_a_free_question_s_own_files():
    assert find_attachment(question(focused=False), "notes.csv") == FILES[0]
    with pytest.raises(AttachmentError) as caught:
        find_attachment(question(focused=True), "notes.csv")
    assert caught.value.code == "focused_question"
    with pytest.raises(AttachmentError) as caught:
        find_attachment(question(focused=False), "../../etc/passwd")
    assert caught.value.code == "unknown_attachment"
    with pytest.raises(AttachmentError):
        find_attachment(None, "notes.csv")


def test_the_file_is_downloaded_with_the_token_and_written_in_the_data_directory(tmp_path):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization")))
        return httpx.Response(200, content=b"nom;note\nLea;17\n")

    path = save_attachment(client_answering(handler), tmp_path, question(focused=False), FILES[0])
    assert path == tmp_path / "attachments" / "c1" / "notes.csv"
    assert path.read_bytes() == b"nom;note\nLea;17\n"
    assert seen == [("/api/v1/candidate/attachments/c1/notes.csv", "Bearer tok")]


def test_a_refused_download_writes_nothing(tmp_path):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "unknown_attachment", "message": "no such file"})

    with pytest.raises(SyncError):
        save_attachment(client_answering(handler), tmp_path, question(focused=False), FILES[0])
    assert not (tmp_path / "attachments").exists() or not any((tmp_path / "attachments").rglob("*.csv"))
