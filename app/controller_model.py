"""The value objects and Protocols of the candidate flow (see :mod:`app.controller`).

Nothing here knows Qt: the widgets and pages implement :class:`View`, the task manager
implements :class:`TaskRunner`, and tests give fakes of both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable
from typing import Any, Protocol

#: The wall clock, naive UTC (the journal's and the server's convention).
Clock = Callable[[], dt.datetime]


class State(enum.Enum):
    """Where the candidate is in the flow; ``locked`` and ``offline`` are orthogonal flags."""

    PREFLIGHT = "preflight"
    SIGN_IN = "sign_in"
    WAITING_AUTHORISATION = "waiting_authorisation"
    RESUME_WAIT = "resume_wait"
    INSTRUCTIONS = "instructions"
    QUESTION = "question"
    ALERT_PENDING = "alert_pending"
    ENDED = "ended"
    TECHNICAL_PROBLEM = "technical_problem"


@dataclasses.dataclass(frozen=True)
class PreflightReport:
    """What the pre-flight checks found: ``ok`` when the candidate may go on to sign in."""

    ok: bool
    problems: tuple[str, ...] = ()
    versions: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Question:
    """The pending question as the page shows it, with its deadlines on the kiosk's clock."""

    challenge_id: str
    number: int
    count: int
    challenge: dict[str, Any]
    deadline: dt.datetime
    timer_deadline: dt.datetime | None = None

    @property
    def focused(self) -> bool:
        """True for a focused challenge (yellow marker): leaving the window is a focus-out."""
        return bool(self.challenge.get("focused"))

    def seconds_left(self, now: dt.datetime) -> int:
        """Seconds left for the whole test at ``now`` (never negative)."""
        return max(0, int((self.deadline - now).total_seconds()))


class View(Protocol):
    """What the controller asks of the screens; the Qt pages implement it, tests record it."""

    def show_preflight(self, report: PreflightReport) -> None:
        """The pre-flight results (server reachable, screens, versions)."""

    def show_sign_in(self, error: str | None = None, *, resuming: bool = False) -> None:
        """The sign-in form, with an error to show, or the resume hint."""

    def show_waiting(self, message: str) -> None:
        """A waiting screen (authorisation, resume, live alert) with its message."""

    def show_instructions(self) -> None:
        """The instruction screens and the rules to accept."""

    def show_question(self, question: Question) -> None:
        """The question page."""

    def show_time_left(self, seconds: int) -> None:
        """Update the time left for the test."""

    def show_end(self) -> None:
        """The end screen."""

    def show_connection_lost(self, saved: bool = True) -> None:
        """The "connection lost" overlay; ``saved``: the answer is in the journal."""

    def hide_connection_lost(self) -> None:
        """Remove the connection overlay."""

    def show_technical_problem(self, code: str) -> None:
        """The technical-problem screen with the server's code."""

    def show_lock(self, reasons: list[str]) -> None:
        """The lock screens, with every reason since the lock began."""

    def hide_lock(self) -> None:
        """Remove the lock screens."""

    def show_focus_warning(self) -> None:
        """Tell the candidate their focus loss was recorded."""

    def show_notice(self, message: str) -> None:
        """An invigilator's message."""

    def quit(self) -> None:
        """Close the kiosk (invigilator's ``quit``)."""


class TaskRunner(Protocol):
    """Runs ``fn`` off the GUI thread, then ``on_done(result)`` or ``on_error(exc)`` on the GUI thread."""

    def run_in_background(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run ``fn`` in a worker; call back on the GUI thread with its result or its exception."""


# --- what the candidate reads (French first; the pages translate the codes) --------------------

MSG_WAIT_AUTHORISATION = "Veuillez patienter : le surveillant va autoriser le début du test."
MSG_WAIT_RESUME = "Le test a été interrompu. Veuillez patienter : le surveillant doit autoriser la reprise."
MSG_WAIT_ALERT = "Votre signalement a été transmis. Veuillez patienter : le surveillant l'examine."
MSG_UNREACHABLE = "Le serveur est injoignable. Vérifiez la connexion puis réessayez."
MSG_SIGN_IN_AGAIN = "Votre connexion a expiré : veuillez vous identifier à nouveau."
MSG_COURSE_ENDED = "Ce test est déjà terminé."

#: Server codes (409) meaning the course is over: the kiosk goes to the end screen.
END_CODES = frozenset({"time_limit_reached", "course_ended", "session_finalised", "duration_exceeded"})
#: Server codes (409) meaning the answer is already on the server: treated as a success.
ALREADY_DONE_CODES = frozenset({"already_answered", "not_pending", "live_alert_validated"})
