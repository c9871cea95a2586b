"""The CPU hotplug register block as a document for other VMMs, in the layout of QEMU's spec.

QEMU documents its block in ``docs/specs/acpi_cpu_hotplug.rst`` ("Modern ACPI
CPU hotplug interface registers": base, size, byte order, reserved and
selector rules, then "Read access behavior" and "Write access behavior"
offset by offset, then "Typical usecases"). :func:`register_block_doc`
writes the same sections for our block (:mod:`vcpu_hotplug.vmm.cpuhp`),
QEMU's registers and, when the block has it, the fast path beside them, with
every offset, bit and width taken from the module that defines it. The
emitted tables' README (:func:`vcpu_hotplug.check.reference.readme`) embeds
it and ``docs/cpu-hotplug-registers.md`` is its output for the ``virt``
machine (``tests/check/test_register_doc.py`` holds them equal).
"""

from __future__ import annotations

from vcpu_hotplug.acpi.device_status import ProcessorStatus
from vcpu_hotplug.acpi.notify import NotifyValue, OstEvent, OstStatus
from vcpu_hotplug.vmm.cpuhp import (CPUHP_FAST_MAX_CPUS, CPUHP_FAST_REGION_SIZE, CPUHP_MAX_ACCESS,
                                    CPUHP_REGION_SIZE, FAST_EJECT_SIZE, FAST_EVENT_INDEX_MASK, FAST_EVENT_SIZE,
                                    FAST_OST_SIZE, OST_STATUS_SHIFT, CpuhpCommand, CpuhpFlag, CpuhpReg, FastEvent,
                                    FastReg)

QEMU_SPEC = "docs/specs/acpi_cpu_hotplug.rst"
DOC_PATH = "docs/cpu-hotplug-registers.md"
QEMU_BLOCK_OPTION = "--qemu-block"
"""``vcpu-hotplug tables emit`` option: our AML on QEMU's 12-byte interface only."""


def _bit(flag) -> int:
    return int(flag).bit_length() - 1


def _span(offset: int, size: int) -> str:
    return f"[{offset:#x}]" if size == 1 else f"[{offset:#x}-{offset + size - 1:#x}]"


