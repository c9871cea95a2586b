"""Two AML users on one register block, interleaved at random: QEMU's commands and the fast path.

User Q runs QEMU RFC V5's own AML (``vmm/dsdt_qemu.py``, QEMU's bytes): its ``CSCN`` walks the block
with command 0, its ``_STA``/``_OST`` go through the selector and the command field. User F runs our
``reference`` AML on the fast path. Both are real AML in their own interpreter, on the same machine
bus. Hypothesis draws a sequence of top-level steps (VMM events, either user's scan, ``_STA``,
``_OST``) and, for every register access any AML makes, whether something else happens right then:
the VMM raises an event, or F runs one of its lock-free methods (``_STA``, ``_OST``, ``_EJ0``) in the
middle of Q's sequence. What is never interleaved is what the lock forbids: Q's methods all hold
``CPLK`` and F's scan holds it too (docs/cpu-hotplug-registers.md, "Sharing the block").

The GED is modelled as its interrupt: raised with every event, taken by the scan that starts next; at
the end the scans run while an interrupt is pending. Then every event the VMM raised has been notified
exactly once, by one user or the other, nothing is left pending, every ``_STA`` read the selected
CPU's status and every ``_OST`` reached the VMM with its own values.

QEMU's ``CSCN`` handles one event per CPU per pass (an insert before a remove of the same CPU, the remove
then waits for the next interrupt), so the VMM here raises an event only on a CPU with none pending;
the fast path's handling of both on one CPU has its own test below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vcpu_hotplug.acpi.aml import load_tables
from vcpu_hotplug.acpi.device_status import ProcessorStatus
from vcpu_hotplug.acpi.notify import NotifyValue, OstEvent, OstStatus
from vcpu_hotplug.profiles import QEMU_RFC_V5, REFERENCE
from vcpu_hotplug.vmm.cpuhp import CpuhpFlag, FastEvent, FastReg
from vcpu_hotplug.vmm.firmware_tables import build_firmware
from vcpu_hotplug.vmm.machine import VIRT_MEMMAP, Machine

MAXCPUS = 6
BOOTED = 3
"""vCPUs 0-2 enabled: _STA 0x0F for them, 0x0D for 3-5."""
CPUS = range(1, MAXCPUS)
BASE = VIRT_MEMMAP.cpuhp[0]
KINDS = {NotifyValue.DEVICE_CHECK: "insert", NotifyValue.EJECT_REQUEST: "remove"}
OST_CHOICES = [(OstEvent.DEVICE_CHECK, OstStatus.SUCCESS), (OstEvent.EJECT_REQUEST, OstStatus.EJECT_IN_PROGRESS),
               (OstEvent.OSPM_EJECT, OstStatus.DEVICE_BUSY)]


def expected_sta(index: int) -> int:
    return ProcessorStatus.ENABLED if index < BOOTED else ProcessorStatus.DISABLED


class Handler:
    """One interpreter's regions on the machine bus, calling ``hook`` before every access."""

    def __init__(self, rig: Rig, user: str) -> None:
        self.rig, self.user = rig, user

    def read(self, space, address, size):
        self.rig.before_access(self.user)
        return self.rig.machine.bus.read(address, size)

    def write(self, space, address, size, value):
        self.rig.before_access(self.user)
        self.rig.machine.bus.write(address, size, value)


@dataclass
class Rig:
    injections: list
    machine: Machine = field(init=False)
    raised: dict = field(default_factory=dict)
    delivered: dict = field(default_factory=dict)
    osts: list = field(default_factory=list)
    expected_osts: list = field(default_factory=list)
    irq_pending: bool = False
    injecting: bool = False

    def __post_init__(self) -> None:
        self.machine = Machine(REFERENCE.machine_config(smp=f"cpus={BOOTED},maxcpus={MAXCPUS}"))
        self.machine.trace.enabled = False
        self.block = self.machine.cpuhp
        self.block.on_ost.append(lambda i, e, s: self.osts.append((i, e, s)))
        ours = build_firmware(self.machine).tables["DSDT"]
        qemus = build_firmware(self.machine, QEMU_RFC_V5.firmware).tables["DSDT"]
        self.f = load_tables([ours], handler=Handler(self, "f"), notify=self._notified)
        self.q = load_tables([qemus], handler=Handler(self, "q"), notify=self._notified)
        assert not self.f.load_errors and not self.q.load_errors

    # --- the VMM
    def raise_event(self, kind: str, index: int) -> None:
        slot = self.block.slots[index]
        if slot.inserting or slot.removing:
            return                              # one event per CPU at a time (see the module docstring)
        if kind == "insert":
            self.block.request_insert(index)
        else:
            self.block.request_remove(index)
        self.raised[(index, kind)] = self.raised.get((index, kind), 0) + 1
        self.irq_pending = True

    # --- the OS
    def _notified(self, path: str, value: int) -> None:
        key = (int(path[-3:], 16), KINDS[value])
        self.delivered[key] = self.delivered.get(key, 0) + 1

    def scan(self, user: str) -> None:
        self.irq_pending = False                # the GED's event read at the start of _EVT
        if user == "q":
            self.q.evaluate("\\_SB.CPUS.CSCN")
        else:
            self.f.evaluate("\\_SB.PRES.CSCN")

    def sta(self, user: str, index: int) -> None:
        interp, prefix = (self.q, "\\_SB.CPUS") if user == "q" else (self.f, "\\_SB")
        assert interp.evaluate(f"{prefix}.C{index:03X}._STA") == expected_sta(index), (user, index)

    def ost(self, user: str, index: int, choice: int) -> None:
        interp, prefix = (self.q, "\\_SB.CPUS") if user == "q" else (self.f, "\\_SB")
        event, status = OST_CHOICES[choice]
        self.expected_osts.append((index, int(event), int(status)))
        interp.evaluate(f"{prefix}.C{index:03X}._OST", event, status, b"")

    def ej0_unrequested(self, index: int) -> None:
        self.f.evaluate(f"\\_SB.C{index:03X}._EJ0", 1)   # ignored: no unplug was requested

    def before_access(self, user: str) -> None:
        if self.injecting or not self.injections:
            return
        action = self.injections.pop(0)
        if action is None:
            return
        self.injecting = True
        try:
            what, index, extra = action
            if what in ("insert", "remove"):
                self.raise_event(what, index)
            elif what == "sta":
                self.sta("f", index)             # F's lock-free methods may run inside either user's method
            elif what == "ost":
                self.ost("f", index, extra)
            elif what == "ej0":
                self.ej0_unrequested(index)
        finally:
            self.injecting = False


