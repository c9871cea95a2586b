"""The ``MIDR_EL1`` layout and the CPU models the project reports (Arm ARM DDI 0487, "MIDR_EL1, Main ID Register").

Implementer bits 31:24, Variant 23:20, Architecture 19:16 (0xF: defined by
the ID registers), PartNum 15:4, Revision 3:0. Part numbers are those of
each core's Technical Reference Manual (Linux ``arch/arm64/include/asm/cputype.h``).

:data:`CPU_MODEL_MIDR` is the MIDR each QEMU CPU model gives its vCPUs, as
QEMU sets ``cpu->midr`` (``target/arm/cpu64.c`` for cortex-a53/a57,
``target/arm/tcg/cpu64.c`` for the others); Linux prints it in "Booting
Linux on physical CPU 0x%010lx [0x%08x]" and "CPU%u: Booted secondary
processor 0x%010lx [0x%08x]".

``host`` has no fixed MIDR: KVM passes the host CPU's own. This model's
host is an Arm Neoverse-N1 r3p1 (:data:`NEOVERSE_N1_R3P1`, the MIDR of the
Ampere Altra and AWS Graviton2 KVM hosts). ``max`` is ``host`` under KVM
(QEMU's ``aarch64_max_initfn``: "With KVM or HVF, '-cpu max' is identical
to '-cpu host'"), and this model's default CPU type ``host`` exists only
under KVM, so ``max`` reports the host's MIDR too. Under TCG QEMU gives
``max`` :data:`QEMU_MAX_TCG` instead (Implementer 0, "reserved for software
use", PartNum ``'Q'``), so that guests apply no real core's errata.
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

    SOFTWARE = 0x00
    """Reserved for software use (QEMU's TCG ``max``)."""
    ARM = 0x41
    FUJITSU = 0x46


class ArmPart(enum.IntEnum):
    """MIDR_EL1.PartNum of Arm Ltd cores."""

    CORTEX_A53 = 0xD03
    CORTEX_A35 = 0xD04
    CORTEX_A55 = 0xD05
    CORTEX_A57 = 0xD07
    CORTEX_A72 = 0xD08
    CORTEX_A76 = 0xD0B
    NEOVERSE_N1 = 0xD0C
    NEOVERSE_V1 = 0xD40
    CORTEX_A710 = 0xD47
    NEOVERSE_N2 = 0xD49


FUJITSU_A64FX = 0x001
"""MIDR_EL1.PartNum of the Fujitsu A64FX."""

QEMU_MAX_PARTNUM = ord("Q")
"""PartNum of QEMU's TCG ``max`` CPU."""


def midr(implementer: int, variant: int, part: int, revision: int,
         architecture: int = ARCHITECTURE_ID_REGISTERS) -> int:
    """A ``MIDR_EL1`` value."""
    return (implementer << MIDR_IMPLEMENTER_SHIFT | variant << MIDR_VARIANT_SHIFT
            | architecture << MIDR_ARCHITECTURE_SHIFT | part << MIDR_PARTNUM_SHIFT | revision << MIDR_REVISION_SHIFT)


NEOVERSE_N1_R3P1 = midr(Implementer.ARM, 3, ArmPart.NEOVERSE_N1, 1)
"""Arm Neoverse-N1 r3p1 (``0x413FD0C1``), a common KVM host's CPU."""

HOST_MIDR = NEOVERSE_N1_R3P1
"""The MIDR KVM passes through for ``host`` (and ``max``) in this model: its host is a Neoverse-N1 r3p1."""

QEMU_MAX_TCG = midr(Implementer.SOFTWARE, 0, QEMU_MAX_PARTNUM, 0)
"""QEMU's ``max`` under TCG (``0x000F0510``); not used by this KVM-like model, recorded for comparison."""

CPU_MODEL_MIDR: dict[str, int] = {
    "host": HOST_MIDR,
    "max": HOST_MIDR,
    "cortex-a35": midr(Implementer.ARM, 1, ArmPart.CORTEX_A35, 0),     # 0x411FD040, r1p0
    "cortex-a53": midr(Implementer.ARM, 0, ArmPart.CORTEX_A53, 4),     # 0x410FD034, r0p4
    "cortex-a55": midr(Implementer.ARM, 2, ArmPart.CORTEX_A55, 0),     # 0x412FD050, r2p0
    "cortex-a57": midr(Implementer.ARM, 1, ArmPart.CORTEX_A57, 0),     # 0x411FD070, r1p0
    "cortex-a72": midr(Implementer.ARM, 0, ArmPart.CORTEX_A72, 3),     # 0x410FD083, r0p3
    "cortex-a76": midr(Implementer.ARM, 4, ArmPart.CORTEX_A76, 1),     # 0x414FD0B1, r4p1
    "cortex-a710": midr(Implementer.ARM, 2, ArmPart.CORTEX_A710, 1),   # 0x412FD471, r2p1
    "a64fx": midr(Implementer.FUJITSU, 1, FUJITSU_A64FX, 0),           # 0x461F0010, r1p0
    "neoverse-n1": midr(Implementer.ARM, 4, ArmPart.NEOVERSE_N1, 1),   # 0x414FD0C1, r4p1
    "neoverse-n2": midr(Implementer.ARM, 0, ArmPart.NEOVERSE_N2, 3),   # 0x410FD493, r0p3
    "neoverse-v1": midr(Implementer.ARM, 1, ArmPart.NEOVERSE_V1, 2),   # 0x411FD402, r1p2
}
"""QEMU CPU model name (without ``-arm-cpu``) -> the MIDR_EL1 its vCPUs report."""


def cpu_model_midr(model: str) -> int:
    """The MIDR of a QEMU CPU model, named with or without the ``-arm-cpu`` suffix; KeyError if unknown."""
    return CPU_MODEL_MIDR[model.removesuffix("-arm-cpu")]
