"""vcpu-hotplug: virtual CPU hotplug for arm64 virtual machines, end to end.

Layers (dependencies only point down, see ../shared/DESIGN.md section 2):

- ``acpi``: the ACPI specification only (tables, AML);
- ``hw``: the hardware boundary (memory, MMIO, interrupts, hypercalls, clock, trace);
- ``vmm``: the VMM that plays firmware;
- ``guest``: a model of Linux arm64 (6.11 and later);
- top level: wiring, QMP, CLI, checker.

``vmm`` and ``guest`` never import each other.
"""

__version__ = "0.1.0"
