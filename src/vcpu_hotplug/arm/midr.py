"""The ``MIDR_EL1`` layout and the CPU models the project reports (Arm ARM DDI 0487, "MIDR_EL1, Main ID Register").

Implementer bits 31:24, Variant 23:20, Architecture 19:16 (0xF: defined by
the ID registers), PartNum 15:4, Revision 3:0. Part numbers are those of
each core's Technical Reference Manual (Linux ``arch/arm64/include/asm/cputype.h``).
"""

from __future__ import annotations

import enum

MIDR_IMPLEMENTER_SHIFT = 24
MIDR_VARIANT_SHIFT = 20
MIDR_ARCHITECTURE_SHIFT = 16
MIDR_PARTNUM_SHIFT = 4
MIDR_REVISION_SHIFT = 0

ARCHITECTURE_ID_REGISTERS = 0xF
"""Architecture field 0xF: the architecture is described by the ID registers (Armv7 and later)."""


class Implementer(enum.IntEnum):
    """MIDR_EL1.Implementer codes."""

    ARM = 0x41


class ArmPart(enum.IntEnum):
    """MIDR_EL1.PartNum of Arm Ltd cores."""

    NEOVERSE_N1 = 0xD0C


def midr(implementer: int, variant: int, part: int, revision: int,
         architecture: int = ARCHITECTURE_ID_REGISTERS) -> int:
    """A ``MIDR_EL1`` value."""
    return (implementer << MIDR_IMPLEMENTER_SHIFT | variant << MIDR_VARIANT_SHIFT
            | architecture << MIDR_ARCHITECTURE_SHIFT | part << MIDR_PARTNUM_SHIFT | revision << MIDR_REVISION_SHIFT)


NEOVERSE_N1_R3P1 = midr(Implementer.ARM, 3, ArmPart.NEOVERSE_N1, 1)
"""Arm Neoverse-N1 r3p1 (``0x413FD0C1``), a common KVM host's CPU."""
