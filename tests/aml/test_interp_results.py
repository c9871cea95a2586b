"""What an evaluation gives back: typed results, uninitialized Package elements, errors not tracebacks.

ACPICA raises ``AE_AML_UNINITIALIZED_ELEMENT`` when an Index to a Package
element that was never stored is dereferenced (``exoparg1.c`` DerefOf,
``exresolv.c`` for an implicit dereference); reading the Package itself shows
the empty slot. :meth:`Interpreter.to_typed` types every value at every depth
(what ``vcpu-hotplug aml eval`` prints).
"""

from __future__ import annotations

import pytest

from vcpu_hotplug.acpi.aml import Interpreter
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.opcodes import Opcode
from vcpu_hotplug.acpi.errors import AmlError


def _loaded(*terms) -> Interpreter:
    block = b.DefinitionBlock("DSDT", revision=2, oem_id="VCPUHP", oem_table_id="RESULTS")
    block.add(*terms)
    interp = Interpreter()
    interp.load(block.encode())
    return interp


PKG = b.Name("PKG", b.Package(1, count=3))


def test_deref_of_a_never_stored_element_is_uninitialized_element():
    interp = _loaded(PKG, b.Method("MAIN", 0, b.Return(b.DerefOf(b.Index(b.NameRef("PKG"), 2)))))
    with pytest.raises(AmlError, match="AE_AML_UNINITIALIZED_ELEMENT") as info:
        interp.evaluate("\\MAIN")
    assert info.value.path == "\\MAIN" and info.value.offset is not None
    assert "element 2" in str(info.value)


def test_an_index_operand_of_a_never_stored_element_fails_too():
    # Index (...) written as the operand is resolved to the element (ACPICA exresolv.c) ...
    interp = _loaded(PKG, b.Method("MAIN", 0, b.Return(b.Add(b.Index(b.NameRef("PKG"), 1), 1))))
    with pytest.raises(AmlError, match="AE_AML_UNINITIALIZED_ELEMENT"):
        interp.evaluate("\\MAIN")
    # ... but a reference held in a Local is not dereferenced implicitly: ACPICA 20240827
    # answers AE_AML_OPERAND_TYPE (tests/data/acpica-20240827, pkg_implicit_deref_add).
    interp = _loaded(PKG, b.Method("MAIN", 0, b.Store(b.Index(b.NameRef("PKG"), 0), b.Local(1)),
                                   b.Return(b.Add(b.Local(1), 1))))
    with pytest.raises(AmlError, match="AE_AML_OPERAND_TYPE"):
        interp.evaluate("\\MAIN")


def test_a_stored_element_dereferences_and_the_package_shows_empty_slots():
    interp = _loaded(PKG, b.Method("MAIN", 0, b.Store(5, b.Index(b.NameRef("PKG"), 2)),
                                   b.Return(b.DerefOf(b.Index(b.NameRef("PKG"), 2)))))
    assert interp.evaluate("\\PKG") == [1, None, None]
    assert interp.evaluate("\\MAIN") == 5
    assert interp.evaluate_typed("\\PKG") == {"type": "Package", "value": [
        {"type": "Integer", "value": 1}, {"type": "Uninitialized", "value": None},
        {"type": "Integer", "value": 5}]}


def test_typed_results():
    interp = _loaded(PKG, b.Scope("\\_SB", b.Device("DEV0")),
                     b.Method("REF", 0, b.Return(b.RefOf("\\_SB.DEV0"))),
                     b.Method("BYTE", 0, b.Return(b.Index(b.Buffer(b"\x07\x08"), 1))),
                     b.Method("NONE", 0, b.Store(1, b.Local(0))))
    assert interp.evaluate_typed("\\REF") == {"type": "Reference", "value": "\\_SB.DEV0"}
    assert interp.evaluate_typed("\\BYTE") == {"type": "Reference", "value": {"type": "Integer", "value": 8}}
    assert interp.evaluate_typed("\\NONE") == {"type": "None", "value": None}
    assert interp.evaluate_typed("\\_SB.DEV0") == {"type": "Device", "value": "\\_SB.DEV0"}
    assert interp.evaluate_typed("\\_OS") == {"type": "String", "value": "Microsoft Windows NT"}


@pytest.mark.parametrize("body", [
    b.Raw(bytes([Opcode.INCREMENT, 0x00])),                     # Increment (NullName)
    b.Return(b.Package(b.Raw(b"\x08XXXX\x01"))),                # a Name () term as a Package element
], ids=["increment-nullname", "name-in-package"])
def test_former_internal_errors_are_aml_errors_with_path_and_offset(body):
    interp = _loaded(b.Method("MAIN", 0, body, b.Return(1)))
    with pytest.raises(AmlError) as info:
        interp.evaluate("\\MAIN")
    assert info.value.path == "\\MAIN" and info.value.offset is not None and info.value.table == "DSDT"
