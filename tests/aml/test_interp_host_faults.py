"""The host/guest fault boundary: AML failures are AmlError, host faults stay themselves.

A region handler, a notify callback and the clock are host code. An exception
they raise is a host bug, not a firmware error: the evaluation must let it
through unchanged, so the host reports its own fault instead of the guest
seeing a failed method.
"""

from __future__ import annotations

import pytest

from vcpu_hotplug.acpi.aml import Interpreter, SparseStore
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.errors import AmlError


class HostBug(RuntimeError):
    pass


class FailingHandler(SparseStore):
    """A register block whose write path has a bug."""

    def write(self, space, address, size, value):
        raise HostBug(f"handler bug at {address:#x}")


def _table(module_level_write: bool = False) -> bytes:
    dsdt = b.DefinitionBlock("DSDT", revision=2)
    dsdt.operation_region("REGN", "SystemMemory", 0x1000, 0x10)
    dsdt.field("REGN", "ByteAcc", "NoLock", "Preserve", ("FLD0", 8))
    with dsdt.device("DEV0"):
        dsdt.name("_HID", "ACPI0007")
    with dsdt.method("WRIT", 0):
        dsdt.store(0x5A, "FLD0")
        dsdt.return_(1)
    with dsdt.method("NTFY", 0):
        dsdt.notify("DEV0", 0x80)
        dsdt.return_(1)
    with dsdt.method("DIV0", 0):
        dsdt.return_(b.Mod(1, 0))
    if module_level_write:
        dsdt.store(0x5A, "FLD0")
    return dsdt.encode()


def test_region_handler_runtime_error_propagates_out_of_a_field_write():
    interp = Interpreter(handler=FailingHandler())
    interp.load(_table())
    with pytest.raises(HostBug, match="handler bug at 0x1000"):
        interp.evaluate("\\WRIT")


def test_region_handler_runtime_error_propagates_out_of_a_load():
    interp = Interpreter(handler=FailingHandler())
    with pytest.raises(HostBug):
        interp.load(_table(module_level_write=True))
    assert interp.load_errors == []


def test_notify_callback_error_propagates():
    def on_notify(path, value):
        raise HostBug(f"observer bug on {path}")

    interp = Interpreter(notify=on_notify)
    interp.load(_table())
    with pytest.raises(HostBug, match="observer bug on .*DEV0"):
        interp.evaluate("\\NTFY")


def test_aml_failure_is_still_an_aml_error_naming_the_method():
    interp = Interpreter()
    interp.load(_table())
    with pytest.raises(AmlError, match="DIV0.*divide by zero"):
        interp.evaluate("\\DIV0")
