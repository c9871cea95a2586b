"""Whatever the guest writes to the register block, admin state changes only by the rules.

Random guest accesses (offsets 0..11, sizes 1/2/4, any values), interleaved
with admin operations, PSCI CPU_ON/CPU_OFF and clock advances. After every
step the change in admin state is checked against the rules:

- DISABLED -> ENABLED only by an admin ``enable`` of that vCPU;
- ENABLED -> DISABLED only for a vCPU whose unplug was pending, by the guest's
  eject write (flags byte, bit 3 and not bits 1/2, selector on it) or by its
  own CPU_OFF after such a write;
- the boot vCPU is never disabled; a timeout never changes admin state.
"""

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from vcpu_hotplug.arm.psci import PsciFunction
from vcpu_hotplug.vmm.cpuhp import CpuhpFlag, CpuhpReg
from vcpu_hotplug.vmm.errors import AdminError
from vcpu_hotplug.vmm.machine import VIRT_MEMMAP, Machine, MachineConfig

MAXCPUS = 4
BASE = VIRT_MEMMAP.cpuhp[0]

access = st.sampled_from([1, 2, 4]).flatmap(
    lambda size: st.tuples(st.just(size), st.integers(0, 12 - size)))
cpu = st.integers(0, MAXCPUS)           # includes one past the last

op = st.one_of(
    st.tuples(st.just("write"), access, st.integers(0, 2**32 - 1)),
    st.tuples(st.just("write"), st.just((1, CpuhpReg.FLAGS)), st.integers(0, 255)),
    st.tuples(st.just("write"), st.just((4, CpuhpReg.SELECTOR)), cpu),
    st.tuples(st.just("ej0"), cpu, st.sampled_from([CpuhpFlag.EJECT, CpuhpFlag.FW_EJECT, 0xFF])),
    st.tuples(st.just("ej0"), st.integers(1, 2), st.just(CpuhpFlag.EJECT)),
    st.tuples(st.just("disable"), st.integers(1, 2), st.just(0)),
    st.tuples(st.just("read"), access, st.just(0)),
    st.tuples(st.just("enable"), cpu, st.just(0)),
    st.tuples(st.just("disable"), cpu, st.just(0)),
    st.tuples(st.just("cpu_on"), cpu, st.just(0)),
    st.tuples(st.just("cpu_off"), cpu, st.just(0)),
    st.tuples(st.just("advance"), st.integers(0, 3_000), st.just(0)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=5, max_size=60), st.integers(1, MAXCPUS))
@example([("disable", 1, 0), ("ej0", 1, CpuhpFlag.EJECT), ("enable", 1, 0)], 2)
@example([("cpu_on", 1, 0), ("advance", 600, 0), ("disable", 1, 0), ("ej0", 1, CpuhpFlag.EJECT),
          ("cpu_off", 1, 0)], 2)
@example([("disable", 1, 0), ("advance", 2_000, 0), ("ej0", 1, CpuhpFlag.EJECT)], 3)
def test_admin_state_changes_only_through_the_rules(ops, cpus):
    m = Machine(MachineConfig(smp=f"cpus={cpus},maxcpus={MAXCPUS}", unplug_timeout_ns=2_000,
                              cpu_on_delay_ns=500))
    ejected = set()                       # vCPUs whose eject was written while pending
    for kind, a, b in ops:
        before = m.vcpus.enabled()
        pending = set(m.pending_unplugs())
        selector = m.cpuhp.selector
        allowed_off: set[int] = set()
        allowed_on: set[int] = set()
        if kind == "write":
            size, offset = a
            value = b & ((1 << (8 * size)) - 1)
            if (offset == CpuhpReg.FLAGS and value & CpuhpFlag.EJECT
                    and not value & (CpuhpFlag.INSERT | CpuhpFlag.REMOVE) and selector in pending):
                ejected.add(selector)
                allowed_off = {selector}
            m.bus.write(BASE + offset, size, value)
        elif kind == "ej0":            # what _EJ0 writes: selector, then the flags byte
            m.bus.write(BASE + CpuhpReg.SELECTOR, 4, a)
            if b == CpuhpFlag.EJECT and a in pending:
                ejected.add(a)
                allowed_off = {a}
            m.bus.write(BASE + CpuhpReg.FLAGS, 1, b)
        elif kind == "read":
            size, offset = a
            m.bus.read(BASE + offset, size)
        elif kind in ("enable", "disable"):
            try:
                getattr(m, kind)(a)
            except AdminError:
                pass
            else:
                if kind == "enable":
                    allowed_on = {a}
        elif kind == "cpu_on":
            if a < MAXCPUS:
                m.hw.hvc.hvc(0, PsciFunction.CPU_ON, m.vcpus[a].mpidr, 0x4008_0000, 0)
        elif kind == "cpu_off":
            if a in pending and a in ejected:
                allowed_off = {a}
            m.hw.hvc.hvc(a, PsciFunction.CPU_OFF)
        elif kind == "advance":
            m.clock.advance_ns(a)
        after = m.vcpus.enabled()
        turned_on = set(after) - set(before)
        turned_off = set(before) - set(after)
        if turned_off:
            event("a vCPU was ejected")
        if turned_on:
            event("a vCPU was enabled")
        assert turned_on <= allowed_on, (kind, a, b, turned_on)
        assert turned_off <= allowed_off & pending, (kind, a, b, turned_off)
        assert 0 in after
        ejected &= set(m.pending_unplugs())
        # the register block reads what the admin state is, for every vCPU
        for i in range(MAXCPUS):
            assert bool(m.cpuhp.flags(i) & CpuhpFlag.ENABLED) == m.vcpus[i].enabled
            assert m.cpuhp.flags(i) & CpuhpFlag.PRESENT
