"""The MMIO bus: guest physical addresses decoded to device registers.

A device is mapped at ``[base, base + size)``. A guest load or store of 1, 2,
4 or 8 bytes there traps to the VMM (one VM exit, as a stage-2 fault on an
unbacked IPA is on KVM/arm64) and is dispatched to the device as
``read(offset, size) -> int`` or ``write(offset, size, value)`` with the
offset from the device's base. Values are little-endian unsigned integers of
``size`` bytes. An access that no device decodes, or that straddles the end
of a device, raises :class:`~vcpu_hotplug.hw.errors.BusError` naming the
address (on hardware, an external abort); so does an access the device
rejects by raising :class:`~vcpu_hotplug.hw.errors.AccessRejected`.

Dispatch is the hot path: a region lookup is a bisect over the sorted bases
with a one-entry cache of the last device hit.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from vcpu_hotplug.hw.errors import AccessRejected, BusError, MappingError
from vcpu_hotplug.hw.trace import Trace, TraceKind

ACCESS_SIZES = frozenset({1, 2, 4, 8})
"""Widths of a single arm64 load/store the bus decodes (LDRB/LDRH/LDR W/LDR X)."""

_MASKS = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFF_FFFF, 8: 0xFFFF_FFFF_FFFF_FFFF}


class MmioDevice(Protocol):
    """What a device mapped on the bus implements."""

    def read(self, offset: int, size: int) -> int: ...

    def write(self, offset: int, size: int, value: int) -> None: ...


@dataclass(frozen=True)
class MmioRegion:
    """One mapping: ``name`` is what the trace shows for accesses to it."""

    base: int
    size: int
    device: MmioDevice
    name: str
    end: int = field(init=False, repr=False, compare=False)
    """First address past the region (stored: every access checks it)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "end", self.base + self.size)


class MmioBus:
    """Decodes guest physical addresses to mapped devices and counts VM exits."""

    def __init__(self, trace: Trace | None = None) -> None:
        self.trace = trace
        self._bases: list[int] = []
        self._regions: list[MmioRegion] = []
        self._last: MmioRegion | None = None
        self.exits = 0
        """Every access dispatched (each is a VM exit)."""
        self.exits_by_device: Counter[str] = Counter()

    def map(self, base: int, size: int, device: MmioDevice, name: str) -> MmioRegion:
        """Map ``device`` at ``[base, base + size)``; overlapping another mapping is an error."""
        if size <= 0 or base < 0:
            raise MappingError(f"cannot map {name} at {base:#x} with size {size:#x}")
        region = MmioRegion(base, size, device, name)
        i = bisect.bisect_right(self._bases, base)
        if i > 0 and self._regions[i - 1].end > base:
            other = self._regions[i - 1]
            raise MappingError(f"{name} at [{base:#x}, {region.end:#x}) overlaps {other.name} "
                               f"at [{other.base:#x}, {other.end:#x})")
        if i < len(self._regions) and self._regions[i].base < region.end:
            other = self._regions[i]
            raise MappingError(f"{name} at [{base:#x}, {region.end:#x}) overlaps {other.name} "
                               f"at [{other.base:#x}, {other.end:#x})")
        self._bases.insert(i, base)
        self._regions.insert(i, region)
        return region

    def unmap(self, base: int) -> None:
        """Remove the mapping that starts at ``base``."""
        i = bisect.bisect_left(self._bases, base)
        if i == len(self._bases) or self._bases[i] != base:
            raise MappingError(f"nothing is mapped at {base:#x}")
        del self._bases[i]
        del self._regions[i]
        self._last = None

    @property
    def regions(self) -> list[MmioRegion]:
        """The mappings, by base address."""
        return list(self._regions)

    def find(self, address: int) -> MmioRegion | None:
        """The region decoding ``address``, or None."""
        i = bisect.bisect_right(self._bases, address) - 1
        if i >= 0 and address < self._regions[i].end:
            return self._regions[i]
        return None

    def _decode(self, address: int, size: int) -> MmioRegion:
        region = self._last
        if region is None or not (region.base <= address < region.end):
            region = self.find(address)
            if region is None:
                raise BusError(address, size, "no device is mapped at this address")
            self._last = region
        if size not in ACCESS_SIZES:
            raise BusError(address, size, f"access size must be one of {sorted(ACCESS_SIZES)}")
        if address + size > region.end:
            raise BusError(address, size, f"access runs past the end of {region.name} ({region.end:#x})")
        return region

    def read(self, address: int, size: int) -> int:
        """A guest load of ``size`` bytes at ``address``."""
        region = self._decode(address, size)
        offset = address - region.base
        self.exits += 1
        self.exits_by_device[region.name] += 1
        try:
            value = region.device.read(offset, size) & _MASKS[size]
        except AccessRejected as e:
            raise BusError(address, size, f"{region.name}+{offset:#x}: {e}") from None
        if self.trace is not None:
            self.trace.mmio(TraceKind.MMIO_READ, region.name, offset, size, value, address)
        return value

    def write(self, address: int, size: int, value: int) -> None:
        """A guest store of the low ``size`` bytes of ``value`` at ``address``."""
        region = self._decode(address, size)
        offset = address - region.base
        value &= _MASKS[size]
        self.exits += 1
        self.exits_by_device[region.name] += 1
        if self.trace is not None:
            self.trace.mmio(TraceKind.MMIO_WRITE, region.name, offset, size, value, address)
        try:
            region.device.write(offset, size, value)
        except AccessRejected as e:
            raise BusError(address, size, f"{region.name}+{offset:#x}: {e}") from None

    def reset_counters(self) -> None:
        """Zero the exit counters (the trace's counters are separate)."""
        self.exits = 0
        self.exits_by_device.clear()
