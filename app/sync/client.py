"""The kiosk's HTTP client for the candidate and kiosk APIs, and the journal's syncer (kiosk.md K50-K52).

:class:`KioskApiClient` receives its ``httpx.Client`` and a :class:`SyncConfig` value object;
it maps every failure to a :class:`~app.sync.errors.SyncError` and retries the transient ones
(timeouts, refused connections, 5xx) with capped exponential backoff and jitter. Requests that
are safe to repeat (reads, answers and focus losses idempotent on their UUID, enrolment) are
retried; signed requests are not (their counter would be stale on a second try): the next
heartbeat comes soon anyway.

:class:`Syncer` sends the journal's pending entries in order. Nothing here touches Qt; the
kiosk runs it on a worker thread.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from app.sync.device import Device
from app.sync.errors import SyncError, SyncErrorKind
from app.sync.journal import ANSWER, EVENT, FOCUS_OUT, CourseKey, Entry, Journal

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Cadenas-Signature"
API = "/api/v1"


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter.

    The delay before retry ``n`` (1-based) is ``min(max_delay, base_delay * 2 ** (n - 1))``,
    reduced by a random fraction of at most ``jitter`` (0: no jitter, 1: anywhere down to 0).
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.max_delay < 0 or not 0 <= self.jitter <= 1:
            raise ValueError(f"invalid retry policy {self}")

    def delay(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        capped = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return capped * (1 - self.jitter * rng.random())


@dataclasses.dataclass(frozen=True)
class SyncConfig:
    """Where the server is and how patient to be with it."""

    base_url: str
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    retry: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)

    def timeout(self, extra_read: float = 0.0) -> httpx.Timeout:
        """The httpx timeout, with ``extra_read`` seconds more to read a long-poll's answer."""
        read = self.read_timeout + extra_read
        return httpx.Timeout(
            connect=self.connect_timeout, read=read, write=self.read_timeout, pool=self.connect_timeout
        )


def _error_from_response(response: httpx.Response) -> SyncError:
    code, message = None, f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = body.get("error") if isinstance(body.get("error"), str) else None
        message = str(body.get("message") or body.get("detail") or message)
    status = response.status_code
    if status in (401, 403):
        kind = SyncErrorKind.AUTH
    elif status == 409:
        kind = SyncErrorKind.CONFLICT
    elif status == 429:
        kind = SyncErrorKind.RATE_LIMITED
    elif status >= 500:
        kind = SyncErrorKind.SERVER
    else:
        kind = SyncErrorKind.INVALID
    return SyncError(kind, message, code=code, status=status)


