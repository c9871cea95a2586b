"""The ACPI processor driver: ``drivers/acpi/acpi_processor.c`` as merged for Linux 6.11, with
``arch_register_cpu``/``arch_unregister_cpu`` of ``arch/arm64/kernel/smp.c`` and ``acpi_map_cpu``/
``acpi_unmap_cpu`` of ``arch/arm64/kernel/acpi.c``.

``acpi_processor_add`` runs for each processor device the scan finds
present (ACPI0007 ``Device`` or ``Processor`` object):

1. ``acpi_device_is_enabled``: the ``_STA`` the scan just read must say
   present *and* enabled, else ``-ENODEV`` without a message (the check
   Rafael Wysocki added in 6.9; the 6.11 series dropped its own second
   ``_STA`` evaluation as "duplicated");
2. ``acpi_processor_get_info``: the ACPI id (``_UID`` of a Device, "Failed
   to evaluate processor _UID (0x%x)"; the ProcessorID of a Processor
   object); a UID used twice in the namespace
   (``acpi_duplicate_processor_id``): "Failed to get unique processor _UID
   (0x%x)" and ``-ENODEV``; UID -> MADT GICC -> MPIDR (``acpi_get_phys_id``;
   none: "Failed to get CPU physical ID.") -> the possible CPU with that
   MPIDR (``acpi_map_cpuid``; an MPIDR no possible CPU has, e.g. one
   ``smp_init_cpus`` rejected, is arm64 ``acpi_map_cpu``'s "Unable to map
   CPU to valid ID");
3. a CPU without a CPU device yet (on arm64 with ACPI every CPU: its
   ``arch_register_cpu`` at ``topology_init`` time returned
   ``-EPROBE_DEFER`` because no processor handle existed) goes through
   ``acpi_processor_hotadd_init``: ``acpi_map_cpu``, ``acpi_processor_set_per_cpu``
   ("BIOS reported wrong ACPI id %d for the processor" when another device
   already claimed the CPU), ``arch_register_cpu`` (arm64 refuses a CPU
   that is not present: "Changing CPU present bit is not supported"), then
   ``pr_info("CPU%d has been hot-added")``. This line therefore appears at
   boot for every enabled CPU, as on any arm64 ACPI machine since 6.11
   ("ACPI: CPU0 has been hot-added" ...), and again for each hot-add.

Present mask (:class:`~vcpu_hotplug.guest.releases.PresentPolicy`): in Linux
6.11 to 7.1 arm64's ``acpi_map_cpu``/``acpi_unmap_cpu`` are stubs and every
possible CPU is present from boot. 7.2 (``f9a82544c717``) marks only Enabled GICCs
present in ``smp_prepare_cpus`` (``acpi_cpu_is_present``), sets present in
``acpi_map_cpu`` and clears it in ``acpi_unmap_cpu``.

After an eject, ``acpi_processor_post_eject`` calls ``arch_unregister_cpu``,
which re-reads ``_STA``: a present CPU whose ``_STA`` lost *present* is
"Changing CPU present bit is not supported"; 6.11 to 7.1 then keep the CPU
registered, 7.2 (``18a4e5cf633f``, forced unregistration) unregisters it anyway. ``unregister_cpu`` clears
it from ``enabled`` and removes ``cpuN/``; ``acpi_unmap_cpu`` follows
either way, and the device is released from the CPU.
"""

from __future__ import annotations

from typing import Protocol

from vcpu_hotplug.acpi.aml.objects import Processor
from vcpu_hotplug.acpi.device_ids import PROCESSOR_HID
from vcpu_hotplug.acpi.device_status import DeviceStatus
from vcpu_hotplug.acpi.errors import AcpiError
from vcpu_hotplug.acpi.madt import GiccFlags
from vcpu_hotplug.guest.acpi_boot import AcpiTables
from vcpu_hotplug.guest.acpi_utils import AcpiCore, AcpiDevice, acpi_device_is_enabled
from vcpu_hotplug.guest.cpumask import CpuMask
from vcpu_hotplug.guest.errors import Errno
from vcpu_hotplug.guest.klog import LogLevel
from vcpu_hotplug.guest.services import KernelServices
from vcpu_hotplug.guest.smp import LogicalCpu
from vcpu_hotplug.guest.sysfs import CpuDevices


class ProcessorKernel(KernelServices, Protocol):
    """What the processor driver uses of the running kernel besides :class:`KernelServices`."""

    acpi: AcpiCore
    tables: AcpiTables | None
    cpus: dict[int, LogicalCpu]
    possible: CpuMask
    present: CpuMask
    devices: CpuDevices


