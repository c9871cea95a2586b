"""Per-vCPU topology ids and MPIDR, as QEMU's ``virt`` and KVM assign them.

Topology ids follow QEMU's ``virt_possible_cpu_arch_ids()`` (``hw/arm/virt.c``):
vCPU ``n`` has thread ``n % threads``, core ``(n / threads) % cores``,
cluster ``(n / (cores * threads)) % clusters`` and socket
``n / (clusters * cores * threads)``. These ids go to the PPTT.

The MPIDR is KVM's default (``reset_mpidr()`` in ``arch/arm64/kvm/sys_regs.c``):
Aff0 = id % 16, Aff1 = (id / 16) % 256, Aff2 = id / 4096, Aff3 = 0. At most 16
CPUs share an Aff0 level because a GICv3 SGI's target list is 16 bits wide.

Three views of one value, not to be confused:

- the *affinity* (:attr:`VcpuTopology.mpidr`): Aff3..Aff0 only, bits 39:32 and
  23:0; this is what the MADT GICC ``MPIDR`` field holds, what PSCI
  ``CPU_ON``/``AFFINITY_INFO`` take as target, and what the CPU hotplug
  register block returns as arch id;
- ``MPIDR_EL1`` as the vCPU reads it (:func:`vcpu_hotplug.arm.mpidr.mpidr_el1`): the affinity with
  bit 31 RES1 set (bit 30 U = 0: a multiprocessor system);
- Linux's hardware id: ``MPIDR_EL1 & 0xff00ffffff`` (``MPIDR_HWID_BITMASK``),
  which equals the affinity.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcpu_hotplug.arm.mpidr import AFF_SHIFTS, MPIDR_HWID_MASK
from vcpu_hotplug.vmm.errors import UnknownVcpuError
from vcpu_hotplug.vmm.smp import SmpConfig

KVM_AFF0_CPUS = 16
"""vCPUs per Aff0 level in KVM's default MPIDR (GICv3 SGI target lists are 16 bits)."""

KVM_AFF1_SPAN = 256
"""Values of Aff1 before KVM moves on to Aff2."""


def kvm_default_mpidr(vcpu_id: int) -> int:
    """KVM's default affinity for vCPU ``vcpu_id`` (no bit 31)."""
    aff0 = vcpu_id % KVM_AFF0_CPUS
    aff1 = (vcpu_id // KVM_AFF0_CPUS) % KVM_AFF1_SPAN
    aff2 = (vcpu_id // (KVM_AFF0_CPUS * KVM_AFF1_SPAN)) & 0xFF
    return (aff2 << AFF_SHIFTS[2]) | (aff1 << AFF_SHIFTS[1]) | (aff0 << AFF_SHIFTS[0])


@dataclass(frozen=True)
class VcpuTopology:
    """Where vCPU ``index`` sits: topology ids and its affinity (MADT GICC MPIDR)."""

    index: int
    socket_id: int
    cluster_id: int
    core_id: int
    thread_id: int
    mpidr: int

    @property
    def ids(self) -> tuple[int, int, int, int]:
        """(socket, cluster, core, thread)."""
        return (self.socket_id, self.cluster_id, self.core_id, self.thread_id)


class Topology:
    """The topology of every possible vCPU of a machine."""

    def __init__(self, config: SmpConfig) -> None:
        self.config = config
        c = config
        self.cpus: tuple[VcpuTopology, ...] = tuple(
            VcpuTopology(
                index=n,
                socket_id=n // (c.clusters * c.cores * c.threads),
                cluster_id=(n // (c.cores * c.threads)) % c.clusters,
                core_id=(n // c.threads) % c.cores,
                thread_id=n % c.threads,
                mpidr=kvm_default_mpidr(n),
            )
            for n in range(c.maxcpus)
        )
        self._by_mpidr = {t.mpidr: t for t in self.cpus}
        self._by_ids = {t.ids: t for t in self.cpus}

    def __len__(self) -> int:
        return len(self.cpus)

    def __getitem__(self, index: int) -> VcpuTopology:
        if not 0 <= index < len(self.cpus):
            raise UnknownVcpuError(f"no vCPU {index}: this machine has vCPUs 0..{len(self.cpus) - 1}", index)
        return self.cpus[index]

    def by_mpidr(self, mpidr: int) -> VcpuTopology | None:
        """The vCPU whose affinity is ``mpidr & MPIDR_HWID_MASK``, or None."""
        return self._by_mpidr.get(mpidr & MPIDR_HWID_MASK)

    def by_ids(self, socket_id: int, cluster_id: int, core_id: int, thread_id: int) -> VcpuTopology:
        """The vCPU at these topology ids."""
        found = self._by_ids.get((socket_id, cluster_id, core_id, thread_id))
        if found is None:
            raise UnknownVcpuError(f"no vCPU at socket-id={socket_id} cluster-id={cluster_id} "
                                   f"core-id={core_id} thread-id={thread_id} ({self.config.hierarchy()})")
        return found
