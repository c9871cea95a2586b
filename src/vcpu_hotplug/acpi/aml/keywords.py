"""ASL keywords for the byte values of AML flags and enumerations (ACPI 6.5 chapter 19).

The builder accepts either the enum member or the ASL keyword
(``AccessType.BYTE`` or ``"ByteAcc"``), and the ASL printer prints the
keyword, so both sides share these tables:

* RegionSpace keywords: section 19.6.100 (OperationRegion);
* AccessType / LockRule / UpdateRule keywords: section 19.6.48 (Field);
* MatchOpcode keywords: section 19.6.82 (Match);
* ObjectType keywords of External: section 19.6.45.
"""

from __future__ import annotations

import enum
from typing import TypeVar

from vcpu_hotplug.acpi.aml.opcodes import (
    AccessType,
    LockRule,
    MatchOperator,
    ObjectType,
    RegionSpace,
    UpdateRule,
)
from vcpu_hotplug.acpi.errors import AmlError

REGION_SPACE_KEYWORDS: dict[RegionSpace, str] = {
    RegionSpace.SYSTEM_MEMORY: "SystemMemory",
    RegionSpace.SYSTEM_IO: "SystemIO",
    RegionSpace.PCI_CONFIG: "PCI_Config",
    RegionSpace.EMBEDDED_CONTROL: "EmbeddedControl",
    RegionSpace.SMBUS: "SMBus",
    RegionSpace.SYSTEM_CMOS: "SystemCMOS",
    RegionSpace.PCI_BAR_TARGET: "PciBarTarget",
    RegionSpace.IPMI: "IPMI",
    RegionSpace.GENERAL_PURPOSE_IO: "GeneralPurposeIo",
    RegionSpace.GENERIC_SERIAL_BUS: "GenericSerialBus",
    RegionSpace.PCC: "PCC",
    RegionSpace.FUNCTIONAL_FIXED_HARDWARE: "FFixedHW",
}
"""RegionSpace keywords iasl 20200925 knows (PRM is newer: printed as a number)."""

ACCESS_TYPE_KEYWORDS: dict[AccessType, str] = {
    AccessType.ANY: "AnyAcc",
    AccessType.BYTE: "ByteAcc",
    AccessType.WORD: "WordAcc",
    AccessType.DWORD: "DWordAcc",
    AccessType.QWORD: "QWordAcc",
    AccessType.BUFFER: "BufferAcc",
}

LOCK_RULE_KEYWORDS: dict[LockRule, str] = {LockRule.NO_LOCK: "NoLock", LockRule.LOCK: "Lock"}

UPDATE_RULE_KEYWORDS: dict[UpdateRule, str] = {
    UpdateRule.PRESERVE: "Preserve",
    UpdateRule.WRITE_AS_ONES: "WriteAsOnes",
    UpdateRule.WRITE_AS_ZEROS: "WriteAsZeros",
}

ACCESS_ATTRIB_KEYWORDS: dict[int, str] = {
    0x02: "AttribQuick", 0x04: "AttribSendReceive", 0x06: "AttribByte", 0x08: "AttribWord",
    0x0A: "AttribBlock", 0x0C: "AttribProcessCall", 0x0D: "AttribBlockProcessCall",
}
"""AccessAs AccessAttribute keywords (section 19.6.2; GenericSerialBus/SMBus protocols)."""

EXTENDED_ACCESS_ATTRIB_KEYWORDS: dict[int, str] = {
    0x0B: "AttribBytes", 0x0E: "AttribRawBytes", 0x0F: "AttribRawProcessBytes",
}
"""AccessAs attributes that take an AccessLength (ExtendedAccessField, section 20.2.5.2)."""

MATCH_OPERATOR_KEYWORDS: dict[MatchOperator, str] = {op: op.name for op in MatchOperator}

OBJECT_TYPE_KEYWORDS: dict[ObjectType, str] = {
    ObjectType.UNINITIALIZED: "UnknownObj",
    ObjectType.INTEGER: "IntObj",
    ObjectType.STRING: "StrObj",
    ObjectType.BUFFER: "BuffObj",
    ObjectType.PACKAGE: "PkgObj",
    ObjectType.FIELD_UNIT: "FieldUnitObj",
    ObjectType.DEVICE: "DeviceObj",
    ObjectType.EVENT: "EventObj",
    ObjectType.METHOD: "MethodObj",
    ObjectType.MUTEX: "MutexObj",
    ObjectType.OPERATION_REGION: "OpRegionObj",
    ObjectType.POWER_RESOURCE: "PowerResObj",
    ObjectType.PROCESSOR: "ProcessorObj",
    ObjectType.THERMAL_ZONE: "ThermalZoneObj",
    ObjectType.BUFFER_FIELD: "BuffFieldObj",
    ObjectType.DDB_HANDLE: "DDBHandleObj",
}

E = TypeVar("E", bound=enum.IntEnum)


def lookup(kind: type[E], keywords: dict[E, str], value: E | int | str, what: str) -> E:
    """The enum member for ``value``: a member, its integer value, or its ASL keyword."""
    if isinstance(value, str):
        for member, keyword in keywords.items():
            if keyword.lower() == value.lower():
                return member
        choices = ", ".join(keywords.values())
        raise AmlError(f"{what}: unknown keyword {value!r} (one of {choices})")
    if isinstance(value, bool) or not isinstance(value, int):
        raise AmlError(f"{what}: expected {kind.__name__} or an ASL keyword, not {value!r}")
    try:
        return kind(value)
    except ValueError:
        raise AmlError(f"{what}: {value!r} is not a valid {kind.__name__}") from None
