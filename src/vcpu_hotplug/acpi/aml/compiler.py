"""Compile the parser's term tree (:mod:`.tree`) into Python closures (ACPI 6.5 chapter 19/20).

Each term becomes a closure taking the method's :class:`Frame`; a method
body is compiled once, on its first call, so a loop runs closures, not a tree
walk. Conventions:

* expression closures return the term's value;
* statement closures return ``None`` to go on, or :data:`BREAK`,
  :data:`CONTINUE` or :data:`RETURN` (the value is in ``frame.ret``);
* a block runner adds each statement's opcode count to
  ``Interpreter.opcodes_executed`` as it runs it, and turns any failure into
  an :class:`AmlError` naming the method path and the AML offset of the
  statement (a Python error inside the interpreter never escapes as such).

Operand conversions follow ACPICA's ``AcpiExResolveOperands``: integer
operands accept Integer, String (hex) and Buffer; a reference operand is
dereferenced. Logical operators return Ones for true (ACPICA), shifts by the
integer width or more give zero, division by zero is an AmlError.
"""

from __future__ import annotations

import operator

from vcpu_hotplug.acpi.aml import operators as ops
from vcpu_hotplug.acpi.aml import tree as t
from vcpu_hotplug.acpi.aml.clock import NS_PER_MS, NS_PER_US, TIMER_TICK_NS
from vcpu_hotplug.acpi.aml.conversions import (
    buffer_to_plain_string,
    to_buffer,
    to_decimal_string,
    to_hex_string,
    to_integer,
)
from vcpu_hotplug.acpi.aml.fields import ACCESS_BUFFER, access_bytes_for
from vcpu_hotplug.acpi.aml.objects import (
    DEBUG,
    AmlString,
    BufferField,
    Device,
    Event,
    FieldUnit,
    IndexRef,
    Method,
    Mutex,
    NodeRef,
    ObjectType,
    OperationRegion,
    Package,
    PowerResource,
    Processor,
    Reference,
    SlotRef,
    ThermalZone,
    UnresolvedName,
    type_name,
    type_of,
)
from vcpu_hotplug.acpi.aml.opcodes import CREATE_FIELD_BITS, Opcode
from vcpu_hotplug.acpi.aml.store import copy_value, unwind
from vcpu_hotplug.acpi.errors import AmlError

BREAK = 1
CONTINUE = 2
RETURN = 3

#: ``Acquire``/``Wait`` timeout meaning "wait forever" (section 19.6.1).
WAIT_FOREVER = 0xFFFF

#: Value of the ``Revision`` operator: the interpreter's revision (section 19.6.117).
INTERPRETER_REVISION = 0x20260101

_LOCALS = range(Opcode.LOCAL0, Opcode.LOCAL7 + 1)
_ARGS = range(Opcode.ARG0, Opcode.ARG6 + 1)


class Frame:
    """One method activation: its Locals, Args, current scope and bookkeeping."""

    __slots__ = ("L", "A", "scope", "interp", "ret", "created", "method", "held", "table")

    def __init__(self, interp, scope, method=None, args=(), table=None) -> None:
        self.interp = interp
        self.scope = scope
        self.method = method
        self.L = [None] * 8
        a = list(args)
        self.A = a + [None] * (7 - len(a))
        self.ret = None
        self.created: list | None = None
        self.held: list | None = None
        self.table = table


def _count(node) -> int:
    """Opcodes in a term, its operands included (nested method bodies excluded)."""
    if isinstance(node, (t.If, t.While)):
        return 1 + _count(node.predicate)
    if isinstance(node, (t.Method, t.Else, t.Scope, t.Device, t.Processor, t.PowerResource,
                         t.ThermalZone)):
        return 1
    if isinstance(node, t.Op):
        return 1 + sum(_count(a) for a in node.args if isinstance(a, t.Node))
    if isinstance(node, t.Node):
        return 1 + sum(_count(c) for c in node.children())
    return 0


