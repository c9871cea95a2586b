"""Register-block models the checker runs other VMMs' AML against.

When a DSDT declares an operation region laid out like QEMU's CPU hotplug
register block (QEMU ``docs/specs/acpi_cpu_hotplug.rst``; DESIGN.md section
3: u32 selector @0, flags byte @4 with *enabled* at bit 0, command byte @5,
u32 command data @8, 12 bytes), the checker maps *our VMM's* implementation
of that block (:class:`vcpu_hotplug.vmm.cpuhp.CpuHotplugRegisters`) there,
one slot per possible CPU of the MADT, so the AML's ``_STA``, ``_EJ0`` and
scan methods run exactly as they would on that VMM. A GED (``ACPI0013``)
whose region holds one 32-bit field at offset 0 gets our VMM's GED event
register (:class:`vcpu_hotplug.vmm.ged.GenericEventDevice`). Every other
access goes to a zero-filled sparse store.

The layout is recognised from the fields the AML declares (offsets and
widths), not from their names, so a VMM that follows QEMU's layout under
other names is recognised too. So is the fast path of our block
(:class:`vcpu_hotplug.vmm.cpuhp.FastReg`: a 32-bit *next event* field at
offset 0x10 of a region of at least 64 KiB), with or without QEMU's
registers declared beside it: the model is then the whole 64 KiB block, its
*status* and ``_OST`` windows and *eject* register included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vcpu_hotplug.acpi.aml.objects import FieldUnit, OperationRegion
from vcpu_hotplug.acpi.aml.regions import RegionSpace, SparseStore
from vcpu_hotplug.vmm.cpuhp import (CPUHP_FAST_MAX_CPUS, CPUHP_FAST_REGION_SIZE, CPUHP_REGION_SIZE,
                                    FAST_EVENT_SIZE, CpuHotplugRegisters, CpuhpReg, FastReg)
from vcpu_hotplug.vmm.ged import GED_EVT_SEL_OFFSET, GED_REGION_SIZE, GenericEventDevice

BITS_PER_BYTE = 8
WORD_BITS = 32
COMMAND_BITS = 8

QEMU_CPUHP_FIELDS = (
    (CpuhpReg.SELECTOR * BITS_PER_BYTE, WORD_BITS),
    (CpuhpReg.COMMAND * BITS_PER_BYTE, COMMAND_BITS),
    (CpuhpReg.COMMAND_DATA * BITS_PER_BYTE, WORD_BITS),
)
"""(bit offset, bit width) of the whole-register fields of QEMU's layout: selector, command, command data."""

FLAGS_BITS = (CpuhpReg.FLAGS * BITS_PER_BYTE, CpuhpReg.COMMAND * BITS_PER_BYTE)
"""Bit range [start, end) of the flags byte. QEMU's AML names single bits there (``CPEN``, ``CINS``
...), our VMM's reads the whole byte (``CFLG``): either way the *enabled* bit (bit 0) is covered."""


@dataclass(frozen=True)
class RegionInfo:
    """An operation region the AML declares: where, and the fields over it."""

    path: str
    space: int
    address: int
    length: int
    fields: frozenset[tuple[int, int]]

    def describe(self) -> str:
        space = RegionSpace.from_byte(self.space)
        name = space.name if isinstance(space, RegionSpace) else f"space {self.space:#x}"
        return f"{self.path} ({name} {self.address:#x}, {self.length} bytes)"


def regions_of(namespace) -> list[RegionInfo]:
    """Every operation region of a loaded namespace with the (bit offset, width) of its fields."""
    fields: dict[int, set[tuple[int, int]]] = {}
    regions: dict[int, tuple[str, OperationRegion]] = {}
    for node in namespace.walk():
        obj = node.value
        if isinstance(obj, OperationRegion):
            regions[id(obj)] = (node.path, obj)
        elif isinstance(obj, FieldUnit) and obj.region is not None:
            fields.setdefault(id(obj.region), set()).add((obj.bit_offset, obj.bit_length))
    return [RegionInfo(path, int(r.space), r.offset, r.length, frozenset(fields.get(key, ())))
            for key, (path, r) in regions.items()]


