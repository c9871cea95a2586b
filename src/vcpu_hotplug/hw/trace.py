"""One trace of every crossing of the hardware boundary, with simulated time.

Every MMIO read and write, hypercall, interrupt, ACPI ``Notify`` and ``_OST``
is recorded as a :class:`TraceEvent` stamped with the simulated clock. The
trace feeds the CLI view, the metrics and the tests; per-kind counters keep
counting even when the buffer is bounded, cleared or disabled, so cost
figures (VM exits) survive a long run.

The VMM and the guest may add free-form log lines (:attr:`TraceKind.VMM_LOG`,
:attr:`TraceKind.GUEST_LOG`); the guest's kernel log is data, never printed.

Every exit is also counted where it lands under KVM (:class:`ExitSite`,
:attr:`Trace.site_counts`): in VMM userspace (``KVM_EXIT_MMIO`` for a device
the VMM emulates, such as the CPU hotplug block and the GED; ``KVM_EXIT_HYPERCALL``
for the PSCI calls the VMM asks KVM to forward with the SMCCC filter, which
QEMU RFC V5 sets for ``CPU_ON`` and ``CPU_OFF``, ``target/arm/kvm.c``
``kvm_arm_set_smccc_filter``) or in the kernel (the GIC distributor and
redistributors are KVM's VGIC, ``arch/arm64/kvm/vgic/vgic-mmio-v3.c``; the
other PSCI calls are KVM's ``kvm_psci_call``), where an exit costs far less.
"""

from __future__ import annotations

import enum
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from vcpu_hotplug.arm.psci import PsciFunction
from vcpu_hotplug.hw.observers import HostFaults


class TraceKind(enum.Enum):
    """What crossed the boundary."""

    MMIO_READ = "mmio-read"
    MMIO_WRITE = "mmio-write"
    HVC = "hvc"
    IRQ = "irq"
    VCPU_START = "vcpu-start"
    NOTIFY = "notify"
    OST = "ost"
    VMM_LOG = "vmm"
    GUEST_LOG = "guest"

    # Members are singletons compared by identity, so the identity hash is
    # right; Enum's own __hash__ is Python code, and the trace counts every
    # MMIO access by kind.
    __hash__ = object.__hash__


MMIO_KINDS = frozenset({TraceKind.MMIO_READ, TraceKind.MMIO_WRITE})
"""The kinds that are VM exits for an MMIO access."""


class ExitSite(enum.Enum):
    """Where a VM exit is handled under KVM."""

    VMM = "vmm"
    """VMM userspace: the vCPU thread returns from ``KVM_RUN`` (microseconds)."""
    KERNEL = "kernel"
    """KVM itself, without leaving the kernel (the VGIC, KVM's own PSCI)."""

    __hash__ = object.__hash__


IN_KERNEL_DEVICE_PREFIXES = ("gicd", "gicr")
"""Bus names of the devices KVM's VGIC emulates in the kernel (distributor ``gicd``, redistributors
``gicr<N>``); every other MMIO device is the VMM's."""

SMCCC_FILTER_FORWARDED = frozenset({int(PsciFunction.CPU_ON), int(PsciFunction.CPU_OFF)})
"""The PSCI functions the VMM takes from KVM through the SMCCC filter (``KVM_SMCCC_FILTER_FWD_TO_USER``;
QEMU RFC V5 ``kvm_arch_init``: ``PSCI_0_2_FN64_CPU_ON`` and ``PSCI_0_2_FN_CPU_OFF``)."""


def mmio_exit_site(device: str) -> ExitSite:
    """Where an MMIO access to the bus device named ``device`` is handled."""
    return ExitSite.KERNEL if device.startswith(IN_KERNEL_DEVICE_PREFIXES) else ExitSite.VMM


def hvc_exit_site(function: int | None) -> ExitSite:
    """Where an HVC with function id ``function`` is handled."""
    return ExitSite.VMM if function in SMCCC_FILTER_FORWARDED else ExitSite.KERNEL


@dataclass(slots=True)
class TraceEvent:
    """One crossing. Fields that do not apply to ``kind`` are None.

    Treat an event as immutable once recorded. It is not a frozen dataclass
    only because a frozen one costs about seven times as much to create,
    and every MMIO access creates one.

    - MMIO_READ / MMIO_WRITE: ``device``, ``offset``, ``size``, ``value``, ``address``
    - HVC: ``vcpu`` (caller), ``function``, ``args`` (x1..x3), ``result`` (x0..x3)
    - IRQ: ``gsi`` (INTID), ``device`` (who raised it, when known)
    - VCPU_START: ``vcpu``, ``address`` (entry point), ``value`` (context id)
    - NOTIFY: ``path`` (ACPI namespace path), ``value`` (notify value)
    - OST: ``path`` (or slot), ``source``, ``status``
    - VMM_LOG / GUEST_LOG: ``message`` (and optionally ``vcpu``)
    """

    time_ns: int
    kind: TraceKind
    device: str | None = None
    offset: int | None = None
    size: int | None = None
    value: int | None = None
    address: int | None = None
    vcpu: int | None = None
    function: int | None = None
    args: tuple[int, ...] | None = None
    result: tuple[int, ...] | None = None
    gsi: int | None = None
    path: str | None = None
    source: int | None = None
    status: int | None = None
    message: str | None = None

    def describe(self) -> str:
        """One human-readable line (the CLI may format differently)."""
        t = f"{self.time_ns / 1000:12.3f}us {self.kind.value:<10}"
        k = self.kind
        if k in MMIO_KINDS:
            arrow = "->" if k is TraceKind.MMIO_READ else "<-"
            return f"{t} {self.device}+{self.offset:#x}/{self.size} {arrow} {self.value:#x}"
        if k is TraceKind.HVC:
            args = ", ".join(f"{a:#x}" for a in (self.args or ()))
            x0 = self.result[0] if self.result else 0
            low = x0 & 0xFFFF_FFFF
            ret = low - (1 << 32) if low & 0x8000_0000 else low   # as Linux reads w0
            shown = f"{ret}" if ret < 0 else f"{x0:#x}"
            return f"{t} vcpu{self.vcpu} fn={self.function:#x}({args}) = {shown}"
        if k is TraceKind.IRQ:
            return f"{t} INTID {self.gsi}" + (f" from {self.device}" if self.device else "")
        if k is TraceKind.VCPU_START:
            return f"{t} vcpu{self.vcpu} entry={self.address:#x} context={self.value:#x}"
        if k is TraceKind.NOTIFY:
            return f"{t} Notify({self.path}, {self.value:#x})"
        if k is TraceKind.OST:
            return f"{t} _OST({self.path}, source={self.source:#x}, status={self.status:#x})"
        who = f"vcpu{self.vcpu}: " if self.vcpu is not None else ""
        return f"{t} {who}{self.message}"