def _fail(exc: BaseException, f: Frame, offset: int) -> AmlError:
    """Turn any failure into an AmlError naming where it happened (innermost wins)."""
    if isinstance(exc, AmlError):
        if exc.path is not None or exc.offset is not None:
            return exc
        reason = exc.reason
        where = f.method.node.path if f.method is not None and f.method.node is not None else f.scope.path
        new = type(exc)(reason, path=where, offset=offset, table=f.table)
        new.__cause__ = exc
        return new
    elif isinstance(exc, RecursionError):
        reason = "nesting too deep (Python recursion limit)"
    elif isinstance(exc, ZeroDivisionError):
        reason = "divide by zero"
    elif isinstance(exc, MemoryError):
        reason = "out of memory"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    where = f.method.node.path if f.method is not None and f.method.node is not None else f.scope.path
    new = AmlError(reason, path=where, offset=offset, table=f.table)
    new.__cause__ = exc
    return new


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
            if isinstance(node, t.If):
                else_node = nodes[i + 1] if i + 1 < n and isinstance(nodes[i + 1], t.Else) else None
                fn = self.if_(node, else_node)
                items.append((fn, True, _count(node), node.offset))
                i += 2 if else_node is not None else 1
                continue
            if isinstance(node, t.Else):
                i += 1          # an Else with no If before it: never runs
                continue
            fn, ctl = self.statement(node)
            if fn is not None:
                items.append((fn, ctl, _count(node), node.offset))
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
            except Exception as exc:      # noqa: BLE001 - every failure becomes an AmlError
                err = _fail(exc, f, off)
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
                except Exception as exc:   # noqa: BLE001 - recorded, load goes on
                    interp.load_errors.append(_fail(exc, f, off))
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
        pcount = _count(node.predicate)
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
                    raise _fail(AmlError(f"While loop ran more than {limit} iterations"), f, offset)
                if interp.opcodes_executed > interp.opcode_deadline:
                    raise _fail(AmlError(f"more than {interp.max_opcodes} opcodes executed"), f, offset)
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
            decl = self.declaration(node)
            return lambda f: decl(f)
        raise AmlError(f"cannot evaluate a {type(node).__name__} term", offset=node.offset)

    def int_expr(self, node):
        """Closure ``f -> int`` converting the operand implicitly (section 19.3.5)."""
        if isinstance(node, t.Integer):
            v = self.ones if node.opcode == Opcode.ONES else node.value & self.ones
            return lambda f: v
        if isinstance(node, t.Op) and node.opcode in _LOCALS:
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
            if op in _LOCALS:
                i = op - Opcode.LOCAL0

                def store_local(f, v):
                    L = f.L
                    cur = L[i]
                    if type(v) is int and (cur is None or not isinstance(cur, Reference)):
                        L[i] = v
                    else:
                        stores.store_local(L, i, v)
                return store_local
            if op in _ARGS:
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
            if op in _LOCALS:
                i = op - Opcode.LOCAL0

                def copy_local(f, v):
                    f.L[i] = copy_value(v)
                return copy_local
            if op in _ARGS:
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
        if isinstance(node, t.Op):
            op = node.opcode
            if op in _LOCALS:
                i = op - Opcode.LOCAL0
                return lambda f: SlotRef(f.L, i, f"Local{i}")
            if op in _ARGS:
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
            c = loc.container
            if loc.index >= len(c):
                raise AmlError(f"Index {loc.index} beyond the end of a {len(c)}-element object")
            if type(c) is Package:
                return c[loc.index]
            return c[loc.index]
        return loc

    # ------------------------------------------------------------------ operators ---------

    def op(self, node: t.Op):
        op = node.opcode
        handler = _OPS.get(op)
        if handler is not None:
            return handler(self, node)
        if op in _LOCALS:
            i = op - Opcode.LOCAL0

            def local(f):
                v = f.L[i]
                if v is None:
                    raise AmlError(f"Local{i} is not initialized")
                return v
            return local
        if op in _ARGS:
            i = op - Opcode.ARG0

            def arg(f):
                v = f.A[i]
                if v is None:
                    raise AmlError(f"Arg{i} is not initialized")
                return v
            return arg
        if op in _BINARY:
            return self.binary(node, _BINARY[op])
        if op in _COMPARE:
            return self.comparison(node, _COMPARE[op])
        raise AmlError(f"opcode {op.name} is not supported here", offset=node.offset)

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


