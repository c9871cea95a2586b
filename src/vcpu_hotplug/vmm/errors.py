"""The VMM layer's error family.

Every error says what was wrong with which vCPU or which ``-smp`` parameter,
in one sentence the CLI and the QMP server can pass on unchanged. The admin
operations raise :class:`AdminError` subclasses; the QMP layer reports them
as QEMU's ``GenericError`` carrying this sentence (QMP's own ``DeviceNotFound``
is about device ids, which the VMM does not know).
"""

from __future__ import annotations


class VmmError(Exception):
    """Base of every error raised by :mod:`vcpu_hotplug.vmm`."""


class ConfigError(VmmError):
    """A machine configuration mistake; ``parameter`` names the ``-smp`` key (or option) at fault."""

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        self.reason = reason
        super().__init__(f"{parameter}: {reason}")


class AdminError(VmmError):
    """An admin operation (enable/disable) that cannot be done; ``cpu`` is the vCPU index when known."""

    def __init__(self, reason: str, cpu: int | None = None) -> None:
        self.cpu = cpu
        self.reason = reason
        super().__init__(reason)


class UnknownVcpuError(AdminError):
    """No possible vCPU has that index, MPIDR or topology ids."""


class AlreadyEnabledError(AdminError):
    """Enable of a vCPU that is already enabled."""


class AlreadyDisabledError(AdminError):
    """Disable of a vCPU that is already disabled."""


class BootVcpuError(AdminError):
    """The boot vCPU can be neither disabled nor ejected."""


class ColdBootedVcpuError(AdminError):
    """A vCPU present at boot, on a machine that never unplugs those (QEMU RFC V5)."""


class EjectPendingError(AdminError):
    """A disable (eject request) is already waiting for the guest."""
