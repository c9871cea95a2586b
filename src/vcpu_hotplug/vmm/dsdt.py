"""The DSDT of the VMM: processor devices, CPU hotplug AML and the GED (ACPI 6.5 sections 5.6.9, 6.3, 8.4).

The AML talks to the register block of :mod:`vcpu_hotplug.vmm.cpuhp`
through its *fast path* (one access per question the OS asks, beside
QEMU's ``docs/specs/acpi_cpu_hotplug.rst`` registers, which it does not use)
and to the GED of :mod:`vcpu_hotplug.vmm.ged`. It is built with
:mod:`vcpu_hotplug.acpi.aml.builder`. In ASL::

    Scope (\\_SB) {
      Device (GED)  { _HID "ACPI0013", _UID "GED",
                      _CRS Interrupt (Consumer, Edge, ActiveHigh, Exclusive) { <GED GSI> }
                      OperationRegion (EREG, SystemMemory, <GED base>, 4)
                      Field (EREG, DWordAcc, NoLock, WriteAsZeros) { ESEL, 32 }
                      Method (_EVT, 1, Serialized) {           // Arg0 = the GSI
                        Local0 = ESEL                           // read clears the selector
                        If (Local0 & 0x2) { Notify (PWRB, 0x80) }
                        If (Local0 & 0x8) { \\_SB.PRES.CSCN () } } }
      Device (PRES) { _HID PNP0A06, _CRS Memory32Fixed (<block base>, 0x10000), Mutex (CPLK, 0)
                      OperationRegion (PRST, SystemMemory, <block base>, 0x10000)
                      Field (PRST, DWordAcc, ...) { Offset (0x10), FEVT, 32, FEJT, 32 }
                      Field (PRST, ByteAcc, ...)  { Offset (0x1000), S000, 8, S001, 8, ... }
                      Field (PRST, QWordAcc, ...) { Offset (0x8000), O000, 64, O001, 64, ... }
                      Method CTFY (2), CSCN (0) }
      Device (C000) { _HID "ACPI0007", _UID 0,
                      _STA: Return (\\_SB.PRES.S000 | 0x0D)
                      _OST: \\_SB.PRES.O000 = Arg0 | (Arg1 << 32) }       // the boot vCPU: no _EJ0
      Device (C001) { ..., _EJ0: \\_SB.PRES.FEJT = 1, ... }
      ...                                                             // one per possible vCPU
      Device (PWRB) { _HID "PNP0C0C", _UID 0 }                        // the power button
    }

With :attr:`DsdtConfig.fast_path` False the same tree runs on QEMU's 12-byte
interface alone (``CSTA``/``CEJ0``/``COST`` helpers in ``PRES``, the scan by
command 0): the AML this project had before the fast path, still what a VMM
whose block is QEMU's (real QEMU RFC V5, as the real-Linux rig runs it) can
run (``DsdtStyle.REFERENCE_QEMU_BLOCK``).

The power button and its GED event (0x2, ``system_powerdown``) are QEMU
``virt``'s (hw/arm/virt-acpi-build.c ``acpi_dsdt_add_power_button``,
hw/acpi/generic_event_device.c ``build_ged_aml``).

Processor device paths are ``\\_SB.Cxxx`` with ``xxx`` the vCPU index in
three upper-case hex digits (``\\_SB.C003``, ``\\_SB.C1FF``), as QEMU ``virt``
names its CPUs; ``_UID`` is the vCPU index, which is the MADT GICC ACPI
Processor UID (:mod:`vcpu_hotplug.vmm.firmware_tables`).

Design: what one event costs
----------------------------

The floor for one hot-added vCPU is four exits to the VMM: the GED's event
read, learning which CPU changed, its ``_STA``, its ``_OST``. This AML is at
that floor:

* **The scan (``CSCN``) is one access per event.** Each ``FEVT`` read hands
  over the lowest vCPU with a pending event, its kind (insert or remove) and
  whether another is pending, and acknowledges it in the same access; the
  scan stops at the read that says nothing more is pending, so no read is
  spent on finding nothing. An event raised after that read raises the GED
  again, so none is lost. A remove event is acknowledged as it is handed
  over, before the OS gets to ``_EJ0`` (as QEMU's ``CSCN`` clears ``CRMV``
  right after ``Notify(Eject Request)``).
* ``_STA`` is one read of the vCPU's byte of the *status* window (no
  selector), ORed with 0x0D so that it says present whatever the byte reads
  (``cpu-hotplug.rst``: a virtual CPU is always present): 0x0F when enabled,
  0x0D otherwise, never 0. ``_OST`` is one 8-byte store (source event in the
  low half, status in the high half), ``_EJ0`` one store of the index.
* So a hot-add costs 4 exits (GED, ``FEVT``, ``_STA``, ``_OST``), each
  further vCPU in the same scan 3, an unplug 6 (GED, ``FEVT``, ``_OST``
  0x84, ``_EJ0``, ``_STA``, ``_OST`` result), none of it depending on
  ``maxcpus`` (``benchmarks/hotplug_cost.py`` prints them).
* **Notify dispatch is a balanced binary decision tree** on the index
  (``CTFY``: ``If (Arg0 < mid) {...} Else {...}`` down to one ``Notify``),
  so a Notify costs ``ceil(log2 maxcpus)`` comparisons, not ``maxcpus``; an
  index outside ``0..maxcpus-1`` is ignored by one guard comparison. The
  table grows linearly (one leaf, one status and one ``_OST`` field per CPU,
  like QEMU's chain), the work per event does not.
* No fast register uses the block's selector, so ``_STA``, ``_OST`` and
  ``_EJ0`` need no lock. ``CSCN`` still holds ``CPLK``: another OSPM user
  scanning with QEMU's command 0 observes an event accesses before it
  acknowledges it and must not have this scan take it in between.

``_EJ0`` policy: every vCPU but the boot vCPU (:data:`~vcpu_hotplug.vmm.vcpu.BOOT_VCPU`)
has ``_EJ0``, including the vCPUs enabled at boot (1..cpus-1), as QEMU's RFC
does (all but ``C000``). The machine accepts an unplug of any vCPU but the
boot one (:meth:`~vcpu_hotplug.vmm.machine.Machine.disable`), and Linux can
only complete an Eject Request on a device that has ``_EJ0``
(``drivers/acpi/scan.c`` ``acpi_scan_hot_remove``: no ``_EJ0``, no eject),
so leaving it out there would turn every such unplug into a timeout. The
boot vCPU has none (the OS never offers to eject it), and the register block
refuses its eject anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.builder import Arg0, Arg1, Arg2, Local0, Local1, Local3, NameRef, Zero
from vcpu_hotplug.acpi.aml.eisaid import EisaId
from vcpu_hotplug.acpi.aml.resources import Interrupt, Memory32Fixed, ResourceTemplate
from vcpu_hotplug.acpi.device_ids import CONTAINER_HID, GED_HID, PL011_UART_HID, POWER_BUTTON_HID, PROCESSOR_HID
from vcpu_hotplug.acpi.device_status import ProcessorStatus
from vcpu_hotplug.acpi.notify import NotifyValue, PowerButtonNotify
from vcpu_hotplug.vmm.cpuhp import (CPUHP_FAST_MAX_CPUS, CPUHP_FAST_REGION_SIZE, CPUHP_REGION_SIZE,
                                    FAST_EVENT_INDEX_MASK, FAST_EVENT_SIZE, FAST_OST_SIZE, FAST_STATUS_SIZE,
                                    OST_STATUS_SHIFT, CpuhpCommand, CpuhpFlag, CpuhpReg, FastEvent, FastReg)
from vcpu_hotplug.vmm.errors import ConfigError
from vcpu_hotplug.vmm.ged import GED_ACCESS_SIZE, GED_REGION_SIZE, GedEvent
from vcpu_hotplug.vmm.vcpu import BOOT_VCPU

DSDT_REVISION = 2
"""64-bit AML integers (section 19.6.98)."""

SB = "\\_SB"
GED_PATH = "\\_SB.GED"
PRES_PATH = "\\_SB.PRES"
"""The device that owns the register block, its fields, mutex and methods."""

GED_UID = "GED"
POWER_BUTTON_NAME = "PWRB"
PRES_UID = "CPU Hotplug resources"

MAX_CPU_DEVICES = 0x1000
"""Three hex digits in ``Cxxx``."""

ACQUIRE_FOREVER = 0xFFFF
BITS_PER_BYTE = 8


def cpu_device_name(index: int) -> str:
    """The name segment of vCPU ``index``'s processor device (``C003``)."""
    if not 0 <= index < MAX_CPU_DEVICES:
        raise ConfigError("maxcpus", f"vCPU {index} cannot be named with three hex digits")
    return f"C{index:03X}"


