"""Build AML from Python that reads like ASL (ACPI 6.5 chapters 19 and 20).

Two ways to write the same thing; both produce a tree of :class:`Term`
objects whose :meth:`Term.encode` gives the AML bytes.

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
:class:`AmlError`. Names are validated when a term is made (1-4 characters of
``A-Z 0-9 _``, not starting with a digit), so an error points at the line that
made the bad name. Resource templates are in
:mod:`vcpu_hotplug.acpi.aml.resources`; EISA ids in
:mod:`vcpu_hotplug.acpi.aml.eisaid`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Union

from vcpu_hotplug.acpi.aml.encoding import (
    check_name_seg,
    field_length,
    name_string,
    split_name_string,
    with_pkg_length,
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
    FieldElementTag,
    LockRule,
    MatchOperator,
    ObjectType as ObjectTypeValue,
    Opcode,
    RegionSpace,
    UpdateRule,
)
from vcpu_hotplug.acpi.errors import AmlError
from vcpu_hotplug.acpi.header import SdtHeader, build_table

# ---------------------------------------------------------------------------
# Integer width of the block being encoded (section 19.6.98)
# ---------------------------------------------------------------------------

INTEGER_WIDTH_32 = 32
INTEGER_WIDTH_64 = 64
_FIRST_64_BIT_REVISION = 2
"""Definition blocks of revision 2 and later have 64-bit integers."""

_integer_width: contextvars.ContextVar[int] = contextvars.ContextVar(
    "aml_integer_width", default=INTEGER_WIDTH_64)

_BYTE_MAX = 0xFF
_WORD_MAX = 0xFFFF
_DWORD_MAX = 0xFFFF_FFFF
_QWORD_MAX = 0xFFFF_FFFF_FFFF_FFFF
_PACKAGE_COUNT_MAX = 0xFF
_SYNC_LEVEL_MAX = 15
_ACQUIRE_TIMEOUT_MAX = 0xFFFF
"""Acquire/Wait timeout that means "wait forever" (>= 0xFFFF, section 19.6.1)."""


@contextmanager
def integer_width(bits: int) -> Iterator[None]:
    """Encode integers for a ``bits``-wide block (32 or 64) inside the ``with``."""
    if bits not in (INTEGER_WIDTH_32, INTEGER_WIDTH_64):
        raise AmlError(f"integer width must be 32 or 64, not {bits}")
    token = _integer_width.set(bits)
    try:
        yield
    finally:
        _integer_width.reset(token)


# ---------------------------------------------------------------------------
# Terms
# ---------------------------------------------------------------------------


class Term:
    """Anything that encodes to AML bytes."""

    def encode(self) -> bytes:
        raise NotImplementedError


Value = Union[Term, int, str, bytes, bytearray, list, tuple]
"""What a TermArg operand may be (see the module docstring)."""
NameLike = Union[Term, str]
"""What a SuperName / Target operand may be: a term or a name path."""


def term_arg(value: Value, what: str = "operand") -> Term:
    """Convert a Python value used as a TermArg (or data object) into a :class:`Term`."""
    if isinstance(value, Term):
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
        return NameRef(value)
    if isinstance(value, Term):
        return value
    raise AmlError(f"{what}: expected a name or a Local/Arg/Debug term, not {value!r}")


def target(value: NameLike | None, what: str = "target") -> Term:
    """Convert a Target operand: ``None`` is the NullName (result discarded)."""
    if value is None:
        return _NULL_TARGET
    return super_name(value, what)


def _encode_all(terms: Sequence[Term]) -> bytes:
    return b"".join(t.encode() for t in terms)


def _check_range(value: int, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AmlError(f"{what} must be an integer in {low}..{high}, not {value!r}")
    return value


@dataclass(frozen=True)
class Raw(Term):
    """Bytes put in the AML as they are (an escape hatch; prefer a real term)."""

    data: bytes

    def encode(self) -> bytes:
        return bytes(self.data)


_NULL_TARGET = Raw(b"\x00")


@dataclass(frozen=True)
class Integer(Term):
    """An integer constant.

    With ``size=None`` it is encoded as iasl does: ``Zero``, ``One``,
    ``Ones`` (all bits set at the block's integer width), else the smallest
    ByteConst, WordConst, DWordConst or QWordConst. ``size`` (1, 2, 4 or 8)
    forces that prefix.
    """

    value: int
    size: int | None = None

    _PREFIX = {1: Opcode.BYTE_PREFIX, 2: Opcode.WORD_PREFIX, 4: Opcode.DWORD_PREFIX,
               8: Opcode.QWORD_PREFIX}

    def __post_init__(self) -> None:
        _check_range(self.value, 0, _QWORD_MAX, "integer")
        if self.size is not None and self.size not in self._PREFIX:
            raise AmlError(f"integer size must be 1, 2, 4 or 8 bytes, not {self.size!r}")
        if self.size is not None and self.value >= 1 << (8 * self.size):
            raise AmlError(f"integer {self.value:#x} does not fit {self.size} bytes")

    def encode(self) -> bytes:
        width = _integer_width.get()
        value = self.value
        if value >= 1 << width:
            raise AmlError(f"integer {value:#x} does not fit the {width}-bit integers "
                           f"of a revision < {_FIRST_64_BIT_REVISION} definition block")
        size = self.size
        if size is None:
            if value == 0:
                return Opcode.ZERO.encoding
            if value == 1:
                return Opcode.ONE.encoding
            if value == (1 << width) - 1:
                return Opcode.ONES.encoding
            size = next(s for s, top in ((1, _BYTE_MAX), (2, _WORD_MAX), (4, _DWORD_MAX),
                                         (8, _QWORD_MAX)) if value <= top)
        return self._PREFIX[size].encoding + value.to_bytes(size, "little")


@dataclass(frozen=True)
class _Simple(Term):
    """A term that is just its opcode: Zero, One, Ones, LocalX, ArgX, Debug, Revision, Timer..."""

    opcode: Opcode

    def encode(self) -> bytes:
        return self.opcode.encoding

    def __repr__(self) -> str:
        return self.opcode.info.asl_name


Zero = _Simple(Opcode.ZERO)
One = _Simple(Opcode.ONE)
Ones = _Simple(Opcode.ONES)
Revision = _Simple(Opcode.REVISION)
Debug = _Simple(Opcode.DEBUG)


def Local(n: int) -> Term:  # noqa: N802 - ASL name
    """``Local0``..``Local7``."""
    _check_range(n, 0, LOCAL_COUNT - 1, "Local number")
    return _Simple(Opcode(Opcode.LOCAL0 + n))


def Arg(n: int) -> Term:  # noqa: N802 - ASL name
    """``Arg0``..``Arg6``."""
    _check_range(n, 0, ARG_COUNT - 1, "Arg number")
    return _Simple(Opcode(Opcode.ARG0 + n))


Local0, Local1, Local2, Local3, Local4, Local5, Local6, Local7 = (Local(i) for i in range(LOCAL_COUNT))
Arg0, Arg1, Arg2, Arg3, Arg4, Arg5, Arg6 = (Arg(i) for i in range(ARG_COUNT))


@dataclass(frozen=True)
class String(Term):
    """A string literal (ASCII 0x01-0x7F, section 20.2.3)."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise AmlError(f"string literal must be a str, not {self.value!r}")
        bad = [c for c in self.value if not 0x01 <= ord(c) <= 0x7F]
        if bad:
            raise AmlError(f"string literal {self.value!r} has a non-ASCII or NUL character {bad[0]!r}")

    def encode(self) -> bytes:
        return Opcode.STRING_PREFIX.encoding + self.value.encode("ascii") + b"\x00"


@dataclass(frozen=True)
class Buffer(Term):
    """``Buffer(size) {data}``; ``size`` defaults to ``len(data)`` (may be larger, or a TermArg)."""

    data: bytes = b""
    size: Value | None = None

    def __post_init__(self) -> None:
        if isinstance(self.size, int) and not isinstance(self.size, bool) and self.size < len(self.data):
            raise AmlError(f"buffer size {self.size} is smaller than its {len(self.data)} initializer bytes")

    def encode(self) -> bytes:
        size = term_arg(len(self.data) if self.size is None else self.size, "buffer size")
        return Opcode.BUFFER.encoding + with_pkg_length(size.encode() + bytes(self.data))


class Package(Term):
    """``Package(count) {elements}``; ``count`` defaults to the number of elements.

    Elements are data values (``int``, ``str`` literal, ``bytes``, nested
    lists) or terms (:class:`NameRef` for a reference). More than 255
    elements, or a non-constant ``count``, make a VarPackage as iasl does.
    """

    def __init__(self, *elements: Value, count: Value | None = None) -> None:
        self.elements = [term_arg(e, "package element") for e in elements]
        if count is None:
            count = len(self.elements)
        if isinstance(count, int) and not isinstance(count, bool) and count < len(self.elements):
            raise AmlError(f"package count {count} is smaller than its {len(self.elements)} elements")
        self.count = count

    def encode(self) -> bytes:
        elements = _encode_all(self.elements)
        if isinstance(self.count, int) and self.count <= _PACKAGE_COUNT_MAX:
            return Opcode.PACKAGE.encoding + with_pkg_length(bytes([self.count]) + elements)
        count = term_arg(self.count, "package count")
        return Opcode.VAR_PACKAGE.encoding + with_pkg_length(count.encode() + elements)

    def __repr__(self) -> str:
        return f"Package({', '.join(map(repr, self.elements))}, count={self.count!r})"


def VarPackage(count: Value, *elements: Value) -> Term:  # noqa: N802 - ASL name
    """``Package(count) {...}`` with a run-time count: always a VarPackage (0x13)."""
    pkg = Package(*elements)
    return _VarPackage(term_arg(count, "package count"), pkg.elements)


@dataclass(frozen=True)
class _VarPackage(Term):
    count: Term
    elements: list[Term]

    def encode(self) -> bytes:
        return Opcode.VAR_PACKAGE.encoding + with_pkg_length(self.count.encode()
                                                            + _encode_all(self.elements))


@dataclass(frozen=True)
class NameRef(Term):
    """A name used as a value or a SuperName (``NameRef("\\\\_SB.PRES.CSEL")``).

    When the name is a method, evaluating it calls the method with no arguments.
    """

    path: str

    def __post_init__(self) -> None:
        split_name_string(self.path, "name reference")

    def encode(self) -> bytes:
        return name_string(self.path, "name reference")


@dataclass(frozen=True)
class Call(Term):
    """MethodInvocation: ``Call("\\\\_SB.CSTA", 1)`` is ASL ``\\_SB.CSTA (One)``.

    The callee's argument count must equal ``len(args)`` (AML carries no count).
    """

    path: str
    args: tuple[Term, ...]

    def __init__(self, path: str, *args: Value) -> None:
        split_name_string(path, "method call")
        if len(args) > ARG_COUNT:
            raise AmlError(f"method call {path}: {len(args)} arguments, at most {ARG_COUNT}")
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "args", tuple(term_arg(a, f"argument of {path}") for a in args))

    def encode(self) -> bytes:
        return name_string(self.path, "method call") + _encode_all(self.args)


