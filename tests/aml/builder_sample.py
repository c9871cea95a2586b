"""A sizeable DSDT made with the builder, the way the VMM writes one.

It follows the arm64 CPU hotplug AML of QEMU's RFC series (reference table
``qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6/DSDT``): a GED whose ``_EVT``
calls ``CSCN``, the register block ``PRES`` with its fields, ``CPUS`` with
``CSTA``/``CEJ0``/``CSCN``/``COST``/``CTFY`` and one processor device per
possible CPU, plus a device that uses every other construct the builder has.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.builder import (
    Arg0,
    Arg1,
    Arg2,
    Debug,
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    NameRef,
    One,
    Zero,
)
from vcpu_hotplug.acpi.aml.eisaid import EisaId
from vcpu_hotplug.acpi.aml.resources import Interrupt, Memory32Fixed, ResourceTemplate

GED_EVENT_REGISTER = 0x09080000
CPU_HOTPLUG_BASE = 0x090C0000
CPU_HOTPLUG_LENGTH = 0x0C
GED_GSI = 0x29
CPU_HOTPLUG_EVENT = 0x08

PRES = "\\_SB.PRES"


def _reg(field: str) -> str:
    return f"{PRES}.{field}"


def hotplug_dsdt(max_cpus: int = 6) -> b.DefinitionBlock:
    """The sample DSDT for ``max_cpus`` possible vCPUs."""
    dsdt = b.DefinitionBlock("DSDT", revision=2, oem_id="VCPUHP", oem_table_id="VIRTARM", oem_revision=1)
    with dsdt.scope("\\_SB"):
        with dsdt.device("GED"):
            dsdt.name("_HID", "ACPI0013")
            dsdt.name("_UID", "GED")
            dsdt.name("_CRS", ResourceTemplate(Interrupt([GED_GSI])))
            dsdt.operation_region("EREG", "SystemMemory", GED_EVENT_REGISTER, 4)
            dsdt.field("EREG", "DWordAcc", "NoLock", "WriteAsZeros", ("ESEL", 32))
            with dsdt.method("_EVT", 1, serialized=True):
                dsdt.store(NameRef("ESEL"), Local0)
                with dsdt.if_(b.LEqual(b.And(Local0, CPU_HOTPLUG_EVENT), CPU_HOTPLUG_EVENT)):
                    dsdt.invoke("\\_SB.CPUS.CSCN")
        with dsdt.device("PRES"):
            dsdt.name("_HID", EisaId("PNP0A06"))
            dsdt.name("_UID", "CPU Hotplug resources")
            dsdt.mutex("CPLK", 0)
            dsdt.name("_CRS", ResourceTemplate(Memory32Fixed(CPU_HOTPLUG_BASE, CPU_HOTPLUG_LENGTH)))
            dsdt.operation_region("PRST", "SystemMemory", CPU_HOTPLUG_BASE, CPU_HOTPLUG_LENGTH)
            dsdt.field("PRST", "ByteAcc", "NoLock", "WriteAsZeros",
                       b.Offset(4), ("CPEN", 1), ("CINS", 1), ("CRMV", 1), ("CEJ0", 1), ("CEJF", 1),
                       ("CPRS", 1), b.Offset(5), ("CCMD", 8))
            dsdt.field("PRST", "DWordAcc", "NoLock", "Preserve", ("CSEL", 32), b.Offset(8), ("CDAT", 32))
        with dsdt.device("CPUS"):
            dsdt.name("_HID", "ACPI0010")
            dsdt.name("_CID", EisaId("PNP0A05"))
            with dsdt.method("CTFY", 2):
                for cpu in range(max_cpus):
                    with dsdt.if_(b.LEqual(Arg0, cpu)):
                        dsdt.notify(f"C{cpu:03X}", Arg1)
            with dsdt.method("CSTA", 1, serialized=True):
                dsdt.add(b.Acquire(_reg("CPLK"), 0xFFFF))
                dsdt.store(Arg0, _reg("CSEL"))
                dsdt.store(Zero, Local0)
                with dsdt.if_(b.LEqual(NameRef(_reg("CPRS")), One)):
                    with dsdt.if_(b.LEqual(NameRef(_reg("CPEN")), One)):
                        dsdt.store(0x0F, Local0)
                    with dsdt.else_():
                        dsdt.store(0x0D, Local0)
                dsdt.add(b.Release(_reg("CPLK")))
                dsdt.return_(Local0)
            with dsdt.method("CEJ0", 1, serialized=True):
                dsdt.add(b.Acquire(_reg("CPLK"), 0xFFFF))
                dsdt.store(Arg0, _reg("CSEL"))
                dsdt.store(One, _reg("CEJ0"))
                dsdt.add(b.Release(_reg("CPLK")))
            with dsdt.method("CSCN", 0, serialized=True):
                dsdt.add(b.Acquire(_reg("CPLK"), 0xFFFF))
                dsdt.name("CNEW", b.Package(count=0xFF))
                dsdt.store(Zero, Local3)
                dsdt.store(One, Local4)
                with dsdt.while_(b.LEqual(Local4, One)):
                    dsdt.store(Zero, Local4)
                    dsdt.store(One, Local0)
                    dsdt.store(Zero, Local1)
                    with dsdt.while_(b.LAnd(b.LEqual(Local0, One), b.LLess(Local3, max_cpus))):
                        dsdt.store(Zero, Local0)
                        dsdt.store(Local3, _reg("CSEL"))
                        dsdt.store(Zero, _reg("CCMD"))
                        with dsdt.if_(b.LLess(NameRef(_reg("CDAT")), Local3)):
                            dsdt.break_()
                        with dsdt.if_(b.LEqual(Local1, 0xFF)):
                            dsdt.store(One, Local4)
                            dsdt.break_()
                        dsdt.store(NameRef(_reg("CDAT")), Local3)
                        with dsdt.if_(b.LEqual(NameRef(_reg("CINS")), One)):
                            dsdt.store(Local3, b.Index(NameRef("CNEW"), Local1))
                            dsdt.add(b.Increment(Local1))
                            dsdt.store(One, Local0)
                        with dsdt.elseif(b.LEqual(NameRef(_reg("CRMV")), One)):
                            dsdt.invoke("CTFY", Local3, 3)
                            dsdt.store(One, _reg("CRMV"))
                            dsdt.store(One, Local0)
                        dsdt.add(b.Increment(Local3))
                    dsdt.store(Zero, Local2)
                    with dsdt.while_(b.LLess(Local2, Local1)):
                        dsdt.store(b.DerefOf(b.Index(NameRef("CNEW"), Local2)), Local3)
                        dsdt.invoke("CTFY", Local3, One)
                        dsdt.store(Local3, Debug)
                        dsdt.store(Local3, _reg("CSEL"))
                        dsdt.store(One, _reg("CINS"))
                        dsdt.add(b.Increment(Local2))
                dsdt.add(b.Release(_reg("CPLK")))
            with dsdt.method("COST", 4, serialized=True):
                dsdt.add(b.Acquire(_reg("CPLK"), 0xFFFF))
                dsdt.store(Arg0, _reg("CSEL"))
                dsdt.store(One, _reg("CCMD"))
                dsdt.store(Arg1, _reg("CDAT"))
                dsdt.store(2, _reg("CCMD"))
                dsdt.store(Arg2, _reg("CDAT"))
                dsdt.add(b.Release(_reg("CPLK")))
            for cpu in range(max_cpus):
                with dsdt.device(f"C{cpu:03X}"):
                    dsdt.name("_HID", "ACPI0007")
                    dsdt.name("_UID", cpu)
                    with dsdt.method("_STA", 0, serialized=True):
                        dsdt.return_(dsdt.call("CSTA", cpu))
                    if cpu:
                        with dsdt.method("_EJ0", 1):
                            dsdt.invoke("CEJ0", cpu)
                    with dsdt.method("_OST", 3, serialized=True):
                        dsdt.invoke("COST", cpu, Arg0, Arg1, Arg2)
        _everything_else(dsdt)
    return dsdt


def _everything_else(dsdt: b.DefinitionBlock) -> None:
    """A device using the remaining constructs (not meant to run, only to encode and print)."""
    with dsdt.device("MISC"):
        dsdt.name("_HID", EisaId("PNP0C02"))
        dsdt.name("_ADR", 0xFFFFFFFFFFFFFFFF)
        dsdt.name("BIGV", 0x123456789A)
        dsdt.name("STR0", "hello, world")
        dsdt.name("BUF0", bytes(range(16)))
        dsdt.name("BUF1", b.Buffer(b"\x01", size=4))
        dsdt.name("PKG0", [1, "two", [3, 4], b"\x05", NameRef("STR0")])
        dsdt.alias("PKG0", "PKGA")
        dsdt.mutex("MTX1", 7)
        dsdt.event("EVT0")
        dsdt.operation_region("IOR0", "SystemIO", 0x0CD8, 0x10)
        dsdt.field("IOR0", "AnyAcc", "Lock", "WriteAsOnes", ("IDXR", 8), ("DATR", 8), b.AccessAs("WordAcc"),
                   ("WRD0", 16), b.Reserved(8), ("BITS", 3))
        dsdt.index_field("IDXR", "DATR", "ByteAcc", "NoLock", "Preserve", ("IRG0", 8), ("IRG1", 8))
        dsdt.bank_field("IOR0", "WRD0", 1, "ByteAcc", "NoLock", "Preserve", b.Offset(6), ("BNK0", 8))
        with dsdt.processor("CPU9", 9, 0x00000810, 6):
            dsdt.name("_STA", 0x0F)
        with dsdt.power_resource("PWR0", 0, 1):
            with dsdt.method("_STA"):
                dsdt.return_(One)
        with dsdt.thermal_zone("TZ00"):
            dsdt.name("_TMP", 3000)
        with dsdt.method("MATH", 2, sync_level=3):
            dsdt.store(b.Add(Arg0, Arg1), Local0)
            dsdt.add(b.Subtract(Local0, 1, Local1), b.Multiply(Local0, Local1, Local2),
                     b.Divide(Local2, 3, Local1, Local0), b.Mod(Local0, 5, Local1),
                     b.ShiftLeft(Local1, 4, Local2), b.ShiftRight(Local2, 2, Local3),
                     b.Or(Local3, 0x80, Local3), b.XOr(Local3, 0xFF, Local3), b.NAnd(Local3, Local2, Local1),
                     b.NOr(Local3, Local2, Local1), b.Not(Local1, Local1),
                     b.FindSetLeftBit(Local1, Local2), b.FindSetRightBit(Local1, Local2),
                     b.Decrement(Local2))
            with dsdt.if_(b.LOr(b.LGreater(Local0, 1), b.LNot(b.LGreaterEqual(Local1, Local2)))):
                dsdt.return_(b.Concatenate("a", b.ToHexString(Local0)))
            with dsdt.elseif(b.LLessEqual(Local0, Local1)):
                dsdt.return_(b.ToDecimalString(Local1))
            with dsdt.elseif(b.LNotEqual(Local0, 0x10000)):
                dsdt.add(b.Noop())
            with dsdt.else_():
                dsdt.add(b.Sleep(10), b.Stall(5))
            dsdt.return_(b.ToInteger("0x10"))
        with dsdt.method("REFS", 1, serialized=True):
            dsdt.add(b.CreateBitField(NameRef("BUF0"), 3, "BIT3"), b.CreateByteField(NameRef("BUF0"), 1, "BYT1"),
                     b.CreateWordField(NameRef("BUF0"), 2, "WRD2"),
                     b.CreateDWordField(NameRef("BUF0"), 4, "DWD4"),
                     b.CreateQWordField(NameRef("BUF0"), 8, "QWD8"),
                     b.CreateField(NameRef("BUF0"), 5, 7, "FLD5"))
            dsdt.store(b.SizeOf("PKG0"), Local0)
            dsdt.store(b.ObjectType("PKG0"), Local1)
            dsdt.store(b.RefOf("STR0"), Local2)
            dsdt.store(b.DerefOf(Local2), Local3)
            dsdt.store(b.CondRefOf("\\_SB.MISC.STR0", Local4), Local0)
            dsdt.store(b.Match(NameRef("PKG0"), "MEQ", 1, "MTR", 0, 0), Local1)
            dsdt.store(b.Mid("abcdef", 1, 2), Local2)
            dsdt.store(b.ToBuffer(Local2), Local3)
            dsdt.store(b.ToString(Local3, 1), Local3)
            dsdt.add(b.CopyObject(Local3, Local1))
            dsdt.store(b.Acquire("MTX1", 100), Local0)
            dsdt.add(b.Release("MTX1"), b.Signal("EVT0"), b.Reset("EVT0"))
            dsdt.store(b.Wait("EVT0", 1), Local0)
            dsdt.store(b.Timer(), Debug)
            dsdt.store(b.FromBCD(0x12), Local0)
            dsdt.store(b.ToBCD(12), Local0)
            dsdt.store(b.ConcatenateResTemplate(
                ResourceTemplate(Memory32Fixed(0x1000, 0x100)),
                ResourceTemplate(Interrupt([0x30, 0x31], edge=False, active_high=False, shared=True))), Local1)
            with dsdt.while_(One):
                with dsdt.if_(b.LEqual(Arg0, Zero)):
                    dsdt.break_()
                dsdt.store(b.Subtract(Arg0, One), Arg0)
                dsdt.continue_()
            dsdt.return_(b.Call("MATH", Local0, b.DerefOf(b.Index(NameRef("PKG0"), 0))))