def cpu_device_path(index: int) -> str:
    """The absolute path of vCPU ``index``'s processor device (``\\_SB.C003``)."""
    return f"{SB}.{cpu_device_name(index)}"


def cpu_index_of_path(path: str) -> int | None:
    """The vCPU index a processor device path names (inverse of :func:`cpu_device_path`), else None."""
    prefix = SB + ".C"
    if not path.startswith(prefix) or len(path) != len(prefix) + 3:
        return None
    try:
        return int(path[len(prefix):], 16)
    except ValueError:
        return None


@dataclass(frozen=True)
class DsdtConfig:
    """What the DSDT needs to know about the machine."""

    maxcpus: int
    cpuhp_base: int
    ged_base: int
    ged_gsi: int
    boot_vcpu: int = BOOT_VCPU
    uart: tuple[int, int] | None = None
    """Base and size of the PL011, described as ``COM0`` when given."""
    uart_gsi: int = 0
    oem_id: str = "VCPUHP"
    oem_table_id: str = "VCPUHPTB"
    creator_id: str = "VCHP"
    creator_revision: int = 1
    fast_path: bool = True
    """True: the AML uses the register block's fast path (one access per question, see the module
    docstring); False: only QEMU's 12-byte interface (the AML this project had before the fast path,
    for a VMM whose block is QEMU's, such as real QEMU RFC V5 in the real-Linux rig)."""

    def __post_init__(self) -> None:
        if not 1 <= self.maxcpus <= MAX_CPU_DEVICES:
            raise ConfigError("maxcpus", f"{self.maxcpus} processor devices cannot be named Cxxx")
        if not 0 <= self.boot_vcpu < self.maxcpus:
            raise ConfigError("boot_vcpu", f"vCPU {self.boot_vcpu} is not one of 0..{self.maxcpus - 1}")
        if self.fast_path and self.maxcpus > CPUHP_FAST_MAX_CPUS:
            raise ConfigError("maxcpus", f"the fast path's windows hold {CPUHP_FAST_MAX_CPUS} vCPUs")


