"""The launcher role (kiosk.md K1, K23, K24): scrub the environment, start the UI, restart it after a crash.

Qt-free. The UI process gets an allow-listed environment (:func:`app.config.scrubbed_environment`);
the Qt platform plugin, which its ``QT_QPA_PLATFORM`` variable would have chosen, is passed as the
``--platform`` option instead. A UI that dies (crash, kill) is started again, in the lock state the
journal's resume marker leads to (K47): "a ``ui`` crash must not end the exam session". A UI that
exits normally (0) or on an invalid configuration (3) is not restarted.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence

from app.config import scrubbed_environment

logger = logging.getLogger(__name__)

#: UI exit statuses that end the kiosk (see app.main): done, invalid configuration.
FINAL_STATUSES = frozenset({0, 3})
#: At most this many restarts within :data:`RESTART_WINDOW` seconds, then the launcher gives up.
MAX_RESTARTS = 5
RESTART_WINDOW = 600.0


def ui_platform(environ: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """The Qt platform plugin for the UI: ``xcb`` on Linux with a display; None (Qt's default) elsewhere."""
    if platform.startswith("linux") and environ.get("DISPLAY"):
        return "xcb"
    return None


def ui_command(argv: Sequence[str], environ: Mapping[str, str], *, platform: str = sys.platform) -> list[str]:
    """The UI process's command line: ``python -m app`` with the platform plugin and ``argv``."""
    command = [sys.executable, "-m", "app"]
    if "--platform" not in argv:
        plugin = ui_platform(environ, platform)
        if plugin is not None:
            command += ["--platform", plugin]
    return [*command, *argv]


def run(
    argv: Sequence[str],
    environ: Mapping[str, str] | None = None,
    *,
    spawn: Callable[..., subprocess.Popen] = subprocess.Popen,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Run the UI until it ends for good; returns its last exit status."""
    source = os.environ if environ is None else environ
    env = scrubbed_environment(source)
    removed = sorted(set(source) - set(env))
    if removed:
        logger.info("environment scrubbed", extra={"event": "env_scrubbed", "removed": removed})
    command = ui_command(argv, source)
    restarts: list[float] = []
    while True:
        process = spawn(command, env=env)
        status = process.wait()
        if status in FINAL_STATUSES:
            return status
        now = clock()
        restarts = [t for t in restarts if now - t < RESTART_WINDOW] + [now]
        logger.error("kiosk UI ended unexpectedly", extra={"event": "ui_crashed", "status": status})
        if len(restarts) > MAX_RESTARTS:
            logger.error("kiosk UI keeps failing: giving up", extra={"event": "ui_gave_up", "restarts": len(restarts)})
            return status
