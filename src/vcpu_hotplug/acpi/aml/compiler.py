"""Compile the parser's term tree (:mod:`.tree`) into Python closures (ACPI 6.5 chapter 19/20).

Each term becomes a closure taking the method's :class:`~.frame.Frame`; a
method body is parsed and compiled once, on its first call (ACPICA parses a
body when it runs), so a loop runs closures, not a tree walk. When a name
changes between method and not-method while a body runs (CopyObject, Load),
the rest of each running TermList is parsed again from the table
(:class:`Reparse`), as uACPI, which parses a statement when it reaches it.
This is the core, as uACPI's execution loop
(``source/interpreter.c``): blocks and control flow, names, expressions,
store targets. The operators are in :mod:`.op_handlers` (the operator
table), named-object declarations in :mod:`.declarations`, regions and
fields in :mod:`.field_declarations`. Conventions:

* expression closures return the term's value;
* statement closures return ``None`` to go on, or :data:`~.frame.BREAK`,
  :data:`~.frame.CONTINUE` or :data:`~.frame.RETURN` (the value is in ``frame.ret``);
* a block runner adds its statements' opcode count to
  ``Interpreter.opcodes_executed`` when it starts (none with ``max_opcodes=None``:
  no budget, no bookkeeping), and gives an AML failure
  the method path and the AML offset of the statement (:func:`~.frame.fail`);
  a host fault (any exception outside :data:`~.frame.AML_FAULTS`) goes
  through unchanged.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml import operators as ops
from vcpu_hotplug.acpi.aml import tree as t
from vcpu_hotplug.acpi.aml.conversions import to_integer
from vcpu_hotplug.acpi.aml.declarations import DECLARATIONS
from vcpu_hotplug.acpi.aml.frame import (
    AML_FAULTS,
    ARGS,
    BREAK,
    CONTINUE,
    LOCALS,
    RETURN,
    budget_exhausted,
    charge_size,
    count_opcodes,
    fail,
)
from vcpu_hotplug.acpi.aml.objects import (
    DEBUG,
    AmlString,
    BufferField,
    FieldUnit,
    IndexRef,
    Method,
    NodeRef,
    Package,
    Reference,
    SlotRef,
    UnresolvedName,
    type_name,
)
from vcpu_hotplug.acpi.aml.op_handlers import OPERATORS
from vcpu_hotplug.acpi.aml.opcodes import Opcode
from vcpu_hotplug.acpi.aml.parser import parse_method_terms
from vcpu_hotplug.acpi.aml.semantics import AmlSemantics
from vcpu_hotplug.acpi.aml.store import copy_value, element, unwind
from vcpu_hotplug.acpi.errors import AmlError

__all__ = ["Compiler"]


class Compiler:
    """Compiles terms of one definition block for one interpreter."""

    def __init__(self, interp, table: str | None = None, tolerant: bool = False,
                 data: bytes | None = None) -> None:
        self.interp = interp
        #: the table's bytes (a method body's terms are parsed again from them when a name
        #: changes between method and not-method while it runs)
        self.source = data
        self.tolerant = tolerant
        self.ns = interp.namespace
        self.stores = interp.stores
        self.width = interp.int_bytes
        self.ones = interp.ones
        self.table = table
        #: Compile NT's answers where they differ from ACPICA's (:mod:`.semantics`).
        self.nt = interp.semantics is AmlSemantics.NT

    # ------------------------------------------------------------------ blocks ------------

    def items(self, nodes: list, reparse: bool = False) -> tuple:
        """``(closure, is_control, opcode count, offset)`` for each statement of a TermList;
        with ``reparse`` the statements that may change names' shapes are :meth:`watched`."""
        items = []
        i = 0
        n = len(nodes)
        while i < n:
            node = nodes[i]
            try:
                if isinstance(node, t.If):
                    else_node = nodes[i + 1] if i + 1 < n and isinstance(nodes[i + 1], t.Else) else None
                    fn = self.if_(node, else_node)
                    last = else_node if else_node is not None else node
                    if reparse and (may_reshape(node) or else_node is not None and may_reshape(else_node)):
                        fn = self.watched(fn, last.offset + last.length)
                    items.append((fn, True, count_opcodes(node), node.offset))
                    i += 2 if else_node is not None else 1
                    continue
                if isinstance(node, t.Else):
                    i += 1          # an Else with no If before it: never runs
                    continue
                if isinstance(node, t.Unparsed):
                    resume = Reparse(node.offset)
                    items.append((lambda f: resume, True, 0, node.offset))
                    break
                fn, ctl = self.statement(node)
            except AmlError as exc:
                if exc.offset is not None:
                    raise
                # A term that cannot be compiled (a NullName SuperName, ...): say which one.
                raise AmlError(exc.reason, path=exc.path, offset=node.offset, table=self.table) from exc
            if fn is not None:
                if reparse and may_reshape(node):
                    fn, ctl = self.watched(fn, node.offset + node.length, ctl), True
                items.append((fn, ctl, count_opcodes(node), node.offset))
            i += 1
        return tuple(items)

    def watched(self, fn, resume: int, ctl: bool = True):
        """A statement that may call a method or CopyObject: when a name changed between
        method and not-method (or its argument count) while it ran, say where to go on
        parsing (:class:`Reparse`), as uACPI, which parses each statement as it reaches it."""
        ns = self.ns

        def run_watched(f):
            shapes = ns.shapes
            r = fn(f)
            if ns.shapes != shapes and (r is None or not ctl):
                return Reparse(resume)
            return r if ctl else None
        return run_watched

    def block(self, nodes: list, end: int | None = None) -> callable:
        """A runner for a TermList; ``end`` (where it ends in the table) lets a method body's
        list be parsed again from the table when names change shape while it runs."""
        reparse = end is not None and self.source is not None and not self.tolerant
        items = self.items(nodes, reparse)
        if self.tolerant:
            def run_tolerant(f):
                """Module-level code at load: an error skips one term, as ACPICA does."""
                interp = f.interp
                for fn, ctl, cnt, off in items:
                    interp.opcodes_executed += cnt
                    try:
                        r = fn(f)
                    except AML_FAULTS as exc:    # recorded, load goes on
                        interp.load_errors.append(fail(exc, f, off))
                        continue
                    if ctl and r is not None:
                        return r
                return None
            return run_tolerant if items else (lambda f: None)
        if not items and not reparse:
            return lambda f: None
        ns = self.ns
        start = nodes[0].offset if nodes else end
        # The list's opcodes are charged when it starts (a Return or Break half way through
        # has been charged for the rest: the budget is a bound, not a trace).
        state = [items, ns.shapes, sum(item[2] for item in items)]
        counted = self.interp.max_opcodes is not None

        def refresh(f):
            # names changed shape since this list was compiled: parse it again from the table
            state[1] = ns.shapes
            if reparse:
                state[0] = self.reparsed(start, end, f)
                state[2] = sum(item[2] for item in state[0])
            return state[0]

        def run(f):
            off = start
            try:
                its = state[0] if ns.shapes == state[1] else refresh(f)
                if counted:
                    f.interp.opcodes_executed += state[2]
                while True:
                    for fn, ctl, _, off in its:
                        if ctl:
                            r = fn(f)
                            if r is not None:
                                if type(r) is Reparse:
                                    break
                                return r
                        else:
                            fn(f)
                    else:
                        return None
                    off = r.offset
                    its = self.reparsed(r.offset, end, f)
                    if counted:
                        f.interp.opcodes_executed += sum(item[2] for item in its)
            except AML_FAULTS as exc:
                err = fail(exc, f, off)
                if err is exc:
                    raise
                raise err from exc
        return run

    def reparsed(self, start: int, end: int, f) -> tuple:
        """The statements of ``start..end`` parsed now, with the namespace as it is."""
        try:
            nodes = parse_method_terms(self.source, start, end, scope_segments(f.scope),
                                       live=self.interp.live_argc, table=self.table, whole_body=False)
            return self.items(nodes, True)
        except AmlError as exc:
            raise AmlError(exc.reason, path=f.path, offset=exc.offset, table=self.table) from None

    def if_(self, node: t.If, else_node: t.Else | None):
        pred = self.int_expr(node.predicate)
        body = self.block(node.body, node.offset + node.length)
        if else_node is None:
            def run_if(f):
                if pred(f):
                    return body(f)
                return None
            return run_if
        other = self.block(else_node.body, else_node.offset + else_node.length)

        def run_if_else(f):
            if pred(f):
                return body(f)
            return other(f)
        return run_if_else

    def while_(self, node: t.While):
        pred = self.int_expr(node.predicate)
        body = self.block(node.body, node.offset + node.length)
        pcount = count_opcodes(node.predicate)
        offset = node.offset

        def run_while(f):
            # The predicate's opcodes are charged, and the budget checked, every
            # BUDGET_CHECK_ITERATIONS iterations and when the loop ends (the body charges
            # itself as it runs): one comparison per iteration, as without a budget.
            interp = f.interp
            limit = interp.max_loop_iterations
            n = charged = 0
            check = min(limit, BUDGET_CHECK_ITERATIONS)
            try:
                while True:
                    if not pred(f):
                        return None
                    n += 1
                    if n > check:
                        interp.opcodes_executed += pcount * (n - charged)
                        charged = n
                        if n > limit:
                            raise fail(AmlError(f"While loop ran more than {limit} iterations"), f, offset)
                        if interp.opcodes_executed > interp.opcode_deadline:
                            raise fail(budget_exhausted(interp), f, offset)
                        check = min(limit, n + BUDGET_CHECK_ITERATIONS)
                    r = body(f)
                    if r is not None:
                        if r == BREAK:
                            return None
                        if r == CONTINUE:
                            continue
                        return r
            finally:
                interp.opcodes_executed += pcount * (n + 1 - charged)

        def run_while_uncounted(f):
            """The same without the opcode count and budget (``max_opcodes=None``)."""
            limit = f.interp.max_loop_iterations
            n = 0
            while True:
                if not pred(f):
                    return None
                n += 1
                if n > limit:
                    raise fail(AmlError(f"While loop ran more than {limit} iterations"), f, offset)
                r = body(f)
                if r is not None:
                    if r == BREAK:
                        return None
                    if r == CONTINUE:
                        continue
                    return r
        return run_while if self.interp.max_opcodes is not None else run_while_uncounted

    # ------------------------------------------------------------------ statements --------

    def statement(self, node):
        """``(closure, is_control)``; closure None for declarations with no run-time effect."""
        if isinstance(node, t.While):
            return self.while_(node), True
        if isinstance(node, t.Op):
            op = node.opcode
            if op == Opcode.RETURN:
                value = self.expr(node.args[0]) if node.args and node.args[0] is not None else None

                def ret(f):
                    f.ret = value(f) if value is not None else None
                    return RETURN
                return ret, True
            if op == Opcode.BREAK:
                return (lambda f: BREAK), True
            if op == Opcode.CONTINUE:
                return (lambda f: CONTINUE), True
            if op in (Opcode.NOOP, Opcode.BREAK_POINT):
                return None, False
        if isinstance(node, t.Named) or isinstance(node, t.FieldBase):
            return self.declaration(node), False
        if isinstance(node, t.MethodCall):
            return self.method_call(node, need_value=False), False
        if isinstance(node, t.NameRef):
            return self.name_value(str(node.name), need_value=False), False
        return self.expr(node), False

    # ------------------------------------------------------------------ names -------------

    def node_getter(self, name: str, optional: bool = False):
        """Closure ``f -> namespace Node`` (None if ``optional`` and absent), cached per scope."""
        ns = self.ns
        cache = [None, None, -1]       # scope, node, generation

        def get(f):
            scope = f.scope
            if cache[2] == ns.generation and cache[0] is scope:
                return cache[1]
            node = ns.lookup(name, scope)
            if node is None:
                if optional:
                    return None
                raise AmlError(f"{name} not found (from {scope.path})")
            cache[0], cache[1], cache[2] = scope, node, ns.generation
            return node
        return get

    def name_value(self, name: str, need_value: bool = True):
        """A name used as a value: the object's value, a field read, or a call with no arguments.

        A method that returns nothing where a value is needed is AE_AML_NO_RETURN_VALUE in
        ACPICA; NT ``empty-return-value`` (uACPI interpreter.c uacpi_execute_control_method:
        a call's result starts UACPI_OBJECT_UNINITIALIZED; uACPI case empty-objects.asl):
        the value is the empty object (None), as for :meth:`method_call`."""
        get = self.node_getter(name)
        interp = self.interp
        need_value = need_value and not self.nt

        def value(f):
            v = get(f).value
            tv = type(v)
            if tv is int or tv is AmlString or tv is bytearray or tv is Package:
                return v
            if tv is Method:
                r = interp.invoke(v, ())
                if r is None and need_value:
                    raise AmlError(f"{name} returned no value")
                return r
            return interp.read_object(v)
        return value

    # ------------------------------------------------------------------ expressions -------

    def expr(self, node):
        """Closure ``f -> value`` for a TermArg."""
        if node is None:
            return lambda f: None
        if isinstance(node, t.Integer):
            v = self.ones if node.opcode == Opcode.ONES else node.value & self.ones
            return lambda f: v
        if isinstance(node, t.String):
            raw = node.value.encode("latin-1", "replace")
            return lambda f: AmlString(raw)
        if isinstance(node, t.Buffer):
            return self.buffer(node)
        if isinstance(node, t.Package):
            return self.package(node)
        if isinstance(node, t.NameRef):
            return self.name_value(str(node.name))
        if isinstance(node, t.MethodCall):
            return self.method_call(node)
        if isinstance(node, t.Op):
            return self.op(node)
        if isinstance(node, (t.Named, t.FieldBase)):
            return self.declaration_operand(node)
        raise AmlError(f"cannot evaluate a {type(node).__name__} term", offset=node.offset)

    def declaration_operand(self, node):
        """A declaration where a value is wanted: it declares, but has no value to give."""
        decl = self.declaration(node)
        what = type(node).__name__

        def declare_then_fail(f):
            if decl is not None:
                decl(f)
            raise AmlError(f"a {what} declaration is not an operand (it has no value)")
        return declare_then_fail

    def int_expr(self, node):
        """Closure ``f -> int`` converting the operand implicitly (section 19.3.5)."""
        if isinstance(node, t.Integer):
            v = self.ones if node.opcode == Opcode.ONES else node.value & self.ones
            return lambda f: v
        if isinstance(node, t.Op) and node.opcode in LOCALS:
            i = node.opcode - Opcode.LOCAL0
            conv = self.to_int

            def local_int(f):
                v = f.L[i]
                return v if type(v) is int else conv(v)
            return local_int
        e = self.operand(node)
        conv = self.to_int

        def as_int(f):
            v = e(f)
            return v if type(v) is int else conv(v)
        return as_int

    def operand(self, node):
        """Closure ``f -> value`` for an operand that must be data: an ``Index (...)`` written
        as the operand gives the element (ACPICA exresolv.c resolves an Index reference on the
        operand stack), while a reference held in a Local or Arg, or made by RefOf, stays a
        reference, which :meth:`to_int` and :meth:`data` refuse, as ACPICA does."""
        e = self.expr(node)
        if isinstance(node, t.Op) and node.opcode == Opcode.INDEX:
            load = self.stores.load_initialized

            def element_value(f):
                r = e(f)
                # only a Package element; an Index into a Buffer or String is a Buffer
                # Field reference, which ACPICA leaves unresolved
                if type(r) is IndexRef and type(r.container) is Package:
                    return load(r)
                return r
            return element_value
        return e

    def to_int(self, v) -> int:
        if v is None:
            raise AmlError("operand is uninitialized (no value)")
        if isinstance(v, Reference):
            raise AmlError(NOT_DATA)
        t_ = type(v)
        if t_ is FieldUnit or t_ is BufferField:
            v = self.interp.read_object(v)
        return to_integer(v, self.width) & self.ones

    def data(self, v):
        """An operand that must be Integer, String or Buffer (a field is read; a Reference is
        AE_AML_OPERAND_TYPE: ACPICA does not dereference one implicitly)."""
        if isinstance(v, Reference):
            raise AmlError(NOT_DATA)
        t_ = type(v)
        if t_ is FieldUnit or t_ is BufferField:
            v = self.interp.read_object(v)
        return v

    def buffer(self, node: t.Buffer):
        size = self.int_expr(node.size)
        data = bytes(node.data)

        def make(f):
            n = size(f)
            if n > self.interp.max_buffer_size:
                raise AmlError(f"Buffer of {n} bytes is too large")
            charge_size(f.interp, n)
            if n < len(data):
                # ACPICA: the initializer wins when it is longer than the size.
                return bytearray(data)
            return bytearray(data.ljust(n, b"\x00"))
        return make

    def package(self, node: t.Package):
        elements = []
        for el in node.elements:
            if isinstance(el, t.NameRef):
                get = self.node_getter(str(el.name), optional=True)
                text = str(el.name)
                elements.append(lambda f, get=get, text=text: self.package_element(get(f), text))
            else:
                elements.append(self.expr(el))
        if isinstance(node.count, t.Node):
            count = self.int_expr(node.count)
        else:
            count_value = node.count
            count = lambda f: count_value          # noqa: E731
        limit = self.interp.max_buffer_size

        def make(f):
            n = count(f)
            if n > limit:
                raise AmlError(f"Package of {n} elements is too large")
            charge_size(f.interp, n * 8)
            values = [e(f) for e in elements]
            if n > len(values):
                values.extend([None] * (n - len(values)))
            elif n < len(values):
                # ACPICA dspkginit.c: "Actual Package length (%u) is larger than NumElements
                # field (%u), truncated"
                del values[n:]
            return Package(values)
        return make

    def package_element(self, node, text: str):
        """A name as a Package element (ACPICA dspkginit.c AcpiDsResolvePackageElement): a
        data object's value is copied in (a field is read), anything else (a Device, a
        Method ...) stays a reference to it, a name that does not exist an unresolved one."""
        if node is None:
            return UnresolvedName(text)
        v = node.value
        tv = type(v)
        if tv is int or tv is AmlString or tv is bytearray or tv is Package:
            return copy_value(v)
        if tv is FieldUnit or tv is BufferField:
            return self.interp.read_object(v)
        return NodeRef(node)

    def method_call(self, node: t.MethodCall, need_value: bool = True):
        """A method call; its value (see :meth:`name_value` for a call that returns nothing)."""
        get = self.node_getter(node.path if node.path else str(node.name))
        need_value = need_value and not self.nt
        args = tuple(self.expr(a) for a in node.args)
        interp = self.interp
        nargs = len(args)

        def call(f):
            v = get(f).value
            if type(v) is not Method:
                if nargs == 0:
                    return interp.read_object(v)
                raise AmlError(f"{node.name} is a {type_name(v)}, not a method")
            r = interp.invoke(v, [a(f) for a in args])
            if r is None and need_value:
                raise AmlError(f"{node.name} returned no value")
            return r
        return call

    # ------------------------------------------------------------------ targets -----------

    def target(self, node):
        """Closure ``(f, value) -> None`` storing by the Store rules, or None for no target."""
        if node is None:
            return None
        stores = self.stores
        if isinstance(node, t.Op):
            op = node.opcode
            if op in LOCALS:
                i = op - Opcode.LOCAL0

                def store_local(f, v):
                    L = f.L
                    cur = L[i]
                    if type(v) is int and (cur is None or not isinstance(cur, Reference)):
                        L[i] = v
                    else:
                        stores.store_local(L, i, v)
                return store_local
            if op in ARGS:
                i = op - Opcode.ARG0
                return lambda f, v: stores.store_arg(f.A, i, v)
            if op == Opcode.DEBUG:
                interp = self.interp
                return lambda f, v: interp.debug_store(v)
            if op == Opcode.DEREF_OF:
                return self.deref_target(node)
            ref = self.expr(node)
            return lambda f, v: stores.store_ref(ref(f), v)
        if isinstance(node, t.NameRef):
            get = self.node_getter(str(node.name))
            return lambda f, v: stores.store_node(get(f), v)
        if isinstance(node, t.MethodCall):
            ref = self.expr(node)
            return lambda f, v: stores.store_ref(ref(f), v)
        if isinstance(node, t.Integer) and node.value == 0:
            return None
        raise AmlError(f"invalid store target {type(node).__name__}", offset=node.offset)

    def deref_target(self, node):
        """``Store (v, DerefOf (X))``: ACPICA's DerefOf yields the object X refers to, and a
        Store target that is not a reference is AE_AML_OPERAND_TYPE ("Target is not a
        Reference or Constant object", exstore.c AcpiExStore); only when that object is
        itself a reference does the store go through it."""
        loc = self.location(node)
        stores = self.stores

        def store_deref(f, v):
            r = loc(f)
            tr = type(r)
            if tr is NodeRef:
                obj = r.node.value
            elif tr is SlotRef:
                obj = r.slots[r.index]
            elif tr is IndexRef and type(r.container) is Package:
                obj = element(r)
            else:
                obj = None
            if not isinstance(obj, Reference):
                raise AmlError("AE_AML_OPERAND_TYPE: the target DerefOf (...) is the object "
                               "referred to, not a reference to store through")
            stores.store_ref(obj, v)
        return store_deref

    def copy_target(self, node):
        """Closure ``(f, value)`` for CopyObject's target (no conversion)."""
        stores = self.stores
        if isinstance(node, t.Op):
            op = node.opcode
            if op in LOCALS:
                i = op - Opcode.LOCAL0

                def copy_local(f, v):
                    f.L[i] = copy_value(v)
                return copy_local
            if op in ARGS:
                i = op - Opcode.ARG0
                return lambda f, v: stores.store_arg(f.A, i, v)
            if op == Opcode.DEBUG:
                interp = self.interp
                return lambda f, v: interp.debug_store(v)
        if isinstance(node, t.NameRef):
            get = self.node_getter(str(node.name))
            return lambda f, v: stores.store_node(get(f), v, copy_object=True)
        return self.target(node)

    def location(self, node, optional: bool = False):
        """Closure ``f -> reference`` for a SuperName (RefOf, ObjectType, Increment ...)."""
        if node is None:
            raise AmlError("a SuperName is the NullName")
        if isinstance(node, t.Op):
            op = node.opcode
            if op in LOCALS:
                i = op - Opcode.LOCAL0
                return lambda f: SlotRef(f.L, i, f"Local{i}")
            if op in ARGS:
                i = op - Opcode.ARG0
                return lambda f: SlotRef(f.A, i, f"Arg{i}")
            if op == Opcode.DEBUG:
                return lambda f: DEBUG
            if op == Opcode.DEREF_OF:
                inner = self.expr(node.args[0])
                ns = self.ns

                def deref_loc(f):
                    v = inner(f)
                    if type(v) is AmlString:
                        n = ns.lookup(str(v), f.scope)
                        if n is None:
                            if optional:
                                return None
                            raise AmlError(f"DerefOf: {v} does not name an object")
                        return NodeRef(n)
                    if not isinstance(v, Reference):
                        raise AmlError(f"DerefOf needs a reference, not a {type_name(v)}")
                    return v
                return deref_loc
            e = self.expr(node)
            return e
        if isinstance(node, t.NameRef):
            get = self.node_getter(str(node.name), optional=optional)

            def name_loc(f):
                n = get(f)
                return NodeRef(n) if n is not None else None
            return name_loc
        if isinstance(node, t.MethodCall):
            return self.expr(node)
        raise AmlError(f"invalid SuperName {type(node).__name__}", offset=node.offset)

    def object_at(self, loc):
        """The object a location designates (no field read), following reference chains."""
        loc = unwind(loc)
        tl = type(loc)
        if tl is SlotRef:
            return loc.slots[loc.index]
        if tl is NodeRef:
            return loc.node.value
        if tl is IndexRef:
            return element(loc)
        return loc

    # ------------------------------------------------------------------ operators ---------

    def op(self, node: t.Op):
        handler = OPERATORS.get(node.opcode)
        if handler is None:
            raise AmlError(f"opcode {node.opcode.name} is not supported here", offset=node.offset)
        return handler(self, node)

    def declaration(self, node):
        """Closure creating the named object(s) a term declares, in the frame's scope."""
        handler = DECLARATIONS.get(type(node))
        if handler is None:
            raise AmlError(f"cannot declare a {type(node).__name__}", offset=node.offset)
        return handler(self, node)

    def binary(self, node: t.Op, fn):
        a = self.int_expr(node.args[0])
        b = self.int_expr(node.args[1])
        w = self.target(node.args[2]) if len(node.args) > 2 else None
        ones = self.ones
        if w is None:
            return lambda f: fn(a(f), b(f)) & ones

        def run(f):
            r = fn(a(f), b(f)) & ones
            w(f, r)
            return r
        return run

    def comparison(self, node: t.Op, wanted):
        ea = self.operand(node.args[0])
        eb = self.operand(node.args[1])
        ones = self.ones
        width = self.width
        data = self.data

        if isinstance(node.args[1], t.Integer):
            const = self.ones if node.args[1].opcode == Opcode.ONES else node.args[1].value & ones
            if wanted == (-1,):
                def less_const(f):
                    x = ea(f)
                    if type(x) is int:
                        return ones if x < const else 0
                    return ones if ops.compare(data(x), const, width) in wanted else 0
                return less_const

        def run(f):
            x = ea(f)
            y = eb(f)
            if type(x) is int and type(y) is int:
                c = (x > y) - (x < y)
            else:
                c = ops.compare(data(x), data(y), width)
            return ones if c in wanted else 0
        return run

    def unary_int(self, node: t.Op, fn):
        a = self.int_expr(node.args[0])
        w = self.target(node.args[1]) if len(node.args) > 1 else None
        ones = self.ones

        def run(f):
            r = fn(a(f)) & ones
            if w is not None:
                w(f, r)
            return r
        return run

    def with_target(self, node: t.Op, compute, n_operands: int):
        """Operators ``Op(operands..., Target)`` whose result is stored then returned."""
        operands = [self.operand(a) for a in node.args[:n_operands]]
        w = self.target(node.args[n_operands]) if len(node.args) > n_operands else None
        data = self.data

        def run(f):
            r = compute(*[data(e(f)) for e in operands])
            if w is not None:
                w(f, r)
            return r
        return run


