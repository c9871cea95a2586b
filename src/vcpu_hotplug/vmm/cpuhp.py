"""The CPU hotplug register block: QEMU's 12 bytes, plus this project's fast path.

The interface of QEMU's ``docs/specs/acpi_cpu_hotplug.rst`` and
``hw/acpi/cpu.c``, plus the arm64 RFC's *present* bit (Salil Mehta's vCPU
hotplug series, as in ``reference-tables/qemu-rfc-v5/.../DSDT``, whose AML
names the flag bits ``CPEN CINS CRMV CEJ0 CEJF CPRS``), so QEMU's own AML runs
against it unchanged:

======  =====  ===========================================================
offset  size   meaning
======  =====  ===========================================================
0       u32    write: CPU selector. read: command data 2 (0 after command
               0, upper 32 bits of the arch id after command 3)
4       u8     flags. read: bit0 enabled, bit1 insert event, bit2 remove
               event, bit4 eject handed to firmware, bit5 present.
               write: bit1 clears insert, bit2 clears remove, bit3 ejects,
               bit4 hands the eject to firmware (QEMU's if/else order:
               the first of bits 1, 2, 3, 4 that is set acts)
5       u8     command (write): 0 select next CPU with an event, 1 next
               command-data write is the _OST event, 2 ... the _OST status,
               3 command data reads the arch id
8       u32    command data. read: selector after command 0, arch id low
               32 bits after command 3, else 0. write: _OST event/status
======  =====  ===========================================================

Accesses of 1 to 4 bytes are decoded (8 is a bus error, as in QEMU). As in
QEMU, the register is decided by the access's start offset (a 4-byte
read at 4 returns the flags); other offsets read 0 and ignore writes; while
the selector points past the last vCPU every read returns 0 and every write
other than the selector is ignored; command values above 3 are ignored.

The arch id is the vCPU's affinity (MPIDR as the MADT GICC holds it).

Policy, enforced here whatever the guest writes:

- the guest can only *clear* events, never raise them; *enabled* reads the
  vCPU's admin state, which no register write changes;
- an eject write (bit 3) is honoured only for a vCPU the VMM asked to remove
  (:meth:`CpuHotplugRegisters.request_remove`), never for the boot vCPU;
  the block then tells the machine (:attr:`on_eject`), which completes it.
  With ``guest_may_eject`` (the ``qemu-rfc-v5`` profile) it is honoured for
  any enabled vCPU but the boot one, as QEMU's ``cpu_hotplug_wr`` checks only
  ``!cdev->cpu || cdev->cpu == first_cpu``: the guest may eject a CPU nobody
  asked it to (Linux: ``echo 1 > /sys/bus/acpi/devices/ACPI0007:0N/eject``);
- bit 4 (OSPM asks firmware to eject, x86 SMM) is recorded under the same
  conditions; the VMM is the firmware, and the eject still needs bit 3;
- writing the _OST status reports ``(index, event, status)`` to
  :attr:`on_ost` (QEMU's ``ACPI_DEVICE_OST``).

Events stay until the guest clears them, as in QEMU (``hw/acpi/cpu.c``;
``docs/specs/acpi_cpu_hotplug.rst``: "1: has remove event ... write 1 to
clear"). In particular the remove event (``CRMV``) survives the eject:
QEMU's ``acpi_cpu_unplug_cb`` clears ``is_enabled`` and nothing else, so
after an eject the VMM completed (:meth:`CpuHotplugRegisters.ejected`) a
"next CPU with event" command still finds that vCPU until the guest writes
flags bit 2. QEMU's AML (and ours, :mod:`vcpu_hotplug.vmm.dsdt`) clears it in
the scan, right after ``Notify(Eject Request)`` and before ``_EJ0``, so a
guest running either never meets it; a guest that does not clear it sees the
Eject Request again at its next scan, as on QEMU. Only a request the VMM
*withdraws* (the unplug failed or timed out, which QEMU has no notion of)
takes its remove event back (:meth:`CpuHotplugRegisters.cancel_remove`).
"Next CPU with event" also stops at a vCPU whose eject was handed to
firmware (bit 4), as QEMU's does.

"Next CPU with event" finds the next vCPU with an event at or after the
selector, wrapping around, in O(log n) VMM work, so one event costs the guest
a constant number of register accesses whatever ``maxcpus`` is.

The fast path (``fast=True``; the ``reference`` profile)
--------------------------------------------------------

QEMU's protocol costs an exit per step: select, command, read flags, read the
index, clear; ``_STA`` selects then reads; ``_OST`` takes five accesses. The
fast path puts each of the OS's questions in one access, beside QEMU's
registers (which keep working unchanged, on the same state), in a 64 KiB
block at the same base (:data:`CPUHP_FAST_REGION_SIZE`):

==========  ======  =====================================================
offset      access  meaning
==========  ======  =====================================================
0x00-0x0B   1-4     QEMU's registers, as above
0x10        read 4  *next event*: the lowest-numbered vCPU with an insert
                    or remove event, acknowledged by this very read:
                    bits 15:0 its index, bit 16 insert (Device Check),
                    bit 17 remove (Eject Request), bit 31 another event
                    is still pending; 0 when none is. One event per read
                    (a vCPU with both gives its insert first, as QEMU's
                    ``CSCN`` handles inserts first).
0x14        write 4 *eject*: the vCPU index to eject (flags bit 3 for that
                    vCPU, same policy, no selector)
0x1000+i    read 1  *status* of vCPU i: its ``_STA`` (0x0F enabled, 0x0D
                    present and not enabled; 0 past the last vCPU)
0x8000+8i   write 8 *_OST* of vCPU i: bits 31:0 the source event, 63:32 the
                    status (QEMU's ``ACPI_DEVICE_OST``); it leaves QEMU's
                    ``_OST`` latch and command alone
==========  ======  =====================================================

No fast register uses or moves the selector, so they need no lock and may
run in the middle of another user's QEMU-protocol sequence. The one caveat
is the event itself: QEMU's protocol *observes* an event (flags read) some
accesses before it acknowledges it, so an OS that also scans with QEMU's
command 0 must serialize that scan with its fast scans (the AML's ``CPLK``),
or both could deliver the same event. Accesses of other widths at the fast
offsets, and everything else in the 64 KiB, read 0 and are ignored.
QEMU RFC V5's device has none of this: on it the fast offsets are unassigned.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable
from dataclasses import dataclass

from vcpu_hotplug.acpi.device_status import ProcessorStatus
from vcpu_hotplug.hw.errors import AccessRejected
from vcpu_hotplug.hw.trace import Trace, TraceKind
from vcpu_hotplug.vmm.vcpu import VcpuSet

CPUHP_REGION_SIZE = 12
"""ACPI_CPU_HOTPLUG_REG_LEN."""

CPUHP_MAX_ACCESS = 4
"""QEMU's ``cpu_hotplug_ops`` decode 1- to 4-byte accesses (valid max_access_size = 4)."""

