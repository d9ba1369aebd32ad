"""Windows mechanisms through ctypes (kiosk.md K30, K33, K34); importable on Linux, constructible on Windows only.

Implemented now:

* :class:`WindowsCaptureProtection` - ``SetWindowDisplayAffinity`` with ``WDA_EXCLUDEFROMCAPTURE`` (0x11), falling
  back to ``WDA_MONITOR`` (1) before Windows 10 2004 (K30);
* :class:`WindowsKeepAwake` - ``SetThreadExecutionState(ES_CONTINUOUS | ES_DISPLAY_REQUIRED | ES_SYSTEM_REQUIRED)``,
  cleared on release (K34);
* :class:`WindowsRemoteSignals` - ``GetSystemMetrics(SM_REMOTESESSION)`` (K33).

Left for the Windows lockdown issue: ``QueryDisplayConfig`` display provider (K32), the clipboard format listener
(K35), the process table with image path and Authenticode signer (K31), WTS session and power events (K34),
``WTSQuerySessionInformationW`` client protocol and the VM inventory (K33), hooks (K27-K29), integrity checks and
sticky keys (K36).

The DLLs are loaded in the constructors (``ctypes.WinDLL`` does not exist on Linux), so this module imports
anywhere and a constructor raises :class:`~lockdown.os.UnsupportedPlatformError` off Windows. The constructors
also accept a ready library object (``user32=`` / ``kernel32=``) for tests of the fallback logic.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any

from lockdown.os import CaptureStatus, MechanismError, UnsupportedPlatformError
from lockdown.vm import VmReport

__all__ = [
    "ES_CONTINUOUS",
    "ES_DISPLAY_REQUIRED",
    "ES_SYSTEM_REQUIRED",
    "SM_REMOTESESSION",
    "WDA_EXCLUDEFROMCAPTURE",
    "WDA_MONITOR",
    "WindowsCaptureProtection",
    "WindowsKeepAwake",
    "WindowsRemoteSignals",
]

logger = logging.getLogger(__name__)

WDA_MONITOR = 0x01
WDA_EXCLUDEFROMCAPTURE = 0x11
ES_SYSTEM_REQUIRED = 0x00000001
ES_DISPLAY_REQUIRED = 0x00000002
ES_CONTINUOUS = 0x80000000
SM_REMOTESESSION = 0x1000


def _load(dll: str, mechanism: str) -> Any:
    """``ctypes.WinDLL(dll, use_last_error=True)``, resolved only now.

    Raises
    ------
    UnsupportedPlatformError
        Off Windows.
    MechanismError
        If the DLL does not load.
    """
    if sys.platform != "win32":
        raise UnsupportedPlatformError(mechanism, "Windows")
    try:
        return ctypes.WinDLL(dll, use_last_error=True)  # type: ignore[attr-defined]  # Windows only
    except OSError as exc:
        raise MechanismError(f"{mechanism}: cannot load {dll}") from exc


def _prototype(function: Any, argtypes: list[Any], restype: Any) -> None:
    function.argtypes = argtypes
    function.restype = restype


def _last_error() -> int:
    # ctypes.get_last_error exists on Windows only; an injected test library has none to report.
    getter = getattr(ctypes, "get_last_error", None)
    return int(getter()) if getter is not None else 0


class WindowsCaptureProtection:
    """:class:`~lockdown.os.CaptureProtection` through ``SetWindowDisplayAffinity`` (K30).

    Parameters
    ----------
    user32 : object, optional
        A loaded ``user32`` (tests); by default ``user32.dll`` is loaded here.

    Raises
    ------
    UnsupportedPlatformError
        When built off Windows without ``user32``.
    MechanismError
        If ``user32.dll`` does not load.
    """

    def __init__(self, *, user32: Any = None):
        if user32 is None:
            user32 = _load("user32", type(self).__name__)
            _prototype(user32.SetWindowDisplayAffinity, [ctypes.c_void_p, ctypes.c_uint32], ctypes.c_int)
        self._user32 = user32

    def protect(self, window_handle: int) -> CaptureStatus:
        """Exclude the window from capture, else show it black in captures; failures are logged, never raised."""
        if self._user32.SetWindowDisplayAffinity(window_handle, WDA_EXCLUDEFROMCAPTURE):
            return CaptureStatus.EXCLUDED
        first_error = _last_error()  # ERROR_INVALID_PARAMETER before Windows 10 2004
        if self._user32.SetWindowDisplayAffinity(window_handle, WDA_MONITOR):
            logger.info(
                "capture protection fell back to WDA_MONITOR",
                extra={"event": "capture_protection_fallback", "window": window_handle, "error": first_error},
            )
            return CaptureStatus.MONITOR
        logger.warning(
            "capture protection failed",
            extra={
                "event": "capture_protection_failed",
                "window": window_handle,
                "error": first_error,
                "fallback_error": _last_error(),
            },
        )
        return CaptureStatus.FAILED


class WindowsKeepAwake:
    """:class:`~lockdown.os.KeepAwake` through ``SetThreadExecutionState`` (K34).

    The execution state belongs to the calling thread: call :meth:`acquire` and :meth:`release` from the same
    long-lived thread (the GUI thread). Windows drops the request when the thread or the process ends.

    Parameters
    ----------
    kernel32 : object, optional
        A loaded ``kernel32`` (tests); by default ``kernel32.dll`` is loaded here.

    Raises
    ------
    UnsupportedPlatformError
        When built off Windows without ``kernel32``.
    MechanismError
        If ``kernel32.dll`` does not load.
    """

    #: The flags held while acquired.
    FLAGS = ES_CONTINUOUS | ES_DISPLAY_REQUIRED | ES_SYSTEM_REQUIRED

    def __init__(self, *, kernel32: Any = None):
        if kernel32 is None:
            kernel32 = _load("kernel32", type(self).__name__)
            _prototype(kernel32.SetThreadExecutionState, [ctypes.c_uint32], ctypes.c_uint32)
        self._kernel32 = kernel32
        self._active = False

    def acquire(self) -> None:
        """Keep the system and the display on. Raises :class:`~lockdown.os.MechanismError` if Windows refuses."""
        self._set(self.FLAGS)
        self._active = True

    def release(self) -> None:
        """Clear the request (``ES_CONTINUOUS`` alone); harmless when not acquired. Raises as :meth:`acquire`."""
        if self._active:
            self._set(ES_CONTINUOUS)
            self._active = False

    def _set(self, flags: int) -> None:
        if not self._kernel32.SetThreadExecutionState(flags):  # 0 (NULL) means failure
            raise MechanismError(f"SetThreadExecutionState({flags:#x}) failed (error {_last_error()})")


class WindowsRemoteSignals:
    """:class:`~lockdown.os.RemoteSignals`: remote session from ``GetSystemMetrics(SM_REMOTESESSION)`` (K33).

    Parameters
    ----------
    user32 : object, optional
        A loaded ``user32`` (tests); by default ``user32.dll`` is loaded here.

    Raises
    ------
    UnsupportedPlatformError
        When built off Windows without ``user32``.
    MechanismError
        If ``user32.dll`` does not load.
    """

    def __init__(self, *, user32: Any = None):
        if user32 is None:
            user32 = _load("user32", type(self).__name__)
            _prototype(user32.GetSystemMetrics, [ctypes.c_int], ctypes.c_int)
        self._user32 = user32

    def remote_session(self) -> bool | None:
        """True when this session runs over Remote Desktop. Raises nothing."""
        return bool(self._user32.GetSystemMetrics(SM_REMOTESESSION))

    def vm_signals(self) -> VmReport:
        """Not implemented yet (the Windows inventory is the later lockdown issue).

        Raises
        ------
        MechanismError
            Always, so pre-flight reports "could not check" (K61) rather than a made-up score.
        """
        raise MechanismError("the Windows VM inventory is not implemented yet")