cpu = st.sampled_from(list(CPUS))
any_cpu = st.integers(0, MAXCPUS - 1)
ost_choice = st.integers(0, len(OST_CHOICES) - 1)
injection = st.one_of(
    st.none(), st.none(),
    st.tuples(st.sampled_from(["insert", "remove"]), cpu, st.just(0)),
    st.tuples(st.just("sta"), any_cpu, st.just(0)),
    st.tuples(st.just("ost"), any_cpu, ost_choice),
    st.tuples(st.just("ej0"), cpu, st.just(0)),
)
step = st.one_of(
    st.tuples(st.sampled_from(["insert", "remove"]), cpu, st.just(0)),
    st.tuples(st.just("scan"), st.sampled_from(["q", "f"]), st.just(0)),
    st.tuples(st.sampled_from(["sta", "ost"]), st.tuples(st.sampled_from(["q", "f"]), any_cpu), ost_choice),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# F's _OST of the same CPU between Q's two command-data writes (event, then status)
@example(steps=[("ost", ("q", 2), 0)], injections=[None, None, None, ("ost", 2, 1)], drainers=["q"])
# F's _STA between Q's selector write and its flags reads
@example(steps=[("sta", ("q", 4), 0)], injections=[None, ("sta", 1, 0)], drainers=["q"])
# an event raised in the middle of F's scan, after its read that said nothing more
@example(steps=[("insert", 2, 0), ("scan", "f", 0)], injections=[None, ("insert", 5, 0)], drainers=["f"])
@given(steps=st.lists(step, max_size=30), injections=st.lists(injection, max_size=80),
       drainers=st.lists(st.sampled_from(["q", "f"]), min_size=1, max_size=4))
def test_interleaved_users_deliver_every_event_exactly_once(steps, injections, drainers) -> None:
    rig = Rig(list(injections))
    for what, arg, extra in steps:
        if what in ("insert", "remove"):
            rig.raise_event(what, arg)
        elif what == "scan":
            rig.scan(arg)
        elif what == "sta":
            rig.sta(*arg)
        else:
            rig.ost(*arg, extra)
    turn = 0
    while rig.irq_pending:                      # the GED interrupts still pending, each taken by a scan
        rig.scan(drainers[turn % len(drainers)])
        turn += 1
        assert turn < 50, "the scans never settle"
    assert rig.block.pending_events() == [], "an event is left pending with no interrupt to report it"
    assert rig.delivered == rig.raised        # each raised event notified once: none lost, none twice
    # every _OST reported once with its own event and status (an injected one reports inside the other)
    assert sorted(rig.osts) == sorted(rig.expected_osts)
    assert rig.block.selector < MAXCPUS


def test_the_fast_path_hands_over_both_events_of_one_cpu_insert_first() -> None:
    rig = Rig([])
    rig.block.request_insert(4)
    rig.block.request_remove(4)
    rig.block.request_insert(2)
    bus = rig.machine.bus
    reads = []
    while True:
        value = bus.read(BASE + FastReg.EVENT, 4)
        reads.append(value)
        if not value & FastEvent.MORE:
            break
    more, ins, rem = int(FastEvent.MORE), int(FastEvent.INSERT), int(FastEvent.REMOVE)
    assert reads == [2 | ins | more, 4 | ins | more, 4 | rem]
    assert bus.read(BASE + FastReg.EVENT, 4) == 0 and rig.block.pending_events() == []


def test_without_the_shared_lock_a_fast_scan_can_take_an_event_qemus_scan_has_already_seen() -> None:
    """Why F's scan holds CPLK: QEMU's protocol reads the flags (and will notify) before it clears them."""
    rig = Rig([])
    bus = rig.machine.bus
    rig.block.request_insert(3)
    bus.write(BASE + 0x0, 4, 0)                 # Q: CSEL = 0; CCMD = 0 (next CPU with event)
    bus.write(BASE + 0x5, 1, 0)
    assert bus.read(BASE + 0x4, 1) & CpuhpFlag.INSERT and bus.read(BASE + 0x8, 4) == 3   # Q will notify C003
    assert bus.read(BASE + FastReg.EVENT, 4) == 3 | FastEvent.INSERT  # an unlocked fast read takes it too
