"""The reference tables for other VMMs: what ``vcpu-hotplug tables emit`` writes, and its README.

Everything comes from our VMM (:func:`vcpu_hotplug.vmm.firmware_tables.build_firmware`)
for one ``-smp`` configuration, so the tables are the ones its guest boots on
and that :mod:`vcpu_hotplug.check` passes. The README states what the AML
expects of the hardware: the CPU hotplug register block (QEMU's
``docs/specs/acpi_cpu_hotplug.rst`` layout, plus the arm64 RFC's *present*
bit and our fast path; :mod:`vcpu_hotplug.vmm.cpuhp`, documented by
:mod:`vcpu_hotplug.check.register_doc`) and the GED (ACPI 6.5 section 5.6.9;
:mod:`vcpu_hotplug.vmm.ged`), with every value taken from the modules that
define them.

File names follow ``acpixtract`` (``SIG.dat``) and ``iasl`` (``DSDT.aml``
for a compiled definition block); ``acpidump.txt`` is the whole set in the
text format ``acpidump`` prints and ``acpixtract -a`` reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcpu_hotplug.acpi.device_ids import GED_HID, PROCESSOR_HID
from vcpu_hotplug.acpi.device_status import ProcessorStatus
from vcpu_hotplug.acpi.madt import GiccFlags, Madt, MadtLayout
from vcpu_hotplug.acpi.tableio import format_acpidump
from vcpu_hotplug.arm.gic import SPI_BASE
from vcpu_hotplug.check.register_doc import QEMU_BLOCK_OPTION, register_block_doc
from vcpu_hotplug.check.rule import cpu_list
from vcpu_hotplug.vmm.dsdt import GED_PATH, PRES_PATH, cpu_device_path, notify_depth
from vcpu_hotplug.vmm.firmware_tables import SIGNATURE_ORDER, FirmwareImage, FirmwareOptions, build_firmware
from vcpu_hotplug.vmm.ged import GED_ACCESS_SIZE, GED_REGION_SIZE, GedEvent
from vcpu_hotplug.vmm.machine import GED_INTID, Machine, MachineConfig
from vcpu_hotplug.vmm.vcpu import BOOT_VCPU

AML_SUFFIX = ".aml"
"""iasl's suffix for a compiled definition block."""
RAW_SUFFIX = ".dat"
"""acpixtract's suffix for a raw table."""
ASL_SUFFIX = ".dsl"
TEXT_SUFFIX = ".txt"
ACPIDUMP_FILE = "acpidump.txt"
README_FILE = "README.md"
AML_TABLES = ("DSDT", "SSDT")

@dataclass(frozen=True)
class EmittedFile:
    """One file of the reference set: name and bytes (text files are UTF-8)."""

    name: str
    data: bytes


def file_name(signature: str) -> str:
    """``DSDT.aml`` for a definition block, ``APIC.dat`` for any other table (``RSDP.dat`` too)."""
    return signature + (AML_SUFFIX if signature in AML_TABLES else RAW_SUFFIX)


def layout_name(layout: MadtLayout) -> str:
    """``ACPI 6.5`` for :attr:`MadtLayout.ACPI_6_5`."""
    return layout.name.replace("_", " ", 1).replace("_", ".")


def build_image(smp: str, layout: MadtLayout = MadtLayout.ACPI_6_5) -> tuple[Machine, FirmwareImage]:
    """The machine for ``smp`` (QEMU ``-smp`` text) and its firmware tables."""
    machine = Machine(MachineConfig(smp=smp))
    return machine, build_firmware(machine, FirmwareOptions(madt_layout=layout))


def raw_files(image: FirmwareImage) -> list[EmittedFile]:
    """Every table as a raw binary file, in memory order."""
    return [EmittedFile(file_name(sig), data) for sig, _, data in image.in_memory_order()]


def acpidump_file(image: FirmwareImage) -> EmittedFile:
    order = image.in_memory_order()
    text = format_acpidump([data for _, _, data in order], addresses=[addr for _, addr, _ in order])
    return EmittedFile(ACPIDUMP_FILE, text.encode())


def _bits(meanings: dict) -> str:
    return "; ".join(f"bit {int(flag).bit_length() - 1} {text}" for flag, text in meanings.items())


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    head, *body = rows
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    return out + ["| " + " | ".join(r) + " |" for r in body]


