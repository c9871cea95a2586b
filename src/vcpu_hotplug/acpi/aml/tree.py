"""The AML term tree: what the parser produces from a definition block, and what the builder makes.

It follows the grammar of ACPI 6.5 section 20.2 one node per term, so an ASL
printer can print any DSDT, an interpreter can compile it, and
:meth:`Node.encode` turns any tree back into AML: the one encoder, used by
the builder (:mod:`vcpu_hotplug.acpi.aml.builder`) and for parse -> encode,
which gives back the parsed bytes exactly (:meth:`DefinitionBlock.encode`).

Conventions (stable; the interpreter, the ASL printer and the builder rely on them):

- Every node has ``offset`` (byte offset of its first byte, its opcode or its
  name, counted from the start of the *table*, header included) and ``length``
  (its number of bytes). A child lies inside its parent, and the terms of a
  body (a TermList, a FieldList, a PackageElementList) tile the body exactly.
  Nodes the builder makes are not placed yet: their ``offset`` and ``length``
  are 0 and their ``path`` is ``""`` (parse the encoded bytes to place them).
- Encoding keeps every choice the parse saw (the Integer prefix, Package or
  VarPackage, a field's bit widths), so parse -> encode is byte-exact for a
  table whose PkgLengths and field lengths use the smallest form, as iasl's
  and QEMU's do. Two choices are left to the encoder, for the builder: an
  :class:`Integer` whose ``opcode`` is None (Zero, One, Ones or the smallest
  prefix, at the block's integer width), and the header's length and checksum.
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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from vcpu_hotplug.acpi.aml.encoding import (
    block_integer_width,
    current_integer_width,
    integer_bytes,
)
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
    ArgKind,
    FieldElementTag,
    LockRule,
    NameString,
    Opcode,
    Prefix,
    UpdateRule,
    encode_field_length,
    encode_pkg_length,
)
from vcpu_hotplug.acpi.errors import AmlError
from vcpu_hotplug.acpi.header import SdtHeader, build_table


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

    def encode(self) -> bytes:
        """This node's AML bytes (section 20.2).

        Integers left to the encoder take the width of the innermost
        :func:`~vcpu_hotplug.acpi.aml.encoding.integer_width` (64 bits outside
        any); :meth:`DefinitionBlock.encode` uses its revision's.
        """
        out = bytearray()
        self._emit(out, current_integer_width())
        return bytes(out)

    def _emit(self, out: bytearray, width: int) -> None:
        """Append this node's bytes to ``out``, integers at ``width`` bits."""
        raise AmlError(f"{type(self).__name__} has no AML encoding")


@dataclass(slots=True)
class Unparsed(Node):
    """The rest of a running method's TermList, from ``offset``, that did not parse with the
    namespace as it was: parsed again when execution reaches it (ACPICA and uACPI parse a
    method's terms as they run them). Only :func:`.parser.parse_method_terms` makes one."""

    error: AmlError | None = None


def _emit_all(nodes: Iterable[Node], out: bytearray, width: int) -> None:
    for node in nodes:
        node._emit(out, width)


def _emit_package(out: bytearray, opcode: Opcode, body: bytearray) -> None:
    """``opcode PkgLength body`` (section 20.2.4)."""
    out += opcode.encoding
    out += encode_pkg_length(len(body))
    out += body


def _check_byte(value: int, what: str) -> int:
    if not 0 <= value <= 0xFF:
        raise AmlError(f"{what} {value!r} does not fit a byte")
    return value


#: ``value`` of an :class:`Integer` that is ``Ones`` (an interpreter truncates it for a revision < 2 block).
ONES_VALUE = (1 << 64) - 1

#: Bytes of the data operands an :class:`Op` holds as Python ints.
_DATA_SIZES = {ArgKind.BYTE_DATA: 1, ArgKind.WORD_DATA: 2, ArgKind.DWORD_DATA: 4, ArgKind.QWORD_DATA: 8}


@dataclass(slots=True)
class Raw(Node):
    """Bytes put in the AML as they are: the builder's escape hatch; the parser never makes one."""

    data: bytes

    def _emit(self, out: bytearray, width: int) -> None:
        out += self.data


