"""The hotplug AML the builder makes *runs*: our interpreter drives a QEMU-style register block with it.

The register block follows QEMU's docs/specs/acpi_cpu_hotplug.rst (arm64
variant with the present bit 5 in the flags byte), behind the GED event
selector; see ``tests/aml/builder_sample.py`` for the AML.
"""

from __future__ import annotations

import pytest

from tests.aml.builder_sample import CPU_HOTPLUG_BASE, CPU_HOTPLUG_EVENT, GED_EVENT_REGISTER, GED_GSI, hotplug_dsdt
from vcpu_hotplug.acpi.aml.interpreter import Interpreter

MAX_CPUS = 6
SELECTOR, FLAGS, COMMAND, DATA = 0, 4, 5, 8
ENABLED, INSERT, REMOVE, EJECT, PRESENT = 0x01, 0x02, 0x04, 0x08, 0x20
GET_NEXT_WITH_EVENT, OST_EVENT, OST_STATUS = 0, 1, 2


class HotplugBlock:
    """Just enough of QEMU's CPU hotplug register block (hw/acpi/cpu.c) and the GED event register."""

    def __init__(self, enabled: set[int]) -> None:
        self.enabled = set(enabled)
        self.inserting: set[int] = set()
        self.removing: set[int] = set()
        self.ejected: list[int] = []
        self.ost: list[tuple[int, int, int]] = []
        self.selector = 0
        self.command = 0
        self.ged_event = 0
        self._ost_event = 0

    def read(self, space, address: int, size: int) -> int:
        if address == GED_EVENT_REGISTER:
            value, self.ged_event = self.ged_event, 0  # read clears
            return value
        offset = address - CPU_HOTPLUG_BASE
        cpu = self.selector
        if offset == SELECTOR:
            return cpu
        if offset == FLAGS:
            return ((ENABLED if cpu in self.enabled else 0) | (INSERT if cpu in self.inserting else 0)
                    | (REMOVE if cpu in self.removing else 0) | PRESENT)
        if offset == COMMAND:
            return self.command
        if offset == DATA:
            return self.selector if self.command == GET_NEXT_WITH_EVENT else 0
        return 0

    def write(self, space, address: int, size: int, value: int) -> None:
        offset = address - CPU_HOTPLUG_BASE
        if offset == SELECTOR:
            self.selector = value
        elif offset == FLAGS:
            if value & INSERT:
                self.inserting.discard(self.selector)
            if value & REMOVE:
                self.removing.discard(self.selector)
            if value & EJECT:
                self.ejected.append(self.selector)
                self.enabled.discard(self.selector)
        elif offset == COMMAND:
            self.command = value
            if value == GET_NEXT_WITH_EVENT:
                pending = self.inserting | self.removing
                for step in range(MAX_CPUS):
                    candidate = (self.selector + step) % MAX_CPUS
                    if candidate in pending:
                        self.selector = candidate
                        break
        elif offset == DATA:
            if self.command == OST_EVENT:
                self._ost_event = value
            elif self.command == OST_STATUS:
                self.ost.append((self.selector, self._ost_event, value))


@pytest.fixture
def machine():
    block = HotplugBlock(enabled={0, 1})
    notified: list[tuple[str, int]] = []
    interp = Interpreter(handler=block, notify=lambda path, value: notified.append((path, value)))
    interp.load(hotplug_dsdt(MAX_CPUS).encode())
    return interp, block, notified


def _cpu(path: str) -> str:
    return path.rstrip("_").rsplit(".", 1)[-1]


def test_sta_follows_the_enabled_bit(machine):
    interp, _, _ = machine
    assert [interp.evaluate(f"\\_SB.CPUS.C{cpu:03X}._STA") for cpu in range(MAX_CPUS)] == \
        [0x0F, 0x0F, 0x0D, 0x0D, 0x0D, 0x0D]


def test_ged_event_scans_and_notifies_device_check_then_clears_insert(machine):
    interp, block, notified = machine
    block.enabled.add(2)
    block.inserting.add(2)
    block.ged_event = CPU_HOTPLUG_EVENT
    interp.evaluate("\\_SB.GED._EVT", GED_GSI)
    assert [(_cpu(p), v) for p, v in notified] == [("C002", 1)]
    assert not block.inserting
    assert interp.evaluate("\\_SB.CPUS.C002._STA") == 0x0F


def test_remove_event_notifies_eject_request_and_ej0_ejects(machine):
    interp, block, notified = machine
    block.removing.add(1)
    block.ged_event = CPU_HOTPLUG_EVENT
    interp.evaluate("\\_SB.GED._EVT", GED_GSI)
    assert [(_cpu(p), v) for p, v in notified] == [("C001", 3)]
    interp.evaluate("\\_SB.CPUS.C001._OST", 0x103, 0x80, 0)
    interp.evaluate("\\_SB.CPUS.C001._EJ0", 0)
    assert block.ejected == [1]
    assert block.ost == [(1, 0x103, 0x80)]
    assert interp.evaluate("\\_SB.CPUS.C001._STA") == 0x0D


def test_other_ged_events_do_not_scan(machine):
    interp, block, notified = machine
    block.inserting.add(3)
    block.ged_event = 0x02
    interp.evaluate("\\_SB.GED._EVT", GED_GSI)
    assert notified == [] and block.inserting == {3}