# register block fields (names as QEMU's, where QEMU has the same field)
CFLG, CCMD, CSEL, CDAT = "CFLG", "CCMD", "CSEL", "CDAT"
CPLK = "CPLK"
_INSERT = int(CpuhpFlag.INSERT)
_REMOVE = int(CpuhpFlag.REMOVE)
_EVENTS = _INSERT | _REMOVE
_NEXT = int(CpuhpCommand.NEXT_CPU_WITH_EVENT)


def _p(name: str) -> str:
    return f"{PRES_PATH}.{name}"


def _register_fields(dsdt: b.DefinitionBlock, base: int) -> None:
    dsdt.name("_CRS", ResourceTemplate(Memory32Fixed(base, CPUHP_REGION_SIZE)))
    dsdt.operation_region("PRST", "SystemMemory", base, CPUHP_REGION_SIZE)
    flags_bits = (CpuhpReg.COMMAND - CpuhpReg.FLAGS) * BITS_PER_BYTE
    dsdt.field("PRST", "ByteAcc", "NoLock", "WriteAsZeros",
               b.Offset(CpuhpReg.FLAGS), (CFLG, flags_bits), (CCMD, BITS_PER_BYTE))
    dword = (CpuhpReg.FLAGS - CpuhpReg.SELECTOR) * BITS_PER_BYTE
    dsdt.field("PRST", "DWordAcc", "NoLock", "WriteAsZeros",
               (CSEL, dword), b.Offset(CpuhpReg.COMMAND_DATA), (CDAT, dword))


