from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.sync.errors import SyncError, SyncErrorKind
from app.sync.journal import ANSWER, EVENT, FOCUS_OUT, CourseKey, Journal

KEY = b"k" * 32
COURSE = CourseKey(session_id=3, candidate_id=7)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path, marker_key=KEY) as j:
        yield j


def test_file_is_in_wal_mode_with_full_sync(journal):
    journal.append(ANSWER, COURSE, {"challenge_id": "c1", "value": "a"})
    with journal._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_append_returns_the_committed_entry_with_a_uuid(journal):
    entry = journal.append(ANSWER, COURSE, {"challenge_id": "c1", "value": "a"})
    assert entry.seq == 1 and len(entry.client_uuid) == 36 and not entry.sent
    assert journal.get(entry.client_uuid) == entry


def test_pending_keeps_journal_order_and_filters(journal):
    other = CourseKey(3, 8)
    a = journal.append(ANSWER, COURSE, {"challenge_id": "c1"})
    b = journal.append(EVENT, COURSE, {"kind": "lock"})
    c = journal.append(FOCUS_OUT, other, {"challenge_id": "c2"})
    d = journal.append(ANSWER, COURSE, {"challenge_id": "c3"})
    assert [e.seq for e in journal.pending()] == [a.seq, b.seq, c.seq, d.seq]
    assert [e.seq for e in journal.pending(course=COURSE, kinds=(ANSWER,))] == [a.seq, d.seq]
    journal.mark_sent(a.client_uuid, {"answered": 1})
    assert [e.seq for e in journal.pending()] == [b.seq, c.seq, d.seq]


def test_mark_sent_keeps_the_first_reply_and_never_deletes(journal):
    entry = journal.append(ANSWER, COURSE, {"challenge_id": "c1"})
    journal.mark_sent(entry.client_uuid, {"answered": 1})
    again = journal.mark_sent(entry.client_uuid, {"answered": 99})
    assert again.server_reply == {"answered": 1} and again.sent_at is not None
    assert [e.client_uuid for e in journal.entries()] == [entry.client_uuid]


def test_mark_sent_of_an_unknown_uuid_is_a_journal_error(journal):
    with pytest.raises(SyncError) as info:
        journal.mark_sent("00000000-0000-0000-0000-000000000000", {})
    assert info.value.kind is SyncErrorKind.JOURNAL


def test_entries_survive_closing_and_reopening(tmp_path):
    with Journal(tmp_path, marker_key=KEY) as j:
        first = j.append(ANSWER, COURSE, {"challenge_id": "c1", "value": "é"})
        j.append(ANSWER, COURSE, {"challenge_id": "c2", "value": "b"})
        j.mark_sent(first.client_uuid, {"answered": 1})
    with Journal(tmp_path, marker_key=KEY) as j:
        assert [e.payload["challenge_id"] for e in j.pending()] == ["c2"]
        assert j.get(first.client_uuid).payload["value"] == "é"
        assert j.append(ANSWER, COURSE, {}).seq == 3


def test_an_entry_survives_a_sigkill_right_after_append(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from app.sync.journal import Journal, CourseKey
        j = Journal(Path({str(tmp_path)!r}), marker_key=b"k" * 32)
        e = j.append("answer", CourseKey(3, 7), {{"challenge_id": "killed"}})
        sys.stdout.write(e.client_uuid + "\\n"); sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.returncode == -9, proc.stderr
    uid = proc.stdout.strip()
    with Journal(tmp_path, marker_key=KEY) as j:
        [entry] = j.pending()
        assert entry.client_uuid == uid and entry.payload == {"challenge_id": "killed"}


def test_course_marker_round_trips_and_is_cleared(journal):
    journal.append(ANSWER, COURSE, {})
    started = dt.datetime(2026, 11, 23, 9, 5)
    journal.start_course(install_id="kiosk-1", course=COURSE, started_at=started)
    marker = journal.unfinished_course()
    assert (marker.install_id, marker.course, marker.journal_seq, marker.started_at) == ("kiosk-1", COURSE, 1, started)
    journal.clear_course()
    assert journal.unfinished_course() is None


def test_course_marker_survives_reopening(tmp_path):
    with Journal(tmp_path, marker_key=KEY) as j:
        j.start_course(install_id="kiosk-1", course=COURSE)
    with Journal(tmp_path, marker_key=KEY) as j:
        assert j.unfinished_course().course == COURSE


def test_tampered_course_marker_is_refused(tmp_path, caplog):
    with Journal(tmp_path, marker_key=KEY) as j:
        j.start_course(install_id="kiosk-1", course=COURSE)
    with sqlite3.connect(tmp_path / "journal.sqlite3") as conn:
        conn.execute("UPDATE course_marker SET candidate_id = 8")
    conn.close()
    with Journal(tmp_path, marker_key=KEY) as j, caplog.at_level("WARNING"), pytest.raises(SyncError) as info:
        j.unfinished_course()
    assert info.value.kind is SyncErrorKind.INTEGRITY
    assert any(getattr(r, "event", None) == "course_marker_tampered" for r in caplog.records)


def test_course_marker_from_another_key_is_refused(tmp_path):
    with Journal(tmp_path, marker_key=KEY) as j:
        j.start_course(install_id="kiosk-1", course=COURSE)
    with Journal(tmp_path, marker_key=b"other key") as other, pytest.raises(SyncError) as info:
        other.unfinished_course()
    assert info.value.kind is SyncErrorKind.INTEGRITY
