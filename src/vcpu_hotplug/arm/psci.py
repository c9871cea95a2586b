"""PSCI values (Arm Power State Coordination Interface, DEN0022D.b), named as the specification names them.

Both sides of the HVC conduit use these: the VMM's firmware
(:mod:`vcpu_hotplug.vmm.psci`) answers the calls, the guest's PSCI client
(:mod:`vcpu_hotplug.guest.psci`, Linux's ``drivers/firmware/psci/psci.c``)
makes them.
"""

from __future__ import annotations

import enum


class PsciFunction(enum.IntEnum):
    """PSCI function ids (DEN0022D.b section 5.1, "Function prototypes").

    The SMC64/HVC64 form of a function that takes addresses or MPIDRs has bit
    30 set (the SMC64 calling convention, DEN0028); ``CPU_ON_32`` is the SMC32
    form of ``CPU_ON``. Linux uses the 64-bit forms.
    """

    PSCI_VERSION = 0x8400_0000
    CPU_SUSPEND = 0xC400_0001
    CPU_OFF = 0x8400_0002
    CPU_ON = 0xC400_0003
    CPU_ON_32 = 0x8400_0003
    AFFINITY_INFO = 0xC400_0004
    MIGRATE_INFO_TYPE = 0x8400_0006
    SYSTEM_OFF = 0x8400_0008
    SYSTEM_RESET = 0x8400_0009
    PSCI_FEATURES = 0x8400_000A


class PsciReturn(enum.IntEnum):
    """PSCI return codes (DEN0022D.b section 5.2.2, "Return error codes"), as signed 32-bit values."""

    SUCCESS = 0
    NOT_SUPPORTED = -1
    INVALID_PARAMETERS = -2
    DENIED = -3
    ALREADY_ON = -4
    ON_PENDING = -5
    INTERNAL_FAILURE = -6
    NOT_PRESENT = -7
    DISABLED = -8
    INVALID_ADDRESS = -9


class AffinityInfo(enum.IntEnum):
    """What ``AFFINITY_INFO`` returns for an affinity instance (DEN0022D.b, AFFINITY_INFO)."""

    ON = 0
    OFF = 1
    ON_PENDING = 2


class MigrateInfoType(enum.IntEnum):
    """What ``MIGRATE_INFO_TYPE`` returns (DEN0022D.b, MIGRATE_INFO_TYPE): the Trusted OS's needs.

    Linux calls them ``PSCI_0_2_TOS_UP_MIGRATE``, ``PSCI_0_2_TOS_UP_NO_MIGRATE`` and ``PSCI_0_2_TOS_MP``.
    """

    UNIPROCESSOR_MIGRATE_CAPABLE = 0
    UNIPROCESSOR_NOT_MIGRATE_CAPABLE = 1
    NOT_REQUIRED = 2
    """The Trusted OS is not present or does not require migration."""


PSCI_VERSION_MAJOR_SHIFT = 16
"""``PSCI_VERSION`` result: major version in bits 30:16 (DEN0022D.b, PSCI_VERSION)."""

PSCI_VERSION_MAJOR_MASK = 0x7FFF
PSCI_VERSION_MINOR_MASK = 0xFFFF
"""``PSCI_VERSION`` result: minor version in bits 15:0."""


def psci_version(major: int, minor: int) -> int:
    """The ``PSCI_VERSION`` result for ``major.minor``."""
    return (major & PSCI_VERSION_MAJOR_MASK) << PSCI_VERSION_MAJOR_SHIFT | (minor & PSCI_VERSION_MINOR_MASK)


def psci_version_parts(version: int) -> tuple[int, int]:
    """``(major, minor)`` of a ``PSCI_VERSION`` result."""
    return (version >> PSCI_VERSION_MAJOR_SHIFT) & PSCI_VERSION_MAJOR_MASK, version & PSCI_VERSION_MINOR_MASK


PSCI_VERSION_1_1 = psci_version(1, 1)
"""PSCI 1.1 (``0x10001``)."""

POWER_STATE_TYPE_SHIFT = 16
"""``power_state`` (original format): StateType in bit 16 (DEN0022D.b, CPU_SUSPEND)."""


class PowerStateType(enum.IntEnum):
    """The StateType field of a ``power_state`` parameter (original format)."""

    STANDBY = 0
    POWER_DOWN = 1


MAX_AFFINITY_LEVEL = 3
"""``AFFINITY_INFO``'s ``lowest_affinity_level`` goes from 0 to 3 (Aff0..Aff3)."""