CPUHP_FAST_REGION_SIZE = 0x1_0000
"""The block with the fast path: QEMU's registers at 0, the fast ones above (64 KiB, one ``virt`` slot)."""

CPUHP_FAST_MAX_CPUS = 0x1000
"""vCPUs the fast windows have room for (the ``Cxxx`` device names' limit too)."""

FAST_EVENT_SIZE = 4
FAST_EJECT_SIZE = 4
FAST_STATUS_SIZE = 1
FAST_OST_SIZE = 8
"""Widths of the fast registers (bytes); the ``_OST`` one is a single 64-bit store."""


class FastReg(enum.IntEnum):
    """Offsets of the fast-path registers and windows."""

    EVENT = 0x10
    """read: next event, acknowledged (:class:`FastEvent`)."""
    EJECT = 0x14
    """write: index of the vCPU to eject."""
    STATUS = 0x1000
    """read: one ``_STA`` byte per vCPU."""
    OST = 0x8000
    """write: one 64-bit ``_OST`` (event | status << 32) per vCPU."""


class FastEvent(enum.IntFlag):
    """Bits of the *next event* value above the vCPU index."""

    INSERT = 1 << 16
    REMOVE = 1 << 17
    MORE = 1 << 31


FAST_EVENT_INDEX_MASK = 0xFFFF
"""Bits 15:0 of the *next event* value: the vCPU index."""
OST_STATUS_SHIFT = 32
"""The ``_OST`` window's status is the upper half of the 64-bit store."""