#: How often (in iterations) a While checks the budget; a runaway loop runs at most this many
#: iterations of its body past the budget.
BUDGET_CHECK_ITERATIONS = 32


#: ACPICA's answer to a Reference where data is needed ("Needed [Integer/String/Buffer],
#: found [Reference]", exresop.c).
NOT_DATA = ("AE_AML_OPERAND_TYPE: a Reference is not an Integer, String or Buffer "
            "(use DerefOf: references are not dereferenced implicitly)")


class Reparse:
    """A watched statement's answer: names changed shape; parse again from ``offset``."""

    __slots__ = ("offset",)

    def __init__(self, offset: int) -> None:
        self.offset = offset


def may_reshape(node) -> bool:
    """Whether running ``node`` may change which names are methods: it calls a method,
    CopyObjects or Loads (a name used as a value may also call one: that is not watched)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, t.MethodCall):
            return True
        if isinstance(n, t.Op) and n.opcode in _RESHAPING:
            return True
        if isinstance(n, t.Method):
            continue
        stack.extend(c for c in n.children() if c is not None)
    return False


_RESHAPING = frozenset({Opcode.COPY_OBJECT, Opcode.LOAD, Opcode.LOAD_TABLE})


def scope_segments(node) -> tuple[str, ...]:
    """The NameSegs of ``node``'s absolute path (the parser's scope)."""
    segs = []
    while node is not None and node.parent is not None:
        segs.append(node.name)
        node = node.parent
    return tuple(reversed(segs))