@dataclass(frozen=True)
class Op(Term):
    """An operator: its opcode followed by its operands, already in grammar order."""

    opcode: Opcode
    operands: tuple[Term, ...] = ()

    def encode(self) -> bytes:
        return self.opcode.encoding + _encode_all(self.operands)

    def __repr__(self) -> str:
        return f"{self.opcode.info.asl_name}({', '.join(map(repr, self.operands))})"


def _byte(value: int, what: str) -> Raw:
    return Raw(bytes([_check_range(value, 0, _BYTE_MAX, what)]))


def _word(value: int, what: str) -> Raw:
    return Raw(_check_range(value, 0, _WORD_MAX, what).to_bytes(2, "little"))


def _dword(value: int, what: str) -> Raw:
    return Raw(_check_range(value, 0, _DWORD_MAX, what).to_bytes(4, "little"))


# ---------------------------------------------------------------------------
# Containers (terms with a PkgLength and a TermList)
# ---------------------------------------------------------------------------


class Container(Term):
    """A term whose body is a TermList: Scope, Device, Method, If, While, ..."""

    opcode: Opcode

    def __init__(self, *terms: Term) -> None:
        self.terms: list[Term] = []
        self.add(*terms)

    def add(self, *terms: Term) -> "Container":
        """Append terms to the body; returns ``self`` for chaining."""
        for t in terms:
            if not isinstance(t, Term):
                raise AmlError(f"{type(self).__name__}: {t!r} is not a term "
                               "(a value alone is not a statement)")
            self.terms.append(t)
        return self

    def head(self) -> bytes:
        """What comes between the PkgLength and the TermList."""
        return b""

    def encode(self) -> bytes:
        return self.opcode.encoding + with_pkg_length(self.head() + _encode_all(self.terms))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.terms)} terms)"


