"""Multiple APIC Description Table, signature ``APIC`` (ACPI 6.5 section 5.2.12).

Layout: SDT header; u32 Local Interrupt Controller Address @36; u32 Flags
@40 (bit0 PCAT_COMPAT); then interrupt controller structures, each starting
with u8 Type and u8 Length.

Decoded structures (``../shared/DESIGN.md`` section 3 has the GICC offsets):

* GICC 0x0B (5.2.12.14): 76 bytes (ACPI 5.1), 80 bytes (ACPI 6.0 to 6.4,
  MADT revisions 3 to 5), 82 bytes (ACPI 6.5, MADT revision 6, adds the
  TRBE interrupt);
* GICD 0x0C (5.2.12.15), GICR 0x0E (5.2.12.17), GIC ITS 0x0F (5.2.12.18);
* Processor Local APIC 0x00 (5.2.12.2) and Local x2APIC 0x09 (5.2.12.12)
  for x86 tables;
* anything else is a :class:`RawSubtable`, re-encoded byte for byte.

Revision policy: MADT revisions 1 to 6 are known. A higher (future)
revision is a :class:`TableError` unless ``lenient=True``; leniently, the
structures are still decoded by their own Length fields. A GICC whose
length is none of 76/80/82 is a TableError (lenient: kept raw), because the
GICC layout is the one that depends on the revision.

Encoding: a GICC whose ``length`` is None takes the length of the MADT's
revision (82 for revision 6, else 80). ``Madt.encode(layout=...)`` forces a
layout for the whole table: ``MadtLayout.ACPI_6_5`` (revision 6, 82-byte
GICC), ``MadtLayout.ACPI_6_4`` (revision 5, 80-byte GICC, for tools
such as iasl 20200925 that predate ACPI 6.5) or ``MadtLayout.ACPI_6_0``
(revision 4, 80-byte GICC, as QEMU ``virt`` and its arm64 hotplug RFC V5).
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from dataclasses import dataclass, field
from typing import ClassVar, Union

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.fields import spec_field
from vcpu_hotplug.acpi.header import HEADER_LENGTH, SdtHeader, SystemTable, build_table, split_table

MADT_SIGNATURE = "APIC"
MADT_FIXED_LENGTH = 8
"""Local Interrupt Controller Address and Flags, after the header."""
SUBTABLE_HEADER_LENGTH = 2
MAX_KNOWN_REVISION = 6

GICC_LENGTH_ACPI_5_1 = 76
GICC_LENGTH_ACPI_6_0 = 80
GICC_LENGTH_ACPI_6_5 = 82
GICC_LENGTHS = (GICC_LENGTH_ACPI_5_1, GICC_LENGTH_ACPI_6_0, GICC_LENGTH_ACPI_6_5)


class MadtLayout(enum.Enum):
    """Which MADT layout to emit: value = (MADT revision, GICC length)."""

    ACPI_6_0 = (4, GICC_LENGTH_ACPI_6_0)
    """MADT revision 4 (ACPI 6.0 to 6.1), 80-byte GICC: what QEMU ``virt`` emits (``build_madt``, .rev = 4)."""
    ACPI_6_4 = (5, GICC_LENGTH_ACPI_6_0)
    ACPI_6_5 = (6, GICC_LENGTH_ACPI_6_5)

    @property
    def revision(self) -> int:
        return self.value[0]

    @property
    def gicc_length(self) -> int:
        return self.value[1]


class MadtFlags(enum.IntFlag):
    """MADT Flags (Table 5.20)."""

    PCAT_COMPAT = 1 << 0


class SubtableType(enum.IntEnum):
    """Interrupt Controller Structure Types (Table 5.21) decoded here."""

    LOCAL_APIC = 0x00
    IO_APIC = 0x01
    INTERRUPT_SOURCE_OVERRIDE = 0x02
    LOCAL_APIC_NMI = 0x04
    LOCAL_X2APIC = 0x09
    LOCAL_X2APIC_NMI = 0x0A
    GICC = 0x0B
    GICD = 0x0C
    GIC_MSI_FRAME = 0x0D
    GICR = 0x0E
    GIC_ITS = 0x0F


class GiccFlags(enum.IntFlag):
    """GICC CPU Interface Flags (Table 5.37)."""

    ENABLED = 1 << 0
    PERF_INTERRUPT_MODE = 1 << 1
    VGIC_MAINT_INTERRUPT_MODE = 1 << 2
    ONLINE_CAPABLE = 1 << 3


class LocalApicFlags(enum.IntFlag):
    """Local APIC Flags (Table 5.23), shared by Local APIC and Local x2APIC."""

    ENABLED = 1 << 0
    ONLINE_CAPABLE = 1 << 1


class GicVersion(enum.IntEnum):
    """GICD GIC version field (Table 5.39)."""

    UNSPECIFIED = 0
    GICV1 = 1
    GICV2 = 2
    GICV3 = 3
    GICV4 = 4


@dataclass
class Gicc:
    """GIC CPU Interface structure (type 0x0B). ``length`` None = follow the MADT revision."""

    TYPE: ClassVar[int] = SubtableType.GICC
    kind: ClassVar[str] = "GICC"

    cpu_interface_number: int = spec_field("CPU Interface Number")
    acpi_processor_uid: int = spec_field("ACPI Processor UID")
    flags: GiccFlags = spec_field("Flags", GiccFlags(0))
    parking_protocol_version: int = spec_field("Parking Protocol Version")
    performance_interrupt_gsiv: int = spec_field("Performance Interrupt GSIV")
    parked_address: int = spec_field("Parked Address", hex=True)
    physical_base_address: int = spec_field("Physical Base Address", hex=True)
    gicv: int = spec_field("GICV", hex=True)
    gich: int = spec_field("GICH", hex=True)
    vgic_maintenance_interrupt: int = spec_field("VGIC Maintenance Interrupt")
    gicr_base_address: int = spec_field("GICR Base Address", hex=True)
    mpidr: int = spec_field("MPIDR", hex=True)
    processor_power_efficiency_class: int = spec_field("Processor Power Efficiency Class")
    reserved2: int = spec_field("Reserved")
    spe_overflow_interrupt: int = spec_field("SPE Overflow Interrupt")
    trbe_interrupt: int = spec_field("TRBE Interrupt")
    length: int | None = spec_field("Length", None)
    reserved: int = spec_field("Reserved")

    _BASE = struct.Struct("<BBHIIIIIQQQQIQQ")  # 76 bytes, ACPI 5.1
    _V6 = struct.Struct("<BBH")  # efficiency class, reserved, SPE
    _V65 = struct.Struct("<H")  # TRBE

    @classmethod
    def decode(cls, raw: bytes) -> "Gicc":
        (_, length, reserved, cpu_if, uid, flags, parking, perf, parked, phys, gicv, gich, vgic,
         gicr, mpidr) = cls._BASE.unpack_from(raw)
        gicc = cls(cpu_if, uid, GiccFlags(flags), parking, perf, parked, phys, gicv, gich, vgic,
                   gicr, mpidr, length=length, reserved=reserved)
        if length >= GICC_LENGTH_ACPI_6_0:
            (gicc.processor_power_efficiency_class, gicc.reserved2,
             gicc.spe_overflow_interrupt) = cls._V6.unpack_from(raw, GICC_LENGTH_ACPI_5_1)
        if length >= GICC_LENGTH_ACPI_6_5:
            (gicc.trbe_interrupt,) = cls._V65.unpack_from(raw, GICC_LENGTH_ACPI_6_0)
        return gicc

    def encode(self, length: int) -> bytes:
        if length not in GICC_LENGTHS:
            raise ValueError(f"GICC length {length} is not one of {GICC_LENGTHS}")
        out = self._BASE.pack(self.TYPE, length, self.reserved, self.cpu_interface_number,
                              self.acpi_processor_uid, int(self.flags), self.parking_protocol_version,
                              self.performance_interrupt_gsiv, self.parked_address,
                              self.physical_base_address, self.gicv, self.gich,
                              self.vgic_maintenance_interrupt, self.gicr_base_address, self.mpidr)
        if length >= GICC_LENGTH_ACPI_6_0:
            out += self._V6.pack(self.processor_power_efficiency_class, self.reserved2,
                                 self.spe_overflow_interrupt)
        if length >= GICC_LENGTH_ACPI_6_5:
            out += self._V65.pack(self.trbe_interrupt)
        return out


@dataclass
class _Fixed:
    """A structure of one fixed length, described by ``_FORMAT`` (after Type and Length)."""

    TYPE: ClassVar[int]
    kind: ClassVar[str]
    _FORMAT: ClassVar[struct.Struct]
    _FLAGS: ClassVar[dict[str, type[enum.IntFlag]]] = {}

    @classmethod
    def length(cls) -> int:
        return SUBTABLE_HEADER_LENGTH + cls._FORMAT.size

    @classmethod
    def decode(cls, raw: bytes) -> "_Fixed":
        values = list(cls._FORMAT.unpack_from(raw, SUBTABLE_HEADER_LENGTH))
        names = [f.name for f in dataclasses.fields(cls)]
        kwargs = dict(zip(names, values))
        for name, kind in cls._FLAGS.items():
            kwargs[name] = kind(kwargs[name])
        return cls(**kwargs)

    def encode(self, length: int | None = None) -> bytes:
        values = [getattr(self, f.name) for f in dataclasses.fields(self)]
        return struct.pack("<BB", self.TYPE, self.length()) + self._FORMAT.pack(*values)


@dataclass
class Gicd(_Fixed):
    """GIC Distributor structure (type 0x0C, 24 bytes)."""

    TYPE: ClassVar[int] = SubtableType.GICD
    kind: ClassVar[str] = "GICD"
    _FORMAT: ClassVar[struct.Struct] = struct.Struct("<HIQIB3s")

    reserved: int = spec_field("Reserved")
    gic_id: int = spec_field("GIC ID")
    physical_base_address: int = spec_field("Physical Base Address", hex=True)
    system_vector_base: int = spec_field("System Vector Base")
    gic_version: int = spec_field("GIC version", GicVersion.GICV3)
    reserved2: bytes = spec_field("Reserved", b"\0\0\0")


@dataclass
class Gicr(_Fixed):
    """GIC Redistributor structure (type 0x0E, 16 bytes): one discovery range."""

    TYPE: ClassVar[int] = SubtableType.GICR
    kind: ClassVar[str] = "GICR"
    _FORMAT: ClassVar[struct.Struct] = struct.Struct("<HQI")

    reserved: int = spec_field("Reserved")
    discovery_range_base_address: int = spec_field("Discovery Range Base Address", hex=True)
    discovery_range_length: int = spec_field("Discovery Range Length", hex=True)


@dataclass
class GicIts(_Fixed):
    """GIC Interrupt Translation Service structure (type 0x0F, 20 bytes)."""

    TYPE: ClassVar[int] = SubtableType.GIC_ITS
    kind: ClassVar[str] = "GIC ITS"
    _FORMAT: ClassVar[struct.Struct] = struct.Struct("<HIQI")

    reserved: int = spec_field("Reserved")
    gic_its_id: int = spec_field("GIC ITS ID")
    physical_base_address: int = spec_field("Physical Base Address", hex=True)
    reserved2: int = spec_field("Reserved")


@dataclass
class LocalApic(_Fixed):
    """Processor Local APIC structure (type 0x00, 8 bytes)."""

    TYPE: ClassVar[int] = SubtableType.LOCAL_APIC
    kind: ClassVar[str] = "Local APIC"
    _FORMAT: ClassVar[struct.Struct] = struct.Struct("<BBI")
    _FLAGS: ClassVar[dict[str, type[enum.IntFlag]]] = {"flags": LocalApicFlags}

    acpi_processor_uid: int = spec_field("ACPI Processor UID")
    apic_id: int = spec_field("APIC ID")
    flags: LocalApicFlags = spec_field("Flags", LocalApicFlags(0))


@dataclass
class LocalX2Apic(_Fixed):
    """Processor Local x2APIC structure (type 0x09, 16 bytes)."""

    TYPE: ClassVar[int] = SubtableType.LOCAL_X2APIC
    kind: ClassVar[str] = "Local x2APIC"
    _FORMAT: ClassVar[struct.Struct] = struct.Struct("<HIII")
    _FLAGS: ClassVar[dict[str, type[enum.IntFlag]]] = {"flags": LocalApicFlags}

    reserved: int = spec_field("Reserved")
    x2apic_id: int = spec_field("X2APIC ID")
    flags: LocalApicFlags = spec_field("Flags", LocalApicFlags(0))
    acpi_processor_uid: int = spec_field("ACPI Processor UID")


@dataclass
class RawSubtable:
    """Any structure not decoded here: Type and the whole raw structure (Type and Length included)."""

    kind: ClassVar[str] = "Raw"

    type: int = spec_field("Type", hex=True)
    raw: bytes = spec_field("Data", b"")

    def encode(self, length: int | None = None) -> bytes:
        return self.raw


Subtable = Union[Gicc, Gicd, Gicr, GicIts, LocalApic, LocalX2Apic, RawSubtable]
_FIXED: dict[int, type[_Fixed]] = {cls.TYPE: cls for cls in (Gicd, Gicr, GicIts, LocalApic, LocalX2Apic)}


def _subtable_name(kind: int) -> str:
    try:
        return SubtableType(kind).name
    except ValueError:
        return f"type {kind:#04x}"


@dataclass
class Madt(SystemTable):
    """The MADT: controller address, flags and interrupt controller structures."""

    header: SdtHeader
    local_interrupt_controller_address: int = spec_field("Local Interrupt Controller Address",
                                                         hex=True)
    flags: MadtFlags = spec_field("Flags", MadtFlags(0))
    subtables: list[Subtable] = field(default_factory=list)

    SIGNATURE = MADT_SIGNATURE

    @classmethod
    def new(cls, layout: MadtLayout = MadtLayout.ACPI_6_5, **fields) -> "Madt":
        """An empty MADT of the given layout's revision."""
        return cls(header=SdtHeader(MADT_SIGNATURE, revision=layout.revision), **fields)

    def of_type(self, kind: type) -> list:
        """The structures of one class, in table order (``madt.of_type(Gicc)``)."""
        return [s for s in self.subtables if isinstance(s, kind)]

    @property
    def giccs(self) -> list[Gicc]:
        return self.of_type(Gicc)

    @classmethod
    def decode(cls, data: bytes, *, lenient: bool = False) -> "Madt":
        header, body = split_table(data, MADT_SIGNATURE, lenient=lenient)
        if header.revision > MAX_KNOWN_REVISION and not lenient:
            raise TableError(MADT_SIGNATURE, 8,
                             f"unknown MADT revision {header.revision} (this decoder knows 1 to "
                             f"{MAX_KNOWN_REVISION}; the GICC layout depends on it)")
        if len(body) < MADT_FIXED_LENGTH:
            raise TableError(MADT_SIGNATURE, HEADER_LENGTH + len(body),
                             f"truncated: {len(body)} bytes after the header, the MADT needs "
                             f"{MADT_FIXED_LENGTH}")
        address, flags = struct.unpack_from("<II", body)
        subtables: list[Subtable] = []
        pos = MADT_FIXED_LENGTH
        index = 0
        while pos < len(body):
            where = HEADER_LENGTH + pos
            if pos + SUBTABLE_HEADER_LENGTH > len(body):
                raise TableError(MADT_SIGNATURE, where,
                                 f"truncated structure #{index}: 1 byte left, Type and Length need 2")
            kind, length = body[pos], body[pos + 1]
            name = _subtable_name(kind)
            if length < SUBTABLE_HEADER_LENGTH:
                raise TableError(MADT_SIGNATURE, where,
                                 f"structure #{index} ({name}) has length {length}")
            if pos + length > len(body):
                raise TableError(MADT_SIGNATURE, where,
                                 f"structure #{index} ({name}) of length {length} runs past the end "
                                 f"of the table ({len(body) - pos} bytes left)")
            raw = body[pos:pos + length]
            subtables.append(cls._decode_subtable(kind, raw, where, index, lenient))
            pos += length
            index += 1
        return cls(header=header, local_interrupt_controller_address=address,
                   flags=MadtFlags(flags), subtables=subtables)

    @staticmethod
    def _decode_subtable(kind: int, raw: bytes, where: int, index: int, lenient: bool) -> Subtable:
        name = _subtable_name(kind)
        if kind == SubtableType.GICC:
            if len(raw) in GICC_LENGTHS:
                return Gicc.decode(raw)
            expected = GICC_LENGTHS
        elif kind in _FIXED:
            if len(raw) == _FIXED[kind].length():
                return _FIXED[kind].decode(raw)
            expected = (_FIXED[kind].length(),)
        else:
            return RawSubtable(kind, raw)
        if lenient:
            return RawSubtable(kind, raw)
        raise TableError(MADT_SIGNATURE, where,
                         f"structure #{index} ({name}) has length {len(raw)}, expected "
                         f"{' or '.join(str(n) for n in expected)}")

    def gicc_length(self) -> int:
        """GICC length implied by this MADT's revision (82 from revision 6, else 80)."""
        if self.header.revision >= MadtLayout.ACPI_6_5.revision:
            return GICC_LENGTH_ACPI_6_5
        return GICC_LENGTH_ACPI_6_0

    def encode_body(self, layout: MadtLayout | None = None) -> bytes:
        out = bytearray(struct.pack("<II", self.local_interrupt_controller_address, int(self.flags)))
        default_gicc = layout.gicc_length if layout else self.gicc_length()
        for sub in self.subtables:
            if isinstance(sub, Gicc):
                out += sub.encode(default_gicc if layout or sub.length is None else sub.length)
            else:
                out += sub.encode()
        return bytes(out)

    def encode(self, layout: MadtLayout | None = None) -> bytes:
        """Encode; ``layout`` forces the revision and every GICC's length."""
        header = self.header
        if layout is not None:
            header = dataclasses.replace(header, revision=layout.revision)
        return build_table(header, self.encode_body(layout))
