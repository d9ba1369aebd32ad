"""Background work for the GUI: run a function on a worker thread, call back on the GUI thread.

The :class:`~app.controller_model.TaskRunner` of the session controller and the heartbeat. Results
cross threads through a Qt signal (a queued connection to an object living on the GUI thread), so
callbacks always run on the GUI thread and never race the widgets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.qt_compat import emit

logger = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives on the GUI thread; ``deliver`` is emitted from workers and runs the callback there."""

    deliver = Signal(object, object)


class QtTaskRunner:
    """Runs tasks on a small thread pool; ``on_done`` / ``on_error`` run on the GUI thread.

    Parameters
    ----------
    workers
        Threads of the pool: the controller's serial lane uses one at a time, the heartbeat and the
        unlock checks another, so a long-poll never delays a heartbeat.
    """

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kiosk-task")
        self._relay = _Relay()
        self._relay.deliver.connect(self._call, Qt.ConnectionType.QueuedConnection)
        self._closed = False

    def run_in_background(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run ``fn`` on a worker; then ``on_done(result)`` or ``on_error(exc)`` on the GUI thread."""
        if self._closed:
            logger.info("task dropped: the kiosk is closing", extra={"event": "task_dropped"})
            return

        def work() -> None:
            try:
                result = fn()
            except Exception as exc:  # handed to on_error on the GUI thread, never lost
                emit(self._relay.deliver, on_error, exc)
            else:
                emit(self._relay.deliver, on_done, result)

        self._pool.submit(work)

    @staticmethod
    def _call(callback: Callable[[Any], None], value: Any) -> None:
        callback(value)

    def close(self, wait: bool = False) -> None:
        """Refuse new tasks; with ``wait``, wait for the running ones (their callbacks are dropped)."""
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)
