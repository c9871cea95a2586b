"""The AML opcode table, name and package-length encodings (ACPI 6.5 chapter 20).

One :class:`OpInfo` per opcode of ACPI 6.5 section 20.3 (AML Byte Stream Byte
Values), including the ``0x5B`` extended opcodes and the ``0x92`` LNot-combined
forms (``LNotEqual``, ``LLessEqual``, ``LGreaterEqual``), each with the kinds
of its arguments in grammar order (section 20.2) and its ASL name (chapter 19).

Opcode values: a one-byte opcode is its byte; an extended opcode is
``0x5B00 | byte`` (``Opcode.DEVICE == 0x5B82``); an LNot-combined opcode is
``0x9200 | byte`` (``Opcode.LNOT_EQUAL == 0x9293``). :attr:`Opcode.encoding`
gives the bytes.

Also here: the name prefixes of section 20.2.2 (Name Objects Encoding), the
field-element tags of section 20.2.5.2 (Named Objects Encoding, FieldElement),
the PkgLength encoding of section 20.2.4 and NameString decode/encode helpers,
plus the small enumerations whose values appear in the byte stream (region
spaces, field flags, match operators, object types for External).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from vcpu_hotplug.acpi.aml.regions import RegionSpace  # noqa: F401 - the RegionSpace byte of the grammar
from vcpu_hotplug.acpi.errors import AmlError

# ---------------------------------------------------------------------------
# Prefixes and special bytes (ACPI 6.5 section 20.2.2 and 20.3)
# ---------------------------------------------------------------------------


class Prefix(enum.IntEnum):
    """Bytes that introduce names or extended opcodes (not opcodes themselves)."""

    NULL_NAME = 0x00
    DUAL_NAME = 0x2E
    MULTI_NAME = 0x2F
    EXT_OP = 0x5B
    ROOT_CHAR = 0x5C
    PARENT_PREFIX = 0x5E
    LNOT = 0x92


class FieldElementTag(enum.IntEnum):
    """First byte of a FieldElement that is not a NamedField (section 20.2.5.2)."""

    RESERVED = 0x00
    ACCESS = 0x01
    CONNECT = 0x02
    EXTENDED_ACCESS = 0x03


NAME_SEG_SIZE = 4
#: Byte values allowed in a NameSeg (LeadNameChar: A-Z and '_'; NameChar adds 0-9).
LEAD_NAME_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ_")
NAME_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")

#: Largest value a PkgLength can encode (4 bytes: 4 + 8 + 8 + 8 bits).
PKG_LENGTH_MAX = (1 << 28) - 1

#: Size in bytes of the DefinitionBlock header (the ACPI table header, section 5.2.6).
DEFINITION_BLOCK_HEADER_SIZE = 36

#: Number of LocalX and ArgX objects of a method (section 19.3.4).
LOCAL_COUNT = 8
ARG_COUNT = 7

# ---------------------------------------------------------------------------
# Argument kinds (section 20.2 grammar terms)
# ---------------------------------------------------------------------------


class ArgKind(enum.Enum):
    """What follows an opcode, in grammar order."""

    PKG_LENGTH = "PkgLength"          # not an operand: the body length
    NAME_STRING = "NameString"        # a name being declared or referred to, never a call
    TERM_ARG = "TermArg"              # any expression; a name there may be a method call
    SUPER_NAME = "SuperName"          # SimpleName | DebugObj | RefOf/DerefOf/Index/method call
    SIMPLE_NAME = "SimpleName"        # NameString | ArgObj | LocalObj
    TARGET = "Target"                 # SuperName | NullName (omitted: None in the tree)
    DATA_REF_OBJECT = "DataRefObject"  # Name()'s value: a data object (a name is a reference)
    BYTE_DATA = "ByteData"
    WORD_DATA = "WordData"
    DWORD_DATA = "DWordData"
    QWORD_DATA = "QWordData"
    ASCII_STRING = "AsciiCharList"    # AsciiCharList NullChar (String only)
    TERM_LIST = "TermList"            # to the end of the PkgLength
    BYTE_LIST = "ByteList"            # to the end of the PkgLength (Buffer)
    FIELD_LIST = "FieldList"          # to the end of the PkgLength
    PACKAGE_ELEMENT_LIST = "PackageElementList"  # to the end of the PkgLength


class OpClass(enum.Enum):
    """Grammar class of an opcode (section 20.2.5)."""

    DATA = "data"                     # ComputationalData / DataObject
    NAMESPACE_MODIFIER = "namespace-modifier"
    NAMED_OBJECT = "named-object"
    STATEMENT = "type1"               # Type1Opcode
    EXPRESSION = "type2"              # Type2Opcode
    LOCAL = "local"                   # Local0-7
    ARG = "arg"                       # Arg0-6
    DEBUG = "debug"


class Opcode(enum.IntEnum):
    """Every AML opcode (ACPI 6.5 section 20.3)."""

    ZERO = 0x00
    ONE = 0x01
    ALIAS = 0x06
    NAME = 0x08
    BYTE_PREFIX = 0x0A
    WORD_PREFIX = 0x0B
    DWORD_PREFIX = 0x0C
    STRING_PREFIX = 0x0D
    QWORD_PREFIX = 0x0E
    SCOPE = 0x10
    BUFFER = 0x11
    PACKAGE = 0x12
    VAR_PACKAGE = 0x13
    METHOD = 0x14
    EXTERNAL = 0x15
    LOCAL0 = 0x60
    LOCAL1 = 0x61
    LOCAL2 = 0x62
    LOCAL3 = 0x63
    LOCAL4 = 0x64
    LOCAL5 = 0x65
    LOCAL6 = 0x66
    LOCAL7 = 0x67
    ARG0 = 0x68
    ARG1 = 0x69
    ARG2 = 0x6A
    ARG3 = 0x6B
    ARG4 = 0x6C
    ARG5 = 0x6D
    ARG6 = 0x6E
    STORE = 0x70
    REF_OF = 0x71
    ADD = 0x72
    CONCAT = 0x73
    SUBTRACT = 0x74
    INCREMENT = 0x75
    DECREMENT = 0x76
    MULTIPLY = 0x77
    DIVIDE = 0x78
    SHIFT_LEFT = 0x79
    SHIFT_RIGHT = 0x7A
    AND = 0x7B
    NAND = 0x7C
    OR = 0x7D
    NOR = 0x7E
    XOR = 0x7F
    NOT = 0x80
    FIND_SET_LEFT_BIT = 0x81
    FIND_SET_RIGHT_BIT = 0x82
    DEREF_OF = 0x83
    CONCAT_RES = 0x84
    MOD = 0x85
    NOTIFY = 0x86
    SIZE_OF = 0x87
    INDEX = 0x88
    MATCH = 0x89
    CREATE_DWORD_FIELD = 0x8A
    CREATE_WORD_FIELD = 0x8B
    CREATE_BYTE_FIELD = 0x8C
    CREATE_BIT_FIELD = 0x8D
    OBJECT_TYPE = 0x8E
    CREATE_QWORD_FIELD = 0x8F
    LAND = 0x90
    LOR = 0x91
    LNOT = 0x92
    LEQUAL = 0x93
    LGREATER = 0x94
    LLESS = 0x95
    TO_BUFFER = 0x96
    TO_DECIMAL_STRING = 0x97
    TO_HEX_STRING = 0x98
    TO_INTEGER = 0x99
    TO_STRING = 0x9C
    COPY_OBJECT = 0x9D
    MID = 0x9E
    CONTINUE = 0x9F
    IF = 0xA0
    ELSE = 0xA1
    WHILE = 0xA2
    NOOP = 0xA3
    RETURN = 0xA4
    BREAK = 0xA5
    BREAK_POINT = 0xCC
    ONES = 0xFF
    # 0x5B extended opcodes
    MUTEX = 0x5B01
    EVENT = 0x5B02
    COND_REF_OF = 0x5B12
    CREATE_FIELD = 0x5B13
    LOAD_TABLE = 0x5B1F
    LOAD = 0x5B20
    STALL = 0x5B21
    SLEEP = 0x5B22
    ACQUIRE = 0x5B23
    SIGNAL = 0x5B24
    WAIT = 0x5B25
    RESET = 0x5B26
    RELEASE = 0x5B27
    FROM_BCD = 0x5B28
    TO_BCD = 0x5B29
    UNLOAD = 0x5B2A
    REVISION = 0x5B30
    DEBUG = 0x5B31
    FATAL = 0x5B32
    TIMER = 0x5B33
    OPERATION_REGION = 0x5B80
    FIELD = 0x5B81
    DEVICE = 0x5B82
    PROCESSOR = 0x5B83
    POWER_RES = 0x5B84
    THERMAL_ZONE = 0x5B85
    INDEX_FIELD = 0x5B86
    BANK_FIELD = 0x5B87
    DATA_REGION = 0x5B88
    # 0x92 LNot-combined opcodes
    LNOT_EQUAL = 0x9293
    LLESS_EQUAL = 0x9294
    LGREATER_EQUAL = 0x9295

    @property
    def encoding(self) -> bytes:
        """The opcode's bytes in the AML stream (1 or 2 bytes)."""
        if self.value > 0xFF:
            return self.value.to_bytes(2, "big")
        return bytes((self.value,))

    @property
    def info(self) -> OpInfo:
        """This opcode's table entry."""
        return OPCODES[self]