class Scope(Container):
    """``Scope(path) {terms}``."""

    opcode = Opcode.SCOPE

    def __init__(self, path: str, *terms: Term) -> None:
        split_name_string(path, "Scope")
        self.path = path
        super().__init__(*terms)

    def head(self) -> bytes:
        return name_string(self.path, "Scope")


class Device(Container):
    """``Device(name) {terms}``."""

    opcode = Opcode.DEVICE

    def __init__(self, name: str, *terms: Term) -> None:
        split_name_string(name, "Device")
        self.name = name
        super().__init__(*terms)

    def head(self) -> bytes:
        return name_string(self.name, "Device")


class ThermalZone(Device):
    """``ThermalZone(name) {terms}``."""

    opcode = Opcode.THERMAL_ZONE


class Processor(Container):
    """``Processor(name, proc_id, pblk_address, pblk_length) {terms}`` (deprecated since ACPI 6.4)."""

    opcode = Opcode.PROCESSOR

    def __init__(self, name: str, proc_id: int, *terms: Term, pblk_address: int = 0,
                 pblk_length: int = 0) -> None:
        split_name_string(name, "Processor")
        self.name = name
        self.proc_id = _check_range(proc_id, 0, _BYTE_MAX, "Processor ProcID")
        self.pblk_address = _check_range(pblk_address, 0, _DWORD_MAX, "Processor PBlkAddress")
        self.pblk_length = _check_range(pblk_length, 0, _BYTE_MAX, "Processor PblkLength")
        super().__init__(*terms)

    def head(self) -> bytes:
        return (name_string(self.name, "Processor") + bytes([self.proc_id])
                + self.pblk_address.to_bytes(4, "little") + bytes([self.pblk_length]))