def _locked(dsdt: b.DefinitionBlock) -> None:
    dsdt.add(b.Acquire(CPLK, ACQUIRE_FOREVER))


def _notify_tree(lo: int, hi: int) -> list[b.Term]:
    """Terms that Notify the device of index Arg0 in [lo, hi) with Arg1: a balanced binary search."""
    if hi - lo == 1:
        return [b.Notify(cpu_device_path(lo), Arg1)]
    mid = (lo + hi) // 2
    return [b.If(b.LLess(Arg0, mid), *_notify_tree(lo, mid)), b.Else(*_notify_tree(mid, hi))]


def notify_depth(maxcpus: int) -> int:
    """Comparisons on the path to one Notify in ``CTFY`` (the tree's depth)."""
    return (maxcpus - 1).bit_length()


def _notify_method(dsdt: b.DefinitionBlock, config: DsdtConfig) -> None:
    """CTFY (index, value): Notify the processor device of that index, O(log maxcpus)."""
    with dsdt.method("CTFY", 2):
        with dsdt.if_(b.LGreaterEqual(Arg0, config.maxcpus)):
            dsdt.return_()
        dsdt.add(*_notify_tree(0, config.maxcpus))


def _methods(dsdt: b.DefinitionBlock, config: DsdtConfig) -> None:
    # CSTA (index): _STA of a processor device, from the enabled bit
    with dsdt.method("CSTA", 1, serialized=True):
        _locked(dsdt)
        dsdt.store(Arg0, CSEL)
        dsdt.store(NameRef(CFLG), Local0)
        dsdt.add(b.Release(CPLK))
        with dsdt.if_(b.And(Local0, int(CpuhpFlag.ENABLED))):
            dsdt.return_(int(ProcessorStatus.ENABLED))
        dsdt.return_(int(ProcessorStatus.DISABLED))

    # CEJ0 (index): eject; the block honours it only for a vCPU the VMM asked to remove
    with dsdt.method("CEJ0", 1, serialized=True):
        _locked(dsdt)
        dsdt.store(Arg0, CSEL)
        dsdt.store(int(CpuhpFlag.EJECT), CFLG)
        dsdt.add(b.Release(CPLK))

    # COST (index, source event, status, status buffer): _OST to the VMM
    with dsdt.method("COST", 4, serialized=True):
        _locked(dsdt)
        dsdt.store(Arg0, CSEL)
        dsdt.store(int(CpuhpCommand.OST_EVENT), CCMD)
        dsdt.store(Arg1, CDAT)
        dsdt.store(int(CpuhpCommand.OST_STATUS), CCMD)
        dsdt.store(Arg2, CDAT)
        dsdt.add(b.Release(CPLK))

    _notify_method(dsdt, config)

    # CSCN: every pending event, 4 register accesses each
    with dsdt.method("CSCN", 0, serialized=True):
        _locked(dsdt)
        dsdt.store(Zero, CSEL)
        dsdt.store(Zero, Local3)
        with dsdt.while_(b.LLess(Local3, config.maxcpus)):
            dsdt.store(_NEXT, CCMD)
            dsdt.store(NameRef(CFLG), Local0)
            with dsdt.if_(b.LNot(b.And(Local0, _EVENTS))):
                dsdt.break_()
            dsdt.store(NameRef(CDAT), Local1)
            with dsdt.if_(b.And(Local0, _INSERT)):
                dsdt.invoke("CTFY", Local1, int(NotifyValue.DEVICE_CHECK))
                dsdt.store(_INSERT, CFLG)
            with dsdt.else_():
                dsdt.invoke("CTFY", Local1, int(NotifyValue.EJECT_REQUEST))
                dsdt.store(_REMOVE, CFLG)
            dsdt.add(b.Increment(Local3))
        dsdt.add(b.Release(CPLK))


