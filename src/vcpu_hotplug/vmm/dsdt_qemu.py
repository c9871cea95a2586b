"""The DSDT of QEMU's arm64 vCPU hotplug RFC V5, term for term (profile ``qemu-rfc-v5``).

What ``hw/arm/virt-acpi-build.c`` ``build_dsdt`` of the ``virt-cpuhp-armv8/rfc-v5``
branch of ``salil-mehta/qemu`` generates for the devices this project models,
in QEMU's order and with QEMU's ``hw/acpi/aml-build.c`` encodings (so the
bytes are the same as QEMU's, not only the meaning)::

    Scope (\\_SB) {
      Device (\\_SB.GED) { ... }          hw/acpi/generic_event_device.c build_ged_aml:
                                         _EVT tests each event as ((Local0 & bit) == bit)
      Scope (_SB) {                      hw/acpi/cpu.c build_cpus_aml
        Device (\\_SB.PRES) { _HID PNP0A06, _UID, Mutex CPLK, _CRS, PRST,
                             CPEN CINS CRMV CEJ0 CEJF CPRS CCMD, CSEL CDAT }
        Device (\\_SB.CPUS) { _HID ACPI0010, _CID PNP0A05,
                             CTFY (an If per CPU), CSTA, CEJ0, CSCN, COST,
                             Device (C000) ... one per possible vCPU } }
      Method (\\_SB.GED.CSCN) { \\_SB.CPUS.CSCN () }
      Device (COM0) { ARMH0011 }          acpi_dsdt_add_uart
      Device (PWRB) { PNP0C0C }           acpi_dsdt_add_power_button
    }

QEMU's DSDT also has ``FWCF`` (fw_cfg), 32 virtio-mmio transports ``VRnn``,
the PCI link devices ``Lnnn`` and ``PCI0``, between ``COM0`` and ``PWRB``;
this machine has none of those devices, so they are left out, and the table
as a whole is shorter than QEMU's. :data:`HOTPLUG_TERMS` names the terms
that are QEMU's CPU hotplug AML; ``tests/test_profiles_tables.py`` compares
them byte for byte with the real tables.

The register block's CPU hotplug semantics this AML relies on are the ones
of :mod:`vcpu_hotplug.vmm.cpuhp` (QEMU's): ``CSCN`` clears the remove event
(``CRMV = One``) right after ``Notify(Eject Request)`` and the insert events
after the Device Check notifies; ``_EJ0`` (``CEJ0``) only writes the eject
bit. Every vCPU but the first has ``_EJ0`` (QEMU: ``!= first_cpu``).
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.builder import Arg0, Arg1, Arg2, Debug, Local0, Local1, Local2, Local3, Local4
from vcpu_hotplug.acpi.aml.builder import NameRef, One, Zero
from vcpu_hotplug.acpi.aml.eisaid import EisaId
from vcpu_hotplug.acpi.aml.resources import Interrupt, Memory32Fixed, ResourceTemplate
from vcpu_hotplug.acpi.device_ids import CONTAINER_HID, GED_HID, PL011_UART_HID, POWER_BUTTON_HID, PROCESSOR_HID
from vcpu_hotplug.acpi.device_status import ProcessorStatus
from vcpu_hotplug.acpi.notify import NotifyValue, PowerButtonNotify
from vcpu_hotplug.vmm.cpuhp import CPUHP_REGION_SIZE, CpuhpCommand, CpuhpReg
from vcpu_hotplug.vmm.dsdt import (ACQUIRE_FOREVER, BITS_PER_BYTE, DSDT_REVISION, GED_UID, POWER_BUTTON_NAME,
                                   PRES_UID, DsdtConfig, cpu_device_name)
from vcpu_hotplug.vmm.ged import GED_ACCESS_SIZE, GED_REGION_SIZE, GedEvent

PROCESSOR_CONTAINER_HID = "ACPI0010"
"""ACPI 6.5 section 8.4.2.1, Processor Container Device."""
GENERIC_CONTAINER_CID = "PNP0A05"

CPUS_PATH = "\\_SB.CPUS"
PRES_PATH = "\\_SB.PRES"
GED_PATH = "\\_SB.GED"
GED_SCAN_METHOD = "\\_SB.GED.CSCN"
"""QEMU's ``AML_GED_EVT_CPU_SCAN_METHOD``."""

MAX_CPUS_PER_PASS = 255
"""QEMU's ``CSCN``: the ``CNEW`` Package holds at most 255 added CPUs per pass (ACPI 1.0 PackageOp)."""

GED_EVENTS = (GedEvent.PWR_DOWN, GedEvent.CPU_HOTPLUG)
"""The events of QEMU virt's GED with CPU hotplug (``ged_supported_events`` order; no memory hotplug)."""

