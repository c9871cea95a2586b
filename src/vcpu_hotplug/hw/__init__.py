"""The hardware boundary: guest memory, MMIO bus, interrupt lines, hypercall conduit,
simulated clock and the trace of every crossing. Knows nothing above it.

``vmm`` and ``guest`` never import each other; they meet only here, where real
hardware would:

- :class:`~vcpu_hotplug.hw.memory.GuestMemory`: sparse guest physical memory;
- :class:`~vcpu_hotplug.hw.mmio.MmioBus`: loads/stores of 1/2/4/8 bytes decoded to
  device registers, each one a counted VM exit;
- :class:`~vcpu_hotplug.hw.irq.InterruptLines`: INTIDs delivered to guest handlers;
- :class:`~vcpu_hotplug.hw.hvc.HypercallConduit`: ``HVC #0`` to the firmware;
- :class:`~vcpu_hotplug.hw.vcpu_port.VcpuPort`: a powered-on vCPU starts at its entry point;
- :class:`~vcpu_hotplug.hw.clock.SimClock`: simulated, deterministic time;
- :class:`~vcpu_hotplug.hw.trace.Trace`: every crossing, time-stamped;
- :class:`~vcpu_hotplug.hw.observers.HostFaults`: how host callbacks are called from
  inside a guest step, so that a host bug never reaches the guest.

:class:`HardwareBoundary` bundles one of each, wired to one clock and one trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vcpu_hotplug.hw.clock import SimClock
from vcpu_hotplug.hw.errors import BusError, HwError
from vcpu_hotplug.hw.observers import HostFault, HostFaults
from vcpu_hotplug.hw.hvc import HvcResult, HypercallConduit
from vcpu_hotplug.hw.irq import InterruptLines
from vcpu_hotplug.hw.memory import GuestMemory
from vcpu_hotplug.hw.mmio import MmioBus
from vcpu_hotplug.hw.trace import Trace, TraceEvent, TraceKind
from vcpu_hotplug.hw.vcpu_port import VcpuPort


@dataclass
class HardwareBoundary:
    """Everything a VMM and a guest share, on one clock and one trace."""

    clock: SimClock = field(default_factory=SimClock)
    trace: Trace = field(init=False)
    memory: GuestMemory = field(default_factory=GuestMemory)
    bus: MmioBus = field(init=False)
    irq: InterruptLines = field(init=False)
    hvc: HypercallConduit = field(init=False)
    vcpus: VcpuPort = field(init=False)
    faults: HostFaults = field(default_factory=HostFaults)
    """Faults of host callbacks (trace listeners, machine observers) kept for the host side."""

    def __post_init__(self) -> None:
        self.trace = Trace(self.clock.now_ns, faults=self.faults)
        self.bus = MmioBus(self.trace)
        self.irq = InterruptLines(self.trace)
        self.hvc = HypercallConduit(self.trace)
        self.vcpus = VcpuPort(self.trace)


__all__ = [
    "BusError", "GuestMemory", "HardwareBoundary", "HostFault", "HostFaults", "HvcResult", "HwError", "HypercallConduit",
    "InterruptLines", "MmioBus", "SimClock", "Trace", "TraceEvent", "TraceKind", "VcpuPort",
]