# ---------------------------------------------------------------------- operator table ----

def _shl(ones_bits):
    def shl(x, y):
        return 0 if y >= ones_bits else x << y
    return shl


def _binary_table():
    return {
        Opcode.ADD: operator.add,
        Opcode.SUBTRACT: operator.sub,
        Opcode.MULTIPLY: operator.mul,
        Opcode.AND: operator.and_,
        Opcode.OR: operator.or_,
        Opcode.XOR: operator.xor,
        Opcode.NAND: lambda x, y: ~(x & y),
        Opcode.NOR: lambda x, y: ~(x | y),
        Opcode.SHIFT_LEFT: lambda x, y: 0 if y >= 64 else x << y,
        Opcode.SHIFT_RIGHT: lambda x, y: 0 if y >= 64 else x >> y,
        Opcode.MOD: _mod,
    }


def _mod(x, y):
    if y == 0:
        raise AmlError("Mod: divide by zero")
    return x % y


_BINARY = _binary_table()
_COMPARE = {
    Opcode.LEQUAL: (0,),
    Opcode.LGREATER: (1,),
    Opcode.LLESS: (-1,),
    Opcode.LNOT_EQUAL: (-1, 1),
    Opcode.LLESS_EQUAL: (-1, 0),
    Opcode.LGREATER_EQUAL: (0, 1),
}


def _op_store(c: Compiler, node: t.Op):
    src = c.expr(node.args[0])
    w = c.target(node.args[1])
    if w is None:
        return src

    def store(f):
        v = src(f)
        w(f, v)
        return v
    return store


def _op_copy_object(c: Compiler, node: t.Op):
    src = c.expr(node.args[0])
    w = c.copy_target(node.args[1])

    def copy_object(f):
        v = src(f)
        if w is not None:
            w(f, v)
        return v
    return copy_object


def _incdec(delta):
    def build(c: Compiler, node: t.Op):
        ones = c.ones
        target = node.args[0]
        if isinstance(target, t.Op) and target.opcode in _LOCALS:
            i = target.opcode - Opcode.LOCAL0

            def fast_local(f):
                v = f.L[i]
                if type(v) is int:
                    v = (v + delta) & ones
                    f.L[i] = v
                    return v
                return slow_at(f, SlotRef(f.L, i, f"Local{i}"))
        else:
            fast_local = None
        loc = c.location(target)
        stores = c.stores
        interp = c.interp

        def slow_at(f, ref):
            final = unwind(ref)
            cur = c.object_at(final)
            tc = type(cur)
            if tc is FieldUnit or tc is BufferField:
                v = (c.to_int(interp.read_object(cur)) + delta) & ones
                interp.write_object(cur, v)
                return v
            v = (c.to_int(cur) + delta) & ones
            tf = type(final)
            if tf is SlotRef:
                final.slots[final.index] = v
            elif tf is NodeRef:
                stores.store_node(final.node, v)
            elif tf is IndexRef:
                stores.store_index(final, v)
            else:
                raise AmlError(f"cannot increment a {type_name(final)}")
            return v

        if fast_local is not None:
            return fast_local
        return lambda f: slow_at(f, loc(f))
    return build


def _op_divide(c: Compiler, node: t.Op):
    a = c.int_expr(node.args[0])
    b = c.int_expr(node.args[1])
    wr = c.target(node.args[2])
    wq = c.target(node.args[3])

    def divide(f):
        x = a(f)
        y = b(f)
        if y == 0:
            raise AmlError("Divide: divide by zero")
        q, r = divmod(x, y)
        if wr is not None:
            wr(f, r)
        if wq is not None:
            wq(f, q)
        return q
    return divide


def _op_not(c: Compiler, node: t.Op):
    return c.unary_int(node, operator.invert)


