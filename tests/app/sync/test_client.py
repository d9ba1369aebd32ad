from __future__ import annotations

import json
import random

import httpx
import pytest

from app.sync.client import KioskApiClient, RetryPolicy, SyncConfig, Syncer
from app.sync.errors import SyncError, SyncErrorKind
from app.sync.journal import ANSWER, FOCUS_OUT, CourseKey, Journal

BASE = "http://kiosk.test"
COURSE = CourseKey(1, 2)


class Script:
    """A scripted server: a list of responses (or exceptions) handed out in order, requests recorded."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if callable(step):
            step = step(request)
        if isinstance(step, Exception):
            raise step
        return step


def ok(body=None, status=200):
    return httpx.Response(status, json=body if body is not None else {})


def err(status, code, message="nope"):
    return httpx.Response(status, json={"error": code, "message": message})


def make_client(script, *, policy=None, delays=None, seed=1):
    http = httpx.Client(transport=httpx.MockTransport(script))
    config = SyncConfig(base_url=BASE, retry=policy or RetryPolicy(max_attempts=4, base_delay=1, max_delay=3))
    sink = delays if delays is not None else []
    return KioskApiClient(config, http, sleep=sink.append, rng=random.Random(seed)), http


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path, marker_key=b"key") as j:
        yield j


def test_join_keeps_the_token_for_later_calls():
    script = Script(ok({"token": "tok"}), ok({"finished": False}))
    client, http = make_client(script)
    with http:
        client.join(session_id=1, access_code="AB", last_name="L", first_name="F", birth_date="2000-01-01")
        assert client.current_challenge() == {"finished": False}
    assert "authorization" not in script.requests[0].headers
    assert script.requests[1].headers["authorization"] == "Bearer tok"
    assert json.loads(script.requests[0].content)["birth_date"] == "2000-01-01"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, SyncErrorKind.AUTH),
        (403, SyncErrorKind.AUTH),
        (409, SyncErrorKind.CONFLICT),
        (422, SyncErrorKind.INVALID),
        (404, SyncErrorKind.INVALID),
        (429, SyncErrorKind.RATE_LIMITED),
    ],
)
def test_client_errors_are_mapped_with_the_server_code_and_not_retried(status, kind):
    script = Script(err(status, "already_answered", "déjà"))
    delays: list[float] = []
    client, http = make_client(script, delays=delays)
    with http, pytest.raises(SyncError) as info:
        client.send_answer({"uuid": "u", "challenge_id": "c"})
    assert (info.value.kind, info.value.code, info.value.status, info.value.message) == (
        kind,
        "already_answered",
        status,
        "déjà",
    )
    assert len(script.requests) == 1 and delays == []


def test_503_then_200_is_retried_once_after_a_delay():
    script = Script(err(503, "unavailable"), ok({"answered": 1}))
    delays: list[float] = []
    client, http = make_client(script, delays=delays)
    with http:
        assert client.send_answer({"uuid": "u", "challenge_id": "c"}) == {"answered": 1}
    assert len(script.requests) == 2 and len(delays) == 1


def test_timeouts_and_refused_connections_are_network_errors_after_all_attempts():
    script = Script(
        httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.ConnectError("no")
    )
    delays: list[float] = []
    client, http = make_client(script, delays=delays)
    with http, pytest.raises(SyncError) as info:
        client.course_state()
    assert info.value.kind is SyncErrorKind.NETWORK and info.value.status is None
    assert len(script.requests) == 4 and len(delays) == 3


def test_persistent_5xx_ends_as_a_server_error():
    script = Script(*[err(500, "boom")] * 4)
    client, http = make_client(script)
    with http, pytest.raises(SyncError) as info:
        client.start()
    assert info.value.kind is SyncErrorKind.SERVER and info.value.code == "boom"


def test_backoff_grows_exponentially_up_to_the_cap_without_jitter():
    policy = RetryPolicy(max_attempts=6, base_delay=0.5, max_delay=3, jitter=0)
    script = Script(*[httpx.ConnectError("down")] * 6)
    delays: list[float] = []
    client, http = make_client(script, policy=policy, delays=delays)
    with http, pytest.raises(SyncError):
        client.course_state()
    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jittered_delays_stay_within_bounds():
    policy = RetryPolicy(max_attempts=8, base_delay=1, max_delay=10, jitter=0.5)
    rng = random.Random(42)
    for retry in range(1, 8):
        capped = min(10, 2 ** (retry - 1))
        samples = [policy.delay(retry, rng) for _ in range(200)]
        assert all(capped * 0.5 <= d <= capped for d in samples)
        assert max(samples) - min(samples) > capped * 0.3  # jitter really varies


def test_signed_requests_are_not_retried():
    script = Script(err(503, "busy"))
    client, http = make_client(script)
    with http, pytest.raises(SyncError) as info:
        client.heartbeat(b'{"counter":1}', "sig")
    assert info.value.kind is SyncErrorKind.SERVER and len(script.requests) == 1
    assert script.requests[0].headers["x-cadenas-signature"] == "sig"
    assert script.requests[0].content == b'{"counter":1}'


def test_long_poll_read_timeout_covers_the_wait():
    seen = {}

    def capture(request):
        seen["timeout"] = request.extensions["timeout"]
        seen["wait"] = request.url.params["wait"]
        return ok({"authorised": True, "course": None})

    client, http = make_client(Script(capture))
    with http:
        assert client.wait_for_authorisation(wait=20)["authorised"] is True
    assert seen["timeout"]["read"] == pytest.approx(30) and seen["wait"] == "20"


def test_flush_sends_pending_entries_in_order_and_marks_them(journal):
    answers = [journal.append(ANSWER, COURSE, {"challenge_id": f"c{i}", "value": "1"}) for i in range(3)]
    script = Script(*(lambda r: ok({"uuid": json.loads(r.content)["uuid"]}) for _ in range(3)))
    client, http = make_client(script)
    with http:
        report = Syncer(journal, client).flush()
    sent = [json.loads(r.content)["uuid"] for r in script.requests]
    assert sent == [a.client_uuid for a in answers]
    assert report.complete and len(report.sent) == 3 and journal.pending() == []
    assert journal.get(answers[0].client_uuid).server_reply == {"uuid": answers[0].client_uuid}


def test_flush_stops_at_a_network_failure_and_resumes_without_duplicates(journal):
    a, b, c = (journal.append(ANSWER, COURSE, {"challenge_id": n, "value": "1"}) for n in "abc")
    down = [httpx.ConnectError("down")] * 4
    script = Script(ok({"n": 1}), *down, ok({"n": 2}), ok({"n": 3}))
    client, http = make_client(script)
    with http:
        syncer = Syncer(journal, client)
        first = syncer.flush()
        assert first.error.kind is SyncErrorKind.NETWORK and first.remaining == 2
        assert [e.client_uuid for e in journal.pending()] == [b.client_uuid, c.client_uuid]
        second = syncer.flush()
    assert second.complete and [e.client_uuid for e in second.sent] == [b.client_uuid, c.client_uuid]
    uuids = [json.loads(r.content)["uuid"] for r in script.requests]
    assert uuids.count(a.client_uuid) == 1 and uuids.count(c.client_uuid) == 1
    assert script.steps == []


def test_flush_keeps_entries_pending_on_auth_failure(journal):
    journal.append(ANSWER, COURSE, {"challenge_id": "a", "value": "1"})
    client, http = make_client(Script(err(401, "token_expired")))
    with http:
        report = Syncer(journal, client).flush()
    assert report.error.kind is SyncErrorKind.AUTH and len(journal.pending()) == 1


def test_flush_records_a_final_refusal_and_goes_on(journal, caplog):
    a = journal.append(ANSWER, COURSE, {"challenge_id": "a", "value": "1"})
    b = journal.append(FOCUS_OUT, COURSE, {"challenge_id": "b", "at": "2026-11-23T09:00:00"})
    client, http = make_client(Script(err(409, "not_pending"), ok({"recorded": True, "challenge_id": "b"})))
    with http, caplog.at_level("WARNING"):
        report = Syncer(journal, client).flush()
    assert [e.client_uuid for e in report.rejected] == [a.client_uuid]
    assert journal.get(a.client_uuid).server_reply["refused"]["error"] == "not_pending"
    assert [e.client_uuid for e in report.sent] == [b.client_uuid] and report.complete


def test_replayed_answer_returning_the_first_receipt_counts_as_sent(journal):
    a = journal.append(ANSWER, COURSE, {"challenge_id": "a", "value": "1"})
    receipt = {"accepted": True, "uuid": a.client_uuid, "challenge_id": "a", "answered": 1, "next": "challenge"}
    # The first reply is lost (timeout after the server kept the answer), the retry gets the same receipt.
    client, http = make_client(Script(httpx.ReadTimeout("lost"), ok(receipt)))
    with http:
        report = Syncer(journal, client).flush()
    assert report.complete and journal.get(a.client_uuid).server_reply == receipt


def test_record_answer_journals_before_sending(journal):
    def check_journal_first(request):
        body = json.loads(request.content)
        assert journal.get(body["uuid"]) is not None  # already on disk when the request leaves
        return ok({"uuid": body["uuid"]})

    client, http = make_client(Script(check_journal_first))
    with http:
        entry, report = Syncer(journal, client).record_answer(COURSE, {"challenge_id": "a", "value": "2"})
    assert report.sent[0].client_uuid == entry.client_uuid