class PowerResource(Container):
    """``PowerResource(name, system_level, resource_order) {terms}``."""

    opcode = Opcode.POWER_RES

    def __init__(self, name: str, system_level: int, resource_order: int, *terms: Term) -> None:
        split_name_string(name, "PowerResource")
        self.name = name
        self.system_level = _check_range(system_level, 0, _BYTE_MAX, "PowerResource SystemLevel")
        self.resource_order = _check_range(resource_order, 0, _WORD_MAX, "PowerResource ResourceOrder")
        super().__init__(*terms)

    def head(self) -> bytes:
        return (name_string(self.name, "PowerResource") + bytes([self.system_level])
                + self.resource_order.to_bytes(2, "little"))


class Method(Container):
    """``Method(name, arg_count, Serialized|NotSerialized, sync_level) {terms}``."""

    opcode = Opcode.METHOD

    def __init__(self, name: str, arg_count: int = 0, *terms: Term, serialized: bool = False,
                 sync_level: int = 0) -> None:
        split_name_string(name, "Method")
        self.name = name
        self.arg_count = _check_range(arg_count, 0, METHOD_ARG_COUNT_MASK, f"Method {name} argument count")
        self.serialized = bool(serialized)
        self.sync_level = _check_range(sync_level, 0, _SYNC_LEVEL_MAX, f"Method {name} SyncLevel")
        super().__init__(*terms)

    @property
    def flags(self) -> int:
        """The MethodFlags byte."""
        return (self.arg_count | (METHOD_SERIALIZED_BIT if self.serialized else 0)
                | (self.sync_level << METHOD_SYNC_LEVEL_SHIFT))

    def head(self) -> bytes:
        return name_string(self.name, "Method") + bytes([self.flags])