class KioskApiClient:
    """The candidate API (join ... course state) and the kiosk API (enrol, heartbeat, unlock).

    Parameters
    ----------
    config
        Base URL, timeouts, retry policy.
    http
        The ``httpx.Client`` to send with (tests give one on an ``httpx.MockTransport``); the
        caller owns it and closes it.
    sleep
        Called with the backoff delay between attempts.
    rng
        Source of the jitter.
    """

    def __init__(
        self,
        config: SyncConfig,
        http: httpx.Client,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self._http = http
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.token: str | None = None

    # --- plumbing ----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retry: bool = True,
        extra_read: float = 0.0,
        raw: bool = False,
    ) -> Any:
        """Send one request (retrying transient failures when ``retry``) and return its JSON body (bytes if ``raw``).

        Raises
        ------
        SyncError
            Every failure, mapped to its kind; the last one once the attempts are spent.
        """
        url = self.config.base_url.rstrip("/") + path
        all_headers = dict(headers or {})
        if self.token is not None:
            all_headers["Authorization"] = f"Bearer {self.token}"
        attempts = self.config.retry.max_attempts if retry else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._send_once(method, url, json, content, params, all_headers, extra_read, raw)
            except SyncError as exc:
                if not exc.kind.retryable or attempt == attempts:
                    raise
                delay = self.config.retry.delay(attempt, self._rng)
                logger.info(
                    "request failed, retrying",
                    extra={"event": "sync_retry", "path": path, "attempt": attempt, "kind": exc.kind.value},
                )
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_once(
        self,
        method: str,
        url: str,
        json: Any,
        content: bytes | None,
        params: dict[str, Any] | None,
        headers: dict[str, str],
        extra_read: float,
        raw: bool = False,
    ) -> Any:
        try:
            response = self._http.request(
                method,
                url,
                json=json,
                content=content,
                params=params,
                headers=headers,
                timeout=self.config.timeout(extra_read),
            )
        except httpx.TimeoutException as exc:
            raise SyncError(SyncErrorKind.NETWORK, f"timed out: {exc}") from exc
        except httpx.TransportError as exc:  # connect errors, dropped connections, protocol errors
            raise SyncError(SyncErrorKind.NETWORK, f"cannot reach the server: {exc}") from exc
        if response.status_code >= 400:
            raise _error_from_response(response)
        if raw:
            return response.content
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise SyncError(
                SyncErrorKind.SERVER, "the server's reply is not JSON", status=response.status_code
            ) from exc

    def health(self) -> dict[str, Any]:
        """The server's health and clock (pre-flight, K60); one attempt, no token needed."""
        return self.request("GET", f"{API}/health", retry=False)

    # --- candidate API -----------------------------------------------------------------------

    def join(
        self,
        *,
        session_id: int,
        access_code: str,
        last_name: str,
        first_name: str,
        birth_date: dt.date | str,
        install_id: str | None = None,
    ) -> dict[str, Any]:
        """Sign the candidate in; keeps the bearer token for the next candidate calls."""
        body = {
            "session_id": session_id,
            "access_code": access_code,
            "last_name": last_name,
            "first_name": first_name,
            "birth_date": birth_date if isinstance(birth_date, str) else birth_date.isoformat(),
            "install_id": install_id,
        }
        self.token = None
        reply = self.request("POST", f"{API}/sessions/join", json=body)
        self.token = reply["token"]
        return reply

    def wait_for_authorisation(self, wait: float = 25) -> dict[str, Any]:
        """Long-poll until the invigilator authorises a start or resume (or ``wait`` runs out)."""
        return self.request("GET", f"{API}/candidate/authorisation", params={"wait": wait}, extra_read=wait)

    def start(self) -> dict[str, Any]:
        """Start or resume the course (consumes the authorisation)."""
        return self.request("POST", f"{API}/candidate/course/start")

    def current_challenge(self) -> dict[str, Any]:
        """The pending question, or ``finished``."""
        return self.request("GET", f"{API}/candidate/challenge")

    def send_answer(self, answer: dict[str, Any]) -> dict[str, Any]:
        """Send an answer (``uuid``, ``challenge_id``, ``value``/``skip``); a replayed UUID gets the first receipt."""
        return self.request("POST", f"{API}/candidate/answers", json=answer)

    def skip(self, *, uuid: str, challenge_id: str) -> dict[str, Any]:
        """Skip the pending question (it never comes back)."""
        return self.send_answer({"uuid": uuid, "challenge_id": challenge_id, "skip": True})

    def focus_out(self, *, uuid: str, challenge_id: str, at: dt.datetime | str) -> dict[str, Any]:
        """Report that the candidate left a focused question."""
        stamp = at if isinstance(at, str) else at.isoformat()
        return self.request(
            "POST", f"{API}/candidate/focus-out", json={"uuid": uuid, "challenge_id": challenge_id, "at": stamp}
        )

    def report_problem(self, challenge_id: str | None = None) -> dict[str, Any]:
        """Report a problem on the pending question (a live alert); not retried (not idempotent)."""
        return self.request("POST", f"{API}/candidate/live-alerts", json={"challenge_id": challenge_id}, retry=False)

    def wait_for_alert_decision(self, wait: float = 25) -> dict[str, Any]:
        """Long-poll for the invigilator's decision on the latest report."""
        return self.request("GET", f"{API}/candidate/live-alerts/current", params={"wait": wait}, extra_read=wait)

    def download(self, path: str) -> bytes:
        """The raw body of ``GET path`` (an attachment of the pending question), with the candidate token.

        Raises
        ------
        SyncError
            As :meth:`request`.
        """
        return self.request("GET", path, raw=True)

    def course_state(self) -> dict[str, Any]:
        """The course's state for the end screen."""
        return self.request("GET", f"{API}/candidate/course")

    # --- kiosk API ---------------------------------------------------------------------------

    def enrol(self, *, install_id: str, public_key: str, name: str = "") -> dict[str, Any]:
        """Enrol the install's public key (again: get the current nonce and counter)."""
        return self.request(
            "POST", f"{API}/kiosk/devices", json={"install_id": install_id, "public_key": public_key, "name": name}
        )

    def _signed(self, path: str, body: bytes, signature: str) -> dict[str, Any]:
        headers = {SIGNATURE_HEADER: signature, "Content-Type": "application/json"}
        return self.request("POST", path, content=body, headers=headers, retry=False)

    def heartbeat(self, body: bytes, signature: str) -> dict[str, Any]:
        """Send a signed heartbeat body (see ``Device.heartbeat_body``); returns the nonce and instructions."""
        return self._signed(f"{API}/kiosk/heartbeat", body, signature)

    def unlock(self, body: bytes, signature: str) -> dict[str, Any]:
        """Send a signed one-time unlock code (see ``Device.signed_body``)."""
        return self._signed(f"{API}/kiosk/unlock", body, signature)


@dataclasses.dataclass
class FlushReport:
    """What one :meth:`Syncer.flush` did."""

    sent: list[Entry] = dataclasses.field(default_factory=list)
    rejected: list[Entry] = dataclasses.field(default_factory=list)
    remaining: int = 0
    error: SyncError | None = None

    @property
    def complete(self) -> bool:
        """True when nothing is left pending."""
        return self.remaining == 0


#: Kinds of errors that refuse an entry for good: sending it again will get the same answer.
_FINAL_KINDS = (SyncErrorKind.CONFLICT, SyncErrorKind.INVALID)