# ---------------------------------------------------------------------------
# Data objects (20.2.3)
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Integer(Node):
    """Zero, One, Ones, ByteConst, WordConst, DWordConst or QWordConst.

    ``Ones`` has ``value`` 0xFFFFFFFFFFFFFFFF; an interpreter truncates it
    to 32 bits for a definition block of revision < 2 (section 19.6.98).
    ``opcode`` None (the builder's integers) leaves the encoding to the
    encoder: Zero, One, Ones at the block's width, else the smallest prefix.
    """

    value: int
    opcode: Opcode | None

    @property
    def data_size(self) -> int:
        """Bytes of data after the prefix: 0 (Zero/One/Ones), 1, 2, 4 or 8 (a parsed integer)."""
        return INTEGER_DATA_SIZE[self.opcode]

    def _emit(self, out: bytearray, width: int) -> None:
        op = self.opcode
        if op is None:
            out += integer_bytes(self.value, width)
            return
        out += op.encoding
        size = INTEGER_DATA_SIZE[op]
        if size:
            out += self.value.to_bytes(size, "little")


@dataclass(slots=True)
class String(Node):
    """A String literal; ``value`` decoded as Latin-1 (AML strings are ASCII)."""

    value: str

    def _emit(self, out: bytearray, width: int) -> None:
        out += Opcode.STRING_PREFIX.encoding
        out += self.value.encode("latin-1")
        out.append(0)


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

    def _emit(self, out: bytearray, width: int) -> None:
        body = bytearray()
        self.size._emit(body, width)
        body += self.data
        _emit_package(out, Opcode.BUFFER, body)


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

    def _emit(self, out: bytearray, width: int) -> None:
        body = bytearray()
        if isinstance(self.count, Node):
            self.count._emit(body, width)
        else:
            body.append(_check_byte(self.count, "Package NumElements"))
        _emit_all(self.elements, body, width)
        _emit_package(out, self.opcode, body)


# ---------------------------------------------------------------------------
# Names used as values
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class NameRef(Node):
    """A NameString used as an operand: object reference or argument-less method call."""

    name: NameString

    def _emit(self, out: bytearray, width: int) -> None:
        out += self.name.encode()


@dataclass(slots=True)
class MethodCall(Node):
    """MethodInvocation: ``name`` resolved at parse time to ``path``, a method taking ``len(args)`` args (0-7)."""

    name: NameString
    path: str
    args: list[Node]

    def children(self) -> list[Node]:
        return list(self.args)

    def _emit(self, out: bytearray, width: int) -> None:
        out += self.name.encode()
        _emit_all(self.args, out, width)


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

    def _emit(self, out: bytearray, width: int) -> None:
        out += self.opcode.encoding
        for kind, arg in zip(self.opcode.info.args, self.args, strict=True):
            if arg is None:
                out.append(Prefix.NULL_NAME)
            elif isinstance(arg, Node):
                arg._emit(out, width)
            else:
                size = _DATA_SIZES.get(kind)
                if size is None or not 0 <= arg < 1 << (8 * size):
                    raise AmlError(f"{self.opcode.info.asl_name}: {arg!r} is not a {kind.value} operand")
                out += arg.to_bytes(size, "little")


@dataclass(slots=True)
class Predicated(Node):
    """If and While: a predicate, then a TermList (``body``); ``OPCODE`` says which."""

    predicate: Node
    body: list[Node]

    OPCODE: ClassVar[Opcode]

    def children(self) -> list[Node]:
        return [self.predicate, *self.body]

    def _emit(self, out: bytearray, width: int) -> None:
        body = bytearray()
        self.predicate._emit(body, width)
        _emit_all(self.body, body, width)
        _emit_package(out, self.OPCODE, body)


@dataclass(slots=True)
class If(Predicated):
    OPCODE = Opcode.IF


@dataclass(slots=True)
class Else(Node):
    body: list[Node]

    def children(self) -> list[Node]:
        return list(self.body)

    def _emit(self, out: bytearray, width: int) -> None:
        body = bytearray()
        _emit_all(self.body, body, width)
        _emit_package(out, Opcode.ELSE, body)


@dataclass(slots=True)
class While(Predicated):
    OPCODE = Opcode.WHILE


# ---------------------------------------------------------------------------
# Namespace modifiers and named objects (20.2.5.1, 20.2.5.2)
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Named(Node):
    """A term that declares (or, for Scope, opens) one namespace object."""

    name: NameString
    path: str


def _emit_named_package(out: bytearray, opcode: Opcode, node: Named, head: bytes, width: int) -> None:
    """``opcode PkgLength NameString head TermList``: Scope, Device, Method, Processor, ..."""
    body = bytearray(node.name.encode())
    body += head
    _emit_all(node.body, body, width)  # type: ignore[attr-defined]
    _emit_package(out, opcode, body)