# the fast path ------------------------------------------------------------

FEVT, FEJT = "FEVT", "FEJT"
"""The *next event* and *eject* registers' fields."""
_FAST_INSERT = int(FastEvent.INSERT)
_FAST_EVENTS = int(FastEvent.INSERT | FastEvent.REMOVE)
_FAST_MORE = int(FastEvent.MORE)
FAST_SCAN_LIMIT_PER_CPU = 2
"""A scan takes at most two events per possible vCPU (an insert and a remove) before it stops: a VMM
that keeps raising events cannot hold the OS in ``CSCN`` (each new event raises the GED again)."""


def status_field(index: int) -> str:
    """The field of vCPU ``index``'s ``_STA`` byte in the fast *status* window (``S005``)."""
    return f"S{index:03X}"


def ost_field(index: int) -> str:
    """The field of vCPU ``index``'s 64-bit ``_OST`` register (``O005``)."""
    return f"O{index:03X}"


def _fast_register_fields(dsdt: b.DefinitionBlock, base: int, maxcpus: int) -> None:
    dsdt.name("_CRS", ResourceTemplate(Memory32Fixed(base, CPUHP_FAST_REGION_SIZE)))
    dsdt.operation_region("PRST", "SystemMemory", base, CPUHP_FAST_REGION_SIZE)
    dword = FAST_EVENT_SIZE * BITS_PER_BYTE
    dsdt.field("PRST", "DWordAcc", "NoLock", "WriteAsZeros",
               b.Offset(FastReg.EVENT), (FEVT, dword), b.Offset(FastReg.EJECT), (FEJT, dword))
    dsdt.field("PRST", "ByteAcc", "NoLock", "WriteAsZeros", b.Offset(FastReg.STATUS),
               *((status_field(i), FAST_STATUS_SIZE * BITS_PER_BYTE) for i in range(maxcpus)))
    dsdt.field("PRST", "QWordAcc", "NoLock", "WriteAsZeros", b.Offset(FastReg.OST),
               *((ost_field(i), FAST_OST_SIZE * BITS_PER_BYTE) for i in range(maxcpus)))


def _fast_methods(dsdt: b.DefinitionBlock, config: DsdtConfig) -> None:
    _notify_method(dsdt, config)

    # CSCN: one access per event, the last one says nothing more is pending
    with dsdt.method("CSCN", 0, serialized=True):
        _locked(dsdt)
        dsdt.store(Zero, Local3)
        dsdt.store(NameRef(FEVT), Local0)
        with dsdt.while_(b.LAnd(b.And(Local0, _FAST_EVENTS),
                                b.LLess(Local3, FAST_SCAN_LIMIT_PER_CPU * config.maxcpus))):
            dsdt.store(b.And(Local0, FAST_EVENT_INDEX_MASK), Local1)
            with dsdt.if_(b.And(Local0, _FAST_INSERT)):
                dsdt.invoke("CTFY", Local1, int(NotifyValue.DEVICE_CHECK))
            with dsdt.else_():
                dsdt.invoke("CTFY", Local1, int(NotifyValue.EJECT_REQUEST))
            with dsdt.if_(b.LNot(b.And(Local0, _FAST_MORE))):
                dsdt.break_()
            dsdt.add(b.Increment(Local3))
            dsdt.store(NameRef(FEVT), Local0)
        dsdt.add(b.Release(CPLK))


def _fast_processor(dsdt: b.DefinitionBlock, index: int, ejectable: bool) -> None:
    with dsdt.device(cpu_device_name(index)):
        dsdt.name("_HID", PROCESSOR_HID)
        dsdt.name("_UID", index)
        with dsdt.method("_STA", 0):       # never "not present", whatever the byte reads (cpu-hotplug.rst)
            dsdt.return_(b.Or(NameRef(_p(status_field(index))), int(ProcessorStatus.DISABLED)))
        if ejectable:
            with dsdt.method("_EJ0", 1):
                dsdt.store(index, _p(FEJT))
        with dsdt.method("_OST", 3):
            dsdt.store(b.Or(Arg0, b.ShiftLeft(Arg1, OST_STATUS_SHIFT)), _p(ost_field(index)))


