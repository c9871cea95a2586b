"""The AML term tree: what the parser produces from a definition block.

It follows the grammar of ACPI 6.5 section 20.2 one node per term, so an ASL
printer can print any DSDT and an interpreter can compile it.

Conventions (stable; the interpreter, the ASL printer and the builder rely on them):

- Every node has ``offset`` (byte offset of its first byte, its opcode or its
  name, counted from the start of the *table*, header included) and ``length``
  (its number of bytes). A child lies inside its parent, and the terms of a
  body (a TermList, a FieldList, a PackageElementList) tile the body exactly.
- ``body`` lists are in AML order. ``Else`` is *not* folded into the ``If`` it
  follows: it is the next term of the same list, as in the byte stream
  (ACPICA does the same); an interpreter runs an ``Else`` only right after an
  ``If`` whose predicate was false.
- Names are :class:`~vcpu_hotplug.acpi.aml.opcodes.NameString` values, raw
  (root/parent prefixes kept, 4-char segments with their ``_`` padding).
  ``str(name)`` gives ``"\\\\_SB_.PCI0"``. Names of the objects a node declares
  are in ``name``; their resolved absolute path (after the scope rules of the
  parse) in ``path`` (``"\\\\_SB_.PCI0.S00_"``), usable as a namespace key.
- Operands are child nodes in grammar order. A ``Target`` that is the
  NullName (omitted in ASL) is ``None`` (so is a NullName SuperName, which
  ACPICA's parser accepts too; an interpreter rejects it).
- :class:`Op` is every operator with no dedicated class: all Type1/Type2
  opcodes other than those below, plus LocalX, ArgX, Debug, Revision, Timer,
  Noop, Break, ... (no operands). Its ``args`` hold the operands in grammar
  order (:attr:`OpInfo.operands <vcpu_hotplug.acpi.aml.opcodes.OpInfo.operands>`):
  a node for TermArg, SuperName, SimpleName and Target (None if NullName), a
  Python ``int`` for ByteData/WordData/DWordData (``Acquire``'s timeout,
  ``Match``'s MatchOpcode bytes, ``Fatal``'s type and code), a
  :class:`NameRef` for a NameString operand (``Load``).
- A name in a TermArg or statement position that resolved to a method at
  parse time is a :class:`MethodCall` (``args`` are the argument terms, maybe
  none). Any other name used as a value is a :class:`NameRef`: an object
  reference, or a method the parse did not know (the interpreter decides from
  the object it finds at run time). A SuperName or Target may be a
  :class:`MethodCall` too (``Release (M000 (2))``), as in ACPICA, except the
  operand of RefOf/CondRefOf/ObjectType and a SimpleName; package elements
  are always :class:`NameRef`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from vcpu_hotplug.acpi.aml.opcodes import (
    FIELD_ACCESS_MASK,
    FIELD_LOCK_SHIFT,
    FIELD_UPDATE_MASK,
    FIELD_UPDATE_SHIFT,
    INTEGER_DATA_SIZE,
    METHOD_ARG_COUNT_MASK,
    METHOD_SERIALIZED_BIT,
    METHOD_SYNC_LEVEL_SHIFT,
    MUTEX_SYNC_LEVEL_MASK,
    AccessType,
    LockRule,
    NameString,
    Opcode,
    UpdateRule,
)


@dataclass(slots=True)
class Node:
    """Base of every tree node: where it is in the table."""

    offset: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length

    def children(self) -> list[Node]:
        """Direct child nodes, in byte order (operands, then body)."""
        return []


# ---------------------------------------------------------------------------
# Data objects (20.2.3)
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Integer(Node):
    """Zero, One, Ones, ByteConst, WordConst, DWordConst or QWordConst.

    ``Ones`` has ``value`` 0xFFFFFFFFFFFFFFFF; an interpreter truncates it
    to 32 bits for a definition block of revision < 2 (section 19.6.98).
    """

    value: int
    opcode: Opcode

    @property
    def data_size(self) -> int:
        """Bytes of data after the prefix: 0 (Zero/One/Ones), 1, 2, 4 or 8."""
        return INTEGER_DATA_SIZE[self.opcode]


@dataclass(slots=True)
class String(Node):
    """A String literal; ``value`` decoded as Latin-1 (AML strings are ASCII)."""

    value: str


@dataclass(slots=True)
class Buffer(Node):
    """``Buffer(size) {data}``: ``size`` is the BufferSize term, ``data`` the initializer bytes.

    The buffer's size is the value of ``size``; ``data`` may be shorter (zero
    fill) but not longer (section 19.6.10). ``data_offset`` is where ``data``
    starts in the table.
    """

    size: Node
    data: bytes
    data_offset: int

    def children(self) -> list[Node]:
        return [self.size]


@dataclass(slots=True)
class Package(Node):
    """Package or VarPackage.

    ``count`` is the NumElements byte (``int``) for a Package, the
    VarNumElements term (a node) for a VarPackage (``opcode`` says which).
    ``elements`` are data objects or :class:`NameRef` (names in a package are
    references, never method calls).
    """

    opcode: Opcode
    count: int | Node
    elements: list[Node]

    def children(self) -> list[Node]:
        head = [self.count] if isinstance(self.count, Node) else []
        return head + self.elements


# ---------------------------------------------------------------------------
# Names used as values
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class NameRef(Node):
    """A NameString used as an operand: object reference or argument-less method call."""

    name: NameString


@dataclass(slots=True)
class MethodCall(Node):
    """MethodInvocation: ``name`` resolved at parse time to ``path``, a method taking ``len(args)`` args (0-7)."""

    name: NameString
    path: str
    args: list[Node]

    def children(self) -> list[Node]:
        return list(self.args)


# ---------------------------------------------------------------------------
# Operators
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Op(Node):
    """Any operator without a dedicated class; see the module docstring for ``args``."""

    opcode: Opcode
    args: list[Node | int | None]

    def children(self) -> list[Node]:
        return [a for a in self.args if isinstance(a, Node)]


@dataclass(slots=True)
class If(Node):
    predicate: Node
    body: list[Node]

    def children(self) -> list[Node]:
        return [self.predicate, *self.body]


@dataclass(slots=True)
class Else(Node):
    body: list[Node]

    def children(self) -> list[Node]:
        return list(self.body)


@dataclass(slots=True)
class While(Node):
    predicate: Node
    body: list[Node]

    def children(self) -> list[Node]:
        return [self.predicate, *self.body]


# ---------------------------------------------------------------------------
# Namespace modifiers and named objects (20.2.5.1, 20.2.5.2)
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Named(Node):
    """A term that declares (or, for Scope, opens) one namespace object."""

    name: NameString
    path: str


@dataclass(slots=True)
class Scope(Named):
    body: list[Node]

    def children(self) -> list[Node]:
        return list(self.body)


@dataclass(slots=True)
class Device(Named):
    body: list[Node]

    def children(self) -> list[Node]:
        return list(self.body)


@dataclass(slots=True)
class ThermalZone(Named):
    body: list[Node]

    def children(self) -> list[Node]:
        return list(self.body)


@dataclass(slots=True)
class Processor(Named):
    """Processor (deprecated in ACPI 6.4, still parsed): ProcID, PblkAddr, PblkLen."""

    proc_id: int
    pblk_address: int
    pblk_length: int
    body: list[Node]

    def children(self) -> list[Node]:
        return list(self.body)


@dataclass(slots=True)
class PowerResource(Named):
    system_level: int
    resource_order: int
    body: list[Node]

    def children(self) -> list[Node]:
        return list(self.body)


@dataclass(slots=True)
class Method(Named):
    """``Method``: ``flags`` is the MethodFlags byte; see the properties."""

    flags: int
    body: list[Node]
    body_offset: int

    @property
    def arg_count(self) -> int:
        return self.flags & METHOD_ARG_COUNT_MASK

    @property
    def serialized(self) -> bool:
        return bool(self.flags & METHOD_SERIALIZED_BIT)

    @property
    def sync_level(self) -> int:
        return self.flags >> METHOD_SYNC_LEVEL_SHIFT

    def children(self) -> list[Node]:
        return list(self.body)


@dataclass(slots=True)
class Name(Named):
    """``Name(name, value)``: ``value`` is a data object (a name in it is a :class:`NameRef`)."""

    value: Node

    def children(self) -> list[Node]:
        return [self.value]


@dataclass(slots=True)
class Alias(Named):
    """``Alias(source, name)``: ``name``/``path`` is the new alias, ``source`` the existing object."""

    source: NameString


@dataclass(slots=True)
class External(Named):
    """``External(name, type, argc)`` (ACPI 6.5 section 19.6.45); a declaration only."""

    object_type: int
    arg_count: int


@dataclass(slots=True)
class Mutex(Named):
    flags: int

    @property
    def sync_level(self) -> int:
        return self.flags & MUTEX_SYNC_LEVEL_MASK


@dataclass(slots=True)
class Event(Named):
    pass


@dataclass(slots=True)
class OperationRegion(Named):
    space: int
    region_offset: Node
    region_length: Node

    def children(self) -> list[Node]:
        return [self.region_offset, self.region_length]


@dataclass(slots=True)
class DataRegion(Named):
    """``DataTableRegion(name, signature, oem_id, oem_table_id)``."""

    signature: Node
    oem_id: Node
    oem_table_id: Node

    def children(self) -> list[Node]:
        return [self.signature, self.oem_id, self.oem_table_id]


@dataclass(slots=True)
class CreateField(Named):
    """CreateBit/Byte/Word/DWord/QWordField and CreateField.

    ``index`` is the bit index (CreateBitField, CreateField) or byte index
    (the others); ``width`` is the NumBits term of CreateField, else None
    (the width is :data:`~vcpu_hotplug.acpi.aml.opcodes.CREATE_FIELD_BITS`).
    ``name``/``path`` is the new buffer field.
    """

    opcode: Opcode
    source: Node
    index: Node
    width: Node | None

    def children(self) -> list[Node]:
        kids = [self.source, self.index]
        if self.width is not None:
            kids.append(self.width)
        return kids


# ---------------------------------------------------------------------------
# Fields (20.2.5.2 FieldList)
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class FieldElement(Node):
    """Base of the elements of a FieldList."""


@dataclass(slots=True)
class NamedField(FieldElement):
    """A named field unit: ``bit_offset`` from the start of the field list, ``bit_width`` bits."""

    name: str
    path: str
    bit_offset: int
    bit_width: int


@dataclass(slots=True)
class ReservedField(FieldElement):
    """``Offset()`` or an unnamed gap (``, n``): skips ``bit_width`` bits."""

    bit_offset: int
    bit_width: int


@dataclass(slots=True)
class AccessAs(FieldElement):
    """AccessField (0x01) or ExtendedAccessField (0x03).

    ``access_type`` is the AccessType byte (bits 0-3 the access type, bits
    6-7 the attribute kind), ``attrib`` the AccessAttrib byte, ``access_length``
    the AccessLength byte of the extended form (None for the short form).
    """

    access_type: int
    attrib: int
    access_length: int | None

    @property
    def access(self) -> int:
        return self.access_type & FIELD_ACCESS_MASK


@dataclass(slots=True)
class Connection(FieldElement):
    """ConnectField: a resource given by name (``name``) or inline (``buffer``)."""

    name: NameString | None
    buffer: Buffer | None

    def children(self) -> list[Node]:
        return [self.buffer] if self.buffer is not None else []


@dataclass(slots=True)
class FieldFlags:
    """Decoded FieldFlags byte (section 20.2.5.2)."""

    raw: int

    @property
    def access(self) -> int:
        """AccessType value (:class:`AccessType` when in range)."""
        return self.raw & FIELD_ACCESS_MASK

    @property
    def lock(self) -> bool:
        return (self.raw >> FIELD_LOCK_SHIFT) & 1 == LockRule.LOCK

    @property
    def update(self) -> int:
        """UpdateRule value (:class:`UpdateRule` when in range)."""
        return (self.raw >> FIELD_UPDATE_SHIFT) & FIELD_UPDATE_MASK


@dataclass(slots=True)
class FieldBase(Node):
    """Common part of Field, IndexField and BankField: ``flags`` and ``elements``."""

    flags: int
    elements: list[FieldElement]

    @property
    def field_flags(self) -> FieldFlags:
        return FieldFlags(self.flags)

    def children(self) -> list[Node]:
        return list(self.elements)


@dataclass(slots=True)
class Field(FieldBase):
    """``Field(region, flags) {elements}``: ``region`` as written (the interpreter resolves it)."""

    region: NameString


@dataclass(slots=True)
class IndexField(FieldBase):
    index_name: NameString
    data_name: NameString


@dataclass(slots=True)
class BankField(FieldBase):
    region: NameString
    bank_name: NameString
    bank_value: Node

    def children(self) -> list[Node]:
        return [self.bank_value, *self.elements]


# ---------------------------------------------------------------------------
# The definition block
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class TableHeader:
    """The 36-byte table header that starts every definition block (section 5.2.6)."""

    signature: str
    length: int
    revision: int
    checksum: int
    oem_id: str
    oem_table_id: str
    oem_revision: int
    creator_id: str
    creator_revision: int


@dataclass(slots=True)
class DefinitionBlock(Node):
    """A whole DSDT or SSDT: its header, its top-level terms, and what the parse learnt.

    ``objects`` maps the absolute path of every named object the block
    declares outside method bodies (External declarations excluded) to its
    argument count if it is a method, else None; ``methods`` keeps the
    methods only. Pass ``objects`` (merged with those of the blocks before)
    as ``known`` to the parse of the next block (an SSDT after the DSDT).
    """

    header: TableHeader
    body: list[Node]
    objects: dict[str, int | None] = field(default_factory=dict)
    #: The table's bytes (header included), for re-parsing a method body later.
    data: bytes = field(default=b"", repr=False)

    @property
    def methods(self) -> dict[str, int]:
        return {p: n for p, n in self.objects.items() if n is not None}

    @property
    def integer_width(self) -> int:
        """Integer size in bits for this block: 32 for revision < 2, else 64 (section 19.6.98)."""
        return 32 if self.header.revision < 2 else 64

    def children(self) -> list[Node]:
        return list(self.body)


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (itself included), depth first, in byte order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children()))


__all__ = [
    "AccessAs", "AccessType", "Alias", "BankField", "Buffer", "Connection", "CreateField",
    "DataRegion", "DefinitionBlock", "Device", "Else", "Event", "External", "Field", "FieldBase",
    "FieldElement", "FieldFlags", "If", "IndexField", "Integer", "LockRule", "Method", "MethodCall",
    "Mutex", "Name", "NameRef", "NameString", "Named", "NamedField", "Node", "Op", "OperationRegion",
    "Package", "PowerResource", "Processor", "ReservedField", "Scope", "String", "TableHeader",
    "ThermalZone", "UpdateRule", "While", "walk",
]
