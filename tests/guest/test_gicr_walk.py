"""The GICv3 driver's redistributor walk against the GICR range the MADT gives (drivers/irqchip/irq-gic-v3.c).

``gic_iterate_rdists`` walks frame by frame until ``GICR_TYPER.Last`` and never looks at the range's length:
a range that covers the redistributors boots; one frame short, the walk of ``gic_update_rdist_properties`` in
``gic_init_bases`` reads past the ``ioremap`` and Linux dies at boot with an Oops and a panic, as real Linux
6.12.95 did (tests/data/real-linux/ours-gicrshort.json).
"""

from __future__ import annotations

import pytest

from vcpu_hotplug.acpi.madt import Gicr
from vcpu_hotplug.arm.gic import GICR_FRAME_SIZE, GicrReg
from vcpu_hotplug.guest import GuestConfig
from vcpu_hotplug.guest.gic import IOREMAP_BASE, PAGE_SIZE
from vcpu_hotplug.guest.panic import IDLE_TASK_PANIC, data_abort_esr
from vcpu_hotplug.hw.clock import NS_PER_MS, NS_PER_S
from vcpu_hotplug.qmp.commands import CommandContext, SessionState, dispatch
from vcpu_hotplug.qmp.devices import CpuDeviceTable
from vcpu_hotplug.qmp.machine_backend import MachineBackend
from vcpu_hotplug.system import System
from vcpu_hotplug.vm import guest_cpu_view

from tests.guest.helpers import edit_madt, log_lines, own_tables, table_list

SMP = "cpus=2,maxcpus=4"
MAXCPUS = 4
PANIC_LINE = f"Kernel panic - not syncing: {IDLE_TASK_PANIC}"


def with_gicr_length(length: int) -> list[bytes]:
    """Our tables for ``SMP`` with the (one) GICR structure's Discovery Range Length set to ``length``."""
    tables = own_tables(SMP)

    def edit(madt) -> None:
        [gicr] = madt.of_type(Gicr)
        gicr.discovery_range_length = length
    tables["APIC"] = edit_madt(tables["APIC"], edit)
    return table_list(tables)


def boot(length: int, **guest) -> System:
    return System.build(SMP, tables=with_gicr_length(length), guest=GuestConfig(**guest))


def oops_address(system: System) -> int:
    line = next(line for line in log_lines(system) if line.startswith("Unable to handle kernel paging request"))
    return int(line.rsplit(" ", 1)[1], 16)


def test_a_range_that_covers_every_redistributor_boots() -> None:
    system = boot(MAXCPUS * GICR_FRAME_SIZE)
    kernel = system.kernel
    assert kernel.booted and kernel.panicked is None
    assert "GICv3: GICv3 features: 16 PPIs" in log_lines(system)
    assert not any("Oops" in line or "Kernel panic" in line for line in log_lines(system))
    assert sorted(kernel.online) == [0, 1]
    assert sorted(kernel.gic.rdist_of) == [0, 1]


def test_a_range_longer_than_the_redistributors_boots_the_walk_stops_at_last() -> None:
    system = boot(2 * MAXCPUS * GICR_FRAME_SIZE)
    assert system.kernel.booted and system.kernel.panicked is None


def test_one_frame_short_panics_at_boot_with_linuxs_oops() -> None:
    length = (MAXCPUS - 1) * GICR_FRAME_SIZE
    system = boot(length)
    kernel = system.kernel
    lines = log_lines(system)
    assert kernel.panicked == IDLE_TASK_PANIC and not kernel.booted and kernel.halted
    # the first frame past the mapping: its GICR_TYPER, at the ioremap base plus the range's length
    assert oops_address(system) == IOREMAP_BASE + length + GicrReg.TYPER
    start = lines.index("Root IRQ handler: gic_handle_irq")
    assert lines[start + 1:start + 3] == [
        f"Unable to handle kernel paging request at virtual address {IOREMAP_BASE + length + 8:016x}",
        f"Internal error: Oops: {data_abort_esr():016x} [#1] SMP"]
    assert data_abort_esr() == 0x96000007
    assert lines[start + 3].startswith("CPU: 0 UID: 0 PID: 0 Comm: swapper/0 Not tainted ")
    assert lines[start + 4:start + 7] == ["pc : gic_iterate_rdists+0x74/0x118", "lr : gic_iterate_rdists+0x80/0x118",
                                          "Call trace:"]
    assert lines[-2:] == ["---[ end trace 0000000000000000 ]---", PANIC_LINE]
    # the kernel stopped there: nothing after the GIC, no secondary CPU, no ACPI namespace, no cpuN device
    assert "GICv3: GICv3 features: 16 PPIs" not in lines
    assert not any(line.startswith(("smp: ", "ACPI: Interpreter enabled")) for line in lines)
    assert sorted(kernel.online) == [0] and sorted(kernel.enabled) == []
    assert system.machine.vcpus[1].enabled          # the VMM enabled vCPU 1; Linux never started it
    assert not kernel.gic.rdist_of