HOTPLUG_TERMS = (("Device", GED_PATH), ("Scope", "_SB"), ("Method", GED_SCAN_METHOD))
"""The top-level terms of ``Scope (\\_SB)`` that are QEMU's CPU hotplug AML (kind, name as written)."""

# QEMU's field names (hw/acpi/cpu.c)
CPEN, CINS, CRMV, CEJ0, CEJF, CPRS, CCMD, CSEL, CDAT = (
    "CPEN", "CINS", "CRMV", "CEJ0", "CEJF", "CPRS", "CCMD", "CSEL", "CDAT")
FLAG_FIELDS = (CPEN, CINS, CRMV, CEJ0, CEJF, CPRS)
"""Bits 0-5 of the flags byte, one name each."""
FLAGS_RESERVED_BITS = 2


def _pres(name: str) -> str:
    return f"{PRES_PATH}.{name}"


def _pres_device(config: DsdtConfig) -> b.Term:
    dword = (CpuhpReg.FLAGS - CpuhpReg.SELECTOR) * BITS_PER_BYTE
    return b.Device(
        PRES_PATH,
        b.Name("_HID", EisaId(CONTAINER_HID)),
        b.Name("_UID", PRES_UID),
        b.Mutex("CPLK", 0),
        b.Name("_CRS", ResourceTemplate(Memory32Fixed(config.cpuhp_base, CPUHP_REGION_SIZE))),
        b.OperationRegion("PRST", "SystemMemory", config.cpuhp_base, CPUHP_REGION_SIZE),
        b.Field("PRST", "ByteAcc", "NoLock", "WriteAsZeros",
                b.Reserved(CpuhpReg.FLAGS * BITS_PER_BYTE), *((name, 1) for name in FLAG_FIELDS),
                b.Reserved(FLAGS_RESERVED_BITS), (CCMD, BITS_PER_BYTE)),
        b.Field("PRST", "DWordAcc", "NoLock", "Preserve",
                (CSEL, dword), b.Reserved((CpuhpReg.COMMAND_DATA - CpuhpReg.FLAGS) * BITS_PER_BYTE),
                (CDAT, dword)),
    )


def _cscn(maxcpus: int) -> b.Term:
    has_event, added, cpu_idx, uid, has_job = Local0, Local1, Local2, Local3, Local4
    next_cpu = int(CpuhpCommand.NEXT_CPU_WITH_EVENT)
    inner = b.While(
        b.LAnd(b.LEqual(has_event, One), b.LLess(uid, maxcpus)),
        b.Store(Zero, has_event),
        b.Store(uid, _pres(CSEL)),
        b.Store(next_cpu, _pres(CCMD)),
        b.If(b.LLess(NameRef(_pres(CDAT)), uid), b.Break()),
        b.If(b.LEqual(added, MAX_CPUS_PER_PASS), b.Store(One, has_job), b.Break()),
        b.Store(NameRef(_pres(CDAT)), uid),
        b.If(b.LEqual(NameRef(_pres(CINS)), One),
             b.Store(uid, b.Index(NameRef("CNEW"), added, None)),
             b.Increment(added),
             b.Store(One, has_event)),
        b.Else(b.If(b.LEqual(NameRef(_pres(CRMV)), One),
                    b.Call("CTFY", uid, int(NotifyValue.EJECT_REQUEST)),
                    b.Store(One, _pres(CRMV)),
                    b.Store(One, has_event))),
        b.Increment(uid),
    )
    notify_added = b.While(
        b.LLess(cpu_idx, added),
        b.Store(b.DerefOf(b.Index(NameRef("CNEW"), cpu_idx, None)), uid),
        b.Call("CTFY", uid, int(NotifyValue.DEVICE_CHECK)),
        b.Store(uid, Debug),
        b.Store(uid, _pres(CSEL)),
        b.Store(One, _pres(CINS)),
        b.Increment(cpu_idx),
    )
    return b.Method(
        "CSCN", 0,
        b.Acquire(_pres("CPLK"), ACQUIRE_FOREVER),
        b.Name("CNEW", b.Package(count=MAX_CPUS_PER_PASS)),
        b.Store(Zero, uid),
        b.Store(One, has_job),
        b.While(b.LEqual(has_job, One),
                b.Store(Zero, has_job),
                b.Store(One, has_event),
                b.Store(Zero, added),
                inner,
                b.Store(Zero, cpu_idx),
                notify_added),
        b.Release(_pres("CPLK")),
        serialized=True)


