"""K60, K61, K25, K32: lockdown.preflight (result shape, runner, pure checks and their thresholds)."""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace

import pytest

from lockdown.fake import fake_display
from lockdown.os import MechanismError
from lockdown.preflight import (
    JOURNAL_FAIL_BYTES,
    JOURNAL_WARN_BYTES,
    Check,
    CheckResult,
    CheckStatus,
    check_displays,
    check_environment,
    check_journal_space,
    check_remote_vm,
    check_server,
    check_version,
    forbidden_arguments,
    forbidden_variables,
    is_forbidden_variable,
    run_checks,
    worst_status,
)
from lockdown.vm import VmReport

MIB = 1024 * 1024
T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def ok(check_id: str = "x") -> CheckResult:
    return CheckResult(check_id, CheckStatus.OK, "bien", "fine")


# ------------------------------------------------------------------------------------------------ runner


def test_run_checks_returns_every_result_in_order():
    results = run_checks([Check("a", lambda: ok("a")), Check("b", lambda: ok("b"))])
    assert [result.id for result in results] == ["a", "b"]


def test_a_check_that_raises_is_a_warn_with_the_error_never_a_fail(caplog):
    def broken() -> CheckResult:
        raise MechanismError("QueryDisplayConfig failed")

    with caplog.at_level(logging.WARNING, logger="lockdown.preflight"):
        results = run_checks([Check("displays", broken), Check("b", lambda: ok("b"))])
    assert results[0].id == "displays"
    assert results[0].status is CheckStatus.WARN
    assert "MechanismError: QueryDisplayConfig failed" in results[0].detail
    assert results[0].message_fr and results[0].message_en
    assert results[1].status is CheckStatus.OK
    assert [record.event for record in caplog.records] == ["preflight_check_error"]


def test_a_check_returning_something_else_is_a_warn():
    [result] = run_checks([Check("odd", lambda: "ok")])  # type: ignore[arg-type, return-value]
    assert result.status is CheckStatus.WARN
    assert "str" in result.detail


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [((), "ok"), (("ok", "ok"), "ok"), (("ok", "warn"), "warn"), (("fail", "warn", "ok"), "fail")],
)
def test_worst_status(statuses, worst):
    results = [CheckResult("x", CheckStatus(status), "", "") for status in statuses]
    assert worst_status(results) == worst


def test_check_result_serialises_for_the_server():
    result = CheckResult("server", CheckStatus.FAIL, "fr", "en", "retry", "timeout")
    assert result.blocks_start
    assert result.to_dict() == {
        "id": "server",
        "status": "fail",
        "message_fr": "fr",
        "message_en": "en",
        "fix_hint": "retry",
        "detail": "timeout",
    }


# ------------------------------------------------------------------------------------------------ displays


@pytest.mark.parametrize(
    ("count", "allowed", "status"),
    [(1, 1, "ok"), (2, 1, "fail"), (3, 1, "fail"), (2, 2, "ok"), (3, 2, "fail"), (0, 1, "warn")],
)
def test_display_count_against_allowed_displays(count, allowed, status):
    result = check_displays([fake_display(i) for i in range(count)], allowed)
    assert result.status == status
    assert result.id == "displays"


def test_display_detail_lists_the_displays():
    result = check_displays([fake_display(0), fake_display(1)])
    assert result.detail == "DISPLAY1 1920x1080 primary; DISPLAY2 1920x1080"
    assert result.fix_hint == "disconnect_display"


# ------------------------------------------------------------------------------------------------ environment


@pytest.mark.parametrize(
    ("name", "forbidden"),
    [
        ("QTWEBENGINE_CHROMIUM_FLAGS", True),
        ("QTWEBENGINE_REMOTE_DEBUGGING", True),
        ("QT_PLUGIN_PATH", True),
        ("qt_qpa_platform_plugin_path", True),
        ("PYTHONPATH", True),
        ("PYTHONSTARTUP", True),
        ("QML2_IMPORT_PATH", True),
        ("QML_IMPORT_PATH", True),
        ("PATH", False),
        ("HOME", False),
        ("LANG", False),
        ("MY_QT_THING", False),
    ],
)
def test_forbidden_variable_rule(name, forbidden):
    assert is_forbidden_variable(name) is forbidden


def test_forbidden_variables_honours_dev_exceptions():
    environ = {"QTWEBENGINE_DISABLE_SANDBOX": "1", "PYTHONPATH": "/x", "PATH": "/bin"}
    assert forbidden_variables(environ) == ["PYTHONPATH", "QTWEBENGINE_DISABLE_SANDBOX"]
    assert forbidden_variables(environ, allowed=["qtwebengine_disable_sandbox"]) == ["PYTHONPATH"]


@pytest.mark.parametrize(
    ("argv", "found"),
    [
        (["kiosk", "--remote-debugging-port=9222"], ["--remote-debugging-port=9222"]),
        (["kiosk", "--REMOTE-DEBUGGING-PIPE"], ["--REMOTE-DEBUGGING-PIPE"]),
        (["kiosk", "-remote-debugging-port", "9222"], ["-remote-debugging-port"]),
        (["kiosk", "/remote-debugging-address=0.0.0.0"], ["/remote-debugging-address=0.0.0.0"]),
        (["kiosk", "--webEngineArgs", "--remote-debugging-port=1"], ["--remote-debugging-port=1"]),
        (["kiosk", "--server-url", "https://exam.example/remote-debugging"], []),
        (["--remote-debugging-port=1"], []),  # argv[0] is the program
        (["kiosk", "--language", "fr"], []),
    ],
)
def test_forbidden_arguments(argv, found):
    assert forbidden_arguments(argv) == found


