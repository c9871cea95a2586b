"""Processor Properties Topology Table, signature ``PPTT`` (ACPI 6.5 section 5.2.30).

After the SDT header come structures, each with u8 Type, u8 Length and u16
Reserved:

* Processor Hierarchy Node (type 0, 5.2.30.1): u32 Flags @4, u32 Parent @8
  (table offset of the parent node, 0 for none), u32 ACPI Processor ID @12,
  u32 Number of Private Resources @16, then that many u32 table offsets of
  private resources (cache nodes) @20;
* Cache Type Structure (type 1, 5.2.30.2): u32 Flags @4, u32 Next Level of
  Cache @8, u32 Size @12, u32 Number of sets @16, u8 Associativity @20,
  u8 Attributes @21, u16 Line size @22, and from PPTT revision 3 (ACPI 6.4)
  u32 Cache ID @24 (length 28 instead of 24);
* anything else is a :class:`RawStructure`.

Revision policy: every structure carries its own Length, so any PPTT
revision decodes by those lengths (a cache structure of 24 bytes is the
revision 2 layout, 28 bytes revision 3); an unexpected length is a
:class:`TableError`.

Nodes refer to each other by table offset; :meth:`Pptt.add` appends a
node and returns its offset, :meth:`Pptt.offsets` lists them all, so a
builder can link children to parents before encoding.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import ClassVar, Union

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.fields import spec_field
from vcpu_hotplug.acpi.header import HEADER_LENGTH, SdtHeader, SystemTable, split_table

PPTT_SIGNATURE = "PPTT"
PPTT_REVISION = 3
"""PPTT revision of ACPI 6.4/6.5."""
STRUCTURE_HEADER_LENGTH = 4
PROCESSOR_NODE_LENGTH = 20
"""Length of a processor hierarchy node without private resources."""
PRIVATE_RESOURCE_SIZE = 4
CACHE_LENGTH_REV2 = 24
CACHE_LENGTH_REV3 = 28


class PpttType(enum.IntEnum):
    PROCESSOR = 0
    CACHE = 1
    ID = 2


class ProcessorFlags(enum.IntFlag):
    """Processor Structure Flags (Table 5.158)."""

    PHYSICAL_PACKAGE = 1 << 0
    ACPI_PROCESSOR_ID_VALID = 1 << 1
    PROCESSOR_IS_A_THREAD = 1 << 2
    NODE_IS_A_LEAF = 1 << 3
    IDENTICAL_IMPLEMENTATION = 1 << 4


class CacheFlags(enum.IntFlag):
    """Cache Structure Flags (Table 5.160)."""

    SIZE_VALID = 1 << 0
    NUMBER_OF_SETS_VALID = 1 << 1
    ASSOCIATIVITY_VALID = 1 << 2
    ALLOCATION_TYPE_VALID = 1 << 3
    CACHE_TYPE_VALID = 1 << 4
    WRITE_POLICY_VALID = 1 << 5
    LINE_SIZE_VALID = 1 << 6
    CACHE_ID_VALID = 1 << 7


@dataclass
class ProcessorNode:
    """Processor Hierarchy Node (type 0)."""

    kind: ClassVar[str] = "Processor Hierarchy Node"
    _FORMAT: ClassVar[struct.Struct] = struct.Struct("<BBHIIII")

    flags: ProcessorFlags = spec_field("Flags", ProcessorFlags(0))
    parent: int = spec_field("Parent", hex=True)
    acpi_processor_id: int = spec_field("ACPI Processor ID")
    private_resources: list[int] = spec_field("Private Resources", [], hex=True)
    reserved: int = spec_field("Reserved")

    @property
    def length(self) -> int:
        return PROCESSOR_NODE_LENGTH + PRIVATE_RESOURCE_SIZE * len(self.private_resources)

    @classmethod
    def decode(cls, raw: bytes, where: int) -> "ProcessorNode":
        if len(raw) < PROCESSOR_NODE_LENGTH:
            raise TableError(PPTT_SIGNATURE, where, f"processor hierarchy node has length {len(raw)}, "
                             f"needs at least {PROCESSOR_NODE_LENGTH}")
        _, _, reserved, flags, parent, uid, count = cls._FORMAT.unpack_from(raw)
        need = PROCESSOR_NODE_LENGTH + PRIVATE_RESOURCE_SIZE * count
        if need != len(raw):
            raise TableError(PPTT_SIGNATURE, where + PROCESSOR_NODE_LENGTH - 4,
                             f"processor hierarchy node lists {count} private resources "
                             f"({need} bytes) but has length {len(raw)}")
        resources = list(struct.unpack_from(f"<{count}I", raw, PROCESSOR_NODE_LENGTH))
        return cls(ProcessorFlags(flags), parent, uid, resources, reserved)

    def encode(self) -> bytes:
        return (self._FORMAT.pack(PpttType.PROCESSOR, self.length, self.reserved, int(self.flags),
                                  self.parent, self.acpi_processor_id, len(self.private_resources))
                + struct.pack(f"<{len(self.private_resources)}I", *self.private_resources))


@dataclass
class CacheNode:
    """Cache Type Structure (type 1). ``cache_id`` None = the 24-byte revision 2 layout."""

    kind: ClassVar[str] = "Cache Type Structure"
    _FORMAT: ClassVar[struct.Struct] = struct.Struct("<BBHIIIIBBH")

    flags: CacheFlags = spec_field("Flags", CacheFlags(0))
    next_level_of_cache: int = spec_field("Next Level of Cache", hex=True)
    size: int = spec_field("Size", hex=True)
    number_of_sets: int = spec_field("Number of sets")
    associativity: int = spec_field("Associativity")
    attributes: int = spec_field("Attributes", hex=True)
    line_size: int = spec_field("Line size")
    cache_id: int | None = spec_field("Cache ID", None)
    reserved: int = spec_field("Reserved")

    @property
    def length(self) -> int:
        return CACHE_LENGTH_REV2 if self.cache_id is None else CACHE_LENGTH_REV3

    @classmethod
    def decode(cls, raw: bytes, where: int) -> "CacheNode":
        if len(raw) not in (CACHE_LENGTH_REV2, CACHE_LENGTH_REV3):
            raise TableError(PPTT_SIGNATURE, where, f"cache type structure has length {len(raw)}, "
                             f"expected {CACHE_LENGTH_REV2} or {CACHE_LENGTH_REV3}")
        _, _, reserved, flags, nxt, size, sets, assoc, attrs, line = cls._FORMAT.unpack_from(raw)
        cache_id = (struct.unpack_from("<I", raw, CACHE_LENGTH_REV2)[0]
                    if len(raw) == CACHE_LENGTH_REV3 else None)
        return cls(CacheFlags(flags), nxt, size, sets, assoc, attrs, line, cache_id, reserved)

    def encode(self) -> bytes:
        out = self._FORMAT.pack(PpttType.CACHE, self.length, self.reserved, int(self.flags),
                                self.next_level_of_cache, self.size, self.number_of_sets,
                                self.associativity, self.attributes, self.line_size)
        return out if self.cache_id is None else out + struct.pack("<I", self.cache_id)


@dataclass
class RawStructure:
    """Any other PPTT structure (e.g. the deprecated ID structure), whole and raw."""

    kind: ClassVar[str] = "Raw"

    type: int = spec_field("Type")
    raw: bytes = spec_field("Data", b"")

    @property
    def length(self) -> int:
        return len(self.raw)

    def encode(self) -> bytes:
        return self.raw


PpttNode = Union[ProcessorNode, CacheNode, RawStructure]


@dataclass
class Pptt(SystemTable):
    """The PPTT: a list of nodes linked by table offsets."""

    header: SdtHeader
    nodes: list[PpttNode] = field(default_factory=list)

    SIGNATURE = PPTT_SIGNATURE

    @classmethod
    def new(cls, revision: int = PPTT_REVISION) -> "Pptt":
        return cls(header=SdtHeader(PPTT_SIGNATURE, revision=revision))

    def offsets(self) -> list[int]:
        """Table offset of every node, in order (what Parent and Private Resources hold)."""
        out = []
        pos = HEADER_LENGTH
        for node in self.nodes:
            out.append(pos)
            pos += node.length
        return out

    def add(self, node: PpttNode) -> int:
        """Append ``node`` and return its table offset, for children to use as parent."""
        offset = HEADER_LENGTH + sum(n.length for n in self.nodes)
        self.nodes.append(node)
        return offset

    def node_at(self, offset: int) -> PpttNode:
        """The node at a table offset (KeyError if none starts there)."""
        for off, node in zip(self.offsets(), self.nodes):
            if off == offset:
                return node
        raise KeyError(f"no PPTT node at offset {offset:#x}")

    def processors(self) -> list[ProcessorNode]:
        return [n for n in self.nodes if isinstance(n, ProcessorNode)]

    @classmethod
    def decode(cls, data: bytes, *, lenient: bool = False) -> "Pptt":
        header, body = split_table(data, PPTT_SIGNATURE, lenient=lenient)
        nodes: list[PpttNode] = []
        pos = 0
        index = 0
        while pos < len(body):
            where = HEADER_LENGTH + pos
            if pos + 2 > len(body):
                raise TableError(PPTT_SIGNATURE, where,
                                 f"truncated structure #{index}: 1 byte left, Type and Length need 2")
            kind, length = body[pos], body[pos + 1]
            if length < STRUCTURE_HEADER_LENGTH:
                raise TableError(PPTT_SIGNATURE, where, f"structure #{index} (type {kind}) has length {length}")
            if pos + length > len(body):
                raise TableError(PPTT_SIGNATURE, where,
                                 f"structure #{index} (type {kind}) of length {length} runs past the "
                                 f"end of the table ({len(body) - pos} bytes left)")
            raw = body[pos:pos + length]
            if kind == PpttType.PROCESSOR:
                nodes.append(ProcessorNode.decode(raw, where))
            elif kind == PpttType.CACHE:
                nodes.append(CacheNode.decode(raw, where))
            else:
                nodes.append(RawStructure(kind, raw))
            pos += length
            index += 1
        return cls(header=header, nodes=nodes)

    def encode_body(self) -> bytes:
        return b"".join(node.encode() for node in self.nodes)