@dataclass(slots=True)
class ObjectScope(Named):
    """Scope, Device and ThermalZone: a name, then a TermList (``body``); ``OPCODE`` says which."""

    body: list[Node]

    OPCODE: ClassVar[Opcode]

    def children(self) -> list[Node]:
        return list(self.body)

    def _emit(self, out: bytearray, width: int) -> None:
        _emit_named_package(out, self.OPCODE, self, b"", width)


@dataclass(slots=True)
class Scope(ObjectScope):
    OPCODE = Opcode.SCOPE


@dataclass(slots=True)
class Device(ObjectScope):
    OPCODE = Opcode.DEVICE


@dataclass(slots=True)
class ThermalZone(ObjectScope):
    OPCODE = Opcode.THERMAL_ZONE


@dataclass(slots=True)
class Processor(Named):
    """Processor (deprecated in ACPI 6.4, still parsed): ProcID, PblkAddr, PblkLen."""

    proc_id: int
    pblk_address: int
    pblk_length: int
    body: list[Node]

    def children(self) -> list[Node]:
        return list(self.body)

    def _emit(self, out: bytearray, width: int) -> None:
        head = bytes((self.proc_id,)) + self.pblk_address.to_bytes(4, "little") + bytes((self.pblk_length,))
        _emit_named_package(out, Opcode.PROCESSOR, self, head, width)


@dataclass(slots=True)
class PowerResource(Named):
    system_level: int
    resource_order: int
    body: list[Node]

    def children(self) -> list[Node]:
        return list(self.body)

    def _emit(self, out: bytearray, width: int) -> None:
        head = bytes((self.system_level,)) + self.resource_order.to_bytes(2, "little")
        _emit_named_package(out, Opcode.POWER_RES, self, head, width)


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

    def _emit(self, out: bytearray, width: int) -> None:
        _emit_named_package(out, Opcode.METHOD, self, bytes((self.flags,)), width)


@dataclass(slots=True)
class Name(Named):
    """``Name(name, value)``: ``value`` is a data object (a name in it is a :class:`NameRef`)."""

    value: Node

    def children(self) -> list[Node]:
        return [self.value]

    def _emit(self, out: bytearray, width: int) -> None:
        out += Opcode.NAME.encoding
        out += self.name.encode()
        self.value._emit(out, width)


@dataclass(slots=True)
class Alias(Named):
    """``Alias(source, name)``: ``name``/``path`` is the new alias, ``source`` the existing object."""

    source: NameString

    def _emit(self, out: bytearray, width: int) -> None:
        out += Opcode.ALIAS.encoding
        out += self.source.encode()
        out += self.name.encode()


@dataclass(slots=True)
class External(Named):
    """``External(name, type, argc)`` (ACPI 6.5 section 19.6.45); a declaration only."""

    object_type: int
    arg_count: int

    def _emit(self, out: bytearray, width: int) -> None:
        out += Opcode.EXTERNAL.encoding
        out += self.name.encode()
        out.append(self.object_type)
        out.append(self.arg_count)


@dataclass(slots=True)
class Mutex(Named):
    flags: int

    @property
    def sync_level(self) -> int:
        return self.flags & MUTEX_SYNC_LEVEL_MASK

    def _emit(self, out: bytearray, width: int) -> None:
        out += Opcode.MUTEX.encoding
        out += self.name.encode()
        out.append(self.flags)


@dataclass(slots=True)
class Event(Named):
    def _emit(self, out: bytearray, width: int) -> None:
        out += Opcode.EVENT.encoding
        out += self.name.encode()


@dataclass(slots=True)
class OperationRegion(Named):
    space: int
    region_offset: Node
    region_length: Node

    def children(self) -> list[Node]:
        return [self.region_offset, self.region_length]

    def _emit(self, out: bytearray, width: int) -> None:
        out += Opcode.OPERATION_REGION.encoding
        out += self.name.encode()
        out.append(self.space)
        self.region_offset._emit(out, width)
        self.region_length._emit(out, width)


@dataclass(slots=True)
class DataRegion(Named):
    """``DataTableRegion(name, signature, oem_id, oem_table_id)``."""

    signature: Node
    oem_id: Node
    oem_table_id: Node

    def children(self) -> list[Node]:
        return [self.signature, self.oem_id, self.oem_table_id]

    def _emit(self, out: bytearray, width: int) -> None:
        out += Opcode.DATA_REGION.encoding
        out += self.name.encode()
        _emit_all((self.signature, self.oem_id, self.oem_table_id), out, width)


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

    def _emit(self, out: bytearray, width: int) -> None:
        out += self.opcode.encoding
        _emit_all(self.children(), out, width)
        out += self.name.encode()


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

    def _emit(self, out: bytearray, width: int) -> None:
        out += self.name.encode("ascii")
        out += encode_field_length(self.bit_width)


