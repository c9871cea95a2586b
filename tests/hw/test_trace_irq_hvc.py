"""Trace buffer, interrupt lines, hypercall conduit and vCPU start port."""

from vcpu_hotplug.hw import HardwareBoundary
from vcpu_hotplug.hw.clock import SimClock
from vcpu_hotplug.hw.hvc import signed32
from vcpu_hotplug.hw.trace import Trace, TraceKind


def test_bounded_trace_keeps_the_newest_and_keeps_counting():
    clock = SimClock()
    trace = Trace(clock.now_ns, capacity=3)
    for i in range(5):
        trace.log(TraceKind.VMM_LOG, f"line {i}")
    assert [e.message for e in trace] == ["line 2", "line 3", "line 4"]
    assert trace.counts[TraceKind.VMM_LOG] == 5 and trace.dropped == 2
    trace.clear()
    assert len(trace) == 0 and trace.counts[TraceKind.VMM_LOG] == 0


def test_disabled_trace_still_counts_and_filters_by_field_and_time():
    clock = SimClock()
    trace = Trace(clock.now_ns)
    trace.record(TraceKind.NOTIFY, path="\\_SB.C003", value=1)
    clock.advance_ns(100)
    trace.record(TraceKind.OST, path="\\_SB.C003", source=3, status=0x84)
    trace.record(TraceKind.NOTIFY, path="\\_SB.C004", value=3)
    assert trace.count(TraceKind.NOTIFY, path="\\_SB.C004") == 1
    assert [e.kind for e in trace.filter(since_ns=100)] == [TraceKind.OST, TraceKind.NOTIFY]
    assert all(e.describe() for e in trace)
    trace.enabled = False
    trace.record(TraceKind.NOTIFY, path="x", value=1)
    assert len(trace) == 3 and trace.counts[TraceKind.NOTIFY] == 3


def test_interrupt_goes_to_its_handler_then_the_sink_else_spurious():
    hw = HardwareBoundary()
    got = []
    hw.irq.register(41, lambda intid: got.append(("ged", intid)))
    assert hw.irq.deliver(41, source="ged")
    assert not hw.irq.deliver(42)
    hw.irq.set_sink(lambda intid: got.append(("sink", intid)))
    assert hw.irq.deliver(42)
    assert got == [("ged", 41), ("sink", 42)]
    assert hw.irq.spurious[42] == 1
    assert [e.gsi for e in hw.trace.filter(TraceKind.IRQ)] == [41, 42, 42]


def test_hypercall_without_firmware_is_not_supported():
    hw = HardwareBoundary()
    result = hw.hvc.hvc(0, 0x8400_0000)
    assert result.ret == -1 and result.x0 == 0xFFFF_FFFF_FFFF_FFFF


def test_hypercall_reaches_firmware_and_is_traced_with_registers():
    hw = HardwareBoundary()
    seen = []

    def firmware(vcpu, fn, x1, x2, x3):
        seen.append((vcpu, fn, x1, x2, x3))
        return (-3,)
    hw.hvc.register_firmware(firmware)
    result = hw.hvc.hvc(2, 0xC400_0003, 0x3, 0x4008_0000, -1)
    assert seen == [(2, 0xC400_0003, 3, 0x4008_0000, 0xFFFF_FFFF_FFFF_FFFF)]
    assert result.ret == -3 and tuple(result) == (0xFFFF_FFFF_FFFF_FFFD, 0, 0, 0)
    (event,) = hw.trace.filter(TraceKind.HVC)
    assert event.vcpu == 2 and event.function == 0xC400_0003 and event.result[0] == result.x0


def test_signed32_reads_registers_as_linux_does():
    assert signed32(0xFFFF_FFFD) == -3
    assert signed32(0x1_0000_0005) == 5
    assert signed32(0x10001) == 0x10001


def test_vcpu_start_calls_the_guest_entry_and_is_traced():
    hw = HardwareBoundary()
    started = []
    hw.vcpus.register_entry(lambda cpu, entry, ctx: started.append((cpu, entry, ctx)))
    hw.vcpus.start(3, 0x4008_0000, 0x1234)
    assert started == [(3, 0x4008_0000, 0x1234)]
    (event,) = hw.trace.filter(TraceKind.VCPU_START)
    assert (event.vcpu, event.address, event.value) == (3, 0x4008_0000, 0x1234)
