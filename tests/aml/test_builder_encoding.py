"""Builder primitives against the AML grammar (ACPI 6.5 section 20.2): PkgLength, NameString, integers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.eisaid import eisa_id, eisa_id_text, hardware_id
from vcpu_hotplug.acpi.aml.encoding import field_length, name_string, pkg_length
from vcpu_hotplug.acpi.aml.opcodes import decode_name_string, decode_pkg_length
from vcpu_hotplug.acpi.aml.parser import parse_definition_block
from vcpu_hotplug.acpi.aml.resources import Interrupt, Memory32Fixed, ResourceTemplate
from vcpu_hotplug.acpi.aml.tree import Integer, Name
from vcpu_hotplug.acpi.errors import AmlError

# ---------------------------------------------------------------------------
# PkgLength: the encoded value counts its own bytes; 1 byte up to 63, then
# 2 bytes up to 2**12 - 1, 3 bytes up to 2**20 - 1, 4 bytes up to 2**28 - 1.
# ---------------------------------------------------------------------------

# (body length, PkgLength bytes the spec requires for it)
PKG_BOUNDARIES = [
    (0, 1), (62, 1), (63, 2), (64, 2),
    (4093, 2), (4094, 3), (4095, 3), (4096, 3),
    (1048572, 3), (1048573, 4), (1048575, 4), (1048576, 4),
]


@pytest.mark.parametrize(("body", "size"), PKG_BOUNDARIES)
def test_pkg_length_uses_the_smallest_form_that_fits(body, size):
    encoded = pkg_length(body)
    assert len(encoded) == size
    length, end = decode_pkg_length(encoded + bytes(body), 0)
    assert end == size
    assert length == body + size  # the PkgLength counts itself


@pytest.mark.parametrize(("body", "size"), [(63, 2), (64, 2), (4095, 3), (4096, 3)])
def test_scope_with_a_body_at_a_boundary_parses_back(body, size):
    """A Scope whose body is exactly ``body`` bytes: the parser must find every name after it."""
    names = []
    terms = []
    used = 0
    # Fill with Name(Nxxx, ByteConst) terms of 7 bytes and finish with a padding buffer.
    while body - used > 40:
        name = f"N{len(names):03X}"
        names.append(name)
        terms.append(b.Name(name, 0x80))
        used += 7
    head = len(name_string("\\_SB"))
    filler = body - used - head
    # Name(FILL, Buffer(n){...}) takes 5 + 1 (0x11) + pkg + size term + data bytes
    for data_len in range(filler, -1, -1):
        buf = b.Name("FILL", b.Buffer(bytes(data_len)))
        if len(buf.encode()) == filler:
            terms.append(buf)
            break
    scope = b.Scope("\\_SB", *terms)
    encoded = scope.encode()
    assert len(encoded) == 1 + size + body
    dsdt = b.DefinitionBlock("SSDT")
    dsdt.add(scope, b.Name("LAST", 5))
    tree = parse_definition_block(dsdt.encode())
    assert "\\_SB_.FILL" in tree.objects and "\\LAST" in tree.objects


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=(1 << 28) - 5))
def test_pkg_length_round_trips_and_is_minimal(body):
    encoded = pkg_length(body)
    length, end = decode_pkg_length(encoded, 0)
    assert length == body + len(encoded)
    if len(encoded) > 1:
        assert body + len(encoded) - 1 > (63 if len(encoded) == 2 else (1 << (4 + 8 * (len(encoded) - 2))) - 1)


def test_pkg_length_rejects_too_long():
    with pytest.raises(AmlError, match="too long"):
        pkg_length(1 << 28)


@pytest.mark.parametrize(("bits", "expected"), [
    (1, b"\x01"), (62, b"\x3e"), (63, b"\x4f\x03"), (64, b"\x40\x04"), (100, b"\x44\x06"),
    (4093, b"\x4d\xff"), (4094, b"\x8e\xff\x00"), (5000, b"\x88\x38\x01"),
])
def test_field_lengths_store_the_value_but_size_like_a_pkg_length(bits, expected):
    # bytes iasl 20200925 emits for "X, <bits>" in a field list: 63 bits already take two bytes
    assert field_length(bits) == expected
    assert decode_pkg_length(expected, 0) == (bits, len(expected))


# ---------------------------------------------------------------------------
# NameString
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "encoded"), [
    ("GED", b"GED_"),
    ("_SB", b"_SB_"),
    ("C001", b"C001"),
    ("\\", b"\\\x00"),
    ("\\_SB", b"\\_SB_"),
    ("\\_SB.GED", b"\\\x2e_SB_GED_"),
    ("\\_SB.PRES.CSEL", b"\\\x2f\x03_SB_PRESCSEL"),
    ("^CSTA", b"^CSTA"),
    ("^^A.B", b"^^\x2eA___B___"),
    ("A.B.C.D.E", b"\x2f\x05" + b"A___B___C___D___E___"),
])
def test_name_string_forms(text, encoded):
    assert name_string(text) == encoded
    decoded, end = decode_name_string(encoded, 0)
    assert end == len(encoded)


@settings(max_examples=100, deadline=None)
@given(prefix=st.sampled_from(["", "\\", "^", "^^^"]),
       segs=st.lists(st.from_regex(r"[A-Z_][A-Z0-9_]{0,3}", fullmatch=True), min_size=1, max_size=6))
def test_name_strings_decode_to_the_padded_path(prefix, segs):
    text = prefix + ".".join(segs)
    name, end = decode_name_string(name_string(text), 0)
    assert str(name) == prefix + ".".join(s.ljust(4, "_") for s in segs)


@pytest.mark.parametrize(("bad", "why"), [
    ("", "not a name"), ("ABCDE", "1 to 4"), ("1ABC", "start with"), ("ab", "start with"),
    ("A-B", "invalid character"), ("\\_SB..X", "1 to 4"), ("^\\X", "start with"),
])
def test_bad_names_are_rejected_naming_the_problem(bad, why):
    with pytest.raises(AmlError, match=why):
        b.Device(bad)


def test_bad_name_error_names_the_object_kind():
    with pytest.raises(AmlError, match=r"Method.*'_ST-'"):
        b.Method("_ST-", 0)
    with pytest.raises(AmlError, match=r"field unit.*'TOOLONG'"):
        b.Field("REG0", "ByteAcc", "NoLock", "Preserve", ("TOOLONG", 8))


# ---------------------------------------------------------------------------
# Integers (iasl's choice: Zero, One, Ones, then the smallest prefix)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "encoded"), [
    (0, b"\x00"), (1, b"\x01"), (2, b"\x0a\x02"), (0xFF, b"\x0a\xff"), (0x100, b"\x0b\x00\x01"),
    (0xFFFF, b"\x0b\xff\xff"), (0x10000, b"\x0c\x00\x00\x01\x00"),
    (0xFFFFFFFF, b"\x0c\xff\xff\xff\xff"), (0x100000000, b"\x0e" + (1 << 32).to_bytes(8, "little")),
    (0xFFFFFFFFFFFFFFFF, b"\xff"),
])
def test_integer_encoding_in_a_64_bit_block(value, encoded):
    # the bytes iasl 20200925 emits for Name (Ixx, value) in a revision 2 table
    assert b.Integer(value).encode() == encoded


def test_revision_1_blocks_have_32_bit_integers():
    dsdt = b.DefinitionBlock("DSDT", revision=1)
    dsdt.name("ONES", 0xFFFFFFFF)
    assert dsdt.body() == b"\x08ONES\xff"
    dsdt.name("BIG_", 0x100000000)
    with pytest.raises(AmlError, match="32-bit"):
        dsdt.encode()


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
def test_integers_parse_back_to_their_value_with_the_smallest_encoding(value):
    dsdt = b.DefinitionBlock("SSDT")
    dsdt.name("VAL", value)
    (term,) = parse_definition_block(dsdt.encode()).body
    assert isinstance(term, Name) and isinstance(term.value, Integer)
    assert term.value.value == value
    size = term.value.data_size
    if value in (0, 1, (1 << 64) - 1):
        assert size == 0
    else:
        assert value < 1 << (8 * size) and (size == 1 or value >= 1 << (4 * size))


@pytest.mark.parametrize("bad", [-1, 1 << 64, True, 1.5])
def test_bad_integers_are_rejected(bad):
    with pytest.raises(AmlError):
        b.Name("X", bad).encode()


# ---------------------------------------------------------------------------
# Ids and resource templates
# ---------------------------------------------------------------------------

def test_eisa_id_matches_iasl_and_round_trips():
    assert eisa_id("PNP0A06") == 0x060AD041  # iasl: 0C 41 D0 0A 06
    assert eisa_id("PNP0A05") == 0x050AD041
    assert eisa_id_text(0x060AD041) == "PNP0A06"
    assert hardware_id("ACPI0007").encode() == b"\x0dACPI0007\x00"
    assert hardware_id("PNP0A06").encode() == b"\x0c\x41\xd0\x0a\x06"
    with pytest.raises(AmlError, match="EisaId"):
        eisa_id("pnp0a06")
    with pytest.raises(AmlError, match="neither"):
        hardware_id("ACPI007")


def test_resource_template_bytes_match_iasl():
    # iasl 20200925: ResourceTemplate () { Memory32Fixed (ReadWrite, 0x090C0000, 0x0C)
    #   Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) {0x29} }
    expected = bytes.fromhex("111a0a17" "8609000100000c090c000000" "890600030129000000" "7900")
    got = ResourceTemplate(Memory32Fixed(0x090C0000, 0x0C), Interrupt([0x29])).encode()
    assert got == expected


def test_resource_template_checksum_makes_the_template_sum_to_zero():
    template = ResourceTemplate(Interrupt([0x29, 0x2A], edge=False, active_high=False, shared=True),
                                checksum=True).encode()
    data = template[template.index(b"\x89"):]  # after the Buffer op, PkgLength and size
    assert data[-2] == 0x79 and sum(data) % 256 == 0
    assert data[3] == 0x01 | 0x04 | 0x08  # consumer, active-low, shared; level-triggered


def test_else_without_if_is_an_error():
    dsdt = b.DefinitionBlock()
    with dsdt.method("MTHD", 0):
        dsdt.store(1, b.Local0)
        with pytest.raises(AmlError, match="Else"):
            with dsdt.else_():
                pass


def test_field_offset_backwards_is_an_error():
    field = b.Field("REG0", "ByteAcc", "NoLock", "Preserve", ("AAAA", 16), b.Offset(1))
    with pytest.raises(AmlError, match="backwards"):
        field.encode()


def test_a_python_value_is_not_a_statement():
    with pytest.raises(AmlError, match="not a term"):
        b.Method("MTHD", 0, 5)


def test_encoding_while_a_scope_is_open_is_an_error():
    dsdt = b.DefinitionBlock()
    with dsdt.scope("\\_SB"):
        with pytest.raises(AmlError, match="still open"):
            dsdt.encode()


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"[A-Z]{3}[0-9A-F]{4}", fullmatch=True))
def test_eisa_ids_round_trip(text):
    value = eisa_id(text)
    assert 0 <= value <= 0xFFFFFFFF
    assert eisa_id_text(value) == text