@pytest.mark.parametrize(
    ("environ", "argv", "status"),
    [
        ({"PATH": "/bin"}, ["kiosk"], "ok"),
        ({"PATH": "/bin", "QT_PLUGIN_PATH": "/evil"}, ["kiosk"], "fail"),
        ({"PATH": "/bin"}, ["kiosk", "--remote-debugging-port=9222"], "fail"),
    ],
)
def test_environment_check(environ, argv, status):
    result = check_environment(environ, argv)
    assert result.status == status


def test_environment_check_names_variables_but_never_their_values():
    result = check_environment({"QT_PLUGIN_PATH": "/home/eve/secret"}, ["kiosk", "--remote-debugging-port=1"])
    assert result.detail == "variables: QT_PLUGIN_PATH; arguments: --remote-debugging-port=1"
    assert "secret" not in str(result.to_dict())
    assert result.fix_hint == "restart_kiosk"


# ------------------------------------------------------------------------------------------------ disk space


@pytest.mark.parametrize(
    ("free", "status"),
    [
        (0, "fail"),
        (JOURNAL_FAIL_BYTES - 1, "fail"),
        (JOURNAL_FAIL_BYTES, "warn"),
        (JOURNAL_WARN_BYTES - 1, "warn"),
        (JOURNAL_WARN_BYTES, "ok"),
        (10_000 * MIB, "ok"),
    ],
)
def test_journal_space_thresholds(tmp_path, free, status):
    result = check_journal_space(tmp_path, disk_usage=lambda _path: SimpleNamespace(free=free))
    assert result.status == status
    assert JOURNAL_FAIL_BYTES == 50 * MIB and JOURNAL_WARN_BYTES == 200 * MIB


def test_journal_space_measures_the_nearest_existing_folder(tmp_path):
    seen = []

    def usage(path):
        seen.append(path)
        return SimpleNamespace(free=10_000 * MIB)

    check_journal_space(tmp_path / "not" / "yet", disk_usage=usage)
    assert seen == [tmp_path]


def test_journal_space_on_the_real_disk_runs():
    result = run_checks([Check("journal_space", lambda: check_journal_space("/tmp"))])[0]
    assert result.id == "journal_space"


# ------------------------------------------------------------------------------------------------ server


class Clock:
    """Local clock advancing by ``step`` per reading."""

    def __init__(self, start: dt.datetime, step: dt.timedelta = dt.timedelta(seconds=0)):
        self.value = start
        self.step = step

    def __call__(self) -> dt.datetime:
        current = self.value
        self.value += self.step
        return current


@pytest.mark.parametrize(
    ("skew", "status"),
    [
        (dt.timedelta(0), "ok"),
        (dt.timedelta(seconds=119), "ok"),
        (dt.timedelta(seconds=-120), "ok"),
        (dt.timedelta(seconds=121), "warn"),
        (dt.timedelta(minutes=-10), "warn"),
    ],
)
def test_clock_skew_thresholds(skew, status):
    result = check_server(lambda: T0 + skew, now=Clock(T0))
    assert result.status == status
    assert result.id == "server"


def test_skew_is_measured_against_the_middle_of_the_request():
    # The request takes 6 minutes (local 9:00 to 9:06); the server answering 9:03 is in sync.
    result = check_server(lambda: T0 + dt.timedelta(minutes=3), now=Clock(T0, dt.timedelta(minutes=6)))
    assert result.status == "ok"
    assert "+0.0 s" in result.detail


def test_server_unreachable_after_a_retry_fails_with_retry():
    calls = []

    def unreachable() -> dt.datetime:
        calls.append(1)
        raise ConnectionError("refused")

    result = check_server(unreachable, now=Clock(T0))
    assert result.status == "fail"
    assert result.fix_hint == "retry"
    assert len(calls) == 2
    assert result.detail == "ConnectionError: refused | ConnectionError: refused"


def test_server_reachable_on_the_retry_is_ok():
    answers = iter([TimeoutError("slow"), T0])

    def flaky() -> dt.datetime:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert check_server(flaky, now=Clock(T0)).status == "ok"


# ------------------------------------------------------------------------------------------------ version


@pytest.mark.parametrize(
    ("current", "pinned", "status"),
    [
        ("1.4.2", None, "ok"),
        ("1.4.2", "1.4.2", "ok"),
        ("1.4.2", "1.4.3", "fail"),
        ("1.4.2", "1.10", "fail"),
        ("0.9", "1.0", "fail"),
        ("1.5.0", "1.4.2", "warn"),
        ("2.0", "1.9.9", "warn"),
        ("1.4.2rc1", "1.4.2", "warn"),
        ("1.4", "1.4.0", "ok"),
        ("v1.4.2", "1.4.2", "ok"),
        ("1.4.2+win", "1.4.2", "warn"),
    ],
)
def test_version_against_pinned(current, pinned, status):
    assert check_version(current, pinned).status == status


def test_an_unparsable_version_is_a_warn_through_the_runner(caplog):
    with caplog.at_level(logging.WARNING, logger="lockdown.preflight"):
        [result] = run_checks([Check("version", lambda: check_version("dev", "1.0"))])
    assert result.status == "warn"


# ------------------------------------------------------------------------------------------------ remote / VM


@pytest.mark.parametrize(
    ("remote", "score", "status"),
    [(False, 0.0, "ok"), (None, 0.3, "ok"), (True, 0.0, "warn"), (False, 0.5, "warn"), (None, 1.0, "warn")],
)
def test_remote_and_vm_are_only_ever_warnings(remote, score, status):
    result = check_remote_vm(remote, VmReport(score, ("reason",) if score else ()))
    assert result.status == status
    assert f"VM score {score}" in result.detail