@dataclass(slots=True)
class ReservedField(FieldElement):
    """``Offset()`` or an unnamed gap (``, n``): skips ``bit_width`` bits.

    A negative ``bit_width`` is an ``Offset()`` the builder was given that
    goes backwards: an error when encoded (there is no such AML).
    """

    bit_offset: int
    bit_width: int

    def _emit(self, out: bytearray, width: int) -> None:
        if self.bit_width < 0:
            to = self.bit_offset + self.bit_width
            raise AmlError(f"Offset({to // 8:#x}) goes backwards: the field list is "
                           f"already at bit {self.bit_offset} (byte {self.bit_offset / 8:g})")
        out.append(FieldElementTag.RESERVED)
        out += encode_field_length(self.bit_width)


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

    def _emit(self, out: bytearray, width: int) -> None:
        if self.access_length is None:
            out += bytes((FieldElementTag.ACCESS, self.access_type, self.attrib))
        else:
            out += bytes((FieldElementTag.EXTENDED_ACCESS, self.access_type, self.attrib,
                          self.access_length))


@dataclass(slots=True)
class Connection(FieldElement):
    """ConnectField: a resource given by name (``name``) or inline (``buffer``)."""

    name: NameString | None
    buffer: Buffer | None

    def children(self) -> list[Node]:
        return [self.buffer] if self.buffer is not None else []

    def _emit(self, out: bytearray, width: int) -> None:
        out.append(FieldElementTag.CONNECT)
        if self.buffer is not None:
            self.buffer._emit(out, width)
        else:
            out += self.name.encode()


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

    def _field_head(self, out: bytearray, width: int) -> Opcode:
        """Append what comes before the FieldFlags; return the opcode."""
        raise NotImplementedError

    def _emit(self, out: bytearray, width: int) -> None:
        body = bytearray()
        opcode = self._field_head(body, width)
        body.append(self.flags)
        _emit_all(self.elements, body, width)
        _emit_package(out, opcode, body)


@dataclass(slots=True)
class Field(FieldBase):
    """``Field(region, flags) {elements}``: ``region`` as written (the interpreter resolves it)."""

    region: NameString

    def _field_head(self, out: bytearray, width: int) -> Opcode:
        out += self.region.encode()
        return Opcode.FIELD


@dataclass(slots=True)
class IndexField(FieldBase):
    index_name: NameString
    data_name: NameString

    def _field_head(self, out: bytearray, width: int) -> Opcode:
        out += self.index_name.encode()
        out += self.data_name.encode()
        return Opcode.INDEX_FIELD


@dataclass(slots=True)
class BankField(FieldBase):
    region: NameString
    bank_name: NameString
    bank_value: Node

    def children(self) -> list[Node]:
        return [self.bank_value, *self.elements]

    def _field_head(self, out: bytearray, width: int) -> Opcode:
        out += self.region.encode()
        out += self.bank_name.encode()
        self.bank_value._emit(out, width)
        return Opcode.BANK_FIELD


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
        return block_integer_width(self.header.revision)

    def children(self) -> list[Node]:
        return list(self.body)

    def encode_body(self) -> bytes:
        """The AML of the top-level terms (the table without its header)."""
        out = bytearray()
        _emit_all(self.body, out, self.integer_width)
        return bytes(out)

    def encode(self) -> bytes:
        """The whole table: the header (length and checksum computed) and the AML."""
        h = self.header
        header = SdtHeader(signature=h.signature, revision=h.revision, oem_id=h.oem_id,
                           oem_table_id=h.oem_table_id, oem_revision=h.oem_revision,
                           creator_id=h.creator_id, creator_revision=h.creator_revision)
        return build_table(header, self.encode_body())


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (itself included), depth first, in byte order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children()))


__all__ = [
    "ONES_VALUE", "AccessAs", "AccessType", "Alias", "BankField", "Buffer", "Connection", "CreateField",
    "DataRegion", "DefinitionBlock", "Device", "Else", "Event", "External", "Field", "FieldBase",
    "FieldElement", "FieldFlags", "If", "IndexField", "Integer", "LockRule", "Method", "MethodCall",
    "Mutex", "Name", "NameRef", "NameString", "Named", "NamedField", "Node", "ObjectScope", "Op",
    "OperationRegion", "Package", "PowerResource", "Predicated", "Processor", "Raw", "ReservedField",
    "Scope", "String", "TableHeader", "ThermalZone", "UpdateRule", "While", "walk",
]
