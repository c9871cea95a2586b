"""Both DSDTs (ours and QEMU RFC V5's) clear the remove event in their scan, before ``_EJ0``.

The register block keeps ``CRMV`` pending until the guest writes it clear (QEMU's semantics,
``vmm/cpuhp.py``), so the AML must acknowledge it itself, as QEMU's ``CSCN`` does right after
``Notify(Eject Request)``. Run against the live machine's register block through the MMIO bus.
"""

from __future__ import annotations

import pytest

from vcpu_hotplug.acpi.aml import Interpreter, RegionSpace
from vcpu_hotplug.arm.psci import PsciFunction
from vcpu_hotplug.profiles import QEMU_RFC_V5, REFERENCE
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.firmware_tables import build_firmware
from vcpu_hotplug.vmm.machine import GED_INTID, Machine, MachineConfig


class Bus:
    def __init__(self, machine: Machine) -> None:
        self.bus = machine.bus

    def read(self, space, address, size):
        assert space == RegionSpace.SYSTEM_MEMORY
        return self.bus.read(address, size)

    def write(self, space, address, size, value):
        assert space == RegionSpace.SYSTEM_MEMORY
        self.bus.write(address, size, value)


PROFILES = [pytest.param(REFERENCE, "\\_SB.C003", id="reference"),
            pytest.param(QEMU_RFC_V5, "\\_SB.CPUS.C003", id="qemu-rfc-v5")]


@pytest.mark.parametrize("profile, device", PROFILES)
def test_the_scan_acknowledges_the_remove_event_before_the_eject(profile, device):
    machine = Machine(MachineConfig(smp="cpus=4,maxcpus=6"))
    notified = []
    aml = Interpreter(handler=Bus(machine), notify=lambda path, value: notified.append((path, value)))
    aml.load(build_firmware(machine, profile.firmware).tables["DSDT"])
    machine.disable(3)
    assert machine.cpuhp.pending_events() == [3]
    aml.evaluate("\\_SB.GED._EVT", GED_INTID)
    assert notified == [(device, 3)]
    assert machine.cpuhp.pending_events() == []          # CRMV written clear by the scan itself
    machine.hw.hvc.hvc(3, PsciFunction.CPU_OFF)
    aml.evaluate(f"{device}._EJ0", 1)
    assert machine.pending_unplugs() == [] and not machine.vcpus[3].enabled
    assert machine.cpuhp.pending_events() == []
    aml.evaluate("\\_SB.GED._EVT", GED_INTID)             # a later scan finds nothing
    assert notified == [(device, 3)]


@pytest.mark.parametrize("profile", [REFERENCE, QEMU_RFC_V5], ids=lambda p: p.name.value)
def test_the_guest_model_unplugs_and_replugs_with_no_event_left(profile):
    system = System.build("cpus=2,maxcpus=4", firmware=profile.firmware)
    machine = system.machine
    for _ in range(2):
        machine.enable(3)
        system.run_until_idle()
        assert 3 in system.guest_view().online
        machine.disable(3)
        system.run_until_idle()
        assert 3 not in system.guest_view().enabled and machine.cpuhp.pending_events() == []
