"""Compile the parser's term tree (:mod:`.tree`) into Python closures (ACPI 6.5 chapter 19/20).

Each term becomes a closure taking the method's :class:`~.frame.Frame`; a
method body is compiled once, on its first call, so a loop runs closures,
not a tree walk. This is the core, as uACPI's execution loop
(``source/interpreter.c``): blocks and control flow, names, expressions,
store targets. The operators are in :mod:`.op_handlers` (the operator
table), named-object declarations in :mod:`.declarations`, regions and
fields in :mod:`.field_declarations`. Conventions:

* expression closures return the term's value;
* statement closures return ``None`` to go on, or :data:`~.frame.BREAK`,
  :data:`~.frame.CONTINUE` or :data:`~.frame.RETURN` (the value is in ``frame.ret``);
* a block runner adds each statement's opcode count to
  ``Interpreter.opcodes_executed`` as it runs it, and gives an AML failure
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
from vcpu_hotplug.acpi.aml.store import copy_value, element, unwind
from vcpu_hotplug.acpi.errors import AmlError

__all__ = ["Compiler"]


class Compiler:
    """Compiles terms of one definition block for one interpreter."""

    def __init__(self, interp, table: str | None = None, tolerant: bool = False) -> None:
        self.interp = interp
        self.tolerant = tolerant
        self.ns = interp.namespace
        self.stores = interp.stores
        self.width = interp.int_bytes
        self.ones = interp.ones
        self.table = table

    # ------------------------------------------------------------------ blocks ------------

    def block(self, nodes: list) -> callable:
        items = []
        i = 0
        n = len(nodes)
        while i < n:
            node = nodes[i]
            try:
                if isinstance(node, t.If):
                    else_node = nodes[i + 1] if i + 1 < n and isinstance(nodes[i + 1], t.Else) else None
                    fn = self.if_(node, else_node)
                    items.append((fn, True, count_opcodes(node), node.offset))
                    i += 2 if else_node is not None else 1
                    continue
                if isinstance(node, t.Else):
                    i += 1          # an Else with no If before it: never runs
                    continue
                fn, ctl = self.statement(node)
            except AmlError as exc:
                if exc.offset is not None:
                    raise
                # A term that cannot be compiled (a NullName SuperName, ...): say which one.
                raise AmlError(exc.reason, path=exc.path, offset=node.offset, table=self.table) from exc
            if fn is not None:
                items.append((fn, ctl, count_opcodes(node), node.offset))
            i += 1
        items = tuple(items)

        def run(f):
            interp = f.interp
            off = 0
            try:
                for fn, ctl, cnt, off in items:
                    interp.opcodes_executed += cnt
                    if ctl:
                        r = fn(f)
                        if r is not None:
                            return r
                    else:
                        fn(f)
            except AML_FAULTS as exc:
                err = fail(exc, f, off)
                if err is exc:
                    raise
                raise err from exc
            return None

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

        if not items:
            return lambda f: None
        return run_tolerant if self.tolerant else run

    def if_(self, node: t.If, else_node: t.Else | None):
        pred = self.int_expr(node.predicate)
        body = self.block(node.body)
        if else_node is None:
            def run_if(f):
                if pred(f):
                    return body(f)
                return None
            return run_if
        other = self.block(else_node.body)

        def run_if_else(f):
            if pred(f):
                return body(f)
            return other(f)
        return run_if_else

    def while_(self, node: t.While):
        pred = self.int_expr(node.predicate)
        body = self.block(node.body)
        pcount = count_opcodes(node.predicate)
        offset = node.offset

        def run_while(f):
            interp = f.interp
            limit = interp.max_loop_iterations
            n = 0
            while True:
                interp.opcodes_executed += pcount
                if not pred(f):
                    return None
                n += 1
                if n > limit:
                    raise fail(AmlError(f"While loop ran more than {limit} iterations"), f, offset)
                if interp.opcodes_executed > interp.opcode_deadline:
                    raise fail(budget_exhausted(interp), f, offset)
                r = body(f)
                if r is not None:
                    if r == BREAK:
                        return None
                    if r == CONTINUE:
                        continue
                    return r
        return run_while

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
        """A name used as a value: the object's value, a field read, or a call with no arguments."""
        get = self.node_getter(name)
        interp = self.interp

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
        e = self.expr(node)
        conv = self.to_int

        def as_int(f):
            v = e(f)
            return v if type(v) is int else conv(v)
        return as_int

    def to_int(self, v) -> int:
        if v is None:
            raise AmlError("operand is uninitialized (no value)")
        if isinstance(v, Reference):
            v = self.stores.resolve_value(v)
        t_ = type(v)
        if t_ is FieldUnit or t_ is BufferField:
            v = self.interp.read_object(v)
        return to_integer(v, self.width) & self.ones

    def data(self, v):
        """An operand that must be Integer, String or Buffer (references dereferenced)."""
        if isinstance(v, Reference):
            v = self.stores.resolve_value(v)
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
                elements.append(lambda f, get=get, text=text:
                                NodeRef(n) if (n := get(f)) is not None else UnresolvedName(text))
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
            return Package(values)
        return make

    def method_call(self, node: t.MethodCall, need_value: bool = True):
        get = self.node_getter(node.path if node.path else str(node.name))
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
            ref = self.location(node) if op == Opcode.DEREF_OF else self.expr(node)
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
        ea = self.expr(node.args[0])
        eb = self.expr(node.args[1])
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
        operands = [self.expr(a) for a in node.args[:n_operands]]
        w = self.target(node.args[n_operands]) if len(node.args) > n_operands else None
        data = self.data

        def run(f):
            r = compute(*[data(e(f)) for e in operands])
            if w is not None:
                w(f, r)
            return r
        return run
