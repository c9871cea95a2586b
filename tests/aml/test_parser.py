"""AML parser on hand-encoded definition blocks (ACPI 6.5 section 20.2)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vcpu_hotplug.acpi.aml import tree as T
from vcpu_hotplug.acpi.aml.opcodes import (
    PKG_LENGTH_MAX,
    NameString,
    Opcode,
    decode_name_string,
    decode_pkg_length,
    encode_pkg_length,
)
from vcpu_hotplug.acpi.aml.parser import parse_definition_block, parse_method_body, parse_term_list
from vcpu_hotplug.acpi.errors import AmlError

# -- a tiny AML encoder for the tests ---------------------------------------


def ns(text: str) -> bytes:
    return NameString.parse(text).encode()


def pkg(op: Opcode, *parts: bytes) -> bytes:
    content = b"".join(parts)
    return op.encoding + encode_pkg_length(len(content)) + content


def byte(v: int) -> bytes:
    return Opcode.BYTE_PREFIX.encoding + bytes((v,))


def dword(v: int) -> bytes:
    return Opcode.DWORD_PREFIX.encoding + v.to_bytes(4, "little")


def string(s: str) -> bytes:
    return Opcode.STRING_PREFIX.encoding + s.encode() + b"\0"


def scope(name: str, *body: bytes) -> bytes:
    return pkg(Opcode.SCOPE, ns(name), *body)


def device(name: str, *body: bytes) -> bytes:
    return pkg(Opcode.DEVICE, ns(name), *body)


def method(name: str, argc: int, *body: bytes, flags: int = 0) -> bytes:
    return pkg(Opcode.METHOD, ns(name), bytes((argc | flags,)), *body)


def ret(value: bytes) -> bytes:
    return Opcode.RETURN.encoding + value


def name_op(name: str, value: bytes) -> bytes:
    return Opcode.NAME.encoding + ns(name) + value


def block(*body: bytes, signature: bytes = b"DSDT", revision: int = 2) -> bytes:
    aml = b"".join(body)
    header = struct.pack("<4sIBB6s8sI4sI", signature, 36 + len(aml), revision, 0,
                         b"VCPUHP", b"TESTTBL ", 1, b"TEST", 1)
    return header + aml


def only(nodes: list[T.Node], cls: type) -> list:
    return [n for n in nodes if isinstance(n, cls)]


def find(root: T.Node, cls: type, path: str | None = None) -> list:
    return [n for n in T.walk(root) if isinstance(n, cls) and (path is None or n.path == path)]


# -- PkgLength and NameString -------------------------------------------------


def test_pkg_length_uses_the_smallest_encoding_that_holds_its_own_bytes() -> None:
    # Section 20.2.4: one byte holds 0-63; bits 7-6 count the following bytes.
    assert encode_pkg_length(62) == bytes((63,))
    assert encode_pkg_length(63) == bytes((0x41, 0x04))  # 63 + 2 bytes = 65 = 0x041
    assert len(encode_pkg_length(4093)) == 2 and len(encode_pkg_length(4094)) == 3
    assert len(encode_pkg_length(PKG_LENGTH_MAX - 4)) == 4
    with pytest.raises(AmlError, match="too long"):
        encode_pkg_length(PKG_LENGTH_MAX)


@given(st.integers(0, PKG_LENGTH_MAX - 4))
def test_pkg_length_round_trips(content: int) -> None:
    enc = encode_pkg_length(content)
    length, end = decode_pkg_length(enc, 0)
    assert end == len(enc)
    assert length == content + len(enc)


def test_name_strings_decode_with_their_prefixes() -> None:
    assert decode_name_string(b"\\\x00", 0) == (NameString(True, 0, ()), 2)
    assert decode_name_string(b"^^FOO_", 0) == (NameString(False, 2, ("FOO_",)), 6)
    assert decode_name_string(b"\x2eAB__CD__", 0)[0].segments == ("AB__", "CD__")
    name, end = decode_name_string(b"\\\x2f\x03_SB_PCI0S00_", 0)
    assert str(name) == "\\_SB_.PCI0.S00_" and end == 15
    assert NameString.parse("\\_SB.PCI0").encode() == b"\\\x2e_SB_PCI0"


@pytest.mark.parametrize("raw", [b"1ABC", b"AB", b"\x2eABCD", b"\x2f", b"\x2f\x00", b"AbCD", b"\\"])
def test_bad_or_truncated_name_strings_are_aml_errors(raw: bytes) -> None:
    with pytest.raises(AmlError):
        decode_name_string(raw, 0)


# -- definition blocks ---------------------------------------------------------


def test_header_is_decoded_and_offsets_count_from_the_table_start() -> None:
    data = block(name_op("FOO", byte(5)), revision=1)
    blk = parse_definition_block(data)
    assert blk.header.signature == "DSDT" and blk.header.length == len(data)
    assert blk.header.oem_table_id == "TESTTBL " and blk.integer_width == 32
    (name,) = blk.body
    assert isinstance(name, T.Name) and name.path == "\\FOO_"
    assert (name.offset, name.length) == (36, 7)
    assert isinstance(name.value, T.Integer) and name.value.value == 5
    assert name.value.offset == 41 and name.value.data_size == 1
    assert blk.objects == {"\\FOO_": None}


def test_integer_constants_keep_their_encoding() -> None:
    terms = parse_term_list(b"\x00\x01\xff" + byte(7) + b"\x0b\x34\x12" + dword(0x090C0000)
                            + b"\x0e" + (1 << 40).to_bytes(8, "little"))
    assert [(t.opcode, t.value) for t in terms] == [
        (Opcode.ZERO, 0), (Opcode.ONE, 1), (Opcode.ONES, (1 << 64) - 1),
        (Opcode.BYTE_PREFIX, 7), (Opcode.WORD_PREFIX, 0x1234), (Opcode.DWORD_PREFIX, 0x090C0000),
        (Opcode.QWORD_PREFIX, 1 << 40)]


def test_buffer_package_and_string_literals() -> None:
    buf = pkg(Opcode.BUFFER, byte(8), b"\x01\x02\x03")
    package = pkg(Opcode.PACKAGE, b"\x03", string("abc"), ns("\\_SB.FOO"), buf)
    (p,) = parse_term_list(package)
    assert isinstance(p, T.Package) and p.count == 3 and p.opcode is Opcode.PACKAGE
    s, ref, b = p.elements
    assert isinstance(s, T.String) and s.value == "abc"
    assert isinstance(ref, T.NameRef) and str(ref.name) == "\\_SB_.FOO_"
    assert isinstance(b, T.Buffer) and b.data == b"\x01\x02\x03" and b.size.value == 8
    assert b.end == p.end
    var = pkg(Opcode.VAR_PACKAGE, Opcode.ARG0.encoding, Opcode.ONE.encoding)
    (vp,) = parse_term_list(var)
    assert vp.opcode is Opcode.VAR_PACKAGE and isinstance(vp.count, T.Op)
    assert vp.count.opcode is Opcode.ARG0 and len(vp.elements) == 1


def test_method_called_before_its_definition_takes_its_arguments() -> None:
    # CALR returns FOO(1, 2); FOO is defined after CALR (a forward reference).
    call = ns("FOO") + Opcode.ONE.encoding + byte(2)
    data = block(scope("\\_SB", method("CALR", 0, ret(call)), method("FOO", 2, ret(b"\x68"))))
    blk = parse_definition_block(data)
    (calr,) = find(blk, T.Method, "\\_SB_.CALR")
    (r,) = calr.body
    assert isinstance(r, T.Op) and r.opcode is Opcode.RETURN and r.end == calr.end
    (c,) = r.args
    assert isinstance(c, T.MethodCall) and c.path == "\\_SB_.FOO_"
    assert [a.value for a in c.args] == [1, 2]
    assert blk.methods == {"\\_SB_.CALR": 0, "\\_SB_.FOO_": 2}


def test_unknown_name_is_a_reference_and_later_bytes_are_separate_terms() -> None:
    body = method("CALR", 0, ns("XYZ") + Opcode.ONE.encoding + byte(2))
    blk = parse_definition_block(block(body))
    (m,) = blk.body
    assert [type(t) for t in m.body] == [T.NameRef, T.Integer, T.Integer]


def test_an_ssdt_sees_the_methods_of_the_dsdt_loaded_before() -> None:
    dsdt = parse_definition_block(block(scope("\\_SB", method("FOO", 2, ret(b"\x68")))))
    ssdt_aml = block(method("BAR", 0, ret(ns("\\_SB.FOO") + b"\x01\x01")), signature=b"SSDT")
    alone = parse_definition_block(ssdt_aml)
    assert not find(alone, T.MethodCall)
    loaded = parse_definition_block(ssdt_aml, known=dsdt.objects)
    (call,) = find(loaded, T.MethodCall)
    assert call.path == "\\_SB_.FOO_" and len(call.args) == 2
    assert loaded.header.signature == "SSDT" and loaded.methods == {"\\BAR_": 0}


def test_single_segment_names_search_upwards_and_the_nearest_object_wins() -> None:
    # \FOO is a method of 1 argument; \_SB.DEV has its own FOO, an integer.
    data = block(
        method("FOO", 1, ret(b"\x68")),
        scope("\\_SB",
              device("DEV", name_op("FOO", byte(1)), method("M1", 0, ret(ns("FOO") + b"\x0a\x07"))),
              device("OTH", method("M2", 0, ret(ns("FOO") + b"\x0a\x07")))),
    )
    blk = parse_definition_block(data)
    (m1,) = find(blk, T.Method, "\\_SB_.DEV_.M1__")
    assert isinstance(m1.body[0].args[0], T.NameRef)      # the Name hides the root method
    assert isinstance(m1.body[1], T.Integer)              # so 0x07 is a term of its own
    (m2,) = find(blk, T.Method, "\\_SB_.OTH_.M2__")
    (call,) = find(m2, T.MethodCall)
    assert call.path == "\\FOO_" and call.args[0].value == 7


def test_scope_with_a_single_nameseg_reopens_the_object_found_upwards() -> None:
    # QEMU's arm64 DSDT opens Scope (_SB) inside Scope (\_SB); iasl then names the devices in it
    # relative to that scope. ACPICA looks the Scope's NameSeg up with search-to-root, so the
    # inner scope *is* \_SB and the method is \_SB.CPUS.CSCN (one argument here).
    data = block(
        scope("\\_SB",
              scope("_SB", device("CPUS", method("CSCN", 1, ret(b"\x68")))),
              method("MAIN", 0, ret(ns("\\_SB.CPUS.CSCN") + b"\x0a\x05"))),
    )
    blk = parse_definition_block(data)
    (inner,) = [s for s in find(blk, T.Scope) if s.name.segments == ("_SB_",) and not s.name.root]
    assert inner.path == "\\_SB_"
    assert [d.path for d in find(blk, T.Device)] == ["\\_SB_.CPUS"]
    assert "\\_SB_.CPUS.CSCN" in blk.objects
    (call,) = find(blk, T.MethodCall)
    assert call.path == "\\_SB_.CPUS.CSCN" and call.args[0].value == 5


def test_supernames_may_be_method_calls_but_not_under_refof_condrefof_objecttype() -> None:
    # As ACPICA's AcpiPsGetNextArg: Release (M000 (2)) calls M000; RefOf (M000) does not.
    release = Opcode.RELEASE.encoding + ns("M000") + byte(2)
    refof = Opcode.REF_OF.encoding + ns("M000") + byte(3)      # RefOf (M000), then 3 on its own
    objtype = Opcode.OBJECT_TYPE.encoding + ns("M000")
    condref = Opcode.COND_REF_OF.encoding + ns("M000") + b"\x60"
    copy = Opcode.COPY_OBJECT.encoding + b"\x01" + ns("M000")  # SimpleName: never a call
    store = Opcode.STORE.encoding + b"\x60" + b"\x00"          # NullName destination
    data = block(method("M000", 1, ret(b"\x68")),
                 method("BAR", 0, release, refof, objtype, condref, copy, store))
    (bar,) = find(parse_definition_block(data), T.Method, "\\BAR_")
    rel, ref, three, ot, cr, cp, st_ = bar.body
    assert isinstance(rel.args[0], T.MethodCall) and rel.args[0].args[0].value == 2
    assert isinstance(ref.args[0], T.NameRef) and three.value == 3
    assert isinstance(ot.args[0], T.NameRef) and isinstance(cr.args[0], T.NameRef)
    assert cr.args[1].opcode is Opcode.LOCAL0
    assert isinstance(cp.args[1], T.NameRef) and st_.args[1] is None


def test_external_method_declares_an_argument_count() -> None:
    ext = Opcode.EXTERNAL.encoding + ns("\\_SB.EXT") + bytes((8, 3))
    data = block(ext, method("BAR", 0, ns("\\_SB.EXT") + b"\x01\x01\x01"))
    blk = parse_definition_block(data)
    (e,) = blk.body[:1]
    assert isinstance(e, T.External) and e.object_type == 8 and e.arg_count == 3
    (call,) = find(blk, T.MethodCall)
    assert len(call.args) == 3
    assert "\\_SB_.EXT_" not in blk.objects


def test_lnot_combined_opcodes_and_omitted_targets() -> None:
    lne = b"\x92\x93\x68\x01"                     # LNotEqual (Arg0, One)
    divide = b"\x78\x68\x0a\x03\x00\x61"         # Divide (Arg0, 3, , Local1)
    lnot = b"\x92\x68"                            # LNot (Arg0)
    t1, t2, t3 = parse_term_list(lne + divide + lnot)
    assert t1.opcode is Opcode.LNOT_EQUAL and len(t1.args) == 2
    assert t2.opcode is Opcode.DIVIDE and t2.args[2] is None and t2.args[3].opcode is Opcode.LOCAL1
    assert t3.opcode is Opcode.LNOT and t3.args[0].opcode is Opcode.ARG0


def test_if_else_while_keep_else_as_the_next_term() -> None:
    body = (pkg(Opcode.IF, b"\x68", ret(b"\x01")) + pkg(Opcode.ELSE, ret(b"\x00"))
            + pkg(Opcode.WHILE, b"\x60", b"\xa5"))
    blk = parse_definition_block(block(method("M", 1, body)))
    i, e, w = blk.body[0].body
    assert isinstance(i, T.If) and isinstance(e, T.Else) and isinstance(w, T.While)
    assert i.end == e.offset and i.body[0].args[0].value == 1
    assert w.body[0].opcode is Opcode.BREAK


def test_method_flags() -> None:
    blk = parse_definition_block(block(method("M", 3, flags=0x08 | (5 << 4))))
    (m,) = blk.body
    assert (m.arg_count, m.serialized, m.sync_level) == (3, True, 5)


def test_region_and_field_elements_with_bit_offsets() -> None:
    region = (Opcode.OPERATION_REGION.encoding + ns("PRST") + b"\x00" + dword(0x090C0000)
              + byte(0x0C))
    elements = (b"\x00\x10"                      # Offset (2): 16 reserved bits
                + b"FLG_\x08"                    # FLG_, 8
                + b"\x00\x04"                    # , 4
                + b"CPEN\x01" + b"CINS\x03"      # CPEN, 1 / CINS, 3
                + b"\x01\x02\x00"                # AccessAs (WordAcc)
                + b"CSEL\x20"                    # CSEL, 32
                + b"\x02" + ns("\\_SB.GPIO"))    # Connection (\_SB.GPIO)
    field = pkg(Opcode.FIELD, ns("PRST"), b"\x41", elements)  # ByteAcc, NoLock, WriteAsZeros
    blk = parse_definition_block(block(scope("\\_SB", region, field)))
    (r,) = find(blk, T.OperationRegion)
    assert r.path == "\\_SB_.PRST" and r.space == 0
    assert r.region_offset.value == 0x090C0000 and r.region_length.value == 12
    (f,) = find(blk, T.Field)
    assert str(f.region) == "PRST" and f.field_flags.access == 1 and f.field_flags.update == 2
    named = {e.name: (e.bit_offset, e.bit_width) for e in f.elements if isinstance(e, T.NamedField)}
    assert named == {"FLG_": (16, 8), "CPEN": (28, 1), "CINS": (29, 3), "CSEL": (32, 32)}
    (acc,) = only(f.elements, T.AccessAs)
    assert acc.access == 2 and acc.access_length is None
    (conn,) = only(f.elements, T.Connection)
    assert str(conn.name) == "\\_SB_.GPIO" and conn.end == f.end
    assert "\\_SB_.CSEL" in blk.objects


def test_index_and_bank_fields() -> None:
    idx = pkg(Opcode.INDEX_FIELD, ns("IDX"), ns("DAT"), b"\x01", b"REG0\x08")
    bank = pkg(Opcode.BANK_FIELD, ns("REGN"), ns("BNK"), byte(2), b"\x01", b"\x03\x03\x04\x02REG1\x10")
    i, b = parse_term_list(idx + bank)
    assert isinstance(i, T.IndexField) and str(i.data_name) == "DAT_"
    assert isinstance(b, T.BankField) and b.bank_value.value == 2
    acc, reg = b.elements
    assert acc.access_length == 2 and reg.bit_width == 16


def test_create_field_and_named_objects() -> None:
    terms = (Opcode.CREATE_DWORD_FIELD.encoding + b"\x68\x0a\x04" + ns("CDW2")
             + Opcode.CREATE_FIELD.encoding + b"\x68\x0a\x04\x0a\x03" + ns("BITS")
             + Opcode.MUTEX.encoding + ns("MTX") + b"\x07"
             + Opcode.EVENT.encoding + ns("EVT")
             + Opcode.ALIAS.encoding + ns("MTX") + ns("MTXA")
             + pkg(Opcode.PROCESSOR, ns("CPU0"), b"\x01", (0x120).to_bytes(4, "little"), b"\x06")
             + pkg(Opcode.POWER_RES, ns("PWR"), b"\x00", b"\x01\x00"))
    c1, c2, mtx, evt, alias, cpu, pwr = parse_term_list(terms, scope="\\_SB")
    assert c1.opcode is Opcode.CREATE_DWORD_FIELD and c1.width is None and c1.path == "\\_SB_.CDW2"
    assert c2.width.value == 3 and c2.index.value == 4
    assert mtx.sync_level == 7 and isinstance(evt, T.Event)
    assert str(alias.source) == "MTX_" and alias.path == "\\_SB_.MTXA"
    assert (cpu.proc_id, cpu.pblk_address, cpu.pblk_length) == (1, 0x120, 6)
    assert pwr.resource_order == 1


# -- errors --------------------------------------------------------------------


def test_errors_name_table_scope_and_offset() -> None:
    bad = device("PCI0", Opcode.STORE.encoding + b"\x60")  # Store with no target
    data = block(scope("\\_SB", bad))
    with pytest.raises(AmlError) as info:
        parse_definition_block(data)
    err = info.value
    assert err.table == "DSDT" and err.path == "\\_SB_.PCI0" and err.offset is not None
    assert 36 <= err.offset <= len(data)
    assert "DSDT" in str(err) and "\\_SB_.PCI0" in str(err)


@pytest.mark.parametrize("aml", [
    scope("\\_SB")[:-1] + b"\xff",                         # bad character in the Scope name
    pkg(Opcode.SCOPE, ns("\\_SB"))[:1] + b"\x3f" + ns("\\_SB"),  # PkgLength past the end
    Opcode.NAME.encoding + b"1BAD" + b"\x01",               # bad NameSeg
    string("abc")[:-1],                                    # String without NUL
    b"\x0c\x01\x02",                                       # truncated DWordConst
    b"\x5b\xff",                                           # unknown extended opcode
    b"\x02",                                               # unknown opcode
    Opcode.ADD.encoding * 3000 + b"\x01" * 6001,           # nesting far too deep
    scope("^^FOO"),                                        # climbs above the root
])
def test_malformed_aml_raises_aml_error(aml: bytes) -> None:
    with pytest.raises(AmlError):
        parse_definition_block(block(aml))


def test_table_length_must_fit_the_data() -> None:
    data = bytearray(block(name_op("FOO", b"\x01")))
    data[4] = len(data) + 1
    with pytest.raises(AmlError):
        parse_definition_block(bytes(data))
    with pytest.raises(AmlError):
        parse_definition_block(b"DSDT\x10")


def test_a_method_body_reparsed_after_an_ssdt_sees_its_methods() -> None:
    # The DSDT calls \_SB.LATE (2 args) with no External; an SSDT defines it later.
    dsdt = parse_definition_block(block(method("CALR", 0, ret(ns("\\_SB.LATE") + b"\x01\x0a\x05"))))
    (calr,) = dsdt.body
    assert isinstance(calr.body[0].args[0], T.NameRef) and len(calr.body) == 3
    ssdt = parse_definition_block(block(scope("\\_SB", method("LATE", 2, ret(b"\x69"))),
                                        signature=b"SSDT"), known=dsdt.objects)
    body = parse_method_body(dsdt, calr, known=ssdt.objects)
    (r,) = body
    (call,) = r.args
    assert isinstance(call, T.MethodCall) and call.path == "\\_SB_.LATE"
    assert [a.value for a in call.args] == [1, 5] and r.end == calr.end


def test_long_elseif_chains_parse() -> None:
    # iasl nests each ElseIf (and each Switch Case) inside the previous Else:
    # a 300-way chain is 600 terms deep, and firmware does contain such chains.
    chain = b""
    for i in reversed(range(300)):
        value = Opcode.WORD_PREFIX.encoding + i.to_bytes(2, "little")
        test = pkg(Opcode.IF, b"\x93\x68" + value, ret(value))
        chain = test + (pkg(Opcode.ELSE, chain) if chain else b"")
    blk = parse_definition_block(block(method("SW", 1, chain)))
    depth, node = 0, blk.body[0]
    while isinstance(node.body[-1], T.Else):
        node = node.body[-1]
        depth += 1
    assert depth == 299 and isinstance(node.body[0], T.If)
    assert node.body[0].predicate.args[1].value == 299


def test_deeply_nested_scopes_within_the_limit_parse() -> None:
    nested = b""
    for _ in range(1000):
        nested = scope("S", nested)
    blk = parse_definition_block(block(nested))
    assert len([n for n in T.walk(blk) if isinstance(n, T.Scope)]) == 1000
