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

from dataclasses import dataclass

from vcpu_hotplug.arm.psci import (POWER_STATE_TYPE_SHIFT, AffinityInfo, MigrateInfoType, PowerStateType,
                                   PsciFunction, PsciReturn, psci_version_parts)
from vcpu_hotplug.arm.smccc import SMC32_MASK, SMCCC_VERSION_1_0, SMCCC_VERSION_1_1, SMCCC_VERSION_FUNC_ID
from vcpu_hotplug.guest.errors import Errno
from vcpu_hotplug.guest.klog import KernelLog
from vcpu_hotplug.hw.hvc import HypercallConduit


CPU_OFF_POWER_STATE = PowerStateType.POWER_DOWN << POWER_STATE_TYPE_SHIFT
"""What ``cpu_psci_cpu_die`` passes to CPU_OFF."""


def psci_to_linux_errno(ret: int) -> int:
    """``psci_to_linux_errno``: 0 or a negative errno."""
    if ret == PsciReturn.SUCCESS:
        return 0
    if ret == PsciReturn.NOT_SUPPORTED:
        return -Errno.EOPNOTSUPP
    if ret == PsciReturn.DENIED:
        return -Errno.EPERM
    return -Errno.EINVAL


def version_text(ver: int) -> str:
    major, minor = psci_version_parts(ver)
    return f"{major}.{minor}"


@dataclass
class PsciInfo:
    """What probing found."""

    version: int = 0
    smccc_version: int = SMCCC_VERSION_1_0
    migrate_info_type: int = MigrateInfoType.NOT_REQUIRED


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
        ver = self._call(caller, PsciFunction.PSCI_VERSION) & SMC32_MASK
        self.info.version = ver
        self.klog.info(f"psci: PSCIv{version_text(ver)} detected in firmware.")
        major, minor = psci_version_parts(ver)
        if major == 0 and minor < 2:
            self.klog.err("psci: Conflicting PSCI version detected.")
            return False
        self.klog.info("psci: Using standard PSCI v0.2 function IDs")
        mtype = self._call(caller, PsciFunction.MIGRATE_INFO_TYPE)
        self.info.migrate_info_type = mtype
        if mtype == MigrateInfoType.NOT_REQUIRED:
            self.klog.info("psci: Trusted OS migration not required")
        elif mtype == PsciReturn.NOT_SUPPORTED:
            self.klog.info("psci: MIGRATE_INFO_TYPE not supported.")
        if major >= 1:
            smccc = SMCCC_VERSION_1_0
            if self._call(caller, PsciFunction.PSCI_FEATURES, SMCCC_VERSION_FUNC_ID) != PsciReturn.NOT_SUPPORTED:
                ret = self._call(caller, SMCCC_VERSION_FUNC_ID) & SMC32_MASK
                if ret >= SMCCC_VERSION_1_1 and ret < (1 << 31):
                    smccc = ret
            self.info.smccc_version = smccc
            self.klog.info(f"psci: SMC Calling Convention v{version_text(smccc)}")
        self.available = True
        return True

    def cpu_on(self, caller: int, cpu: int, mpidr: int, entry: int) -> int:
        """``cpu_psci_cpu_boot``: 0 or a negative errno (logged unless -EPERM)."""
        err = psci_to_linux_errno(self._call(caller, PsciFunction.CPU_ON, mpidr, entry, 0))
        if err and err != -Errno.EPERM:
            self.klog.err(f"psci: failed to boot CPU{cpu} ({err})")
        return err

    def system_reset(self, caller: int) -> int:
        """``psci_sys_reset``: SYSTEM_RESET. It does not return on hardware; here it returns the call's result."""
        return self._call(caller, PsciFunction.SYSTEM_RESET)

    def system_off(self, caller: int) -> int:
        """``psci_sys_poweroff``: SYSTEM_OFF. It does not return on hardware; here it returns the call's result."""
        return self._call(caller, PsciFunction.SYSTEM_OFF)

    def cpu_off(self, dying_hw_cpu: int) -> int:
        """``cpu_psci_cpu_die`` on the dying CPU: CPU_OFF(power-down). 0 or errno."""
        return psci_to_linux_errno(self._call(dying_hw_cpu, PsciFunction.CPU_OFF, CPU_OFF_POWER_STATE))

    def affinity_info(self, caller: int, mpidr: int) -> int:
        """AFFINITY_INFO(mpidr, level 0): an :class:`AffinityInfo` value or a negative PSCI error."""
        return self._call(caller, PsciFunction.AFFINITY_INFO, mpidr, 0)

    def cpu_kill(self, caller: int, cpu: int, mpidr: int) -> int:
        """``cpu_psci_cpu_kill``: poll AFFINITY_INFO until the CPU is OFF. 0 or -ETIMEDOUT."""
        state = self.affinity_info(caller, mpidr)
        if state == AffinityInfo.OFF:
            self.klog.info(f"psci: CPU{cpu} killed (polled 0 ms)")
            return 0
        self.klog.warn(f"psci: CPU{cpu} may not have shut down cleanly (AFFINITY_INFO reports {state})")
        return -Errno.ETIMEDOUT
