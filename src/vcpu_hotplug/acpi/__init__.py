"""The ACPI layer: table layouts and the AML engine. Knows the ACPI 6.5 specification only."""

from vcpu_hotplug.acpi.errors import AcpiError, AmlError, TableError

__all__ = ["AcpiError", "AmlError", "TableError"]