def readme(machine: Machine, image: FirmwareImage, layout: MadtLayout, smp: str, verdict: str,
           fast: bool = True) -> str:
    """The README of an emitted directory: files, CPUs, the register block and the GED the AML expects.

    ``verdict`` is the summary line of ``vcpu-hotplug check`` on these tables; ``fast``: the AML uses the
    register block's fast path (False: ``tables emit --qemu-block``, QEMU's registers only).
    """
    mm = machine.memmap
    base = mm.cpuhp[0]
    ged_base = mm.ged[0]
    smp_cfg = machine.smp
    enabled = [v.index for v in machine.vcpus if v.enabled]
    later = [v.index for v in machine.vcpus if not v.enabled]
    giccs = Madt.decode(image.tables["APIC"]).giccs
    madt_enabled = [g.acpi_processor_uid for g in giccs if GiccFlags.ENABLED in g.flags]
    madt_capable = [g.acpi_processor_uid for g in giccs if GiccFlags.ONLINE_CAPABLE in g.flags]
    n = smp_cfg.maxcpus
    lines = [
        f"# ACPI tables of a vcpu-hotplug arm64 `virt` machine, `-smp {smp}`",
        "",
        f"Written by `vcpu-hotplug tables emit --smp {smp}{'' if fast else ' ' + QEMU_BLOCK_OPTION}`: the "
        f"tables our VMM hands its guest ({smp_cfg.hierarchy()}), MADT revision {layout.revision} with "
        f"{layout.gicc_length}-byte GICCs ({layout_name(layout)})"
        + ("." if fast else ", with the AML on QEMU's 12-byte register interface only (no fast path), for a "
           "VMM whose block is QEMU's."),
        "",
        f"`vcpu-hotplug check --boot-cpus {smp_cfg.cpus}` on this directory (or on `{ACPIDUMP_FILE}`): "
        f"{verdict}.",
        "",
        "## Files",
        "",
        *_table([("file", "what"),
                 *[(file_name(s), f"{s} (guest physical address {image.addresses[s]:#x}), raw")
                   for s in SIGNATURE_ORDER],
                 (ACPIDUMP_FILE, "every table as `acpidump` text (`acpixtract -a` reads it)"),
                 (f"DSDT{ASL_SUFFIX}", "the DSDT as ASL (recompiles with `iasl`)"),
                 (f"SIG{TEXT_SUFFIX}", "each static table decoded, with the specification's field names")]),
        "",
        "## CPUs",
        "",
        f"- {n} possible vCPUs, each with a GICC (ACPI Processor UID = CPU interface number = vCPU index, "
        f"MPIDR = KVM's default affinity), a GICR frame in the always-on GICR range(s), a PPTT leaf and a "
        f"processor device `{cpu_device_path(0)}`..`{cpu_device_path(n - 1)}` (`_HID` \"{PROCESSOR_HID}\", "
        f"`_UID` = vCPU index).",
        f"- GICC flags: Enabled for vCPU {cpu_list(madt_enabled)} (the boot vCPU), Online Capable (not "
        f"Enabled) for {cpu_list(madt_capable) or 'none'}: firmware may disable any of those later, and "
        f"`cpu-hotplug.rst` asks that an MADT-Enabled CPU never change its `_STA`.",
        f"- Policy at boot (`-smp cpus={smp_cfg.cpus}`): vCPUs {cpu_list(enabled)} enabled (`_STA` "
        f"{ProcessorStatus.ENABLED:#04x}, PSCI `CPU_ON` succeeds); "
        + (f"{cpu_list(later)} disabled until hot-added (`CPU_ON` answers `DENIED`)." if later
           else "none left to hot-add."),
        f"- `_STA` is {ProcessorStatus.ENABLED:#04x} while the vCPU is enabled, {ProcessorStatus.DISABLED:#04x} "
        f"(present, not enabled) otherwise, never 0. `_EJ0` on every device but the boot vCPU's "
        f"({cpu_device_path(BOOT_VCPU)}); `_OST` on all.",
        "",
        *register_block_doc(base, fast, level=2),
        "The guest can only clear events and eject a vCPU the VMM asked to remove; no write enables a vCPU.",
        "",
        "## Generic Event Device",
        "",
        f"`{GED_PATH}` (`_HID` \"{GED_HID}\"): event selector at {ged_base:#010x}, {GED_REGION_SIZE} bytes, "
        f"{GED_ACCESS_SIZE}-byte accesses only, reading it returns and clears the pending events. Its interrupt "
        f"is GSI {GED_INTID} (SPI {GED_INTID - SPI_BASE}, edge, active high) in `_CRS`. `_EVT` reads the "
        f"selector once and, when bit {int(GedEvent.CPU_HOTPLUG):#x} (CPU hotplug, QEMU's "
        f"`ACPI_GED_CPU_HOTPLUG_EVT`) is set, runs `{PRES_PATH}.CSCN`: for each vCPU with an event, "
        f"`Notify({cpu_device_path(1)}, 1)` (Device Check) on insert or `Notify(..., 3)` (Eject Request) on "
        f"remove, through a binary decision tree of depth {notify_depth(n)}.",
        "",
        "## What a VMM does",
        "",
        "- hot-add: enable the vCPU in its policy, set its insert event, raise GED bit "
        f"{int(GedEvent.CPU_HOTPLUG):#x}; Linux runs `_EVT`, re-reads `_STA`, registers and onlines the CPU "
        "(`CPU_ON` now succeeds);",
        "- hot-remove: set its remove event, raise the GED bit; Linux offlines the CPU (`CPU_OFF`), calls "
        "`_EJ0` (eject bit), reports `_OST`; then the VMM disables it and `CPU_ON` answers `DENIED` again.",
        "",
    ]
    return "\n".join(lines)