def _op_lnot(c: Compiler, node: t.Op):
    a = c.int_expr(node.args[0])
    ones = c.ones
    return lambda f: 0 if a(f) else ones


def _op_land(c: Compiler, node: t.Op):
    a = c.int_expr(node.args[0])
    b = c.int_expr(node.args[1])
    ones = c.ones

    def land(f):
        x = a(f)
        y = b(f)       # ACPICA evaluates both operands
        return ones if x and y else 0
    return land


def _op_lor(c: Compiler, node: t.Op):
    a = c.int_expr(node.args[0])
    b = c.int_expr(node.args[1])
    ones = c.ones

    def lor(f):
        x = a(f)
        y = b(f)
        return ones if x or y else 0
    return lor


def _op_concat(c: Compiler, node: t.Op):
    width = c.width
    return c.with_target(node, lambda x, y: ops.concatenate(x, y, width), 2)


def _op_concat_res(c: Compiler, node: t.Op):
    width = c.width
    return c.with_target(node, lambda x, y: ops.concatenate_res(x, y, width), 2)


def _op_mid(c: Compiler, node: t.Op):
    width = c.width

    def compute(src, index, length):
        return ops.mid(src, c.to_int(index), c.to_int(length), width)
    return c.with_target(node, compute, 3)


def _op_to_buffer(c: Compiler, node: t.Op):
    width = c.width
    return c.with_target(node, lambda x: to_buffer(x, width), 1)


def _op_to_integer(c: Compiler, node: t.Op):
    width = c.width
    ones = c.ones
    return c.with_target(node, lambda x: to_integer(x, width, explicit=True) & ones, 1)


def _op_to_hex_string(c: Compiler, node: t.Op):
    width = c.width
    return c.with_target(node, lambda x: to_hex_string(x, width), 1)



def _op_to_decimal_string(c: Compiler, node: t.Op):
    width = c.width
    return c.with_target(node, lambda x: to_decimal_string(x, width), 1)


def _op_to_string(c: Compiler, node: t.Op):
    width = c.width
    ones = c.ones

    def compute(src, length):
        n = c.to_int(length)
        if type(src) is AmlString:
            src = bytearray(src)
        elif type(src) is int:
            src = to_buffer(src, width)
        elif type(src) is not bytearray:
            raise AmlError(f"ToString needs a Buffer, not a {type_name(src)}")
        return buffer_to_plain_string(src, None if n == ones else n)
    return c.with_target(node, compute, 2)


def _op_from_bcd(c: Compiler, node: t.Op):
    return c.unary_int(node, ops.from_bcd)


def _op_to_bcd(c: Compiler, node: t.Op):
    width = c.width
    return c.unary_int(node, lambda x: ops.to_bcd(x, width))


def _op_find_left(c: Compiler, node: t.Op):
    return c.unary_int(node, ops.find_set_left_bit)


def _op_find_right(c: Compiler, node: t.Op):
    return c.unary_int(node, ops.find_set_right_bit)


def _op_index(c: Compiler, node: t.Op):
    src = c.expr(node.args[0])
    idx = c.int_expr(node.args[1])
    w = c.target(node.args[2]) if len(node.args) > 2 else None
    stores = c.stores
    interp = c.interp

    def index(f):
        s = src(f)
        if isinstance(s, Reference):
            s = stores.resolve_value(s)
        ts = type(s)
        if ts is FieldUnit or ts is BufferField:
            s = interp.read_object(s)
            ts = type(s)
        if ts is not Package and ts is not bytearray and ts is not AmlString:
            raise AmlError(f"Index needs a Package, Buffer or String, not a {type_name(s)}")
        i = idx(f)
        if i >= len(s):
            raise AmlError(f"Index {i} beyond the end of a {len(s)}-element {type_name(s)}")
        r = IndexRef(s, i)
        if w is not None:
            w(f, r)
        return r
    return index


