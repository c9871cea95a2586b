"""Finding the ACPI tables from the firmware hand-off (``drivers/acpi/acpica/tbxfroot.c``,
``tbutils.c``, ``tbprint.c``, ``tbfadt.c``; ``arch/arm64/kernel/acpi.c``).

UEFI hands Linux the physical address of the RSDP (``acpi_os_get_root_pointer``).
ACPICA checks it, follows ``XsdtAddress`` (the RSDT when there is no XSDT),
installs every table the XSDT lists and the DSDT the FADT points to
(``X_DSDT`` when set, else ``DSDT``), printing one line per table in
``tbprint.c``'s format::

    ACPI: RSDP 0x0000000040000000 000024 (v02 BOCHS )
    ACPI: XSDT 0x0000000040000100 00005C (v01 BOCHS  BXPC     00000001 BXPC 00000001)

A table with a bad checksum is still installed, with ACPICA's
``Incorrect checksum`` warning. arm64 then insists on a hardware-reduced
FADT (``acpi_fadt_sanity_check``: "FADT not ACPI hardware reduced
compliant") and reads the PSCI conduit from ``ARM_BOOT_ARCH``.

All reads go through guest memory: the guest sees only what firmware placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.fadt import ArmBootArch, Fadt
from vcpu_hotplug.acpi.header import (CHECKSUM_OFFSET, HEADER_LENGTH, LENGTH_OFFSET, SdtHeader, checksum,
                                      sums_to_zero)
from vcpu_hotplug.acpi.madt import Madt
from vcpu_hotplug.acpi.pptt import Pptt
from vcpu_hotplug.acpi.registry import decode_table
from vcpu_hotplug.acpi.rsdp import RSDP_REVISION_2, RSDP_V1_LENGTH, RSDP_V2_LENGTH, Rsdp
from vcpu_hotplug.acpi.xsdt import Rsdt, Xsdt
from vcpu_hotplug.guest.errors import BootError
from vcpu_hotplug.guest.klog import KernelLog
from vcpu_hotplug.hw.memory import GuestMemory

MAX_TABLE_LENGTH = 16 << 20
"""A table claiming more than 16 MiB is treated as garbage (ACPICA maps tables whole)."""

DSDT_SIGNATURE = "DSDT"
SSDT_SIGNATURE = "SSDT"


@dataclass
class AcpiTables:
    """What the guest found, decoded, plus the raw AML blocks in load order."""

    rsdp_address: int
    rsdp: Rsdp
    root: Xsdt
    fadt: Fadt | None = None
    madt: Madt | None = None
    pptt: Pptt | None = None
    dsdt: bytes | None = None
    ssdts: list[bytes] = field(default_factory=list)
    by_signature: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    """Every installed table's (address, bytes), by signature."""

    @property
    def aml_blocks(self) -> list[bytes]:
        """The DSDT then the SSDTs, as ACPICA loads them."""
        return ([self.dsdt] if self.dsdt is not None else []) + list(self.ssdts)

    @property
    def psci_compliant(self) -> bool:
        return self.fadt is not None and bool((self.fadt.arm_boot_arch or 0) & ArmBootArch.PSCI_COMPLIANT)

    @property
    def psci_use_hvc(self) -> bool:
        return self.fadt is not None and bool((self.fadt.arm_boot_arch or 0) & ArmBootArch.PSCI_USE_HVC)


def _fixed(text: str, width: int) -> str:
    return text[:width].ljust(width)


def describe_table(address: int, header: SdtHeader) -> str:
    """``tbprint.c``'s line for a table with an SDT header (without the ``ACPI: `` prefix)."""
    return (f"{_fixed(header.signature, 4)} 0x{address:016X} {header.length:06X} "
            f"(v{header.revision:02d} {_fixed(header.oem_id, 6)} {_fixed(header.oem_table_id, 8)} "
            f"{header.oem_revision:08X} {_fixed(header.creator_id, 4)} {header.creator_revision:08X})")