class If(Container):
    """``If(predicate) {terms}``; an :class:`Else` is the *next* term, as in AML."""

    opcode = Opcode.IF

    def __init__(self, predicate: Value, *terms: Term) -> None:
        self.predicate = term_arg(predicate, "If predicate")
        super().__init__(*terms)

    def head(self) -> bytes:
        return self.predicate.encode()


class Else(Container):
    """``Else {terms}``: must follow an :class:`If` in the same body."""

    opcode = Opcode.ELSE
    _chain = False
    """True when this Else came from an ElseIf: a later Else/ElseIf nests inside it."""


def ElseIf(predicate: Value, *terms: Term) -> Else:  # noqa: N802 - ASL name
    """ASL ``ElseIf (p) {...}``: encoded as iasl does, ``Else { If (p) {...} }``.

    A further ``ElseIf``/``Else`` belongs *inside* this Else, after its If
    (:meth:`DefinitionBlock.else_` and :meth:`DefinitionBlock.elseif` do that).
    """
    return Else(If(predicate, *terms))


class While(Container):
    """``While(predicate) {terms}``."""

    opcode = Opcode.WHILE

    def __init__(self, predicate: Value, *terms: Term) -> None:
        self.predicate = term_arg(predicate, "While predicate")
        super().__init__(*terms)

    def head(self) -> bytes:
        return self.predicate.encode()


# ---------------------------------------------------------------------------
# Namespace modifiers and named objects
# ---------------------------------------------------------------------------


def _seg(name: str, what: str) -> str:
    split_name_string(name, what)
    return name


@dataclass(frozen=True)
class Name(Term):
    """``Name(name, value)``: value is a data object (``int``, ``str``, ``bytes``, list, term)."""

    name: str
    value: Value

    def __post_init__(self) -> None:
        _seg(self.name, "Name")
        object.__setattr__(self, "value", term_arg(self.value, f"value of Name {self.name}"))

    def encode(self) -> bytes:
        return Opcode.NAME.encoding + name_string(self.name, "Name") + self.value.encode()


@dataclass(frozen=True)
class Alias(Term):
    """``Alias(source, alias)``."""

    source: str
    alias: str

    def __post_init__(self) -> None:
        _seg(self.source, "Alias source")
        _seg(self.alias, "Alias name")

    def encode(self) -> bytes:
        return Opcode.ALIAS.encoding + name_string(self.source) + name_string(self.alias)


@dataclass(frozen=True)
class Mutex(Term):
    """``Mutex(name, sync_level)``."""

    name: str
    sync_level: int = 0

    def __post_init__(self) -> None:
        _seg(self.name, "Mutex")
        _check_range(self.sync_level, 0, MUTEX_SYNC_LEVEL_MASK, f"Mutex {self.name} SyncLevel")

    def encode(self) -> bytes:
        return Opcode.MUTEX.encoding + name_string(self.name) + bytes([self.sync_level])


@dataclass(frozen=True)
class Event(Term):
    """``Event(name)``."""

    name: str

    def __post_init__(self) -> None:
        _seg(self.name, "Event")

    def encode(self) -> bytes:
        return Opcode.EVENT.encoding + name_string(self.name)


@dataclass(frozen=True)
class External(Term):
    """``External(name, object_type, arg_count)`` (a declaration for the disassembler/compiler)."""

    name: str
    object_type: ObjectTypeValue | int | str = ObjectTypeValue.UNINITIALIZED
    arg_count: int = 0

    def __post_init__(self) -> None:
        _seg(self.name, "External")
        object.__setattr__(self, "object_type", lookup(ObjectTypeValue, OBJECT_TYPE_KEYWORDS,
                                                       self.object_type, f"External {self.name} type"))
        _check_range(self.arg_count, 0, METHOD_ARG_COUNT_MASK, f"External {self.name} argument count")

    def encode(self) -> bytes:
        return (Opcode.EXTERNAL.encoding + name_string(self.name)
                + bytes([self.object_type, self.arg_count]))


