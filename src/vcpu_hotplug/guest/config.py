"""What kernel and platform the guest models: :class:`GuestConfig`, with its
:class:`~vcpu_hotplug.guest.releases.GuestKernel` (the Linux release, whose
:class:`~vcpu_hotplug.guest.releases.KernelFeatures` include the :class:`PresentPolicy`),
:class:`Latency` and :class:`GuestKnobs`, and the kernel build's own constants.

Every part of the guest reads its configuration from here; :mod:`.kernel`
assembles the parts.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field

from vcpu_hotplug.arm.midr import HOST_MIDR
from vcpu_hotplug.guest.klog import LOG_BUF_LEN
from vcpu_hotplug.guest.releases import DEFAULT_KERNEL, GuestKernel, KernelFeatures, PresentPolicy
from vcpu_hotplug.hw.clock import NS_PER_MS, NS_PER_US

NR_CPUS = 512
"""CONFIG_NR_CPUS of the arm64 defconfig's KVM guests (512, KVM's vCPU limit)."""

DEFAULT_MIDR = HOST_MIDR
"""MIDR_EL1 the guest reports unless told otherwise: the ``host`` CPU model's (Arm Neoverse-N1 r3p1)."""

DEFAULT_SECONDARY_ENTRY = 0x4021_0000
"""``__pa_symbol(secondary_entry)`` of an Image loaded 2 MiB into QEMU virt's RAM."""


@dataclass
class Latency:
    """How long the guest's asynchronous steps take, in simulated time."""

    irq_thread_ns: int = 2 * NS_PER_US
    """Hard IRQ to the GED's IRQ thread."""
    hotplug_work_ns: int = 5 * NS_PER_US
    """Notify to the ``kacpi_hotplug`` work item."""
    udev_ns: int = 200 * NS_PER_US
    """``KOBJ_ADD`` uevent to udev's write of ``cpuN/online``."""
    poweroff_ns: int = 100 * NS_PER_MS
    """Power key press to ``kernel_power_off`` (logind, then the system's shutdown)."""


@dataclass
class GuestKnobs:
    """Behaviour knobs for testing orchestrators against an unhappy guest (mutable at run time)."""

    auto_online: bool = True
    """udev onlines newly registered CPUs (distributions ship this rule)."""
    online_delay_ns: int = 0
    """Slow onlining: extra simulated time before udev onlines a new CPU."""
    ignore_notifications: bool = False
    """Drop every ACPI Notify (a guest without working hotplug): disables time out."""
    busy_cpus: set[int] = field(default_factory=set)
    """Logical CPUs that refuse to go offline (``-EBUSY``; an eject reports ``_OST`` 0x82)."""
    offline_disabled: bool = False
    """``cpu_hotplug_offline_disabled``: every offline is ``-EOPNOTSUPP``."""
    offline_disabled_cpus: set[int] = field(default_factory=set)
    """CPUs whose device has ``offline_disabled`` (no ``online`` file; ``device_offline`` is ``-EPERM``,
    so an eject is "Offline failed." and ``_OST`` 0x82)."""
    power_key_poweroff: bool = True
    """Userspace powers off on the power key (systemd-logind's default ``HandlePowerKey``)."""
    eject_enabled: bool = True
    """``/sys/firmware/acpi/hotplug/processor/enabled``: off makes ejects of added processors
    "Eject disabled" (0x80); a processor the guest never added is still ejected."""


@dataclass
class GuestConfig:
    """What kernel and platform the guest models.

    ``present_policy`` is read-only, the present policy of :attr:`kernel`; the
    constructor still takes it (``GuestConfig(present_policy=...)``) and, unless
    :attr:`kernel` already has that policy, picks the first release with it (6.11 or 7.2).
    """

    kernel: GuestKernel = DEFAULT_KERNEL
    """The Linux release modelled (:class:`~vcpu_hotplug.guest.releases.GuestKernel`)."""
    knobs: GuestKnobs = field(default_factory=GuestKnobs)
    latency: Latency = field(default_factory=Latency)
    boot_hw_vcpu: int = 0
    """The hardware vCPU firmware starts the kernel on."""
    boot_mpidr: int = 0
    """MPIDR_EL1 of the boot vCPU (what the kernel reads of itself)."""
    midr: int = DEFAULT_MIDR
    """MIDR_EL1 of every CPU (what the vCPU model reports; :data:`~vcpu_hotplug.arm.midr.CPU_MODEL_MIDR`)."""
    secondary_entry: int = DEFAULT_SECONDARY_ENTRY
    nr_cpus: int = NR_CPUS
    log_buf_len: int = LOG_BUF_LEN
    """Bytes of text the kernel log's ring keeps (the ``log_buf_len=`` boot parameter)."""
    dyndbg: bool = False
    """Dynamic debug on for the files modelled (``dyndbg=`` on the command line): ``pr_debug``/``dev_dbg``
    lines such as "ACPI_NOTIFY_DEVICE_CHECK event" or "CPU4: shutdown" reach dmesg. Off, as on a stock
    kernel, they are not printed at all."""
    panic_timeout_s: int = 0
    """``panic=`` on the command line: seconds from a panic to ``emergency_restart`` (PSCI SYSTEM_RESET);
    0, Debian's ``CONFIG_PANIC_TIMEOUT``, waits for ever; negative restarts at once (:mod:`.panic`)."""
    present_policy: InitVar[PresentPolicy | None] = None

    def __post_init__(self, present_policy: PresentPolicy | None) -> None:
        if present_policy is None:
            return
        if not isinstance(present_policy, PresentPolicy):
            raise TypeError(f"present_policy must be a PresentPolicy, not {present_policy!r} "
                            "(a GuestKernel goes in kernel=)")
        if present_policy is not self.kernel.present_policy:   # (dataclasses.replace passes it back unchanged)
            self.kernel = GuestKernel.for_present_policy(present_policy)

    @property
    def features(self) -> KernelFeatures:
        """What :attr:`kernel` does on the hotplug path."""
        return self.kernel.features


def _present_policy(config: GuestConfig) -> PresentPolicy:
    """The present-mask policy of the configured kernel."""
    return config.kernel.present_policy


# Read access to the constructor alias: the dataclass keeps the InitVar's default for __init__.
GuestConfig.present_policy = property(_present_policy)  # type: ignore[assignment,method-assign]


__all__ = ["DEFAULT_MIDR", "DEFAULT_SECONDARY_ENTRY", "NR_CPUS", "GuestConfig", "GuestKernel", "GuestKnobs",
           "KernelFeatures", "Latency", "PresentPolicy"]
