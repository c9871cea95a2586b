"""Build AML from Python that reads like ASL (ACPI 6.5 chapters 19 and 20).

Two ways to write the same thing; both produce nodes of the AML term tree
(:mod:`vcpu_hotplug.acpi.aml.tree`, the tree the parser produces), whose
:meth:`~vcpu_hotplug.acpi.aml.tree.Node.encode` gives the AML bytes: the
builder has no encoder of its own, so what it makes and what the parser
reads are encoded by the same code. The nodes it makes are not placed yet
(``offset``/``length`` 0, ``path`` ""); parse the encoded table for those.

1. *Term tree*: constructors named like the ASL operators, with the same
   argument order (``Store(Arg0, "\\\\_SB.PRES.CSEL")``, ``If(LEqual(Local0, One),
   Return(0x0F))``, ``Method("_STA", 0, Return(Call("CSTA", 1)),
   serialized=True)``). Containers take their terms as trailing positional
   arguments and also have ``add(*terms)``.
2. *Context style* on :class:`DefinitionBlock`, where ``with`` opens a
   container and every term made by the block's methods (or given to
   :meth:`DefinitionBlock.add`) goes into the innermost open one::

       dsdt = DefinitionBlock("DSDT", revision=2, oem_id="VCPUHP", oem_table_id="VIRTARM")
       with dsdt.scope("\\\\_SB"):
           with dsdt.device("C001"):
               dsdt.name("_HID", "ACPI0007")
               dsdt.name("_UID", 1)
               with dsdt.method("_STA", 0):
                   dsdt.return_(dsdt.call("\\\\_SB.CSTA", 1))
       data = dsdt.encode()        # the whole table: header, checksum, AML

Operand conventions (one rule, no guessing):

* where ASL wants a *TermArg* (any value), a Python ``int`` is an integer
  (encoded as iasl does: ``Zero``, ``One``, ``Ones``, then the smallest of
  ByteConst/WordConst/DWordConst/QWordConst), a ``str`` is a **string
  literal**, ``bytes`` a Buffer, a ``list``/``tuple`` a Package; a *name*
  used as a value must be written :class:`NameRef` (``NameRef("CSEL")``) and
  a method call :func:`Call`;
* where ASL wants a *SuperName*, *SimpleName*, *Target* or a *NameString*
  (store destinations, ``Notify``'s object, mutexes, declared names) a
  ``str`` is a **name path** (``"CPEN"``, ``"\\\\_SB.PRES.CSEL"``, ``"^CSTA"``);
  ``None`` as a Target is the NullName (result discarded).

Beware: ``Store("CSEL", Local0)`` stores the *string* "CSEL"; the field is
``Store(NameRef("CSEL"), Local0)``. Storing *into* a name needs no NameRef:
``Store(Local0, "CSEL")``.

A register block, a GED and a processor device, as the VMM writes them
(``tests/aml/builder_sample.py`` has QEMU's whole CPU hotplug AML)::

    from vcpu_hotplug.acpi.aml import builder as b
    from vcpu_hotplug.acpi.aml.eisaid import EisaId
    from vcpu_hotplug.acpi.aml.resources import Interrupt, Memory32Fixed, ResourceTemplate

    with dsdt.device("PRES"):
        dsdt.name("_HID", EisaId("PNP0A06"))
        dsdt.mutex("CPLK", 0)
        dsdt.name("_CRS", ResourceTemplate(Memory32Fixed(0x090C0000, 0x0C)))
        dsdt.operation_region("PRST", "SystemMemory", 0x090C0000, 0x0C)
        dsdt.field("PRST", "ByteAcc", "NoLock", "WriteAsZeros",
                   b.Offset(4), ("CPEN", 1), ("CINS", 1), ("CRMV", 1), ("CEJ0", 1),
                   b.Offset(5), ("CCMD", 8))
    with dsdt.device("GED"):
        dsdt.name("_HID", "ACPI0013")
        dsdt.name("_CRS", ResourceTemplate(Interrupt([0x29])))
        with dsdt.method("_EVT", 1, serialized=True):
            with dsdt.if_(b.LEqual(b.And(b.NameRef("ESEL"), 8), 8)):
                dsdt.invoke("\\\\_SB.CPUS.CSCN")
    with dsdt.device("C001"):
        dsdt.name("_HID", "ACPI0007")
        dsdt.name("_UID", 1)
        with dsdt.method("_STA", 0, serialized=True):
            dsdt.return_(dsdt.call("CSTA", 1))
        with dsdt.method("_EJ0", 1):
            dsdt.invoke("CEJ0", 1)

Integers of a revision-1 definition block are 32-bit (section 19.6.98): inside
:meth:`DefinitionBlock.encode` ``Ones`` is 0xFFFFFFFF and a larger value is an
:class:`AmlError` (an integer's encoding is chosen when it is encoded, so the
same term encodes for either width). Names are validated when a term is made (1-4 characters of
``A-Z 0-9 _``, not starting with a digit), so an error points at the line that
made the bad name. Resource templates are in
:mod:`vcpu_hotplug.acpi.aml.resources`; EISA ids in
:mod:`vcpu_hotplug.acpi.aml.eisaid`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Union

from vcpu_hotplug.acpi.aml import tree as _t
from vcpu_hotplug.acpi.aml.encoding import (
    INTEGER_WIDTH_32,
    INTEGER_WIDTH_64,
    block_integer_width,
    integer_width,
    name_path,
)
from vcpu_hotplug.acpi.aml.keywords import (
    ACCESS_ATTRIB_KEYWORDS,
    ACCESS_TYPE_KEYWORDS,
    EXTENDED_ACCESS_ATTRIB_KEYWORDS,
    LOCK_RULE_KEYWORDS,
    MATCH_OPERATOR_KEYWORDS,
    OBJECT_TYPE_KEYWORDS,
    REGION_SPACE_KEYWORDS,
    UPDATE_RULE_KEYWORDS,
    lookup,
)
from vcpu_hotplug.acpi.aml.opcodes import (
    ARG_COUNT,
    FIELD_LOCK_SHIFT,
    FIELD_UPDATE_SHIFT,
    LOCAL_COUNT,
    METHOD_ARG_COUNT_MASK,
    METHOD_SERIALIZED_BIT,
    METHOD_SYNC_LEVEL_SHIFT,
    MUTEX_SYNC_LEVEL_MASK,
    AccessType,
    LockRule,
    MatchOperator,
    ObjectType as ObjectTypeValue,
    Opcode,
    RegionSpace,
    UpdateRule,
    check_name_seg,
)
from vcpu_hotplug.acpi.errors import AmlError

_BYTE_MAX = 0xFF
_WORD_MAX = 0xFFFF
_DWORD_MAX = 0xFFFF_FFFF
_QWORD_MAX = 0xFFFF_FFFF_FFFF_FFFF
_PACKAGE_COUNT_MAX = 0xFF
_SYNC_LEVEL_MAX = 15
_ACQUIRE_TIMEOUT_MAX = 0xFFFF
"""Acquire/Wait timeout that means "wait forever" (>= 0xFFFF, section 19.6.1)."""
_UNRESOLVED = ""
"""The ``path`` of a named node the builder makes: resolved only by a parse."""

# ---------------------------------------------------------------------------
# Terms and operands
# ---------------------------------------------------------------------------

Term = _t.Node
"""Anything that encodes to AML bytes: a node of the term tree."""
Value = Union[Term, int, str, bytes, bytearray, list, tuple]
"""What a TermArg operand may be (see the module docstring)."""
NameLike = Union[Term, str]
"""What a SuperName / Target operand may be: a term or a name path."""


def term_arg(value: Value, what: str = "operand") -> Term:
    """Convert a Python value used as a TermArg (or data object) into a term."""
    if isinstance(value, _t.Node):
        return value
    if isinstance(value, bool):
        raise AmlError(f"{what}: {value!r} is a bool; use One/Zero or 1/0")
    if isinstance(value, int):
        return Integer(value)
    if isinstance(value, str):
        return String(value)
    if isinstance(value, (bytes, bytearray)):
        return Buffer(bytes(value))
    if isinstance(value, (list, tuple)):
        return Package(*value)
    raise AmlError(f"{what}: cannot encode a {type(value).__name__} ({value!r}) as AML")


def super_name(value: NameLike, what: str = "operand") -> Term:
    """Convert a SuperName/SimpleName operand: a ``str`` is a name path."""
    if isinstance(value, str):
        return _t.NameRef(0, 0, name_path(value, what))
    if isinstance(value, _t.Node):
        return value
    raise AmlError(f"{what}: expected a name or a Local/Arg/Debug term, not {value!r}")


def target(value: NameLike | None, what: str = "target") -> Term | None:
    """Convert a Target operand: ``None`` is the NullName (result discarded)."""
    if value is None:
        return None
    return super_name(value, what)


def _check_range(value: int, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AmlError(f"{what} must be an integer in {low}..{high}, not {value!r}")
    return value


def _body(terms: Sequence[Term], what: str) -> list[Term]:
    for t in terms:
        if not isinstance(t, _t.Node):
            raise AmlError(f"{what}: {t!r} is not a term (a value alone is not a statement)")
    return list(terms)


def Raw(data: bytes) -> Term:  # noqa: N802 - the builder's names are ASL's
    """Bytes put in the AML as they are (an escape hatch; prefer a real term)."""
    return _t.Raw(0, 0, bytes(data))


_INTEGER_PREFIX = {1: Opcode.BYTE_PREFIX, 2: Opcode.WORD_PREFIX, 4: Opcode.DWORD_PREFIX,
                   8: Opcode.QWORD_PREFIX}


def Integer(value: int, size: int | None = None) -> Term:  # noqa: N802
    """An integer constant.

    With ``size=None`` it is encoded as iasl does, when encoded: ``Zero``,
    ``One``, ``Ones`` (all bits set at the block's integer width), else the
    smallest ByteConst, WordConst, DWordConst or QWordConst. ``size`` (1, 2,
    4 or 8) forces that prefix.
    """
    _check_range(value, 0, _QWORD_MAX, "integer")
    if size is None:
        return _t.Integer(0, 0, value, None)
    if size not in _INTEGER_PREFIX:
        raise AmlError(f"integer size must be 1, 2, 4 or 8 bytes, not {size!r}")
    if value >= 1 << (8 * size):
        raise AmlError(f"integer {value:#x} does not fit {size} bytes")
    return _t.Integer(0, 0, value, _INTEGER_PREFIX[size])


def _simple(opcode: Opcode) -> Term:
    """A term that is just its opcode: LocalX, ArgX, Debug, Revision, Timer, Noop..."""
    return _t.Op(0, 0, opcode, [])


Zero = _t.Integer(0, 0, 0, Opcode.ZERO)
One = _t.Integer(0, 0, 1, Opcode.ONE)
Ones = _t.Integer(0, 0, _t.ONES_VALUE, Opcode.ONES)
Revision = _simple(Opcode.REVISION)
Debug = _simple(Opcode.DEBUG)


def Local(n: int) -> Term:  # noqa: N802 - ASL name
    """``Local0``..``Local7``."""
    _check_range(n, 0, LOCAL_COUNT - 1, "Local number")
    return _simple(Opcode(Opcode.LOCAL0 + n))


def Arg(n: int) -> Term:  # noqa: N802 - ASL name
    """``Arg0``..``Arg6``."""
    _check_range(n, 0, ARG_COUNT - 1, "Arg number")
    return _simple(Opcode(Opcode.ARG0 + n))


Local0, Local1, Local2, Local3, Local4, Local5, Local6, Local7 = (Local(i) for i in range(LOCAL_COUNT))
Arg0, Arg1, Arg2, Arg3, Arg4, Arg5, Arg6 = (Arg(i) for i in range(ARG_COUNT))


def String(value: str) -> Term:  # noqa: N802
    """A string literal (ASCII 0x01-0x7F, section 20.2.3)."""
    if not isinstance(value, str):
        raise AmlError(f"string literal must be a str, not {value!r}")
    bad = [c for c in value if not 0x01 <= ord(c) <= 0x7F]
    if bad:
        raise AmlError(f"string literal {value!r} has a non-ASCII or NUL character {bad[0]!r}")
    return _t.String(0, 0, value)


def Buffer(data: bytes = b"", size: Value | None = None) -> Term:  # noqa: N802
    """``Buffer(size) {data}``; ``size`` defaults to ``len(data)`` (may be larger, or a TermArg)."""
    data = bytes(data)
    if isinstance(size, int) and not isinstance(size, bool) and size < len(data):
        raise AmlError(f"buffer size {size} is smaller than its {len(data)} initializer bytes")
    return _t.Buffer(0, 0, term_arg(len(data) if size is None else size, "buffer size"), data, 0)


def Package(*elements: Value, count: Value | None = None) -> Term:  # noqa: N802
    """``Package(count) {elements}``; ``count`` defaults to the number of elements.

    Elements are data values (``int``, ``str`` literal, ``bytes``, nested
    lists) or terms (:class:`NameRef` for a reference). More than 255
    elements, or a non-constant ``count``, make a VarPackage as iasl does.
    """
    items = [term_arg(e, "package element") for e in elements]
    if count is None:
        count = len(items)
    if isinstance(count, int) and not isinstance(count, bool):
        if count < len(items):
            raise AmlError(f"package count {count} is smaller than its {len(items)} elements")
        if count <= _PACKAGE_COUNT_MAX:
            return _t.Package(0, 0, Opcode.PACKAGE, count, items)
    return _t.Package(0, 0, Opcode.VAR_PACKAGE, term_arg(count, "package count"), items)


def VarPackage(count: Value, *elements: Value) -> Term:  # noqa: N802 - ASL name
    """``Package(count) {...}`` with a run-time count: always a VarPackage (0x13)."""
    items = [term_arg(e, "package element") for e in elements]
    return _t.Package(0, 0, Opcode.VAR_PACKAGE, term_arg(count, "package count"), items)


def NameRef(path: str) -> Term:  # noqa: N802
    """A name used as a value or a SuperName (``NameRef("\\\\_SB.PRES.CSEL")``).

    When the name is a method, evaluating it calls the method with no arguments.
    """
    return _t.NameRef(0, 0, name_path(path, "name reference"))


def Call(path: str, *args: Value) -> Term:  # noqa: N802
    """MethodInvocation: ``Call("\\\\_SB.CSTA", 1)`` is ASL ``\\_SB.CSTA (One)``.

    The callee's argument count must equal ``len(args)`` (AML carries no count).
    """
    name = name_path(path, "method call")
    if len(args) > ARG_COUNT:
        raise AmlError(f"method call {path}: {len(args)} arguments, at most {ARG_COUNT}")
    return _t.MethodCall(0, 0, name, _UNRESOLVED, [term_arg(a, f"argument of {path}") for a in args])


def Op(opcode: Opcode, operands: Sequence[Term | int | None] = ()) -> Term:  # noqa: N802
    """An operator: its opcode followed by its operands, already in grammar order.

    Operands are terms, ``None`` for a NullName target and ``int`` for
    ByteData/WordData/DWordData (see :class:`vcpu_hotplug.acpi.aml.tree.Op`).
    """
    return _t.Op(0, 0, opcode, list(operands))


def _byte(value: int, what: str) -> int:
    return _check_range(value, 0, _BYTE_MAX, what)


def _word(value: int, what: str) -> int:
    return _check_range(value, 0, _WORD_MAX, what)


def _dword(value: int, what: str) -> int:
    return _check_range(value, 0, _DWORD_MAX, what)


# ---------------------------------------------------------------------------
# Containers (terms with a PkgLength and a TermList)
# ---------------------------------------------------------------------------

Container = Union[_t.Scope, _t.Device, _t.ThermalZone, _t.Processor, _t.PowerResource, _t.Method,
                  _t.If, _t.Else, _t.While]
"""A term whose body is a TermList (its ``body``): Scope, Device, Method, If, While, ..."""


def Scope(path: str, *terms: Term) -> Term:  # noqa: N802
    """``Scope(path) {terms}``."""
    return _t.Scope(0, 0, name_path(path, "Scope"), _UNRESOLVED, _body(terms, "Scope"))


def Device(name: str, *terms: Term) -> Term:  # noqa: N802
    """``Device(name) {terms}``."""
    return _t.Device(0, 0, name_path(name, "Device"), _UNRESOLVED, _body(terms, "Device"))


def ThermalZone(name: str, *terms: Term) -> Term:  # noqa: N802
    """``ThermalZone(name) {terms}``."""
    return _t.ThermalZone(0, 0, name_path(name, "ThermalZone"), _UNRESOLVED, _body(terms, "ThermalZone"))


def Processor(name: str, proc_id: int, *terms: Term, pblk_address: int = 0,  # noqa: N802
              pblk_length: int = 0) -> Term:
    """``Processor(name, proc_id, pblk_address, pblk_length) {terms}`` (deprecated since ACPI 6.4)."""
    return _t.Processor(0, 0, name_path(name, "Processor"), _UNRESOLVED,
                        _check_range(proc_id, 0, _BYTE_MAX, "Processor ProcID"),
                        _check_range(pblk_address, 0, _DWORD_MAX, "Processor PBlkAddress"),
                        _check_range(pblk_length, 0, _BYTE_MAX, "Processor PblkLength"),
                        _body(terms, "Processor"))


def PowerResource(name: str, system_level: int, resource_order: int, *terms: Term) -> Term:  # noqa: N802
    """``PowerResource(name, system_level, resource_order) {terms}``."""
    return _t.PowerResource(0, 0, name_path(name, "PowerResource"), _UNRESOLVED,
                            _check_range(system_level, 0, _BYTE_MAX, "PowerResource SystemLevel"),
                            _check_range(resource_order, 0, _WORD_MAX, "PowerResource ResourceOrder"),
                            _body(terms, "PowerResource"))


def Method(name: str, arg_count: int = 0, *terms: Term, serialized: bool = False,  # noqa: N802
           sync_level: int = 0) -> Term:
    """``Method(name, arg_count, Serialized|NotSerialized, sync_level) {terms}``."""
    path = name_path(name, "Method")
    flags = (_check_range(arg_count, 0, METHOD_ARG_COUNT_MASK, f"Method {name} argument count")
             | (METHOD_SERIALIZED_BIT if serialized else 0)
             | (_check_range(sync_level, 0, _SYNC_LEVEL_MAX, f"Method {name} SyncLevel")
                << METHOD_SYNC_LEVEL_SHIFT))
    return _t.Method(0, 0, path, _UNRESOLVED, flags, _body(terms, "Method"), 0)


def If(predicate: Value, *terms: Term) -> Term:  # noqa: N802
    """``If(predicate) {terms}``; an :func:`Else` is the *next* term, as in AML."""
    return _t.If(0, 0, term_arg(predicate, "If predicate"), _body(terms, "If"))


def Else(*terms: Term) -> Term:  # noqa: N802
    """``Else {terms}``: must follow an :func:`If` in the same body."""
    return _t.Else(0, 0, _body(terms, "Else"))


def ElseIf(predicate: Value, *terms: Term) -> Term:  # noqa: N802 - ASL name
    """ASL ``ElseIf (p) {...}``: encoded as iasl does, ``Else { If (p) {...} }``.

    A further ``ElseIf``/``Else`` belongs *inside* this Else, after its If
    (:meth:`DefinitionBlock.else_` and :meth:`DefinitionBlock.elseif` do that).
    """
    return Else(If(predicate, *terms))


def While(predicate: Value, *terms: Term) -> Term:  # noqa: N802
    """``While(predicate) {terms}``."""
    return _t.While(0, 0, term_arg(predicate, "While predicate"), _body(terms, "While"))


# ---------------------------------------------------------------------------
# Namespace modifiers and named objects
# ---------------------------------------------------------------------------


def Name(name: str, value: Value) -> Term:  # noqa: N802
    """``Name(name, value)``: value is a data object (``int``, ``str``, ``bytes``, list, term)."""
    path = name_path(name, "Name")
    return _t.Name(0, 0, path, _UNRESOLVED, term_arg(value, f"value of Name {name}"))


def Alias(source: str, alias: str) -> Term:  # noqa: N802
    """``Alias(source, alias)``."""
    src = name_path(source, "Alias source")
    return _t.Alias(0, 0, name_path(alias, "Alias name"), _UNRESOLVED, src)


def Mutex(name: str, sync_level: int = 0) -> Term:  # noqa: N802
    """``Mutex(name, sync_level)``."""
    path = name_path(name, "Mutex")
    return _t.Mutex(0, 0, path, _UNRESOLVED,
                    _check_range(sync_level, 0, MUTEX_SYNC_LEVEL_MASK, f"Mutex {name} SyncLevel"))


def Event(name: str) -> Term:  # noqa: N802
    """``Event(name)``."""
    return _t.Event(0, 0, name_path(name, "Event"), _UNRESOLVED)


def External(name: str, object_type: ObjectTypeValue | int | str = ObjectTypeValue.UNINITIALIZED,  # noqa: N802
             arg_count: int = 0) -> Term:
    """``External(name, object_type, arg_count)`` (a declaration for the disassembler/compiler)."""
    path = name_path(name, "External")
    kind = lookup(ObjectTypeValue, OBJECT_TYPE_KEYWORDS, object_type, f"External {name} type")
    argc = _check_range(arg_count, 0, METHOD_ARG_COUNT_MASK, f"External {name} argument count")
    return _t.External(0, 0, path, _UNRESOLVED, int(kind), argc)


def OperationRegion(name: str, space: RegionSpace | int | str, offset: Value,  # noqa: N802
                    length: Value) -> Term:
    """``OperationRegion(name, space, offset, length)``; ``space`` a :class:`RegionSpace` or keyword."""
    path = name_path(name, "OperationRegion")
    kind = lookup(RegionSpace, REGION_SPACE_KEYWORDS, space, f"OperationRegion {name} space")
    return _t.OperationRegion(0, 0, path, _UNRESOLVED, int(kind),
                              term_arg(offset, f"OperationRegion {name} offset"),
                              term_arg(length, f"OperationRegion {name} length"))


def DataTableRegion(name: str, signature: Value, oem_id: Value, oem_table_id: Value) -> Term:  # noqa: N802
    """``DataTableRegion(name, signature, oem_id, oem_table_id)``."""
    path = name_path(name, "DataTableRegion")
    sig, oem, table = (term_arg(v, f"DataTableRegion {name}") for v in (signature, oem_id, oem_table_id))
    return _t.DataRegion(0, 0, path, _UNRESOLVED, sig, oem, table)


# ---------------------------------------------------------------------------
# Field lists (20.2.5.2)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Offset:
    """``Offset(byte_offset)``: skip to that byte (encoded as a reserved field, as iasl does).

    Not a term: the field that holds it turns it into the reserved field
    from where the list is to that byte; an Offset that goes backwards is
    an :class:`AmlError` when the field is encoded.
    """

    byte_offset: int


FieldEntry = Union[Offset, _t.FieldElement]
"""One entry of a field list: a field element of the tree, or an :class:`Offset`."""
FieldItem = Union[FieldEntry, tuple]
"""A field entry, or a ``("NAME", bits)`` tuple (``(None, bits)``: a reserved gap)."""


def FieldUnit(name: str, bits: int) -> _t.NamedField:  # noqa: N802
    """A named field unit ``NAME, bits`` (a ``("NAME", bits)`` tuple is the same)."""
    seg = check_name_seg(name, "field unit")
    if isinstance(bits, bool) or not isinstance(bits, int) or bits < 1:
        raise AmlError(f"field unit {name}: width must be a positive number of bits, not {bits!r}")
    return _t.NamedField(0, 0, seg, _UNRESOLVED, 0, bits)


def Reserved(bits: int) -> _t.ReservedField:  # noqa: N802
    """An unnamed gap ``, bits``."""
    if isinstance(bits, bool) or not isinstance(bits, int) or bits < 1:
        raise AmlError(f"reserved field width must be positive, not {bits!r}")
    return _t.ReservedField(0, 0, 0, bits)


def AccessAs(access: AccessType | int | str, attrib: int | str = 0,  # noqa: N802
             length: int | None = None) -> _t.AccessAs:
    """``AccessAs(access_type, attrib)``: the access width (and protocol) of the following units.

    ``attrib`` is a number or a keyword (``"AttribQuick"``...); with ``length``
    it is an extended attribute (``AccessAs(BufferAcc, AttribBytes (4))`` is
    ``AccessAs("BufferAcc", "AttribBytes", 4)``), encoded as an ExtendedAccessField.
    """
    kind = lookup(AccessType, ACCESS_TYPE_KEYWORDS, access, "AccessAs")
    keywords = ACCESS_ATTRIB_KEYWORDS if length is None else EXTENDED_ACCESS_ATTRIB_KEYWORDS
    if isinstance(attrib, str):
        by_name = {v.lower(): k for k, v in keywords.items()}
        if attrib.lower() not in by_name:
            raise AmlError(f"AccessAs: unknown attribute {attrib!r} (one of {', '.join(keywords.values())})")
        attrib = by_name[attrib.lower()]
    attrib = _check_range(attrib, 0, _BYTE_MAX, "AccessAs attribute")
    if length is not None:
        length = _check_range(length, 0, _BYTE_MAX, "AccessAs length")
    return _t.AccessAs(0, 0, int(kind), attrib, length)


def Connection(resource: str | bytes) -> _t.Connection:  # noqa: N802
    """``Connection(resource)``: the GPIO/serial-bus connection of the following units.

    ``resource`` is the name of a resource template (``"GPI0"``) or the bytes
    of one descriptor given inline (no End Tag, as iasl emits it).
    """
    if isinstance(resource, str):
        return _t.Connection(0, 0, name_path(resource, "Connection"), None)
    return _t.Connection(0, 0, None, Buffer(bytes(resource)))


def _field_entry(item: FieldItem) -> FieldEntry:
    if isinstance(item, (Offset, _t.FieldElement)):
        return item
    if isinstance(item, tuple) and len(item) == 2:
        name, bits = item
        return Reserved(bits) if name in (None, "") else FieldUnit(name, bits)
    raise AmlError(f"field list: {item!r} is not a field entry (use (name, bits), Offset, "
                   "Reserved or AccessAs)")


def _field_elements(entries: Sequence[FieldItem]) -> list[_t.FieldElement]:
    """The field list's elements, each named or reserved one at its bit offset."""
    elements: list[_t.FieldElement] = []
    position = 0
    for entry in map(_field_entry, entries):
        if isinstance(entry, Offset):
            wanted = entry.byte_offset * 8
            if wanted != position:  # backwards: a negative width, refused when encoded
                elements.append(_t.ReservedField(0, 0, position, wanted - position))
            position = wanted
        elif isinstance(entry, _t.NamedField):
            elements.append(_t.NamedField(0, 0, entry.name, entry.path, position, entry.bit_width))
            position += entry.bit_width
        elif isinstance(entry, _t.ReservedField):
            elements.append(_t.ReservedField(0, 0, position, entry.bit_width))
            position += entry.bit_width
        else:
            elements.append(entry)
    return elements


def _field_flags(access: AccessType | int | str, lock: LockRule | int | str | bool,
                 update: UpdateRule | int | str, what: str) -> int:
    access = lookup(AccessType, ACCESS_TYPE_KEYWORDS, access, f"{what} access type")
    if isinstance(lock, bool):
        lock = LockRule.LOCK if lock else LockRule.NO_LOCK
    lock = lookup(LockRule, LOCK_RULE_KEYWORDS, lock, f"{what} lock rule")
    update = lookup(UpdateRule, UPDATE_RULE_KEYWORDS, update, f"{what} update rule")
    return access | (lock << FIELD_LOCK_SHIFT) | (update << FIELD_UPDATE_SHIFT)


def Field(region: str, access, lock, update, *entries: FieldItem) -> Term:  # noqa: N802
    """``Field(region, access, lock, update) {entries}``.

    ``access``/``lock``/``update`` are enums or ASL keywords (``"ByteAcc"``,
    ``"NoLock"``, ``"WriteAsZeros"``); entries are ``("NAME", bits)`` tuples,
    :class:`Offset`, :func:`Reserved` and :func:`AccessAs`.
    """
    name = name_path(region, "Field region")
    flags = _field_flags(access, lock, update, f"Field({region})")
    return _t.Field(0, 0, flags, _field_elements(entries), name)


def IndexField(index_name: str, data_name: str, access, lock, update,  # noqa: N802
               *entries: FieldItem) -> Term:
    """``IndexField(index_name, data_name, access, lock, update) {entries}``."""
    index = name_path(index_name, "IndexField index")
    data = name_path(data_name, "IndexField data")
    flags = _field_flags(access, lock, update, f"IndexField({index_name}, {data_name})")
    return _t.IndexField(0, 0, flags, _field_elements(entries), index, data)


def BankField(region: str, bank_name: str, bank_value: Value, access, lock, update,  # noqa: N802
              *entries: FieldItem) -> Term:
    """``BankField(region, bank_name, bank_value, access, lock, update) {entries}``."""
    name = name_path(region, "BankField region")
    bank = name_path(bank_name, "BankField bank")
    value = term_arg(bank_value, "BankField bank value")
    flags = _field_flags(access, lock, update, f"BankField({region}, {bank_name})")
    return _t.BankField(0, 0, flags, _field_elements(entries), name, bank, value)


# ---------------------------------------------------------------------------
# Buffer fields
# ---------------------------------------------------------------------------


def _create(opcode: Opcode, source: Value, index: Value, name: str, *, what: str,
            width: Value | None = None) -> Term:
    path = name_path(name, what)
    return _t.CreateField(0, 0, path, _UNRESOLVED, opcode, term_arg(source, f"{what} source"),
                          term_arg(index, f"{what} index"),
                          None if width is None else term_arg(width, f"{what} width"))


def CreateBitField(source: Value, bit_index: Value, name: str) -> Term:  # noqa: N802
    """``CreateBitField(source, bit_index, name)``."""
    return _create(Opcode.CREATE_BIT_FIELD, source, bit_index, name, what="CreateBitField")


def CreateByteField(source: Value, byte_index: Value, name: str) -> Term:  # noqa: N802
    """``CreateByteField(source, byte_index, name)``."""
    return _create(Opcode.CREATE_BYTE_FIELD, source, byte_index, name, what="CreateByteField")


def CreateWordField(source: Value, byte_index: Value, name: str) -> Term:  # noqa: N802
    """``CreateWordField(source, byte_index, name)``."""
    return _create(Opcode.CREATE_WORD_FIELD, source, byte_index, name, what="CreateWordField")


def CreateDWordField(source: Value, byte_index: Value, name: str) -> Term:  # noqa: N802
    """``CreateDWordField(source, byte_index, name)``."""
    return _create(Opcode.CREATE_DWORD_FIELD, source, byte_index, name, what="CreateDWordField")


def CreateQWordField(source: Value, byte_index: Value, name: str) -> Term:  # noqa: N802
    """``CreateQWordField(source, byte_index, name)``."""
    return _create(Opcode.CREATE_QWORD_FIELD, source, byte_index, name, what="CreateQWordField")


def CreateField(source: Value, bit_index: Value, num_bits: Value, name: str) -> Term:  # noqa: N802
    """``CreateField(source, bit_index, num_bits, name)``."""
    return _create(Opcode.CREATE_FIELD, source, bit_index, name, what="CreateField", width=num_bits)


# ---------------------------------------------------------------------------
# Expression operators (Type 2, section 20.2.5.4)
# ---------------------------------------------------------------------------


def _binary(opcode: Opcode, a: Value, b: Value, result: NameLike | None) -> Term:
    name = opcode.info.asl_name
    return Op(opcode, (term_arg(a, name), term_arg(b, name), target(result, f"{name} target")))


def _unary_target(opcode: Opcode, a: Value, result: NameLike | None) -> Term:
    name = opcode.info.asl_name
    return Op(opcode, (term_arg(a, name), target(result, f"{name} target")))


def _logical(opcode: Opcode, *operands: Value) -> Term:
    name = opcode.info.asl_name
    return Op(opcode, tuple(term_arg(v, name) for v in operands))


def _on_name(opcode: Opcode, obj: NameLike) -> Term:
    return Op(opcode, (super_name(obj, opcode.info.asl_name),))


def Store(source: Value, destination: NameLike) -> Term:  # noqa: N802
    """``Store(source, destination)`` (ASL 2.0: ``destination = source``)."""
    return Op(Opcode.STORE, (term_arg(source, "Store source"), super_name(destination, "Store destination")))


def CopyObject(source: Value, destination: NameLike) -> Term:  # noqa: N802
    """``CopyObject(source, destination)``."""
    return Op(Opcode.COPY_OBJECT, (term_arg(source, "CopyObject source"),
                                   super_name(destination, "CopyObject destination")))


def Add(a: Value, b: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.ADD, a, b, result)


def Subtract(a: Value, b: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.SUBTRACT, a, b, result)


def Multiply(a: Value, b: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.MULTIPLY, a, b, result)


def Divide(dividend: Value, divisor: Value, remainder: NameLike | None = None,  # noqa: N802
           result: NameLike | None = None) -> Term:
    """``Divide(dividend, divisor, remainder, result)``."""
    return Op(Opcode.DIVIDE, (term_arg(dividend, "Divide"), term_arg(divisor, "Divide"),
                              target(remainder, "Divide remainder"), target(result, "Divide result")))


def Mod(a: Value, b: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.MOD, a, b, result)


def And(a: Value, b: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.AND, a, b, result)


def Or(a: Value, b: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.OR, a, b, result)


def XOr(a: Value, b: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.XOR, a, b, result)


def NAnd(a: Value, b: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.NAND, a, b, result)


def NOr(a: Value, b: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.NOR, a, b, result)


def ShiftLeft(a: Value, count: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.SHIFT_LEFT, a, count, result)


def ShiftRight(a: Value, count: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.SHIFT_RIGHT, a, count, result)


def Not(a: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _unary_target(Opcode.NOT, a, result)


def FindSetLeftBit(a: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _unary_target(Opcode.FIND_SET_LEFT_BIT, a, result)


def FindSetRightBit(a: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _unary_target(Opcode.FIND_SET_RIGHT_BIT, a, result)


def FromBCD(a: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _unary_target(Opcode.FROM_BCD, a, result)


def ToBCD(a: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _unary_target(Opcode.TO_BCD, a, result)


def ToBuffer(a: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _unary_target(Opcode.TO_BUFFER, a, result)


def ToDecimalString(a: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _unary_target(Opcode.TO_DECIMAL_STRING, a, result)


def ToHexString(a: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _unary_target(Opcode.TO_HEX_STRING, a, result)


def ToInteger(a: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _unary_target(Opcode.TO_INTEGER, a, result)


def ToString(a: Value, length: Value | None = None, result: NameLike | None = None) -> Term:  # noqa: N802
    """``ToString(buffer, length, result)``; ``length=None`` is ``Ones`` (up to the first NUL)."""
    return Op(Opcode.TO_STRING, (term_arg(a, "ToString"), Ones if length is None else term_arg(length),
                                 target(result, "ToString target")))


def Concatenate(a: Value, b: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.CONCAT, a, b, result)


def ConcatenateResTemplate(a: Value, b: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return _binary(Opcode.CONCAT_RES, a, b, result)


def Mid(source: Value, index: Value, length: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    return Op(Opcode.MID, (term_arg(source, "Mid"), term_arg(index, "Mid"), term_arg(length, "Mid"),
                           target(result, "Mid target")))


def Index(source: Value, index: Value, result: NameLike | None = None) -> Term:  # noqa: N802
    """``Index(source, index, result)``: ``source`` is a TermArg, so a named package is ``NameRef("PKG")``."""
    return _binary(Opcode.INDEX, source, index, result)


def Match(package: Value, op1: MatchOperator | int | str, obj1: Value,  # noqa: N802
          op2: MatchOperator | int | str, obj2: Value, start: Value = 0) -> Term:
    """``Match(package, MEQ, value1, MTR, value2, start_index)``."""
    m1 = lookup(MatchOperator, MATCH_OPERATOR_KEYWORDS, op1, "Match operator 1")
    m2 = lookup(MatchOperator, MATCH_OPERATOR_KEYWORDS, op2, "Match operator 2")
    return Op(Opcode.MATCH, (term_arg(package, "Match package"), _byte(m1, "Match operator"),
                             term_arg(obj1, "Match"), _byte(m2, "Match operator"),
                             term_arg(obj2, "Match"), term_arg(start, "Match start")))


def LAnd(a: Value, b: Value) -> Term:  # noqa: N802
    return _logical(Opcode.LAND, a, b)


def LOr(a: Value, b: Value) -> Term:  # noqa: N802
    return _logical(Opcode.LOR, a, b)


def LNot(a: Value) -> Term:  # noqa: N802
    return _logical(Opcode.LNOT, a)


def LEqual(a: Value, b: Value) -> Term:  # noqa: N802
    return _logical(Opcode.LEQUAL, a, b)


def LNotEqual(a: Value, b: Value) -> Term:  # noqa: N802
    return _logical(Opcode.LNOT_EQUAL, a, b)


def LLess(a: Value, b: Value) -> Term:  # noqa: N802
    return _logical(Opcode.LLESS, a, b)


def LLessEqual(a: Value, b: Value) -> Term:  # noqa: N802
    return _logical(Opcode.LLESS_EQUAL, a, b)


def LGreater(a: Value, b: Value) -> Term:  # noqa: N802
    return _logical(Opcode.LGREATER, a, b)


def LGreaterEqual(a: Value, b: Value) -> Term:  # noqa: N802
    return _logical(Opcode.LGREATER_EQUAL, a, b)


def Increment(obj: NameLike) -> Term:  # noqa: N802
    return _on_name(Opcode.INCREMENT, obj)


def Decrement(obj: NameLike) -> Term:  # noqa: N802
    return _on_name(Opcode.DECREMENT, obj)


def RefOf(obj: NameLike) -> Term:  # noqa: N802
    return _on_name(Opcode.REF_OF, obj)


def CondRefOf(obj: NameLike, result: NameLike | None = None) -> Term:  # noqa: N802
    return Op(Opcode.COND_REF_OF, (super_name(obj, "CondRefOf"), target(result, "CondRefOf target")))


def DerefOf(obj: Value) -> Term:  # noqa: N802
    """``DerefOf(reference)``; the operand is a TermArg (``Index(...)``, ``Local0``, ``NameRef``)."""
    return Op(Opcode.DEREF_OF, (term_arg(obj, "DerefOf"),))


def SizeOf(obj: NameLike) -> Term:  # noqa: N802
    return _on_name(Opcode.SIZE_OF, obj)


def ObjectType(obj: NameLike) -> Term:  # noqa: N802
    return _on_name(Opcode.OBJECT_TYPE, obj)


def Acquire(mutex: NameLike, timeout: int = _ACQUIRE_TIMEOUT_MAX) -> Term:  # noqa: N802
    """``Acquire(mutex, timeout_ms)``; 0xFFFF (the default) waits forever."""
    return Op(Opcode.ACQUIRE, (super_name(mutex, "Acquire"), _word(timeout, "Acquire timeout")))


def Wait(event: NameLike, timeout: Value = _ACQUIRE_TIMEOUT_MAX) -> Term:  # noqa: N802
    return Op(Opcode.WAIT, (super_name(event, "Wait"), term_arg(timeout, "Wait timeout")))


def Timer() -> Term:  # noqa: N802
    return _simple(Opcode.TIMER)


def LoadTable(signature: Value, oem_id: Value, oem_table_id: Value, root_path: Value = "",  # noqa: N802
              parameter_path: Value = "", parameter_data: Value = 0) -> Term:
    return Op(Opcode.LOAD_TABLE, tuple(term_arg(v, "LoadTable") for v in (
        signature, oem_id, oem_table_id, root_path, parameter_path, parameter_data)))


# ---------------------------------------------------------------------------
# Statements (Type 1, section 20.2.5.3)
# ---------------------------------------------------------------------------


def Return(value: Value | None = None) -> Term:  # noqa: N802
    """``Return(value)``; ``Return()`` returns Zero (as iasl encodes it)."""
    return Op(Opcode.RETURN, (term_arg(0 if value is None else value, "Return value"),))


def Notify(obj: NameLike, value: Value) -> Term:  # noqa: N802
    """``Notify(device, value)``: 0 Bus Check, 1 Device Check, 3 Eject Request..."""
    return Op(Opcode.NOTIFY, (super_name(obj, "Notify object"), term_arg(value, "Notify value")))


def Release(mutex: NameLike) -> Term:  # noqa: N802
    return _on_name(Opcode.RELEASE, mutex)


def Signal(event: NameLike) -> Term:  # noqa: N802
    return _on_name(Opcode.SIGNAL, event)


def Reset(event: NameLike) -> Term:  # noqa: N802
    return _on_name(Opcode.RESET, event)


def Unload(handle: NameLike) -> Term:  # noqa: N802
    return _on_name(Opcode.UNLOAD, handle)


def Load(name: str, result: NameLike | None = None) -> Term:  # noqa: N802
    return Op(Opcode.LOAD, (NameRef(name), target(result, "Load target")))


def Sleep(milliseconds: Value) -> Term:  # noqa: N802
    return Op(Opcode.SLEEP, (term_arg(milliseconds, "Sleep"),))


def Stall(microseconds: Value) -> Term:  # noqa: N802
    return Op(Opcode.STALL, (term_arg(microseconds, "Stall"),))


def Fatal(fatal_type: int, code: int, arg: Value) -> Term:  # noqa: N802
    return Op(Opcode.FATAL, (_byte(fatal_type, "Fatal type"), _dword(code, "Fatal code"),
                             term_arg(arg, "Fatal argument")))


def Break() -> Term:  # noqa: N802
    return _simple(Opcode.BREAK)


def Continue() -> Term:  # noqa: N802
    return _simple(Opcode.CONTINUE)


def Noop() -> Term:  # noqa: N802
    return _simple(Opcode.NOOP)


def BreakPoint() -> Term:  # noqa: N802
    return _simple(Opcode.BREAK_POINT)


# ---------------------------------------------------------------------------
# The definition block
# ---------------------------------------------------------------------------


@dataclass
class DefinitionBlock:
    """A DSDT or SSDT being built: its header fields and its top-level terms.

    The ``with`` methods (:meth:`scope`, :meth:`device`, :meth:`method`,
    :meth:`if_`, ...) open a container; :meth:`add` and the statement methods
    append to the innermost open one. :meth:`tree` gives the block as the
    term tree's :class:`~vcpu_hotplug.acpi.aml.tree.DefinitionBlock`;
    :meth:`encode` returns the whole table.
    """

    signature: str = "DSDT"
    revision: int = 2
    oem_id: str = "VCPUHP"
    oem_table_id: str = "VCPUHPTB"
    oem_revision: int = 1
    creator_id: str = "VCHP"
    creator_revision: int = 1
    terms: list[Term] = field(default_factory=list)
    _open: list[Container] = field(default_factory=list, init=False, repr=False)
    _chains: dict[int, Term] = field(default_factory=dict, init=False, repr=False)
    """The Elses made by :meth:`elseif`, by id: a later Else/ElseIf goes inside them."""

    def __post_init__(self) -> None:
        if len(self.signature) != 4:
            raise AmlError(f"definition block signature {self.signature!r} must have 4 characters")
        _check_range(self.revision, 0, _BYTE_MAX, "definition block revision")
        for value, size, what in ((self.oem_id, 6, "OEM ID"), (self.oem_table_id, 8, "OEM table ID"),
                                  (self.creator_id, 4, "creator ID")):
            if len(value) > size or not value.isascii():
                raise AmlError(f"{what} {value!r} must be at most {size} ASCII characters")

    # -- structure -------------------------------------------------------

    @property
    def current(self) -> Container | None:
        """The innermost open container (None at the top level)."""
        return self._open[-1] if self._open else None

    def add(self, *terms: Term) -> Term | None:
        """Append terms to the innermost open container (or the top level); returns the last."""
        if self._open:
            container = self._open[-1]
            container.body += _body(terms, type(container).__name__)
        else:
            self.terms += _body(terms, "definition block")
        return terms[-1] if terms else None

    @contextmanager
    def open(self, container: Container) -> Iterator[Container]:
        """Add ``container`` here and make it the innermost open container inside the ``with``."""
        self.add(container)
        self._open.append(container)
        try:
            yield container
        finally:
            self._open.pop()

    def _body_list(self) -> list[Term]:
        return self._open[-1].body if self._open else self.terms

    def scope(self, path: str):
        """``with dsdt.scope("\\\\_SB"):``"""
        return self.open(Scope(path))

    def device(self, name: str):
        return self.open(Device(name))

    def processor(self, name: str, proc_id: int, pblk_address: int = 0, pblk_length: int = 0):
        return self.open(Processor(name, proc_id, pblk_address=pblk_address, pblk_length=pblk_length))

    def power_resource(self, name: str, system_level: int, resource_order: int):
        return self.open(PowerResource(name, system_level, resource_order))

    def thermal_zone(self, name: str):
        return self.open(ThermalZone(name))

    def method(self, name: str, arg_count: int = 0, serialized: bool = False, sync_level: int = 0):
        """``with dsdt.method("_STA", 0, serialized=True):``"""
        return self.open(Method(name, arg_count, serialized=serialized, sync_level=sync_level))

    def if_(self, predicate: Value):
        return self.open(If(predicate))

    def while_(self, predicate: Value):
        return self.open(While(predicate))

    def _else_home(self) -> list[Term]:
        """The body an Else/ElseIf attaches to: after the last If of the chain ending here."""
        body = self._body_list()
        while True:
            if not body:
                raise AmlError("Else/ElseIf without a preceding If")
            last = body[-1]
            if isinstance(last, _t.If):
                return body
            if isinstance(last, _t.Else) and id(last) in self._chains:
                body = last.body
                continue
            raise AmlError("Else/ElseIf must follow an If (or an ElseIf)")

    @contextmanager
    def _open_in(self, body: list[Term], container: Container, opened: Container) -> Iterator[Container]:
        body.append(container)
        self._open.append(opened)
        try:
            yield opened
        finally:
            self._open.pop()

    def else_(self):
        """``with dsdt.else_():`` after ``with dsdt.if_(...)`` (or after :meth:`elseif`)."""
        home = self._else_home()
        block = Else()
        return self._open_in(home, block, block)

    def elseif(self, predicate: Value):
        """``with dsdt.elseif(p):``: ASL ElseIf, encoded ``Else { If (p) {...} }`` as iasl does."""
        home = self._else_home()
        inner = If(predicate)
        block = Else(inner)
        self._chains[id(block)] = block  # a later Else/ElseIf goes inside, after ``inner``
        return self._open_in(home, block, inner)

    # -- named objects ------------------------------------------------------

    def name(self, name: str, value: Value) -> Term:
        """``Name(name, value)``: ``int``, ``str`` (a string literal), ``bytes``, list or term."""
        return self.add(Name(name, value))

    def alias(self, source: str, alias: str) -> Term:
        return self.add(Alias(source, alias))

    def mutex(self, name: str, sync_level: int = 0) -> Term:
        return self.add(Mutex(name, sync_level))

    def event(self, name: str) -> Term:
        return self.add(Event(name))

    def external(self, name: str, object_type=ObjectTypeValue.UNINITIALIZED, arg_count: int = 0) -> Term:
        return self.add(External(name, object_type, arg_count))

    def operation_region(self, name: str, space, offset: Value, length: Value) -> Term:
        return self.add(OperationRegion(name, space, offset, length))

    def field(self, region: str, access, lock, update, *entries: FieldItem) -> Term:
        return self.add(Field(region, access, lock, update, *entries))

    def index_field(self, index_name: str, data_name: str, access, lock, update,
                    *entries: FieldItem) -> Term:
        return self.add(IndexField(index_name, data_name, access, lock, update, *entries))

    def bank_field(self, region: str, bank_name: str, bank_value: Value, access, lock, update,
                   *entries: FieldItem) -> Term:
        return self.add(BankField(region, bank_name, bank_value, access, lock, update, *entries))

    # -- statements ---------------------------------------------------------

    def store(self, source: Value, destination: NameLike) -> Term:
        return self.add(Store(source, destination))

    def notify(self, obj: NameLike, value: Value) -> Term:
        return self.add(Notify(obj, value))

    def return_(self, value: Value | None = None) -> Term:
        return self.add(Return(value))

    def break_(self) -> Term:
        return self.add(Break())

    def continue_(self) -> Term:
        return self.add(Continue())

    @staticmethod
    def call(path: str, *args: Value) -> Term:
        """A method call *expression* (not added): use it as an operand."""
        return Call(path, *args)

    def invoke(self, path: str, *args: Value) -> Term:
        """A method call as a statement (added to the current body)."""
        return self.add(Call(path, *args))

    # -- output -----------------------------------------------------------

    @property
    def integer_width(self) -> int:
        """32 for a revision < 2 block, else 64 (section 19.6.98)."""
        return block_integer_width(self.revision)

    def tree(self) -> _t.DefinitionBlock:
        """The block as the term tree's DefinitionBlock (not placed; its terms are this block's)."""
        if self._open:
            raise AmlError(f"definition block encoded while {type(self._open[-1]).__name__} "
                           f"{getattr(self._open[-1], 'name', '')} is still open")
        header = _t.TableHeader(self.signature, 0, self.revision, 0, self.oem_id, self.oem_table_id,
                                self.oem_revision, self.creator_id, self.creator_revision)
        return _t.DefinitionBlock(0, 0, header, self.terms)

    def body(self) -> bytes:
        """The AML of the top-level terms (the table without its header)."""
        return self.tree().encode_body()

    def encode(self) -> bytes:
        """The whole table: 36-byte header (length, checksum) and the AML."""
        return self.tree().encode()
