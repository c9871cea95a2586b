"""Operation region address spaces and the handler protocol (ACPI 6.5 section 19.6.100).

An ``OperationRegion`` names a window of an address space; every Field
access the interpreter makes lands, one access-width datum at a time, on a
:class:`RegionHandler`. The VMM's bus and the tests' register blocks
implement that protocol; :class:`SparseStore` is the default, an in-memory
store of bytes per space where unwritten bytes read as zero.

Accesses are made exactly as ACPICA makes them (``exfldio.c``): one
``read``/``write`` per datum of the field's access width, read-modify-write
only for ``Preserve`` fields written partially. ``size`` is in bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol, runtime_checkable


class RegionSpace(IntEnum):
    """Address space identifiers of ACPI 6.5 table 19.28 (``RegionSpace`` keyword)."""

    SYSTEM_MEMORY = 0x00
    SYSTEM_IO = 0x01
    PCI_CONFIG = 0x02
    EMBEDDED_CONTROL = 0x03
    SMBUS = 0x04
    SYSTEM_CMOS = 0x05
    PCI_BAR_TARGET = 0x06
    IPMI = 0x07
    GENERAL_PURPOSE_IO = 0x08
    GENERIC_SERIAL_BUS = 0x09
    PCC = 0x0A
    PRM = 0x0B
    FUNCTIONAL_FIXED_HARDWARE = 0x7F

    @classmethod
    def from_byte(cls, value: int) -> "RegionSpace | int":
        """The enum member for ``value``, or the raw value for OEM-defined spaces (0x80-0xFF)."""
        try:
            return cls(value)
        except ValueError:
            return value


#: Access sizes a handler is ever asked for, in bytes.
ACCESS_SIZES = (1, 2, 4, 8)


@runtime_checkable
class RegionHandler(Protocol):
    """What the interpreter calls for every region datum access."""

    def read(self, space: RegionSpace, address: int, size: int) -> int:
        """Read ``size`` bytes (1, 2, 4 or 8) at ``address`` of ``space``, little-endian."""

    def write(self, space: RegionSpace, address: int, size: int, value: int) -> None:
        """Write the low ``size`` bytes of ``value`` at ``address`` of ``space``."""


class SparseStore:
    """The default handler: a sparse little-endian byte store per address space.

    Unwritten bytes read as zero. ``data`` maps ``(space, address)`` to a byte.
    """

    def __init__(self) -> None:
        self.data: dict[tuple[int, int], int] = {}

    def read(self, space: RegionSpace, address: int, size: int) -> int:
        value = 0
        for i in range(size):
            value |= self.data.get((int(space), address + i), 0) << (8 * i)
        return value

    def write(self, space: RegionSpace, address: int, size: int, value: int) -> None:
        for i in range(size):
            self.data[(int(space), address + i)] = (value >> (8 * i)) & 0xFF


@dataclass(frozen=True)
class RegionAccess:
    """One datum access, as recorded by :class:`RecordingHandler`."""

    kind: str          # "read" or "write"
    space: int
    address: int
    size: int
    value: int


@dataclass
class RecordingHandler:
    """Wraps a handler and records every access (tests count VM exits with it)."""

    inner: RegionHandler = field(default_factory=SparseStore)
    accesses: list[RegionAccess] = field(default_factory=list)

    def read(self, space: RegionSpace, address: int, size: int) -> int:
        value = self.inner.read(space, address, size)
        self.accesses.append(RegionAccess("read", int(space), address, size, value))
        return value

    def write(self, space: RegionSpace, address: int, size: int, value: int) -> None:
        self.accesses.append(RegionAccess("write", int(space), address, size, value))
        self.inner.write(space, address, size, value)
