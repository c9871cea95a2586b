"""Tables for checker tests: our VMM's tables (cached per shape) and surgery that breaks them one way.

Every edit returns a new table set (``dict`` signature -> bytes, in the
VMM's memory order) and keeps every other byte as it was; edited tables get
their checksum fixed, so each edit breaks exactly one thing.
"""

from __future__ import annotations

from functools import lru_cache

from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.fadt import Fadt
from vcpu_hotplug.acpi.header import CHECKSUM_OFFSET, checksum
from vcpu_hotplug.acpi.madt import Madt, MadtLayout
from vcpu_hotplug.acpi.pptt import Pptt
from vcpu_hotplug.check.report import CheckReport, Status
from vcpu_hotplug.check.runner import check_tables
from vcpu_hotplug.vmm.firmware_tables import FirmwareOptions, build_firmware
from vcpu_hotplug.vmm.machine import Machine, MachineConfig

Tables = dict[str, bytes]

DEVICE_OP = b"\x5b\x82"
"""ExtOpPrefix DeviceOp (ACPI 6.5 section 20.2.5.2)."""
PROCESSOR_OP = b"\x5b\x83"
"""ExtOpPrefix ProcessorOp: PkgLength NameString ProcID PblkAddr PblkLen ObjectList (x86 QEMU uses it)."""
PKG_FOLLOWING_SHIFT = 6
PKG_LOW_BITS = 0x3F
PKG_LOW_NIBBLE = 0x0F
NAME_SEG = 4


@lru_cache(maxsize=None)
def _ours(smp: str, layout: MadtLayout) -> tuple[tuple[str, bytes], ...]:
    image = build_firmware(Machine(MachineConfig(smp=smp)), FirmwareOptions(madt_layout=layout))
    return tuple((sig, data) for sig, _, data in image.in_memory_order())


def ours(smp: str = "cpus=1,maxcpus=6", layout: MadtLayout = MadtLayout.ACPI_6_5) -> Tables:
    """Our VMM's tables for ``smp`` (a fresh dict; the bytes are shared and immutable)."""
    return dict(_ours(smp, layout))


@lru_cache(maxsize=None)
def _report(items: tuple[tuple[str, bytes], ...], boot: bool) -> CheckReport:
    return check_tables([data for _, data in items], source="test", boot=boot)


def check(tables: Tables, boot: bool = True) -> CheckReport:
    """The checker's report on ``tables`` (cached: reports are only read)."""
    return _report(tuple(tables.items()), boot)


def flagged(report: CheckReport) -> dict[str, Status]:
    """Rule id -> status of every rule that did not PASS or SKIP."""
    return {r.rule.id: r.status for r in report.results if r.status in (Status.FAIL, Status.WARN)}


def with_checksum(table: bytes) -> bytes:
    data = bytearray(table)
    data[CHECKSUM_OFFSET] = 0
    data[CHECKSUM_OFFSET] = checksum(data)
    return bytes(data)


def replaced(tables: Tables, signature: str, data: bytes | None) -> Tables:
    """``tables`` with one table replaced (``None``: removed)."""
    out = dict(tables)
    if data is None:
        del out[signature]
    else:
        out[signature] = data
    return out


def added(tables: Tables, signature: str, data: bytes) -> Tables:
    """``tables`` with one more table (``SSDT``, ``SSDT1``...: the key only orders the dict)."""
    out = dict(tables)
    key = signature
    n = 1
    while key in out:
        key, n = f"{signature}{n}", n + 1
    out[key] = data
    return out


def edit_madt(tables: Tables, change) -> Tables:
    madt = Madt.decode(tables["APIC"])
    change(madt)
    return replaced(tables, "APIC", madt.encode())


def edit_fadt(tables: Tables, change) -> Tables:
    fadt = Fadt.decode(tables["FACP"])
    change(fadt)
    return replaced(tables, "FACP", fadt.encode())


def edit_pptt(tables: Tables, change) -> Tables:
    pptt = Pptt.decode(tables["PPTT"])
    change(pptt)
    return replaced(tables, "PPTT", pptt.encode())


def _pkg_length(data: bytes, at: int) -> tuple[int, int]:
    """(PkgLength value, bytes it takes) at ``at`` (section 20.2.4)."""
    lead = data[at]
    following = lead >> PKG_FOLLOWING_SHIFT
    if not following:
        return lead & PKG_LOW_BITS, 1
    value = lead & PKG_LOW_NIBBLE
    for i in range(following):
        value |= data[at + 1 + i] << (4 + 8 * i)
    return value, 1 + following


def device_span(aml: bytes, name: str) -> tuple[int, int]:
    """[start, end) of what follows the name of ``Device (name)`` or ``Processor (name, ...)`` (one NameSeg)."""
    seg = name.encode().ljust(NAME_SEG, b"_")
    for op in (DEVICE_OP, PROCESSOR_OP):
        at = aml.find(op)
        while at >= 0:
            start = at + len(op)
            length, size = _pkg_length(aml, start)
            if aml[start + size:start + size + NAME_SEG] == seg:
                return start + size + NAME_SEG, start + length
            at = aml.find(op, at + 1)
    raise AssertionError(f"no Device or Processor ({name}) in the AML")


def set_processor_id(tables: Tables, name: str, proc_id: int) -> Tables:
    """``Processor (name, proc_id, ...)``: the ProcID byte right after the name."""
    lo, _ = device_span(tables["DSDT"], name)
    aml = bytearray(tables["DSDT"])
    aml[lo] = proc_id
    return replaced(tables, "DSDT", with_checksum(bytes(aml)))


def patch(aml: bytes, old: bytes, new: bytes, *, device: str | None = None) -> bytes:
    """Replace the one occurrence of ``old`` (inside ``Device (device)`` if given) by ``new``, same length."""
    assert len(old) == len(new)
    lo, hi = device_span(aml, device) if device else (0, len(aml))
    region = aml[lo:hi]
    assert region.count(old) == 1, f"{old!r} occurs {region.count(old)} times in {device or 'the table'}"
    at = lo + region.index(old)
    return with_checksum(aml[:at] + new + aml[at + len(old):])


def patch_dsdt(tables: Tables, old: bytes, new: bytes, *, device: str | None = None) -> Tables:
    return replaced(tables, "DSDT", patch(tables["DSDT"], old, new, device=device))


def ssdt_with_processor(name: str, uid: int) -> bytes:
    """An SSDT declaring one more processor device ``\\_SB.name`` with ``_UID uid`` (no _STA: present)."""
    ssdt = b.DefinitionBlock("SSDT", revision=2, oem_id="VCPUHP", oem_table_id="EXTRACPU")
    with ssdt.scope("\\_SB"):
        with ssdt.device(name):
            ssdt.name("_HID", "ACPI0007")
            ssdt.name("_UID", uid)
    return ssdt.encode()


def broken_ssdt() -> bytes:
    """An SSDT whose AML stops in the middle of a Device (the PkgLength runs past the table)."""
    ssdt = b.DefinitionBlock("SSDT", revision=2, oem_id="VCPUHP", oem_table_id="BROKEN")
    data = bytearray(ssdt.encode())
    data += DEVICE_OP + bytes([0x3F]) + b"XDEV"
    data[4:8] = len(data).to_bytes(4, "little")
    return with_checksum(bytes(data))
