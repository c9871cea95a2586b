"""The AML engine (ACPI 6.5 chapters 19 and 20): parser, interpreter, builder.

Public interpreter API::

    from vcpu_hotplug.acpi.aml import Interpreter, load_tables, RegionSpace, RegionHandler

    interp = load_tables([dsdt, ssdt], handler=bus, notify=callback, clock=clock)
    interp.evaluate("\\\\_SB.CPUS.C001._STA")
"""

from vcpu_hotplug.acpi.aml.clock import Clock, SimpleClock
from vcpu_hotplug.acpi.aml.interpreter import Interpreter, load_tables
from vcpu_hotplug.acpi.aml.regions import (
    RecordingHandler,
    RegionAccess,
    RegionHandler,
    RegionSpace,
    SparseStore,
)
from vcpu_hotplug.acpi.aml.semantics import AmlSemantics
from vcpu_hotplug.acpi.errors import AmlError

__all__ = [
    "AmlError",
    "AmlSemantics",
    "Clock",
    "Interpreter",
    "RecordingHandler",
    "RegionAccess",
    "RegionHandler",
    "RegionSpace",
    "SimpleClock",
    "SparseStore",
    "load_tables",
]