class OperationRegion(Term):
    """``OperationRegion(name, space, offset, length)``; ``space`` a :class:`RegionSpace` or keyword."""

    def __init__(self, name: str, space: RegionSpace | int | str, offset: Value, length: Value) -> None:
        self.name = _seg(name, "OperationRegion")
        self.space = lookup(RegionSpace, REGION_SPACE_KEYWORDS, space, f"OperationRegion {name} space")
        self.offset = term_arg(offset, f"OperationRegion {name} offset")
        self.length = term_arg(length, f"OperationRegion {name} length")

    def encode(self) -> bytes:
        return (Opcode.OPERATION_REGION.encoding + name_string(self.name) + bytes([self.space])
                + self.offset.encode() + self.length.encode())


class DataTableRegion(Term):
    """``DataTableRegion(name, signature, oem_id, oem_table_id)``."""

    def __init__(self, name: str, signature: Value, oem_id: Value, oem_table_id: Value) -> None:
        self.name = _seg(name, "DataTableRegion")
        self.operands = [term_arg(v, f"DataTableRegion {name}") for v in (signature, oem_id, oem_table_id)]

    def encode(self) -> bytes:
        return Opcode.DATA_REGION.encoding + name_string(self.name) + _encode_all(self.operands)


# ---------------------------------------------------------------------------
# Field lists (20.2.5.2)
# ---------------------------------------------------------------------------


class FieldEntry:
    """One entry of a field list; :meth:`encode` gets the current bit position."""

    def encode(self, bit_position: int) -> tuple[bytes, int]:
        """Return the bytes and the new bit position."""
        raise NotImplementedError


@dataclass(frozen=True)
class FieldUnit(FieldEntry):
    """A named field unit ``NAME, bits`` (a ``("NAME", bits)`` tuple is the same)."""

    name: str
    bits: int

    def __post_init__(self) -> None:
        check_name_seg(self.name, "field unit")
        if isinstance(self.bits, bool) or not isinstance(self.bits, int) or self.bits < 1:
            raise AmlError(f"field unit {self.name}: width must be a positive number of bits, "
                           f"not {self.bits!r}")

    def encode(self, bit_position: int) -> tuple[bytes, int]:
        seg = check_name_seg(self.name, "field unit").encode("ascii")
        return seg + field_length(self.bits), bit_position + self.bits


@dataclass(frozen=True)
class Reserved(FieldEntry):
    """An unnamed gap ``, bits``."""

    bits: int

    def encode(self, bit_position: int) -> tuple[bytes, int]:
        if self.bits < 1:
            raise AmlError(f"reserved field width must be positive, not {self.bits}")
        return bytes([FieldElementTag.RESERVED]) + field_length(self.bits), bit_position + self.bits


@dataclass(frozen=True)
class Offset(FieldEntry):
    """``Offset(byte_offset)``: skip to that byte (encoded as a reserved field, as iasl does)."""

    byte_offset: int

    def encode(self, bit_position: int) -> tuple[bytes, int]:
        wanted = self.byte_offset * 8
        if wanted < bit_position:
            raise AmlError(f"Offset({self.byte_offset:#x}) goes backwards: the field list is "
                           f"already at bit {bit_position} (byte {bit_position / 8:g})")
        if wanted == bit_position:
            return b"", bit_position
        return Reserved(wanted - bit_position).encode(bit_position)


