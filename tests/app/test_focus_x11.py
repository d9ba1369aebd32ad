"""Focus loss on a real X server (kiosk.md K10, K39, B6): the kiosk under Xvfb 24-bit + openbox, driven by xdotool.

The real kiosk (``python -m app`` on the virtual display) plays a candidate with its autopilot,
which holds the first focused question until the focus went away and came back. Meanwhile the
test takes the focus away the way a candidate would: another window (an xterm) activated, or the
kiosk minimised, then the kiosk activated again. The autopilot must see the round trip and the
page's focus warning; the server must record the kiosk's ``focus_lost`` event (it travels in the
next heartbeat) and the focus-out of that question, whose correct answer is then ``focusedOut``.

Needs Xvfb, openbox, xdotool and xterm (``apt-get install xvfb xauth openbox xdotool xterm``);
skipped with that reason when one is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("uvicorn", reason="needs the server extra")

from cadenas.demo import (
    EmbeddedServer,
    Invigilator,
    KioskProcess,
    StatusFile,
    VirtualDisplay,
    correct_answers,
    wait_until,
)

X_TOOLS = ("Xvfb", "openbox", "xdotool", "xterm")
MISSING = [tool for tool in X_TOOLS if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.x11,
    pytest.mark.skipif(
        bool(MISSING), reason=f"needs {', '.join(MISSING)} (apt-get install xvfb xauth openbox xdotool xterm)"
    ),
]

#: Heartbeats carry the kiosk's events every 5 s (the default period): wait for two of them at most.
HEARTBEAT_WAIT = 15.0
#: How long the focus stays away (the autopilot needs "lost" then "regained").
AWAY_SECONDS = 1.0


class Desktop:
    """The virtual display with another program's window on it (the xterm the candidate switches to)."""

    def __init__(self, display: VirtualDisplay, xterm: subprocess.Popen, xterm_window: str) -> None:
        self.display, self.xterm, self.xterm_window = display, xterm, xterm_window

    def kiosk_window(self) -> str:
        """The kiosk's main window (title ``Cadenas``)."""
        found = wait_until(
            lambda: self.display.xdotool("search", "--name", "^Cadenas$").split(), 10, "the kiosk window"
        )
        return found[0]

    def active_window(self) -> str:
        """The window the window manager has activated."""
        return self.display.xdotool("getactivewindow")