@dataclass(frozen=True, slots=True)
class OpInfo:
    """One row of the opcode table.

    ``args`` lists what follows the opcode in grammar order, ``PKG_LENGTH``
    included when the opcode has one (it is always first). ``asl_name`` is the
    ASL operator or keyword (chapter 19).
    """

    opcode: Opcode
    asl_name: str
    args: tuple[ArgKind, ...]
    op_class: OpClass

    @property
    def has_pkg_length(self) -> bool:
        return bool(self.args) and self.args[0] is ArgKind.PKG_LENGTH

    @property
    def operands(self) -> tuple[ArgKind, ...]:
        """The argument kinds after the PkgLength (if any)."""
        return self.args[1:] if self.has_pkg_length else self.args

    @property
    def target_count(self) -> int:
        """Number of Target operands (Divide has two, most operators one or none)."""
        return sum(1 for a in self.args if a is ArgKind.TARGET)


_K = ArgKind
_PKG, _NS, _TA, _SN, _SI, _TG = _K.PKG_LENGTH, _K.NAME_STRING, _K.TERM_ARG, _K.SUPER_NAME, _K.SIMPLE_NAME, _K.TARGET
_BD, _WD, _DD = _K.BYTE_DATA, _K.WORD_DATA, _K.DWORD_DATA

