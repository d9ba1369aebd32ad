"""K40, K41: lockdown.operations (operation stack, mechanism steps, backups)."""

from __future__ import annotations

import logging

import pytest

from lockdown.fake import FakeClipboardGuard, FakeKeepAwake, FakeOperation
from lockdown.operations import (
    BackupError,
    ClipboardGuardOperation,
    KeepAwakeOperation,
    Operation,
    OperationError,
    OperationStack,
    read_backup,
    remove_backup,
    restore_leftovers,
    write_backup,
)
from lockdown.os import ClipboardPolicy, MechanismError

# ------------------------------------------------------------------------------------------------ K40 stack


def steps(log: list[str], *names: str, fail: dict[str, frozenset[str]] | None = None) -> list[FakeOperation]:
    fail = fail or {}
    return [FakeOperation(name, log, fail.get(name, frozenset())) for name in names]


def test_fake_operation_is_an_operation():
    assert isinstance(FakeOperation("x"), Operation)


def test_steps_perform_in_order_and_revert_in_reverse_order():
    log: list[str] = []
    with OperationStack() as stack:
        stack.perform_all(steps(log, "a", "b", "c"))
        assert len(stack) == 3
    assert log == ["a.perform", "b.perform", "c.perform", "c.revert", "b.revert", "a.revert"]
    assert len(stack) == 0


def test_a_failing_step_reverts_the_completed_ones_in_reverse_order(caplog):
    log: list[str] = []
    stack = OperationStack()
    with caplog.at_level(logging.ERROR, logger="lockdown.operations"), pytest.raises(OperationError) as caught:
        stack.perform_all(steps(log, "a", "b", "c", "d", fail={"c": frozenset({"perform"})}))
    assert log == ["a.perform", "b.perform", "c.perform", "b.revert", "a.revert"]
    assert (caught.value.operation, caught.value.phase, caught.value.revert_failures) == ("c", "perform", ())
    assert isinstance(caught.value.__cause__, MechanismError)
    assert len(stack) == 0
    assert "lockdown_perform_failed" in [record.event for record in caplog.records]


def test_a_failing_revert_during_rollback_is_reported_and_the_rollback_goes_on(caplog):
    log: list[str] = []
    stack = OperationStack()
    plan = steps(log, "a", "b", "c", fail={"b": frozenset({"revert"}), "c": frozenset({"perform"})})
    with caplog.at_level(logging.ERROR, logger="lockdown.operations"), pytest.raises(OperationError) as caught:
        stack.perform_all(plan)
    assert log == ["a.perform", "b.perform", "c.perform", "b.revert", "a.revert"]
    assert [name for name, _ in caught.value.revert_failures] == ["b"]
    assert "could not revert: b" in str(caught.value)


def test_revert_tries_every_step_and_raises_once_at_the_end(caplog):
    log: list[str] = []
    stack = OperationStack()
    stack.perform_all(steps(log, "a", "b", "c", fail={"c": frozenset({"revert"}), "a": frozenset({"revert"})}))
    with caplog.at_level(logging.ERROR, logger="lockdown.operations"), pytest.raises(OperationError) as caught:
        stack.revert()
    assert log[3:] == ["c.revert", "b.revert", "a.revert"]
    assert caught.value.phase == "revert"
    assert caught.value.operation == "c"
    assert [name for name, _ in caught.value.revert_failures] == ["c", "a"]
    assert len(stack) == 0


def test_reconfigure_repeats_every_step_in_order():
    log: list[str] = []
    stack = OperationStack()
    stack.perform_all(steps(log, "a", "b"))
    stack.reconfigure()
    assert log[2:] == ["a.repeat", "b.repeat"]


def test_a_failing_repeat_raises_without_reverting(caplog):
    log: list[str] = []
    stack = OperationStack()
    stack.perform_all(steps(log, "a", "b", "c", fail={"b": frozenset({"repeat"})}))
    with caplog.at_level(logging.ERROR, logger="lockdown.operations"), pytest.raises(OperationError) as caught:
        stack.reconfigure()
    assert (caught.value.operation, caught.value.phase) == ("b", "repeat")
    assert log[3:] == ["a.repeat", "b.repeat"]
    assert len(stack) == 3


