"""The candidate flow without a screen: a recording view, a scripted server, a real journal."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from app.controller import PreflightReport, SessionController, State
from app.sync.client import KioskApiClient, RetryPolicy, SyncConfig, Syncer
from app.sync.journal import ANSWER, CourseKey, Journal

API = "/api/v1"
SESSION_ID, CANDIDATE_ID, COUNT = 7, 3, 32


class FakeServer:
    """The candidate API, scripted: 32 questions, question 2 focused, answers deduplicated by UUID."""

    def __init__(self) -> None:
        self.offline = False
        self.authorised = False
        self.answered = 0
        self.receipts: dict[str, dict[str, Any]] = {}
        self.answer_posts: list[str] = []
        self.focus_outs: list[dict[str, Any]] = []
        self.alert: str | None = None
        self.lack_of_challenges = False
        self.has_course = False
        self.ended = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.offline:
            raise httpx.ConnectError("network down", request=request)
        body = json.loads(request.content) if request.content else None
        route = (request.method, request.url.path.removeprefix(API))
        handler = {
            ("POST", "/sessions/join"): self.join,
            ("GET", "/candidate/authorisation"): lambda _b: {"authorised": self.authorised, "course": None},
            ("POST", "/candidate/course/start"): self.start,
            ("GET", "/candidate/challenge"): self.challenge,
            ("POST", "/candidate/answers"): self.answer,
            ("POST", "/candidate/focus-out"): self.focus_out,
            ("POST", "/candidate/live-alerts"): self.report,
            ("GET", "/candidate/live-alerts/current"): lambda _b: {"alert": {"status": self.alert}},
        }[route]
        reply = handler(body)
        if isinstance(reply, httpx.Response):
            return reply
        return httpx.Response(200, json=reply)

    @staticmethod
    def error(status: int, code: str) -> httpx.Response:
        return httpx.Response(status, json={"error": code, "message": f"refused: {code}"})

    def join(self, body: dict[str, Any]) -> Any:
        if body["access_code"] != "ABC123":
            return self.error(403, "wrong_access_code")
        course = {"state": "started", "answered": self.answered, "finished": False} if self.has_course else None
        return {
            "token": "tok",
            "expires_at": "2026-11-23T18:00:00",
            "session": {"id": SESSION_ID},
            "candidate": {"id": CANDIDATE_ID},
            "has_course": self.has_course,
            "course": course,
        }

    def start(self, _body: Any) -> Any:
        if not self.authorised:
            return self.error(403, "not_authorised")
        self.authorised, self.has_course = False, True
        course = {"state": "started", "answered": self.answered, "finished": False}
        return {"resumed": False, "course": course, "question_number": self.answered + 1, "question_count": COUNT}

    def challenge(self, _body: Any) -> Any:
        if self.lack_of_challenges:
            return self.error(409, "lack_of_challenges")
        finished = self.ended or self.answered >= COUNT
        number = min(self.answered + 1, COUNT)
        challenge = {"id": f"c{number}", "type": "QCU", "statement": "?", "focused": number == 2}
        return {
            "finished": finished,
            "state": "started",
            "question_number": number,
            "question_count": COUNT,
            "seconds_left": 0 if finished else 2700,
            "timer_seconds_left": None,
            "live_alert": None,
            "challenge": None if finished else challenge,
        }

    def answer(self, body: dict[str, Any]) -> Any:
        self.answer_posts.append(body["uuid"])
        if body["uuid"] in self.receipts:
            return self.receipts[body["uuid"]]
        if self.ended:
            return self.error(409, "time_limit_reached")
        if body["challenge_id"] != f"c{self.answered + 1}":
            return self.error(409, "already_answered")
        self.answered += 1
        receipt = {
            "accepted": True,
            "uuid": body["uuid"],
            "challenge_id": body["challenge_id"],
            "answered": self.answered,
            "next": "end" if self.answered >= COUNT else "challenge",
        }
        self.receipts[body["uuid"]] = receipt
        return receipt

    def focus_out(self, body: dict[str, Any]) -> Any:
        self.focus_outs.append(body)
        return {"recorded": True, "challenge_id": body["challenge_id"]}

    def report(self, body: dict[str, Any]) -> Any:
        self.alert = "ongoing"
        return httpx.Response(201, json={"id": 1, "challenge_id": body["challenge_id"], "status": "ongoing"})


class FakeView:
    """Records every call as ``(name, args, kwargs)``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str):
        def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, args, kwargs))

        return record

    def names(self) -> list[str]:
        return [name for name, _a, _k in self.calls]

    def last(self, name: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return next((a, k) for n, a, k in reversed(self.calls) if n == name)


class SyncRunner:
    """Runs the background function at once, on the calling thread."""

    def run_in_background(self, fn, on_done, on_error) -> None:
        try:
            result = fn()
        except Exception as exc:  # handed to the controller, as the task manager does
            on_error(exc)
        else:
            on_done(result)


class FakeClock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 23, 9, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make(server, clock, tmp_path):
    """Build a controller (a new one on the same journal directory simulates a restart)."""
    made: list[tuple[Journal, httpx.Client]] = []

    def build() -> tuple[SessionController, FakeView]:
        http = httpx.Client(transport=httpx.MockTransport(server.handle))
        client = KioskApiClient(
            SyncConfig(base_url="http://cadenas.test", retry=RetryPolicy(max_attempts=1)), http, sleep=lambda _s: None
        )
        journal = Journal(tmp_path, marker_key=b"k" * 32)
        made.append((journal, http))
        view = FakeView()
        controller = SessionController(
            view,
            client,
            Syncer(journal, client),
            journal,
            clock,
            SyncRunner(),
            install_id="kiosk-1",
            preflight=lambda: PreflightReport(ok=True),
            poll_wait=0,
        )
        return controller, view

    yield build
    for journal, http in made:
        journal.close()
        http.close()


def sign_in(controller: SessionController, code: str = "ABC123") -> None:
    controller.sign_in(SESSION_ID, code, "Martin", "Léa", dt.date(2008, 5, 4))


def to_first_question(controller: SessionController, server: FakeServer) -> None:
    controller.start()
    sign_in(controller)
    server.authorised = True
    controller.tick()
    controller.accept_rules()
    assert controller.state is State.QUESTION


def test_happy_path_to_the_end(make, server):
    controller, view = make()
    controller.start()
    assert view.names()[:2] == ["show_preflight", "show_sign_in"]
    sign_in(controller)
    assert controller.state is State.WAITING_AUTHORISATION
    controller.tick()
    assert controller.state is State.WAITING_AUTHORISATION  # not yet authorised
    server.authorised = True
    controller.tick()
    assert controller.state is State.INSTRUCTIONS
    controller.accept_rules()
    assert controller.journal.unfinished_course().course == CourseKey(SESSION_ID, CANDIDATE_ID)
    for number in range(1, COUNT + 1):
        assert controller.question.number == number
        controller.answer("1")
    assert controller.state is State.ENDED
    assert view.names()[-1] == "show_end"
    assert server.answered == COUNT and len(server.answer_posts) == COUNT
    assert controller.journal.unfinished_course() is None
    assert not controller.journal.pending()


def test_wrong_access_code_is_shown_on_sign_in(make):
    controller, view = make()
    controller.start()
    sign_in(controller, code="WRONG")
    assert controller.state is State.SIGN_IN
    args, _kwargs = view.last("show_sign_in")
    assert "wrong_access_code" in args[0]


def test_network_loss_during_an_answer(make, server, clock):
    controller, view = make()
    to_first_question(controller, server)
    server.offline = True
    controller.answer("2")
    entries = [e for e in controller.journal.entries() if e.kind == ANSWER]
    assert len(entries) == 1 and not entries[0].sent  # journaled before the send failed
    assert view.last("show_connection_lost") == ((), {"saved": True})
    assert controller.offline and controller.question.number == 1
    controller.answer("3")  # held: no second answer while the first is unconfirmed
    assert len(controller.journal.entries()) == 1
    server.offline = False
    controller.network_changed(True)
    assert controller.question.number == 2 and not controller.offline
    assert "hide_connection_lost" in view.names()
    clock.advance(60)
    controller.tick()
    controller.network_changed(True)
    assert server.answer_posts == [entries[0].client_uuid]  # sent once, never twice


def test_retry_on_tick_after_backoff(make, server, clock):
    controller, _view = make()
    to_first_question(controller, server)
    server.offline = True
    controller.answer("2")
    server.offline = False
    controller.tick()  # too early: the retry interval has not passed
    assert controller.unconfirmed is not None
    clock.advance(6)
    controller.tick()
    assert controller.unconfirmed is None and controller.question.number == 2


def test_crash_and_resume_on_the_same_question(make, server):
    first, _view = make()
    to_first_question(first, server)
    first.answer("1")
    server.offline = True
    first.answer("1")  # question 2 journaled, then the kiosk "crashes"
    assert server.answered == 1
    server.offline = False
    controller, view = make()
    controller.start()
    assert view.last("show_sign_in")[1] == {"resuming": True}
    sign_in(controller)
    assert controller.state is State.RESUME_WAIT
    assert server.answered == 2  # the journal was flushed before waiting
    controller.tick()
    assert controller.state is State.RESUME_WAIT
    server.authorised = True
    controller.instruction_received({"id": 9, "kind": "authorise_resume", "payload": {}})
    assert controller.state is State.QUESTION
    assert controller.question.challenge_id == "c3"
    assert "show_instructions" not in view.names()


def test_focus_loss_on_a_focused_question(make, server, clock):
    controller, view = make()
    to_first_question(controller, server)
    controller.focus_lost()  # question 1 is free: nothing recorded
    assert server.focus_outs == []
    controller.answer("1")
    assert controller.question.focused
    controller.focus_lost(clock())
    assert [f["challenge_id"] for f in server.focus_outs] == ["c2"]
    assert view.names().count("show_focus_warning") == 1
    assert not controller.journal.pending()


def test_force_lock_blocks_answering_until_unlock(make, server):
    controller, view = make()
    to_first_question(controller, server)
    controller.instruction_received({"id": 1, "kind": "force_lock", "payload": {"message": "Appelez le surveillant"}})
    assert controller.locked and view.last("show_lock") == ((["Appelez le surveillant"],), {})
    controller.answer("1")
    controller.report_problem()
    assert server.answered == 0 and server.alert is None
    controller.instruction_received({"id": 2, "kind": "unlock", "payload": {}})
    controller.instruction_received({"id": 1, "kind": "force_lock", "payload": {}})  # replayed: ignored
    assert not controller.locked and "hide_lock" in view.names()
    controller.answer("1")
    assert server.answered == 1


def test_end_test_instruction(make, server):
    controller, view = make()
    to_first_question(controller, server)
    controller.instruction_received({"id": 5, "kind": "end_test", "payload": {}})
    assert controller.state is State.ENDED and view.names()[-1] == "show_end"
    assert controller.journal.unfinished_course() is None


def test_time_limit_refusal_ends_the_test(make, server):
    controller, _view = make()
    to_first_question(controller, server)
    server.ended = True
    controller.answer("1")
    assert controller.state is State.ENDED


def test_live_alert_dismissed_then_validated(make, server):
    controller, view = make()
    to_first_question(controller, server)
    controller.report_problem()
    assert controller.state is State.ALERT_PENDING
    controller.tick()
    assert controller.state is State.ALERT_PENDING  # still ongoing
    server.alert = "dismissed"
    controller.tick()
    assert controller.state is State.QUESTION and view.last("show_question")[0][0].challenge_id == "c1"
    controller.report_problem()
    server.alert = "validated"
    server.answered = 1  # the server neutralised the question and moved on
    controller.tick()
    assert controller.state is State.QUESTION and controller.question.challenge_id == "c2"


def test_lack_of_challenges_shows_the_technical_problem(make, server):
    controller, view = make()
    to_first_question(controller, server)
    server.lack_of_challenges = True
    controller.answer("1")
    assert controller.state is State.TECHNICAL_PROBLEM
    assert view.last("show_technical_problem") == (("lack_of_challenges",), {})


def test_skip_moves_on_and_never_comes_back(make, server):
    controller, _view = make()
    to_first_question(controller, server)
    controller.skip()
    assert controller.question.challenge_id == "c2"
    assert controller.journal.entries()[0].payload == {"challenge_id": "c1", "skip": True}