def _ged(dsdt: b.DefinitionBlock, config: DsdtConfig) -> None:
    with dsdt.device("GED"):
        dsdt.name("_HID", GED_HID)
        dsdt.name("_UID", GED_UID)
        dsdt.name("_CRS", ResourceTemplate(Interrupt([config.ged_gsi])))
        dsdt.operation_region("EREG", "SystemMemory", config.ged_base, GED_REGION_SIZE)
        dsdt.field("EREG", "DWordAcc", "NoLock", "WriteAsZeros", ("ESEL", GED_ACCESS_SIZE * BITS_PER_BYTE))
        with dsdt.method("_EVT", 1, serialized=True):
            dsdt.store(NameRef("ESEL"), Local0)
            with dsdt.if_(b.And(Local0, int(GedEvent.PWR_DOWN))):
                dsdt.add(b.Notify(POWER_BUTTON_NAME, int(PowerButtonNotify.STATUS_CHANGE)))
            with dsdt.if_(b.And(Local0, int(GedEvent.CPU_HOTPLUG))):
                dsdt.invoke(_p("CSCN"))


def _processor(dsdt: b.DefinitionBlock, index: int, ejectable: bool) -> None:
    with dsdt.device(cpu_device_name(index)):
        dsdt.name("_HID", PROCESSOR_HID)
        dsdt.name("_UID", index)
        with dsdt.method("_STA", 0):
            dsdt.return_(b.Call(_p("CSTA"), index))
        if ejectable:
            with dsdt.method("_EJ0", 1):
                dsdt.invoke(_p("CEJ0"), index)
        with dsdt.method("_OST", 3):
            dsdt.invoke(_p("COST"), index, Arg0, Arg1, Arg2)


def build_dsdt_block(config: DsdtConfig) -> b.DefinitionBlock:
    """The DSDT as a builder definition block (see the module docstring)."""
    dsdt = b.DefinitionBlock("DSDT", revision=DSDT_REVISION, oem_id=config.oem_id,
                             oem_table_id=config.oem_table_id, creator_id=config.creator_id,
                             creator_revision=config.creator_revision)
    with dsdt.scope(SB):
        if config.uart is not None:
            with dsdt.device("COM0"):
                dsdt.name("_HID", PL011_UART_HID)
                dsdt.name("_UID", 0)
                dsdt.name("_CRS", ResourceTemplate(Memory32Fixed(*config.uart),
                                                   Interrupt([config.uart_gsi], edge=False)))
        _ged(dsdt, config)
        with dsdt.device("PRES"):
            dsdt.name("_HID", EisaId(CONTAINER_HID))
            dsdt.name("_UID", PRES_UID)
            dsdt.mutex(CPLK, 0)
            if config.fast_path:
                _fast_register_fields(dsdt, config.cpuhp_base, config.maxcpus)
                _fast_methods(dsdt, config)
            else:
                _register_fields(dsdt, config.cpuhp_base)
                _methods(dsdt, config)
        processor = _fast_processor if config.fast_path else _processor
        for index in range(config.maxcpus):
            processor(dsdt, index, ejectable=index != config.boot_vcpu)
        with dsdt.device(POWER_BUTTON_NAME):
            dsdt.name("_HID", POWER_BUTTON_HID)
            dsdt.name("_UID", 0)
    return dsdt


def build_dsdt(config: DsdtConfig) -> bytes:
    """The whole DSDT table (header and AML)."""
    return build_dsdt_block(config).encode()


__all__ = ["DsdtConfig", "build_dsdt", "build_dsdt_block", "cpu_device_name", "cpu_device_path", "cpu_index_of_path",
           "notify_depth"]
