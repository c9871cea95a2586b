"""PSCI 1.1 firmware on the HVC conduit (Arm DEN0022D.b), with hotplug policy.

The VMM plays firmware: KVM's own PSCI never refuses ``CPU_ON``, so a VMM
that wants hotplug routes PSCI to itself (the SMCCC filter) and answers
``DENIED`` for a vCPU that policy keeps disabled. Linux reads that as
``-EPERM`` and leaves the CPU offline without a word
(``drivers/firmware/psci/psci.c``, ``arch/arm64/kernel/psci.c``).

Functions and their answers here:

- ``PSCI_VERSION``: 1.1 (``0x10001``).
- ``PSCI_FEATURES(fid)``: 0 for every function below (for ``CPU_SUSPEND``
  the feature flags: original power_state format, no OS-initiated mode),
  ``NOT_SUPPORTED`` otherwise.
- ``CPU_ON(target, entry, context)``: ``INVALID_PARAMETERS`` when no vCPU has
  that affinity (``target & 0xff00ffffff``), ``DENIED`` when the vCPU is
  admin-disabled, ``ALREADY_ON``/``ON_PENDING`` by power state,
  ``INVALID_ADDRESS`` when the entry point is outside guest RAM (when the
  machine says where RAM is); else ``SUCCESS``: the vCPU is ON_PENDING and
  starts running at ``entry`` with x0 = ``context`` after
  ``cpu_on_delay_ns`` of simulated time (so a second ``CPU_ON`` or an
  ``AFFINITY_INFO`` in that window sees ON_PENDING).
- ``CPU_OFF``: the calling vCPU powers down. On hardware it never returns;
  here the hypercall returns ``SUCCESS`` to the simulation, and the guest
  must treat the vCPU as stopped. ``DENIED`` if the caller is not ON. If
  policy is ejecting that vCPU, the machine is told (the eject completes once
  the guest has both powered it off and written the eject bit).
- ``AFFINITY_INFO(target, level)``: ON 0 / OFF 1 / ON_PENDING 2 for the vCPUs
  whose affinity matches ``target`` above ``level`` (levels 0..3, as KVM);
  ``INVALID_PARAMETERS`` when none matches or the level is above 3. A
  disabled vCPU is OFF.
- ``CPU_SUSPEND(power_state, entry, context)``: a simple standby only:
  power_state 0 (StateType standby, StateID 0, original format) returns
  ``SUCCESS`` at once, as if a wakeup event arrived; any other state is
  ``INVALID_PARAMETERS`` (powerdown states are not offered).
- ``MIGRATE_INFO_TYPE``: 2, no migration needed (no Trusted OS).
- ``SYSTEM_OFF`` / ``SYSTEM_RESET``: recorded and reported to the machine
  (:attr:`PsciFirmware.on_system_event`); the hypercall returns ``SUCCESS``
  to the simulation. On hardware neither returns and, after ``SYSTEM_OFF``,
  nothing runs until the machine is reset; so from ``SYSTEM_OFF`` until
  :meth:`PsciFirmware.reset` ``CPU_ON``, ``SYSTEM_OFF`` and ``SYSTEM_RESET``
  answer ``DENIED`` (a call the simulation still makes, from a kernel that is
  gone, starts nothing and reports nothing).

Every call is traced by the conduit (HVC with function, args and result).
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from vcpu_hotplug.arm.mpidr import affinity_mask
from vcpu_hotplug.arm.psci import (MAX_AFFINITY_LEVEL, POWER_STATE_TYPE_SHIFT, PSCI_VERSION_1_1, AffinityInfo,
                                   MigrateInfoType, PowerStateType, PsciFunction, PsciReturn)
from vcpu_hotplug.arm.smccc import SMC32_MASK
from vcpu_hotplug.hw.clock import NS_PER_US, SimClock
from vcpu_hotplug.hw.hvc import HvcResult, HypercallConduit, to_register
from vcpu_hotplug.hw.trace import Trace, TraceKind
from vcpu_hotplug.hw.vcpu_port import VcpuPort
from vcpu_hotplug.vmm.vcpu import PowerState, Vcpu, VcpuSet


class SystemEvent(enum.Enum):
    """What SYSTEM_OFF / SYSTEM_RESET asked for."""

    OFF = "off"
    RESET = "reset"


CPU_SUSPEND_STANDBY = PowerStateType.STANDBY << POWER_STATE_TYPE_SHIFT
"""The only power_state offered: standby, StateID 0 (original format)."""

CPU_SUSPEND_FEATURES = 0
"""PSCI_FEATURES(CPU_SUSPEND): bit 1 = 0 original format, bit 0 = 0 no OS-initiated mode."""

DEFAULT_CPU_ON_DELAY_NS = 10 * NS_PER_US
"""Simulated time between a successful CPU_ON and the vCPU running its entry point."""


_AFFINITY_OF_POWER = {PowerState.ON: AffinityInfo.ON, PowerState.OFF: AffinityInfo.OFF,
                      PowerState.ON_PENDING: AffinityInfo.ON_PENDING}


class PsciFirmware:
    """The firmware handler registered on the HVC conduit."""

    def __init__(self, vcpus: VcpuSet, clock: SimClock, port: VcpuPort, trace: Trace | None = None,
                 valid_entry: Callable[[int], bool] | None = None,
                 cpu_on_delay_ns: int = DEFAULT_CPU_ON_DELAY_NS) -> None:
        self.vcpus = vcpus
        self.clock = clock
        self.port = port
        self.trace = trace
        self.valid_entry = valid_entry
        self.cpu_on_delay_ns = cpu_on_delay_ns
        self.on_cpu_off: list[Callable[[Vcpu], None]] = []
        """Called after a vCPU powers itself off (the machine completes ejects here)."""
        self.on_system_event: list[Callable[[SystemEvent], None]] = []
        self.system_event: SystemEvent | None = None
        self.powered_off = False
        """Set by SYSTEM_OFF, cleared by :meth:`reset`: no vCPU may start meanwhile."""
        self._handlers: dict[int, Callable[[int, int, int, int], int]] = {
            PsciFunction.PSCI_VERSION: lambda c, a, b, d: PSCI_VERSION_1_1,
            PsciFunction.PSCI_FEATURES: self._features,
            PsciFunction.CPU_ON: self._cpu_on,
            PsciFunction.CPU_ON_32: self._cpu_on_32,
            PsciFunction.CPU_OFF: self._cpu_off,
            PsciFunction.AFFINITY_INFO: self._affinity_info,
            PsciFunction.CPU_SUSPEND: self._cpu_suspend,
            PsciFunction.MIGRATE_INFO_TYPE: lambda c, a, b, d: MigrateInfoType.NOT_REQUIRED,
            PsciFunction.SYSTEM_OFF: lambda c, a, b, d: self._system(SystemEvent.OFF),
            PsciFunction.SYSTEM_RESET: lambda c, a, b, d: self._system(SystemEvent.RESET),
        }

    def attach(self, conduit: HypercallConduit) -> None:
        """Answer every HVC on ``conduit``."""
        conduit.register_firmware(self.handle)

    def handle(self, caller: int, function_id: int, x1: int, x2: int, x3: int) -> HvcResult:
        """The SMCCC entry: dispatch by function id; unknown ids are NOT_SUPPORTED."""
        handler = self._handlers.get(function_id)
        if handler is None:
            return HvcResult(to_register(PsciReturn.NOT_SUPPORTED))
        return HvcResult(to_register(int(handler(caller, x1, x2, x3))))

    def _log(self, message: str, vcpu: int | None = None) -> None:
        if self.trace is not None:
            self.trace.log(TraceKind.VMM_LOG, message, vcpu)

    def _features(self, caller: int, fid: int, _b: int, _c: int) -> int:
        fid &= SMC32_MASK
        if fid == PsciFunction.CPU_SUSPEND:
            return CPU_SUSPEND_FEATURES
        return PsciReturn.SUCCESS if fid in self._handlers else PsciReturn.NOT_SUPPORTED

    def reset(self) -> None:
        """The machine was reset: the firmware serves calls again."""
        self.powered_off = False

    def _cpu_on_32(self, caller: int, target: int, entry: int, context: int) -> int:
        return self._cpu_on(caller, target & SMC32_MASK, entry & SMC32_MASK, context & SMC32_MASK)

    def _cpu_on(self, caller: int, target: int, entry: int, context: int) -> int:
        vcpu = self.vcpus.by_mpidr(target)
        if vcpu is None:
            return PsciReturn.INVALID_PARAMETERS
        if self.powered_off:
            self._log(f"CPU_ON of vCPU {vcpu.index} denied: the system is off", caller)
            return PsciReturn.DENIED
        if not vcpu.enabled:
            self._log(f"CPU_ON of vCPU {vcpu.index} denied: disabled by policy", caller)
            return PsciReturn.DENIED
        if vcpu.power is PowerState.ON:
            return PsciReturn.ALREADY_ON
        if vcpu.power is PowerState.ON_PENDING:
            return PsciReturn.ON_PENDING
        if self.valid_entry is not None and not self.valid_entry(entry):
            return PsciReturn.INVALID_ADDRESS
        vcpu.power = PowerState.ON_PENDING
        vcpu.entry_point = entry
        vcpu.context_id = context
        self.clock.schedule(self.cpu_on_delay_ns, lambda: self._start(vcpu), f"vcpu{vcpu.index} start")
        return PsciReturn.SUCCESS

    def _start(self, vcpu: Vcpu) -> None:
        if vcpu.power is not PowerState.ON_PENDING:
            return
        vcpu.power = PowerState.ON
        vcpu.starts += 1
        assert vcpu.entry_point is not None and vcpu.context_id is not None
        self.port.start(vcpu.index, vcpu.entry_point, vcpu.context_id)

    def _cpu_off(self, caller: int, _a: int, _b: int, _c: int) -> int:
        if not 0 <= caller < len(self.vcpus):
            return PsciReturn.DENIED
        vcpu = self.vcpus[caller]
        if vcpu.power is not PowerState.ON:
            return PsciReturn.DENIED
        vcpu.power = PowerState.OFF
        for observer in self.on_cpu_off:
            observer(vcpu)
        return PsciReturn.SUCCESS

    def _affinity_info(self, caller: int, target: int, level: int, _c: int) -> int:
        if level > MAX_AFFINITY_LEVEL:
            return PsciReturn.INVALID_PARAMETERS
        if level == 0:                      # what Linux asks: one vCPU, no scan
            vcpu = self.vcpus.by_mpidr(target)
            if vcpu is None:
                return PsciReturn.INVALID_PARAMETERS
            return _AFFINITY_OF_POWER[vcpu.power]
        mask = affinity_mask(level)
        want = target & mask
        matched = [v for v in self.vcpus if v.mpidr & mask == want]
        if not matched:
            return PsciReturn.INVALID_PARAMETERS
        powers = {v.power for v in matched}
        if PowerState.ON in powers:
            return AffinityInfo.ON
        if PowerState.ON_PENDING in powers:
            return AffinityInfo.ON_PENDING
        return AffinityInfo.OFF

    def _cpu_suspend(self, caller: int, power_state: int, _entry: int, _ctx: int) -> int:
        if power_state != CPU_SUSPEND_STANDBY:
            return PsciReturn.INVALID_PARAMETERS
        return PsciReturn.SUCCESS

    def _system(self, event: SystemEvent) -> int:
        if self.powered_off:
            self._log(f"PSCI SYSTEM_{event.name} denied: the system is off")
            return PsciReturn.DENIED
        self.system_event = event
        if event is SystemEvent.OFF:
            self.powered_off = True
        self._log(f"PSCI SYSTEM_{event.name}")
        for observer in self.on_system_event:
            observer(event)
        return PsciReturn.SUCCESS
