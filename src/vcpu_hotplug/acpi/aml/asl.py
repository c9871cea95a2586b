"""Print the parser's term tree as ASL source, like ``iasl -d`` (ACPI 6.5 chapter 19, ASL reference).

The output is meant to be read *and* recompiled: by default it is ASL 1.0
(every operator in function form, ``Store (Local0, Debug)``), which maps one
to one onto AML opcodes, so ``iasl -oa`` (no name, integer or constant
optimisation) gives back the same AML byte for byte, except where AML can say
something ASL cannot choose:

* an integer in a wider encoding than its value needs (``WordConst 0x0005``):
  ASL has no width, iasl picks the smallest;
* a ``VarPackage`` whose count is a constant <= 255: iasl makes it a Package;
* ``External`` opcodes: iasl records externals, it does not emit them.

Those re-encode to terms with the same meaning. One construct does not
recompile: a field list ``Connection`` with an inline resource descriptor is
printed as a Buffer, where iasl wants a resource macro (``GpioIo (...)``). Names the block uses but does
not declare (``Notify (\\_SB.NVDR, 0x80)`` in QEMU's memory hotplug DSDT)
get an ``External (..., UnknownObj)`` at the top, as ``iasl -d`` does, so
the compiler accepts them.

With ``asl2=True`` the ASL 2.0 operators are used where iasl's ASL+
disassembler uses them: ``Local0 = Arg0``, ``(Local0 & 0x02) == 0x02``,
``Local1++``, ``CNEW [Local1]``. Easier to read, but not byte exact:
iasl compiles ``X = (A + B)`` as ``Add (A, B, X)`` even when the AML was
``Store (Add (A, B), X)``.

Layout follows iasl: four-space indentation, braces on their own lines,
``Offset (n)`` for byte-aligned gaps in field lists, buffers as hex bytes
(a resource template with a comment naming each descriptor), names as written (root and parent
prefixes kept, the ``_`` padding of segments dropped).
"""

from __future__ import annotations

from collections.abc import Callable

from vcpu_hotplug.acpi.aml import tree as t
from vcpu_hotplug.acpi.aml.eisaid import eisa_id, eisa_id_text
from vcpu_hotplug.acpi.aml.encoding import INTEGER_WIDTH_64, integer_bytes
from vcpu_hotplug.acpi.aml.keywords import (
    ACCESS_ATTRIB_KEYWORDS,
    ACCESS_TYPE_KEYWORDS,
    EXTENDED_ACCESS_ATTRIB_KEYWORDS,
    LOCK_RULE_KEYWORDS,
    MATCH_OPERATOR_KEYWORDS,
    OBJECT_TYPE_KEYWORDS,
    REGION_SPACE_KEYWORDS,
    UPDATE_RULE_KEYWORDS,
)
from vcpu_hotplug.acpi.aml.opcodes import (
    AccessType,
    ArgKind,
    LockRule,
    MatchOperator,
    NameString,
    ObjectType,
    Opcode,
    RegionSpace,
    UpdateRule,
)
from vcpu_hotplug.acpi.aml.resource_items import describe_item, split_resource_template
from vcpu_hotplug.acpi.aml.parser import (
    PREDEFINED_OBJECTS,
    ScopePath,
    parse_definition_block,
    path_string,
    resolve,
)
from vcpu_hotplug.acpi.errors import AmlError

INDENT = "    "
BUFFER_BYTES_PER_LINE = 8
_INLINE_PACKAGE_MAX = 8
_BYTE_BITS = 8
_NAME_PAD = "_"

_INTEGER_FORMAT = {
    Opcode.BYTE_PREFIX: "0x{:02X}",
    Opcode.WORD_PREFIX: "0x{:04X}",
    Opcode.DWORD_PREFIX: "0x{:08X}",
    Opcode.QWORD_PREFIX: "0x{:016X}",
}
_DATA_FORMAT = {ArgKind.BYTE_DATA: "0x{:02X}", ArgKind.WORD_DATA: "0x{:04X}",
                ArgKind.DWORD_DATA: "0x{:08X}", ArgKind.QWORD_DATA: "0x{:016X}"}
