"""The vCPUs: every possible one exists from boot.

KVM refuses to create a vCPU once the VGIC is initialised (``EBUSY``), so the
VMM creates all ``maxcpus`` vCPUs at boot (``Documentation/arch/arm64/
cpu-hotplug.rst``) and hotplug becomes policy. Each vCPU has two
independent states:

- :class:`AdminState`, the policy the management plane sets: the first
  ``cpus`` start ENABLED, the rest DISABLED. Only the admin operations change
  it (see :mod:`vcpu_hotplug.vmm.machine`).
- :class:`PowerState`, what PSCI drives (DEN0022 section 5.1.5 and
  AFFINITY_INFO): OFF, ON_PENDING between a successful ``CPU_ON`` and the
  moment the vCPU starts running, ON. The boot vCPU starts ON.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from vcpu_hotplug.vmm.errors import UnknownVcpuError
from vcpu_hotplug.vmm.topology import Topology, VcpuTopology

BOOT_VCPU = 0
"""The vCPU the machine starts (firmware's primary); it can never be ejected."""


class AdminState(enum.Enum):
    """Management-plane policy for a vCPU."""

    ENABLED = "enabled"
    DISABLED = "disabled"


class PowerState(enum.Enum):
    """PSCI power state of a vCPU."""

    OFF = "off"
    ON_PENDING = "on-pending"
    ON = "on"


@dataclass
class Vcpu:
    """One possible vCPU. ``entry_point``/``context_id`` are those of the last CPU_ON."""

    topology: VcpuTopology
    admin: AdminState
    power: PowerState = PowerState.OFF
    entry_point: int | None = None
    context_id: int | None = None
    starts: int = 0
    """How many times it has started running (boot or CPU_ON)."""

    @property
    def index(self) -> int:
        return self.topology.index

    @property
    def mpidr(self) -> int:
        """Affinity (MADT GICC MPIDR, PSCI target)."""
        return self.topology.mpidr

    @property
    def enabled(self) -> bool:
        return self.admin is AdminState.ENABLED

    @property
    def is_boot(self) -> bool:
        return self.index == BOOT_VCPU


class VcpuSet:
    """All ``maxcpus`` vCPUs of a machine, by index and by MPIDR."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        enabled = topology.config.cpus
        self._vcpus = [Vcpu(t, AdminState.ENABLED if t.index < enabled else AdminState.DISABLED)
                       for t in topology.cpus]
        self._vcpus[BOOT_VCPU].power = PowerState.ON
        self._vcpus[BOOT_VCPU].starts = 1

    def __len__(self) -> int:
        return len(self._vcpus)

    def __iter__(self) -> Iterator[Vcpu]:
        return iter(self._vcpus)

    def __getitem__(self, index: int) -> Vcpu:
        if not isinstance(index, int) or not 0 <= index < len(self._vcpus):
            raise UnknownVcpuError(f"no vCPU {index}: this machine has vCPUs 0..{len(self._vcpus) - 1}",
                                   index if isinstance(index, int) else None)
        return self._vcpus[index]

    def by_mpidr(self, mpidr: int) -> Vcpu | None:
        """The vCPU with that affinity (MPIDR_EL1 bits outside the affinity are ignored), or None."""
        t = self.topology.by_mpidr(mpidr)
        return None if t is None else self._vcpus[t.index]

    def enabled(self) -> list[int]:
        """Indexes of the admin-enabled vCPUs."""
        return [v.index for v in self._vcpus if v.enabled]

    def online(self) -> list[int]:
        """Indexes of the vCPUs that are powered on."""
        return [v.index for v in self._vcpus if v.power is PowerState.ON]
