"""Fixed ACPI Description Table, signature ``FACP`` (ACPI 6.5 section 5.2.9, Table 5.9).

Every field of Table 5.9 is kept, so any FADT re-encodes byte for byte.
Older FADTs are shorter (revision 1 ends at offset 116, ACPI 2.0 at 244):
fields past the end of the table decode as ``None`` and are not emitted;
bytes after the last whole field (a length that cuts a field, or fields
a future revision adds after offset 276) are kept in ``trailing``.

For a hardware-reduced arm64 platform (section 5.2.9 and 5.2.9.4) the fields
that matter are ``flags`` (``HW_REDUCED_ACPI``), ``arm_boot_arch``
(``PSCI_COMPLIANT``, ``PSCI_USE_HVC``), ``minor_version``, ``x_dsdt`` and
``hypervisor_vendor_identity``.
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from dataclasses import dataclass

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.fields import spec_field
from vcpu_hotplug.acpi.gas import GAS_LENGTH, GenericAddress
from vcpu_hotplug.acpi.header import HEADER_LENGTH, SdtHeader, SystemTable, split_table

FADT_SIGNATURE = "FACP"
FADT_REVISION = 6
"""FADT Major Version of ACPI 6.x."""
FADT_MINOR_VERSION = 5
"""FADT Minor Version of ACPI 6.5."""
FADT_LENGTH = 276
"""Length of the ACPI 6.x FADT (ends with Hypervisor Vendor Identity)."""


class FadtFlags(enum.IntFlag):
    """Fixed Feature Flags (Table 5.10)."""

    WBINVD = 1 << 0
    WBINVD_FLUSH = 1 << 1
    PROC_C1 = 1 << 2
    P_LVL2_UP = 1 << 3
    PWR_BUTTON = 1 << 4
    SLP_BUTTON = 1 << 5
    FIX_RTC = 1 << 6
    RTC_S4 = 1 << 7
    TMR_VAL_EXT = 1 << 8
    DCK_CAP = 1 << 9
    RESET_REG_SUP = 1 << 10
    SEALED_CASE = 1 << 11
    HEADLESS = 1 << 12
    CPU_SW_SLP = 1 << 13
    PCI_EXP_WAK = 1 << 14
    USE_PLATFORM_CLOCK = 1 << 15
    S4_RTC_STS_VALID = 1 << 16
    REMOTE_POWER_ON_CAPABLE = 1 << 17
    FORCE_APIC_CLUSTER_MODEL = 1 << 18
    FORCE_APIC_PHYSICAL_DESTINATION_MODE = 1 << 19
    HW_REDUCED_ACPI = 1 << 20
    LOW_POWER_S0_IDLE_CAPABLE = 1 << 21


class ArmBootArch(enum.IntFlag):
    """ARM Architecture Boot Flags (Table 5.12)."""

    PSCI_COMPLIANT = 1 << 0
    PSCI_USE_HVC = 1 << 1


GAS = "gas"
# (field name, struct code or GAS); offsets follow from the order, starting at 36.
_LAYOUT: list[tuple[str, str]] = [
    ("firmware_ctrl", "I"), ("dsdt", "I"), ("reserved0", "B"), ("preferred_pm_profile", "B"),
    ("sci_int", "H"), ("smi_cmd", "I"), ("acpi_enable", "B"), ("acpi_disable", "B"),
    ("s4bios_req", "B"), ("pstate_cnt", "B"), ("pm1a_evt_blk", "I"), ("pm1b_evt_blk", "I"),
    ("pm1a_cnt_blk", "I"), ("pm1b_cnt_blk", "I"), ("pm2_cnt_blk", "I"), ("pm_tmr_blk", "I"),
    ("gpe0_blk", "I"), ("gpe1_blk", "I"), ("pm1_evt_len", "B"), ("pm1_cnt_len", "B"),
    ("pm2_cnt_len", "B"), ("pm_tmr_len", "B"), ("gpe0_blk_len", "B"), ("gpe1_blk_len", "B"),
    ("gpe1_base", "B"), ("cst_cnt", "B"), ("p_lvl2_lat", "H"), ("p_lvl3_lat", "H"),
    ("flush_size", "H"), ("flush_stride", "H"), ("duty_offset", "B"), ("duty_width", "B"),
    ("day_alrm", "B"), ("mon_alrm", "B"), ("century", "B"), ("iapc_boot_arch", "H"),
    ("reserved1", "B"), ("flags", "I"), ("reset_reg", GAS), ("reset_value", "B"),
    ("arm_boot_arch", "H"), ("minor_version", "B"), ("x_firmware_ctrl", "Q"), ("x_dsdt", "Q"),
    ("x_pm1a_evt_blk", GAS), ("x_pm1b_evt_blk", GAS), ("x_pm1a_cnt_blk", GAS),
    ("x_pm1b_cnt_blk", GAS), ("x_pm2_cnt_blk", GAS), ("x_pm_tmr_blk", GAS), ("x_gpe0_blk", GAS),
    ("x_gpe1_blk", GAS), ("sleep_control_reg", GAS), ("sleep_status_reg", GAS),
    ("hypervisor_vendor_identity", "Q"),
]


def _size(code: str) -> int:
    return GAS_LENGTH if code == GAS else struct.calcsize("<" + code)


FIELD_OFFSETS: dict[str, int] = {}
_off = HEADER_LENGTH
for _name, _code in _LAYOUT:
    FIELD_OFFSETS[_name] = _off
    _off += _size(_code)
assert _off == FADT_LENGTH


def _gas() -> GenericAddress:
    return GenericAddress()


@dataclass
class Fadt(SystemTable):
    """The FADT. A field is ``None`` when the table is too short to hold it."""

    header: SdtHeader
    firmware_ctrl: int | None = spec_field("FIRMWARE_CTRL", hex=True)
    dsdt: int | None = spec_field("DSDT", hex=True)
    reserved0: int | None = spec_field("Reserved")
    preferred_pm_profile: int | None = spec_field("Preferred_PM_Profile")
    sci_int: int | None = spec_field("SCI_INT")
    smi_cmd: int | None = spec_field("SMI_CMD", hex=True)
    acpi_enable: int | None = spec_field("ACPI_ENABLE")
    acpi_disable: int | None = spec_field("ACPI_DISABLE")
    s4bios_req: int | None = spec_field("S4BIOS_REQ")
    pstate_cnt: int | None = spec_field("PSTATE_CNT")
    pm1a_evt_blk: int | None = spec_field("PM1a_EVT_BLK", hex=True)
    pm1b_evt_blk: int | None = spec_field("PM1b_EVT_BLK", hex=True)
    pm1a_cnt_blk: int | None = spec_field("PM1a_CNT_BLK", hex=True)
    pm1b_cnt_blk: int | None = spec_field("PM1b_CNT_BLK", hex=True)
    pm2_cnt_blk: int | None = spec_field("PM2_CNT_BLK", hex=True)
    pm_tmr_blk: int | None = spec_field("PM_TMR_BLK", hex=True)
    gpe0_blk: int | None = spec_field("GPE0_BLK", hex=True)
    gpe1_blk: int | None = spec_field("GPE1_BLK", hex=True)
    pm1_evt_len: int | None = spec_field("PM1_EVT_LEN")
    pm1_cnt_len: int | None = spec_field("PM1_CNT_LEN")
    pm2_cnt_len: int | None = spec_field("PM2_CNT_LEN")
    pm_tmr_len: int | None = spec_field("PM_TMR_LEN")
    gpe0_blk_len: int | None = spec_field("GPE0_BLK_LEN")
    gpe1_blk_len: int | None = spec_field("GPE1_BLK_LEN")
    gpe1_base: int | None = spec_field("GPE1_BASE")
    cst_cnt: int | None = spec_field("CST_CNT")
    p_lvl2_lat: int | None = spec_field("P_LVL2_LAT")
    p_lvl3_lat: int | None = spec_field("P_LVL3_LAT")
    flush_size: int | None = spec_field("FLUSH_SIZE")
    flush_stride: int | None = spec_field("FLUSH_STRIDE")
    duty_offset: int | None = spec_field("DUTY_OFFSET")
    duty_width: int | None = spec_field("DUTY_WIDTH")
    day_alrm: int | None = spec_field("DAY_ALRM")
    mon_alrm: int | None = spec_field("MON_ALRM")
    century: int | None = spec_field("CENTURY")
    iapc_boot_arch: int | None = spec_field("IAPC_BOOT_ARCH", hex=True)
    reserved1: int | None = spec_field("Reserved")
    flags: FadtFlags | None = spec_field("Flags", FadtFlags(0))
    reset_reg: GenericAddress | None = spec_field("RESET_REG", default_factory=_gas)
    reset_value: int | None = spec_field("RESET_VALUE", hex=True)
    arm_boot_arch: ArmBootArch | None = spec_field("ARM_BOOT_ARCH", ArmBootArch(0))
    minor_version: int | None = spec_field("FADT Minor Version")
    x_firmware_ctrl: int | None = spec_field("X_FIRMWARE_CTRL", hex=True)
    x_dsdt: int | None = spec_field("X_DSDT", hex=True)
    x_pm1a_evt_blk: GenericAddress | None = spec_field("X_PM1a_EVT_BLK", default_factory=_gas)
    x_pm1b_evt_blk: GenericAddress | None = spec_field("X_PM1b_EVT_BLK", default_factory=_gas)
    x_pm1a_cnt_blk: GenericAddress | None = spec_field("X_PM1a_CNT_BLK", default_factory=_gas)
    x_pm1b_cnt_blk: GenericAddress | None = spec_field("X_PM1b_CNT_BLK", default_factory=_gas)
    x_pm2_cnt_blk: GenericAddress | None = spec_field("X_PM2_CNT_BLK", default_factory=_gas)
    x_pm_tmr_blk: GenericAddress | None = spec_field("X_PM_TMR_BLK", default_factory=_gas)
    x_gpe0_blk: GenericAddress | None = spec_field("X_GPE0_BLK", default_factory=_gas)
    x_gpe1_blk: GenericAddress | None = spec_field("X_GPE1_BLK", default_factory=_gas)
    sleep_control_reg: GenericAddress | None = spec_field("SLEEP_CONTROL_REG",
                                                          default_factory=_gas)
    sleep_status_reg: GenericAddress | None = spec_field("SLEEP_STATUS_REG",
                                                         default_factory=_gas)
    hypervisor_vendor_identity: int | None = spec_field("Hypervisor Vendor Identity", hex=True)
    trailing: bytes = spec_field("Trailing bytes", b"")

    SIGNATURE = FADT_SIGNATURE

    @classmethod
    def new(cls, **fields) -> "Fadt":
        """A full-length ACPI 6.5 FADT (revision 6, minor version 5) with the given fields."""
        fields.setdefault("minor_version", FADT_MINOR_VERSION)
        return cls(header=SdtHeader(FADT_SIGNATURE, revision=FADT_REVISION), **fields)

    @property
    def hardware_reduced(self) -> bool:
        """True when Flags has HW_REDUCED_ACPI."""
        return self.flags is not None and FadtFlags.HW_REDUCED_ACPI in self.flags

    @classmethod
    def decode(cls, data: bytes, *, lenient: bool = False) -> "Fadt":
        """Decode a FADT of any length; fields past its end are None."""
        header, body = split_table(data, FADT_SIGNATURE, lenient=lenient)
        values: dict[str, object] = {}
        pos = 0
        ended = False
        for name, code in _LAYOUT:
            size = _size(code)
            ended = ended or pos + size > len(body)
            if ended:
                values[name] = None
                continue
            if code == GAS:
                values[name] = GenericAddress.decode(body, pos)
            else:
                values[name] = struct.unpack_from("<" + code, body, pos)[0]
            pos += size
        if values["flags"] is not None:
            values["flags"] = FadtFlags(values["flags"])
        if values["arm_boot_arch"] is not None:
            values["arm_boot_arch"] = ArmBootArch(values["arm_boot_arch"])
        return cls(header=header, trailing=bytes(body[pos:]), **values)

    def encode_body(self) -> bytes:
        out = bytearray()
        missing = None
        for name, code in _LAYOUT:
            value = getattr(self, name)
            if value is None:
                missing = missing or name
                continue
            if missing is not None:
                raise TableError(FADT_SIGNATURE, FIELD_OFFSETS[name],
                                 f"cannot encode {name} after absent field {missing}")
            out += value.encode() if code == GAS else struct.pack("<" + code, int(value))
        return bytes(out) + self.trailing


_FADT_FIELD_NAMES = {f.name for f in dataclasses.fields(Fadt)}
assert all(name in _FADT_FIELD_NAMES for name, _ in _LAYOUT)
