"""``_REG`` of operation regions (ACPI 6.5 section 6.5.4), as ACPICA runs it.

ACPICA (``evregion.c`` ``AcpiEvInitializeOpRegions``/``AcpiEvExecuteRegMethods``,
``evrgnini.c`` ``AcpiEvInitializeRegion``): namespace initialization runs
``_REG(space, 1)`` for the regions of the default handlers' spaces except
SystemMemory/SystemIO (always accessible), so PCI_Config; a region created after
that (in a method) gets its ``_REG(connect)`` at once, and ``_REG(disconnect)``
when the method returns and the region is deleted.
"""

from __future__ import annotations

from tests.aml.interp_support import interpreter_for


def test_reg_runs_for_pci_config_at_initialize_and_for_method_regions(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, """
        Name (LOG, "")
        Device (MEM) {
            OperationRegion (MREG, SystemMemory, 0x1000, 4)
            Method (_REG, 2) { Concatenate (LOG, "M", LOG) }
        }
        Device (PCI) {
            OperationRegion (PREG, PCI_Config, 0, 4)
            Method (_REG, 2) { Concatenate (LOG, Concatenate ("P", ToDecimalString (Arg1)), LOG) }
            Method (_INI) { Concatenate (LOG, "I", LOG) }
        }
        Device (DYN) {
            Method (TEST, 0, Serialized) {
                Method (_REG, 2) {
                    Concatenate (LOG, Concatenate (ToDecimalString (Arg0), ToDecimalString (Arg1)), LOG)
                }
                OperationRegion (R, PCI_Config, 0, 4)
                Concatenate (LOG, "T", LOG)
            }
        }
    """)
    assert interp.evaluate("\\LOG") == ""
    interp.initialize()
    # _REG before _INI; none for SystemMemory
    assert interp.evaluate("\\LOG") == "P1I"
    interp.evaluate("\\DYN.TEST")
    assert interp.evaluate("\\LOG") == "P1I21T20"
