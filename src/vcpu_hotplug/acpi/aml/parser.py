"""AML parser: a definition block's bytes into the term tree of :mod:`.tree`.

Follows the AML grammar of ACPI 6.5 section 20.2, and ACPICA's parser
(``source/components/parser/psargs.c``, ``psloop.c``) where the grammar
leaves a choice:

- A MethodInvocation has no length or argument count in the byte stream, so
  a name in a TermArg or statement position is a call when it resolves, by
  the search rules of section 5.3, to a method; it then takes that many
  TermArgs. Methods are known from ``known`` (the objects of the definition
  blocks loaded before: pass a :attr:`DefinitionBlock.objects` or the
  interpreter's namespace as ``{absolute path: arg count or None}``) and
  from a first pass over this block that collects every named object but
  does not enter method bodies (as ACPICA's load pass 1 defers them); so a
  method can be called before its definition. External(..., MethodObj, n)
  counts too, and so does the predefined ``\\_OSI`` (one argument). An
  unknown name is an object reference (:class:`NameRef`), as in ACPICA.
- A name in a SuperName or Target position is a call too when it resolves
  to a method (ACPICA's ``AcpiPsGetNextArg``: ``Release (M000 (2))``),
  except the operand of RefOf, CondRefOf and ObjectType and a SimpleName
  (CopyObject's destination). Names in package elements and Name()'s value
  are references, never calls. A NullName in any name position is None.
- ``Else`` stays a separate term after its ``If``.

Offsets in the tree and in errors are from the start of the table. Any
malformed input raises :class:`AmlError` naming the table, the scope being
parsed and the byte offset: truncation, a PkgLength past its enclosing
package, bad name characters, unknown opcodes, nesting deeper than
:data:`MAX_DEPTH`.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable, Mapping

from vcpu_hotplug.acpi.aml.opcodes import (
    DEFINITION_BLOCK_HEADER_SIZE,
    EXT_OPCODES,
    INTEGER_DATA_SIZE,
    LEAD_NAME_CHARS,
    LNOT_OPCODES,
    METHOD_ARG_COUNT_MASK,
    NAME_SEG_SIZE,
    ONE_BYTE_OPCODES,
    ArgKind,
    FieldElementTag,
    NameString,
    ObjectType,
    Opcode,
    OpInfo,
    Prefix,
    decode_name_seg,
    decode_name_string,
    decode_pkg_length,
)
from vcpu_hotplug.acpi.aml.tree import (
    ONES_VALUE,
    Unparsed,
    AccessAs,
    Alias,
    BankField,
    Buffer,
    Connection,
    CreateField,
    DataRegion,
    DefinitionBlock,
    Device,
    Else,
    Event,
    External,
    Field,
    FieldElement,
    If,
    IndexField,
    Integer,
    Method,
    MethodCall,
    Mutex,
    Name,
    NamedField,
    NameRef,
    Node,
    Op,
    OperationRegion,
    Package,
    PowerResource,
    Processor,
    ReservedField,
    Scope,
    String,
    TableHeader,
    ThermalZone,
    While,
)
from vcpu_hotplug.acpi.errors import AmlError

#: Deepest nesting of terms accepted. Real tables nest a few tens deep, except
#: ElseIf chains (and Switch, which iasl compiles to one): each ElseIf nests
#: an Else and an If inside the previous Else, so a 500-case chain is 1000 deep.
MAX_DEPTH = 1024

#: Python frames one level of :data:`MAX_DEPTH` can use (Scope: _term,
#: _scope_like, _scoped_body, _term_list); the parse raises the interpreter's
#: recursion limit (never lowers it) so that MAX_DEPTH is reachable.
_FRAMES_PER_DEPTH = 4
_FRAME_MARGIN = 100
_RECURSION_LIMIT_STEP = 1024

_HEADER = struct.Struct("<4sIBB6s8sI4sI")

#: First bytes of a NameString.
_NAME_START = frozenset(LEAD_NAME_CHARS | {Prefix.ROOT_CHAR, Prefix.PARENT_PREFIX,
                                           Prefix.DUAL_NAME, Prefix.MULTI_NAME})

ScopePath = tuple[str, ...]
"""An absolute namespace path as its segments (``()`` is the root)."""

KnownObjects = Mapping[str, int | None]
"""Absolute path (``"\\\\_SB_.PCI0.FOO_"``) to the method's argument count, or None for a non-method."""


