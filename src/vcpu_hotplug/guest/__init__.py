"""A model of the Linux arm64 kernel (6.11 and later) as far as CPU hotplug goes.

The guest boots from the firmware hand-off (an RSDP address in guest
memory), runs QEMU-style AML in the ACPI interpreter, and touches the
machine only through :mod:`vcpu_hotplug.hw`. It never imports the VMM.

Entry points::

    from vcpu_hotplug.guest import Kernel, GuestConfig, GuestKernel, GuestKnobs
    kernel = Kernel(hw, GuestConfig(kernel=GuestKernel.LINUX_6_12))
    kernel.boot(rsdp_address)
    kernel.sysfs.read("/sys/devices/system/cpu/online")     # "0-1\\n"
    kernel.sysfs.write("/sys/devices/system/cpu/cpu4/online", "1")
"""

from vcpu_hotplug.guest.config import GuestConfig, GuestKnobs, Latency
from vcpu_hotplug.guest.releases import GuestKernel, KernelFeatures, PresentPolicy
from vcpu_hotplug.guest.errors import BootError, Errno, GuestError, SysfsError
from vcpu_hotplug.guest.kernel import Kernel
from vcpu_hotplug.guest.klog import KernelLog, LogLevel, LogRecord

__all__ = [
    "BootError", "Errno", "GuestConfig", "GuestError", "GuestKernel", "GuestKnobs", "Kernel", "KernelFeatures",
    "KernelLog", "Latency", "LogLevel", "LogRecord", "PresentPolicy", "SysfsError",
]