class CpuhpReg(enum.IntEnum):
    """Register offsets."""

    SELECTOR = 0x0
    """write: selector; read: command data 2."""
    FLAGS = 0x4
    COMMAND = 0x5
    COMMAND_DATA = 0x8


class CpuhpFlag(enum.IntFlag):
    """Bits of the flags byte (read and write meanings share positions)."""

    ENABLED = 1 << 0
    INSERT = 1 << 1
    REMOVE = 1 << 2
    EJECT = 1 << 3
    FW_EJECT = 1 << 4
    PRESENT = 1 << 5


class CpuhpCommand(enum.IntEnum):
    """Values of the command byte."""

    NEXT_CPU_WITH_EVENT = 0
    OST_EVENT = 1
    OST_STATUS = 2
    ARCH_ID = 3


@dataclass
class CpuSlot:
    """Hotplug status of one possible vCPU (QEMU's ``AcpiCpuStatus``)."""

    inserting: bool = False
    removing: bool = False
    eject_requested: bool = False
    """The VMM asked to remove this vCPU and has not yet seen it ejected."""
    fw_remove: bool = False
    ost_event: int = 0
    ost_status: int = 0


_PRESENT, _ENABLED, _INSERT, _REMOVE, _FW_EJECT = (int(f) for f in (
    CpuhpFlag.PRESENT, CpuhpFlag.ENABLED, CpuhpFlag.INSERT, CpuhpFlag.REMOVE, CpuhpFlag.FW_EJECT))

_STA_ENABLED, _STA_DISABLED = int(ProcessorStatus.ENABLED), int(ProcessorStatus.DISABLED)
_FAST_INSERT, _FAST_REMOVE, _FAST_MORE = (int(f) for f in (FastEvent.INSERT, FastEvent.REMOVE, FastEvent.MORE))


def _keep(indexes: list[int], index: int, member: bool) -> None:
    """Make ``index``'s membership of the sorted list ``indexes`` be ``member`` (O(log n) search)."""
    i = bisect.bisect_left(indexes, index)
    present = i < len(indexes) and indexes[i] == index
    if member and not present:
        indexes.insert(i, index)
    elif present and not member:
        del indexes[i]


EjectHandler = Callable[[int], None]
OstHandler = Callable[[int, int, int], None]


