"""The signed heartbeat loop (kiosk.md K45, K50, K51): liveness, events up, instructions down.

Every ``period`` seconds the kiosk sends its state, the journaled events not yet sent and the ids of
the instructions it carried out; the reply brings the next nonce and the instructions to apply
(``unlock``, ``force_lock``, ``notify``, ``quit``, ``authorise_resume``, ``end_test``). Each
instruction is handed to the controller once and acknowledged in the next heartbeat. The device
enrols first if it has no nonce yet. Qt-free: the composition root drives :meth:`Heartbeat.beat`
from a timer and gives a :class:`~app.controller_model.TaskRunner`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from app.controller_model import TaskRunner
from app.sync.client import Syncer, enrol
from app.sync.device import Device
from app.sync.errors import SyncError

logger = logging.getLogger(__name__)


class Heartbeat:
    """One heartbeat at a time, in the background; instructions applied on the GUI thread.

    Parameters
    ----------
    syncer, device
        The journal-backed sender and the install's key.
    runner
        Runs the request off the GUI thread.
    state
        Returns the state to report (called on the GUI thread at each beat).
    on_instruction
        Applies one instruction (``{"id", "kind", "payload"}``) on the GUI thread.
    signing_lock
        Held while a signed request is built and sent (the unlock check signs too: counters must not
        interleave).
    on_reply
        Optional: called with every reply (the unlock secret travels in it).
    """

    def __init__(
        self,
        syncer: Syncer,
        device: Device,
        runner: TaskRunner,
        *,
        state: Callable[[], dict[str, Any]],
        on_instruction: Callable[[dict[str, Any]], None],
        signing_lock: threading.Lock,
        on_reply: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.syncer, self.device, self.runner = syncer, device, runner
        self.state, self.on_instruction, self.on_reply = state, on_instruction, on_reply
        self.signing_lock = signing_lock
        self.in_flight = False
        self.connected: bool | None = None
        self._applied: set[int] = set()
        self._to_ack: set[int] = set()

    def beat(self) -> None:
        """Send one heartbeat unless one is still in flight."""
        if self.in_flight:
            return
        self.in_flight = True
        state, acks = self.state(), sorted(self._to_ack)

        def send() -> dict[str, Any]:
            with self.signing_lock:
                if self.device.nonce is None:
                    enrol(self.syncer.client, self.device)
                return self.syncer.heartbeat(self.device, state=state, acks=acks)

        self.runner.run_in_background(send, lambda reply: self._replied(reply, acks), self._failed)

    def _replied(self, reply: dict[str, Any], acked: list[int]) -> None:
        self.in_flight = False
        self.connected = True
        self._to_ack.difference_update(acked)
        if self.on_reply is not None:
            self.on_reply(reply)
        for instruction in reply.get("instructions") or []:
            ident = instruction.get("id")
            self._to_ack.add(ident)
            if ident in self._applied:
                continue  # sent again because our acknowledgement was lost: applied already
            self._applied.add(ident)
            logger.info(
                "instruction received", extra={"event": "instruction", "kind": instruction.get("kind"), "id": ident}
            )
            self.on_instruction(instruction)

    def _failed(self, exc: BaseException) -> None:
        self.in_flight = False
        self.connected = False
        if isinstance(exc, SyncError):
            logger.info("heartbeat failed", extra={"event": "heartbeat_failed", "kind": exc.kind.value})
        else:
            logger.error("heartbeat failed", exc_info=exc, extra={"event": "heartbeat_error"})
