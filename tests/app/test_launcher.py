"""The launcher: scrubbed environment, platform plugin, restart after a crash, not after a clean end."""

from __future__ import annotations

import sys

import pytest

from app.launcher import MAX_RESTARTS, run, ui_command, ui_platform


class FakeProcess:
    def __init__(self, status: int) -> None:
        self.status = status

    def wait(self) -> int:
        return self.status


class Spawner:
    """Records each start and plays the given exit statuses in turn."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def __call__(self, command, env):
        self.calls.append((command, env))
        return FakeProcess(self.statuses.pop(0))


ENVIRON = {
    "PATH": "/usr/bin",
    "DISPLAY": ":5",
    "QTWEBENGINE_REMOTE_DEBUGGING": "9222",
    "QTWEBENGINE_CHROMIUM_FLAGS": "--disable-web-security",
    "QT_PLUGIN_PATH": "/tmp/evil",
    "PYTHONPATH": "/tmp/evil",
}


def test_the_ui_gets_a_scrubbed_environment_and_the_platform_as_an_option():
    spawn = Spawner(0)
    assert run(["--server-url", "https://x.example"], ENVIRON, spawn=spawn) == 0
    command, env = spawn.calls[0]
    assert env == {"PATH": "/usr/bin", "DISPLAY": ":5"}
    assert command[:3] == [sys.executable, "-m", "app"]
    assert command[3:] == ["--platform", "xcb", "--server-url", "https://x.example"]


@pytest.mark.parametrize("status", [0, 3])
def test_a_clean_end_or_a_configuration_error_is_not_restarted(status):
    spawn = Spawner(status, 0)
    assert run([], ENVIRON, spawn=spawn) == status
    assert len(spawn.calls) == 1


def test_a_crashed_ui_is_started_again_until_it_ends_cleanly():
    spawn = Spawner(-9, 134, 75, 0)
    assert run([], ENVIRON, spawn=spawn, clock=iter(range(100)).__next__) == 0
    assert len(spawn.calls) == 4


def test_a_ui_that_keeps_crashing_is_given_up():
    spawn = Spawner(*([-11] * (MAX_RESTARTS + 5)))
    assert run([], ENVIRON, spawn=spawn, clock=lambda: 0.0) == -11
    assert len(spawn.calls) == MAX_RESTARTS + 1


def test_platform_plugin():
    assert ui_platform({"DISPLAY": ":0"}, "linux") == "xcb"
    assert ui_platform({}, "linux") is None
    assert ui_platform({"DISPLAY": ":0"}, "win32") is None
    command = ui_command(["--platform", "offscreen"], {"DISPLAY": ":1"}, platform="linux")
    assert command[3:] == ["--platform", "offscreen"]