class CpuHotplugRegisters:
    """The MMIO device. Map it with ``bus.map(base, block.size, block, "cpuhp")``."""

    name = "cpuhp"

    def __init__(self, vcpus: VcpuSet, trace: Trace | None = None, boot_vcpu: int = 0,
                 guest_may_eject: bool = False, fast: bool = False) -> None:
        self.vcpus = vcpus
        self.trace = trace
        self.boot_vcpu = boot_vcpu
        self.guest_may_eject = guest_may_eject
        """True: bits 3 and 4 act for any enabled vCPU but the boot one, requested or not (QEMU)."""
        self.fast = fast
        """True: the fast-path registers are decoded (map :attr:`size` bytes)."""
        if fast and len(vcpus) > CPUHP_FAST_MAX_CPUS:
            raise ValueError(f"the fast path's windows hold {CPUHP_FAST_MAX_CPUS} vCPUs, not {len(vcpus)}")
        self.slots = [CpuSlot() for _ in range(len(vcpus))]
        self._vcpu_list = list(vcpus)
        self.selector = 0
        self.command = CpuhpCommand.NEXT_CPU_WITH_EVENT
        self._with_event: list[int] = []
        """Sorted indexes of slots with an insert or remove event (or an eject handed to firmware)."""
        self._fast_pending: list[int] = []
        """Sorted indexes of slots with an insert or remove event: what *next event* takes from."""
        self.on_eject: list[EjectHandler] = []
        self.on_ost: list[OstHandler] = []

    # VMM side -------------------------------------------------------------

    def request_insert(self, index: int) -> None:
        """Raise the insert event for ``index`` (the vCPU was just enabled)."""
        self.slots[index].inserting = True
        self._event_changed(index)

    def request_remove(self, index: int) -> None:
        """Raise the remove event for ``index`` and allow the guest to eject it."""
        slot = self.slots[index]
        slot.removing = True
        slot.eject_requested = True
        self._event_changed(index)

    def ejected(self, index: int) -> None:
        """The eject completed: the eject permission and the firmware-eject flag go, the remove
        event stays for the guest to clear (QEMU's ``acpi_cpu_unplug_cb`` and flags bit 3)."""
        slot = self.slots[index]
        slot.eject_requested = False
        slot.fw_remove = False
        self._event_changed(index)

    def cancel_remove(self, index: int) -> None:
        """Withdraw a remove request (the unplug failed): the event and the eject permission go."""
        slot = self.slots[index]
        slot.removing = False
        slot.eject_requested = False
        slot.fw_remove = False
        self._event_changed(index)

    def clear_insert(self, index: int) -> None:
        """Drop a pending insert event (the vCPU is being removed again)."""
        self.slots[index].inserting = False
        self._event_changed(index)

    def pending_events(self) -> list[int]:
        """Indexes with an insert or remove event the guest has not cleared (or an eject handed to
        firmware that has not happened): what "next CPU with event" stops at."""
        return list(self._with_event)

    @property
    def size(self) -> int:
        """Bytes the block decodes: QEMU's 12, or the 64 KiB with the fast path."""
        return CPUHP_FAST_REGION_SIZE if self.fast else CPUHP_REGION_SIZE

    def _event_changed(self, index: int) -> None:
        slot = self.slots[index]
        _keep(self._with_event, index, slot.inserting or slot.removing or slot.fw_remove)
        _keep(self._fast_pending, index, slot.inserting or slot.removing)

    # guest side (MMIO) ----------------------------------------------------

    def flags(self, index: int) -> int:
        """The flags byte as the guest reads it for ``index`` (plain ints: this is the hot path)."""
        slot = self.slots[index]
        value = _PRESENT
        if self._vcpu_list[index].enabled:
            value |= _ENABLED
        if slot.inserting:
            value |= _INSERT
        if slot.removing:
            value |= _REMOVE
        if slot.fw_remove:
            value |= _FW_EJECT
        return value

    def read(self, offset: int, size: int) -> int:
        if offset >= CPUHP_REGION_SIZE:
            return self._fast_read(offset, size)
        if size > CPUHP_MAX_ACCESS:
            raise AccessRejected(f"the CPU hotplug block decodes accesses of up to {CPUHP_MAX_ACCESS} bytes")
        index = self.selector
        if index >= len(self.slots):
            return 0
        if offset == CpuhpReg.FLAGS:
            return self.flags(index)
        if offset == CpuhpReg.COMMAND_DATA:
            if self.command is CpuhpCommand.NEXT_CPU_WITH_EVENT:
                return index
            if self.command is CpuhpCommand.ARCH_ID:
                return self._vcpu_list[index].mpidr & 0xFFFF_FFFF
            return 0
        if offset == CpuhpReg.SELECTOR and self.command is CpuhpCommand.ARCH_ID:
            return self._vcpu_list[index].mpidr >> 32
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset >= CPUHP_REGION_SIZE:
            self._fast_write(offset, size, value)
            return
        if size > CPUHP_MAX_ACCESS:
            raise AccessRejected(f"the CPU hotplug block decodes accesses of up to {CPUHP_MAX_ACCESS} bytes")
        if offset == CpuhpReg.SELECTOR:
            self.selector = value
            return
        index = self.selector
        if index >= len(self.slots):
            self._log(f"cpuhp write at {offset:#x} ignored: selector {index} is not a possible vCPU")
            return
        if offset == CpuhpReg.FLAGS:
            self._write_flags(index, value)
        elif offset == CpuhpReg.COMMAND:
            self._write_command(value)
        elif offset == CpuhpReg.COMMAND_DATA:
            self._write_data(index, value)

    def _write_flags(self, index: int, value: int) -> None:
        slot = self.slots[index]
        if value & CpuhpFlag.INSERT:
            slot.inserting = False
            self._event_changed(index)
        elif value & CpuhpFlag.REMOVE:
            slot.removing = False
            self._event_changed(index)
        elif value & CpuhpFlag.EJECT:
            self._eject(index)
        elif value & CpuhpFlag.FW_EJECT:
            if self._may_eject(index):
                slot.fw_remove = True
                self._event_changed(index)

    def _eject(self, index: int) -> None:
        if not self._may_eject(index):
            self._log(f"eject of vCPU {index} ignored: "
                      + ("the boot vCPU" if index == self.boot_vcpu else "no removal was requested"))
            return
        for handler in self.on_eject:
            handler(index)

    def _may_eject(self, index: int) -> bool:
        if index == self.boot_vcpu:
            return False
        if self.slots[index].eject_requested:
            return True
        return self.guest_may_eject and self._vcpu_list[index].enabled

    def _write_command(self, value: int) -> None:
        try:
            command = CpuhpCommand(value)
        except ValueError:
            return
        self.command = command
        if command is CpuhpCommand.NEXT_CPU_WITH_EVENT and self._with_event:
            i = bisect.bisect_left(self._with_event, self.selector)
            self.selector = self._with_event[i] if i < len(self._with_event) else self._with_event[0]

    def _write_data(self, index: int, value: int) -> None:
        slot = self.slots[index]
        if self.command is CpuhpCommand.OST_EVENT:
            slot.ost_event = value
        elif self.command is CpuhpCommand.OST_STATUS:
            slot.ost_status = value
            self._report_ost(index, slot.ost_event, value)

    def _report_ost(self, index: int, event: int, status: int) -> None:
        if self.trace is not None:
            self.trace.record(TraceKind.OST, path=f"CPU slot {index}", vcpu=index, device=self.name,
                              source=event, status=status)
        for handler in self.on_ost:
            handler(index, event, status)

    # fast path (MMIO) -----------------------------------------------------

    def status(self, index: int) -> int:
        """The ``_STA`` byte of vCPU ``index`` (the fast *status* window)."""
        return _STA_ENABLED if self._vcpu_list[index].enabled else _STA_DISABLED

    def next_event(self) -> int:
        """The *next event* read: take the lowest pending insert (else remove) event and acknowledge it."""
        pending = self._fast_pending
        if not pending:
            return 0
        index = pending[0]
        slot = self.slots[index]
        if slot.inserting:
            slot.inserting = False
            event = _FAST_INSERT
        else:
            slot.removing = False
            event = _FAST_REMOVE
        self._event_changed(index)
        return index | event | (_FAST_MORE if pending else 0)

    def _fast_read(self, offset: int, size: int) -> int:
        if not self.fast:
            return 0
        if offset == FastReg.EVENT:
            return self.next_event() if size == FAST_EVENT_SIZE else 0
        if FastReg.STATUS <= offset < FastReg.STATUS + CPUHP_FAST_MAX_CPUS:
            first = offset - FastReg.STATUS
            value = 0
            for k in range(size):
                if first + k < len(self.slots):
                    value |= self.status(first + k) << (8 * k)
            return value
        return 0

    def _fast_write(self, offset: int, size: int, value: int) -> None:
        if not self.fast:
            return
        if offset == FastReg.EJECT and size == FAST_EJECT_SIZE:
            if value >= len(self.slots):
                self._log(f"fast eject of vCPU {value} ignored: not a possible vCPU")
            else:
                self._eject(value)
            return
        if FastReg.OST <= offset < FastReg.OST + CPUHP_FAST_MAX_CPUS * FAST_OST_SIZE:
            index, misaligned = divmod(offset - FastReg.OST, FAST_OST_SIZE)
            if misaligned or size != FAST_OST_SIZE or index >= len(self.slots):
                self._log(f"cpuhp _OST window write at {offset:#x}/{size} ignored: one 8-byte store per vCPU")
                return
            self._report_ost(index, value & 0xFFFF_FFFF, value >> OST_STATUS_SHIFT)
            return
        self._log(f"cpuhp write at {offset:#x}/{size} ignored: no fast register there")

    def _log(self, message: str) -> None:
        if self.trace is not None:
            self.trace.log(TraceKind.VMM_LOG, message)
