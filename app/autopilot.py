"""A scripted candidate playing through the real kiosk (``cadenas demo --auto``, the crash tests).

It listens to what the kiosk pushes to the page and answers through the same bridge calls the
page makes (``sign_in``, ``accept_rules``, ``answer``, ``open_browser``...), so everything from
the bridge down (controller, journal, sync, server) is the production path. It writes one JSON
line per step to a status file that the orchestrator reads (to authorise, to take the focus
away, to cut the network, to kill the process), and saves a screenshot of each screen.

The plan (JSON file): ``sign_in`` (the fields of the ``sign_in`` op), ``answers`` (challenge id →
value; others get a plausible default), ``status_file``, ``screenshots`` (folder, optional),
``browse_first_free`` (open the browsing pane on the first free question), ``hold_focused``
(wait on the first focused question until the focus went away and came back, at most
``hold_seconds``), ``lock_at`` (question numbers where a second screen is "plugged in", which locks
the kiosk; the autopilot then waits, typing on the lock screen any ``unlock_code`` the orchestrator
writes in ``commands_file``, until the kiosk is unlocked), ``delay_ms`` between steps. Only in relaxed
strictness (see app.main).
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.controller_model import MSG_COURSE_ENDED
from app.qt_compat import disconnect
from lockdown.os import Display

logger = logging.getLogger(__name__)


def default_value(challenge: dict[str, Any]) -> str | dict[str, str]:
    """A well-formed answer for ``challenge`` when the plan has none (not necessarily right)."""
    if challenge["type"] in ("QCU", "QCM"):
        return "1"
    fields = challenge.get("fields") or []
    if challenge["type"] == "QROC":
        first = fields[0] if fields else {}
        return (first.get("choices") or ["réponse"])[0]
    return {f["key"]: (f.get("choices") or ["réponse"])[0] for f in fields}


class Autopilot:
    """Drives ``kiosk`` (an :class:`app.main.Kiosk`) from its bridge messages, following ``plan_path``."""

    def __init__(self, kiosk: Any, plan_path: Path) -> None:
        self.kiosk = kiosk
        self.plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
        self.status_path = Path(self.plan["status_file"])
        self.shots = Path(self.plan["screenshots"]) if self.plan.get("screenshots") else None
        self.delay = int(self.plan.get("delay_ms", 150))
        self.browsed = False
        self.held = False
        self.shot_count = len(list(self.shots.glob("*.png"))) if self.shots and self.shots.is_dir() else 0
        self.seen_screens: set[str] = set()
        self.locked_at: set[int] = set()
        self.commands_path = Path(self.plan["commands_file"]) if self.plan.get("commands_file") else None
        # A restarted kiosk does not replay the commands of the process before it.
        self.commands_read = len(self._read_commands())
        kiosk.bridge.pushed.connect(self._pushed)
        self._status("started", pid=os.getpid())

    # --- plumbing ------------------------------------------------------------------------------

    def _status(self, event: str, **data: Any) -> None:
        with self.status_path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"t": time.time(), "event": event, **data}, ensure_ascii=False) + "\n")

    def _call(self, op: str, **fields: Any) -> dict[str, Any]:
        reply = json.loads(self.kiosk.bridge.call(json.dumps({"op": op, **fields})))
        if not reply.get("ok"):
            logger.warning("autopilot call refused", extra={"event": "autopilot_refused", "op": op, "reply": reply})
        return reply

    def _later(self, fn, delay: int | None = None) -> None:
        QTimer.singleShot(self.delay if delay is None else delay, fn)

    def _screenshot(self, name: str, widget=None) -> None:
        if self.shots is None:
            return
        self.shots.mkdir(parents=True, exist_ok=True)

        def grab() -> None:
            self.shot_count += 1
            path = self.shots / f"{self.shot_count:02d}-{name}.png"
            (widget or self.kiosk.window).grab().save(str(path))
            self._status("screenshot", path=str(path), screen=name)

        QTimer.singleShot(400, grab)  # let the page draw the screen first

    def _screen(self, name: str) -> None:
        if name not in self.seen_screens:
            self.seen_screens.add(name)
            self._screenshot(name)

    # --- reacting to the kiosk -------------------------------------------------------------------

    def _pushed(self, text: str) -> None:
        message = json.loads(text)
        kind = message.get("type")
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(message)

    def _on_preflight(self, message: dict[str, Any]) -> None:
        self._status("preflight", ok=message["ok"], problems=message["problems"])
        self._screen("preflight")
        if not message["ok"]:
            self._later(lambda: self._call("retry"), 1000)

    def _on_sign_in(self, message: dict[str, Any]) -> None:
        self._status("sign_in", error=message.get("error"), resuming=message.get("resuming"))
        self._screen("sign-in")
        if message.get("error") == MSG_COURSE_ENDED:
            self._status("course_already_ended")
            QTimer.singleShot(1000, QApplication.instance().quit)
            return
        delay = self.delay if message.get("error") is None else 1000
        self._later(lambda: self._call("sign_in", **self.plan["sign_in"]), delay)

    def _on_waiting(self, message: dict[str, Any]) -> None:
        self._status("waiting", reason=message.get("reason"))
        self._screen(f"waiting-{message.get('reason')}")

    def _on_instructions(self, _message: dict[str, Any]) -> None:
        self._status("instructions")
        self._screen("instructions")
        self._later(lambda: self._call("accept_rules"))

    def _on_question(self, message: dict[str, Any]) -> None:
        challenge = message["challenge"]
        self._status(
            "question",
            number=message["number"],
            challenge_id=challenge["id"],
            focused=challenge["focused"],
            type=challenge["type"],
        )
        self._screen("question-focused" if challenge["focused"] else "question-free")
        if not challenge["focused"] and self.plan.get("browse_first_free") and not self.browsed:
            self.browsed = True
            self._later(lambda: self._browse(challenge), 600)
        elif message["number"] in self.plan.get("lock_at", []) and message["number"] not in self.locked_at:
            self.locked_at.add(message["number"])
            self._later(lambda: self._plug_second_screen(challenge), 600)
        elif challenge["focused"] and self.plan.get("hold_focused") and not self.held:
            self.held = True
            self._status("holding_focused", challenge_id=challenge["id"])
            self._hold(challenge, time.monotonic() + float(self.plan.get("hold_seconds", 20)))
        else:
            self._later(lambda: self._answer(challenge), self.delay + 450)

    def _browse(self, challenge: dict[str, Any]) -> None:
        """Open the browsing pane, search the start page's engine if it has one, then go back and answer."""
        self._call("open_browser")
        view = self.kiosk.window.browse_view
        steps = ["start", "results"]

        def finish() -> None:
            self._call("close_browser")
            self._answer(challenge)

        def report_hidden(count: str) -> None:
            self._status("search_results", url=view.url().toString(), hidden=int(count or 0))
            self._screenshot("search-results")
            self._later(finish, 900)

        def loaded(_ok: bool) -> None:
            step = steps.pop(0) if steps else None
            if step == "start":
                self._status("browsed", url=view.url().toString())
                self._screenshot("browser")
                search = (  # returns a string: PySide mishandles JS booleans (trap T5)
                    "(() => { const f = document.getElementById('search-form');"
                    " if (!f || f.hidden) return 'no';"
                    " document.getElementById('search-query').value = 'licences';"
                    " f.requestSubmit(); return 'yes'; })()"
                )
                view.page().runJavaScript(
                    search, 0, lambda started: None if started == "yes" else self._stop_browsing(finish)
                )
            elif step == "results":
                disconnect(view.loadFinished, loaded)
                wait_filtered(time.monotonic() + 5)

        def wait_filtered(until: float) -> None:
            """Until the K17 filter has checked the results (or 5 s passed), then count what it hid."""
            probe = (
                "JSON.stringify([document.documentElement.hasAttribute('data-cadenas-checked'),"
                " document.querySelectorAll('[data-cadenas-hidden]').length])"
            )

            def seen(reply: str) -> None:
                checked, hidden = json.loads(reply or "[false, 0]")
                if checked or time.monotonic() > until:
                    report_hidden(str(hidden))
                else:
                    QTimer.singleShot(100, lambda: wait_filtered(until))

            view.page().runJavaScript(probe, 0, seen)

        view.loadFinished.connect(loaded)

    def _stop_browsing(self, finish) -> None:
        """The start page has no search form (no search engine in the session): back to the question."""
        disconnect(self.kiosk.window.browse_view.loadFinished)
        self._later(finish, 900)

    def _hold(self, challenge: dict[str, Any], until: float) -> None:
        history = self.kiosk.focus.history
        lost = any(e.kind == "lost" for e in history)
        back = lost and history[-1].kind == "regained"
        if back or time.monotonic() > until:
            self._status("focus_round_trip" if back else "focus_hold_timeout")
            self._later(lambda: self._answer(challenge), 800)
            return
        QTimer.singleShot(100, lambda: self._hold(challenge, until))

    def _plug_second_screen(self, challenge: dict[str, Any]) -> None:
        """A second screen appears (the display provider's path): the kiosk locks; wait for the unlock."""
        screens = list(self.kiosk.displays)
        self._status("second_screen_plugged", screens=len(screens) + 1)
        self.kiosk.displays_changed([*screens, Display("autopilot-second-screen", 1920, 1080, primary=False)])
        windows = self.kiosk.lock_screens.windows
        if windows:
            self._screenshot("lock-screen", widget=windows[0])
        self._wait_unlocked(challenge, screens, time.monotonic() + float(self.plan.get("unlock_seconds", 60)))

    def _wait_unlocked(self, challenge: dict[str, Any], screens: list[Any], until: float) -> None:
        """Type the codes the orchestrator sends on the lock screen; once unlocked, unplug and answer."""
        for command in self._new_commands():
            code = command.get("unlock_code")
            windows = self.kiosk.lock_screens.windows
            if code and windows:
                field = windows[0].code_input
                QTest.keyClicks(field, code)  # typed, as the invigilator would, then Enter
                QTest.keyClick(field, Qt.Key.Key_Return)
                self._status("unlock_code_typed")
        if not self.kiosk.controller.locked:
            self.kiosk.displays_changed(screens)
            self._status("unlocked")
            self._later(lambda: self._answer(challenge), 800)
        elif time.monotonic() > until:
            self._status("unlock_timeout")
        else:
            QTimer.singleShot(200, lambda: self._wait_unlocked(challenge, screens, until))

    def _read_commands(self) -> list[str]:
        if self.commands_path is None or not self.commands_path.exists():
            return []
        return self.commands_path.read_text(encoding="utf-8").splitlines()

    def _new_commands(self) -> list[dict[str, Any]]:
        lines = self._read_commands()
        new, self.commands_read = lines[self.commands_read :], len(lines)
        return [json.loads(line) for line in new if line.strip()]

    def _answer(self, challenge: dict[str, Any]) -> None:
        question = self.kiosk.controller.question
        if question is None or question.challenge_id != challenge["id"]:
            return  # the screen moved on (alert validated, time over...)
        value = self.plan.get("answers", {}).get(challenge["id"], default_value(challenge))
        self._status("answering", challenge_id=challenge["id"])
        self._call("answer", value=value)

    def _on_connection(self, message: dict[str, Any]) -> None:
        self._status("connection", state=message["state"])
        if message["state"] == "lost":
            self._screen("connection-lost")

    def _on_focus_warning(self, _message: dict[str, Any]) -> None:
        self._status("focus_warning")
        self._screen("focus-warning")

    def _on_locked(self, message: dict[str, Any]) -> None:
        self._status("locked", locked=message["locked"])

    def _on_technical_problem(self, message: dict[str, Any]) -> None:
        self._status("technical_problem", code=message["code"])
        self._screen("technical-problem")

    def _on_end(self, _message: dict[str, Any]) -> None:
        self._status("end")
        self._screen("end")
        QTimer.singleShot(1500, QApplication.instance().quit)