class Syncer:
    """Send the journal's pending answers and focus losses, in order, exactly once each.

    Events (kind ``event``) travel with heartbeats (K51), not here. An entry is marked sent when
    the server accepts it, or when it refuses it for good (409/4xx: the refusal is kept as the
    entry's reply, and the kiosk asks the server what is pending next). A network failure, a 5xx
    or an authentication failure stops the flush and keeps that entry and the later ones pending.
    """

    def __init__(self, journal: Journal, client: KioskApiClient) -> None:
        self.journal = journal
        self.client = client

    def _send(self, entry: Entry) -> dict[str, Any]:
        if entry.kind == ANSWER:
            return self.client.send_answer({**entry.payload, "uuid": entry.client_uuid})
        if entry.kind == FOCUS_OUT:
            return self.client.focus_out(
                uuid=entry.client_uuid, challenge_id=entry.payload["challenge_id"], at=entry.payload["at"]
            )
        raise SyncError(SyncErrorKind.JOURNAL, f"the syncer cannot send a {entry.kind!r} entry")

    def flush(self, course: CourseKey | None = None) -> FlushReport:
        """Send every pending answer and focus loss (of ``course``, if given) in journal order."""
        report = FlushReport()
        pending = self.journal.pending(course=course, kinds=(ANSWER, FOCUS_OUT))
        for index, entry in enumerate(pending):
            try:
                reply = self._send(entry)
            except SyncError as exc:
                if exc.kind in _FINAL_KINDS:
                    refusal = {"error": exc.code, "message": exc.message, "status": exc.status}
                    report.rejected.append(self.journal.mark_sent(entry.client_uuid, {"refused": refusal}))
                    logger.warning(
                        "journal entry refused by the server",
                        extra={"event": "sync_refused", "seq": entry.seq, "kind": entry.kind, "code": exc.code},
                    )
                    continue
                report.error = exc
                report.remaining = len(pending) - index
                logger.info("flush stopped", extra={"event": "sync_stopped", "seq": entry.seq, "kind": exc.kind.value})
                return report
            report.sent.append(self.journal.mark_sent(entry.client_uuid, reply))
        return report

    def record_answer(self, course: CourseKey, answer: dict[str, Any]) -> tuple[Entry, FlushReport]:
        """Journal an answer (without ``uuid``: the entry's UUID is used), then flush."""
        entry = self.journal.append(ANSWER, course, answer)
        return entry, self.flush(course)

    def record_focus_out(self, course: CourseKey, challenge_id: str, at: dt.datetime) -> tuple[Entry, FlushReport]:
        """Journal a focus loss, then flush."""
        entry = self.journal.append(FOCUS_OUT, course, {"challenge_id": challenge_id, "at": at.isoformat()})
        return entry, self.flush(course)

    def pending_events(self, limit: int = 200) -> list[Entry]:
        """The unsent ``event`` entries to carry in the next heartbeat (K51), oldest first."""
        return self.journal.pending(kinds=(EVENT,))[:limit]

    def heartbeat(
        self, device: Device, *, state: dict[str, Any] | None = None, acks: list[int] | None = None
    ) -> dict[str, Any]:
        """Send a signed heartbeat carrying the pending events; returns the server's reply (nonce, instructions).

        On ``stale_nonce``/``stale_counter`` (a reply lost on the network) the device enrols again
        to learn the server's nonce and counter, and the heartbeat is sent once more. The events
        it carried are marked sent only when the server accepted it.

        Raises
        ------
        SyncError
            As :meth:`KioskApiClient.heartbeat`.
        """
        events = self.pending_events()
        wire = [
            {"id": e.client_uuid, "kind": e.payload["kind"], "at": e.payload["at"], "data": e.payload.get("data", {})}
            for e in events
        ]
        full_state = {**(state or {}), "journal_head": self.journal.head()}
        for attempt in (1, 2):
            body, signature = device.heartbeat_body(state=full_state, events=wire, acks=acks)
            try:
                reply = self.client.heartbeat(body, signature)
                break
            except SyncError as exc:
                if attempt == 2 or exc.code not in ("stale_nonce", "stale_counter"):
                    raise
                logger.info("heartbeat out of step, enrolling again", extra={"event": "heartbeat_resync"})
                enrolled = self.client.enrol(install_id=device.install_id, public_key=device.public_key)
                device.adopt_server_state(counter=enrolled["counter"], nonce=enrolled["nonce"])
        device.remember_nonce(reply["nonce"])
        for entry in events:
            self.journal.mark_sent(entry.client_uuid, {"heartbeat": True})
        return reply

    def record_event(
        self, course: CourseKey, kind: str, data: dict[str, Any] | None = None, *, at: dt.datetime | None = None
    ) -> Entry:
        """Journal a kiosk event (focus lost, URL blocked, lock ...) for the next heartbeat."""
        when = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return self.journal.append(EVENT, course, {"kind": kind, "at": when.isoformat(), "data": data or {}})


def enrol(client: KioskApiClient, device: Device, name: str = "") -> dict[str, Any]:
    """Enrol ``device`` with the server and adopt the nonce and counter it returns."""
    reply = client.enrol(install_id=device.install_id, public_key=device.public_key, name=name)
    device.adopt_server_state(counter=reply["counter"], nonce=reply["nonce"])
    return reply