@pytest.fixture(scope="module")
def desktop() -> Iterator[Desktop]:
    """Xvfb + openbox, and an xterm on it."""
    display = VirtualDisplay().start()
    xterm = subprocess.Popen(
        ["xterm", "-geometry", "60x10+0+0"],
        env={"DISPLAY": display.display, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        window = wait_until(lambda: display.xdotool("search", "--pid", str(xterm.pid)).split(), 15, "the xterm window")
        yield Desktop(display, xterm, window[0])
    finally:
        xterm.kill()
        xterm.wait(timeout=10)
        display.stop()


class FocusedCourse:
    """One candidate on the real kiosk, up to the answer of the first focused question."""

    def __init__(self, root: Path, desktop: Desktop) -> None:
        self.root, self.desktop = root, desktop
        self.server = EmbeddedServer.on_sqlite(root / "server").start()
        self.info = self.server.seed_demo()
        self.person = self.info["candidates"][0]
        self.status = StatusFile(root / "autopilot.jsonl")
        self.invigilator = Invigilator(self.server.url, self.info["session_id"], self.info["invigilator_password"])
        self.candidate_id = self.invigilator.candidate(self.person["last_name"])["id"]
        self.log_path = root / "kiosk.log"
        self.kiosk = KioskProcess(
            self.server.url,
            root / "kiosk",
            display=desktop.display.display,
            autopilot=self._plan(),
            log_path=self.log_path,
        )

    def _plan(self) -> Path:
        plan = {
            "sign_in": {"session_id": self.info["session_id"], "access_code": self.info["access_code"], **self.person},
            "answers": correct_answers(),
            "status_file": str(self.root / "autopilot.jsonl"),
            "browse_first_free": False,
            "hold_focused": True,
            "hold_seconds": 20,
            "delay_ms": 50,
        }
        path = self.root / "plan.json"
        path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        return path

    def close(self) -> None:
        """Kill the kiosk, log out, stop the server."""
        self.kiosk.kill()
        self.invigilator.close()
        self.server.stop()

    def play(self, take_focus: Callable[[], None], timeout: float = 90) -> str:
        """Run the kiosk until it answered the held question; ``take_focus`` runs when it holds. Returns its id."""
        self.kiosk.start()
        deadline = time.monotonic() + timeout
        held: str | None = None
        while time.monotonic() < deadline:
            assert self.kiosk.process.poll() is None, f"the kiosk exited\n{self.log_tail()}"
            for event in self.status.poll():
                kind = event["event"]
                if kind == "waiting" and event.get("reason") == "authorisation":
                    self.invigilator.authorise(self.candidate_id)
                elif kind == "holding_focused":
                    held = event["challenge_id"]
                    take_focus()
                elif kind == "question" and held is not None and event["challenge_id"] != held:
                    return held  # the held question was answered and the next one is on screen
            time.sleep(0.05)
        raise AssertionError(f"the held question was not answered within {timeout:.0f} s\n{self.log_tail()}")

    def events(self, kind: str) -> list[dict[str, Any]]:
        """The autopilot's status lines of ``kind``."""
        return [event for event in self.status.events if event["event"] == kind]

    def kiosk_events(self, kind: str) -> list[dict[str, Any]]:
        """The kiosk events of ``kind`` the server holds for the candidate (payload and origin)."""
        from sqlalchemy import select

        from server.models import KioskEvent

        with self.server.app.state.sessions() as db:
            rows = db.scalars(
                select(KioskEvent).where(KioskEvent.candidate_id == self.candidate_id, KioskEvent.kind == kind)
            ).all()
            return [dict(row.payload) for row in rows]

    def answer(self, challenge_id: str) -> dict[str, Any]:
        """The server's answer to ``challenge_id``: status and focus-out flag; and the course's pending flag."""
        from sqlalchemy import select

        from server.models import Answer, Course

        with self.server.app.state.sessions() as db:
            course = db.scalars(select(Course).where(Course.candidate_id == self.candidate_id)).one()
            row = db.scalars(select(Answer).where(Answer.course_id == course.id, Answer.challenge_id == challenge_id))
            answer = row.one()
            return {"status": answer.status, "focused_out": answer.focused_out, "pending": course.pending_focus_lost}

    def log_tail(self, lines: int = 40) -> str:
        """The end of the kiosk log (for failure messages)."""
        if not self.log_path.exists():
            return "(no kiosk log)"
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@pytest.fixture
def course(tmp_path: Path, desktop: Desktop) -> Iterator[FocusedCourse]:
    """A fresh server, session and kiosk data directory on the shared desktop."""
    played = FocusedCourse(tmp_path, desktop)
    try:
        yield played
    finally:
        played.close()


def heartbeat_focus_losses(course: FocusedCourse, challenge_id: str) -> list[dict[str, Any]]:
    """Wait for the kiosk's own ``focus_lost`` events on ``challenge_id`` (not the focus-out API's copy)."""
    deadline = time.monotonic() + HEARTBEAT_WAIT
    while True:
        found = [
            payload
            for payload in course.kiosk_events("focus_lost")
            if payload.get("challenge_id") == challenge_id and "signal" in payload
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def assert_focus_loss_recorded(course: FocusedCourse, held: str) -> list[dict[str, Any]]:
    """The autopilot, the page and the server all saw one departure from the held question."""
    assert [e["event"] for e in course.status.events].count("holding_focused") == 1
    assert course.events("focus_round_trip"), f"no round trip seen by the kiosk\n{course.log_tail()}"
    assert not course.events("focus_hold_timeout")
    assert course.events("focus_warning"), "the page showed no focus warning"
    answered = [e["challenge_id"] for e in course.events("answering")]
    assert held in answered
    losses = heartbeat_focus_losses(course, held)
    assert losses, f"no focus_lost kiosk event reached the server\n{course.log_tail()}"
    assert any(p.get("challenge_id") == held for p in course.kiosk_events("focus_regained"))
    # The focus-out endpoint's record (spec §7.9) and the jury rule: a right answer counts as focusedOut.
    assert any(p.get("source") == "candidate_api" for p in course.kiosk_events("focus_lost"))
    assert course.answer(held) == {"status": "focusedOut", "focused_out": True, "pending": False}
    return losses


def test_activating_another_window_is_a_focus_loss_on_the_server(course: FocusedCourse, desktop: Desktop) -> None:
    def switch_to_xterm_and_back() -> None:
        kiosk = desktop.kiosk_window()
        desktop.display.xdotool("windowactivate", "--sync", desktop.xterm_window)
        assert desktop.active_window() == desktop.xterm_window
        time.sleep(AWAY_SECONDS)
        desktop.display.xdotool("windowactivate", "--sync", kiosk)

    held = course.play(switch_to_xterm_and_back)

    losses = assert_focus_loss_recorded(course, held)
    assert losses[0]["signal"] == "application_inactive"  # B6: the application became Inactive


def test_minimising_the_kiosk_is_a_focus_loss_on_the_server(course: FocusedCourse, desktop: Desktop) -> None:
    def minimise_and_restore() -> None:
        kiosk = desktop.kiosk_window()
        desktop.display.xdotool("windowminimize", "--sync", kiosk)
        time.sleep(AWAY_SECONDS)
        desktop.display.xdotool("windowactivate", "--sync", kiosk)

    held = course.play(minimise_and_restore)

    losses = assert_focus_loss_recorded(course, held)
    assert losses[0]["signal"] in ("application_inactive", "window_minimised")
