"""What a user of the guest sees: ``/sys/devices/system/cpu`` and ``dmesg``.

sysfs (``drivers/base/cpu.c``): the masks in ``%*pbl`` range-list format
(``lib/bitmap-str.c``: ascending, ranges of two or more as ``a-b``, commas,
a newline, an empty mask as an empty line); ``offline`` is possible minus
online; ``kernel_max`` is ``NR_CPUS - 1``; ``cpuN/online`` reads ``0``/``1``
and takes what ``kstrtobool`` takes. The kernel log (``printk``) has Linux's
wording and ``[seconds.micros]`` stamps from the simulated clock.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.guest.helpers import CPU_SYSFS, cpu_masks, log_lines
from vcpu_hotplug.guest import Errno, GuestConfig, GuestKnobs, SysfsError
from vcpu_hotplug.guest.cpumask import format_range_list, parse_range_list
from vcpu_hotplug.guest.klog import KernelLog, LogLevel, LogRecord
from vcpu_hotplug.guest.config import NR_CPUS
from vcpu_hotplug.hw.clock import NS_PER_S
from vcpu_hotplug.system import System


@pytest.mark.parametrize("cpus, text", [
    ((), ""), ((0,), "0"), ((0, 1), "0-1"), ((0, 1, 2, 3, 5), "0-3,5"), ((1, 3, 5), "1,3,5"),
    ((0, 2, 3, 4, 7, 8, 511), "0,2-4,7-8,511"),
])
def test_range_list_format(cpus: tuple[int, ...], text: str) -> None:
    assert format_range_list(cpus) == text
    assert parse_range_list(text) == set(cpus)


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(0, NR_CPUS - 1)))
def test_range_list_round_trips_and_is_minimal(cpus: set[int]) -> None:
    text = format_range_list(cpus)
    assert parse_range_list(text) == cpus
    # Minimal: no two parts could merge (each part starts more than one past the previous end).
    ends = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        ends.append((int(lo), int(hi or lo)))
        assert int(lo) < int(hi or lo) or not hi
    assert all(b[0] > a[1] + 1 for a, b in zip(ends, ends[1:]))


def test_the_mask_files_after_hot_adds_and_a_user_offline() -> None:
    system = System.build("cpus=2,maxcpus=8")
    for vcpu in (3, 5, 6):
        system.enable(vcpu)
    assert cpu_masks(system) == {"possible": "0-7", "present": "0-7", "enabled": "0-1,3,5-6",
                                 "online": "0-1,3,5-6", "offline": "2,4,7"}
    system.sysfs.write(f"{CPU_SYSFS}/cpu5/online", "0")
    assert cpu_masks(system) == {"possible": "0-7", "present": "0-7", "enabled": "0-1,3,5-6",
                                 "online": "0-1,3,6", "offline": "2,4-5,7"}
    assert system.sysfs.read(f"{CPU_SYSFS}/cpu5/online") == "0\n"
    assert system.sysfs.read(f"{CPU_SYSFS}/cpu6/online") == "1\n"
    assert system.sysfs.read(f"{CPU_SYSFS}/kernel_max") == f"{NR_CPUS - 1}\n"
    assert [d for d in system.sysfs.listdir() if d.startswith("cpu")] == ["cpu0", "cpu1", "cpu3", "cpu5",
                                                                           "cpu6"]


def test_an_empty_mask_is_an_empty_line() -> None:
    system = System.build("cpus=1,maxcpus=1")
    assert system.sysfs.read(f"{CPU_SYSFS}/offline") == "\n"


@pytest.mark.parametrize("written, online", [
    ("1", True), ("1\n", True), ("y", True), ("Yes", True), ("on", True), ("true", True), ("10", True),
    ("enable", True),
    ("0", False), ("0\n", False), ("n", False), ("off", False), ("false", False), ("disable", False),
])
def test_cpu_online_takes_what_kstrtobool_takes(written: str, online: bool) -> None:
    system = System.build("cpus=2,maxcpus=4", guest=GuestConfig(knobs=GuestKnobs(auto_online=False)))
    system.enable(2)
    system.sysfs.write(f"{CPU_SYSFS}/cpu2/online", "0" if online else "1")
    system.sysfs.write(f"{CPU_SYSFS}/cpu2/online", written)
    assert system.sysfs.read(f"{CPU_SYSFS}/cpu2/online") == ("1\n" if online else "0\n")


@pytest.mark.parametrize("written", ["", "o", "2", "maybe", " 1", "-1"])
def test_cpu_online_rejects_what_kstrtobool_rejects(written: str) -> None:
    system = System.build("cpus=2,maxcpus=4")
    with pytest.raises(SysfsError) as e:
        system.sysfs.write(f"{CPU_SYSFS}/cpu1/online", written)
    assert e.value.errno is Errno.EINVAL


@pytest.mark.parametrize("time_ns, stamp", [
    (0, "[    0.000000]"), (1_234_567_890, "[    1.234567]"), (999, "[    0.000000]"),
    (12_345 * NS_PER_S + 1_000, "[12345.000001]"),
])
def test_dmesg_stamp_format(time_ns: int, stamp: str) -> None:
    assert LogRecord(time_ns, LogLevel.INFO, "x").format() == f"{stamp} x"


def test_log_records_carry_the_simulated_time() -> None:
    now = [0]
    klog = KernelLog(lambda: now[0])
    klog.info("first")
    now[0] = 2 * NS_PER_S + 500_000
    klog.warn("second")
    assert klog.dmesg() == "[    0.000000] first\n[    2.000500] second"
    assert klog.dmesg(LogLevel.WARNING) == "[    2.000500] second"


def test_hot_add_and_remove_log_linux_wording_at_their_simulated_times() -> None:
    system = System.build("cpus=2,maxcpus=6", guest=GuestConfig(dyndbg=True))  # with the pr_debug lines
    latency = system.kernel.config.latency
    mpidr = system.machine.vcpus[4].mpidr
    t0 = system.clock.now_ns()
    system.enable(4)
    records = {r.text: r for r in system.kernel.klog.records if r.time_ns >= t0}
    work = t0 + latency.irq_thread_ns + latency.hotplug_work_ns
    added = records["ACPI: CPU4 has been hot-added"]
    assert added.time_ns == work
    assert added.format().startswith(LogRecord(work, LogLevel.INFO, "").format())
    assert records["ACPI: \\_SB_.C004: ACPI_NOTIFY_DEVICE_CHECK event"].level is LogLevel.DEBUG
    booted = records[f"CPU4: Booted secondary processor 0x{mpidr:010x} [0x{system.kernel.config.midr:08x}]"]
    assert booted.time_ns == work + latency.udev_ns + system.machine.config.cpu_on_delay_ns
    assert "Detected PIPT I-cache on CPU4" in records

    t1 = system.clock.now_ns()
    system.disable(4)
    lines = [r.text for r in system.kernel.klog.records if r.time_ns >= t1]
    expected = ["ACPI: \\_SB_.C004: ACPI_NOTIFY_EJECT_REQUEST event", "CPU4: shutdown",
                "psci: CPU4 killed (polled 0 ms)", "ACPI: \\_SB_.C004: Ejecting"]
    assert [line for line in lines if line in expected] == expected


def test_boot_log_wording() -> None:
    system = System.build("cpus=2,maxcpus=6")
    lines = log_lines(system)
    assert lines[0] == "Booting Linux on physical CPU 0x0000000000 [0x413fd0c1]"
    for line in ("smp: Bringing up secondary CPUs ...", "smp: Brought up 1 node, 2 CPUs",
                 "SMP: Total of 2 processors activated.", "ACPI: Interpreter enabled",
                 "ACPI: Using GIC for interrupt routing", "psci: PSCIv1.1 detected in firmware.",
                 "psci: Using standard PSCI v0.2 function IDs"):
        assert line in lines, line
    single = System.build("cpus=1,maxcpus=2")
    assert "smp: Brought up 1 node, 1 CPU" in log_lines(single)
    assert "SMP: Total of 1 processors activated." in log_lines(single)