UID_NOT_WELL_DEFINED = 0xFF
AE_NOT_FOUND = 0x0005
"""ACPICA status of a missing object (``include/acpi/acexcep.h``)."""
PR_FMT = "ACPI: "
"""``pr_fmt`` of ``drivers/acpi/acpi_processor.c``."""
MAP_CPU_ONCE = "map-cpu"
"""``pr_warn_once`` key of arm64 ``acpi_map_cpu``'s "Unable to map CPU to valid ID"."""
PRESENT_BIT_ONCE = "present-bit"
"""``pr_err_once`` key of "Changing CPU present bit is not supported" (one static flag in smp.c)."""


class ProcessorDriver:
    """``processor_handler``: ``.attach = acpi_processor_add``, ``.post_eject = acpi_processor_post_eject``."""

    HID = PROCESSOR_HID

    def __init__(self, kernel: ProcessorKernel) -> None:
        self.k = kernel
        self.duplicate_ids: set[int] = set()
        self.device_of_cpu: dict[int, AcpiDevice] = {}
        """``processor_device_array``: the device that claimed each CPU."""

    # UIDs -------------------------------------------------------------------

    def uid(self, adev: AcpiDevice) -> int | None:
        """The processor's ACPI id, or None when ``_UID`` cannot be evaluated."""
        if isinstance(adev.obj, Processor):
            return adev.obj.proc_id
        try:
            value = self.k.acpi.evaluate(adev.path + "._UID", trace=False)
        except AcpiError:
            return None
        return value if isinstance(value, int) else None

    def check_duplicates(self, devices: list[AcpiDevice]) -> None:
        """``acpi_processor_check_duplicates``: remember every UID seen twice."""
        seen: set[int] = set()
        for adev in devices:
            uid = self.uid(adev)
            if uid is None:
                continue
            if uid in seen:
                self.duplicate_ids.add(uid)
            seen.add(uid)

    # attach -----------------------------------------------------------------

    def add(self, adev: AcpiDevice) -> int:
        """``acpi_processor_add``: 1 when the device is now bound to a CPU, else a negative errno."""
        if not acpi_device_is_enabled(adev.status):
            return -Errno.ENODEV
        k = self.k
        uid = self.uid(adev)
        if uid is None:
            k.klog.err(f"acpi {adev.name}: Failed to evaluate processor _UID (0x{AE_NOT_FOUND:x})")
            return -Errno.ENODEV
        if uid in self.duplicate_ids:
            if uid == UID_NOT_WELL_DEFINED:
                k.klog.once(f"uid-ff-{adev.name}", LogLevel.INFO,
                            f"acpi {adev.name}: Entry not well-defined, consider updating BIOS")
            else:
                k.klog.err(f"acpi {adev.name}: Failed to get unique processor _UID (0x{uid:x})")
            return -Errno.ENODEV
        phys_id = self.acpi_get_phys_id(adev, uid)
        if phys_id is None:
            k.klog.debug(f"acpi {adev.name}: Failed to get CPU physical ID.")
        cpu = self.acpi_map_cpuid(phys_id, uid)
        if cpu is not None and cpu in k.devices.registered:
            err = self._set_per_cpu(adev, cpu)
        elif phys_id is None:
            return -Errno.ENODEV                  # acpi_processor_hotadd_init: invalid_phys_cpuid
        else:
            err = self._hotadd_init(adev, cpu)
        if err:
            return err
        assert cpu is not None
        adev.cpu = cpu
        # dev_dbg on the ACPI device, which no driver binds: dev_printk prefixes the bus name.
        k.klog.debug(f"acpi {adev.name}: Processor [{cpu}:{uid}]")
        return 1

    def acpi_get_phys_id(self, adev: AcpiDevice, uid: int) -> int | None:
        """``acpi_get_phys_id`` (``drivers/acpi/processor_core.c``): the MPIDR of the processor's GICC.

        No ``_MAT`` on arm64 VMs, so ``map_madt_entry``: the first GICC that
        is Enabled or Online Capable with this UID. ``map_gicc_mpidr`` only
        matches a processor declared with ``Device`` ("in the GIC interrupt
        model, logical processors are required to have a Processor Device
        object"): a ``Processor`` object has no physical id.
        """
        tables = self.k.tables
        if isinstance(adev.obj, Processor) or tables is None or tables.madt is None:
            return None
        for gicc in tables.madt.giccs:
            if gicc.flags & (GiccFlags.ENABLED | GiccFlags.ONLINE_CAPABLE) and gicc.acpi_processor_uid == uid:
                return gicc.mpidr
        return None

    def acpi_map_cpuid(self, phys_id: int | None, uid: int) -> int | None:
        """``acpi_map_cpuid``: the possible CPU whose logical map entry is ``phys_id``.

        Without a physical id only a uniprocessor kernel (``nr_cpu_ids`` 1)
        maps ACPI id 0 to CPU 0.
        """
        k = self.k
        if phys_id is None:
            nr_cpu_ids = max(k.possible, default=0) + 1
            return 0 if nr_cpu_ids <= 1 and uid == 0 else None
        for cpu in k.possible:
            if k.cpus[cpu].mpidr == phys_id:
                return cpu
        return None

    def _set_per_cpu(self, adev: AcpiDevice, cpu: int) -> int:
        """``acpi_processor_set_per_cpu``: the "buggy BIOS" check, then claim the CPU."""
        other = self.device_of_cpu.get(cpu)
        if other is not None and other is not adev:
            self.k.klog.warn(f"acpi {adev.name}: BIOS reported wrong ACPI id {cpu} for the processor")
            return -Errno.EINVAL
        self.device_of_cpu[cpu] = adev
        return 0

    def _hotadd_init(self, adev: AcpiDevice, cpu: int | None) -> int:
        """``acpi_processor_hotadd_init``: map, claim and register a CPU that has no CPU device yet."""
        k = self.k
        if cpu is None:
            # arm64 acpi_map_cpu: "If an error code is passed in this stub can't fix it".
            k.klog.once(MAP_CPU_ONCE, LogLevel.WARNING, f"{PR_FMT}Unable to map CPU to valid ID")
            return -Errno.ENODEV
        self.acpi_map_cpu(cpu)
        err = self._set_per_cpu(adev, cpu)
        if err:
            self.acpi_unmap_cpu(cpu)
            return err
        err = self.arch_register_cpu(cpu)
        if err:
            # "Leave the processor device array in place to detect buggy bios."
            self.acpi_unmap_cpu(cpu)
            return err
        k.klog.info(f"{PR_FMT}CPU{cpu} has been hot-added")
        return 0

    def acpi_map_cpu(self, cpu: int) -> None:
        """arm64 ``acpi_map_cpu``: a stub until 7.1; 7.2 (``f9a82544c717``) marks the CPU present."""
        if self.k.config.kernel.present_policy.sets_present_on_hot_add:
            self.k.present.set(cpu)

    def acpi_unmap_cpu(self, cpu: int) -> None:
        """arm64 ``acpi_unmap_cpu``: a stub until 7.1; 7.2 (``f9a82544c717``) clears present."""
        if self.k.config.kernel.present_policy.sets_present_on_hot_add:
            self.k.present.clear(cpu)

    def arch_register_cpu(self, cpu: int) -> int:
        """arm64 ``arch_register_cpu``: "block anything that looks like physical CPU Hotplug", then ``register_cpu``."""
        k = self.k
        if cpu not in k.present:
            k.klog.once(PRESENT_BIT_ONCE, LogLevel.ERR, "Changing CPU present bit is not supported")
            return -Errno.ENODEV
        return k.devices.register_cpu(cpu)

    # eject ------------------------------------------------------------------

    def post_eject(self, adev: AcpiDevice) -> None:
        """``acpi_processor_post_eject``: unregister and unmap the CPU behind ``adev``, release the device."""
        cpu = adev.cpu
        if cpu is None:
            return
        self.arch_unregister_cpu(adev, cpu)
        self.acpi_unmap_cpu(cpu)
        self.device_of_cpu.pop(cpu, None)
        adev.cpu = None

    def arch_unregister_cpu(self, adev: AcpiDevice, cpu: int) -> None:
        """arm64 ``arch_unregister_cpu``: evaluate ``_STA``, then ``unregister_cpu``.

        Before ``18a4e5cf633f`` (6.11 to 7.1) it returns early, keeping the CPU
        device, when ``_STA`` fails (silently) or a present CPU's ``_STA`` lost
        *present* ("Changing CPU present bit is not supported"); the caller,
        ``acpi_processor_post_eject``, carries on, so ``cpuN/`` stays behind
        and a later hot-add of the CPU skips ``acpi_processor_hotadd_init``.
        From 7.2 it logs the latter and unregisters either way.
        """
        k = self.k
        forced = k.config.kernel.features.forced_unregistration
        sta = k.acpi.status(adev)
        if sta is None:
            if not forced:
                return
        elif cpu in k.present and not sta & DeviceStatus.PRESENT:
            k.klog.once(PRESENT_BIT_ONCE, LogLevel.ERR, "Changing CPU present bit is not supported")
            if not forced:
                return
        k.devices.unregister_cpu(cpu)
