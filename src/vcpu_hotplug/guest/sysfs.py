"""CPU devices and their sysfs view: ``drivers/base/cpu.c``, ``drivers/base/core.c``
(``online_store``, ``device_online``/``device_offline``) and the udev rule distributions ship.

- ``register_cpu`` puts a CPU in the ``enabled`` mask (Linux 6.11 added
  ``/sys/devices/system/cpu/enabled``), creates ``cpuN/`` and sends a
  ``KOBJ_ADD`` uevent; ``cpuN/online`` exists when the CPU is hotpluggable
  (``offline_disabled`` is false; on arm64 with PSCI every CPU is).
  ``unregister_cpu`` undoes all that.
- udev's ``SUBSYSTEM=="cpu", ACTION=="add", TEST=="online",
  ATTR{online}=="0", ATTR{online}="1"`` onlines a new CPU (the auto-online
  knob; its delay is the slow-onlining knob); at boot udev's coldplug
  replays ``add`` for the CPUs registered while the kernel booted.
- ``/sys/devices/system/cpu/{possible,present,enabled,online,offline}`` print
  the masks in range-list format with a newline (``offline`` is possible
  minus online, as ``print_cpus_offline`` shows for CPUs below
  ``nr_cpu_ids``); ``kernel_max`` is ``NR_CPUS - 1``.
- ``smt/control`` and ``smt/active``: the SMT control of :mod:`.smt`
  (``notimplemented`` before HOTPLUG_SMT, Linux 6.15);
- writing ``cpuN/online`` parses a boolean (:func:`kstrtobool`: ``EINVAL``
  otherwise); ``1`` runs ``cpu_up`` (``EPERM`` when PSCI says DENIED,
  ``EINVAL`` for a CPU whose redistributor is inaccessible, ``EIO`` when it
  never comes online), ``0`` runs ``cpu_down`` (``EBUSY`` for the last
  online CPU or a busy CPU, ``EOPNOTSUPP`` when offlining is disabled).
  Like ``write(2)``, a write blocks until the CPU is up or down: the
  simulated clock runs meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from vcpu_hotplug.guest.cpumask import CpuMask, format_range_list
from vcpu_hotplug.guest.errors import Errno, GuestError, SysfsError
from vcpu_hotplug.guest.services import KernelServices
from vcpu_hotplug.guest.smp import CpuHotplug
from vcpu_hotplug.guest.smt import SmtControl, Task


class SysfsKernel(KernelServices, Protocol):
    """What the CPU devices and sysfs use of the running kernel besides :class:`KernelServices`."""

    booted: bool
    possible: CpuMask
    present: CpuMask
    enabled: CpuMask
    online: CpuMask
    cpu_hotplug: CpuHotplug
    devices: CpuDevices
    smt: SmtControl

    def block_until(self, condition: Callable[[], bool], what: str = ...) -> None: ...


SYSFS_CPU_DIR = "/sys/devices/system/cpu"
MASK_FILES = ("possible", "present", "enabled", "online", "offline")
SMT_CONTROL = "smt/control"
SMT_ACTIVE = "smt/active"
_TRUE_FIRST = frozenset("eEyYtT1")
_FALSE_FIRST = frozenset("dDnNfF0")
_ON_OFF_FIRST = frozenset("oO")


def kstrtobool(text: str) -> bool | None:
    """``kstrtobool`` (``lib/kstrtox.c``): only the first character counts (``o`` needs a second).

    ``1``/``y``/``t``/``e`` (and ``on``) are true, ``0``/``n``/``f``/``d`` (and
    ``off``) false, in either case; anything else, the empty string
    included, is None (``-EINVAL``). So ``yes``, ``10`` and ``enable`` are
    true, as in the kernel.
    """
    if not text:
        return None
    first = text[0]
    if first in _TRUE_FIRST:
        return True
    if first in _FALSE_FIRST:
        return False
    if first in _ON_OFF_FIRST and len(text) > 1:
        if text[1] in "nN":
            return True
        if text[1] in "fF":
            return False
    return None


class CpuDevices:
    """``struct cpu`` devices: registration, online/offline, uevents."""

    def __init__(self, kernel: SysfsKernel) -> None:
        self.k = kernel
        self.registered: set[int] = set()

    def hotpluggable(self, cpu: int) -> bool:
        return cpu not in self.k.knobs.offline_disabled_cpus

    def register_cpu(self, cpu: int) -> int:
        """``register_cpu``: 0."""
        k = self.k
        if cpu in self.registered:
            return 0
        self.registered.add(cpu)
        k.enabled.set(cpu)
        k.klog.tracepoint(f"register_cpu cpu{cpu}: enabled, {SYSFS_CPU_DIR}/cpu{cpu}/ created")
        self._uevent_add(cpu)
        return 0

    def unregister_cpu(self, cpu: int) -> None:
        """``unregister_cpu``."""
        k = self.k
        if cpu not in self.registered:
            return
        self.registered.discard(cpu)
        k.enabled.clear(cpu)
        k.klog.tracepoint(f"unregister_cpu cpu{cpu}: not enabled, {SYSFS_CPU_DIR}/cpu{cpu}/ removed")

    def _uevent_add(self, cpu: int) -> None:
        k = self.k
        if not k.knobs.auto_online or not k.booted:
            return
        delay = k.config.latency.udev_ns + k.knobs.online_delay_ns
        k.clock.schedule(delay, lambda: self._udev_online(cpu), f"guest udev online cpu{cpu}")

    def coldplug(self) -> None:
        """``udevadm trigger`` at boot: udev replays ``add`` for every CPU device, so the rule also
        onlines CPUs that were registered during boot but are offline (hot-added while the kernel booted)."""
        k = self.k
        if not k.knobs.auto_online:
            return
        for cpu in sorted(self.registered):
            if cpu not in k.online and self.hotpluggable(cpu):
                delay = k.config.latency.udev_ns + k.knobs.online_delay_ns
                k.clock.schedule(delay, lambda cpu=cpu: self._udev_online(cpu), f"guest udev coldplug cpu{cpu}")

    def _udev_online(self, cpu: int) -> None:
        k = self.k
        if not k.knobs.auto_online:
            return
        if cpu not in self.registered or not self.hotpluggable(cpu) or cpu in k.online:
            return
        k.klog.tracepoint(f"udev: echo 1 > {SYSFS_CPU_DIR}/cpu{cpu}/online")

        def done(err: int) -> None:
            if err:
                k.klog.tracepoint(f"udev: writing cpu{cpu}/online failed: {Errno(-err).name}")
        k.cpu_hotplug.cpu_up(cpu, done)

    def device_offline(self, cpu: int) -> int:
        """``device_offline`` (lock free): 1 already offline, 0 done, or a negative errno."""
        if not self.hotpluggable(cpu):
            return -Errno.EPERM
        if cpu not in self.k.online:
            return 1
        return self.k.cpu_hotplug.cpu_down(cpu)


class Sysfs:
    """Reads and writes under ``/sys/devices/system/cpu``."""

    def __init__(self, kernel: SysfsKernel) -> None:
        self.k = kernel

    def _relative(self, path: str) -> str:
        p = path.strip()
        if p.startswith(SYSFS_CPU_DIR):
            p = p[len(SYSFS_CPU_DIR):]
        return p.strip("/")

    def _cpu_online_file(self, rel: str, path: str) -> int:
        parts = rel.split("/")
        if len(parts) == 2 and parts[0].startswith("cpu") and parts[0][3:].isdigit() and parts[1] == "online":
            cpu = int(parts[0][3:])
            if cpu in self.k.devices.registered and self.k.devices.hotpluggable(cpu):
                return cpu
        raise SysfsError(path, Errno.ENOENT)

    def listdir(self) -> list[str]:
        """Entries of ``/sys/devices/system/cpu`` this model provides."""
        return sorted(MASK_FILES + ("kernel_max", "smt")) + [f"cpu{c}" for c in sorted(self.k.devices.registered)]

    def access(self, path: str, write: bool = False) -> Errno | None:
        """What ``open(path, write ? O_WRONLY : O_RDONLY)`` would fail with (None: it opens).

        A path this model does not have is ``ENOENT``; an attribute without a
        ``store`` method opened for writing is ``EACCES`` (``kernfs_fop_open``).
        """
        rel = self._relative(path)
        try:
            self.read(path)
        except SysfsError as err:
            return err.errno
        if write and (rel in MASK_FILES or rel in ("kernel_max", SMT_ACTIVE)):
            return Errno.EACCES
        return None

    def read(self, path: str) -> str:
        """The file's content, newline included (``cat``)."""
        k = self.k
        rel = self._relative(path)
        masks = {
            "possible": k.possible.as_set(), "present": k.present.as_set(),
            "enabled": k.enabled.as_set(), "online": k.online.as_set(),
            "offline": k.possible.as_set() - k.online.as_set(),
        }
        if rel in masks:
            return format_range_list(masks[rel]) + "\n"
        if rel == "kernel_max":
            return f"{k.config.nr_cpus - 1}\n"
        if rel == SMT_CONTROL:
            return k.smt.show_control()
        if rel == SMT_ACTIVE:
            return k.smt.show_active()
        cpu = self._cpu_online_file(rel, path)
        return ("1" if cpu in k.online else "0") + "\n"

    def write(self, path: str, value: str | int, task: Task | None = None) -> None:
        """``echo value > path``; raises :class:`SysfsError` with the errno ``write(2)`` would give.

        ``task`` is the writer (``current``), which a kernel warning names; a shell by default.
        """
        k = self.k
        rel = self._relative(path)
        if rel in MASK_FILES or rel in ("kernel_max", SMT_ACTIVE):
            raise SysfsError(path, Errno.EACCES, "read-only attribute")
        if rel == SMT_CONTROL:
            k.block_until(lambda: not k.cpu_hotplug.locked, f"echo {value} > {path}")
            err = k.smt.store_control(str(value), task or Task())
            if err:
                raise SysfsError(path, Errno(-err))
            return
        cpu = self._cpu_online_file(rel, path)
        want = kstrtobool(str(value))
        if want is None:
            raise SysfsError(path, Errno.EINVAL)
        if want:
            if cpu in k.online:
                return
            result: list[int] = []
            k.cpu_hotplug.cpu_up(cpu, result.append)
            k.block_until(lambda: bool(result), f"echo 1 > {path}")
            err = result[0]
        else:
            k.block_until(lambda: not k.cpu_hotplug.locked, f"echo 0 > {path}")
            err = k.devices.device_offline(cpu)
            err = 0 if err == 1 else err
        if err:
            raise SysfsError(path, Errno(-err))


__all__ = ["CpuDevices", "GuestError", "Sysfs", "kstrtobool"]
