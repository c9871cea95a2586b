"""``_STA`` values (ACPI 6.5 section 6.3.7, ``_STA`` (Device Status)), each defined once.

The VMM's AML returns them (:mod:`vcpu_hotplug.vmm.dsdt`), the guest reads
them (:mod:`vcpu_hotplug.guest.acpi_utils`) and the checker judges them
(:mod:`vcpu_hotplug.check`).
"""

from __future__ import annotations

import enum


class DeviceStatus(enum.IntFlag):
    """The bits of a ``_STA`` result (section 6.3.7)."""

    PRESENT = 1 << 0
    ENABLED = 1 << 1
    """Enabled and decoding its resources."""
    SHOWN_IN_UI = 1 << 2
    FUNCTIONING = 1 << 3
    """Functioning properly."""
    BATTERY_PRESENT = 1 << 4


STA_DEFAULT = DeviceStatus.PRESENT | DeviceStatus.ENABLED | DeviceStatus.SHOWN_IN_UI | DeviceStatus.FUNCTIONING
"""The status OSPM assumes for a device that has no ``_STA`` (0x0F, section 6.3.7)."""


class ProcessorStatus(enum.IntEnum):
    """The ``_STA`` of a hotpluggable processor device (Linux ``Documentation/arch/arm64/cpu-hotplug.rst``).

    Always present: a vCPU firmware keeps disabled is present, shown and
    functioning but not enabled; never "not present".
    """

    ENABLED = int(STA_DEFAULT)
    """0x0F: the OS may register and use the CPU."""
    DISABLED = int(STA_DEFAULT & ~DeviceStatus.ENABLED)
    """0x0D: present and functioning, not enabled: the OS may not use it yet."""
