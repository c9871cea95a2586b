"""The hypercall conduit: SMCCC calls from a vCPU to the firmware (HVC #0).

A guest vCPU puts a function id in w0 and arguments in x1..x3 and executes
``HVC #0`` (ARM DEN0028 SMC Calling Convention); the call traps to the
hypervisor, which here plays firmware (PSCI, DEN0022). Results come back in
x0..x3. Registers are 64-bit unsigned, as in hardware: a PSCI error such as
DENIED (-3) reads back as 0xFFFF_FFFF_FFFF_FFFD, and Linux reads it as
``(int)res.a0`` (:attr:`HvcResult.ret` does the same). A function nobody
implements returns SMCCC ``NOT_SUPPORTED`` (-1), as the SMCCC requires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from vcpu_hotplug.hw.errors import HypercallError
from vcpu_hotplug.hw.trace import Trace, TraceKind

REGISTER_MASK = 0xFFFF_FFFF_FFFF_FFFF
"""x0..x3 are 64-bit registers."""

SMCCC_RET_NOT_SUPPORTED = -1
"""SMCCC return value for an unknown function id (DEN0028 section 7.1)."""


def to_register(value: int) -> int:
    """A (possibly negative) integer as the 64-bit register value that holds it."""
    return value & REGISTER_MASK


def signed32(register: int) -> int:
    """The low 32 bits of a register as a signed int (Linux's ``(int)res.a0``)."""
    low = register & 0xFFFF_FFFF
    return low - (1 << 32) if low & 0x8000_0000 else low


class HvcResult(NamedTuple):
    """x0..x3 after the call, as unsigned 64-bit register values."""

    x0: int
    x1: int = 0
    x2: int = 0
    x3: int = 0

    @property
    def ret(self) -> int:
        """x0 as the signed 32-bit return code (compare with PSCI return values)."""
        return signed32(self.x0)


FirmwareHandler = Callable[[int, int, int, int, int], "HvcResult | tuple[int, ...]"]
"""``handler(caller_vcpu, function_id, x1, x2, x3)``: the firmware side."""


class HypercallConduit:
    """Routes a vCPU's HVC to the one firmware handler the VMM registers."""

    def __init__(self, trace: Trace | None = None) -> None:
        self.trace = trace
        self._firmware: FirmwareHandler | None = None
        self.calls = 0

    def register_firmware(self, handler: FirmwareHandler) -> None:
        """VMM side: install the firmware that answers every HVC."""
        if self._firmware is not None:
            raise HypercallError("a firmware handler is already registered on the HVC conduit")
        self._firmware = handler

    def hvc(self, caller_vcpu: int, function_id: int, x1: int = 0, x2: int = 0, x3: int = 0) -> HvcResult:
        """Guest side: vCPU ``caller_vcpu`` executes ``HVC #0`` with w0=function_id, x1..x3."""
        function_id &= 0xFFFF_FFFF
        x1, x2, x3 = to_register(x1), to_register(x2), to_register(x3)
        self.calls += 1
        if self._firmware is None:
            result = HvcResult(to_register(SMCCC_RET_NOT_SUPPORTED))
        else:
            raw = tuple(self._firmware(caller_vcpu, function_id, x1, x2, x3))
            raw = raw + (0,) * (4 - len(raw))
            result = HvcResult(*(to_register(r) for r in raw[:4]))
        if self.trace is not None:
            self.trace.record(TraceKind.HVC, vcpu=caller_vcpu, function=function_id,
                              args=(x1, x2, x3), result=tuple(result))
        return result