_CONSTANT_NAMES = {Opcode.ZERO: "Zero", Opcode.ONE: "One", Opcode.ONES: "Ones"}

# ASL 2.0 operators (ACPI 6.5 section 19.2.4, "ASL Operator Summary")
_ASL2_BINARY = {
    Opcode.ADD: "+", Opcode.SUBTRACT: "-", Opcode.MULTIPLY: "*", Opcode.MOD: "%",
    Opcode.SHIFT_LEFT: "<<", Opcode.SHIFT_RIGHT: ">>", Opcode.AND: "&", Opcode.OR: "|",
    Opcode.XOR: "^",
}
_ASL2_LOGICAL = {
    Opcode.LAND: "&&", Opcode.LOR: "||", Opcode.LEQUAL: "==", Opcode.LNOT_EQUAL: "!=",
    Opcode.LLESS: "<", Opcode.LLESS_EQUAL: "<=", Opcode.LGREATER: ">",
    Opcode.LGREATER_EQUAL: ">=",
}

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a",
            "\b": "\\b", "\f": "\\f", "\v": "\\v"}
_PRINTABLE_FIRST, _PRINTABLE_LAST = 0x20, 0x7E


def asl_name(name: NameString | str) -> str:
    """A NameString as ASL writes it: ``\\\\_SB_.GED_`` -> ``\\\\_SB.GED`` (padding dropped)."""
    if isinstance(name, str):
        name = NameString.parse(name)
    prefix = "\\" if name.root else "^" * name.parents
    return prefix + ".".join(_trim_seg(s) for s in name.segments)


def _trim_seg(seg: str) -> str:
    return seg.rstrip(_NAME_PAD) or _NAME_PAD