#: Objects every ACPI namespace has before any table is loaded (ACPICA's
#: ``AcpiGbl_PreDefinedNames``, ACPI 6.5 section 5.3.1 and 5.7): ``\\_OSI`` is a
#: method of one argument, so ``If (\\_OSI ("Linux"))`` parses as a call.
PREDEFINED_OBJECTS: dict[str, int | None] = {
    "\\_GPE": None, "\\_PR_": None, "\\_SB_": None, "\\_SI_": None, "\\_TZ_": None,
    "\\_REV": None, "\\_OS_": None, "\\_GL_": None, "\\_OSI": 1,
}


def _ensure_recursion_limit() -> None:
    """Let MAX_DEPTH nested terms fit on the Python stack from where we are now.

    Python 3.11 runs Python-to-Python calls without growing the C stack, so a
    higher limit is safe; it is only ever raised, so concurrent parses cannot
    lower it under each other.
    """
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    needed = depth + _FRAMES_PER_DEPTH * MAX_DEPTH + _FRAME_MARGIN
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(-(-needed // _RECURSION_LIMIT_STEP) * _RECURSION_LIMIT_STEP)


def path_string(segments: ScopePath) -> str:
    """The canonical absolute path of ``segments``: ``"\\\\"`` or ``"\\\\_SB_.PCI0"``."""
    return "\\" + ".".join(segments)


def resolve(name: NameString, scope: ScopePath) -> ScopePath:
    """Apply ``name``'s prefixes to ``scope`` (no search): the path ``name`` declares in ``scope``.

    Raises :class:`AmlError` when parent prefixes climb above the root.
    """
    if name.root:
        return name.segments
    if name.parents:
        if name.parents > len(scope):
            raise AmlError(f"{name} climbs above the root")
        return scope[:len(scope) - name.parents] + name.segments
    return scope + name.segments


def parse_definition_block(data: bytes, *, known: KnownObjects | None = None,
                           table: str | None = None, lazy_methods: bool = False) -> DefinitionBlock:
    """Parse a whole DSDT or SSDT (36-byte header, then the TermList).

    ``known`` holds the objects of definition blocks loaded before this one,
    for method argument counts (see the module docstring). ``table`` names the
    table in errors (default: its signature). The result's ``objects`` add
    this block's named objects, ready to be passed on as ``known``.
    With ``lazy_methods`` a method body is not parsed (its ``body`` is None):
    ACPICA parses a body when the method runs (:func:`parse_method_terms`).
    """
    data = bytes(data)
    if len(data) < DEFINITION_BLOCK_HEADER_SIZE:
        raise AmlError(f"{len(data)} bytes is shorter than a table header", table=table, offset=0)
    sig, length, rev, csum, oem, oem_table, oem_rev, creator, creator_rev = _HEADER.unpack_from(data)
    signature = sig.decode("latin-1")
    table = table or signature
    if length < DEFINITION_BLOCK_HEADER_SIZE or length > len(data):
        raise AmlError(f"table length {length} does not fit the {len(data)} bytes given",
                       table=table, offset=4)
    header = TableHeader(signature, length, rev, csum, oem.decode("latin-1"),
                         oem_table.decode("latin-1"), oem_rev, creator.decode("latin-1"), creator_rev)
    parser = _Parser(data, table, known)
    parser.lazy_methods = lazy_methods
    body = parser.parse(DEFINITION_BLOCK_HEADER_SIZE, length, ())
    return DefinitionBlock(0, length, header, body, parser.declared, data[:length])


def parse_method_body(block: DefinitionBlock, method: Method, *,
                      known: KnownObjects | None = None) -> list[Node]:
    """Parse ``method``'s body again, now that more of the namespace is known.

    ACPICA parses a method body when the method runs, so a call to a method
    that a later table defines (without an External) takes its arguments. Do
    the same here: pass the objects of every block loaded so far as ``known``
    (this block's own objects are always included). Returns the new body;
    offsets are still table offsets.
    """
    parser = _Parser(block.data, block.header.signature, None)
    parser.names.update(block.objects)
    if known:
        parser.names.update(known)
    segs = tuple(method.path[1:].split(".")) if method.path != "\\" else ()
    return parser.parse_method_body(method.body_offset, method.end, segs)


def parse_term_list(aml: bytes, *, start: int = 0, end: int | None = None, scope: str = "\\",
                    known: KnownObjects | None = None, table: str | None = None,
                    lazy_methods: bool = False) -> list[Node]:
    """Parse raw AML (no header) from ``start`` to ``end`` as a TermList in ``scope``.

    Offsets are from the start of ``aml``. Useful for snippets and tests.
    """
    aml = bytes(aml)
    end = len(aml) if end is None else end
    if not 0 <= start <= end <= len(aml):
        raise AmlError(f"range {start}..{end} is outside the {len(aml)} bytes given", table=table)
    try:
        segs = NameString.parse(scope if scope.startswith("\\") else "\\" + scope).segments
    except AmlError as exc:
        raise AmlError(f"bad scope {scope!r}: {exc.reason}", table=table) from None
    parser = _Parser(aml, table, known)
    parser.lazy_methods = lazy_methods
    return parser.parse(start, end, segs)


#: ``live(path) -> arg count`` of the object at an absolute path (None: not a method), or
#: :data:`NOT_FOUND`: the namespace of a running interpreter as the parser sees it.
LiveLookup = Callable[[str], "int | None | object"]
NOT_FOUND = object()


def parse_method_terms(data: bytes, start: int, end: int, scope: ScopePath, *, live: LiveLookup,
                       table: str | None = None, whole_body: bool = True) -> list[Node]:
    """Parse AML of a method being run, with the namespace as it is now (``live``).

    ACPICA parses a method's body when the method is called (and uACPI one
    statement at a time as it runs): a name is a call, and takes its
    arguments, when it is a method at that moment. ``whole_body`` parses
    ``start..end`` as the body of the method whose path is ``scope`` (its
    nested method declarations first seen); otherwise as the rest of a
    TermList (what follows a statement that changed a name's object, as
    ``CopyObject`` of or over a method does).
    """
    parser = _Parser(data, table, None)
    parser.live = live
    parser.lazy_methods = True
    parser.skip_methods = False
    if whole_body:
        try:
            return parser._guarded(lambda: parser._method_body(start, end, scope))
        except AmlError:
            parser = _Parser(data, table, None)
            parser.live, parser.lazy_methods, parser.skip_methods = live, True, False
    # Statement by statement: what does not parse now becomes an Unparsed tail, parsed again
    # when it is reached (a method run before it may have changed the names it uses); the
    # first statement must parse.
    terms: list[Node] = []
    pos = start
    parser.scope = scope
    while pos < end:
        try:
            node = parser._guarded(lambda: parser._term(pos, end, scope, True, True))
        except AmlError as exc:
            if not terms:
                raise
            terms.append(Unparsed(pos, end - pos, exc))
            break
        terms.append(node)
        pos = node.offset + node.length
    return terms


class _Parser:
    """Recursive descent over one byte string; two passes (see the module docstring)."""

    def __init__(self, data: bytes, table: str | None, known: KnownObjects | None) -> None:
        self.data = data
        self.table = table
        #: path -> argc (method) / None (other object): what name lookups see.
        self.names: dict[str, int | None] = dict(PREDEFINED_OBJECTS)
        if known:
            self.names.update(known)
        #: named objects this block declares outside method bodies (the result's ``objects``).
        self.declared: dict[str, int | None] = {}
        self.skip_methods = True
        #: leave method bodies unparsed (None) in the second pass
        self.lazy_methods = False
        #: the running interpreter's namespace, asked for names not in ``names``
        self.live: LiveLookup | None = None
        #: one flag per method body being parsed: has it declared a method?
        self.nested: list[bool] = []
        self.depth = 0
        self.scope: ScopePath = ()
        self.pos = 0

    # -- driver ---------------------------------------------------------------

    def parse(self, start: int, end: int, scope: ScopePath) -> list[Node]:
        """Both passes over the TermList ``start..end`` in ``scope``."""
        def both_passes() -> list[Node]:
            self.skip_methods = True
            self._term_list(start, end, scope, False)
            self.skip_methods = False
            self.depth = 0
            return self._term_list(start, end, scope, False)
        return self._guarded(both_passes)

    def parse_method_body(self, start: int, end: int, scope: ScopePath) -> list[Node]:
        """One pass over a method body, with the names already in ``self.names``."""
        self.skip_methods = False
        return self._guarded(lambda: self._scoped_body(start, end, scope, True))

    def _guarded(self, run: Callable[[], list[Node]]) -> list[Node]:
        """Run a parse, turning every failure into an AmlError with table, path and offset."""
        _ensure_recursion_limit()
        try:
            return run()
        except AmlError as exc:
            if exc.table is None or exc.path is None or exc.offset is None:
                raise AmlError(exc.reason, path=exc.path or path_string(self.scope),
                               offset=exc.offset if exc.offset is not None else self.pos,
                               table=exc.table or self.table) from None
            raise
        except (IndexError, struct.error):
            raise AmlError("unexpected end of AML", path=path_string(self.scope), offset=self.pos,
                           table=self.table) from None
        except RecursionError:
            raise AmlError("terms nested too deeply", path=path_string(self.scope), offset=self.pos,
                           table=self.table) from None

    def _error(self, reason: str, offset: int) -> AmlError:
        return AmlError(reason, path=path_string(self.scope), offset=offset, table=self.table)

    # -- names ----------------------------------------------------------------

    def _declare(self, name: NameString, scope: ScopePath, argc: int | None, in_method: bool,
                 offset: int) -> str:
        try:
            segs = resolve(name, scope)
        except AmlError as exc:
            raise self._error(exc.reason, offset) from None
        path = path_string(segs)
        self.names[path] = argc
        if not in_method:
            self.declared[path] = argc
        elif argc is not None and self.nested:
            self.nested[-1] = True
        return path

    def _lookup(self, name: NameString, scope: ScopePath) -> tuple[str, int | None]:
        """(path, argc) of the object ``name`` finds from ``scope`` (section 5.3), or ("", None)."""
        if name.is_single_segment:
            seg = name.segments[0]
            for i in range(len(scope), -1, -1):
                found = self._known("\\" + ".".join(scope[:i] + (seg,)))
                if found is not None:
                    return found
            return "", None
        if name.parents > len(scope):
            return "", None
        return self._known(path_string(resolve(name, scope))) or ("", None)

    def _known(self, path: str) -> tuple[str, int | None] | None:
        """(path, argc) when ``path`` is declared so far in this table or lives in the namespace."""
        if path in self.names:
            return path, self.names[path]
        if self.live is not None:
            argc = self.live(path)
            if argc is not NOT_FOUND:
                return path, argc  # type: ignore[return-value]
        return None

    def _name(self, pos: int, end: int) -> tuple[NameString, int]:
        name, p = decode_name_string(self.data, pos)
        if p > end:
            raise self._error("NameString runs past the end of its package", pos)
        return name, p

    # -- structure ------------------------------------------------------------

    def _pkg(self, pos: int, end: int) -> tuple[int, int]:
        """Decode a PkgLength at ``pos``: (end of the package, start of its contents)."""
        length, body = decode_pkg_length(self.data, pos)
        pkg_end = pos + length
        if pkg_end > end:
            raise self._error(f"PkgLength {length:#x} runs past the end of its enclosing package", pos)
        if pkg_end < body:
            raise self._error(f"PkgLength {length:#x} is shorter than its own encoding", pos)
        return pkg_end, body

    def _term_list(self, pos: int, end: int, scope: ScopePath, in_method: bool) -> list[Node]:
        terms: list[Node] = []
        term = self._term
        while pos < end:
            node = term(pos, end, scope, in_method, True)
            terms.append(node)
            pos = node.offset + node.length
        return terms

    def _term(self, pos: int, end: int, scope: ScopePath, in_method: bool, calls: bool) -> Node:
        """One term at ``pos``; a name is a method call when ``calls`` and it resolves to a method."""
        data = self.data
        self.pos = pos
        if pos >= end:
            raise self._error("unexpected end of term list", pos)
        b = data[pos]
        if b in _NAME_START:
            name, p = self._name(pos, end)
            if calls:
                path, argc = self._lookup(name, scope)
                if argc is not None:
                    return self._call(pos, p, end, name, path, argc, scope, in_method)
            return NameRef(pos, p - pos, name)
        if b == Prefix.EXT_OP:
            if pos + 1 >= end:
                raise self._error("truncated extended opcode", pos)
            info = EXT_OPCODES.get(data[pos + 1])
            if info is None:
                raise self._error(f"unknown extended opcode 0x5b{data[pos + 1]:02x}", pos)
            p = pos + 2
        elif b == Prefix.LNOT and pos + 1 < end and data[pos + 1] in LNOT_OPCODES:
            info = LNOT_OPCODES[data[pos + 1]]
            p = pos + 2
        else:
            info = ONE_BYTE_OPCODES.get(b)
            if info is None:
                raise self._error(f"unknown opcode {b:#04x}", pos)
            p = pos + 1
        handler = _HANDLERS.get(info.opcode)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._error(f"terms nested more than {MAX_DEPTH} deep", pos)
        try:
            if handler is not None:
                node = handler(self, info, pos, p, end, scope, in_method)
            else:
                node = self._op(info, pos, p, end, scope, in_method)
        finally:
            self.depth -= 1
        if node.offset + node.length > end:
            raise self._error(f"{info.asl_name} runs past the end of its enclosing package", pos)
        return node

    def _call(self, pos: int, p: int, end: int, name: NameString, path: str, argc: int,
              scope: ScopePath, in_method: bool) -> MethodCall:
        args = []
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._error(f"terms nested more than {MAX_DEPTH} deep", pos)
        try:
            for _ in range(argc):
                arg = self._term(p, end, scope, in_method, True)
                args.append(arg)
                p = arg.offset + arg.length
        finally:
            self.depth -= 1
        return MethodCall(pos, p - pos, name, path, args)

    def _operand(self, kind: ArgKind, p: int, end: int, scope: ScopePath, in_method: bool,
                 name_calls: bool = True) -> tuple[Node | int | None, int]:
        """One operand of ``kind``; ``name_calls`` False keeps a name in a SuperName a reference."""
        data = self.data
        if kind is ArgKind.TERM_ARG:
            node = self._term(p, end, scope, in_method, True)
            return node, node.offset + node.length
        if kind is ArgKind.TARGET or kind is ArgKind.SUPER_NAME or kind is ArgKind.SIMPLE_NAME:
            if p >= end:
                raise self._error("unexpected end of operands", p)
            if data[p] == Prefix.NULL_NAME:  # ACPICA accepts it in any name position
                return None, p + 1
            node = self._term(p, end, scope, in_method, name_calls and kind is not ArgKind.SIMPLE_NAME)
            return node, node.offset + node.length
        if kind is ArgKind.BYTE_DATA:
            if p + 1 > end:
                raise self._error("truncated ByteData", p)
            return data[p], p + 1
        if kind is ArgKind.WORD_DATA:
            return self._uint(p, 2, end), p + 2
        if kind is ArgKind.DWORD_DATA:
            return self._uint(p, 4, end), p + 4
        if kind is ArgKind.QWORD_DATA:
            return self._uint(p, 8, end), p + 8
        if kind is ArgKind.NAME_STRING:
            name, q = self._name(p, end)
            return NameRef(p, q - p, name), q
        raise self._error(f"operand kind {kind.value} is not supported here", p)  # pragma: no cover

    def _uint(self, p: int, size: int, end: int) -> int:
        if p + size > end:
            raise self._error(f"truncated {size}-byte integer", p)
        return int.from_bytes(self.data[p:p + size], "little")

    # -- generic operators ----------------------------------------------------

    def _op(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath, in_method: bool) -> Op:
        args: list[Node | int | None] = []
        operand = self._operand
        name_calls = info.opcode not in _NAMES_NEVER_CALLED
        for kind in info.args:
            arg, p = operand(kind, p, end, scope, in_method, name_calls)
            args.append(arg)
        return Op(pos, p - pos, info.opcode, args)

    # -- data objects ---------------------------------------------------------

    def _integer(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
                 in_method: bool) -> Integer:
        op = info.opcode
        size = INTEGER_DATA_SIZE[op]
        if size:
            value = self._uint(p, size, end)
        else:
            value = _CONSTANTS[op]
        return Integer(pos, 1 + size, value, op)

    def _string(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
                in_method: bool) -> String:
        nul = self.data.find(b"\0", p, end)
        if nul < 0:
            raise self._error("String has no terminating NUL inside its package", pos)
        return String(pos, nul + 1 - pos, self.data[p:nul].decode("latin-1"))

    def _buffer(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
                in_method: bool) -> Buffer:
        pkg_end, p = self._pkg(p, end)
        size = self._term(p, pkg_end, scope, in_method, True)
        p = size.offset + size.length
        return Buffer(pos, pkg_end - pos, size, self.data[p:pkg_end], p)

    def _package(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
                 in_method: bool) -> Package:
        pkg_end, p = self._pkg(p, end)
        count: int | Node
        if info.opcode is Opcode.PACKAGE:
            if p >= pkg_end:
                raise self._error("Package has no NumElements", p)
            count = self.data[p]
            p += 1
        else:
            count = self._term(p, pkg_end, scope, in_method, True)
            p = count.offset + count.length
        elements = []
        term = self._term
        while p < pkg_end:
            element = term(p, pkg_end, scope, in_method, False)
            elements.append(element)
            p = element.offset + element.length
        return Package(pos, pkg_end - pos, info.opcode, count, elements)

    # -- namespace modifiers and named objects --------------------------------

    def _scoped_body(self, pos: int, end: int, segs: ScopePath, in_method: bool) -> list[Node]:
        saved = self.scope
        self.scope = segs
        try:
            return self._term_list(pos, end, segs, in_method)
        except AmlError as exc:
            if exc.path is None:  # from a decode helper: name the innermost scope
                raise self._error(exc.reason, exc.offset if exc.offset is not None else self.pos) from None
            raise
        except (IndexError, struct.error):
            raise self._error("unexpected end of AML", self.pos) from None
        finally:
            self.scope = saved

    def _scope_like(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
                    in_method: bool) -> Node:
        """Scope, Device, ThermalZone, Processor, PowerResource, Method."""
        op = info.opcode
        pkg_end, p = self._pkg(p, end)
        name_at = p
        name, p = self._name(p, pkg_end)
        argc: int | None = None
        extra: list[int] = []
        for kind in info.args[2:-1]:
            value, p = self._operand(kind, p, pkg_end, scope, in_method)
            extra.append(value)  # type: ignore[arg-type]
        if op is Opcode.METHOD:
            argc = extra[0] & METHOD_ARG_COUNT_MASK
        if op is Opcode.SCOPE:
            # A Scope names an existing object, and a single NameSeg is looked up with the
            # search-to-root rule (ACPICA AcpiDsLoad1BeginOp: AML_SCOPE_OP, ACPI_NS_SEARCH_PARENT):
            # Scope (_SB) inside Scope (\_SB) re-opens \_SB.
            found = self._lookup(name, scope)[0] if name.is_single_segment else ""
            if found:
                segs = tuple(found[1:].split("."))
            else:
                try:
                    segs = resolve(name, scope)
                except AmlError as exc:
                    raise self._error(exc.reason, name_at) from None
            path = path_string(segs)
        else:
            path = self._declare(name, scope, argc, in_method, name_at)
            segs = resolve(name, scope)
        if p > pkg_end:
            raise self._error(f"{info.asl_name} header runs past its PkgLength", pos)
        if op is Opcode.METHOD:
            if self.skip_methods:
                body = []
            elif self.lazy_methods:
                body = None         # parsed when the method runs (parse_method_terms)
            else:
                body = self._method_body(p, pkg_end, segs)
            return Method(pos, pkg_end - pos, name, path, extra[0], body, p)
        body = self._scoped_body(p, pkg_end, segs, in_method)
        length = pkg_end - pos
        if op is Opcode.SCOPE:
            return Scope(pos, length, name, path, body)
        if op is Opcode.DEVICE:
            return Device(pos, length, name, path, body)
        if op is Opcode.THERMAL_ZONE:
            return ThermalZone(pos, length, name, path, body)
        if op is Opcode.PROCESSOR:
            return Processor(pos, length, name, path, extra[0], extra[1], extra[2], body)
        return PowerResource(pos, length, name, path, extra[0], extra[1], body)

    def _method_body(self, pos: int, end: int, segs: ScopePath) -> list[Node]:
        """A method's TermList; again after a pre-scan when it declares methods itself.

        ACPICA runs the declarations of a method body before a nested method
        can be called, so a nested method may call a sibling declared after it.
        When a body declares methods, its nested declarations are collected
        first (without entering their bodies) and the body is parsed again.
        """
        self.nested.append(False)
        try:
            body: list[Node] | None = self._scoped_body(pos, end, segs, True)
        except AmlError:
            if not self.nested[-1]:
                raise
            body = None
        finally:
            has_nested = self.nested.pop()
        if not has_nested:
            return body  # type: ignore[return-value]
        skip, self.skip_methods = self.skip_methods, True
        try:
            self._scoped_body(pos, end, segs, True)
        except AmlError:
            pass  # keep the declarations found before the failure
        finally:
            self.skip_methods = skip
        return self._scoped_body(pos, end, segs, True)

    def _if_while(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
                  in_method: bool) -> Node:
        pkg_end, p = self._pkg(p, end)
        if info.opcode is Opcode.ELSE:
            return Else(pos, pkg_end - pos, self._term_list(p, pkg_end, scope, in_method))
        predicate = self._term(p, pkg_end, scope, in_method, True)
        body = self._term_list(predicate.offset + predicate.length, pkg_end, scope, in_method)
        cls = If if info.opcode is Opcode.IF else While
        return cls(pos, pkg_end - pos, predicate, body)

    def _name_op(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
                 in_method: bool) -> Name:
        name, p = self._name(p, end)
        path = self._declare(name, scope, None, in_method, pos + 1)
        value = self._term(p, end, scope, in_method, False)
        return Name(pos, value.offset + value.length - pos, name, path, value)

    def _alias(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
               in_method: bool) -> Alias:
        source, p = self._name(p, end)
        name_at = p
        name, p = self._name(p, end)
        _, argc = self._lookup(source, scope)
        path = self._declare(name, scope, argc, in_method, name_at)
        return Alias(pos, p - pos, name, path, source)

    def _external(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
                  in_method: bool) -> External:
        name, p = self._name(p, end)
        if p + 2 > end:
            raise self._error("truncated External", pos)
        obj_type, argc = self.data[p], self.data[p + 1]
        try:
            path = path_string(resolve(name, scope))
        except AmlError as exc:
            raise self._error(exc.reason, pos + 1) from None
        if path not in self.names:  # a declaration never overrides a definition
            self.names[path] = (argc & METHOD_ARG_COUNT_MASK
                                if obj_type == ObjectType.METHOD else None)
        return External(pos, p + 2 - pos, name, path, obj_type, argc)

    def _simple_named(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
                      in_method: bool) -> Node:
        """Mutex, Event, OperationRegion, DataTableRegion: NameString then operands."""
        name_at = p
        name, p = self._name(p, end)
        path = self._declare(name, scope, None, in_method, name_at)
        values = []
        for kind in info.args[1:]:
            value, p = self._operand(kind, p, end, scope, in_method)
            values.append(value)
        length = p - pos
        op = info.opcode
        if op is Opcode.MUTEX:
            return Mutex(pos, length, name, path, values[0])
        if op is Opcode.EVENT:
            return Event(pos, length, name, path)
        if op is Opcode.OPERATION_REGION:
            return OperationRegion(pos, length, name, path, values[0], values[1], values[2])
        return DataRegion(pos, length, name, path, values[0], values[1], values[2])

    def _create_field(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
                      in_method: bool) -> CreateField:
        source = self._term(p, end, scope, in_method, True)
        index = self._term(source.offset + source.length, end, scope, in_method, True)
        p = index.offset + index.length
        width = None
        if info.opcode is Opcode.CREATE_FIELD:
            width = self._term(p, end, scope, in_method, True)
            p = width.offset + width.length
        name_at = p
        name, p = self._name(p, end)
        path = self._declare(name, scope, None, in_method, name_at)
        return CreateField(pos, p - pos, name, path, info.opcode, source, index, width)

    # -- fields ---------------------------------------------------------------

    def _field(self, info: OpInfo, pos: int, p: int, end: int, scope: ScopePath,
               in_method: bool) -> Node:
        op = info.opcode
        pkg_end, p = self._pkg(p, end)
        first, p = self._name(p, pkg_end)
        second = None
        bank_value = None
        if op is not Opcode.FIELD:
            second, p = self._name(p, pkg_end)
        if op is Opcode.BANK_FIELD:
            bank_value = self._term(p, pkg_end, scope, in_method, True)
            p = bank_value.offset + bank_value.length
        if p >= pkg_end:
            raise self._error(f"{info.asl_name} has no FieldFlags", p)
        flags = self.data[p]
        elements = self._field_list(p + 1, pkg_end, scope, in_method)
        length = pkg_end - pos
        if op is Opcode.FIELD:
            return Field(pos, length, flags, elements, first)
        if op is Opcode.INDEX_FIELD:
            return IndexField(pos, length, flags, elements, first, second)  # type: ignore[arg-type]
        return BankField(pos, length, flags, elements, first, second, bank_value)  # type: ignore[arg-type]

    def _field_list(self, p: int, end: int, scope: ScopePath, in_method: bool) -> list[FieldElement]:
        data = self.data
        elements: list[FieldElement] = []
        bit = 0
        while p < end:
            self.pos = p
            tag = data[p]
            if tag == FieldElementTag.RESERVED:
                width, q = decode_pkg_length(data, p + 1)
                elements.append(ReservedField(p, q - p, bit, width))
                bit += width
            elif tag == FieldElementTag.ACCESS:
                q = p + 3
                if q > end:
                    raise self._error("truncated AccessAs", p)
                elements.append(AccessAs(p, 3, data[p + 1], data[p + 2], None))
            elif tag == FieldElementTag.EXTENDED_ACCESS:
                q = p + 4
                if q > end:
                    raise self._error("truncated extended AccessAs", p)
                elements.append(AccessAs(p, 4, data[p + 1], data[p + 2], data[p + 3]))
            elif tag == FieldElementTag.CONNECT:
                if p + 1 < end and data[p + 1] == Opcode.BUFFER:
                    buf = self._term(p + 1, end, scope, in_method, False)
                    q = buf.offset + buf.length
                    elements.append(Connection(p, q - p, None, buf))  # type: ignore[arg-type]
                else:
                    name, q = self._name(p + 1, end)
                    elements.append(Connection(p, q - p, name, None))
            else:
                seg = decode_name_seg(data, p)
                width, q = decode_pkg_length(data, p + NAME_SEG_SIZE)
                path = self._declare(NameString(False, 0, (seg,)), scope, None, in_method, p)
                elements.append(NamedField(p, q - p, seg, path, bit, width))
                bit += width
            if q > end:
                raise self._error("field element runs past the end of its field list", p)
            p = q
        return elements


#: Operators whose SuperName operand is never a method call: ACPICA parses it
#: as ARGP_SIMPLENAME (``source/include/acopcode.h``); every other SuperName
#: and Target may be a MethodInvocation (ACPI 6.5 section 20.2.2, UserTermObj),
#: as ACPICA's ``AcpiPsGetNextArg`` allows.
_NAMES_NEVER_CALLED = frozenset({Opcode.REF_OF, Opcode.COND_REF_OF, Opcode.OBJECT_TYPE})

_CONSTANTS = {Opcode.ZERO: 0, Opcode.ONE: 1, Opcode.ONES: ONES_VALUE}

_HANDLERS = {
    **{op: _Parser._integer for op in INTEGER_DATA_SIZE},
    Opcode.STRING_PREFIX: _Parser._string,
    Opcode.BUFFER: _Parser._buffer,
    Opcode.PACKAGE: _Parser._package,
    Opcode.VAR_PACKAGE: _Parser._package,
    **{op: _Parser._scope_like for op in (Opcode.SCOPE, Opcode.DEVICE, Opcode.THERMAL_ZONE,
                                          Opcode.PROCESSOR, Opcode.POWER_RES, Opcode.METHOD)},
    Opcode.IF: _Parser._if_while,
    Opcode.ELSE: _Parser._if_while,
    Opcode.WHILE: _Parser._if_while,
    Opcode.NAME: _Parser._name_op,
    Opcode.ALIAS: _Parser._alias,
    Opcode.EXTERNAL: _Parser._external,
    **{op: _Parser._simple_named for op in (Opcode.MUTEX, Opcode.EVENT, Opcode.OPERATION_REGION,
                                            Opcode.DATA_REGION)},
    **{op: _Parser._create_field for op in (Opcode.CREATE_BIT_FIELD, Opcode.CREATE_BYTE_FIELD,
                                            Opcode.CREATE_WORD_FIELD, Opcode.CREATE_DWORD_FIELD,
                                            Opcode.CREATE_QWORD_FIELD, Opcode.CREATE_FIELD)},
    **{op: _Parser._field for op in (Opcode.FIELD, Opcode.INDEX_FIELD, Opcode.BANK_FIELD)},
}