def _op_deref_of(c: Compiler, node: t.Op):
    e = c.expr(node.args[0])
    stores = c.stores
    ns = c.ns
    interp = c.interp

    def deref(f):
        v = e(f)
        if type(v) is AmlString:
            n = ns.lookup(str(v), f.scope)
            if n is None:
                raise AmlError(f"DerefOf: {v} does not name an object")
            return interp.read_object(n.value)
        return stores.deref(v)
    return deref


def _op_ref_of(c: Compiler, node: t.Op):
    loc = c.location(node.args[0])

    def ref_of(f):
        r = loc(f)
        if r is None:
            raise AmlError("RefOf: object does not exist")
        if type(r) is IndexRef:
            return IndexRef(r.container, r.index, refof=True)
        return r
    return ref_of


def _op_cond_ref_of(c: Compiler, node: t.Op):
    loc = c.location(node.args[0], optional=True)
    w = c.target(node.args[1]) if len(node.args) > 1 else None
    ones = c.ones

    def cond_ref_of(f):
        try:
            r = loc(f)
        except AmlError:
            r = None
        if r is None:
            return 0
        if w is not None:
            w(f, r)
        return ones
    return cond_ref_of


def _op_object_type(c: Compiler, node: t.Op):
    loc = c.location(node.args[0])

    def object_type(f):
        obj = c.object_at(loc(f))
        if obj is DEBUG:
            return int(ObjectType.DEBUG_OBJECT)
        code = type_of(obj)
        if code > ObjectType.DEBUG_OBJECT:
            return 0
        return int(code)
    return object_type


def _op_size_of(c: Compiler, node: t.Op):
    loc = c.location(node.args[0])
    interp = c.interp
    width = c.width

    def size_of(f):
        obj = c.object_at(loc(f))
        if type(obj) is FieldUnit or type(obj) is BufferField:
            obj = interp.read_object(obj)
        return ops.size_of(obj, width)
    return size_of


def _op_match(c: Compiler, node: t.Op):
    pkg = c.expr(node.args[0])
    op1 = node.args[1]
    v1 = c.expr(node.args[2])
    op2 = node.args[3]
    v2 = c.expr(node.args[4])
    start = c.int_expr(node.args[5])
    width, ones = c.width, c.ones
    data = c.data

    def match(f):
        p = data(pkg(f))
        return ops.match(p, op1, data(v1(f)), op2, data(v2(f)), start(f), width, ones)
    return match


def _op_notify(c: Compiler, node: t.Op):
    loc = c.location(node.args[0])
    value = c.int_expr(node.args[1])
    interp = c.interp

    def notify(f):
        r = unwind(loc(f))
        if type(r) is not NodeRef:
            raise AmlError("Notify needs a Device, Processor, ThermalZone or PowerResource")
        obj = r.node.value
        if not isinstance(obj, (Device, Processor, ThermalZone, PowerResource)):
            raise AmlError(f"Notify on {r.node.path}, a {type_name(obj)}")
        interp.notify_host(r.node.path, value(f))
    return notify


def _sync_object(c: Compiler, node, kind):
    loc = c.location(node)

    def get(f):
        obj = c.object_at(loc(f))
        if type(obj) is not kind:
            raise AmlError(f"expected a {kind.__name__}, found a {type_name(obj)}")
        return obj
    return get


def _op_acquire(c: Compiler, node: t.Op):
    mutex = _sync_object(c, node.args[0], Mutex)
    timeout = node.args[1] if isinstance(node.args[1], int) else WAIT_FOREVER
    interp = c.interp
    ones = c.ones
    return lambda f: 0 if interp.sync.acquire(mutex(f), timeout, f) else ones


def _op_release(c: Compiler, node: t.Op):
    mutex = _sync_object(c, node.args[0], Mutex)
    interp = c.interp
    return lambda f: interp.sync.release(mutex(f), f)


def _op_signal(c: Compiler, node: t.Op):
    event = _sync_object(c, node.args[0], Event)
    interp = c.interp
    return lambda f: interp.sync.signal(event(f))


def _op_reset(c: Compiler, node: t.Op):
    event = _sync_object(c, node.args[0], Event)
    interp = c.interp
    return lambda f: interp.sync.reset(event(f))


