"""Exits counted where they land under KVM: the VMM's devices and the filtered PSCI calls in userspace,
the VGIC and KVM's own PSCI in the kernel (hw/trace.py ExitSite)."""

from vcpu_hotplug.arm.psci import PsciFunction
from vcpu_hotplug.hw.trace import ExitSite, Trace, TraceKind, hvc_exit_site, mmio_exit_site
from vcpu_hotplug.system import System


def test_devices_and_psci_functions_map_to_their_site() -> None:
    assert [mmio_exit_site(d) for d in ("cpuhp", "ged", "uart", "gicd", "gicr0", "gicr511")] == \
        [ExitSite.VMM] * 3 + [ExitSite.KERNEL] * 3
    assert hvc_exit_site(PsciFunction.CPU_ON) is hvc_exit_site(PsciFunction.CPU_OFF) is ExitSite.VMM
    assert hvc_exit_site(PsciFunction.AFFINITY_INFO) is hvc_exit_site(PsciFunction.PSCI_VERSION) is ExitSite.KERNEL


def test_sites_are_counted_with_the_trace_off_and_cleared_with_it() -> None:
    trace = Trace(lambda: 0)
    trace.enabled = False
    trace.mmio(TraceKind.MMIO_READ, "cpuhp", 0x10, 4, 0, 0)
    trace.mmio(TraceKind.MMIO_WRITE, "gicr3", 0, 4, 0, 0)
    trace.record(TraceKind.HVC, vcpu=0, function=int(PsciFunction.CPU_ON))
    trace.record(TraceKind.HVC, vcpu=0, function=int(PsciFunction.AFFINITY_INFO))
    assert (trace.exits_at(ExitSite.VMM), trace.exits_at(ExitSite.KERNEL)) == (2, 2)
    trace.clear()
    assert trace.exits_at(ExitSite.VMM) == trace.exits_at(ExitSite.KERNEL) == 0


def test_a_hot_add_through_the_guest_splits_into_userspace_and_vgic_exits() -> None:
    system = System.build("cpus=1,maxcpus=8")
    system.trace.clear()
    system.enable(7)
    by_device = {}
    for e in system.trace.filter():
        if e.kind in (TraceKind.MMIO_READ, TraceKind.MMIO_WRITE):
            by_device[e.device] = by_device.get(e.device, 0) + 1
    userspace = by_device.pop("cpuhp") + by_device.pop("ged") + 1          # + PSCI CPU_ON
    assert system.trace.exits_at(ExitSite.VMM) == userspace
    assert all(d.startswith(("gicd", "gicr")) for d in by_device)
    assert system.trace.exits_at(ExitSite.KERNEL) == sum(by_device.values()) > 0
