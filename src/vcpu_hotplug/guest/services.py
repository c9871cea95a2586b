"""The kernel services every part of the guest may use: its configuration and knobs, the clock, the log.

Each driver names what else it needs of the running kernel in a Protocol
that extends :class:`KernelServices` (``ButtonKernel``, ``ScanKernel``, ...);
:class:`~vcpu_hotplug.guest.kernel.Kernel` provides them all. So a driver
never imports the kernel that assembles it, and the guest's imports stay a DAG.
"""

from __future__ import annotations

from typing import Protocol

from vcpu_hotplug.guest.config import GuestConfig, GuestKnobs
from vcpu_hotplug.guest.klog import KernelLog
from vcpu_hotplug.hw.clock import SimClock


class KernelServices(Protocol):
    """What any guest part may use of the running kernel."""

    config: GuestConfig
    clock: SimClock
    klog: KernelLog

    @property
    def knobs(self) -> GuestKnobs: ...
