"""Reversible lockdown (kiosk.md K40) and the crash-safe backups of what it changes (K41).

:class:`Operation` (``perform`` / ``repeat`` / ``revert``) is one lockdown step; :class:`OperationStack` runs
steps as a transaction (the first failure reverts the completed steps in reverse order). :class:`KeepAwakeOperation`
and :class:`ClipboardGuardOperation` run a :mod:`lockdown.os` mechanism as a step.

Backups: :func:`write_backup` (atomic: temp file, fsync, rename, written *before* the change), :func:`read_backup`,
:func:`remove_backup` and :func:`restore_leftovers` (run at the next start after a crash).

Errors, all under :class:`lockdown.errors.LockdownError`::

    MechanismError (lockdown.os)
    └── BackupError             a K41 backup could not be written, read or removed
    OperationError              a lockdown step failed to perform / repeat / revert; names the step
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from lockdown.errors import LockdownError
from lockdown.os import ClipboardGuard, ClipboardPolicy, KeepAwake, MechanismError

__all__ = [
    "BackupError",
    "ClipboardGuardOperation",
    "KeepAwakeOperation",
    "Operation",
    "OperationError",
    "OperationStack",
    "read_backup",
    "remove_backup",
    "restore_leftovers",
    "write_backup",
]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------------- errors


class BackupError(MechanismError):
    """A K41 backup file could not be written, read or removed.

    Parameters
    ----------
    path : str
        The backup file.
    action : str
        ``"write"``, ``"read"``, ``"remove"`` or ``"list"``.
    """

    def __init__(self, path: str, action: str):
        self.path = path
        self.action = action
        super().__init__(f"cannot {action} lockdown backup {path}")


class OperationError(LockdownError):
    """A lockdown step (K40) failed; the step's own exception is the ``__cause__``.

    Parameters
    ----------
    operation : str
        The name of the step that failed (its ``name`` attribute, else its class name).
    phase : str
        ``"perform"``, ``"repeat"`` or ``"revert"``.
    revert_failures : sequence of (str, BaseException)
        Steps whose revert failed while the stack was rolling back; their backups are kept for the next start.
    """

    def __init__(self, operation: str, phase: str, *, revert_failures: Sequence[tuple[str, BaseException]] = ()):
        self.operation = operation
        self.phase = phase
        self.revert_failures = tuple(revert_failures)
        message = f"lockdown step {operation!r} failed to {phase}"
        if self.revert_failures:
            names = ", ".join(name for name, _ in self.revert_failures)
            message += f"; could not revert: {names}"
        super().__init__(message)


# ------------------------------------------------------------------------------------------------ operations


@runtime_checkable
class Operation(Protocol):
    """One reversible lockdown step (K40): sticky keys, execution state, a registry value, a listener.

    A step that changes persistent state writes the original value with :func:`write_backup` **before** the
    change, and removes the backup (:func:`remove_backup`) only after a successful revert (K41). An optional
    ``name`` attribute names it in logs and errors (the class name otherwise).
    """

    def perform(self) -> None:
        """Apply the change.

        Raises
        ------
        LockdownError
            Usually :class:`MechanismError`, when the change cannot be made. A step that fails half-way undoes its
            own partial change: the stack reverts only the steps that completed.
        """
        ...

    def repeat(self) -> None:
        """Apply the change again after a reconfiguration (or when the OS dropped it).

        Raises
        ------
        LockdownError
            As :meth:`perform`.
        """
        ...

    def revert(self) -> None:
        """Restore the original state, then remove the backup. Harmless when not performed.

        Raises
        ------
        LockdownError
            When the original state cannot be restored; the backup then stays for :func:`restore_leftovers`.
        """
        ...


def _name(operation: Operation) -> str:
    return str(getattr(operation, "name", type(operation).__name__))


class OperationStack:
    """Lockdown steps run as a transaction (K40), like :class:`contextlib.ExitStack`.

    ``with OperationStack() as stack: stack.perform_all(steps)`` performs the steps in order; the first failure
    reverts the completed ones in reverse order and raises :class:`OperationError`; leaving the block reverts
    everything, in reverse order. :meth:`reconfigure` calls ``repeat`` on every performed step.
    """

    def __init__(self) -> None:
        self._performed: list[Operation] = []

    def __enter__(self) -> OperationStack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.revert()

    def __len__(self) -> int:
        return len(self._performed)

    @property
    def performed(self) -> tuple[Operation, ...]:
        """The steps performed so far, in order."""
        return tuple(self._performed)

    def perform(self, operation: Operation) -> None:
        """Perform one step and keep it for :meth:`revert`.

        Raises
        ------
        OperationError
            If ``operation.perform()`` raises: the completed steps have been reverted (reverse order) and the
            stack is empty. :attr:`OperationError.revert_failures` lists the reverts that failed too.
        """
        try:
            operation.perform()
        except Exception as exc:
            name = _name(operation)
            logger.exception("lockdown step failed", extra={"event": "lockdown_perform_failed", "operation": name})
            failures = self._revert_all()
            raise OperationError(name, "perform", revert_failures=failures) from exc
        self._performed.append(operation)
        logger.info("lockdown step performed", extra={"event": "lockdown_performed", "operation": _name(operation)})

    def perform_all(self, operations: Iterable[Operation]) -> None:
        """:meth:`perform` each step in order; stops (after the rollback) at the first failure."""
        for operation in operations:
            self.perform(operation)

    def reconfigure(self) -> None:
        """Call ``repeat`` on every performed step, in order.

        Raises
        ------
        OperationError
            At the first failing ``repeat``. Nothing is reverted: the caller decides (lock screen, then
            :meth:`revert`), as a half-applied lockdown is still safer than none during an exam.
        """
        for operation in self._performed:
            try:
                operation.repeat()
            except Exception as exc:
                name = _name(operation)
                logger.exception("lockdown step failed", extra={"event": "lockdown_repeat_failed", "operation": name})
                raise OperationError(name, "repeat") from exc

    def revert(self) -> None:
        """Revert every performed step in reverse order, carrying on past failures; the stack is then empty.

        Raises
        ------
        OperationError
            If any revert failed (after all were tried); it names the first and lists all in ``revert_failures``.
        """
        failures = self._revert_all()
        if failures:
            raise OperationError(failures[0][0], "revert", revert_failures=failures) from failures[0][1]

    def _revert_all(self) -> list[tuple[str, BaseException]]:
        failures: list[tuple[str, BaseException]] = []
        while self._performed:
            operation = self._performed.pop()
            name = _name(operation)
            try:
                operation.revert()
            except Exception as exc:
                logger.exception("lockdown revert failed", extra={"event": "lockdown_revert_failed", "operation": name})
                failures.append((name, exc))
            else:
                logger.info("lockdown step reverted", extra={"event": "lockdown_reverted", "operation": name})
        return failures


class KeepAwakeOperation:
    """:class:`KeepAwake` as an :class:`Operation` (K34, K40). No backup: the OS drops the request at process exit."""

    name = "keep_awake"

    def __init__(self, keep_awake: KeepAwake):
        self._keep_awake = keep_awake

    def perform(self) -> None:
        """Acquire. Raises :class:`MechanismError` as :meth:`KeepAwake.acquire`."""
        self._keep_awake.acquire()

    def repeat(self) -> None:
        """Acquire again. Raises :class:`MechanismError` as :meth:`KeepAwake.acquire`."""
        self._keep_awake.acquire()

    def revert(self) -> None:
        """Release. Raises :class:`MechanismError` as :meth:`KeepAwake.release`."""
        self._keep_awake.release()


class ClipboardGuardOperation:
    """:class:`ClipboardGuard` as an :class:`Operation` (K35, K40); ``repeat`` applies the current policy."""

    name = "clipboard_guard"

    def __init__(self, guard: ClipboardGuard, policy: ClipboardPolicy):
        self._guard = guard
        self.policy = policy

    def perform(self) -> None:
        """Start the guard. Raises :class:`MechanismError` as :meth:`ClipboardGuard.start`."""
        self._guard.start(self.policy)

    def repeat(self) -> None:
        """Start again with :attr:`policy` (set it before :meth:`OperationStack.reconfigure`)."""
        self._guard.start(self.policy)

    def revert(self) -> None:
        """Stop the guard. Raises nothing."""
        self._guard.stop()


# ------------------------------------------------------------------------------------------------ backups


def _temporary(path: Path) -> Path:
    # Dot-prefixed, so restore_leftovers never mistakes an unfinished write for a backup.
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _fsync_directory(directory: Path) -> None:
    if sys.platform == "win32":  # no directory handles to fsync; MoveFileEx is what os.replace gives us
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_backup(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a K41 backup atomically: a temporary file in the same folder, fsync, rename, fsync of the folder.

    Call it **before** changing the system: a crash then leaves either no backup (nothing was changed) or a
    complete one. The folder is created when missing.

    Raises
    ------
    BackupError
        If the backup cannot be written (the ``OSError`` is chained); the caller must not make the change.
    """
    target = Path(path)
    temporary = _temporary(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        _fsync_directory(target.parent)
    except OSError as exc:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            logger.exception("cannot remove a temporary backup", extra={"event": "lockdown_backup_cleanup_failed"})
        raise BackupError(str(target), "write") from exc


def read_backup(path: str | os.PathLike[str]) -> bytes:
    """The content of a backup written by :func:`write_backup`.

    Raises
    ------
    BackupError
        If it cannot be read (missing included).
    """
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BackupError(str(path), "read") from exc


def remove_backup(path: str | os.PathLike[str]) -> None:
    """Delete a backup after a successful restore (K41); a missing file is fine.

    Raises
    ------
    BackupError
        If it exists and cannot be removed.
    """
    try:
        Path(path).unlink(missing_ok=True)
    except OSError as exc:
        raise BackupError(str(path), "remove") from exc


def restore_leftovers(directory: str | os.PathLike[str], restore_fn: Callable[[str, bytes], None]) -> list[str]:
    """Restore the backups a crashed session left in ``directory`` (K41: at the next start, or ``kiosk --reset``).

    Each backup file (any regular file not starting with ``.``) is passed to ``restore_fn(name, data)`` in name
    order and removed once that returns. A backup whose restore raises is logged and kept for the next attempt;
    the others still run. Unfinished temporary files are deleted: their change never happened.

    Returns
    -------
    list of str
        The names of the backups restored (to report to the server). Empty when the folder does not exist.

    Raises
    ------
    BackupError
        If the folder exists but cannot be listed.
    """
    folder = Path(directory)
    if not folder.is_dir():
        return []
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise BackupError(str(folder), "list") from exc
    restored: list[str] = []
    for entry in entries:
        if entry.name.startswith("."):
            _discard_temporary(entry)
        elif entry.is_file() and _restore_one(entry, restore_fn):
            restored.append(entry.name)
    return restored


def _discard_temporary(entry: Path) -> None:
    try:
        entry.unlink(missing_ok=True)
    except OSError:
        logger.exception("cannot remove a temporary backup", extra={"event": "lockdown_backup_cleanup_failed"})


def _restore_one(entry: Path, restore_fn: Callable[[str, bytes], None]) -> bool:
    try:
        restore_fn(entry.name, read_backup(entry))
    except Exception:
        logger.exception(
            "leftover backup not restored", extra={"event": "lockdown_restore_failed", "backup": entry.name}
        )
        return False
    logger.warning("leftover backup restored", extra={"event": "lockdown_backup_restored", "backup": entry.name})
    try:
        remove_backup(entry)
    except BackupError:
        logger.exception("restored backup not removed", extra={"event": "lockdown_backup_cleanup_failed"})
    return True