_TABLE: list[tuple[Opcode, str, tuple[ArgKind, ...], OpClass]] = [
    # Data objects (20.2.3)
    (Opcode.ZERO, "Zero", (), OpClass.DATA),
    (Opcode.ONE, "One", (), OpClass.DATA),
    (Opcode.ONES, "Ones", (), OpClass.DATA),
    (Opcode.BYTE_PREFIX, "ByteConst", (_BD,), OpClass.DATA),
    (Opcode.WORD_PREFIX, "WordConst", (_WD,), OpClass.DATA),
    (Opcode.DWORD_PREFIX, "DWordConst", (_DD,), OpClass.DATA),
    (Opcode.QWORD_PREFIX, "QWordConst", (_K.QWORD_DATA,), OpClass.DATA),
    (Opcode.STRING_PREFIX, "String", (_K.ASCII_STRING,), OpClass.DATA),
    (Opcode.REVISION, "Revision", (), OpClass.DATA),
    (Opcode.BUFFER, "Buffer", (_PKG, _TA, _K.BYTE_LIST), OpClass.EXPRESSION),
    (Opcode.PACKAGE, "Package", (_PKG, _BD, _K.PACKAGE_ELEMENT_LIST), OpClass.EXPRESSION),
    (Opcode.VAR_PACKAGE, "Package", (_PKG, _TA, _K.PACKAGE_ELEMENT_LIST), OpClass.EXPRESSION),
    # Namespace modifiers (20.2.5.1)
    (Opcode.ALIAS, "Alias", (_NS, _NS), OpClass.NAMESPACE_MODIFIER),
    (Opcode.NAME, "Name", (_NS, _K.DATA_REF_OBJECT), OpClass.NAMESPACE_MODIFIER),
    (Opcode.SCOPE, "Scope", (_PKG, _NS, _K.TERM_LIST), OpClass.NAMESPACE_MODIFIER),
    # Named objects (20.2.5.2)
    (Opcode.BANK_FIELD, "BankField", (_PKG, _NS, _NS, _TA, _BD, _K.FIELD_LIST), OpClass.NAMED_OBJECT),
    (Opcode.CREATE_BIT_FIELD, "CreateBitField", (_TA, _TA, _NS), OpClass.NAMED_OBJECT),
    (Opcode.CREATE_BYTE_FIELD, "CreateByteField", (_TA, _TA, _NS), OpClass.NAMED_OBJECT),
    (Opcode.CREATE_DWORD_FIELD, "CreateDWordField", (_TA, _TA, _NS), OpClass.NAMED_OBJECT),
    (Opcode.CREATE_FIELD, "CreateField", (_TA, _TA, _TA, _NS), OpClass.NAMED_OBJECT),
    (Opcode.CREATE_QWORD_FIELD, "CreateQWordField", (_TA, _TA, _NS), OpClass.NAMED_OBJECT),
    (Opcode.CREATE_WORD_FIELD, "CreateWordField", (_TA, _TA, _NS), OpClass.NAMED_OBJECT),
    (Opcode.DATA_REGION, "DataTableRegion", (_NS, _TA, _TA, _TA), OpClass.NAMED_OBJECT),
    (Opcode.DEVICE, "Device", (_PKG, _NS, _K.TERM_LIST), OpClass.NAMED_OBJECT),
    (Opcode.EVENT, "Event", (_NS,), OpClass.NAMED_OBJECT),
    (Opcode.EXTERNAL, "External", (_NS, _BD, _BD), OpClass.NAMED_OBJECT),
    (Opcode.FIELD, "Field", (_PKG, _NS, _BD, _K.FIELD_LIST), OpClass.NAMED_OBJECT),
    (Opcode.INDEX_FIELD, "IndexField", (_PKG, _NS, _NS, _BD, _K.FIELD_LIST), OpClass.NAMED_OBJECT),
    (Opcode.METHOD, "Method", (_PKG, _NS, _BD, _K.TERM_LIST), OpClass.NAMED_OBJECT),
    (Opcode.MUTEX, "Mutex", (_NS, _BD), OpClass.NAMED_OBJECT),
    (Opcode.OPERATION_REGION, "OperationRegion", (_NS, _BD, _TA, _TA), OpClass.NAMED_OBJECT),
    (Opcode.POWER_RES, "PowerResource", (_PKG, _NS, _BD, _WD, _K.TERM_LIST), OpClass.NAMED_OBJECT),
    (Opcode.PROCESSOR, "Processor", (_PKG, _NS, _BD, _DD, _BD, _K.TERM_LIST), OpClass.NAMED_OBJECT),
    (Opcode.THERMAL_ZONE, "ThermalZone", (_PKG, _NS, _K.TERM_LIST), OpClass.NAMED_OBJECT),
    # Type 1 opcodes (20.2.5.3)
    (Opcode.BREAK, "Break", (), OpClass.STATEMENT),
    (Opcode.BREAK_POINT, "BreakPoint", (), OpClass.STATEMENT),
    (Opcode.CONTINUE, "Continue", (), OpClass.STATEMENT),
    (Opcode.ELSE, "Else", (_PKG, _K.TERM_LIST), OpClass.STATEMENT),
    (Opcode.FATAL, "Fatal", (_BD, _DD, _TA), OpClass.STATEMENT),
    (Opcode.IF, "If", (_PKG, _TA, _K.TERM_LIST), OpClass.STATEMENT),
    (Opcode.LOAD, "Load", (_NS, _TG), OpClass.STATEMENT),
    (Opcode.NOOP, "Noop", (), OpClass.STATEMENT),
    (Opcode.NOTIFY, "Notify", (_SN, _TA), OpClass.STATEMENT),
    (Opcode.RELEASE, "Release", (_SN,), OpClass.STATEMENT),
    (Opcode.RESET, "Reset", (_SN,), OpClass.STATEMENT),
    (Opcode.RETURN, "Return", (_TA,), OpClass.STATEMENT),
    (Opcode.SIGNAL, "Signal", (_SN,), OpClass.STATEMENT),
    (Opcode.SLEEP, "Sleep", (_TA,), OpClass.STATEMENT),
    (Opcode.STALL, "Stall", (_TA,), OpClass.STATEMENT),
    (Opcode.UNLOAD, "Unload", (_SN,), OpClass.STATEMENT),
    (Opcode.WHILE, "While", (_PKG, _TA, _K.TERM_LIST), OpClass.STATEMENT),
    # Type 2 opcodes (20.2.5.4)
    (Opcode.ACQUIRE, "Acquire", (_SN, _WD), OpClass.EXPRESSION),
    (Opcode.ADD, "Add", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.AND, "And", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.CONCAT, "Concatenate", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.CONCAT_RES, "ConcatenateResTemplate", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.COND_REF_OF, "CondRefOf", (_SN, _TG), OpClass.EXPRESSION),
    (Opcode.COPY_OBJECT, "CopyObject", (_TA, _SI), OpClass.EXPRESSION),
    (Opcode.DECREMENT, "Decrement", (_SN,), OpClass.EXPRESSION),
    (Opcode.DEREF_OF, "DerefOf", (_TA,), OpClass.EXPRESSION),
    (Opcode.DIVIDE, "Divide", (_TA, _TA, _TG, _TG), OpClass.EXPRESSION),
    (Opcode.FIND_SET_LEFT_BIT, "FindSetLeftBit", (_TA, _TG), OpClass.EXPRESSION),
    (Opcode.FIND_SET_RIGHT_BIT, "FindSetRightBit", (_TA, _TG), OpClass.EXPRESSION),
    (Opcode.FROM_BCD, "FromBCD", (_TA, _TG), OpClass.EXPRESSION),
    (Opcode.INCREMENT, "Increment", (_SN,), OpClass.EXPRESSION),
    (Opcode.INDEX, "Index", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.LAND, "LAnd", (_TA, _TA), OpClass.EXPRESSION),
    (Opcode.LEQUAL, "LEqual", (_TA, _TA), OpClass.EXPRESSION),
    (Opcode.LGREATER, "LGreater", (_TA, _TA), OpClass.EXPRESSION),
    (Opcode.LGREATER_EQUAL, "LGreaterEqual", (_TA, _TA), OpClass.EXPRESSION),
    (Opcode.LLESS, "LLess", (_TA, _TA), OpClass.EXPRESSION),
    (Opcode.LLESS_EQUAL, "LLessEqual", (_TA, _TA), OpClass.EXPRESSION),
    (Opcode.LNOT, "LNot", (_TA,), OpClass.EXPRESSION),
    (Opcode.LNOT_EQUAL, "LNotEqual", (_TA, _TA), OpClass.EXPRESSION),
    (Opcode.LOAD_TABLE, "LoadTable", (_TA, _TA, _TA, _TA, _TA, _TA), OpClass.EXPRESSION),
    (Opcode.LOR, "LOr", (_TA, _TA), OpClass.EXPRESSION),
    (Opcode.MATCH, "Match", (_TA, _BD, _TA, _BD, _TA, _TA), OpClass.EXPRESSION),
    (Opcode.MID, "Mid", (_TA, _TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.MOD, "Mod", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.MULTIPLY, "Multiply", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.NAND, "NAnd", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.NOR, "NOr", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.NOT, "Not", (_TA, _TG), OpClass.EXPRESSION),
    (Opcode.OBJECT_TYPE, "ObjectType", (_SN,), OpClass.EXPRESSION),
    (Opcode.OR, "Or", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.REF_OF, "RefOf", (_SN,), OpClass.EXPRESSION),
    (Opcode.SHIFT_LEFT, "ShiftLeft", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.SHIFT_RIGHT, "ShiftRight", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.SIZE_OF, "SizeOf", (_SN,), OpClass.EXPRESSION),
    (Opcode.STORE, "Store", (_TA, _SN), OpClass.EXPRESSION),
    (Opcode.SUBTRACT, "Subtract", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.TIMER, "Timer", (), OpClass.EXPRESSION),
    (Opcode.TO_BCD, "ToBCD", (_TA, _TG), OpClass.EXPRESSION),
    (Opcode.TO_BUFFER, "ToBuffer", (_TA, _TG), OpClass.EXPRESSION),
    (Opcode.TO_DECIMAL_STRING, "ToDecimalString", (_TA, _TG), OpClass.EXPRESSION),
    (Opcode.TO_HEX_STRING, "ToHexString", (_TA, _TG), OpClass.EXPRESSION),
    (Opcode.TO_INTEGER, "ToInteger", (_TA, _TG), OpClass.EXPRESSION),
    (Opcode.TO_STRING, "ToString", (_TA, _TA, _TG), OpClass.EXPRESSION),
    (Opcode.WAIT, "Wait", (_SN, _TA), OpClass.EXPRESSION),
    (Opcode.XOR, "XOr", (_TA, _TA, _TG), OpClass.EXPRESSION),
    # Miscellaneous objects (20.2.6)
    *[(Opcode(Opcode.LOCAL0 + i), f"Local{i}", (), OpClass.LOCAL) for i in range(LOCAL_COUNT)],
    *[(Opcode(Opcode.ARG0 + i), f"Arg{i}", (), OpClass.ARG) for i in range(ARG_COUNT)],
    (Opcode.DEBUG, "Debug", (), OpClass.DEBUG),
]

#: The opcode table, one entry per :class:`Opcode`.
OPCODES: dict[Opcode, OpInfo] = {op: OpInfo(op, asl, args, cls) for op, asl, args, cls in _TABLE}

#: Encoding lookups used by the parser: one-byte opcodes by byte, extended opcodes
#: by their second byte, LNot-combined opcodes by their second byte.
ONE_BYTE_OPCODES: dict[int, OpInfo] = {op.value: i for op, i in OPCODES.items() if op.value <= 0xFF}
EXT_OPCODES: dict[int, OpInfo] = {op.value & 0xFF: i for op, i in OPCODES.items()
                                   if op.value >> 8 == Prefix.EXT_OP}
LNOT_OPCODES: dict[int, OpInfo] = {op.value & 0xFF: i for op, i in OPCODES.items()
                                    if op.value >> 8 == Prefix.LNOT}

#: Opcodes whose value is an integer constant, and the byte width of their data.
INTEGER_DATA_SIZE: dict[Opcode, int] = {
    Opcode.ZERO: 0, Opcode.ONE: 0, Opcode.ONES: 0,
    Opcode.BYTE_PREFIX: 1, Opcode.WORD_PREFIX: 2, Opcode.DWORD_PREFIX: 4, Opcode.QWORD_PREFIX: 8,
}

CREATE_FIELD_BITS: dict[Opcode, int | None] = {
    Opcode.CREATE_BIT_FIELD: 1, Opcode.CREATE_BYTE_FIELD: 8, Opcode.CREATE_WORD_FIELD: 16,
    Opcode.CREATE_DWORD_FIELD: 32, Opcode.CREATE_QWORD_FIELD: 64, Opcode.CREATE_FIELD: None,
}
"""Width in bits of the field each Create*Field opcode makes (None: given by an operand)."""


def local_index(op: Opcode) -> int | None:
    """0-7 for Local0-Local7, else None."""
    i = op - Opcode.LOCAL0
    return i if 0 <= i < LOCAL_COUNT else None


def arg_index(op: Opcode) -> int | None:
    """0-6 for Arg0-Arg6, else None."""
    i = op - Opcode.ARG0
    return i if 0 <= i < ARG_COUNT else None


# ---------------------------------------------------------------------------
# Byte-stream enumerations (values defined by the spec)
# ---------------------------------------------------------------------------


class AccessType(enum.IntEnum):
    """FieldFlags bits 0-3 and AccessAs AccessType (section 19.6.48)."""

    ANY = 0
    BYTE = 1
    WORD = 2
    DWORD = 3
    QWORD = 4
    BUFFER = 5


class LockRule(enum.IntEnum):
    """FieldFlags bit 4."""

    NO_LOCK = 0
    LOCK = 1


class UpdateRule(enum.IntEnum):
    """FieldFlags bits 5-6."""

    PRESERVE = 0
    WRITE_AS_ONES = 1
    WRITE_AS_ZEROS = 2


FIELD_ACCESS_MASK = 0x0F
FIELD_LOCK_SHIFT = 4
FIELD_UPDATE_SHIFT = 5
FIELD_UPDATE_MASK = 0x03
#: AccessAs: AccessType byte bits 6-7 say how AccessAttrib is to be read (section 20.2.5.2).
ACCESS_ATTRIB_KIND_SHIFT = 6
ACCESS_TYPE_MASK = 0x0F

METHOD_ARG_COUNT_MASK = 0x07
METHOD_SERIALIZED_BIT = 0x08
METHOD_SYNC_LEVEL_SHIFT = 4
MUTEX_SYNC_LEVEL_MASK = 0x0F


class MatchOperator(enum.IntEnum):
    """Match() MatchOpcode byte (section 19.6.82)."""

    MTR = 0
    MEQ = 1
    MLE = 2
    MLT = 3
    MGE = 4
    MGT = 5


class ObjectType(enum.IntEnum):
    """Object type numbers of ObjectType() and External() (section 19.6.97, table 19.35)."""

    UNINITIALIZED = 0
    INTEGER = 1
    STRING = 2
    BUFFER = 3
    PACKAGE = 4
    FIELD_UNIT = 5
    DEVICE = 6
    EVENT = 7
    METHOD = 8
    MUTEX = 9
    OPERATION_REGION = 10
    POWER_RESOURCE = 11
    PROCESSOR = 12
    THERMAL_ZONE = 13
    BUFFER_FIELD = 14
    DDB_HANDLE = 15
    DEBUG_OBJECT = 16


# ---------------------------------------------------------------------------
# PkgLength (section 20.2.4)
# ---------------------------------------------------------------------------

_PKG_FOLLOW_SHIFT = 6
_PKG_ONE_BYTE_MAX = 0x3F


def decode_pkg_length(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode the PkgLength at ``pos``.

    Returns ``(length, end_of_encoding)``; ``length`` counts from ``pos``
    (the PkgLength's own bytes included), as the spec defines it.
    Raises :class:`AmlError` when truncated.
    """
    try:
        lead = data[pos]
        follow = lead >> _PKG_FOLLOW_SHIFT
        if follow == 0:
            return lead & _PKG_ONE_BYTE_MAX, pos + 1
        length = lead & 0x0F
        for i in range(follow):
            length |= data[pos + 1 + i] << (4 + 8 * i)
    except IndexError:
        raise AmlError("truncated PkgLength", offset=pos) from None
    return length, pos + 1 + follow


_PKG_LEAD_NIBBLE_BITS = 4
_PKG_MAX_FOLLOWING = 3


def _pkg_length_bytes(value: int, following: int) -> bytes:
    lead = (following << _PKG_FOLLOW_SHIFT) | (value & 0x0F)
    return bytes([lead]) + (value >> _PKG_LEAD_NIBBLE_BITS).to_bytes(following, "little")


def encode_pkg_length(content_length: int) -> bytes:
    """Encode the PkgLength of a body of ``content_length`` bytes following it.

    The encoded value includes the PkgLength's own bytes, so the encoding size
    is chosen so that it fits (section 20.2.4): a 63-byte body needs the
    2-byte form (63 + 1 = 64 does not fit the 6-bit one-byte form).
    """
    if content_length < 0:
        raise AmlError(f"negative package length {content_length}")
    if content_length + 1 <= _PKG_ONE_BYTE_MAX:
        return bytes([content_length + 1])
    for following in range(1, _PKG_MAX_FOLLOWING + 1):
        total = content_length + 1 + following
        if total < 1 << (_PKG_LEAD_NIBBLE_BITS + 8 * following):
            return _pkg_length_bytes(total, following)
    raise AmlError(f"package body of {content_length} bytes is too long for a PkgLength "
                   f"(max {PKG_LENGTH_MAX} bytes in all)")


def encode_field_length(bits: int) -> bytes:
    """A field element's bit length (NamedField/ReservedField) in the PkgLength layout.

    The value is stored as is, but the number of bytes is chosen as for a
    PkgLength, as if the value counted its own bytes: 62 bits fit one byte,
    63 take two. That is what iasl emits (ACPICA's parser reads either).
    """
    if bits < 0:
        raise AmlError(f"negative field length {bits}")
    if bits + 1 <= _PKG_ONE_BYTE_MAX:
        return bytes([bits])
    for following in range(1, _PKG_MAX_FOLLOWING + 1):
        if bits + 1 + following < 1 << (_PKG_LEAD_NIBBLE_BITS + 8 * following):
            return _pkg_length_bytes(bits, following)
    raise AmlError(f"field length {bits} does not fit a PkgLength (max {PKG_LENGTH_MAX})")


# ---------------------------------------------------------------------------
# NameString (section 20.2.2)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameString:
    """A NameString as encoded: root or parent prefixes, then name segments.

    ``segments`` are the raw 4-character NameSegs (``"_SB_"``, trailing
    underscores kept). The NullName is ``NameString(False, 0, ())``.
    ``str()`` gives the AML form (``"\\\\_SB_.PCI0"``, ``"^^FOO_"``).
    """

    root: bool
    parents: int
    segments: tuple[str, ...]

    def __str__(self) -> str:
        prefix = "\\" if self.root else "^" * self.parents
        return prefix + ".".join(self.segments)

    @property
    def is_null(self) -> bool:
        return not self.root and not self.parents and not self.segments

    @property
    def is_single_segment(self) -> bool:
        """True for a bare NameSeg: only these follow the upward search rules (section 5.3)."""
        return not self.root and not self.parents and len(self.segments) == 1

    @classmethod
    def parse(cls, text: str) -> NameString:
        """Build from ASL-ish text (``"\\\\_SB.PCI0"``, ``"^FOO"``); segments are upper-cased
        (ASL names are case-insensitive) and padded with ``_``; :class:`AmlError` when bad."""
        root = text.startswith("\\")
        body = text[1:] if root else text
        parents = len(body) - len(body.lstrip("^"))
        body = body[parents:]
        segs = tuple(check_name_seg(s.upper(), f"name {text!r}") for s in body.split(".")) if body else ()
        return cls(root, parents, segs)

    def encode(self) -> bytes:
        """The AML encoding (section 20.2.2)."""
        out = bytearray()
        if self.root:
            out.append(Prefix.ROOT_CHAR)
        out += bytes((Prefix.PARENT_PREFIX,)) * self.parents
        n = len(self.segments)
        if n == 0:
            out.append(Prefix.NULL_NAME)
        elif n == 2:
            out.append(Prefix.DUAL_NAME)
        elif n > 2:
            out += bytes((Prefix.MULTI_NAME, n))
        for seg in self.segments:
            out += seg.encode("ascii")
        return bytes(out)


def check_name_seg(seg: str, context: str = "name") -> str:
    """Validate a 1-4 character NameSeg; return it padded with ``_`` to 4 characters."""
    if not isinstance(seg, str):
        raise AmlError(f"{context}: name segment must be a string, not {type(seg).__name__}")
    if not 1 <= len(seg) <= NAME_SEG_SIZE:
        raise AmlError(f"{context}: name segment {seg!r} must have 1 to 4 characters")
    if ord(seg[0]) not in LEAD_NAME_CHARS:
        raise AmlError(f"{context}: name segment {seg!r} must start with A-Z or '_'")
    bad = [c for c in seg if ord(c) not in NAME_CHARS]
    if bad:
        raise AmlError(f"{context}: name segment {seg!r} has invalid character {bad[0]!r} "
                       f"(only A-Z, 0-9 and '_')")
    return seg.ljust(NAME_SEG_SIZE, "_")


def decode_name_seg(data: bytes | memoryview, pos: int) -> str:
    """Decode the 4-byte NameSeg at ``pos``; :class:`AmlError` if truncated or bad characters."""
    seg = bytes(data[pos:pos + NAME_SEG_SIZE])
    if len(seg) < NAME_SEG_SIZE:
        raise AmlError("truncated NameSeg", offset=pos)
    if seg[0] not in LEAD_NAME_CHARS or seg[1] not in NAME_CHARS or seg[2] not in NAME_CHARS \
            or seg[3] not in NAME_CHARS:
        raise AmlError(f"bad NameSeg {seg!r}", offset=pos)
    return seg.decode("ascii")


def decode_name_string(data: bytes | memoryview, pos: int) -> tuple[NameString, int]:
    """Decode the NameString at ``pos``; returns ``(name, end)``."""
    n = len(data)
    root = False
    parents = 0
    if pos < n and data[pos] == Prefix.ROOT_CHAR:
        root = True
        pos += 1
    else:
        while pos < n and data[pos] == Prefix.PARENT_PREFIX:
            parents += 1
            pos += 1
    if pos >= n:
        raise AmlError("truncated NameString", offset=pos)
    b = data[pos]
    if b == Prefix.NULL_NAME:
        return NameString(root, parents, ()), pos + 1
    if b == Prefix.DUAL_NAME:
        count = 2
        pos += 1
    elif b == Prefix.MULTI_NAME:
        if pos + 1 >= n:
            raise AmlError("truncated MultiNamePath", offset=pos)
        count = data[pos + 1]
        pos += 2
        if count == 0:
            raise AmlError("MultiNamePath with no segments", offset=pos - 2)
    else:
        count = 1
    segs = []
    for _ in range(count):
        segs.append(decode_name_seg(data, pos))
        pos += NAME_SEG_SIZE
    return NameString(root, parents, tuple(segs)), pos
