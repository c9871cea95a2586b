"""The ACPI processor driver: ``drivers/acpi/acpi_processor.c`` (Linux 6.11), with
``arch_register_cpu``/``arch_unregister_cpu`` of ``arch/arm64/kernel/smp.c``.

``acpi_processor_add`` runs for each processor device the scan finds
present (ACPI0007 ``Device`` or ``Processor`` object):

1. the ACPI id: ``_UID`` of a Device ("Failed to evaluate processor _UID
   (0x%x)"), the ProcessorID of a Processor object;
2. a UID used twice in the namespace (``acpi_duplicate_processor_id``):
   "Failed to get unique processor _UID (0x%x)" and ``-ENODEV``;
3. UID -> MADT GICC -> logical CPU (``acpi_map_cpuid``); none: ``-ENODEV``;
4. a CPU already claimed by another device: "BIOS reported wrong ACPI id %d
   for the processor";
5. a *present* CPU goes through ``acpi_processor_make_enabled``: ``_STA``
   must say present and enabled (else ``-ENODEV``; an *online* CPU whose
   ``_STA`` says otherwise is "[Firmware Bug]: CPU %u is online, but
   described as not present or disabled!"), then ``arch_register_cpu``;
6. a CPU that is not present: Linux 6.11 on arm64 refuses ("Changing CPU
   present bit is not supported"); with the 2026 fix
   (``acpi_processor_make_present``) ``_STA`` must say present and enabled,
   the CPU becomes present and is registered: "CPU%d has been hot-added".

After an eject, ``acpi_processor_post_eject`` unregisters the CPU:
``arch_unregister_cpu`` re-reads ``_STA`` (6.11 refuses to drop a CPU whose
``_STA`` lost *present*), ``unregister_cpu`` clears it from ``enabled`` and
removes ``cpuN/``; with the 2026 fix ``acpi_unmap_cpu`` also clears
*present*.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vcpu_hotplug.acpi.aml.objects import Processor
from vcpu_hotplug.acpi.errors import AcpiError
from vcpu_hotplug.guest.errors import Errno
from vcpu_hotplug.guest.klog import LogLevel

if TYPE_CHECKING:
    from vcpu_hotplug.guest.acpi_scan import AcpiDevice
    from vcpu_hotplug.guest.kernel import Kernel

STA_PRESENT = 1 << 0
STA_ENABLED = 1 << 1
STA_SHOWN_IN_UI = 1 << 2
STA_FUNCTIONING = 1 << 3
STA_DEFAULT = STA_PRESENT | STA_ENABLED | STA_SHOWN_IN_UI | STA_FUNCTIONING
"""``_STA`` assumed when a device has none (ACPI 6.5 section 6.3.7)."""

UID_NOT_WELL_DEFINED = 0xFF
AE_NOT_FOUND = 0x0005
"""ACPICA status of a missing object (``include/acpi/acexcep.h``)."""
FW_BUG = "[Firmware Bug]: "


class ProcessorDriver:
    """``acpi_processor_handler`` (attach = add, post_eject)."""

    HID = "ACPI0007"

    def __init__(self, kernel: "Kernel") -> None:
        self.k = kernel
        self.duplicate_ids: set[int] = set()
        self.device_of_cpu: dict[int, "AcpiDevice"] = {}

    # UIDs -------------------------------------------------------------------

    def uid(self, adev: "AcpiDevice") -> int | None:
        """The processor's ACPI id, or None when ``_UID`` cannot be evaluated."""
        if isinstance(adev.obj, Processor):
            return adev.obj.proc_id
        try:
            value = self.k.acpi.evaluate(adev.path + "._UID", trace=False)
        except AcpiError:
            return None
        return value if isinstance(value, int) else None

    def check_duplicates(self, devices: list["AcpiDevice"]) -> None:
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

    def add(self, adev: "AcpiDevice") -> int:
        """``acpi_processor_add``: 1 when the device is now bound to a CPU, else a negative errno."""
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
        cpu = k.cpu_for_acpi_id(uid)
        if cpu is None:
            k.klog.debug(f"acpi {adev.name}: Failed to get CPU physical ID.")
            return -Errno.ENODEV
        other = self.device_of_cpu.get(cpu)
        if other is not None and other is not adev:
            k.klog.warn(f"acpi {adev.name}: BIOS reported wrong ACPI id {cpu} for the processor")
            return -Errno.ENODEV
        if cpu in k.present:
            err = self._make_enabled(adev, cpu)
        else:
            err = self._make_present(adev, cpu)
        if err:
            return err
        self.device_of_cpu[cpu] = adev
        adev.cpu = cpu
        k.klog.debug(f"processor {adev.name}: Processor [{cpu}:{uid}]")
        return 1

    def _sta(self, adev: "AcpiDevice") -> int | None:
        return self.k.acpi.status(adev)

    def _make_enabled(self, adev: "AcpiDevice", cpu: int) -> int:
        k = self.k
        sta = self._sta(adev)
        if sta is None:
            return -Errno.ENODEV
        present, enabled = bool(sta & STA_PRESENT), bool(sta & STA_ENABLED)
        if cpu in k.online and not (present and enabled):
            k.klog.once("online-but-disabled", LogLevel.ERR,
                        f"{FW_BUG}CPU {cpu} is online, but described as not present or disabled!")
        elif not (present and enabled):
            return -Errno.ENODEV
        return self.arch_register_cpu(cpu)

    def _make_present(self, adev: "AcpiDevice", cpu: int) -> int:
        k = self.k
        if not k.config.present_policy.sets_present_on_hot_add:
            k.klog.once("present-bit", LogLevel.ERR, "Changing CPU present bit is not supported")
            return -Errno.ENODEV
        sta = self._sta(adev)
        if sta is None or not (sta & STA_PRESENT and sta & STA_ENABLED):
            return -Errno.ENODEV
        k.present.set(cpu)
        err = self.arch_register_cpu(cpu)
        if err:
            k.present.clear(cpu)
            return err
        k.klog.info(f"CPU{cpu} has been hot-added")
        return 0

    def arch_register_cpu(self, cpu: int) -> int:
        """``arch_register_cpu`` (arm64): only present CPUs; then ``register_cpu``."""
        k = self.k
        if cpu not in k.present:
            k.klog.once("present-bit", LogLevel.ERR, "Changing CPU present bit is not supported")
            return -Errno.ENODEV
        return k.devices.register_cpu(cpu)

    # eject ------------------------------------------------------------------

    def post_eject(self, adev: "AcpiDevice") -> None:
        """``acpi_processor_post_eject``: unregister the CPU behind ``adev``."""
        k = self.k
        cpu = adev.cpu
        if cpu is None:
            return
        sta = self._sta(adev)
        if sta is None:
            return
        if (cpu in k.present and not sta & STA_PRESENT
                and not k.config.present_policy.sets_present_on_hot_add):
            k.klog.once("present-bit", LogLevel.ERR, "Changing CPU present bit is not supported")
            return
        k.devices.unregister_cpu(cpu)
        if k.config.present_policy.sets_present_on_hot_add:
            k.present.clear(cpu)
        self.device_of_cpu.pop(cpu, None)
        adev.cpu = None
