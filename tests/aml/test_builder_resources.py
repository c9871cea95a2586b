"""Resource templates: built descriptors split back into items, and the printer names them (ACPI 6.5 section 6.4)."""

from __future__ import annotations

from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.asl import disassemble
from vcpu_hotplug.acpi.aml.resource_items import LargeItem, SmallItem, describe_item, split_resource_template
from vcpu_hotplug.acpi.aml.resources import Interrupt, Memory32Fixed, resource_template_bytes


def test_built_template_splits_into_its_descriptors():
    data = resource_template_bytes(Memory32Fixed(0x090C0000, 0x0C), Interrupt([0x29, 0x2A], edge=False))
    items = split_resource_template(data)
    assert [(i.large, i.name) for i in items] == [(True, LargeItem.MEMORY32_FIXED),
                                                   (True, LargeItem.EXTENDED_INTERRUPT),
                                                   (False, SmallItem.END_TAG)]
    assert [describe_item(i) for i in items] == [
        "Memory32Fixed (ReadWrite, 0x090C0000, 0x0000000C)",
        "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) {0x00000029, 0x0000002A}",
        "EndTag",
    ]
    assert b"".join(i.data for i in items) == data


def test_not_a_template():
    assert split_resource_template(b"\x01\x02\x03") is None
    assert split_resource_template(b"\x79\x00\x00") is None          # bytes after the End Tag
    assert split_resource_template(b"\x89\x06\x00\x03") is None      # truncated large item
    assert split_resource_template(b"\x86\x09\x00" + bytes(9)) is None  # no End Tag


def test_printer_comments_each_descriptor_and_keeps_the_bytes():
    dsdt = b.DefinitionBlock("SSDT")
    dsdt.name("_CRS", b.Buffer(resource_template_bytes(Interrupt([0x29]))))
    text = disassemble(dsdt.encode())
    assert "Buffer (0x0B)  // ResourceTemplate" in text
    assert "// Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) {0x00000029}" in text
    assert "/* 0009 */  0x79, 0x00" in text