DEFAULT_CAPACITY = 100_000
"""Events kept by default; older ones drop off (counters keep counting)."""


class Trace:
    """A bounded, clearable buffer of :class:`TraceEvent` with per-kind counters.

    ``now`` is a zero-argument callable giving the simulated time (the
    machine passes its clock's ``now_ns``). Set :attr:`enabled` to False to
    keep only the counters (benchmarks), ``capacity=None`` for no bound.
    """

    def __init__(self, now: Callable[[], int], capacity: int | None = DEFAULT_CAPACITY,
                 faults: HostFaults | None = None) -> None:
        self._now = now
        self._faults = faults if faults is not None else HostFaults()
        self._events: deque[TraceEvent] = deque(maxlen=capacity)
        self.counts: Counter[TraceKind] = Counter()
        self.site_counts: Counter[ExitSite] = Counter()
        """VM exits (MMIO and HVC) by where they land; kept like :attr:`counts`."""
        self._mmio_sites: dict[str, ExitSite] = {}
        self.enabled = True
        self.dropped = 0
        """Events that fell off the bounded buffer (or were cleared)."""
        self._listeners: list[Callable[[TraceEvent], None]] = []

    def record(self, kind: TraceKind, **fields: object) -> TraceEvent | None:
        """Count one crossing and, when enabled, store it stamped with the current time."""
        self.counts[kind] += 1
        if kind is TraceKind.HVC:
            self.site_counts[hvc_exit_site(fields.get("function"))] += 1  # type: ignore[arg-type]
        elif kind in MMIO_KINDS:
            self.site_counts[mmio_exit_site(str(fields.get("device")))] += 1
        if not self.enabled:
            return None
        event = TraceEvent(self._now(), kind, **fields)  # type: ignore[arg-type]
        if self._events.maxlen is not None and len(self._events) == self._events.maxlen:
            self.dropped += 1
        self._events.append(event)
        if self._listeners:
            self._faults.dispatch(self._listeners, event)
        return event

    def mmio(self, kind: TraceKind, device: str, offset: int, size: int, value: int, address: int) -> None:
        """Record one MMIO access (the bus's hot path: no keyword unpacking)."""
        self.counts[kind] += 1
        site = self._mmio_sites.get(device)
        if site is None:
            site = self._mmio_sites[device] = mmio_exit_site(device)
        self.site_counts[site] += 1
        if not self.enabled:
            return
        event = TraceEvent(self._now(), kind, device, offset, size, value, address)
        events = self._events
        if events.maxlen is not None and len(events) == events.maxlen:
            self.dropped += 1
        events.append(event)
        if self._listeners:
            self._faults.dispatch(self._listeners, event)

    def log(self, kind: TraceKind, message: str, vcpu: int | None = None) -> TraceEvent | None:
        """A free-form line (``kind`` is VMM_LOG or GUEST_LOG)."""
        return self.record(kind, message=message, vcpu=vcpu)

    def subscribe(self, listener: Callable[[TraceEvent], None]) -> None:
        """Call ``listener`` with every event as it is stored (a live view)."""
        self._listeners.append(listener)

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)

    @property
    def events(self) -> list[TraceEvent]:
        """The stored events, oldest first."""
        return list(self._events)

    def clear(self) -> None:
        """Forget the stored events and reset the counters."""
        self.dropped += len(self._events)
        self._events.clear()
        self.counts.clear()
        self.site_counts.clear()

    def filter(self, kind: TraceKind | None = None, *, since_ns: int | None = None,
               **match: object) -> list[TraceEvent]:
        """Stored events of ``kind`` (any when None), at or after ``since_ns``,
        whose named fields equal the given values (``device="cpuhp"``)."""
        out = []
        for e in self._events:
            if kind is not None and e.kind is not kind:
                continue
            if since_ns is not None and e.time_ns < since_ns:
                continue
            if any(getattr(e, name) != want for name, want in match.items()):
                continue
            out.append(e)
        return out

    def count(self, kind: TraceKind | None = None, **match: object) -> int:
        """How many stored events match (see :meth:`filter`)."""
        return len(self.filter(kind, **match))

    def mmio_exits(self) -> int:
        """MMIO VM exits counted since the last :meth:`clear` (survives the bound)."""
        return self.counts[TraceKind.MMIO_READ] + self.counts[TraceKind.MMIO_WRITE]

    def exits_at(self, site: ExitSite) -> int:
        """VM exits (MMIO and HVC) handled at ``site`` since the last :meth:`clear` (survives the bound)."""
        return self.site_counts[site]