def asl_string(value: str) -> str:
    """A string literal with ASL escapes (section 19.3.3)."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _PRINTABLE_FIRST <= ord(ch) <= _PRINTABLE_LAST:
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02X}")
    return '"' + "".join(out) + '"'


_ID_NAMES = frozenset({"_HID", "_CID"})


def _eisa_id_or(node: t.Integer, fallback: str) -> str:
    """``EisaId ("PNP0A06")`` when the integer is a valid EISA id that iasl encodes the same way."""
    if node.opcode not in _INTEGER_FORMAT:
        return fallback
    text = eisa_id_text(node.value)
    try:
        if eisa_id(text) == node.value and integer_bytes(node.value, INTEGER_WIDTH_64)[0] == node.opcode:
            return f"EisaId ({asl_string(text)})"
    except AmlError:
        pass
    return fallback


def _keyword(table: dict, kind: type, value: int) -> str:
    try:
        return table[kind(value)]
    except (ValueError, KeyError):
        return f"0x{value:02X}"


class AslPrinter:
    """Turns tree nodes into ASL text; ``asl2`` selects the ASL 2.0 operators."""

    def __init__(self, *, asl2: bool = False) -> None:
        self.asl2 = asl2

    # -- definition block ---------------------------------------------------

    def definition_block(self, block: t.DefinitionBlock, source: str | None = None) -> str:
        """The whole block: a comment with the original header, then ``DefinitionBlock``."""
        h = block.header
        what = f" of {source}" if source else ""
        lines = [
            "/*",
            f" * ASL printed by vcpu-hotplug{what}",
            " *",
            " * Original Table Header:",
            f' *     Signature        "{h.signature}"',
            f" *     Length           0x{h.length:08X} ({h.length})",
            f" *     Revision         0x{h.revision:02X}"
            + (" **** 32-bit table (V1), no 64-bit math support" if h.revision < 2 else ""),
            f" *     Checksum         0x{h.checksum:02X}",
            f' *     OEM ID           "{h.oem_id}"',
            f' *     OEM Table ID     "{h.oem_table_id}"',
            f" *     OEM Revision     0x{h.oem_revision:08X} ({h.oem_revision})",
            f' *     Compiler ID      "{h.creator_id}"',
            f" *     Compiler Version 0x{h.creator_revision:08X} ({h.creator_revision})",
            " */",
            f'DefinitionBlock ("", {asl_string(h.signature)}, {h.revision}, '
            f"{asl_string(h.oem_id.rstrip(chr(0)))}, {asl_string(h.oem_table_id.rstrip(chr(0)))}, "
            f"0x{h.oem_revision:08X})",
            "{",
        ]
        externals = undeclared_names(block)
        lines += [f"{INDENT}External ({asl_name(path)}, {kind})" for path, kind in externals.items()]
        if externals:
            lines.append("")
        lines += self.body(block.body, 1)
        lines.append("}")
        return "\n".join(lines) + "\n"

    # -- statements ---------------------------------------------------------

    def body(self, nodes: list[t.Node], level: int) -> list[str]:
        """The lines of a TermList at indentation ``level``."""
        lines: list[str] = []
        for node in nodes:
            lines += self.statement(node, level)
        return lines

    def _block(self, head: str, body: list[t.Node], level: int) -> list[str]:
        pad = INDENT * level
        return [pad + head, pad + "{", *self.body(body, level + 1), pad + "}"]

    def statement(self, node: t.Node, level: int) -> list[str]:
        """The lines of one term used as a statement."""
        pad = INDENT * level
        handler = _STATEMENTS.get(type(node))
        if handler is not None:
            return handler(self, node, level)
        if isinstance(node, t.Op) and self.asl2:
            text = self._asl2_statement(node, level)
            if text is not None:
                return [pad + text]
        return [pad + self.expr(node, level)]

    def _scope(self, node: t.Scope, level: int) -> list[str]:
        return self._block(f"Scope ({asl_name(node.name)})", node.body, level)

    def _device(self, node: t.Device, level: int) -> list[str]:
        return self._block(f"Device ({asl_name(node.name)})", node.body, level)

    def _thermal_zone(self, node: t.ThermalZone, level: int) -> list[str]:
        return self._block(f"ThermalZone ({asl_name(node.name)})", node.body, level)

    def _processor(self, node: t.Processor, level: int) -> list[str]:
        head = (f"Processor ({asl_name(node.name)}, 0x{node.proc_id:02X}, 0x{node.pblk_address:08X}, "
                f"0x{node.pblk_length:02X})")
        return self._block(head, node.body, level)

    def _power_resource(self, node: t.PowerResource, level: int) -> list[str]:
        head = (f"PowerResource ({asl_name(node.name)}, 0x{node.system_level:02X}, "
                f"0x{node.resource_order:04X})")
        return self._block(head, node.body, level)

    def _method(self, node: t.Method, level: int) -> list[str]:
        serial = "Serialized" if node.serialized else "NotSerialized"
        sync = f", {node.sync_level}" if node.sync_level else ""
        head = f"Method ({asl_name(node.name)}, {node.arg_count}, {serial}{sync})"
        return self._block(head, node.body, level)

    def _if(self, node: t.If, level: int) -> list[str]:
        return self._block(f"If ({self.predicate(node.predicate, level)})", node.body, level)

    def _while(self, node: t.While, level: int) -> list[str]:
        return self._block(f"While ({self.predicate(node.predicate, level)})", node.body, level)

    def _else(self, node: t.Else, level: int) -> list[str]:
        # ``Else { If (p) {...} [Else {...}] }`` is what iasl makes of ElseIf: print it back so.
        body = node.body
        if body and isinstance(body[0], t.If) and (
                len(body) == 1 or (len(body) == 2 and isinstance(body[1], t.Else))):
            inner = body[0]
            lines = self._block(f"ElseIf ({self.predicate(inner.predicate, level)})", inner.body, level)
            if len(body) == 2:
                lines += self._else(body[1], level)
            return lines
        return self._block("Else", body, level)

    def predicate(self, node: t.Node, level: int) -> str:
        text = self.expr(node, level)
        if self.asl2 and text.startswith("(") and _balanced_outer(text):
            return text[1:-1]
        return text

    def _name(self, node: t.Name, level: int) -> list[str]:
        value = self.expr(node.value, level)
        if node.name.segments and node.name.segments[-1] in _ID_NAMES and isinstance(node.value, t.Integer):
            value = _eisa_id_or(node.value, value)
        return [INDENT * level + f"Name ({asl_name(node.name)}, {value})"]

    def _alias(self, node: t.Alias, level: int) -> list[str]:
        return [INDENT * level + f"Alias ({asl_name(node.source)}, {asl_name(node.name)})"]

    def _external(self, node: t.External, level: int) -> list[str]:
        kind = _keyword(OBJECT_TYPE_KEYWORDS, ObjectType, node.object_type)
        return [INDENT * level + f"External ({asl_name(node.name)}, {kind})"]

    def _mutex(self, node: t.Mutex, level: int) -> list[str]:
        return [INDENT * level + f"Mutex ({asl_name(node.name)}, 0x{node.flags:02X})"]

    def _event(self, node: t.Event, level: int) -> list[str]:
        return [INDENT * level + f"Event ({asl_name(node.name)})"]

    def _operation_region(self, node: t.OperationRegion, level: int) -> list[str]:
        space = _keyword(REGION_SPACE_KEYWORDS, RegionSpace, node.space)
        return [INDENT * level + f"OperationRegion ({asl_name(node.name)}, {space}, "
                f"{self.expr(node.region_offset, level)}, {self.expr(node.region_length, level)})"]

    def _data_region(self, node: t.DataRegion, level: int) -> list[str]:
        args = ", ".join(self.expr(a, level) for a in (node.signature, node.oem_id, node.oem_table_id))
        return [INDENT * level + f"DataTableRegion ({asl_name(node.name)}, {args})"]

    def _create_field(self, node: t.CreateField, level: int) -> list[str]:
        args = [self.expr(node.source, level), self.expr(node.index, level)]
        if node.width is not None:
            args.append(self.expr(node.width, level))
        args.append(asl_name(node.name))
        return [INDENT * level + f"{node.opcode.info.asl_name} ({', '.join(args)})"]

    # -- fields ---------------------------------------------------------------

    def _field_flags(self, flags: t.FieldFlags) -> str:
        return ", ".join((_keyword(ACCESS_TYPE_KEYWORDS, AccessType, flags.access),
                          _keyword(LOCK_RULE_KEYWORDS, LockRule, int(flags.lock)),
                          _keyword(UPDATE_RULE_KEYWORDS, UpdateRule, flags.update)))

    def _field_list(self, head: str, node: t.FieldBase, level: int) -> list[str]:
        pad = INDENT * level
        inner = INDENT * (level + 1)
        entries: list[str] = []
        previous: t.FieldElement | None = None
        for element in node.elements:
            entries.append(self.field_element(element, previous, level + 1))
            previous = element
        lines = [pad + head, pad + "{"]
        lines += [inner + e + ("," if i < len(entries) - 1 else "") for i, e in enumerate(entries)]
        lines.append(pad + "}")
        return lines

    def field_element(self, element: t.FieldElement, previous: t.FieldElement | None,
                      level: int) -> str:
        """One entry of a field list (without the separating comma)."""
        if isinstance(element, t.NamedField):
            return f"{asl_name(element.name)}, {element.bit_width}"
        if isinstance(element, t.ReservedField):
            end = element.bit_offset + element.bit_width
            # Offset() is a reserved field up to that byte; two gaps in a row stay as written.
            if end % _BYTE_BITS == 0 and not isinstance(previous, t.ReservedField):
                return f"Offset (0x{end // _BYTE_BITS:02X})"
            return f", {element.bit_width}"
        if isinstance(element, t.AccessAs):
            access = _keyword(ACCESS_TYPE_KEYWORDS, AccessType, element.access)
            if element.access_length is not None:
                attrib = EXTENDED_ACCESS_ATTRIB_KEYWORDS.get(element.attrib, f"0x{element.attrib:02X}")
                return f"AccessAs ({access}, {attrib} ({element.access_length}))"
            attrib = ACCESS_ATTRIB_KEYWORDS.get(element.attrib, f"0x{element.attrib:02X}")
            return f"AccessAs ({access}, {attrib})"
        if isinstance(element, t.Connection):
            if element.name is not None:
                return f"Connection ({asl_name(element.name)})"
            # iasl only accepts a resource macro (GpioIo ...) here, which this printer does not
            # make: such a field list prints but does not recompile (no QEMU table has one).
            return f"Connection ({self.expr(element.buffer, level)})  /* inline resource descriptor */"
        raise AmlError(f"cannot print field element {type(element).__name__}", offset=element.offset)

    def _field(self, node: t.Field, level: int) -> list[str]:
        head = f"Field ({asl_name(node.region)}, {self._field_flags(node.field_flags)})"
        return self._field_list(head, node, level)

    def _index_field(self, node: t.IndexField, level: int) -> list[str]:
        head = (f"IndexField ({asl_name(node.index_name)}, {asl_name(node.data_name)}, "
                f"{self._field_flags(node.field_flags)})")
        return self._field_list(head, node, level)

    def _bank_field(self, node: t.BankField, level: int) -> list[str]:
        head = (f"BankField ({asl_name(node.region)}, {asl_name(node.bank_name)}, "
                f"{self.expr(node.bank_value, level)}, {self._field_flags(node.field_flags)})")
        return self._field_list(head, node, level)

    # -- expressions --------------------------------------------------------

    def expr(self, node: t.Node | None, level: int) -> str:
        """One term as an operand (may span lines for buffers and packages)."""
        if node is None:
            return ""
        if isinstance(node, t.Integer):
            if node.opcode in _CONSTANT_NAMES:
                return _CONSTANT_NAMES[node.opcode]
            return _INTEGER_FORMAT[node.opcode].format(node.value)
        if isinstance(node, t.String):
            return asl_string(node.value)
        if isinstance(node, t.NameRef):
            return asl_name(node.name)
        if isinstance(node, t.MethodCall):
            return f"{asl_name(node.name)} ({', '.join(self.expr(a, level) for a in node.args)})"
        if isinstance(node, t.Buffer):
            return self.buffer(node, level)
        if isinstance(node, t.Package):
            return self.package(node, level)
        if isinstance(node, t.Op):
            return self.operator(node, level)
        if type(node) in _STATEMENTS:
            raise AmlError(f"{type(node).__name__} cannot be printed as an operand", offset=node.offset)
        raise AmlError(f"cannot print {type(node).__name__}", offset=node.offset)

    def buffer(self, node: t.Buffer, level: int) -> str:
        """``Buffer (size) {bytes}``; a resource template gets a comment line per descriptor."""
        head = f"Buffer ({self.expr(node.size, level)})"
        data = node.data
        if not data:
            return head + " {}"
        if len(data) <= BUFFER_BYTES_PER_LINE:
            return head + " {" + ", ".join(f"0x{b:02X}" for b in data) + "}"
        pad = INDENT * level
        inner = INDENT * (level + 1)
        items = split_resource_template(data)
        chunks = ([(describe_item(i), i.offset, i.data) for i in items] if items
                  else [(None, 0, data)])
        lines = [head + ("  // ResourceTemplate" if items else ""), pad + "{"]
        for comment, offset, chunk in chunks:
            if comment:
                lines.append(f"{inner}// {comment}")
            for start in range(0, len(chunk), BUFFER_BYTES_PER_LINE):
                part = chunk[start:start + BUFFER_BYTES_PER_LINE]
                last = offset + start + len(part) >= len(data)
                text = ", ".join(f"0x{b:02X}" for b in part) + ("" if last else ",")
                lines.append(f"{inner}/* {offset + start:04X} */  {text}")
        lines.append(pad + "}")
        return "\n".join(lines)

    def package(self, node: t.Package, level: int) -> str:
        count = (f"0x{node.count:02X}" if isinstance(node.count, int)
                 else self.expr(node.count, level))
        head = f"Package ({count})"
        if not node.elements:
            return head + " {}"
        simple = all(isinstance(e, (t.Integer, t.String, t.NameRef)) for e in node.elements)
        if simple and len(node.elements) <= _INLINE_PACKAGE_MAX:
            return head + " {" + ", ".join(self.expr(e, level) for e in node.elements) + "}"
        pad = INDENT * level
        inner = INDENT * (level + 1)
        items = [self.expr(e, level + 1) for e in node.elements]
        lines = [head, pad + "{"]
        lines += [inner + item + ("," if i < len(items) - 1 else "") for i, item in enumerate(items)]
        lines.append(pad + "}")
        return "\n".join(lines)

    def operator(self, node: t.Op, level: int) -> str:
        info = node.opcode.info
        if self.asl2:
            text = self._asl2_expr(node, level)
            if text is not None:
                return text
        if not info.operands:
            return info.asl_name
        args = [self._operand(kind, arg, level, node.opcode) for kind, arg in zip(info.operands, node.args)]
        while args and args[-1] == "" and info.operands[len(args) - 1] is ArgKind.TARGET:
            args.pop()
        return f"{info.asl_name} ({', '.join(args)})"

    def _operand(self, kind: ArgKind, arg: t.Node | int | None, level: int, opcode: Opcode) -> str:
        if isinstance(arg, int):
            if opcode is Opcode.MATCH:
                return _keyword(MATCH_OPERATOR_KEYWORDS, MatchOperator, arg)
            return _DATA_FORMAT.get(kind, "0x{:X}").format(arg)
        return self.expr(arg, level)

    # -- ASL 2.0 ------------------------------------------------------------

    def _asl2_expr(self, node: t.Op, level: int) -> str | None:
        op = node.opcode
        args = node.args
        if op in _ASL2_BINARY and args[2] is None:
            return f"({self.expr(args[0], level)} {_ASL2_BINARY[op]} {self.expr(args[1], level)})"
        if op is Opcode.DIVIDE and args[2] is None and args[3] is None:
            return f"({self.expr(args[0], level)} / {self.expr(args[1], level)})"
        if op in _ASL2_LOGICAL:
            return f"({self.expr(args[0], level)} {_ASL2_LOGICAL[op]} {self.expr(args[1], level)})"
        if op is Opcode.LNOT:
            return f"!{self.expr(args[0], level)}"
        if op is Opcode.NOT and args[1] is None:
            return f"~{self.expr(args[0], level)}"
        if op is Opcode.INDEX and args[2] is None:
            return f"{self.expr(args[0], level)} [{self.expr(args[1], level)}]"
        return None

    def _asl2_statement(self, node: t.Op, level: int) -> str | None:
        op = node.opcode
        args = node.args
        if op is Opcode.STORE:
            return f"{self.expr(args[1], level)} = {self.expr(args[0], level)}"
        if op is Opcode.INCREMENT:
            return f"{self.expr(args[0], level)}++"
        if op is Opcode.DECREMENT:
            return f"{self.expr(args[0], level)}--"
        if op in _ASL2_BINARY and args[2] is not None:
            return (f"{self.expr(args[2], level)} = ({self.expr(args[0], level)} {_ASL2_BINARY[op]} "
                    f"{self.expr(args[1], level)})")
        if op is Opcode.NOT and args[1] is not None:
            return f"{self.expr(args[1], level)} = ~{self.expr(args[0], level)}"
        return None


_SCOPE_NODES = (t.Scope, t.Device, t.Processor, t.PowerResource, t.ThermalZone, t.Method)


def _referenced_names(node: t.Node) -> list[NameString]:
    """The names ``node`` itself refers to (not those of its children)."""
    if isinstance(node, (t.NameRef, t.MethodCall)):
        return [node.name]
    if isinstance(node, t.Field):
        return [node.region]
    if isinstance(node, t.IndexField):
        return [node.index_name, node.data_name]
    if isinstance(node, t.BankField):
        return [node.region, node.bank_name]
    if isinstance(node, t.Alias):
        return [node.source]
    if isinstance(node, t.Connection) and node.name is not None:
        return [node.name]
    if isinstance(node, t.Scope):
        return [node.name]
    return []


def _scope_of(path: str) -> ScopePath:
    return tuple(path.lstrip("\\").split(".")) if path.strip("\\") else ()


def _exists(name: NameString, scope: ScopePath, known: set[str]) -> tuple[bool, ScopePath]:
    """Whether ``name`` used in ``scope`` resolves (search rules of ACPI 6.5 section 5.3)."""
    try:
        target = resolve(name, scope)
    except AmlError:
        return True, ()  # climbing above the root is the parser's business
    if path_string(target) in known:
        return True, target
    if name.is_single_segment:
        for depth in range(len(scope) - 1, -1, -1):
            if path_string(scope[:depth] + name.segments) in known:
                return True, target
    return False, target


def undeclared_names(block: t.DefinitionBlock) -> dict[str, str]:
    """Absolute paths the block uses but does not declare, with their External type keyword.

    These come from other tables (an SSDT calling the DSDT's methods) or are
    simply missing (QEMU's ``\\_SB.NVDR`` without NVDIMMs); iasl needs an
    ``External`` for each to compile the printed ASL. A name called as a
    method is ``MethodObj``, anything else ``UnknownObj``.
    """
    # Only what this block declares (``objects`` also holds what earlier tables declared),
    # including names declared inside method bodies.
    known = {n.path for n in t.walk(block) if isinstance(n, (t.Named, t.NamedField))
             and not isinstance(n, t.Scope)}
    known |= set(PREDEFINED_OBJECTS) | {"\\"}
    missing: dict[str, str] = {}
    stack: list[tuple[t.Node, ScopePath]] = [(n, ()) for n in block.body]
    while stack:
        node, scope = stack.pop()
        for name in _referenced_names(node):
            if name.is_null:
                continue
            found, target = _exists(name, scope, known)
            if not found:
                path = node.path if isinstance(node, t.MethodCall) else path_string(target)
                is_method = isinstance(node, t.MethodCall) or block.objects.get(path) is not None
                if is_method or path not in missing:
                    missing[path] = _keyword(OBJECT_TYPE_KEYWORDS, ObjectType,
                                             ObjectType.METHOD if is_method
                                             else ObjectType.UNINITIALIZED)
        inner = _scope_of(node.path) if isinstance(node, _SCOPE_NODES) else scope
        stack.extend((child, inner) for child in node.children())
    return dict(sorted(missing.items()))


def _balanced_outer(text: str) -> bool:
    """True when the first ``(`` of ``text`` closes at its last character."""
    depth = 0
    in_string = False
    for i, ch in enumerate(text):
        if in_string:
            if ch == "\\":
                continue
            in_string = ch != '"'
            continue
        if ch == '"':
            in_string = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False


_STATEMENTS: dict[type, Callable[[AslPrinter, t.Node, int], list[str]]] = {
    t.Scope: AslPrinter._scope,
    t.Device: AslPrinter._device,
    t.ThermalZone: AslPrinter._thermal_zone,
    t.Processor: AslPrinter._processor,
    t.PowerResource: AslPrinter._power_resource,
    t.Method: AslPrinter._method,
    t.If: AslPrinter._if,
    t.Else: AslPrinter._else,
    t.While: AslPrinter._while,
    t.Name: AslPrinter._name,
    t.Alias: AslPrinter._alias,
    t.External: AslPrinter._external,
    t.Mutex: AslPrinter._mutex,
    t.Event: AslPrinter._event,
    t.OperationRegion: AslPrinter._operation_region,
    t.DataRegion: AslPrinter._data_region,
    t.CreateField: AslPrinter._create_field,
    t.Field: AslPrinter._field,
    t.IndexField: AslPrinter._index_field,
    t.BankField: AslPrinter._bank_field,
}


def to_asl(block: t.DefinitionBlock, *, asl2: bool = False, source: str | None = None) -> str:
    """The ASL text of a parsed definition block (``source`` names it in the heading comment)."""
    return AslPrinter(asl2=asl2).definition_block(block, source)


def disassemble(data: bytes, *, asl2: bool = False, source: str | None = None,
                known: dict[str, int | None] | None = None) -> str:
    """Parse a DSDT/SSDT (header included) and print it as ASL. Raises :class:`AmlError`."""
    return to_asl(parse_definition_block(data, known=known, table=source), asl2=asl2, source=source)