@dataclass(frozen=True)
class AccessAs(FieldEntry):
    """``AccessAs(access_type, attrib)``: the access width (and protocol) of the following units.

    ``attrib`` is a number or a keyword (``"AttribQuick"``...); with ``length``
    it is an extended attribute (``AccessAs(BufferAcc, AttribBytes (4))`` is
    ``AccessAs("BufferAcc", "AttribBytes", 4)``), encoded as an ExtendedAccessField.
    """

    access: AccessType | int | str
    attrib: int | str = 0
    length: int | None = None

    def encode(self, bit_position: int) -> tuple[bytes, int]:
        access = lookup(AccessType, ACCESS_TYPE_KEYWORDS, self.access, "AccessAs")
        keywords = ACCESS_ATTRIB_KEYWORDS if self.length is None else EXTENDED_ACCESS_ATTRIB_KEYWORDS
        attrib = self.attrib
        if isinstance(attrib, str):
            by_name = {v.lower(): k for k, v in keywords.items()}
            if attrib.lower() not in by_name:
                raise AmlError(f"AccessAs: unknown attribute {attrib!r} (one of {', '.join(keywords.values())})")
            attrib = by_name[attrib.lower()]
        attrib = _check_range(attrib, 0, _BYTE_MAX, "AccessAs attribute")
        if self.length is None:
            return bytes([FieldElementTag.ACCESS, access, attrib]), bit_position
        length = _check_range(self.length, 0, _BYTE_MAX, "AccessAs length")
        return bytes([FieldElementTag.EXTENDED_ACCESS, access, attrib, length]), bit_position


@dataclass(frozen=True)
class Connection(FieldEntry):
    """``Connection(resource)``: the GPIO/serial-bus connection of the following units.

    ``resource`` is the name of a resource template (``"GPI0"``) or the bytes
    of one descriptor given inline (no End Tag, as iasl emits it).
    """

    resource: str | bytes

    def encode(self, bit_position: int) -> tuple[bytes, int]:
        tag = bytes([FieldElementTag.CONNECT])
        if isinstance(self.resource, str):
            return tag + name_string(self.resource, "Connection"), bit_position
        return tag + Buffer(bytes(self.resource)).encode(), bit_position


FieldItem = Union[FieldEntry, tuple]


def _field_entry(item: FieldItem) -> FieldEntry:
    if isinstance(item, FieldEntry):
        return item
    if isinstance(item, tuple) and len(item) == 2:
        name, bits = item
        return Reserved(bits) if name in (None, "") else FieldUnit(name, bits)
    raise AmlError(f"field list: {item!r} is not a field entry (use (name, bits), Offset, "
                   "Reserved or AccessAs)")


def _field_flags(access: AccessType | int | str, lock: LockRule | int | str | bool,
                 update: UpdateRule | int | str, what: str) -> int:
    access = lookup(AccessType, ACCESS_TYPE_KEYWORDS, access, f"{what} access type")
    if isinstance(lock, bool):
        lock = LockRule.LOCK if lock else LockRule.NO_LOCK
    lock = lookup(LockRule, LOCK_RULE_KEYWORDS, lock, f"{what} lock rule")
    update = lookup(UpdateRule, UPDATE_RULE_KEYWORDS, update, f"{what} update rule")
    return access | (lock << FIELD_LOCK_SHIFT) | (update << FIELD_UPDATE_SHIFT)


class _FieldBase(Term):
    opcode: Opcode

    def __init__(self, access, lock, update, entries: Sequence[FieldItem], what: str) -> None:
        self.flags = _field_flags(access, lock, update, what)
        self.entries = [_field_entry(e) for e in entries]
        self.what = what

    def head(self) -> bytes:
        raise NotImplementedError

    def encode(self) -> bytes:
        out = bytearray(self.head())
        out.append(self.flags)
        position = 0
        for entry in self.entries:
            data, position = entry.encode(position)
            out += data
        return self.opcode.encoding + with_pkg_length(bytes(out))


class Field(_FieldBase):
    """``Field(region, access, lock, update) {entries}``.

    ``access``/``lock``/``update`` are enums or ASL keywords (``"ByteAcc"``,
    ``"NoLock"``, ``"WriteAsZeros"``); entries are ``("NAME", bits)`` tuples,
    :class:`Offset`, :class:`Reserved` and :class:`AccessAs`.
    """

    opcode = Opcode.FIELD

    def __init__(self, region: str, access, lock, update, *entries: FieldItem) -> None:
        self.region = _seg(region, "Field region")
        super().__init__(access, lock, update, entries, f"Field({region})")

    def head(self) -> bytes:
        return name_string(self.region)


