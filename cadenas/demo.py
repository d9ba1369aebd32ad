"""``cadenas demo``: the main job. The embedded server, a seeded demo session and the real kiosk.

* ``cadenas demo`` starts the server (SQLite under ``--data-dir``), seeds a demo session, opens the
  kiosk window on it and prints the invigilator portal's URL and password (JSON, last stdout line
  once the kiosk closes). Without a display it runs the kiosk under its own Xvfb.
* ``cadenas demo --auto`` plays a whole candidate through the real kiosk, as an invigilator would
  see it: authorises the start, answers every question through the page bridge (one free question
  with browsing, one focused question left for another window and back, one network cut, one crash
  of the kiosk (SIGKILL) and an authorised resumption), then finalises the session and writes the
  certificate. Its last stdout line is one JSON object: ``certificate_pdf``, ``verification_code``,
  ``pix_score``, ``answers_sent``, ``answers_on_server``, ``screenshots``.

The pieces (:class:`EmbeddedServer`, :class:`TcpProxy`, :class:`VirtualDisplay`,
:class:`KioskProcess`, :class:`Invigilator`) are reused by the kiosk's end-to-end tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cadenas.cli import emit

logger = logging.getLogger(__name__)

#: What the X11 parts of the demo need (Debian package names), for the error message.
X_PACKAGES = "xvfb xauth openbox xdotool xterm"


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why and what to install or do."""


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``condition`` until it is truthy; after ``timeout`` s raise :class:`DemoError` naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- the server ----------------------------------------------------------------------------------


class EmbeddedServer:
    """An ASGI app (the central server) served by uvicorn in a thread of this process, on a loopback port.

    :meth:`on_sqlite` builds the demo's: the server on SQLite under a folder. The end-to-end tests, the
    live-server fixture and the server benchmark serve their own apps through it.
    """

    def __init__(self, app: Any, *, port: int | None = None) -> None:
        import uvicorn

        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, log_level="warning")
        )
        self._thread = threading.Thread(target=self._server.run, name="cadenas-server", daemon=True)

    @classmethod
    def on_sqlite(cls, data_dir: Path, *, port: int | None = None) -> EmbeddedServer:
        """The central server on SQLite under ``data_dir`` (default settings otherwise)."""
        from server.app import create_app
        from server.config import Settings

        return cls(create_app(Settings(data_dir=data_dir)), port=port)

    def start(self) -> EmbeddedServer:
        """Serve; returns once the server accepts requests."""
        self._thread.start()
        wait_until(lambda: self._server.started, 30, "the embedded server to start")
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def seed_demo(self, url_rules: dict[str, Any] | None = None) -> dict[str, Any]:
        """A new demo session with its candidates and ``url_rules``; returns how to log in (``server.seed``)."""
        from server.db import session_scope
        from server.models import ExamSession, utcnow
        from server.seed import seed_demo

        info: dict[str, Any] = {}
        for db in session_scope(self.app.state.sessions):  # committed when the loop ends
            info = seed_demo(db, today=utcnow().date())
            if url_rules is not None:
                db.get(ExamSession, info["session_id"]).url_rules = url_rules
        return info

    def answers_on_server(self, session_id: int) -> int:
        """How many answers the server holds for the session's courses."""
        from sqlalchemy import func, select

        from server.models import Answer, Course

        with self.app.state.sessions() as db:
            query = select(func.count(Answer.id)).join(Course, Answer.course_id == Course.id)
            return int(db.scalar(query.where(Course.session_id == session_id)) or 0)

    def finalise_and_certify(self, session_id: int, candidate_id: int, out_dir: Path) -> dict[str, Any]:
        """Finalise the session as its organiser, then write the candidate's certificate PDF in ``out_dir``."""
        from sqlalchemy import select

        from cadenas.resources import load_shipped_referential
        from server.db import session_scope
        from server.models import Candidate, ExamSession, Organiser, Result, utcnow
        from server.services.certificates import certificate_for_candidate, certificate_pdf
        from server.services.sessions import finalise_session

        for db in session_scope(self.app.state.sessions):
            session = db.get(ExamSession, session_id)
            reasons = {
                c.id: "technical"
                for c in session.candidates
                if c.course is not None and c.course.state != "completed" and c.id != candidate_id
            }
            candidate = db.get(Candidate, candidate_id)
            if candidate.course is not None and candidate.course.state != "completed":
                reasons[candidate_id] = "technical"
            finalise_session(
                db=db,
                catalog=self.app.state.catalog,
                organiser=db.scalars(select(Organiser).where(Organiser.centre_id == session.centre_id)).first(),
                session=session,
                abort_reasons=reasons,
                now=utcnow(),
            )
        with self.app.state.sessions() as db:
            session = db.get(ExamSession, session_id)
            candidate = db.get(Candidate, candidate_id)
            result = db.get(Result, candidate.course.id)
            certificate = certificate_for_candidate(
                db=db, session=session, candidate=candidate, referential=load_shipped_referential()
            )
            pdf = certificate_pdf(certificate, verify_url=f"{self.url}/verify/{certificate.verification_code}")
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"certificat-{certificate.verification_code}.pdf"
        path.write_bytes(pdf)
        return {
            "certificate_pdf": str(path.resolve()),
            "verification_code": certificate.verification_code,
            "pix_score": int(result.pix_score),
        }


