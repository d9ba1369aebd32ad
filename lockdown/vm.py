"""The versioned VM heuristics of kiosk.md K33: hardware facts in, a score and its reasons out (pure).

An implementation of :class:`lockdown.os.RemoteSignals` reads a :class:`VmInventory` from the machine (DMI
strings, the CPU hypervisor flag); :func:`score_vm` turns it into a :class:`VmReport`, a signal reported at
pre-flight and in every heartbeat, never a verdict. :data:`VM_HEURISTICS_VERSION` is bumped whenever the scoring
changes, so the server knows which heuristics produced a score. Standard library only, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VM_HEURISTICS_VERSION", "VmInventory", "VmReport", "score_vm"]

#: Bumped whenever :func:`score_vm` changes, so the server knows which heuristics produced a score (K33).
VM_HEURISTICS_VERSION = "1"

# Substrings (case-folded) of DMI fields set by hypervisors. Vendor alone is not used for Microsoft: Surface
# laptops say "Microsoft Corporation" too; Hyper-V is recognised by its product name "Virtual Machine".
_VM_VENDORS = ("qemu", "vmware", "innotek", "virtualbox", "xen", "bochs", "parallels", "amazon ec2", "google")
_VM_PRODUCTS = ("virtualbox", "vmware", "kvm", "qemu", "virtual machine", "standard pc (", "hvm domu", "bochs")
_VM_WEIGHTS = {"sys_vendor": 0.5, "product_name": 0.5, "board_vendor": 0.3}
# The CPU hypervisor flag alone is weak: a Windows host with VBS/Hyper-V enabled, or WSL, sets it too.
_HYPERVISOR_FLAG_WEIGHT = 0.3


@dataclass(frozen=True, slots=True)
class VmInventory:
    """Hardware facts the VM heuristics look at (captured from a real machine in the tests).

    Attributes
    ----------
    sys_vendor, product_name, board_vendor : str
        SMBIOS/DMI strings (Linux ``/sys/class/dmi/id/*``; the registry BIOS key on Windows); empty when unknown.
    hypervisor_flag : bool or None
        The CPUID hypervisor bit (``hypervisor`` in ``/proc/cpuinfo`` flags), None when unknown.
    """

    sys_vendor: str = ""
    product_name: str = ""
    board_vendor: str = ""
    hypervisor_flag: bool | None = None


@dataclass(frozen=True, slots=True)
class VmReport:
    """K33 VM signal: a score in [0, 1], the reasons behind it, and the heuristics version. Never a verdict."""

    score: float
    reasons: tuple[str, ...] = ()
    version: str = VM_HEURISTICS_VERSION


def score_vm(inventory: VmInventory) -> VmReport:
    """Score ``inventory`` with the versioned K33 heuristics (pure): each matching signal adds its weight.

    DMI vendor or product naming a hypervisor weighs 0.5 (board vendor 0.3), the CPU hypervisor flag 0.3; the sum
    is capped at 1.0. A bare-metal machine scores 0.0 with no reasons.
    """
    score = 0.0
    reasons: list[str] = []
    fields = (
        ("sys_vendor", inventory.sys_vendor, _VM_VENDORS),
        ("product_name", inventory.product_name, _VM_PRODUCTS),
        ("board_vendor", inventory.board_vendor, _VM_VENDORS),
    )
    for field_name, value, needles in fields:
        folded = value.casefold()
        hit = next((needle for needle in needles if needle in folded), None)
        if hit is not None:
            score += _VM_WEIGHTS[field_name]
            reasons.append(f"{field_name} {value.strip()!r} names a hypervisor ({hit})")
    if inventory.hypervisor_flag:
        score += _HYPERVISOR_FLAG_WEIGHT
        reasons.append("CPU reports a hypervisor")
    return VmReport(round(min(score, 1.0), 2), tuple(reasons))
