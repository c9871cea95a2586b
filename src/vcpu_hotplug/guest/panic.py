"""How the kernel dies of a fault in its own code: the Oops and the panic that follows.

A load from a kernel virtual address with nothing mapped behind it (past the
end of an ``ioremap``) is a data abort at EL1. Linux arm64 then runs:

- ``do_mem_abort`` -> ``do_translation_fault`` -> ``__do_kernel_fault`` ->
  ``die_kernel_fault`` (``arch/arm64/mm/fault.c``): "Unable to handle kernel
  paging request at virtual address %016lx" (``pr_alert``), then the abort's
  decoding and the page table walk (``mem_abort_decode``, ``show_pte``), then
  ``die("Oops", regs, esr)``;
- ``die`` -> ``__die`` (``arch/arm64/kernel/traps.c``): "Internal error: %s:
  %016lx [#%d] SMP" (``pr_emerg``; no ``PREEMPT`` in the Debian build),
  ``show_regs``: the ``dump_stack_print_info`` line (``lib/dump_stack.c``:
  "CPU: %d UID: %u PID: %d Comm: %.20s %s %s %.*s" plus the distribution's
  version), "pc : %pS", "lr : %pS", the registers, "Call trace:" and one line
  per frame (``dump_backtrace``); ``oops_exit`` -> "---[ end trace
  0000000000000000 ]---" (``kernel/panic.c``, ``print_oops_end_marker``);
- ``make_task_dead`` (``kernel/exit.c``): a fault in the idle task (PID 0,
  e.g. in ``start_kernel`` before ``rest_init``) is "Attempted to kill the
  idle task!", handed to ``panic``;
- ``panic`` (``kernel/panic.c``): "Kernel panic - not syncing: %s"
  (``pr_emerg``); with ``panic=N`` (``panic_timeout`` > 0) "Rebooting in %d
  seconds.." and, N seconds later, ``emergency_restart`` -> arm64
  ``machine_restart`` -> PSCI ``SYSTEM_RESET``; with ``panic=0`` (the default,
  Debian's ``CONFIG_PANIC_TIMEOUT=0``) it spins for ever.

What the model prints is the lines a real run recorded
(``tests/data/real-linux/ours-gicrshort.json``; the rig keeps an Oops's
headline, ``CPU:``, ``pc``/``lr``, the call trace and the panic, not the abort
decoding, the page table dump, the register dump or the ``Code:`` line, so the
model does not print those either). Values come from where they belong:

- the faulting virtual address from the access that faulted (the ``ioremap``
  base of the region plus the offset read; see :mod:`.gic` for where that base
  comes from);
- the ESR from the fault's kind: a data abort taken at the current EL
  (EC 0x25), 32-bit instruction (IL), level 3 translation fault (DFSC 0x07):
  the guard page vmalloc leaves after every mapping has a level 3 table entry
  that is empty;
- the build's identity (:data:`RECORDED_BUILD`) and the symbol offsets of the
  frames (the caller's :class:`Backtrace`) are those of the kernel that was
  recorded, Debian's 6.12.95 arm64 build: they belong to one binary, and the
  model prints them for every release it models.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcpu_hotplug.guest.errors import GuestError
from vcpu_hotplug.guest.klog import LogLevel

ESR_ELX_EC_SHIFT = 26
ESR_ELX_EC_DABT_CUR = 0x25
"""Data abort taken without a change of exception level (``ESR_ELx_EC_DABT_CUR``)."""
ESR_ELX_IL = 1 << 25
"""32-bit instruction length."""
ESR_ELX_FSC_FAULT_L3 = 0x07
"""Translation fault, level 3 (``ESR_ELx_FSC_FAULT`` | level 3)."""

IDLE_TASK_PANIC = "Attempted to kill the idle task!"
"""``make_task_dead``'s panic for a fault in PID 0."""

END_TRACE = "---[ end trace 0000000000000000 ]---"
"""``print_oops_end_marker`` (the trace id has been 0 since Linux 5.19)."""