def _cpus_device(config: DsdtConfig) -> b.Term:
    lock = _pres("CPLK")
    ctfy = b.Method("CTFY", 2, *(b.If(b.LEqual(Arg0, i), b.Notify(cpu_device_name(i), Arg1))
                                 for i in range(config.maxcpus)))
    csta = b.Method(
        "CSTA", 1,
        b.Acquire(lock, ACQUIRE_FOREVER),
        b.Store(Arg0, _pres(CSEL)),
        b.Store(Zero, Local0),
        b.If(b.LEqual(NameRef(_pres(CPRS)), One),
             b.If(b.LEqual(NameRef(_pres(CPEN)), One), b.Store(int(ProcessorStatus.ENABLED), Local0)),
             b.Else(b.Store(int(ProcessorStatus.DISABLED), Local0))),
        b.Release(lock),
        b.Return(Local0),
        serialized=True)
    cej0 = b.Method(
        "CEJ0", 1,
        b.Acquire(lock, ACQUIRE_FOREVER),
        b.Store(Arg0, _pres(CSEL)),
        b.Store(One, _pres(CEJ0)),
        b.Release(lock),
        serialized=True)
    cost = b.Method(
        "COST", 4,
        b.Acquire(lock, ACQUIRE_FOREVER),
        b.Store(Arg0, _pres(CSEL)),
        b.Store(int(CpuhpCommand.OST_EVENT), _pres(CCMD)),
        b.Store(Arg1, _pres(CDAT)),
        b.Store(int(CpuhpCommand.OST_STATUS), _pres(CCMD)),
        b.Store(Arg2, _pres(CDAT)),
        b.Release(lock),
        serialized=True)
    cpus = [_processor(i, ejectable=i != config.boot_vcpu) for i in range(config.maxcpus)]
    return b.Device(
        CPUS_PATH,
        b.Name("_HID", PROCESSOR_CONTAINER_HID),
        b.Name("_CID", EisaId(GENERIC_CONTAINER_CID)),
        ctfy, csta, cej0, _cscn(config.maxcpus), cost, *cpus)


def _processor(index: int, ejectable: bool) -> b.Term:
    terms = [b.Name("_HID", PROCESSOR_HID), b.Name("_UID", index),
             b.Method("_STA", 0, b.Return(b.Call("CSTA", index)), serialized=True)]
    if ejectable:
        terms.append(b.Method("_EJ0", 1, b.Call("CEJ0", index)))
    terms.append(b.Method("_OST", 3, b.Call("COST", index, Arg0, Arg1, Arg2), serialized=True))
    return b.Device(cpu_device_name(index), *terms)


def _ged(config: DsdtConfig) -> b.Term:
    events = []
    for event in GED_EVENTS:
        if event is GedEvent.PWR_DOWN:
            action = b.Notify(POWER_BUTTON_NAME, int(PowerButtonNotify.STATUS_CHANGE))
        else:
            action = b.Call(GED_SCAN_METHOD)
        events.append(b.If(b.LEqual(b.And(Local0, int(event), None), int(event)), action))
    return b.Device(
        GED_PATH,
        b.Name("_HID", GED_HID),
        b.Name("_UID", GED_UID),
        b.Name("_CRS", ResourceTemplate(Interrupt([config.ged_gsi]))),
        b.OperationRegion("EREG", "SystemMemory", config.ged_base, GED_REGION_SIZE),
        b.Field("EREG", "DWordAcc", "NoLock", "WriteAsZeros", ("ESEL", GED_ACCESS_SIZE * BITS_PER_BYTE)),
        b.Method("_EVT", 1, b.Store(NameRef("ESEL"), Local0), *events, serialized=True),
    )


def build_qemu_dsdt_block(config: DsdtConfig) -> b.DefinitionBlock:
    """QEMU RFC V5's DSDT for this machine (see the module docstring)."""
    dsdt = b.DefinitionBlock("DSDT", revision=DSDT_REVISION, oem_id=config.oem_id,
                             oem_table_id=config.oem_table_id, creator_id=config.creator_id,
                             creator_revision=config.creator_revision)
    terms: list[b.Term] = [
        _ged(config),
        b.Scope("_SB", _pres_device(config), _cpus_device(config)),
        b.Method(GED_SCAN_METHOD, 0, b.Call(f"{CPUS_PATH}.CSCN")),
    ]
    if config.uart is not None:
        terms.append(b.Device("COM0", b.Name("_HID", PL011_UART_HID), b.Name("_UID", 0),
                              b.Name("_CRS", ResourceTemplate(Memory32Fixed(*config.uart),
                                                              Interrupt([config.uart_gsi], edge=False)))))
    terms.append(b.Device(POWER_BUTTON_NAME, b.Name("_HID", POWER_BUTTON_HID), b.Name("_UID", 0)))
    dsdt.add(b.Scope("\\_SB", *terms))
    return dsdt


def build_qemu_dsdt(config: DsdtConfig) -> bytes:
    """The whole table (header and AML)."""
    return build_qemu_dsdt_block(config).encode()


__all__ = ["CPUS_PATH", "HOTPLUG_TERMS", "build_qemu_dsdt", "build_qemu_dsdt_block"]
