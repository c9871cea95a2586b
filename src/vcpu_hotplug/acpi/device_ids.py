"""Hardware ids (``_HID``) of the devices vCPU hotplug involves, each defined once (ACPI 6.5 section 6.1.5, ``_HID``).

The VMM writes them into its DSDT (:mod:`vcpu_hotplug.vmm.dsdt`), the
guest's ACPI scan binds drivers by them (:mod:`vcpu_hotplug.guest.acpi_scan`),
and the checker looks devices up by them (:mod:`vcpu_hotplug.check.aml_facts`).
"""

from __future__ import annotations

PROCESSOR_HID = "ACPI0007"
"""Processor Device (ACPI 6.5 section 8.4, "Declaring Processors"); Linux ``ACPI_PROCESSOR_DEVICE_HID``."""

GED_HID = "ACPI0013"
"""Generic Event Device (ACPI 6.5 section 5.6.9)."""

POWER_BUTTON_HID = "PNP0C0C"
"""Power Button Device (ACPI 6.5 section 4.8.2.2.1.3); Linux ``ACPI_BUTTON_HID_POWER``."""

CONTAINER_HID = "PNP0A06"
"""Generic Container Device (Linux ``drivers/acpi/container.c``); QEMU's CPU hotplug resources device uses it."""

PL011_UART_HID = "ARMH0011"
"""Arm PL011 UART, the ACPI id Arm assigns it (Linux ``drivers/tty/serial/amba-pl011.c``)."""