def register_block_doc(base: int, fast: bool, level: int = 1) -> list[str]:
    """Markdown lines describing the block at MMIO ``base``; ``fast``: with the fast path.

    ``level`` is the heading level of the title (the README embeds it one level down).
    """
    h = "#" * level
    hh = h + "#"
    hhh = hh + "#"
    size = CPUHP_FAST_REGION_SIZE if fast else CPUHP_REGION_SIZE
    ev_bits = _bit(FastEvent.INSERT), _bit(FastEvent.REMOVE), _bit(FastEvent.MORE)
    index_bits = FAST_EVENT_INDEX_MASK.bit_length()
    lines = [
        f"{h} CPU hotplug register block" + (" with the fast path" if fast else ""),
        "",
        f"QEMU's modern ACPI CPU hotplug interface (`{QEMU_SPEC}`, `hw/acpi/cpu.c`) with the arm64 RFC's "
        f"*present* bit" + (", and beside it this project's **fast path**: one register access for each "
        "question the OS asks (which CPU changed, its `_STA`, its `_OST`, eject), without the selector. "
        "QEMU's registers keep working unchanged on the same state, so QEMU's own AML (RFC V5's, q35's) runs "
        "on this block as on QEMU's." if fast else "."),
        "",
        "Register block base address:",
        "",
        f"- arm64 `virt`: MMIO {base:#010x} (QEMU's `VIRT_CPUHP_ACPI`)",
        "",
        "Register block size:",
        "",
        f"- {size:#x} bytes" + (f" (QEMU's registers in the first {CPUHP_REGION_SIZE}, "
                                "`ACPI_CPU_HOTPLUG_REG_LEN`; the fast path above them)" if fast
                                else " (`ACPI_CPU_HOTPLUG_REG_LEN`)"),
        "",
        "All accesses to registers described below imply little-endian byte order.",
        "",
        "Reserved registers behavior:",
        "",
        "- write accesses are ignored",
        "- read accesses return all bits set to 0.",
        "",
        f"QEMU's registers (offsets below {CPUHP_REGION_SIZE:#x}) decode accesses of 1 to {CPUHP_MAX_ACCESS} "
        "bytes; the register is decided by the access's start offset. The last stored value in 'CPU selector' "
        "must refer to a possible CPU, otherwise",
        "",
        "- reads from any of QEMU's registers return 0",
        "- writes to any of QEMU's other registers are ignored until a valid value is stored into it",
        "",
    ]
    if fast:
        lines += [
            f"The fast-path registers (offsets from {FastReg.EVENT:#x}) never read or change the selector, the "
            "command field or the `_OST` event/status registers of QEMU's commands, and decode only the access "
            "widths given for each; an access of another width, or anywhere else in the block, is reserved.",
            "",
        ]
    lines += [
        f"{hh} Read access behavior",
        "",
        f"offset {_span(CpuhpReg.SELECTOR, 4)}",
        "  Command data 2: (DWORD access). If the value last stored in 'Command field' is "
        f"{int(CpuhpCommand.NEXT_CPU_WITH_EVENT)}: reads as 0x0; {int(CpuhpCommand.ARCH_ID)}: upper 32 bits "
        "of the selected CPU's arch id (its MPIDR affinity, as the MADT GICC holds it); other values: reserved.",
        "",
        f"offset {_span(CpuhpReg.FLAGS, 1)}",
        "  CPU device status fields: (1 byte access). Bits:",
        f"  - {_bit(CpuhpFlag.ENABLED)}: device is enabled and may be used by guest",
        f"  - {_bit(CpuhpFlag.INSERT)}: device insert event, used to distinguish the device for which no "
        "Device Check was issued to OSPM yet",
        f"  - {_bit(CpuhpFlag.REMOVE)}: device remove event, used to distinguish the device for which no "
        "Eject Request was issued to OSPM yet",
        f"  - {_bit(CpuhpFlag.EJECT)}: reserved, reads 0",
        f"  - {_bit(CpuhpFlag.FW_EJECT)}: OSPM asked firmware to perform the eject",
        f"  - {_bit(CpuhpFlag.PRESENT)}: device is present (arm64 RFC; always 1 for a possible CPU)",
        f"  - {_bit(CpuhpFlag.PRESENT) + 1}-7: reserved, read 0",
        "",
        f"offset {_span(CpuhpReg.COMMAND, 3)}",
        "  reserved",
        "",
        f"offset {_span(CpuhpReg.COMMAND_DATA, 4)}",
        "  Command data: (DWORD access). If the value last stored in 'Command field' is "
        f"{int(CpuhpCommand.NEXT_CPU_WITH_EVENT)}: the 'CPU selector' value of a CPU with pending event[s]; "
        f"{int(CpuhpCommand.ARCH_ID)}: lower 32 bits of its arch id; otherwise 0.",
        "",
    ]
    if fast:
        lines += [
            f"offset {_span(FastReg.EVENT, FAST_EVENT_SIZE)}",
            f"  **Next event** (fast path; {FAST_EVENT_SIZE}-byte access only, other widths read 0 and change "
            "nothing). Takes the lowest-numbered CPU with a pending insert or remove event, **acknowledges "
            "that event in the same access** (as writing its clear bit at offset "
            f"{int(CpuhpReg.FLAGS):#x} would) and returns:",
            f"  - bits 0-{index_bits - 1}: the CPU's index (its 'CPU selector' value)",
            f"  - bit {ev_bits[0]}: it was an insert event: send Device Check "
            f"(Notify {int(NotifyValue.DEVICE_CHECK)})",
            f"  - bit {ev_bits[1]}: it was a remove event: send Eject Request "
            f"(Notify {int(NotifyValue.EJECT_REQUEST)})",
            f"  - bits {ev_bits[1] + 1}-{ev_bits[2] - 1}: reserved, 0",
            f"  - bit {ev_bits[2]}: another event is still pending after this one: read again",
            "",
            f"  The value is 0 when no event is pending. One event per read: a CPU with both events gives its "
            "insert first (as QEMU's `CSCN` handles inserts first), its remove at the next read. An eject "
            f"handed to firmware (flags bit {_bit(CpuhpFlag.FW_EJECT)}) is not an event here.",
            "",
            f"offset {_span(FastReg.EJECT, FAST_EJECT_SIZE)}",
            "  reserved",
            "",
            f"offset [{FastReg.STATUS:#x} + N] for CPU N, N < {CPUHP_FAST_MAX_CPUS}",
            "  **CPU status** (fast path; byte per CPU, any read of 1 to 8 bytes returns consecutive CPUs' "
            f"bytes): the CPU's `_STA`: {int(ProcessorStatus.ENABLED):#04x} while it is enabled, "
            f"{int(ProcessorStatus.DISABLED):#04x} (present, not enabled) otherwise; 0 past the last possible "
            "CPU.",
            "",
            f"offset [{FastReg.OST:#x} + {FAST_OST_SIZE}*N] for CPU N",
            "  reserved",
            "",
        ]
    lines += [
        f"{hh} Write access behavior",
        "",
        f"offset {_span(CpuhpReg.SELECTOR, 4)}",
        "  CPU selector: (DWORD access). Selects the active CPU device; all following accesses to QEMU's other "
        "registers read or store data of the selected CPU. Valid values: [0 .. max_cpus).",
        "",
        f"offset {_span(CpuhpReg.FLAGS, 1)}",
        "  CPU device control fields: (1 byte access). The first of bits 1, 2, 3, 4 that is set acts:",
        f"  - {_bit(CpuhpFlag.ENABLED)}: reserved, OSPM must clear it",
        f"  - {_bit(CpuhpFlag.INSERT)}: clears the insert event (OSPM issued Device Check)",
        f"  - {_bit(CpuhpFlag.REMOVE)}: clears the remove event (OSPM issued Eject Request)",
        f"  - {_bit(CpuhpFlag.EJECT)}: ejects the CPU (OSPM's `_EJ0`); honoured only for a CPU the VMM asked to "
        "remove, never for the boot CPU (QEMU RFC V5: any plugged CPU but the first)",
        f"  - {_bit(CpuhpFlag.FW_EJECT)}: OSPM hands the eject to firmware",
        f"  - {_bit(CpuhpFlag.PRESENT)}-7: reserved, OSPM must clear them",
        "",
        f"offset {_span(CpuhpReg.COMMAND, 1)}",
        "  Command field: (1 byte access). Values:",
        f"  - {int(CpuhpCommand.NEXT_CPU_WITH_EVENT)}: selects the next CPU with an insert or remove event at or "
        "after the selector, wrapping around; 'Command data' then reads its selector value. With no such CPU "
        "the selector does not change",
        f"  - {int(CpuhpCommand.OST_EVENT)}: following writes to 'Command data' set the `_OST` event register",
        f"  - {int(CpuhpCommand.OST_STATUS)}: following writes to 'Command data' set the `_OST` status register",
        f"  - {int(CpuhpCommand.ARCH_ID)}: following reads from 'Command data' and 'Command data 2' return the "
        "selected CPU's arch id",
        "  - other values: reserved",
        "",
        f"offset {_span(CpuhpReg.COMMAND + 1, 2)}",
        "  reserved",
        "",
        f"offset {_span(CpuhpReg.COMMAND_DATA, 4)}",
        f"  Command data: (DWORD access). After command {int(CpuhpCommand.OST_EVENT)}: stores the `_OST` event "
        f"register; after command {int(CpuhpCommand.OST_STATUS)}: stores the `_OST` status register and "
        "reports both (QMP `ACPI_DEVICE_OST`); otherwise reserved.",
        "",
    ]
    if fast:
        lines += [
            f"offset {_span(FastReg.EVENT, FAST_EVENT_SIZE)}",
            "  reserved",
            "",
            f"offset {_span(FastReg.EJECT, FAST_EJECT_SIZE)}",
            f"  **Eject** (fast path; {FAST_EJECT_SIZE}-byte access only): the index of the CPU to eject: the same "
            f"as flags bit {_bit(CpuhpFlag.EJECT)} with that CPU selected, under the same rules, without touching "
            "the selector. An index past the last possible CPU is ignored.",
            "",
            f"offset [{FastReg.STATUS:#x} + N]",
            "  reserved",
            "",
            f"offset [{FastReg.OST:#x} + {FAST_OST_SIZE}*N] for CPU N, N < {CPUHP_FAST_MAX_CPUS}",
            f"  **_OST** (fast path; one {FAST_OST_SIZE}-byte store, {FAST_OST_SIZE}-byte aligned, other "
            f"accesses ignored): bits 0-{OST_STATUS_SHIFT - 1} the `_OST` source event, bits "
            f"{OST_STATUS_SHIFT}-{8 * FAST_OST_SIZE - 1} its status; reported at once (QMP `ACPI_DEVICE_OST`). "
            f"It leaves the `_OST` event and status registers of commands {int(CpuhpCommand.OST_EVENT)} and "
            f"{int(CpuhpCommand.OST_STATUS)} alone, so it may come between another user's two writes.",
            "",
            f"{hh} Typical usecases of the fast path",
            "",
            f"{hhh} Notify OSPM of every CPU with a pending event (the GED's CPU hotplug event)",
            "",
            f"1. Read 'Next event' ({int(FastReg.EVENT):#x}).",
            f"2. If neither bit {ev_bits[0]} nor bit {ev_bits[1]} is set, stop: no event is pending.",
            f"3. Notify the CPU of bits 0-{index_bits - 1}: Device Check ({int(NotifyValue.DEVICE_CHECK)}) for bit "
            f"{ev_bits[0]}, Eject Request ({int(NotifyValue.EJECT_REQUEST)}) for bit {ev_bits[1]}. The event is "
            "already acknowledged.",
            f"4. If bit {ev_bits[2]} is set, go to 1; else stop. An event raised after this read raises the GED "
            "interrupt again.",
            "",
            "Cost: one access per event, none to find that nothing is left; with the GED's event read, a hot-add "
            "is 4 exits to the VMM (GED, next event, `_STA`, `_OST`), each further CPU of the same scan 3, an "
            f"unplug 6 (GED, next event, `_OST` {int(OstStatus.EJECT_IN_PROGRESS):#x}, eject, `_STA`, `_OST` "
            "result), whatever the number of possible CPUs.",
            "",
            f"{hhh} `_STA`, `_OST`, `_EJ0` of CPU N",
            "",
            f"- `_STA`: read byte {FastReg.STATUS:#x} + N (our AML ORs in {int(ProcessorStatus.DISABLED):#04x}, "
            "so `_STA` says present whatever the byte reads);",
            f"- `_OST(event, status)`: store `event | status << {OST_STATUS_SHIFT}` as 8 bytes at "
            f"{FastReg.OST:#x} + {FAST_OST_SIZE}*N (e.g. `_OST({int(OstEvent.DEVICE_CHECK):#x}, "
            f"{int(OstStatus.SUCCESS):#x})` after a hot-add);",
            f"- `_EJ0`: store N as 4 bytes at {FastReg.EJECT:#x}.",
            "",
            f"{hhh} Sharing the block with a user of QEMU's commands",
            "",
            "The fast registers need no lock: none uses the selector. QEMU's command "
            f"{int(CpuhpCommand.NEXT_CPU_WITH_EVENT)} protocol, though, *observes* an event (flags read) some "
            "accesses before it acknowledges it (flags write), so an OS that scans both ways must serialize the "
            "two scans (our AML holds `CPLK` around its scan, the mutex QEMU's AML holds around its own): "
            "otherwise a fast read between the two could take the event the other scan is about to notify. "
            "`tests/vmm/test_cpuhp_fast_interleave.py` runs random interleavings of both kinds of user and the "
            "VMM and finds every event delivered exactly once.",
            "",
            f"{hh} Compatibility",
            "",
            f"- Real QEMU RFC V5 (and upstream QEMU) has only the first {CPUHP_REGION_SIZE} bytes: its device "
            "**lacks the fast path**, so our `reference` AML with the fast path cannot run on QEMU's device "
            "(its next-event reads land on unassigned memory: no event is ever seen, or an external abort). "
            f"For a VMM whose block is QEMU's, `vcpu-hotplug tables emit {QEMU_BLOCK_OPTION}` writes the same AML "
            "on QEMU's registers only (4 accesses per event, `_STA` 2, `_OST` 5): the AML of the recorded "
            "real-Linux runs (`tests/data/real-linux/tables/plain/DSDT.aml` is it, byte for byte after the "
            "header), and what the rig must feed real QEMU when it records again.",
            "- The `qemu-rfc-v5` profile's block is QEMU's 12 bytes exactly, and its AML is QEMU's.",
            "- QEMU's AML runs unchanged on the block with the fast path: an event acknowledged through either "
            "interface is gone from both.",
            "",
        ]
    return lines


__all__ = ["DOC_PATH", "QEMU_BLOCK_OPTION", "register_block_doc"]