class TcpProxy:
    """A loopback TCP relay to ``target_port`` that can be cut (the network loss of the demo)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connected = True
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="demo-proxy", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.connected:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
            with self._lock:
                self._sockets.discard(s)

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        self.connected = False
        with self._lock:
            live = list(self._sockets)
        for s in live:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        """Accept connections again."""
        self.connected = True

    def close(self) -> None:
        """Stop the relay."""
        self.cut()
        self.listener.close()


# --- the display -----------------------------------------------------------------------------------


class VirtualDisplay:
    """Xvfb (24-bit: 16-bit crashes QtWebEngine, trap T3) with openbox as window manager (T9)."""

    def __init__(self, width: int = 1280, height: int = 1024) -> None:
        for tool in ("Xvfb", "openbox"):
            if shutil.which(tool) is None:
                raise DemoError(f"{tool} is missing: apt-get install {X_PACKAGES}")
        self.number = next(n for n in range(90, 400) if not Path(f"/tmp/.X11-unix/X{n}").exists())
        self.display = f":{self.number}"
        self.size = f"{width}x{height}x24"
        self._processes: list[subprocess.Popen] = []

    def start(self) -> VirtualDisplay:
        """Start Xvfb and openbox; returns when both run."""
        xvfb = subprocess.Popen(
            ["Xvfb", self.display, "-screen", "0", self.size, "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._processes.append(xvfb)
        wait_until(lambda: Path(f"/tmp/.X11-unix/X{self.number}").exists(), 10, f"Xvfb on {self.display}")
        env = {**os.environ, "DISPLAY": self.display}
        self._processes.append(
            subprocess.Popen(["openbox", "--sm-disable"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
        time.sleep(0.3)
        return self

    def stop(self) -> None:
        """Stop openbox and Xvfb."""
        for process in reversed(self._processes):
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
            if process.poll() is None:
                process.kill()

    def xdotool(self, *args: str) -> str:
        """Run xdotool on this display; returns its output."""
        result = subprocess.run(
            ["xdotool", *args], env={**os.environ, "DISPLAY": self.display}, capture_output=True, text=True, timeout=10
        )
        return result.stdout.strip()


# --- the kiosk -------------------------------------------------------------------------------------


class KioskProcess:
    """The real kiosk UI (``python -m app``) in a child process, with the launcher's scrubbed environment."""

    def __init__(
        self,
        server_url: str,
        data_dir: Path,
        *,
        display: str | None,
        autopilot: Path | None = None,
        log_path: Path | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        from app.config import scrubbed_environment
        from app.launcher import ui_command

        args = ["--server-url", server_url, "--data-dir", str(data_dir), "--strictness", "relaxed", "--windowed"]
        if display is None:
            args += ["--platform", "offscreen"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # QtWebEngine refuses root with its sandbox (trap T1); dev only (K26)
        if autopilot is not None:
            args += ["--autopilot", str(autopilot)]
        env = scrubbed_environment(os.environ)
        if display is not None:
            env["DISPLAY"] = display
        env.setdefault("XDG_CACHE_HOME", str(Path(data_dir) / "cache"))  # Qt's shader cache (trap T11)
        self.command = ui_command([*args, *extra_args], env)
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> KioskProcess:
        """Start the UI process (its output appended to ``log_path``)."""
        if self.log_path is None:
            quiet = subprocess.DEVNULL
            self.process = subprocess.Popen(self.command, env=self.env, stdout=quiet, stderr=quiet)
            return self
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut would end it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def wait(self, timeout: float) -> int:
        """Wait for the process to end; kill it after ``timeout`` seconds (raises :class:`DemoError`)."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise DemoError(f"the kiosk did not finish within {timeout:.0f} s") from None


class StatusFile:
    """The autopilot's JSON lines, read incrementally."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.events: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        """The events written since the last poll."""
        if not self.path.exists():
            return []
        with self.path.open("r", encoding="utf-8") as source:
            source.seek(self.offset)
            text = source.read()
        complete, _, _rest = text.rpartition("\n")
        if not complete:
            return []
        self.offset += len((complete + "\n").encode("utf-8"))
        new = [json.loads(line) for line in complete.split("\n") if line.strip()]
        self.events.extend(new)
        return new


class Invigilator:
    """The invigilator portal's JSON API, as the invigilator's browser uses it."""

    def __init__(self, server_url: str, session_id: int, password: str) -> None:
        import httpx

        self.session_id = session_id
        self.http = httpx.Client(base_url=server_url, timeout=10)
        reply = self.http.post(
            "/invigilator/login",
            data={"session_number": str(session_id), "password": password},
            headers={"Accept": "application/json"},
        )
        if reply.status_code != 200:
            raise DemoError(f"invigilator log-in refused: {reply.status_code} {reply.text[:200]}")

    def state(self) -> dict[str, Any]:
        """The live state of the session (every candidate)."""
        return self.http.get(f"/invigilator/sessions/{self.session_id}/state").raise_for_status().json()

    def candidate(self, last_name: str) -> dict[str, Any]:
        """One candidate's live state, by last name."""
        return next(c for c in self.state()["candidates"] if c["last_name"] == last_name)

    def authorise(self, candidate_id: int) -> None:
        """Let the candidate start or resume."""
        self.http.post(f"/invigilator/sessions/{self.session_id}/candidates/{candidate_id}/authorisation").raise_for_status()

    def unlock_code(self, candidate_id: int) -> str:
        """The one-time code of the candidate's locked kiosk, as the portal shows it (K44)."""
        path = f"/invigilator/sessions/{self.session_id}/candidates/{candidate_id}/unlock-code"
        return self.http.post(path).raise_for_status().json()["code"]

    def unlock(self, candidate_id: int) -> None:
        """Unlock the candidate's kiosk remotely (an instruction in its next heartbeat reply, K45)."""
        self.http.post(f"/invigilator/sessions/{self.session_id}/candidates/{candidate_id}/unlock").raise_for_status()

    def close(self) -> None:
        """Log out (drop the cookie)."""
        self.http.close()


def correct_answers() -> dict[str, Any]:
    """A right answer for every challenge of the shipped bank (the scripted candidate knows its stuff)."""
    from cadenas.resources import load_shipped_bank
    from engine.validation import correct_answer

    return {challenge.id: correct_answer(challenge) for challenge in load_shipped_bank().challenges}


# --- the two modes ---------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``cadenas demo``."""
    parser.add_argument("--auto", action="store_true", help="play a scripted candidate and print the result (JSON)")
    parser.add_argument("--data-dir", type=Path, default=None, help="where the demo keeps its files (a temp dir)")
    parser.add_argument("--timeout", type=float, default=600, help="give up the automatic run after this many seconds")
    parser.set_defaults(handler=run)


@contextlib.contextmanager
def _display() -> Iterator[tuple[str, VirtualDisplay | None]]:
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"], None
        return
    display = VirtualDisplay().start()
    logger.info(
        "no display: the kiosk runs on its own Xvfb %s (`cadenas demo --auto` plays a candidate through it)",
        display.display,
    )
    try:
        yield display.display, display
    finally:
        display.stop()


def run(args: argparse.Namespace) -> int:
    """Run the demo (interactive or ``--auto``)."""
    try:
        import PySide6  # noqa: F401

        import server  # noqa: F401
    except ImportError as exc:
        logger.error("the demo needs the server and kiosk extras (%s): bash scripts/setup demo", exc.name)
        return 2
    root = args.data_dir or Path(tempfile.mkdtemp(prefix="cadenas-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        return _auto(root, args.timeout) if args.auto else _interactive(root)
    except DemoError as exc:
        logger.error("demo failed: %s", exc)
        return 1


def _interactive(root: Path) -> int:
    from cadenas.demo_web import DemoWeb

    server = EmbeddedServer.on_sqlite(root / "server").start()
    web = DemoWeb().start()
    try:
        info = server.seed_demo(web.session_rules())
        person = info["candidates"][0]
        logger.info(
            "kiosk: session %s, access code %s, candidate %s %s born %s",
            info["session_id"],
            info["access_code"],
            person["first_name"],
            person["last_name"],
            person["birth_date"],
        )
        portal = {
            "invigilator_url": f"{server.url}/invigilator/login?session={info['session_id']}",
            "invigilator_password": info["invigilator_password"],
            "organiser_url": f"{server.url}/organiser",
            **info,
        }
        emit(json.dumps(portal, ensure_ascii=False))
        sys.stdout.flush()
        with _display() as (display, _virtual):
            kiosk = KioskProcess(server.url, root / "kiosk", display=display, log_path=root / "kiosk.log").start()
            try:
                status = kiosk.process.wait()
            except KeyboardInterrupt:
                kiosk.kill()
                status = 0
        return 0 if status == 0 else 1
    finally:
        web.stop()
        server.stop()


def _auto(root: Path, timeout: float) -> int:
    from cadenas.demo_auto import ScriptedCourse
    from cadenas.demo_web import DemoWeb

    server = EmbeddedServer.on_sqlite(root / "server").start()
    web = DemoWeb().start()
    try:
        with _display() as (display, virtual):
            course = ScriptedCourse(server, root, display=display, virtual=virtual, timeout=timeout, web=web)
            result = course.run()
    finally:
        web.stop()
        server.stop()
    emit(json.dumps(result, ensure_ascii=False))
    return 0