def _covers_enabled_bit(fields: frozenset[tuple[int, int]]) -> bool:
    start, end = FLAGS_BITS
    return any(offset == start and offset + width <= end for offset, width in fields)


def is_qemu_cpuhp(region: RegionInfo) -> bool:
    """True when the region has QEMU's CPU hotplug register layout (fields at its offsets, any names)."""
    return (region.length >= CPUHP_REGION_SIZE and all(f in region.fields for f in QEMU_CPUHP_FIELDS)
            and _covers_enabled_bit(region.fields))


FAST_EVENT_FIELD = (FastReg.EVENT * BITS_PER_BYTE, FAST_EVENT_SIZE * BITS_PER_BYTE)
"""(bit offset, bit width) of the fast path's *next event* register."""


def is_fast_cpuhp(region: RegionInfo) -> bool:
    """True when the region is our block with the fast path (its *next event* field, the 64 KiB)."""
    return (region.space == RegionSpace.SYSTEM_MEMORY and region.length >= CPUHP_FAST_REGION_SIZE
            and FAST_EVENT_FIELD in region.fields)


def is_ged_register(region: RegionInfo) -> bool:
    """True for a GED event-selector region: one 32-bit field at offset 0 of a 4-byte region."""
    return (region.length == GED_REGION_SIZE and region.space == RegionSpace.SYSTEM_MEMORY
            and (GED_EVT_SEL_OFFSET, WORD_BITS) in region.fields)


@dataclass
class Slot:
    """One possible CPU as the register block sees it (what ``CpuHotplugRegisters`` reads)."""

    mpidr: int
    enabled: bool


@dataclass
class _Mapping:
    space: int
    base: int
    length: int
    device: object


@dataclass
class ModelBus:
    """Routes the interpreter's region accesses to the register-block models, else a sparse store."""

    mappings: list[_Mapping] = field(default_factory=list)
    other: SparseStore = field(default_factory=SparseStore)

    def map(self, space: int, base: int, length: int, device: object) -> None:
        self.mappings.append(_Mapping(space, base, length, device))

    def _find(self, space, address: int):
        for m in self.mappings:
            if int(space) == m.space and m.base <= address < m.base + m.length:
                return m
        return None

    def read(self, space, address: int, size: int) -> int:
        m = self._find(space, address)
        if m is None:
            return self.other.read(space, address, size)
        return m.device.read(address - m.base, size)

    def write(self, space, address: int, size: int, value: int) -> None:
        m = self._find(space, address)
        if m is None:
            self.other.write(space, address, size, value)
        else:
            m.device.write(address - m.base, size, value)


@dataclass
class HotplugModel:
    """The models in use: CPU hotplug block (maybe), GED (maybe), the bus routing to them."""

    bus: ModelBus
    slots: list[Slot]
    cpuhp: CpuHotplugRegisters | None = None
    cpuhp_region: RegionInfo | None = None
    ged: GenericEventDevice | None = None
    ged_region: RegionInfo | None = None


def build_model(slots: list[Slot]) -> HotplugModel:
    """A bus with nothing mapped yet; :func:`attach` maps the blocks once the AML is loaded."""
    return HotplugModel(bus=ModelBus(), slots=slots)


def attach(model: HotplugModel, regions: list[RegionInfo], ged_paths: set[str]) -> None:
    """Map the CPU hotplug block (QEMU's layout, or ours with the fast path) and the GED register where the
    AML declares them."""
    for region in regions:
        fast = is_fast_cpuhp(region) and len(model.slots) <= CPUHP_FAST_MAX_CPUS
        if model.cpuhp is None and (fast or is_qemu_cpuhp(region)):
            # duck-typed vCPUs: .enabled and .mpidr
            model.cpuhp = CpuHotplugRegisters(model.slots, fast=fast)
            model.cpuhp_region = region
            model.bus.map(region.space, region.address, model.cpuhp.size, model.cpuhp)
        elif model.ged is None and is_ged_register(region) and \
                any(region.path.startswith(p + ".") for p in ged_paths):
            model.ged = GenericEventDevice(raise_irq=lambda: None)
            model.ged_region = region
            model.bus.map(region.space, region.address, GED_REGION_SIZE, model.ged)