@pytest.mark.parametrize("length, faulting_offset", [
    # the walk reads GICR_TYPER in the first page of each frame: a range that maps that page of the last
    # redistributor (whose TYPER has Last) boots, whatever else of the frame it leaves out
    (MAXCPUS * GICR_FRAME_SIZE - PAGE_SIZE, None),
    (3 * GICR_FRAME_SIZE + 1, None),
    # one and a half frames: the third frame's TYPER is past the pages
    (GICR_FRAME_SIZE + GICR_FRAME_SIZE // 2, 2 * GICR_FRAME_SIZE + GicrReg.TYPER),
    # less than one frame's RD_base: the region's GICR_PIDR2, read first, is past the pages
    (GICR_FRAME_SIZE // 4, GicrReg.PIDR2),
])
def test_the_walk_faults_where_it_leaves_the_mapped_pages(length: int, faulting_offset: int | None) -> None:
    system = boot(length)
    if faulting_offset is None:
        assert system.kernel.booted and system.kernel.panicked is None
        return
    assert system.kernel.panicked == IDLE_TASK_PANIC
    assert oops_address(system) == IOREMAP_BASE + faulting_offset


def test_panic_equals_n_restarts_through_psci_n_seconds_later() -> None:
    system = System.build(SMP, tables=with_gicr_length(2 * GICR_FRAME_SIZE),
                          guest=GuestConfig(panic_timeout_s=1), boot=False)
    system.machine.start()
    system.kernel.boot(system.rsdp_address)
    assert log_lines(system)[-2:] == [PANIC_LINE, "Rebooting in 1 seconds.."]
    system.run_for(NS_PER_S - NS_PER_MS)
    assert system.machine.resets == 0
    system.run_for(2 * NS_PER_MS)
    assert system.machine.resets == 1     # emergency_restart: PSCI SYSTEM_RESET (QEMU -no-reboot would stop here)


def test_without_panic_equals_the_kernel_waits_for_ever() -> None:
    system = boot(2 * GICR_FRAME_SIZE)
    assert log_lines(system)[-1] == PANIC_LINE
    system.run_for(60 * NS_PER_S)
    assert system.machine.resets == 0 and system.kernel.panicked


def test_x_query_guest_cpus_shows_the_panic() -> None:
    system = boot(2 * GICR_FRAME_SIZE)
    backend = MachineBackend(system.machine, guest_view=lambda: guest_cpu_view(system),
                             settle=system.run_until_idle)
    ctx = CommandContext(SessionState(negotiated=True), backend, CpuDeviceTable(backend, thread_id=lambda index: 1000 + index), {}, lambda: None)
    view = dispatch({"execute": "x-query-guest-cpus"}, ctx)["return"]
    assert view["panic"] == IDLE_TASK_PANIC
    assert view["log"][-1].endswith(PANIC_LINE)
    assert (view["online"], view["enabled"]) == ([0], [])
    running = boot(MAXCPUS * GICR_FRAME_SIZE)
    backend = MachineBackend(running.machine, guest_view=lambda: guest_cpu_view(running),
                             settle=running.run_until_idle)
    ctx = CommandContext(SessionState(negotiated=True), backend, CpuDeviceTable(backend, thread_id=lambda i: i), {},
                         lambda: None)
    assert "panic" not in dispatch({"execute": "x-query-guest-cpus"}, ctx)["return"]
