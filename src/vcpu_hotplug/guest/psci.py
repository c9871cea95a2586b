"""The PSCI client: ``drivers/firmware/psci/psci.c`` and ``arch/arm64/kernel/psci.c``.

Linux finds PSCI through the FADT's ``ARM_BOOT_ARCH`` (``psci_acpi_init``:
"probing for conduit method from ACPI."), asks ``PSCI_VERSION``, switches to
the standard v0.2 function ids, asks ``MIGRATE_INFO_TYPE`` and, for PSCI
1.x, ``PSCI_FEATURES(SMCCC_VERSION)``; each step logs the line Linux logs.

Calls go through the hardware boundary's HVC conduit with Linux's
arguments: ``CPU_ON(target MPIDR, __pa(secondary_entry), 0)``,
``CPU_OFF(power_state = power-down << 16)`` from the dying CPU,
``AFFINITY_INFO(MPIDR, 0)`` from a surviving CPU. PSCI return codes become
errnos with ``psci_to_linux_errno``: DENIED is ``-EPERM``, NOT_SUPPORTED
``-EOPNOTSUPP``, INVALID_PARAMETERS/INVALID_ADDRESS ``-EINVAL``, anything
else ``-EINVAL``. ``cpu_psci_cpu_boot`` logs "failed to boot CPU%d (%d)"
except for ``-EPERM`` (Linux 6.11: a CPU firmware keeps disabled is not an
error).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from vcpu_hotplug.guest.errors import Errno
from vcpu_hotplug.guest.klog import KernelLog
from vcpu_hotplug.hw.hvc import HypercallConduit


class PsciFn(enum.IntEnum):
    """PSCI function ids (DEN0022, ``include/uapi/linux/psci.h``); Linux uses the SMC64 forms."""

    PSCI_VERSION = 0x8400_0000
    CPU_SUSPEND = 0xC400_0001
    CPU_OFF = 0x8400_0002
    CPU_ON = 0xC400_0003
    AFFINITY_INFO = 0xC400_0004
    MIGRATE_INFO_TYPE = 0x8400_0006
    SYSTEM_OFF = 0x8400_0008
    SYSTEM_RESET = 0x8400_0009
    PSCI_FEATURES = 0x8400_000A


SMCCC_VERSION_FUNC_ID = 0x8000_0000
"""``ARM_SMCCC_VERSION_FUNC_ID``."""

SMCCC_VERSION_1_0 = 0x10000
SMCCC_VERSION_1_1 = 0x10001


class PsciRet(enum.IntEnum):
    """PSCI return codes (signed)."""

    SUCCESS = 0
    NOT_SUPPORTED = -1
    INVALID_PARAMS = -2
    DENIED = -3
    ALREADY_ON = -4
    ON_PENDING = -5
    INTERNAL_FAILURE = -6
    NOT_PRESENT = -7
    DISABLED = -8
    INVALID_ADDRESS = -9


class AffinityLevel(enum.IntEnum):
    """``AFFINITY_INFO`` results (``PSCI_0_2_AFFINITY_LEVEL_*``)."""

    ON = 0
    OFF = 1
    ON_PENDING = 2


PSCI_0_2_TOS_MP = 2
"""MIGRATE_INFO_TYPE: Trusted OS not present or needs no migration."""

POWER_STATE_TYPE_POWER_DOWN = 1
POWER_STATE_TYPE_SHIFT = 16
CPU_OFF_POWER_STATE = POWER_STATE_TYPE_POWER_DOWN << POWER_STATE_TYPE_SHIFT
"""What ``cpu_psci_cpu_die`` passes to CPU_OFF."""

VERSION_MAJOR_SHIFT = 16
VERSION_MINOR_MASK = 0xFFFF


def psci_to_linux_errno(ret: int) -> int:
    """``psci_to_linux_errno``: 0 or a negative errno."""
    if ret == PsciRet.SUCCESS:
        return 0
    if ret == PsciRet.NOT_SUPPORTED:
        return -Errno.EOPNOTSUPP
    if ret == PsciRet.DENIED:
        return -Errno.EPERM
    return -Errno.EINVAL


def version_text(ver: int) -> str:
    return f"{(ver >> VERSION_MAJOR_SHIFT) & 0x7FFF}.{ver & VERSION_MINOR_MASK}"


@dataclass
class PsciInfo:
    """What probing found."""

    version: int = 0
    smccc_version: int = SMCCC_VERSION_1_0
    migrate_info_type: int = PSCI_0_2_TOS_MP


class PsciClient:
    """Linux's ``psci_ops`` over the HVC conduit."""

    def __init__(self, conduit: HypercallConduit, klog: KernelLog) -> None:
        self.conduit = conduit
        self.klog = klog
        self.info = PsciInfo()
        self.available = False

    def _call(self, caller: int, fn: int, a1: int = 0, a2: int = 0, a3: int = 0) -> int:
        return self.conduit.hvc(caller, fn, a1, a2, a3).ret

    def probe(self, caller: int, compliant: bool, use_hvc: bool) -> bool:
        """``psci_acpi_init`` + ``psci_probe``; True when CPU_ON can be used."""
        if not compliant:
            self.klog.info("psci: is not implemented in ACPI.")
            return False
        self.klog.info("psci: probing for conduit method from ACPI.")
        if not use_hvc:
            # The SMC conduit goes to EL3 firmware, which this machine does not have.
            self.klog.err("psci: SMC conduit requested but this machine only traps HVC")
            return False
        ver = self._call(caller, PsciFn.PSCI_VERSION) & 0xFFFF_FFFF
        self.info.version = ver
        self.klog.info(f"psci: PSCIv{version_text(ver)} detected in firmware.")
        major, minor = ver >> VERSION_MAJOR_SHIFT, ver & VERSION_MINOR_MASK
        if major == 0 and minor < 2:
            self.klog.err("psci: Conflicting PSCI version detected.")
            return False
        self.klog.info("psci: Using standard PSCI v0.2 function IDs")
        mtype = self._call(caller, PsciFn.MIGRATE_INFO_TYPE)
        self.info.migrate_info_type = mtype
        if mtype == PSCI_0_2_TOS_MP:
            self.klog.info("psci: Trusted OS migration not required")
        elif mtype == PsciRet.NOT_SUPPORTED:
            self.klog.info("psci: MIGRATE_INFO_TYPE not supported.")
        if major >= 1:
            smccc = SMCCC_VERSION_1_0
            if self._call(caller, PsciFn.PSCI_FEATURES, SMCCC_VERSION_FUNC_ID) != PsciRet.NOT_SUPPORTED:
                ret = self._call(caller, SMCCC_VERSION_FUNC_ID) & 0xFFFF_FFFF
                if ret >= SMCCC_VERSION_1_1 and ret < (1 << 31):
                    smccc = ret
            self.info.smccc_version = smccc
            self.klog.info(f"psci: SMC Calling Convention v{version_text(smccc)}")
        self.available = True
        return True

    def cpu_on(self, caller: int, cpu: int, mpidr: int, entry: int) -> int:
        """``cpu_psci_cpu_boot``: 0 or a negative errno (logged unless -EPERM)."""
        err = psci_to_linux_errno(self._call(caller, PsciFn.CPU_ON, mpidr, entry, 0))
        if err and err != -Errno.EPERM:
            self.klog.err(f"psci: failed to boot CPU{cpu} ({err})")
        return err

    def system_reset(self, caller: int) -> int:
        """``psci_sys_reset``: SYSTEM_RESET. It does not return on hardware; here it returns the call's result."""
        return self._call(caller, PsciFn.SYSTEM_RESET)

    def system_off(self, caller: int) -> int:
        """``psci_sys_poweroff``: SYSTEM_OFF. It does not return on hardware; here it returns the call's result."""
        return self._call(caller, PsciFn.SYSTEM_OFF)

    def cpu_off(self, dying_hw_cpu: int) -> int:
        """``cpu_psci_cpu_die`` on the dying CPU: CPU_OFF(power-down). 0 or errno."""
        return psci_to_linux_errno(self._call(dying_hw_cpu, PsciFn.CPU_OFF, CPU_OFF_POWER_STATE))

    def affinity_info(self, caller: int, mpidr: int) -> int:
        """AFFINITY_INFO(mpidr, level 0): an :class:`AffinityLevel` value or a negative PSCI error."""
        return self._call(caller, PsciFn.AFFINITY_INFO, mpidr, 0)

    def cpu_kill(self, caller: int, cpu: int, mpidr: int) -> int:
        """``cpu_psci_cpu_kill``: poll AFFINITY_INFO until the CPU is OFF. 0 or -ETIMEDOUT."""
        state = self.affinity_info(caller, mpidr)
        if state == AffinityLevel.OFF:
            self.klog.info(f"psci: CPU{cpu} killed (polled 0 ms)")
            return 0
        self.klog.warn(f"psci: CPU{cpu} may not have shut down cleanly (AFFINITY_INFO reports {state})")
        return -Errno.ETIMEDOUT
