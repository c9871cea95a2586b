"""Topology ids (QEMU virt_possible_cpu_arch_ids) and KVM's default MPIDR."""

import pytest

from vcpu_hotplug.arm.mpidr import MPIDR_HWID_MASK, affinity_levels, mpidr_el1
from vcpu_hotplug.vmm.errors import UnknownVcpuError
from vcpu_hotplug.vmm.smp import parse_smp
from vcpu_hotplug.vmm.topology import Topology, kvm_default_mpidr


@pytest.mark.parametrize("vcpu_id, aff0, aff1, aff2", [
    (0, 0, 0, 0),
    (15, 15, 0, 0),     # the last of 16 CPUs on one Aff0 level
    (16, 0, 1, 0),      # the 17th moves to Aff1: a GICv3 SGI target list is 16 bits
    (511, 15, 31, 0),   # KVM's maximum
    (4096, 0, 0, 1),    # where Aff2 would start (beyond 512, shown for the rule)
])
def test_kvm_default_mpidr(vcpu_id, aff0, aff1, aff2):
    assert affinity_levels(kvm_default_mpidr(vcpu_id)) == (aff0, aff1, aff2, 0)


def test_mpidr_el1_sets_res1_bit_and_linux_masks_it_away():
    affinity = kvm_default_mpidr(511)
    register = mpidr_el1(affinity)
    assert register >> 31 & 1 == 1 and register != affinity
    assert register & MPIDR_HWID_MASK == affinity


def test_every_possible_vcpu_has_a_distinct_mpidr_that_finds_it_back():
    topo = Topology(parse_smp("cpus=1,maxcpus=512"))
    assert len({t.mpidr for t in topo.cpus}) == 512
    for t in (topo[0], topo[15], topo[16], topo[511]):
        assert topo.by_mpidr(mpidr_el1(t.mpidr)) is t
    assert topo.by_mpidr(kvm_default_mpidr(512)) is None


def test_topology_ids_follow_qemu_order_threads_fastest():
    topo = Topology(parse_smp("cpus=2,maxcpus=24,sockets=2,clusters=2,cores=3,threads=2"))
    assert topo[0].ids == (0, 0, 0, 0)
    assert topo[1].ids == (0, 0, 0, 1)
    assert topo[2].ids == (0, 0, 1, 0)
    assert topo[6].ids == (0, 1, 0, 0)
    assert topo[12].ids == (1, 0, 0, 0)
    assert topo[23].ids == (1, 1, 2, 1)
    assert len({t.ids for t in topo.cpus}) == 24
    assert topo.by_ids(1, 1, 2, 1).index == 23


def test_unknown_index_or_ids_are_named():
    topo = Topology(parse_smp("2,maxcpus=6"))
    with pytest.raises(UnknownVcpuError, match="no vCPU 6"):
        topo[6]
    with pytest.raises(UnknownVcpuError, match="core-id=9"):
        topo.by_ids(0, 0, 9, 0)