def test_leaving_the_block_on_an_exception_reverts_and_keeps_the_exception():
    log: list[str] = []
    with pytest.raises(KeyError), OperationStack() as stack:
        stack.perform_all(steps(log, "a", "b"))
        raise KeyError("exam crashed")
    assert log[2:] == ["b.revert", "a.revert"]


def test_operation_name_defaults_to_the_class_name(caplog):
    class Broken:
        def perform(self) -> None:
            raise MechanismError("no")

        def repeat(self) -> None: ...

        def revert(self) -> None: ...

    with caplog.at_level(logging.ERROR, logger="lockdown.operations"), pytest.raises(OperationError) as caught:
        OperationStack().perform(Broken())
    assert caught.value.operation == "Broken"


def test_keep_awake_operation_acquires_and_releases():
    keep_awake = FakeKeepAwake()
    with OperationStack() as stack:
        stack.perform(KeepAwakeOperation(keep_awake))
        assert keep_awake.active
        stack.reconfigure()
    assert keep_awake.calls == ["acquire", "acquire", "release"]
    assert not keep_awake.active


def test_clipboard_operation_repeat_applies_the_new_policy():
    guard = FakeClipboardGuard()
    operation = ClipboardGuardOperation(guard, ClipboardPolicy.ISOLATED)
    with OperationStack() as stack:
        stack.perform(operation)
        operation.policy = ClipboardPolicy.BLOCK
        stack.reconfigure()
        assert guard.policy is ClipboardPolicy.BLOCK
    assert guard.calls == [("start", "Isolated"), ("start", "Block"), ("stop", None)]


# ------------------------------------------------------------------------------------------------ K41 backups


def test_write_backup_is_complete_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "backups" / "sticky_keys"
    write_backup(target, b"flags=510")
    write_backup(target, b"flags=511")  # replaced atomically
    assert read_backup(target) == b"flags=511"
    assert sorted(path.name for path in target.parent.iterdir()) == ["sticky_keys"]


def test_write_backup_failure_is_a_backup_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(BackupError) as caught:
        write_backup(blocker / "sub" / "backup", b"x")  # a file where a folder should be
    assert caught.value.action == "write"
    assert isinstance(caught.value.__cause__, OSError)


def test_read_and_remove_backup(tmp_path):
    with pytest.raises(BackupError):
        read_backup(tmp_path / "missing")
    remove_backup(tmp_path / "missing")  # missing is fine
    write_backup(tmp_path / "b", b"1")
    remove_backup(tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_restore_leftovers_restores_in_name_order_and_removes_the_backups(tmp_path, caplog):
    write_backup(tmp_path / "b_registry", b"2")
    write_backup(tmp_path / "a_sticky_keys", b"1")
    (tmp_path / ".c_cursor.123.tmp").write_bytes(b"partial")  # a crash during write: never changed
    restored: list[tuple[str, bytes]] = []
    with caplog.at_level(logging.WARNING, logger="lockdown.operations"):
        names = restore_leftovers(tmp_path, lambda name, data: restored.append((name, data)))
    assert names == ["a_sticky_keys", "b_registry"]
    assert restored == [("a_sticky_keys", b"1"), ("b_registry", b"2")]
    assert list(tmp_path.iterdir()) == []
    assert [record.event for record in caplog.records] == ["lockdown_backup_restored"] * 2


def test_a_backup_that_fails_to_restore_is_kept_and_the_others_go_on(tmp_path, caplog):
    write_backup(tmp_path / "a", b"1")
    write_backup(tmp_path / "b", b"2")

    def restore(name: str, _data: bytes) -> None:
        if name == "a":
            raise OSError("registry locked")

    with caplog.at_level(logging.WARNING, logger="lockdown.operations"):
        names = restore_leftovers(tmp_path, restore)
    assert names == ["b"]
    assert [path.name for path in tmp_path.iterdir()] == ["a"]
    assert "lockdown_restore_failed" in [record.event for record in caplog.records]


def test_restore_leftovers_without_a_folder_is_empty(tmp_path):
    assert restore_leftovers(tmp_path / "none", lambda *_: None) == []
