"""Constructs QEMU's tables do not use still print to ASL that iasl compiles back to the same terms."""

from __future__ import annotations

from tests.aml.asl_compare import first_difference, normalize
from tests.aml.iasl_helpers import compile_asl
from vcpu_hotplug.acpi.aml.asl import disassemble
from vcpu_hotplug.acpi.aml.parser import parse_definition_block

RARE_ASL = r"""
DefinitionBlock ("", "SSDT", 1, "VCPUHP", "RARE", 1)
{
    External (\_SB.EXT0, MethodObj)
    External (\_SB.EXT1, DeviceObj)
    DataTableRegion (DTR0, "DSDT", "", "")
    Field (DTR0, AnyAcc, NoLock, Preserve) { SIGN, 32 }
    Name (HNDL, Zero)
    Name (QUOT, "say \"hi\"\\")
    Method (LD00, 1, Serialized, 15)
    {
        Load (HNDL, Local0)
        Unload (Local0)
        Local1 = LoadTable ("OEM1", "", "", "\\", "", Zero)
        Fatal (0x01, 0x00000002, Arg0)
        Local2 = Timer
        Local3 = Revision
        Local4 = 0xFFFFFFFF
        Return (\_SB.EXT0 (Arg0))
    }
    Scope (\_SB.EXT1) { Name (XYZ, One) }
    OperationRegion (SMB0, SMBus, Zero, 0x100)
    Field (SMB0, BufferAcc, NoLock, Preserve)
    {
        AccessAs (BufferAcc, AttribQuick), FLD0, 8,
        AccessAs (BufferAcc, AttribBytes (4)), FLD1, 8
    }
    OperationRegion (GPIO, GeneralPurposeIo, Zero, 0x10)
    Name (GPI0, ResourceTemplate () {
        GpioIo (Exclusive, PullUp, 0, 0, IoRestrictionNone, "\\_SB.GPO0", 0, ResourceConsumer, , ) { 2 } })
    Field (GPIO, ByteAcc, NoLock, Preserve) { Connection (GPI0), PIN2, 1 }
    OperationRegion (CUST, 0x80, Zero, 0x10)
    PowerResource (PWR0, 0x01, 0x0002) { Method (_STA) { Return (One) } }
    ThermalZone (TZ00) { Method (_TMP) { Return (0x0BB8) } }
}
"""


def test_rare_constructs_round_trip(iasl, tmp_path):
    original = compile_asl(iasl, RARE_ASL, tmp_path / "a", flags=("-oa",))
    printed = disassemble(original)
    assert "External (\\_SB.EXT0, MethodObj)" in printed  # iasl stores it in an If (Zero) block
    assert "AccessAs (BufferAcc, AttribBytes (4))" in printed
    assert 'Name (QUOT, "say \\"hi\\"\\\\")' in printed
    assert "OperationRegion (CUST, 0x80, Zero, 0x10)" in printed
    assert "Connection (GPI0)," in printed
    again = compile_asl(iasl, printed, tmp_path / "b", flags=("-oa",))
    where = first_difference(normalize(parse_definition_block(original)),
                             normalize(parse_definition_block(again)))
    assert where is None, printed
