"""K2, K30, K33, K34: lockdown.windows imports on Linux; constructing a mechanism here says "Windows only".

The fallback logic is checked with tiny stand-in libraries passed to the constructors (``user32=``,
``kernel32=``); ``ctypes.windll`` itself is never faked.
"""

from __future__ import annotations

import importlib
import logging
import sys

import pytest

from lockdown.errors import LockdownError
from lockdown.os import (
    CaptureProtection,
    CaptureStatus,
    KeepAwake,
    MechanismError,
    RemoteSignals,
    UnsupportedPlatformError,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="checks the behaviour off Windows")


def test_the_windows_package_imports_on_linux():
    module = importlib.import_module("lockdown.windows.mechanisms")
    assert module.WDA_EXCLUDEFROMCAPTURE == 0x11
    assert module.SM_REMOTESESSION == 0x1000


@pytest.mark.parametrize("name", ["WindowsCaptureProtection", "WindowsKeepAwake", "WindowsRemoteSignals"])
def test_constructing_a_windows_mechanism_on_linux_is_a_clear_lockdown_error(name):
    from lockdown.windows import mechanisms

    with pytest.raises(UnsupportedPlatformError) as caught:
        getattr(mechanisms, name)()
    assert isinstance(caught.value, LockdownError)
    assert str(caught.value).startswith(f"{name} is Windows only")


class User32:
    """Stand-in user32: SetWindowDisplayAffinity succeeds for the affinities in ``accepts``."""

    def __init__(self, accepts: set[int], remote: int = 0):
        self.accepts = accepts
        self.remote = remote
        self.calls: list[tuple[str, int, int]] = []

    def SetWindowDisplayAffinity(self, hwnd: int, affinity: int) -> int:
        self.calls.append(("SetWindowDisplayAffinity", hwnd, affinity))
        return int(affinity in self.accepts)

    def GetSystemMetrics(self, index: int) -> int:
        self.calls.append(("GetSystemMetrics", index, 0))
        return self.remote


@pytest.mark.parametrize(
    ("accepts", "status", "affinities"),
    [
        ({0x11, 0x01}, CaptureStatus.EXCLUDED, [0x11]),
        ({0x01}, CaptureStatus.MONITOR, [0x11, 0x01]),  # before Windows 10 2004
        (set(), CaptureStatus.FAILED, [0x11, 0x01]),
    ],
)
def test_capture_protection_tries_exclude_then_monitor(caplog, accepts, status, affinities):
    from lockdown.windows.mechanisms import WindowsCaptureProtection

    user32 = User32(accepts)
    protection = WindowsCaptureProtection(user32=user32)
    assert isinstance(protection, CaptureProtection)
    with caplog.at_level(logging.INFO, logger="lockdown.windows.mechanisms"):
        assert protection.protect(0xBEEF) is status
    assert [call[2] for call in user32.calls] == affinities
    assert all(call[1] == 0xBEEF for call in user32.calls)
    if status is CaptureStatus.FAILED:
        assert caplog.records[-1].event == "capture_protection_failed"


class Kernel32:
    def __init__(self, result: int = 1):
        self.result = result
        self.calls: list[int] = []

    def SetThreadExecutionState(self, flags: int) -> int:
        self.calls.append(flags)
        return self.result


def test_keep_awake_sets_then_clears_the_execution_state():
    from lockdown.windows.mechanisms import WindowsKeepAwake

    kernel32 = Kernel32()
    keep_awake = WindowsKeepAwake(kernel32=kernel32)
    assert isinstance(keep_awake, KeepAwake)
    keep_awake.release()  # not acquired: nothing to clear
    keep_awake.acquire()
    keep_awake.release()
    keep_awake.release()
    assert kernel32.calls == [0x80000003, 0x80000000]


def test_keep_awake_refused_by_windows_is_a_mechanism_error():
    from lockdown.windows.mechanisms import WindowsKeepAwake

    with pytest.raises(MechanismError, match="SetThreadExecutionState"):
        WindowsKeepAwake(kernel32=Kernel32(result=0)).acquire()


@pytest.mark.parametrize(("metric", "remote"), [(0, False), (1, True)])
def test_remote_session_reads_sm_remotesession(metric, remote):
    from lockdown.windows.mechanisms import WindowsRemoteSignals

    user32 = User32(set(), remote=metric)
    signals = WindowsRemoteSignals(user32=user32)
    assert isinstance(signals, RemoteSignals)
    assert signals.remote_session() is remote
    assert user32.calls == [("GetSystemMetrics", 0x1000, 0)]


def test_windows_vm_inventory_is_not_there_yet():
    from lockdown.windows.mechanisms import WindowsRemoteSignals

    with pytest.raises(MechanismError):
        WindowsRemoteSignals(user32=User32(set())).vm_signals()