class IndexField(_FieldBase):
    """``IndexField(index_name, data_name, access, lock, update) {entries}``."""

    opcode = Opcode.INDEX_FIELD

    def __init__(self, index_name: str, data_name: str, access, lock, update,
                 *entries: FieldItem) -> None:
        self.index_name = _seg(index_name, "IndexField index")
        self.data_name = _seg(data_name, "IndexField data")
        super().__init__(access, lock, update, entries, f"IndexField({index_name}, {data_name})")

    def head(self) -> bytes:
        return name_string(self.index_name) + name_string(self.data_name)


class BankField(_FieldBase):
    """``BankField(region, bank_name, bank_value, access, lock, update) {entries}``."""

    opcode = Opcode.BANK_FIELD

    def __init__(self, region: str, bank_name: str, bank_value: Value, access, lock, update,
                 *entries: FieldItem) -> None:
        self.region = _seg(region, "BankField region")
        self.bank_name = _seg(bank_name, "BankField bank")
        self.bank_value = term_arg(bank_value, "BankField bank value")
        super().__init__(access, lock, update, entries, f"BankField({region}, {bank_name})")

    def head(self) -> bytes:
        return name_string(self.region) + name_string(self.bank_name) + self.bank_value.encode()


# ---------------------------------------------------------------------------
# Buffer fields
# ---------------------------------------------------------------------------


def _create(opcode: Opcode, source: Value, index: Value, name: str, *, what: str,
            width: Value | None = None) -> Term:
    _seg(name, what)
    operands = [term_arg(source, f"{what} source"), term_arg(index, f"{what} index")]
    if width is not None:
        operands.append(term_arg(width, f"{what} width"))
    operands.append(NameRef(name))
    return Op(opcode, tuple(operands))


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
    return _Simple(Opcode.TIMER)


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
    return _Simple(Opcode.BREAK)


def Continue() -> Term:  # noqa: N802
    return _Simple(Opcode.CONTINUE)


def Noop() -> Term:  # noqa: N802
    return _Simple(Opcode.NOOP)


def BreakPoint() -> Term:  # noqa: N802
    return _Simple(Opcode.BREAK_POINT)


# ---------------------------------------------------------------------------
# The definition block
# ---------------------------------------------------------------------------


@dataclass
class DefinitionBlock:
    """A DSDT or SSDT being built: its header fields and its top-level terms.

    The ``with`` methods (:meth:`scope`, :meth:`device`, :meth:`method`,
    :meth:`if_`, ...) open a container; :meth:`add` and the statement methods
    append to the innermost open one. :meth:`encode` returns the whole table.
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
            self._open[-1].add(*terms)
        else:
            for t in terms:
                if not isinstance(t, Term):
                    raise AmlError(f"definition block: {t!r} is not a term")
                self.terms.append(t)
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
        return self._open[-1].terms if self._open else self.terms

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
            if isinstance(last, If):
                return body
            if isinstance(last, Else) and getattr(last, "_chain", False):
                body = last.terms
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
        block._chain = True  # a later Else/ElseIf goes inside, after ``inner``
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
        return INTEGER_WIDTH_32 if self.revision < _FIRST_64_BIT_REVISION else INTEGER_WIDTH_64

    def body(self) -> bytes:
        """The AML of the top-level terms (the table without its header)."""
        if self._open:
            raise AmlError(f"definition block encoded while {self._open[-1]!r} is still open")
        with integer_width(self.integer_width):
            return _encode_all(self.terms)

    def encode(self) -> bytes:
        """The whole table: 36-byte header (length, checksum) and the AML."""
        header = SdtHeader(signature=self.signature, revision=self.revision, oem_id=self.oem_id,
                           oem_table_id=self.oem_table_id, oem_revision=self.oem_revision,
                           creator_id=self.creator_id, creator_revision=self.creator_revision)
        return build_table(header, self.body())
