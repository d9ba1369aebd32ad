"""K33: lockdown.vm (the versioned VM heuristics, on inventories captured from real machines)."""

from __future__ import annotations

import pytest

from lockdown.vm import VmInventory, score_vm

# ------------------------------------------------------------------------------------------------ K33 VM


@pytest.mark.parametrize(
    ("inventory", "score", "reason_count"),
    [
        pytest.param(VmInventory("Dell Inc.", "OptiPlex 7090", "Dell Inc.", False), 0.0, 0, id="bare-metal-dell"),
        pytest.param(
            VmInventory("Microsoft Corporation", "Surface Laptop 4", "Microsoft Corporation", True),
            0.3,
            1,
            id="surface-with-vbs",
        ),
        pytest.param(
            VmInventory("Microsoft Corporation", "Virtual Machine", "Microsoft Corporation", True), 0.8, 2, id="hyper-v"
        ),
        pytest.param(VmInventory("QEMU", "Standard PC (Q35 + ICH9, 2009)", "", True), 1.0, 3, id="qemu-kvm"),
        pytest.param(VmInventory("innotek GmbH", "VirtualBox", "Oracle Corporation", True), 1.0, 3, id="virtualbox"),
        pytest.param(VmInventory("VMware, Inc.", "VMware7,1", "Intel Corporation", None), 1.0, 2, id="vmware"),
        pytest.param(VmInventory(), 0.0, 0, id="unknown"),
    ],
)
def test_vm_score_on_captured_inventories(inventory, score, reason_count):
    report = score_vm(inventory)
    assert report.score == score
    assert len(report.reasons) == reason_count
    assert report.version == "1"
