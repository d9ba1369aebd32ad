"""K33, K38: lockdown.x11.mechanisms on captured /proc and /sys inventories (tmp folders) and on this machine."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from lockdown.os import (
    CaptureProtection,
    CaptureStatus,
    KeepAwake,
    MechanismError,
    ProcessInfo,
    ProcessTable,
    RemoteSignals,
)
from lockdown.x11.mechanisms import LinuxProcessTable, LinuxRemoteSignals, NoKeepAwake, UnsupportedCaptureProtection

CPU_FLAGS = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2"
CPUINFO_VM = f"processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: {CPU_FLAGS} hypervisor\n\n"
CPUINFO_METAL = f"processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: {CPU_FLAGS}\n\n"
CPUINFO_ARM = "processor\t: 0\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n\n"

# (sys_vendor, product_name, board_vendor, cpuinfo) as captured on real machines; None = file absent.
INVENTORIES = {
    "lenovo-thinkpad": ("LENOVO", "20XW0055FR", "LENOVO", CPUINFO_METAL),
    "surface-vbs-on": ("Microsoft Corporation", "Surface Laptop 4", "Microsoft Corporation", CPUINFO_VM),
    "hyper-v": ("Microsoft Corporation", "Virtual Machine", "Microsoft Corporation", CPUINFO_VM),
    "qemu-kvm": ("QEMU", "Standard PC (Q35 + ICH9, 2009)", None, CPUINFO_VM),
    "virtualbox": ("innotek GmbH", "VirtualBox", "Oracle Corporation", CPUINFO_VM),
    "vmware": ("VMware, Inc.", "VMware Virtual Platform", "Intel Corporation", CPUINFO_VM),
    "raspberry-pi": (None, None, None, CPUINFO_ARM),
}


def capture(root: Path, name: str) -> Path:
    sys_vendor, product_name, board_vendor, cpuinfo = INVENTORIES[name]
    dmi = root / "sys" / "class" / "dmi" / "id"
    dmi.mkdir(parents=True)
    for field, value in (("sys_vendor", sys_vendor), ("product_name", product_name), ("board_vendor", board_vendor)):
        if value is not None:
            (dmi / field).write_text(value + "\n")
    (root / "proc").mkdir()
    (root / "proc" / "cpuinfo").write_text(cpuinfo)
    return root


@pytest.mark.parametrize(
    ("name", "score", "hypervisor_flag"),
    [
        ("lenovo-thinkpad", 0.0, False),
        ("surface-vbs-on", 0.3, True),
        ("hyper-v", 0.8, True),
        ("qemu-kvm", 1.0, True),
        ("virtualbox", 1.0, True),
        ("vmware", 1.0, True),
        ("raspberry-pi", 0.0, None),
    ],
)
def test_vm_signals_on_captured_inventories(tmp_path, name, score, hypervisor_flag):
    signals = LinuxRemoteSignals(capture(tmp_path, name), environ={})
    assert signals.inventory().hypervisor_flag is hypervisor_flag
    report = signals.vm_signals()
    assert report.score == score
    assert bool(report.reasons) is (score > 0)


def test_vm_signals_without_any_inventory_raise(tmp_path):
    with pytest.raises(MechanismError):
        LinuxRemoteSignals(tmp_path, environ={}).vm_signals()


def test_vm_signals_on_this_machine_run():
    report = LinuxRemoteSignals().vm_signals()
    assert 0.0 <= report.score <= 1.0


@pytest.mark.parametrize(
    ("environ", "remote"),
    [
        ({}, None),
        ({"DISPLAY": ":0"}, None),
        ({"DISPLAY": ":99.0", "WAYLAND_DISPLAY": "wayland-0"}, None),
        ({"DISPLAY": "unix:0"}, None),
        ({"SSH_CONNECTION": "10.0.0.2 51234 10.0.0.1 22"}, True),
        ({"SSH_CLIENT": "10.0.0.2 51234 22"}, True),
        ({"XRDP_SESSION": "1"}, True),
        ({"DISPLAY": "localhost:10.0"}, True),
        ({"DISPLAY": "10.0.0.2:0"}, True),
        ({"SSH_CONNECTION": ""}, None),
    ],
)
def test_remote_session_from_the_environment(environ, remote):
    assert LinuxRemoteSignals(environ=environ).remote_session() is remote


def fake_proc(root: Path, pid: int, comm: str | None, exe: str | None) -> None:
    folder = root / str(pid)
    folder.mkdir(parents=True)
    if comm is not None:
        (folder / "comm").write_text(comm + "\n")
    if exe is not None:
        os.symlink(exe, folder / "exe")


def test_process_table_reads_a_captured_proc(tmp_path):
    fake_proc(tmp_path, 1, "systemd", "/usr/lib/systemd/systemd")
    fake_proc(tmp_path, 2, "kthreadd", None)  # kernel thread: no exe link
    fake_proc(tmp_path, 1234, "AnyDesk", "/opt/anydesk/anydesk")
    fake_proc(tmp_path, 99, None, "/bin/gone")  # exited between listing and reading
    (tmp_path / "self").mkdir()  # not a pid
    (tmp_path / "cpuinfo").write_text("")
    assert LinuxProcessTable(tmp_path).processes() == [
        ProcessInfo(1, "/usr/lib/systemd/systemd", "systemd", None),
        ProcessInfo(2, None, "kthreadd", None),
        ProcessInfo(1234, "/opt/anydesk/anydesk", "AnyDesk", None),
    ]


def test_process_table_lists_this_process_with_its_executable():
    table = {process.pid: process for process in LinuxProcessTable().processes()}
    me = table[os.getpid()]
    assert me.path is not None and os.path.samefile(me.path, sys.executable)
    assert me.signer is None


def test_process_table_without_proc_raises(tmp_path):
    with pytest.raises(MechanismError):
        LinuxProcessTable(tmp_path / "missing").processes()


def test_no_op_mechanisms_satisfy_their_protocols_and_say_unsupported():
    capture_protection, keep_awake = UnsupportedCaptureProtection(), NoKeepAwake()
    assert isinstance(capture_protection, CaptureProtection)
    assert isinstance(keep_awake, KeepAwake)
    assert isinstance(LinuxProcessTable(), ProcessTable)
    assert isinstance(LinuxRemoteSignals(), RemoteSignals)
    assert capture_protection.protect(0x1234) is CaptureStatus.UNSUPPORTED
    keep_awake.acquire()
    keep_awake.release()
