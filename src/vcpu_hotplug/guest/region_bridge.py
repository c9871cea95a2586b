"""AML operation regions onto the machine (ACPICA's default ``SystemMemory`` handler,
``drivers/acpi/acpica/exregion.c`` ``acpi_ex_system_memory_space_handler``).

A ``SystemMemory`` field access maps the physical address and performs one
load or store of the access width: on a VM, an access inside a device's
MMIO window traps to the VMM (one exit on the bus), an access to RAM reads
guest memory. arm64 has no I/O port space: a ``SystemIO`` region has no
handler (ACPICA's ``AE_NOT_EXIST``), nor do the other spaces a virtual
machine does not provide.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml.regions import RegionSpace
from vcpu_hotplug.acpi.errors import AmlError
from vcpu_hotplug.hw.errors import HwError
from vcpu_hotplug.hw.memory import GuestMemory
from vcpu_hotplug.hw.mmio import MmioBus


class MachineRegionHandler:
    """The guest's :class:`~vcpu_hotplug.acpi.aml.RegionHandler`: SystemMemory to MMIO or RAM."""

    def __init__(self, bus: MmioBus, memory: GuestMemory) -> None:
        self.bus = bus
        self.memory = memory

    def _check(self, space: RegionSpace) -> None:
        if space != RegionSpace.SYSTEM_MEMORY:
            name = space.name if isinstance(space, RegionSpace) else f"{int(space):#x}"
            raise AmlError(f"no handler for address space {name} on this machine (AE_NOT_EXIST)")

    def read(self, space: RegionSpace, address: int, size: int) -> int:
        self._check(space)
        try:
            if self.bus.find(address) is not None:
                return self.bus.read(address, size)
            return self.memory.read_int(address, size)
        except HwError as e:
            raise AmlError(f"SystemMemory read of {size} bytes at {address:#x} failed: {e}") from None

    def write(self, space: RegionSpace, address: int, size: int, value: int) -> None:
        self._check(space)
        try:
            if self.bus.find(address) is not None:
                self.bus.write(address, size, value)
            else:
                self.memory.write_int(address, size, value)
        except HwError as e:
            raise AmlError(f"SystemMemory write of {size} bytes at {address:#x} failed: {e}") from None