KERN_DEFAULT = LogLevel.WARNING
"""``show_regs`` and ``dump_backtrace`` print at ``KERN_DEFAULT``: ``MESSAGE_LOGLEVEL_DEFAULT``, 4."""


def data_abort_esr(fsc: int = ESR_ELX_FSC_FAULT_L3) -> int:
    """ESR_EL1 of a data abort at EL1 with fault status ``fsc`` (a load: WnR clear)."""
    return (ESR_ELX_EC_DABT_CUR << ESR_ELX_EC_SHIFT) | ESR_ELX_IL | fsc


@dataclass(frozen=True)
class KernelBuild:
    """The identity ``dump_stack_print_info`` prints of the running kernel."""

    release: str
    """``init_utsname()->release``."""
    version: str
    """``init_utsname()->version`` up to its first space (``#1``)."""
    distribution: str
    """What the distribution's patch appends (Debian: `` Debian <package version>``, leading space included)."""


RECORDED_BUILD = KernelBuild("6.12.95+deb12-arm64", "#1", " Debian 6.12.95-1~bpo12+1")
"""Debian's arm64 backports kernel the real-Linux runs used (``tests/data/real-linux/README.md``)."""


@dataclass(frozen=True)
class Backtrace:
    """Where the fault happened, as ``%pS`` prints it (``symbol+offset/size``) for the recorded build."""

    pc: str
    lr: str
    frames: tuple[str, ...]
    """``dump_backtrace``'s frames, innermost first."""


class KernelFault(GuestError):
    """A kernel-mode access that faults: it unwinds the code that made it up to the kernel, which dies."""

    def __init__(self, address: int, what: str, backtrace: Backtrace, esr: int | None = None) -> None:
        self.address = address
        self.what = what
        self.backtrace = backtrace
        self.esr = data_abort_esr() if esr is None else esr
        super().__init__(f"kernel paging request at virtual address {address:016x} ({what})")


@dataclass(frozen=True)
class Oops:
    """What ``die_kernel_fault`` and ``die`` print for one fault (the recorded lines, in order)."""

    fault: KernelFault
    cpu: int = 0
    pid: int = 0
    comm: str = "swapper/0"
    build: KernelBuild = RECORDED_BUILD
    count: int = 1
    """``die_counter`` after this Oops: ``[#1]`` for the first."""

    def lines(self) -> list[tuple[LogLevel, str]]:
        """(level, text) of each line, in order."""
        trace = self.fault.backtrace
        b = self.build
        return [(LogLevel.ALERT, f"Unable to handle kernel paging request at virtual address {self.fault.address:016x}"),
                (LogLevel.EMERG, f"Internal error: Oops: {self.fault.esr:016x} [#{self.count}] SMP"),
                (KERN_DEFAULT, f"CPU: {self.cpu} UID: 0 PID: {self.pid} Comm: {self.comm} Not tainted "
                               f"{b.release} {b.version} {b.distribution}"),
                (KERN_DEFAULT, f"pc : {trace.pc}"),
                (KERN_DEFAULT, f"lr : {trace.lr}"),
                (KERN_DEFAULT, "Call trace:"),
                *((KERN_DEFAULT, f" {frame}") for frame in trace.frames),
                (LogLevel.WARNING, END_TRACE)]


def panic_lines(message: str, timeout_s: int) -> list[tuple[LogLevel, str]]:
    """``panic``'s own lines (``pr_emerg``): the headline, and the reboot notice when ``panic=`` is positive
    (a negative ``panic=`` restarts at once, silently)."""
    out = [(LogLevel.EMERG, f"Kernel panic - not syncing: {message}")]
    if timeout_s > 0:
        out.append((LogLevel.EMERG, f"Rebooting in {timeout_s} seconds.."))
    return out


__all__ = ["Backtrace", "IDLE_TASK_PANIC", "KernelBuild", "KernelFault", "Oops", "RECORDED_BUILD",
           "data_abort_esr", "panic_lines"]
