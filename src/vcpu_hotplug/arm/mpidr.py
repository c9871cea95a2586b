"""The ``MPIDR_EL1`` layout (Arm Architecture Reference Manual DDI 0487, "MPIDR_EL1, Multiprocessor Affinity Register").

Aff0 is bits 7:0, Aff1 15:8, Aff2 23:16, Aff3 39:32; bit 31 is RES1; bit 30
(U) is 0 on a multiprocessor system; bit 24 (MT) says Aff0 counts threads.
The *affinity* (Aff3..Aff0 only) is what the MADT GICC ``MPIDR`` field holds,
what PSCI ``CPU_ON``/``AFFINITY_INFO`` take as target and what Linux calls
the hardware id.
"""

from __future__ import annotations

AFF_SHIFTS = (0, 8, 16, 32)
"""Bit position of Aff0, Aff1, Aff2, Aff3."""

AFF_MASK = 0xFF
"""Each affinity level is 8 bits wide."""

MPIDR_HWID_MASK = 0xFF_00FF_FFFF
"""The affinity bits of ``MPIDR_EL1`` (Aff3, Aff2, Aff1, Aff0); Linux ``MPIDR_HWID_BITMASK``."""

MPIDR_RES1 = 1 << 31
"""``MPIDR_EL1`` bit 31 reads as one."""

INVALID_HWID = 0xFFFF_FFFF_FFFF_FFFF
"""No MPIDR: all ones, never a valid affinity (Linux ``INVALID_HWID``, ``arch/arm64/include/asm/cputype.h``)."""


def mpidr_el1(affinity: int) -> int:
    """The ``MPIDR_EL1`` value a CPU with ``affinity`` reads (bit 31 RES1 set, U = 0)."""
    return (affinity & MPIDR_HWID_MASK) | MPIDR_RES1


def affinity_levels(mpidr: int) -> tuple[int, int, int, int]:
    """(Aff0, Aff1, Aff2, Aff3) of an MPIDR value."""
    return tuple((mpidr >> s) & AFF_MASK for s in AFF_SHIFTS)  # type: ignore[return-value]


def affinity_mask(level: int) -> int:
    """The affinity bits at and above ``level`` (Aff``level``..Aff3): what ``AFFINITY_INFO`` compares
    for a ``lowest_affinity_level`` of ``level``."""
    mask = MPIDR_HWID_MASK
    for below in range(level):
        mask &= ~(AFF_MASK << AFF_SHIFTS[below])
    return mask
