r"""The candidate flow as a plain state machine (issue 6 §2-§5; kiosk.md K10, K42-K48, K52).

::

    PREFLIGHT -> SIGN_IN -> WAITING_AUTHORISATION -> INSTRUCTIONS -> QUESTION <-> ALERT_PENDING -> ENDED
                    \-> RESUME_WAIT (unfinished course: flush the journal, wait for the invigilator) -> QUESTION
    any server call -> TECHNICAL_PROBLEM (``lack_of_challenges``, journal failure, unexpected reply)

``locked`` (force_lock ... unlock) and ``offline`` (network lost) are flags orthogonal to the state:
a lock blocks answering, a network loss keeps the answered question on screen behind the
"connection lost, your answer is saved" overlay until the server confirms it.

Every server or disk call runs through the injected :class:`~app.controller_model.TaskRunner`, one
at a time (a serial lane), so the journal is never flushed twice at once and an answer is never
sent twice. No Qt here: the widgets call these methods and implement
:class:`~app.controller_model.View`.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from app.controller_model import (
    ALREADY_DONE_CODES,
    END_CODES,
    MSG_COURSE_ENDED,
    MSG_SIGN_IN_AGAIN,
    MSG_UNREACHABLE,
    MSG_WAIT_ALERT,
    MSG_WAIT_AUTHORISATION,
    MSG_WAIT_RESUME,
    Clock,
    PreflightReport,
    Question,
    State,
    TaskRunner,
    View,
)
from app.sync.client import KioskApiClient, Syncer
from app.sync.errors import SyncError, SyncErrorKind
from app.sync.journal import CourseKey, CourseMarker, Entry, Journal

logger = logging.getLogger(__name__)

_TRANSIENT = (SyncErrorKind.NETWORK, SyncErrorKind.SERVER, SyncErrorKind.RATE_LIMITED)
_Task = tuple[Callable[[], Any], Callable[[Any], None], Callable[[BaseException], None]]


class SessionController:
    """Drive one candidate through the test; the UI calls the public methods, never the reverse.

    Parameters
    ----------
    view
        The screens.
    client, syncer, journal
        The server link and the answer journal (``syncer`` wraps ``journal`` and ``client``).
    clock
        The wall clock, naive UTC.
    runner
        Runs the server and disk calls off the GUI thread.
    install_id
        The kiosk's install id (bound at sign-in, written in the resume marker).
    preflight
        The pre-flight checks, run in the background by :meth:`start`.
    poll_wait
        Seconds of each long-poll (authorisation, alert decision).
    retry_interval
        Seconds between two resends of an unconfirmed answer on :meth:`tick`.
    on_session
        Called with the session of each successful sign-in (its URL rules, date, room).
    """

    def __init__(
        self,
        view: View,
        client: KioskApiClient,
        syncer: Syncer,
        journal: Journal,
        clock: Clock,
        runner: TaskRunner,
        *,
        install_id: str,
        preflight: Callable[[], PreflightReport],
        poll_wait: float = 25.0,
        retry_interval: float = 5.0,
        on_session: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.view, self.client, self.syncer, self.journal = view, client, syncer, journal
        self.clock, self.runner = clock, runner
        self.install_id, self.preflight = install_id, preflight
        self.poll_wait, self.retry_interval = poll_wait, retry_interval
        self.on_session = on_session
        self.state = State.PREFLIGHT
        self.locked = False
        self.offline = False
        self.lock_reasons: list[str] = []
        self.course: CourseKey | None = None
        self.question: Question | None = None
        self.unconfirmed: Entry | None = None  # the answer journaled, not yet confirmed by the server
        self._marker: CourseMarker | None = None
        self._resuming = False
        self._answering = False
        self._polling = False
        self._next_retry: dt.datetime | None = None
        self._retry: Callable[[], None] | None = None  # what to redo once the network is back
        self._seen_instructions: set[Any] = set()
        self._lane: collections.deque[_Task] = collections.deque()
        self._busy = False
        self._overlay = False  # the "connection lost" overlay is on screen

    # --- the serial lane -------------------------------------------------------------------------

    def _run(self, fn: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]):
        """Queue ``fn`` in the background; tasks run one at a time, in order."""
        self._lane.append((fn, on_done, on_error))
        if not self._busy:
            self._next_task()

    def _next_task(self) -> None:
        if not self._lane:
            return
        fn, on_done, on_error = self._lane.popleft()
        self._busy = True

        def done(result: Any) -> None:
            self._busy = False
            try:
                on_done(result)
            finally:
                if not self._busy:
                    self._next_task()

        def failed(exc: BaseException) -> None:
            self._busy = False
            try:
                on_error(exc)
            finally:
                if not self._busy:
                    self._next_task()

        self.runner.run_in_background(fn, done, failed)

    # --- start, sign-in, authorisation -----------------------------------------------------------

    def start(self) -> None:
        """Run the pre-flight checks and read the unfinished-course marker; then the sign-in screen."""
        self.state = State.PREFLIGHT
        self._run(lambda: (self.preflight(), self._read_marker()), self._preflight_done, self._fail)

    def _read_marker(self) -> CourseMarker | None:
        """The unfinished-course marker; a tampered one is ignored (the server decides, K48)."""
        try:
            return self.journal.unfinished_course()
        except SyncError as exc:
            if exc.kind is not SyncErrorKind.INTEGRITY:
                raise
            logger.warning("resume marker refused", extra={"event": "resume_marker_refused"})
            return None

    def _preflight_done(self, result: tuple[PreflightReport, CourseMarker | None]) -> None:
        report, self._marker = result
        self.view.show_preflight(report)
        if report.ok:
            self.state = State.SIGN_IN
            self.view.show_sign_in(resuming=self._marker is not None)

    def sign_in(self, session_id: int, access_code: str, last_name: str, first_name: str, birth_date: Any) -> None:
        """Join the session with what the candidate typed (errors come back on the sign-in screen)."""
        if self.state is not State.SIGN_IN or self._busy:
            return
        call = dict(
            session_id=session_id,
            access_code=access_code,
            last_name=last_name,
            first_name=first_name,
            birth_date=birth_date,
            install_id=self.install_id,
        )
        self._run(lambda: self.client.join(**call), self._joined, self._sign_in_failed)

    def _joined(self, reply: dict[str, Any]) -> None:
        self.course = CourseKey(reply["session"]["id"], reply["candidate"]["id"])
        self.offline = False
        if self.on_session is not None:
            self.on_session(reply["session"])
        course = reply.get("course") or {}
        if course.get("finished"):
            if self._marker is not None and self._marker.course == self.course:
                # Killed after the server kept the last answer but before its receipt was journaled: settle
                # the journal (the replay is idempotent) and clear the marker, then the end screen.
                key = self.course
                self._run(lambda: self.syncer.flush(key), lambda _report: self._end(), lambda _exc: self._end())
                return
            self.state = State.SIGN_IN
            self.view.show_sign_in(MSG_COURSE_ENDED)
            return
        self._resuming = self._must_resume(reply)
        if self._resuming:
            self.state = State.RESUME_WAIT
            self.view.show_waiting(MSG_WAIT_RESUME)
            self._run(lambda: self.syncer.flush(self.course), lambda _report: self._poll_authorisation(), self._fail)
        else:
            self.state = State.WAITING_AUTHORISATION
            self.view.show_waiting(MSG_WAIT_AUTHORISATION)
            self._poll_authorisation()

    def _must_resume(self, reply: dict[str, Any]) -> bool:
        """True when this candidate's course was started before: a marker here, or the server says so."""
        marker_matches = self._marker is not None and self._marker.course == self.course
        if self._marker is not None and not marker_matches:
            logger.warning("resume marker of another candidate", extra={"event": "resume_marker_mismatch"})
        return marker_matches or bool(reply.get("has_course"))

    def _sign_in_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, SyncError) or exc.kind in (SyncErrorKind.JOURNAL, SyncErrorKind.DEVICE):
            self._fail(exc)
            return
        self.offline = exc.kind in _TRANSIENT
        self.view.show_sign_in(MSG_UNREACHABLE if self.offline else exc.message, resuming=self._marker is not None)

    def _poll_authorisation(self) -> None:
        """Long-poll the invigilator's authorisation (again on :meth:`tick` while it is refused)."""
        if self._polling:
            return
        self._polling = True
        self._run(lambda: self.client.wait_for_authorisation(self.poll_wait), self._authorisation, self._poll_failed)

    def _authorisation(self, reply: dict[str, Any]) -> None:
        self._polling, self.offline = False, False
        if (reply.get("course") or {}).get("finished"):
            self._end()
        elif reply.get("authorised"):
            self._authorised()

    def _authorised(self) -> None:
        """The invigilator let the candidate go: the rules first, or straight back to the question."""
        if self.state is State.RESUME_WAIT:
            self._begin_course()
        elif self.state is State.WAITING_AUTHORISATION:
            self.state = State.INSTRUCTIONS
            self.view.show_instructions()

    def _poll_failed(self, exc: BaseException) -> None:
        self._polling = False
        if isinstance(exc, SyncError) and exc.kind in _TRANSIENT:
            self.offline = True  # polled again on the next tick
        else:
            self._fail(exc)

    def accept_rules(self) -> None:
        """The candidate accepted the rules: start the course."""
        if self.state is State.INSTRUCTIONS and not self._busy:
            self._begin_course()

    def _begin_course(self) -> None:
        """Start (or resume) on the server, write the marker, then show the pending question."""

        def begin() -> dict[str, Any]:
            started = self.client.start()
            self.journal.start_course(install_id=self.install_id, course=self.course, started_at=self.clock())
            return started

        self._run(begin, lambda _started: self._fetch_question(), lambda exc: self._fail(exc, self._begin_course))

    # --- questions and answers -------------------------------------------------------------------

    def _fetch_question(self) -> None:
        self._run(self.client.current_challenge, self._show_pending, lambda exc: self._fail(exc, self._fetch_question))

    def _show_pending(self, reply: dict[str, Any]) -> None:
        """Show the server's pending question, or the end screen when the test is over."""
        self._back_online()
        if reply.get("finished"):
            self._end()
            return
        now = self.clock()
        timer = reply.get("timer_seconds_left")
        challenge = reply["challenge"]
        self.question = Question(
            challenge_id=challenge["id"],
            number=reply["question_number"],
            count=reply["question_count"],
            challenge=challenge,
            deadline=now + dt.timedelta(seconds=reply["seconds_left"]),
            timer_deadline=None if timer is None else now + dt.timedelta(seconds=timer),
        )
        self.state = State.QUESTION
        self.view.show_question(self.question)

    def _can_act(self) -> bool:
        """True when the candidate may answer, skip or report: on a question, unlocked, nothing in flight."""
        return (
            self.state is State.QUESTION
            and not self.locked
            and self.question is not None
            and not self._answering
            and self.unconfirmed is None
            and self._retry is None
        )

    def answer(self, value: Any) -> None:
        """Journal the answer, then send it; the next question waits for the server's receipt."""
        if self._can_act():
            self._record({"challenge_id": self.question.challenge_id, "value": value})

    def skip(self) -> None:
        """Skip the question (the UI confirmed); it never comes back."""
        if self._can_act():
            self._record({"challenge_id": self.question.challenge_id, "skip": True})

    def _record(self, payload: dict[str, Any]) -> None:
        self._answering = True
        course = self.course

        def record() -> Entry | None:
            entry, _report = self.syncer.record_answer(course, payload)  # journaled, then sent
            return self.journal.get(entry.client_uuid)

        self._run(record, self._settle, self._answer_failed)

    def _answer_failed(self, exc: BaseException) -> None:
        self._answering = False
        self._fail(exc)  # the journal could not be written: nothing was sent

    def _settle(self, entry: Entry | None) -> None:
        """Move on if the server answered the journaled answer; otherwise keep it behind the overlay."""
        self._answering = False
        if entry is None or self.state is not State.QUESTION:
            self.unconfirmed = None
            return
        self.unconfirmed = entry
        if not entry.sent:
            self._hold_answer()
            return
        self.unconfirmed = None
        self._back_online()
        self._after_receipt(entry.server_reply or {})

    def _back_online(self) -> None:
        """The server answered: drop the offline flag and its overlay."""
        self.offline = False
        if self._overlay:
            self._overlay = False
            self.view.hide_connection_lost()

    def _after_receipt(self, reply: dict[str, Any]) -> None:
        """The server's receipt (or its refusal, kept in the journal) decides what comes next."""
        refusal = reply.get("refused")
        if refusal is None:
            if reply.get("next") == "end":
                self._end()
            else:
                self._fetch_question()
            return
        code = refusal.get("error")
        if code in END_CODES:
            self._end()
        elif code == "lack_of_challenges":
            self._technical_problem(code)
        else:
            if code not in ALREADY_DONE_CODES:
                logger.warning("answer refused", extra={"event": "answer_refused", "code": code})
            self._fetch_question()  # already answered or replayed: a success

    def _hold_answer(self) -> None:
        """The answer is journaled but unconfirmed (network down): show the overlay, retry later."""
        self.offline = True
        self._next_retry = self.clock() + dt.timedelta(seconds=self.retry_interval)
        self._overlay = True
        self.view.show_connection_lost(saved=True)

    def _retry_answer(self) -> None:
        """Flush the journal again (only unsent entries go out, each once) and check the receipt."""
        self._next_retry = self.clock() + dt.timedelta(seconds=self.retry_interval)
        course, client_uuid = self.course, self.unconfirmed.client_uuid

        def resend() -> Entry | None:
            self.syncer.flush(course)  # only unsent entries go out
            return self.journal.get(client_uuid)

        self._answering = True
        self._run(resend, self._settle, self._answer_failed)

    def _retry_failed(self, exc: BaseException) -> None:
        if isinstance(exc, SyncError) and exc.kind in _TRANSIENT:
            return
        self._fail(exc)

    # --- live alerts -----------------------------------------------------------------------------

    def report_problem(self) -> None:
        """Report a problem on the question: wait for the invigilator's decision."""
        if not self._can_act():
            return
        challenge_id = self.question.challenge_id
        self._run(lambda: self.client.report_problem(challenge_id), self._alert_sent, self._alert_failed)

    def _alert_sent(self, _alert: dict[str, Any]) -> None:
        self.state = State.ALERT_PENDING
        self.view.show_waiting(MSG_WAIT_ALERT)
        self._poll_alert()

    def _alert_failed(self, exc: BaseException) -> None:
        if isinstance(exc, SyncError) and exc.code == "live_alert_ongoing":
            self._alert_sent({})
        elif isinstance(exc, SyncError) and exc.kind in _TRANSIENT:
            self.offline = True
            self.view.show_notice(MSG_UNREACHABLE)
        else:
            self._fail(exc)

    def _poll_alert(self) -> None:
        if self._polling:
            return
        self._polling = True
        self._run(lambda: self.client.wait_for_alert_decision(self.poll_wait), self._alert_decided, self._poll_failed)

    def _alert_decided(self, reply: dict[str, Any]) -> None:
        """Dismissed: back to the same question. Validated: the server draws a new one."""
        self._polling = False
        status = (reply.get("alert") or {}).get("status", "dismissed")
        if status == "ongoing" or self.state is not State.ALERT_PENDING:
            return
        if status == "validated":
            self._fetch_question()
        else:
            self.state = State.QUESTION
            self.view.show_question(self.question)

    # --- focus, network, lock, instructions, time ------------------------------------------------

    def focus_lost(self, at: dt.datetime | None = None) -> None:
        """The kiosk lost focus (K10): on a focused question, journal and send a focus-out, warn."""
        if self.state is not State.QUESTION or self.question is None or not self.question.focused:
            return
        when, course, challenge_id = at or self.clock(), self.course, self.question.challenge_id
        logger.warning("focus lost", extra={"event": "focus_lost", "challenge_id": challenge_id})
        self.view.show_focus_warning()
        self._run(lambda: self.syncer.record_focus_out(course, challenge_id, when), lambda _r: None, self._retry_failed)

    def network_changed(self, online: bool) -> None:
        """The OS reports the network up or down; an unconfirmed answer is resent once it is up."""
        self.offline = not online
        if online and self.unconfirmed is not None and not self._answering:
            self._retry_answer()
        elif online and self._retry is not None and not self._busy:
            self._redo()

    def _redo(self) -> None:
        """Redo the call that the network interrupted (fetching the question, starting the course)."""
        retry, self._retry = self._retry, None
        self._next_retry = self.clock() + dt.timedelta(seconds=self.retry_interval)
        retry()

    def instruction_received(self, instruction: dict[str, Any]) -> None:
        """An invigilator instruction from a heartbeat reply (K45); each id is applied once."""
        ident = instruction.get("id")
        if ident is not None and ident in self._seen_instructions:
            return
        self._seen_instructions.add(ident)
        handlers = {
            "force_lock": self._force_lock,
            "unlock": self._unlock,
            "notify": lambda payload: self.view.show_notice(str(payload.get("message", ""))),
            "end_test": lambda _payload: self._end(),
            "authorise_resume": lambda _payload: self._authorised(),
            "quit": lambda _payload: self.view.quit(),
        }
        handler = handlers.get(instruction.get("kind", ""))
        if handler is None:
            logger.warning(
                "unknown instruction", extra={"event": "instruction_unknown", "kind": instruction.get("kind")}
            )
            return
        handler(instruction.get("payload") or {})

    def _force_lock(self, payload: dict[str, Any]) -> None:
        """Lock the kiosk (answering is blocked) and show why."""
        self.lock(str(payload.get("message") or "Verrouillé par le surveillant"))

    def lock(self, reason: str) -> None:
        """Lock the kiosk for ``reason`` (also called by the lockdown checks)."""
        self.locked = True
        self.lock_reasons.append(reason)
        logger.warning("kiosk locked", extra={"event": "kiosk_locked", "reason": reason})
        self.view.show_lock(list(self.lock_reasons))

    def _unlock(self, _payload: dict[str, Any]) -> None:
        """Unlock (remote, K45): answering works again."""
        self.unlock("remote")

    def unlock(self, how: str) -> None:
        """Unlock the kiosk (``how``: ``remote``, ``online``, ``offline``, ``local_code``)."""
        if not self.locked:
            return
        self.locked = False
        self.lock_reasons.clear()
        logger.warning("kiosk unlocked", extra={"event": "kiosk_unlocked", "how": how})
        self.view.hide_lock()

    def retry(self) -> None:
        """The kiosk-owned retry button (K22): pre-flight again, or ask the server again after a problem."""
        if self._busy:
            return
        if self.state is State.PREFLIGHT:
            self.start()
        elif self.state is State.TECHNICAL_PROBLEM:
            if self.course is None:
                self.start()
            else:
                self._fetch_question()
        elif self._retry is not None:
            self._redo()

    def tick(self) -> None:
        """Called every second: time left, resend of an unconfirmed answer, polls while waiting."""
        now = self.clock()
        due = not self._busy and (self._next_retry is None or now >= self._next_retry)
        if self.unconfirmed is not None:
            if due and not self._answering:
                self._retry_answer()
        elif self._retry is not None:
            if due:
                self._redo()
        elif self.state is State.QUESTION and self.question is not None and not self._answering:
            seconds = self.question.seconds_left(now)
            self.view.show_time_left(seconds)
            if seconds == 0 and not self._busy:
                self._fetch_question()  # the server ends the course at its time limit
        elif self.state in (State.WAITING_AUTHORISATION, State.RESUME_WAIT) and not self._busy:
            self._poll_authorisation()
        elif self.state is State.ALERT_PENDING and not self._busy:
            self._poll_alert()

    # --- endings ---------------------------------------------------------------------------------

    def _end(self) -> None:
        """The test is over: clear the resume marker and show the end screen."""
        if self.state is State.ENDED:
            return
        self.state, self.question, self.unconfirmed = State.ENDED, None, None
        self._run(self.journal.clear_course, lambda _r: None, lambda exc: logger.error("marker not cleared: %s", exc))
        self.view.show_end()

    def _technical_problem(self, code: str) -> None:
        self.state = State.TECHNICAL_PROBLEM
        logger.error("technical problem", extra={"event": "technical_problem", "code": code})
        self.view.show_technical_problem(code)

    def _fail(self, exc: BaseException, retry: Callable[[], None] | None = None) -> None:
        """Where errors of server and disk calls end up, according to their kind and code.

        A transient error (network, 5xx, 429) keeps ``retry`` to run on :meth:`tick` or when the
        network is back.
        """
        if not isinstance(exc, SyncError):
            logger.error("unexpected failure", exc_info=exc, extra={"event": "controller_failure"})
            self._technical_problem("internal_error")
        elif exc.code in END_CODES:
            self._end()
        elif exc.kind is SyncErrorKind.AUTH:
            self.state, self._polling = State.SIGN_IN, False
            self.view.show_sign_in(MSG_SIGN_IN_AGAIN, resuming=self.course is not None)
        elif exc.kind in _TRANSIENT:
            self.offline, self._retry = True, retry
            self._next_retry = self.clock() + dt.timedelta(seconds=self.retry_interval)
            self._overlay = True
            self.view.show_connection_lost(saved=True)
        else:
            self._technical_problem(exc.code or exc.kind.value)


__all__ = ["PreflightReport", "Question", "SessionController", "State"]
