"""Notify values and ``_OST`` codes (ACPI 6.5 sections 5.6.6 and 6.3.5), each defined once.

The VMM's AML issues the Notify (:mod:`vcpu_hotplug.vmm.dsdt`) and its
register block receives the ``_OST`` (:mod:`vcpu_hotplug.vmm.cpuhp`); the
guest handles the one (:mod:`vcpu_hotplug.guest.acpi_scan`) and reports the
other; the hotplug-path reader names both (:mod:`vcpu_hotplug.story.hotplug_path`).
"""

from __future__ import annotations

import enum


class NotifyValue(enum.IntEnum):
    """Device object notification values that vCPU hotplug uses (section 5.6.6, "Device Object Notifications")."""

    BUS_CHECK = 0x00
    DEVICE_CHECK = 0x01
    DEVICE_WAKE = 0x02
    EJECT_REQUEST = 0x03


DEVICE_SPECIFIC_NOTIFY = 0x80
"""Values 0x80..0xFF mean what the device's class says (section 5.6.6)."""


class PowerButtonNotify(enum.IntEnum):
    """The power button's device-specific Notify value (section 5.6.6); Linux ``ACPI_BUTTON_NOTIFY_STATUS``."""

    STATUS_CHANGE = 0x80
    """The button was pressed."""


class OstEvent(enum.IntEnum):
    """``_OST`` source event codes (section 6.3.5): the Notify value processed, or an OSPM-initiated operation."""

    BUS_CHECK = NotifyValue.BUS_CHECK
    DEVICE_CHECK = NotifyValue.DEVICE_CHECK
    EJECT_REQUEST = NotifyValue.EJECT_REQUEST
    OSPM_EJECT = 0x103
    """Ejection processing the OS started (sysfs ``eject``); Linux ``ACPI_OST_EC_OSPM_EJECT``."""
    OSPM_INSERTION = 0x200
    """Insertion processing; Linux ``ACPI_OST_EC_OSPM_INSERTION``."""


class OstStatus(enum.IntEnum):
    """``_OST`` status codes (section 6.3.5): the general ones, then those of ejection (source 0x03 or 0x103)."""

    SUCCESS = 0x00
    NON_SPECIFIC_FAILURE = 0x01
    UNRECOGNIZED_NOTIFY = 0x02
    EJECT_NOT_SUPPORTED = 0x80
    DEVICE_IN_USE = 0x81
    DEVICE_BUSY = 0x82
    EJECT_DEPENDENCY_BUSY = 0x83
    EJECT_IN_PROGRESS = 0x84