class TableLoader:
    """Reads the tables out of guest memory and logs them as ACPICA does."""

    def __init__(self, memory: GuestMemory, klog: KernelLog) -> None:
        self.memory = memory
        self.klog = klog

    def _read_table(self, address: int) -> bytes:
        head = self.memory.read(address, HEADER_LENGTH)
        length = int.from_bytes(head[LENGTH_OFFSET:LENGTH_OFFSET + 4], "little")
        if not HEADER_LENGTH <= length <= MAX_TABLE_LENGTH:
            raise BootError(f"table at {address:#x} ({head[:4]!r}) has invalid length {length}")
        data = self.memory.read(address, length)
        if not sums_to_zero(data):
            sig = data[:4].decode("latin-1")
            # AcpiUtGenerateChecksum: the byte that makes the table, that byte zeroed, sum to zero.
            want = checksum(data[:CHECKSUM_OFFSET] + b"\0" + data[CHECKSUM_OFFSET + 1:])
            self.klog.warn(f"ACPI BIOS Warning (bug): Incorrect checksum in table [{sig}] - "
                           f"0x{data[CHECKSUM_OFFSET]:02X}, should be 0x{want:02X} (20240322/utcksum-58)")
        return data

    def load(self, rsdp_address: int) -> AcpiTables:
        """Follow the RSDP at ``rsdp_address``; :class:`BootError` when there are no usable tables."""
        raw = self.memory.read(rsdp_address, RSDP_V2_LENGTH)
        try:
            rsdp = Rsdp.decode(raw)
        except TableError as e:
            raise BootError(f"no valid RSDP at {rsdp_address:#x}: {e}") from None
        length = rsdp.length if rsdp.revision >= RSDP_REVISION_2 else RSDP_V1_LENGTH
        self.klog.info(f"ACPI: RSDP 0x{rsdp_address:016X} {length:06X} (v{rsdp.revision:02d} "
                       f"{_fixed(rsdp.oem_id, 6)})")
        if rsdp.revision >= RSDP_REVISION_2 and rsdp.xsdt_address:
            root_address, root_cls = rsdp.xsdt_address, Xsdt
        else:
            root_address, root_cls = rsdp.rsdt_address, Rsdt
        try:
            root_raw = self._read_table(root_address)
            root = root_cls.decode(root_raw, lenient=True)
        except TableError as e:
            raise BootError(f"cannot read the {root_cls.SIGNATURE} at {root_address:#x}: {e}") from None
        tables = AcpiTables(rsdp_address, rsdp, root)
        self.klog.info(f"ACPI: {describe_table(root_address, root.header)}")
        for address in root.entries:
            if address == 0:
                continue
            self._install(tables, address)
        if tables.fadt is not None:
            dsdt_address = tables.fadt.x_dsdt or tables.fadt.dsdt
            if dsdt_address:
                self._install(tables, dsdt_address)
        return tables

    def _install(self, tables: AcpiTables, address: int) -> None:
        try:
            data = self._read_table(address)
            table = decode_table(data, lenient=True)
        except (TableError, BootError) as e:
            self.klog.err(f"ACPI Error: Table at 0x{address:016X} could not be installed: {e}")
            return
        header = table.header  # type: ignore[union-attr]
        self.klog.info(f"ACPI: {describe_table(address, header)}")
        tables.by_signature.setdefault(header.signature, []).append((address, data))
        if isinstance(table, Fadt) and tables.fadt is None:
            tables.fadt = table
        elif isinstance(table, Madt) and tables.madt is None:
            tables.madt = table
        elif isinstance(table, Pptt) and tables.pptt is None:
            tables.pptt = table
        elif header.signature == DSDT_SIGNATURE and tables.dsdt is None:
            tables.dsdt = data
        elif header.signature == SSDT_SIGNATURE:
            tables.ssdts.append(data)