def _op_wait(c: Compiler, node: t.Op):
    event = _sync_object(c, node.args[0], Event)
    timeout = c.int_expr(node.args[1])
    interp = c.interp
    ones = c.ones
    return lambda f: 0 if interp.sync.wait(event(f), timeout(f)) else ones


def _op_sleep(c: Compiler, node: t.Op):
    ms = c.int_expr(node.args[0])
    interp = c.interp
    return lambda f: interp.clock.advance_ns(ms(f) * NS_PER_MS)


def _op_stall(c: Compiler, node: t.Op):
    us = c.int_expr(node.args[0])
    interp = c.interp
    return lambda f: interp.clock.advance_ns(us(f) * NS_PER_US)


def _op_timer(c: Compiler, node: t.Op):
    interp = c.interp
    ones = c.ones
    return lambda f: (interp.clock.now_ns() // TIMER_TICK_NS) & ones


def _op_revision(c: Compiler, node: t.Op):
    return lambda f: INTERPRETER_REVISION


def _op_debug(c: Compiler, node: t.Op):
    return lambda f: DEBUG


def _op_fatal(c: Compiler, node: t.Op):
    kind, code = node.args[0], node.args[1]
    arg = c.int_expr(node.args[2])

    def fatal(f):
        # As ACPICA and Linux (acpi_os_signal): reported to the host, execution goes on.
        f.interp.fatal_events.append((kind, code, arg(f)))
    return fatal


def _op_load(c: Compiler, node: t.Op):
    """``Load (Object, Result)``: a table from a region, field or buffer (section 19.6.75).

    Result (and the value) is True when the table loaded, False when it did not.
    """
    loc = c.location(node.args[0])
    w = c.target(node.args[1]) if len(node.args) > 1 else None
    interp = c.interp
    ones = c.ones

    def load(f):
        obj = c.object_at(loc(f))
        data = interp.table_bytes_of(obj)
        ok = interp.load_nested(data)
        r = ones if ok else 0
        if w is not None:
            w(f, r)
        return r
    return load


def _op_load_table(c: Compiler, node: t.Op):
    """``LoadTable (Signature, OEMID, OEMTableID, RootPath, ParameterPath, ParameterData)``."""
    operands = [c.expr(a) for a in node.args[:6]]
    interp = c.interp
    ones = c.ones
    data = c.data

    def load_table(f):
        sig, oem, oem_table, root, param_path, param = [data(e(f)) for e in operands]
        texts = [str(v) if type(v) is AmlString else "" for v in (sig, oem, oem_table, root, param_path)]
        ok = interp.load_table(*texts, param, f.scope)
        return ones if ok else 0
    return load_table


def _op_unsupported(c: Compiler, node: t.Op):
    name = node.opcode.info.asl_name

    def unsupported(f):
        raise AmlError(f"{name} is not supported")
    return unsupported


_OPS = {
    Opcode.STORE: _op_store,
    Opcode.COPY_OBJECT: _op_copy_object,
    Opcode.INCREMENT: _incdec(1),
    Opcode.DECREMENT: _incdec(-1),
    Opcode.DIVIDE: _op_divide,
    Opcode.NOT: _op_not,
    Opcode.LNOT: _op_lnot,
    Opcode.LAND: _op_land,
    Opcode.LOR: _op_lor,
    Opcode.CONCAT: _op_concat,
    Opcode.CONCAT_RES: _op_concat_res,
    Opcode.MID: _op_mid,
    Opcode.TO_BUFFER: _op_to_buffer,
    Opcode.TO_INTEGER: _op_to_integer,
    Opcode.TO_HEX_STRING: _op_to_hex_string,
    Opcode.TO_DECIMAL_STRING: _op_to_decimal_string,
    Opcode.TO_STRING: _op_to_string,
    Opcode.FROM_BCD: _op_from_bcd,
    Opcode.TO_BCD: _op_to_bcd,
    Opcode.FIND_SET_LEFT_BIT: _op_find_left,
    Opcode.FIND_SET_RIGHT_BIT: _op_find_right,
    Opcode.INDEX: _op_index,
    Opcode.DEREF_OF: _op_deref_of,
    Opcode.REF_OF: _op_ref_of,
    Opcode.COND_REF_OF: _op_cond_ref_of,
    Opcode.OBJECT_TYPE: _op_object_type,
    Opcode.SIZE_OF: _op_size_of,
    Opcode.MATCH: _op_match,
    Opcode.NOTIFY: _op_notify,
    Opcode.ACQUIRE: _op_acquire,
    Opcode.RELEASE: _op_release,
    Opcode.SIGNAL: _op_signal,
    Opcode.RESET: _op_reset,
    Opcode.WAIT: _op_wait,
    Opcode.SLEEP: _op_sleep,
    Opcode.STALL: _op_stall,
    Opcode.TIMER: _op_timer,
    Opcode.REVISION: _op_revision,
    Opcode.DEBUG: _op_debug,
    Opcode.FATAL: _op_fatal,
    Opcode.LOAD: _op_load,
    Opcode.LOAD_TABLE: _op_load_table,
    Opcode.UNLOAD: _op_unsupported,
}


# ---------------------------------------------------------------------- declarations ------

def _declaration(self: Compiler, node):
    """Closure creating the named object(s) a term declares, in the frame's scope."""
    interp = self.interp
    ns = self.ns
    table = self.table

    def create(f, name, value):
        n = ns.create(name, value, f.scope, table=table)
        if f.created is not None:
            f.created.append(n)
        return n

    if isinstance(node, t.Name):
        value = self.expr(node.value)
        name = str(node.name)
        return lambda f: create(f, name, copy_value(value(f)))

    if isinstance(node, (t.Scope, t.Device, t.ThermalZone, t.Processor, t.PowerResource)):
        body = self.block(node.body)
        name = str(node.name)
        if isinstance(node, t.Scope):
            def open_scope(f):
                target = ns.lookup(name, f.scope) if name != "\\" else ns.root
                if target is None:
                    raise AmlError(f"Scope({name}): no such object")
                return _in_scope(f, target, body)
            return open_scope
        if isinstance(node, t.Device):
            make = Device
        elif isinstance(node, t.ThermalZone):
            make = ThermalZone
        elif isinstance(node, t.Processor):
            pid, addr, plen = node.proc_id, node.pblk_address, node.pblk_length
            make = lambda: Processor(pid, addr, plen)        # noqa: E731
        else:
            lvl, order = node.system_level, node.resource_order
            make = lambda: PowerResource(lvl, order)          # noqa: E731

        def declare_scope(f):
            n = create(f, name, make())
            return _in_scope(f, n, body)
        return declare_scope

    if isinstance(node, t.Method):
        name = str(node.name)
        flags = node.flags
        body_nodes = node.body

        def declare_method(f):
            m = Method(arg_count=flags & 7, serialized=bool(flags & 8), sync_level=flags >> 4,
                       body=body_nodes, table=table)
            m.node = create(f, name, m)
            return None
        return declare_method

    if isinstance(node, t.Alias):
        source = str(node.source)
        name = str(node.name)

        def declare_alias(f):
            target = ns.lookup(source, f.scope)
            if target is None:
                raise AmlError(f"Alias({source}, {name}): {source} does not exist")
            ns.add_alias(name, target, f.scope)
        return declare_alias

    if isinstance(node, t.External):
        return None

    if isinstance(node, t.Mutex):
        name = str(node.name)
        level = node.flags & 0x0F
        return lambda f: create(f, name, Mutex(sync_level=level))

    if isinstance(node, t.Event):
        name = str(node.name)
        return lambda f: create(f, name, Event())

    if isinstance(node, t.OperationRegion):
        name = str(node.name)
        space = node.space
        offset = self.int_expr(node.region_offset)
        length = self.int_expr(node.region_length)

        def declare_region(f):
            r = OperationRegion(space=space, offset=offset(f), length=length(f))
            r.node = create(f, name, r)
            interp.region_created(r)
        return declare_region

    if isinstance(node, t.DataRegion):
        name = str(node.name)
        sig = self.expr(node.signature)
        oem = self.expr(node.oem_id)
        oem_table = self.expr(node.oem_table_id)

        def declare_data_region(f):
            r = interp.data_table_region(str(sig(f)), str(oem(f)), str(oem_table(f)))
            r.node = create(f, name, r)
        return declare_data_region

    if isinstance(node, t.CreateField):
        name = str(node.name)
        src = self.expr(node.source)
        index = self.int_expr(node.index)
        width = self.int_expr(node.width) if node.width is not None else None
        fixed = CREATE_FIELD_BITS[node.opcode]
        by_bit = node.opcode in (Opcode.CREATE_BIT_FIELD, Opcode.CREATE_FIELD)
        stores = self.stores

        def declare_buffer_field(f):
            buf = src(f)
            if isinstance(buf, Reference):
                buf = stores.resolve_value(buf)
            if type(buf) is not bytearray:
                if type(buf) is AmlString:
                    pass
                else:
                    raise AmlError(f"Create*Field needs a Buffer, not a {type_name(buf)}")
            bit = index(f) * (1 if by_bit else 8)
            nbits = fixed if fixed is not None else width(f)
            if nbits == 0:
                raise AmlError("CreateField of zero bits")
            if bit + nbits > 8 * len(buf):
                raise AmlError(f"buffer field bits {bit}..{bit + nbits} beyond a "
                               f"{len(buf)}-byte buffer")
            bf = BufferField(buffer=buf, bit_offset=bit, bit_length=nbits,
                             is_create_field=fixed is None)
            bf.node = create(f, name, bf)
        return declare_buffer_field

    if isinstance(node, t.FieldBase):
        return _field_declaration(self, node, create)

    raise AmlError(f"cannot declare a {type(node).__name__}", offset=node.offset)


def _in_scope(f, node, body):
    saved = f.scope
    f.scope = node
    try:
        r = body(f)
    finally:
        f.scope = saved
    return r


def _field_declaration(self: Compiler, node: t.FieldBase, create):
    ns = self.ns
    flags = node.flags
    update = (flags >> 5) & 3
    lock = bool(flags & 0x10)
    elements = node.elements
    bank_value = self.int_expr(node.bank_value) if isinstance(node, t.BankField) else None

    def lookup(f, name):
        n = ns.lookup(name, f.scope)
        if n is None:
            raise AmlError(f"{name} does not exist")
        return n.value

    def declare_fields(f):
        common = {}
        if isinstance(node, t.Field):
            region = lookup(f, str(node.region))
            if type(region) is not OperationRegion:
                raise AmlError(f"Field: {node.region} is a {type_name(region)}, not a region")
            common["region"] = region
        elif isinstance(node, t.BankField):
            region = lookup(f, str(node.region))
            bank = lookup(f, str(node.bank_name))
            if type(region) is not OperationRegion or type(bank) is not FieldUnit:
                raise AmlError("BankField needs a region and a bank register field")
            common.update(region=region, bank=bank, bank_value=bank_value(f))
        else:
            index = lookup(f, str(node.index_name))
            data = lookup(f, str(node.data_name))
            if type(index) is not FieldUnit or type(data) is not FieldUnit:
                raise AmlError("IndexField needs index and data register fields")
            common.update(index=index, data=data)
        access = flags & 0x0F
        attrib = 0
        access_length = 0
        for el in elements:
            if isinstance(el, t.AccessAs):
                access = el.access
                attrib = el.attrib
                access_length = el.access_length or 0
            elif isinstance(el, t.NamedField):
                if el.bit_width == 0:
                    continue
                nbytes = access_bytes_for(access)
                fu = FieldUnit(bit_offset=el.bit_offset, bit_length=el.bit_width,
                               access_bytes=nbytes, update_rule=update, lock=lock,
                               attribute=attrib, access_length=access_length, **common)
                if access == ACCESS_BUFFER:
                    fu.attribute = attrib
                fu.node = create(f, el.name, fu)
    return declare_fields


Compiler.declaration = _declaration
