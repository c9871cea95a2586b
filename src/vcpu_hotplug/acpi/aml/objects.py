"""ACPI namespace objects and their types (ACPI 6.5 section 19.3.5 and 19.6.97 ObjectType).

Data objects are plain Python values, which keeps the hot paths of the
interpreter fast:

======================  ======================================================
ACPI type               Python representation
======================  ======================================================
Uninitialized           ``None``
Integer                 ``int`` (kept within the table's integer width)
String                  :class:`AmlString` (a mutable ``bytearray`` subclass:
                        a Store through a reference changes the string in
                        place, as in other interpreters)
Buffer                  ``bytearray`` (mutable, shared: Index and buffer
                        fields see the same bytes)
Package                 :class:`Package` (a ``list`` of element objects)
======================  ======================================================

Every other type is a class below. References (``RefOf``, ``Index``, names
in packages) are :class:`Reference` subclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from vcpu_hotplug.acpi.aml.opcodes import ObjectType


#: Internal type codes (not returned by ObjectType, as in ACPICA): references and bare scopes.
REFERENCE_TYPE = 0x14
SCOPE_TYPE = 0x15


#: Names as printed by ACPICA (``AcpiUtGetTypeName``) and returned by ``Interpreter.object_type``.
TYPE_NAMES = {
    ObjectType.UNINITIALIZED: "Uninitialized",
    ObjectType.INTEGER: "Integer",
    ObjectType.STRING: "String",
    ObjectType.BUFFER: "Buffer",
    ObjectType.PACKAGE: "Package",
    ObjectType.FIELD_UNIT: "FieldUnit",
    ObjectType.DEVICE: "Device",
    ObjectType.EVENT: "Event",
    ObjectType.METHOD: "Method",
    ObjectType.MUTEX: "Mutex",
    ObjectType.OPERATION_REGION: "OperationRegion",
    ObjectType.POWER_RESOURCE: "PowerResource",
    ObjectType.PROCESSOR: "Processor",
    ObjectType.THERMAL_ZONE: "ThermalZone",
    ObjectType.BUFFER_FIELD: "BufferField",
    ObjectType.DDB_HANDLE: "DDBHandle",
    ObjectType.DEBUG_OBJECT: "DebugObject",
    REFERENCE_TYPE: "Reference",
    SCOPE_TYPE: "Scope",
}


class AmlString(bytearray):
    """An AML String: its bytes, without the terminating NUL."""

    __slots__ = ()

    def __str__(self) -> str:
        return self.decode("latin-1")

    def __repr__(self) -> str:
        return f"AmlString({self.decode('latin-1')!r})"


class Package(list):
    """A Package: a list of element objects (``None`` for uninitialized elements)."""

    __slots__ = ()


class AmlObject:
    """Base of the non-data objects."""

    __slots__ = ()
    object_type = ObjectType.UNINITIALIZED


class Device(AmlObject):
    __slots__ = ()
    object_type = ObjectType.DEVICE


class Scope(AmlObject):
    """A bare namespace scope (``\\``, ``\\_SB``, ``\\_GPE``...): no object of its own."""

    __slots__ = ()
    object_type = SCOPE_TYPE


@dataclass(eq=False)
class Processor(AmlObject):
    proc_id: int = 0
    pblk_address: int = 0
    pblk_length: int = 0
    object_type = ObjectType.PROCESSOR


@dataclass(eq=False)
class PowerResource(AmlObject):
    system_level: int = 0
    resource_order: int = 0
    object_type = ObjectType.POWER_RESOURCE


class ThermalZone(AmlObject):
    __slots__ = ()
    object_type = ObjectType.THERMAL_ZONE


@dataclass(eq=False)
class Method(AmlObject):
    """A control method: AML body compiled lazily into a Python callable.

    ``body`` is the parser's term list (or raw bytes), ``native`` a Python
    function ``native(interp, args) -> object`` for methods the OS provides
    (``\\_OSI``).
    """

    arg_count: int = 0
    serialized: bool = False
    sync_level: int = 0
    body: Any = None
    node: Any = None
    table: Any = None
    native: Callable | None = None
    compiled: Any = None
    mutex: "Mutex | None" = None
    #: the table's bytes and where the body is in them, for a body parsed when it runs
    source: Any = None
    body_offset: int = 0
    end: int = 0
    object_type = ObjectType.METHOD


@dataclass(eq=False)
class Mutex(AmlObject):
    """A Mutex (ACPI 6.5 section 19.6.87); ``depth`` counts recursive acquisitions."""

    sync_level: int = 0
    depth: int = 0
    owner: Any = None
    previous_sync: int = 0
    object_type = ObjectType.MUTEX


@dataclass(eq=False)
class Event(AmlObject):
    """An Event (ACPI 6.5 section 19.6.46); ``count`` of pending signals."""

    count: int = 0
    object_type = ObjectType.EVENT


@dataclass(eq=False)
class OperationRegion(AmlObject):
    space: int = 0
    offset: int = 0
    length: int = 0
    node: Any = None
    #: Set when the method that created the region returns: its fields can no longer be used.
    deleted: bool = False
    #: ``_REG(space, 1)`` has run and no ``_REG(space, 0)`` since (ACPICA AOPOBJ_REG_CONNECTED).
    reg_connected: bool = False
    object_type = ObjectType.OPERATION_REGION


@dataclass(eq=False)
class FieldUnit(AmlObject):
    """A field of an OperationRegion, BankField or IndexField (ACPI 6.5 section 19.6.48).

    The access geometry follows ACPICA ``AcpiExPrepCommonFieldObject``:
    ``base_byte_offset`` is the offset of the first access-width datum that
    holds the field's first bit, ``start_bit`` the field's first bit within it.
    """

    bit_offset: int = 0
    bit_length: int = 0
    access_bytes: int = 1
    update_rule: int = 0
    lock: bool = False
    region: OperationRegion | None = None
    bank: "FieldUnit | None" = None
    bank_value: int = 0
    index: "FieldUnit | None" = None
    data: "FieldUnit | None" = None
    attribute: int = 0
    access_length: int = 0
    node: Any = None
    base_byte_offset: int = 0
    start_bit: int = 0
    object_type = ObjectType.FIELD_UNIT

    def __post_init__(self) -> None:
        self.base_byte_offset = (self.bit_offset // 8) // self.access_bytes * self.access_bytes
        self.start_bit = self.bit_offset - 8 * self.base_byte_offset


@dataclass(eq=False)
class BufferField(AmlObject):
    """A field over a Buffer (CreateBitField .. CreateField, ACPI 6.5 section 19.6.15)."""

    buffer: bytearray = field(default_factory=bytearray)
    bit_offset: int = 0
    bit_length: int = 0
    node: Any = None
    is_create_field: bool = False
    object_type = ObjectType.BUFFER_FIELD


class DebugObject(AmlObject):
    """The ``Debug`` object: stores to it go to ``Interpreter.debug_log``."""

    __slots__ = ()
    object_type = ObjectType.DEBUG_OBJECT


DEBUG = DebugObject()


# --- references -----------------------------------------------------------------------------


class Reference:
    """An object reference (ACPI 6.5 section 19.3.5: ``RefOf``, ``Index``, names in packages)."""

    __slots__ = ()
    object_type = REFERENCE_TYPE


class NodeRef(Reference):
    """A reference to a named object (``RefOf(\\FOO)``, a name inside a Package)."""

    __slots__ = ("node",)

    def __init__(self, node) -> None:
        self.node = node

    def __eq__(self, other) -> bool:
        return isinstance(other, NodeRef) and other.node is self.node

    __hash__ = object.__hash__


class SlotRef(Reference):
    """A reference to a method's ArgX or LocalX slot (``RefOf(Local0)``)."""

    __slots__ = ("slots", "index", "name")

    def __init__(self, slots: list, index: int, name: str) -> None:
        self.slots = slots
        self.index = index
        self.name = name


class IndexRef(Reference):
    """A reference to one element of a Package, Buffer or String (``Index``)."""

    __slots__ = ("container", "index", "refof")

    def __init__(self, container, index: int, refof: bool = False) -> None:
        self.container = container
        self.index = index
        #: Made by ``RefOf(Index(...))``: a reference to the element, which a store to a
        #: LocalX holding it goes through (as for a package element).
        self.refof = refof


class UnresolvedName(Reference):
    """A name in a Package that did not resolve at load time (kept as its path)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


def type_of(value) -> int:
    """The ObjectType of a (dereferenced) object."""
    if value is None:
        return ObjectType.UNINITIALIZED
    t = type(value)
    if t is int or t is bool:
        return ObjectType.INTEGER
    if t is AmlString or t is str:
        return ObjectType.STRING
    if t is bytearray or t is bytes:
        return ObjectType.BUFFER
    if t is Package:
        return ObjectType.PACKAGE
    return value.object_type


def type_name(value) -> str:
    return TYPE_NAMES[type_of(value)]
