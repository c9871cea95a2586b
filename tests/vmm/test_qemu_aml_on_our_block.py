"""QEMU's own CPU hotplug AML runs unchanged against our register block.

The arm64 RFC DSDT (MMIO at 0x090C0000 behind the GED) and the x86 q35 DSDT
(SystemIO at 0x0CD8) are loaded into our AML interpreter with their regions
routed to the machine's MMIO bus. Hot-add and hot-remove then behave as on
QEMU: ``_EVT``/``CSCN`` notify the right processor device, ``_STA`` follows
the admin state, ``_EJ0`` completes an unplug the VMM asked for.
"""

import pytest

from vcpu_hotplug.acpi.aml import RegionSpace, load_tables
from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.vmm.machine import GED_INTID, VIRT_MEMMAP, Machine, MachineConfig
from vcpu_hotplug.vmm.vcpu import AdminState

from tests.conftest import require

X86_CPUHP_IO = 0x0CD8
"""ICH9-LPC I/O port of the register block (docs/specs/acpi_cpu_hotplug.rst)."""


class BusHandler:
    """SystemMemory goes to the MMIO bus; SystemIO at the x86 port to the same register block."""

    def __init__(self, machine):
        self.m = machine

    def _address(self, space, address):
        if space == RegionSpace.SYSTEM_IO and X86_CPUHP_IO <= address < X86_CPUHP_IO + 12:
            return VIRT_MEMMAP.cpuhp[0] + address - X86_CPUHP_IO
        assert space == RegionSpace.SYSTEM_MEMORY, f"unexpected access to {space!r} {address:#x}"
        return address

    def read(self, space, address, size):
        return self.m.bus.read(self._address(space, address), size)

    def write(self, space, address, size, value):
        self.m.bus.write(self._address(space, address), size, value)


def load(reference_tables, relative):
    path = reference_tables / relative
    require(path.is_file(), str(path))
    m = Machine(MachineConfig(smp="cpus=2,maxcpus=6"))
    interp = load_tables([path.read_bytes()], handler=BusHandler(m))
    assert interp.load_errors == []
    return m, interp


def test_rfc_arm64_dsdt_hot_add_and_hot_remove(reference_tables):
    m, aml = load(reference_tables, "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6/DSDT")
    deleted = []
    m.observers.device_deleted.append(deleted.append)
    assert [aml.evaluate(f"\\_SB.CPUS.C00{i}._STA") for i in range(6)] == [0x0F] * 2 + [0x0D] * 4

    m.enable(3)
    aml.evaluate("\\_SB.GED._EVT", GED_INTID)
    assert aml.notifications == [("\\_SB.CPUS.C003", 1)]
    assert aml.evaluate("\\_SB.CPUS.C003._STA") == 0x0F
    assert m.cpuhp.pending_events() == []

    m.disable(3)
    aml.evaluate("\\_SB.GED._EVT", GED_INTID)
    assert aml.notifications[-1] == ("\\_SB.CPUS.C003", 3)
    aml.evaluate("\\_SB.CPUS.C003._OST", 0x03, 0x84, 0)
    aml.evaluate("\\_SB.CPUS.C003._EJ0", 1)
    assert aml.evaluate("\\_SB.CPUS.C003._STA") == 0x0D
    assert m.vcpus[3].admin is AdminState.DISABLED and [d.cpu for d in deleted] == [3]
    assert m.hw.hvc.hvc(0, PsciFunction.CPU_ON, m.vcpus[3].mpidr, 0x4008_0000, 0).ret == PsciReturn.DENIED


def test_rfc_ej0_without_a_vmm_request_does_nothing(reference_tables):
    m, aml = load(reference_tables, "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6/DSDT")
    aml.evaluate("\\_SB.CPUS.C001._EJ0", 1)
    assert aml.evaluate("\\_SB.CPUS.C001._STA") == 0x0F and m.vcpus[1].enabled


def test_x86_q35_cscn_runs_against_the_same_block(reference_tables):
    m, aml = load(reference_tables, "qemu/x86-q35/DSDT.cphp")
    m.enable(4)
    aml.evaluate("\\_SB.CPUS.CSCN")
    assert ("\\_SB.CPUS.C004", 1) in aml.notifications
    assert aml.evaluate("\\_SB.CPUS.C004._STA") == 0x0F
    m.disable(4)
    aml.evaluate("\\_SB.CPUS.CSCN")
    assert aml.notifications[-1] == ("\\_SB.CPUS.C004", 3)
    aml.evaluate("\\_SB.CPUS.C004._EJ0", 1)
    assert not m.vcpus[4].enabled
