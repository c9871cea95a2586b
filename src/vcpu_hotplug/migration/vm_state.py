"""What a saved VM holds, and putting it back: the whole :class:`~vcpu_hotplug.system.System`.

The saved state is everything the simulation is (QEMU's ``vmstate`` of every
device plus RAM, and here the guest too, since the guest model is not in
guest RAM):

- the VMM (:class:`~vcpu_hotplug.vmm.machine.Machine`): each vCPU's admin
  and PSCI power state, the CPU hotplug register block with its pending
  insert/remove events and selector, pending unplug requests and their
  timeouts, the GED's event register, the GICv3, the power-off flag;
- the hardware boundary: guest memory (the firmware tables), the simulated
  clock *with its queue* (an IRQ thread about to run, a CPU_ON in flight, an
  unplug's timeout), the trace and its counters (so VM exits keep counting);
- the guest kernel: its masks, logical CPUs, drivers, AML namespace, kernel
  log, and the work it had queued.

Host attachments are not state and are stripped explicitly
(:func:`_host_tokens`): the machine's observers (the QMP backend's event
callbacks), the trace's listeners (the live view), the clock's schedule listeners
(a wall-clock pacer) and the faults kept for the host. In the stream each is a *token*; on restore the token resolves to the
destination's own object, so a restored machine reports to the destination's
QMP server and live view without anyone re-subscribing. The
:class:`~vcpu_hotplug.system.System` object and its
:class:`~vcpu_hotplug.hw.clock.SimClock` are tokens too, with their attributes
saved beside the graph: a restore fills the destination's ``System`` and clock
in place, so whoever holds them (the VM's guest view, its settle and start
callables, a wall-clock pacer) sees the restored state.

:class:`VmStateIO` does this for a :class:`~vcpu_hotplug.vm.VirtualMachine`
and adds what management needs to check and show before anything is
applied (``-smp``, CPU model, run state) to the stream's ``vm`` section;
:func:`enable_migration` gives a VM's QMP backend the ability to save and
restore (``migrate``, ``-incoming``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

from vcpu_hotplug.hw.clock import SimClock
from vcpu_hotplug.hw.observers import HostFaults
from vcpu_hotplug.system import System
from vcpu_hotplug.vm import VirtualMachine
from vcpu_hotplug.vmm.machine import Observers

from . import state_codec, stream
from .errors import PayloadError, StateMismatch

#: Tokens of the host attachments (see the module docstring).
SYSTEM_TOKEN = "system"
OBSERVERS_TOKEN = "machine-observers"
TRACE_LISTENERS_TOKEN = "trace-listeners"
HOST_FAULTS_TOKEN = "host-faults"
CLOCK_TOKEN = "clock"
CLOCK_LISTENERS_TOKEN = "clock-schedule-listeners"


def _host_tokens(system: System) -> dict[int, str]:
    """id() of each host-held object reachable from ``system`` -> its token."""
    trace = system.trace
    tokens = {
        id(system): SYSTEM_TOKEN,
        id(system.clock): CLOCK_TOKEN,
        id(system.machine.observers): OBSERVERS_TOKEN,
        id(trace._listeners): TRACE_LISTENERS_TOKEN,  # the live view's callbacks, not state
        id(system.hw.faults): HOST_FAULTS_TOKEN,
    }
    listeners = getattr(system.clock, "schedule_listeners", None)
    if listeners is not None:  # whoever paces the clock against the wall clock
        tokens[id(listeners)] = CLOCK_LISTENERS_TOKEN
    return tokens


def save_system(system: System) -> bytes:
    """The payload for ``system``: its state without host attachments (see the module).

    The System and its clock are kept *in place* on restore (whoever holds
    them, the VM's callables or a wall-clock pacer, keeps working): they are
    tokens in the graph, and their attributes are saved beside it."""
    tokens = _host_tokens(system)
    state = {SYSTEM_TOKEN: dict(vars(system)), CLOCK_TOKEN: dict(vars(system.clock))}
    return state_codec.dumps(state, tokens)


def load_system(payload: bytes, into: Optional[System] = None) -> System:
    """Decode ``payload`` and fill ``into`` (the destination's System) with it, or a new System.

    The destination's System and clock are filled in place; its host
    attachments (observers, trace and clock listeners, host faults) are kept:
    the restored machine, trace and clock use them. Raises
    :class:`PayloadError` when the payload does not decode.
    """
    if into is not None:
        hosts: dict[str, Any] = {
            SYSTEM_TOKEN: into,
            CLOCK_TOKEN: into.clock,
            OBSERVERS_TOKEN: into.machine.observers,
            TRACE_LISTENERS_TOKEN: into.trace._listeners,
            HOST_FAULTS_TOKEN: into.hw.faults,
            CLOCK_LISTENERS_TOKEN: getattr(into.clock, "schedule_listeners", []),
        }
    else:
        hosts = {SYSTEM_TOKEN: System.__new__(System), CLOCK_TOKEN: SimClock(), OBSERVERS_TOKEN: Observers(),
                 TRACE_LISTENERS_TOKEN: [], HOST_FAULTS_TOKEN: HostFaults(), CLOCK_LISTENERS_TOKEN: []}

    def resolve(token: Any) -> Any:
        if not isinstance(token, str) or token not in hosts:
            raise PayloadError(f"the stream refers to an unknown host object {token!r}")
        return hosts[token]

    state = state_codec.loads(payload, persistent=resolve)
    if not isinstance(state, dict) or set(state) != {SYSTEM_TOKEN, CLOCK_TOKEN} or \
            not all(isinstance(v, dict) for v in state.values()) or \
            not {"machine", "kernel"} <= state[SYSTEM_TOKEN].keys():
        raise PayloadError("the payload is not a saved System")
    for token in (SYSTEM_TOKEN, CLOCK_TOKEN):
        target = hosts[token]
        vars(target).clear()
        vars(target).update(state[token])
    system = hosts[SYSTEM_TOKEN]
    if into is None:
        # A new System: it boots a new kernel after a reset, as System.__init__ arranges.
        system.machine.observers.reset.append(system._machine_reset)
    return system


def machine_summary(vm: VirtualMachine) -> dict[str, Any]:
    """The configuration a destination must share with the saved VM."""
    return {"smp": vm.machine.smp.to_option(), "cpu-type": vm.spec.cpu_type,
            "ram-size": vm.machine.config.ram_size}


class VmStateIO:
    """Saves and restores one :class:`VirtualMachine` (its System in place) as a stream."""

    def __init__(self, vm: VirtualMachine) -> None:
        if vm.system is None:
            raise StateMismatch("this VM has no guest wired to it: nothing to save or restore")
        self.vm = vm

    def save(self, management: dict[str, Any]) -> bytes:
        """The stream: the System's payload, and ``management`` with the machine's configuration."""
        assert self.vm.system is not None
        vm_section = {"machine": machine_summary(self.vm), **management}
        return stream.encode(vm_section, save_system(self.vm.system))

    def check(self, data: bytes, source: str) -> stream.Stream:
        """Check a stream and that it fits this VM, applying nothing (errors name ``source``)."""
        decoded = stream.decode(data, source)
        saved = decoded.vm.get("machine")
        mine = machine_summary(self.vm)
        if not isinstance(saved, dict):
            raise StateMismatch(f"{source}: the stream does not describe its machine")
        for key, value in mine.items():
            if saved.get(key) != value:
                option = {"smp": "-smp", "cpu-type": "-cpu", "ram-size": "-m"}[key]
                raise StateMismatch(f"{source}: the saved VM has {option} {saved.get(key)}, this one "
                                    f"{option} {value}: start the destination with the saved VM's "
                                    "configuration")
        return decoded

    def load(self, data: bytes, source: str) -> dict[str, Any]:
        """Check the stream, then restore it into this VM; returns the stream's ``vm`` section."""
        decoded = self.check(data, source)
        system = self.vm.system
        assert system is not None
        try:
            load_system(decoded.payload, into=system)
        except PayloadError as exc:
            raise PayloadError(f"{source}: {exc}") from None
        self.vm.machine = system.machine
        self.vm.backend.machine = system.machine
        self.vm.spec = replace(self.vm.spec, guest=system.kernel.config)
        return decoded.vm


def enable_migration(vm: VirtualMachine) -> VmStateIO:
    """Let ``vm``'s QMP backend save and restore it (``migrate``, ``migrate-incoming``)."""
    state_io = VmStateIO(vm)
    vm.backend.vm_state = state_io
    return state_io


__all__ = ["VmStateIO", "enable_migration", "load_system", "machine_summary", "save_system"]
