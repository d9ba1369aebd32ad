"""The scripted course of ``cadenas demo --auto`` (see :mod:`cadenas.demo`): the orchestrator's side.

The kiosk's autopilot answers; this side plays the invigilator (authorisations and unlocks through
the portal's API) and the accidents: it takes the focus away on the first focused question (another
X window activated with xdotool), cuts the network for a few seconds, and kills the kiosk (SIGKILL)
once, then starts it again on the same data directory, where the resume marker leads to the
invigilator's authorisation. The autopilot plugs a "second screen" twice, which locks the kiosk:
the first lock is opened with the one-time code the portal shows (typed on the lock screen), the
second remotely from the portal. At the end the session is finalised and the certificate written.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from cadenas.demo import (
    DemoError,
    EmbeddedServer,
    Invigilator,
    KioskProcess,
    StatusFile,
    TcpProxy,
    VirtualDisplay,
    correct_answers,
    wait_until,
)
from cadenas.demo_web import DemoWeb

logger = logging.getLogger(__name__)


def journal_answers(data_dir: Path) -> int:
    """How many answers (and skips) the kiosk journaled, each once (the journal is keyed by client UUID)."""
    path = data_dir / "journal.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM entries WHERE kind = 'answer'").fetchone()[0])


class ScriptedCourse:
    """One candidate's whole test through the real kiosk, with the accidents of the module docstring.

    Parameters
    ----------
    server
        The running embedded server.
    root
        Working folder: kiosk data, plan, status file, screenshots, certificate, logs.
    display, virtual
        The X display the kiosk runs on, and the virtual display when the demo started one (the
        focus round trip needs its window manager; on a user's own display it is skipped).
    cut_at, crash_at
        Question numbers where the network is cut and where the kiosk is killed.
    web
        The demo web the session allows (its search engine serves the free questions).
    cut_seconds
        How long the network stays cut (longer than the sync client's retries, so the kiosk shows its
        "connection lost" overlay and resends on its own).
    """

    def __init__(
        self,
        server: EmbeddedServer,
        root: Path,
        *,
        display: str,
        virtual: VirtualDisplay | None,
        timeout: float = 600,
        cut_at: int = 5,
        crash_at: int = 9,
        cut_seconds: float = 12.0,
        lock_at: tuple[int, ...] = (3, 12),
        web: DemoWeb | None = None,
    ) -> None:
        self.lock_at = lock_at
        self.web = web
        self.server, self.root, self.display, self.virtual = server, root, display, virtual
        self.timeout, self.cut_at, self.crash_at, self.cut_seconds = timeout, cut_at, crash_at, cut_seconds
        self.steps: dict[str, Any] = {
            "focus_out": False,
            "disconnection": False,
            "crash": False,
            "resumed": False,
            "unlocked_with_code": False,
            "unlocked_remotely": False,
        }
        self.locks = 0
        self.number = 0

    def _plan(self, info: dict[str, Any]) -> Path:
        person = info["candidates"][0]
        plan = {
            "sign_in": {"session_id": info["session_id"], "access_code": info["access_code"], **person},
            "answers": correct_answers(),
            "status_file": str(self.root / "autopilot.jsonl"),
            "screenshots": str(self.root / "screenshots"),
            "browse_first_free": True,
            "hold_focused": self.virtual is not None,
            "hold_seconds": 20,
            "lock_at": list(self.lock_at),
            "commands_file": str(self.root / "autopilot-commands.jsonl"),
            "delay_ms": 150,
        }
        path = self.root / "plan.json"
        path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        return path

    def _kiosk(self, proxy: TcpProxy, plan: Path) -> KioskProcess:
        return KioskProcess(
            proxy.url, self.root / "kiosk", display=self.display, autopilot=plan, log_path=self.root / "kiosk.log"
        ).start()

    def _focus_round_trip(self, xterm: subprocess.Popen | None) -> None:
        """Activate another window (the xterm), then the kiosk again: a real focus loss under openbox."""
        if self.virtual is None or xterm is None:
            return
        other = self.virtual.xdotool("search", "--pid", str(xterm.pid)).split()
        kiosk = self.virtual.xdotool("search", "--name", "^Cadenas$").split()
        if not other or not kiosk:
            logger.warning("focus round trip skipped: windows not found")
            return
        self.virtual.xdotool("windowactivate", "--sync", other[0])
        time.sleep(1.0)
        self.virtual.xdotool("windowactivate", "--sync", kiosk[0])
        self.steps["focus_out"] = True

    def run(self) -> dict[str, Any]:
        """Play the course; returns the JSON result of ``cadenas demo --auto``."""
        info = self.server.seed_demo(self.web.session_rules() if self.web else None)
        session_id, person = info["session_id"], info["candidates"][0]
        plan = self._plan(info)
        status = StatusFile(self.root / "autopilot.jsonl")
        proxy = TcpProxy(self.server.port)
        invigilator = Invigilator(self.server.url, session_id, info["invigilator_password"])
        xterm = None
        if self.virtual is not None:
            xterm = subprocess.Popen(
                ["xterm", "-geometry", "60x10+0+0"],
                env={"DISPLAY": self.display, "PATH": "/usr/bin:/bin"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        kiosk = self._kiosk(proxy, plan)
        deadline = time.monotonic() + self.timeout
        ended = False
        try:
            while not ended:
                if time.monotonic() > deadline:
                    raise DemoError(f"the scripted course did not end within {self.timeout:.0f} s (see kiosk.log)")
                if kiosk.process.poll() is not None and not ended:
                    raise DemoError(f"the kiosk exited with status {kiosk.process.returncode} (see kiosk.log)")
                for event in status.poll():
                    kiosk, ended = self._react(event, invigilator, person, proxy, kiosk, plan, xterm)
                    if ended:
                        break
                time.sleep(0.1)
            kiosk.wait(timeout=30)
        finally:
            kiosk.kill()
            proxy.close()
            invigilator.close()
            if xterm is not None:
                xterm.kill()
        candidate_id = invigilator_candidate_id(self.server, session_id, person["last_name"])
        result = self.server.finalise_and_certify(session_id, candidate_id, self.root)
        shots = sorted(str(p.resolve()) for p in (self.root / "screenshots").glob("*.png"))
        return {
            **result,
            "answers_sent": journal_answers(self.root / "kiosk"),
            "answers_on_server": self.server.answers_on_server(session_id),
            "screenshots": shots,
            "steps": self.steps,
        }

    def _react(self, event, invigilator, person, proxy, kiosk, plan, xterm) -> tuple[KioskProcess, bool]:
        kind = event["event"]
        if kind == "question":
            self.number = event["number"]
        if kind == "waiting" and event.get("reason") in ("authorisation", "resume"):
            invigilator.authorise(invigilator.candidate(person["last_name"])["id"])
            self.steps["resumed"] = self.steps["resumed"] or event.get("reason") == "resume"
        elif kind == "holding_focused":
            self._focus_round_trip(xterm)
        elif kind == "question" and self.number == self.cut_at and not self.steps["disconnection"]:
            self.steps["disconnection"] = True
            proxy.cut()
            threading.Timer(self.cut_seconds, proxy.restore).start()
        elif kind == "answering" and self.number >= self.crash_at and not self.steps["crash"]:
            self.steps["crash"] = True
            time.sleep(0.05)
            kiosk.kill()
            return self._kiosk(proxy, plan), False
        elif kind == "locked" and event.get("locked"):
            self._unlock(invigilator, person)
        elif kind == "locked":
            key = "unlocked_with_code" if self.locks == 1 else "unlocked_remotely"
            self.steps[key] = True
        elif kind == "end":
            return kiosk, True
        return kiosk, False

    def _unlock(self, invigilator: Invigilator, person: dict[str, Any]) -> None:
        """The kiosk locked: open it as an invigilator would (once with the portal's code, then remotely).

        The first time, the one-time code the portal shows goes to the autopilot, which types it on the
        lock screen; the next times, the portal's remote unlock (an instruction in the heartbeat reply).
        """
        self.locks += 1
        candidate = invigilator.candidate(person["last_name"])
        # The portal knows the lock once a heartbeat (every 5 s) reported it.
        wait_until(lambda: (invigilator.candidate(person["last_name"])["kiosk"] or {}).get("locked"), 20, "the lock")
        if self.locks == 1:
            code = invigilator.unlock_code(candidate["id"])
            with (self.root / "autopilot-commands.jsonl").open("a", encoding="utf-8") as out:
                out.write(json.dumps({"unlock_code": code}) + "\n")
        else:
            invigilator.unlock(candidate["id"])


def invigilator_candidate_id(server: EmbeddedServer, session_id: int, last_name: str) -> int:
    """The candidate's id in the session."""
    from sqlalchemy import select

    from server.models import Candidate

    with server.app.state.sessions() as db:
        query = select(Candidate.id).where(Candidate.session_id == session_id, Candidate.last_name == last_name)
        return int(db.scalar(query))
