"""The operator table: one handler per AML operator, building its closure (ACPI 6.5 section 19.6).

As uACPI's ``op_handlers`` (``source/interpreter.c``): :data:`OPERATORS` maps
an :class:`~vcpu_hotplug.acpi.aml.opcodes.Opcode` to ``handler(compiler,
node) -> closure``, where ``node`` is a :class:`~vcpu_hotplug.acpi.aml.tree.Op`
and the closure takes the method's :class:`~vcpu_hotplug.acpi.aml.frame.Frame`.

Operand conversions follow ACPICA's ``AcpiExResolveOperands``: integer
operands accept Integer, String (hex) and Buffer; a reference held in a Local
or Arg is not dereferenced implicitly (AE_AML_OPERAND_TYPE). Logical
operators return Ones for true (ACPICA), shifts by the integer width or more
give zero, division by zero is an AmlError. Under
:attr:`~.semantics.AmlSemantics.NT` four handlers build NT's closure instead
(LocalX, Increment/Decrement, ToInteger, Concatenate; :mod:`.semantics`).
"""

from __future__ import annotations

import operator

from vcpu_hotplug.acpi.aml import operators as ops
from vcpu_hotplug.acpi.aml import tree as t
from vcpu_hotplug.acpi.aml.clock import NS_PER_MS, NS_PER_US, TIMER_TICK_NS
from vcpu_hotplug.acpi.aml.conversions import (
    buffer_to_plain_string,
    nt_string_to_integer,
    to_buffer,
    to_decimal_string,
    to_hex_string,
    to_integer,
)
from vcpu_hotplug.acpi.aml.frame import ARGS, LOCALS, CompilerServices
from vcpu_hotplug.acpi.aml.objects import (
    DEBUG,
    AmlString,
    BufferField,
    Device,
    Event,
    FieldUnit,
    IndexRef,
    Mutex,
    NodeRef,
    ObjectType,
    Package,
    PowerResource,
    Processor,
    Reference,
    SlotRef,
    ThermalZone,
    type_name,
    type_of,
)
from vcpu_hotplug.acpi.aml.opcodes import Opcode
from vcpu_hotplug.acpi.aml.semantics import AmlSemantics
from vcpu_hotplug.acpi.aml.store import unwind
from vcpu_hotplug.acpi.errors import AmlError


#: ``Acquire``/``Wait`` timeout meaning "wait forever" (section 19.6.1).
WAIT_FOREVER = 0xFFFF

#: Value of the ``Revision`` operator: the interpreter's revision (section 19.6.117).
INTERPRETER_REVISION = 0x20260101

#: Widest integer AML has (section 19.6.98): a shift by this many bits or more gives zero.
#: Python integers shift without bound; the result is then cut to the block's width.
MAX_INTEGER_BITS = 64


def _mod(x, y):
    if y == 0:
        raise AmlError("Mod: divide by zero")
    return x % y


#: ``Op(a, b, Target)`` integer operators: the Python function of two integers.
BINARY = {
    Opcode.ADD: operator.add,
    Opcode.SUBTRACT: operator.sub,
    Opcode.MULTIPLY: operator.mul,
    Opcode.AND: operator.and_,
    Opcode.OR: operator.or_,
    Opcode.XOR: operator.xor,
    Opcode.NAND: lambda x, y: ~(x & y),
    Opcode.NOR: lambda x, y: ~(x | y),
    Opcode.SHIFT_LEFT: lambda x, y: 0 if y >= MAX_INTEGER_BITS else x << y,
    Opcode.SHIFT_RIGHT: lambda x, y: 0 if y >= MAX_INTEGER_BITS else x >> y,
    Opcode.MOD: _mod,
}

#: Logical comparisons: the three-way results (-1, 0, 1) for which each is true.
COMPARE = {
    Opcode.LEQUAL: (0,),
    Opcode.LGREATER: (1,),
    Opcode.LLESS: (-1,),
    Opcode.LNOT_EQUAL: (-1, 1),
    Opcode.LLESS_EQUAL: (-1, 0),
    Opcode.LGREATER_EQUAL: (0, 1),
}


def _op_local(c: CompilerServices, node: t.Op):
    """LocalX as an operand: AE_AML_UNINITIALIZED_LOCAL before a store. NT
    ``empty-return-value`` (uACPI: a Local starts as an Uninitialized object; uACPI case
    empty-objects.asl): the empty object (None), which only operators needing data refuse."""
    i = node.opcode - Opcode.LOCAL0
    if c.interp.semantics is AmlSemantics.NT:
        return lambda f: f.L[i]

    def local(f):
        v = f.L[i]
        if v is None:
            raise AmlError(f"Local{i} is not initialized")
        return v
    return local


def _op_arg(c: CompilerServices, node: t.Op):
    i = node.opcode - Opcode.ARG0

    def arg(f):
        v = f.A[i]
        if v is None:
            raise AmlError(f"Arg{i} is not initialized")
        return v
    return arg


def _op_binary(fn):
    return lambda c, node: c.binary(node, fn)


def _op_compare(wanted):
    return lambda c, node: c.comparison(node, wanted)


def _op_store(c: CompilerServices, node: t.Op):
    src = c.expr(node.args[0])
    w = c.target(node.args[1])
    if w is None:
        return src

    def store(f):
        v = src(f)
        w(f, v)
        return v
    return store


def _op_copy_object(c: CompilerServices, node: t.Op):
    src = c.expr(node.args[0])
    w = c.copy_target(node.args[1])

    def copy_object(f):
        v = src(f)
        if w is not None:
            w(f, v)
        return v
    return copy_object


def _incdec(delta):
    def build(c: CompilerServices, node: t.Op):
        ones = c.ones
        target = node.args[0]
        if isinstance(target, t.Op) and target.opcode in LOCALS:
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
        # NT increment-through-reference (uACPI interpreter.c handle_inc_dec works on the
        # unwound object; uACPI case references-10.asl): the referenced object changes
        nt = interp.semantics is AmlSemantics.NT

        def slow_at(f, ref):
            if (not nt and type(ref) is SlotRef
                    and isinstance(ref.slots[ref.index], Reference)):
                # ACPICA: the Local or Arg's reference is the operand, not an Integer
                raise AmlError("AE_AML_OPERAND_TYPE: Increment/Decrement of a Local or Arg "
                               "holding a reference (use DerefOf)")
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


def _op_divide(c: CompilerServices, node: t.Op):
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


def _op_not(c: CompilerServices, node: t.Op):
    return c.unary_int(node, operator.invert)


def _op_lnot(c: CompilerServices, node: t.Op):
    a = c.int_expr(node.args[0])
    ones = c.ones
    return lambda f: 0 if a(f) else ones


def _op_land(c: CompilerServices, node: t.Op):
    a = c.int_expr(node.args[0])
    b = c.int_expr(node.args[1])
    ones = c.ones

    def land(f):
        x = a(f)
        y = b(f)       # ACPICA evaluates both operands
        return ones if x and y else 0
    return land


def _op_lor(c: CompilerServices, node: t.Op):
    a = c.int_expr(node.args[0])
    b = c.int_expr(node.args[1])
    ones = c.ones

    def lor(f):
        x = a(f)
        y = b(f)
        return ones if x or y else 0
    return lor


def _holds_reference(node) -> bool:
    """A Local or Arg operand: what it holds is the operand, a Reference included."""
    return isinstance(node, t.Op) and (node.opcode in LOCALS or node.opcode in ARGS)


def _op_concat(c: CompilerServices, node: t.Op):
    """Concatenate's operands are ARGI_ANYTYPE in ACPICA: a Reference held in a Local or
    Arg stays a Reference (``[Reference Object]``) instead of being dereferenced."""
    width = c.width
    a = c.operand(node.args[0])
    b = c.operand(node.args[1])
    w = c.target(node.args[2]) if len(node.args) > 2 else None
    data = c.data
    keep_a = _holds_reference(node.args[0])
    keep_b = _holds_reference(node.args[1])

    def operand(v, keep):
        if keep and isinstance(v, Reference):
            return v
        return data(v)

    concatenate = ops.concatenate
    if c.interp.semantics is AmlSemantics.NT:
        # NT concatenate-integer-text (uACPI interpreter.c handle_concatenate: an Integer
        # after a String is printed with "%"UACPI_PRIx64; uACPI case indices-1.asl)
        def concatenate(x, y, width):
            if type(x) is AmlString and type(y) is int:
                return AmlString(bytes(x) + f"{y:x}".encode())
            return ops.concatenate(x, y, width)

    def run(f):
        r = concatenate(operand(a(f), keep_a), operand(b(f), keep_b), width)
        if w is not None:
            w(f, r)
        return r
    return run


def _op_concat_res(c: CompilerServices, node: t.Op):
    width = c.width
    return c.with_target(node, lambda x, y: ops.concatenate_res(x, y, width), 2)


def _op_mid(c: CompilerServices, node: t.Op):
    width = c.width

    def compute(src, index, length):
        return ops.mid(src, c.to_int(index), c.to_int(length), width)
    return c.with_target(node, compute, 3)


def _op_to_buffer(c: CompilerServices, node: t.Op):
    width = c.width
    return c.with_target(node, lambda x: to_buffer(x, width), 1)


def _op_to_integer(c: CompilerServices, node: t.Op):
    """``ToInteger``: a String as ACPICA's AcpiUtStrtoul64 reads it. NT ``to-integer-string``
    (uACPI interpreter.c handle_to, utilities.c uacpi_string_to_integer; uACPI case
    to-integer.asl): octal after a leading 0, a sign, Ones on overflow."""
    width = c.width
    ones = c.ones
    if c.interp.semantics is AmlSemantics.NT:
        def nt_to_integer(x):
            if type(x) is AmlString:
                return nt_string_to_integer(x, width)
            return to_integer(x, width, explicit=True) & ones
        return c.with_target(node, nt_to_integer, 1)
    return c.with_target(node, lambda x: to_integer(x, width, explicit=True) & ones, 1)


def _op_to_hex_string(c: CompilerServices, node: t.Op):
    width = c.width
    return c.with_target(node, lambda x: to_hex_string(x, width), 1)


def _op_to_decimal_string(c: CompilerServices, node: t.Op):
    width = c.width
    return c.with_target(node, lambda x: to_decimal_string(x, width), 1)


def _op_to_string(c: CompilerServices, node: t.Op):
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


def _op_from_bcd(c: CompilerServices, node: t.Op):
    return c.unary_int(node, ops.from_bcd)


def _op_to_bcd(c: CompilerServices, node: t.Op):
    width = c.width
    return c.unary_int(node, lambda x: ops.to_bcd(x, width))


def _op_find_left(c: CompilerServices, node: t.Op):
    return c.unary_int(node, ops.find_set_left_bit)


def _op_find_right(c: CompilerServices, node: t.Op):
    return c.unary_int(node, ops.find_set_right_bit)


def _op_index(c: CompilerServices, node: t.Op):
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


def _op_deref_of(c: CompilerServices, node: t.Op):
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


def _op_ref_of(c: CompilerServices, node: t.Op):
    loc = c.location(node.args[0])

    def ref_of(f):
        r = loc(f)
        if r is None:
            raise AmlError("RefOf: object does not exist")
        if type(r) is IndexRef:
            return IndexRef(r.container, r.index, refof=True)
        return r
    return ref_of


def _op_cond_ref_of(c: CompilerServices, node: t.Op):
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


def _op_object_type(c: CompilerServices, node: t.Op):
    loc = c.location(node.args[0])

    def object_type(f):
        where = unwind(loc(f))
        if type(where) is IndexRef and type(where.container) is not Package:
            # ACPICA: an Index into a String or Buffer is a Buffer Field (exoparg2.c Index)
            return int(ObjectType.BUFFER_FIELD)
        obj = c.object_at(where)
        if obj is DEBUG:
            return int(ObjectType.DEBUG_OBJECT)
        code = type_of(obj)
        if code > ObjectType.DEBUG_OBJECT:
            return 0
        return int(code)
    return object_type


def _op_size_of(c: CompilerServices, node: t.Op):
    loc = c.location(node.args[0])
    interp = c.interp
    width = c.width

    def size_of(f):
        obj = c.object_at(loc(f))
        if type(obj) is FieldUnit or type(obj) is BufferField:
            obj = interp.read_object(obj)
        return ops.size_of(obj, width)
    return size_of


def _op_match(c: CompilerServices, node: t.Op):
    pkg = c.operand(node.args[0])
    op1 = node.args[1]
    v1 = c.operand(node.args[2])
    op2 = node.args[3]
    v2 = c.operand(node.args[4])
    start = c.int_expr(node.args[5])
    width, ones = c.width, c.ones
    data = c.data

    def match(f):
        p = data(pkg(f))
        return ops.match(p, op1, data(v1(f)), op2, data(v2(f)), start(f), width, ones)
    return match


def _op_notify(c: CompilerServices, node: t.Op):
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


def _sync_object(c: CompilerServices, node, kind):
    loc = c.location(node)

    def get(f):
        obj = c.object_at(loc(f))
        if type(obj) is not kind:
            raise AmlError(f"expected a {kind.__name__}, found a {type_name(obj)}")
        return obj
    return get


def _op_acquire(c: CompilerServices, node: t.Op):
    mutex = _sync_object(c, node.args[0], Mutex)
    timeout = node.args[1] if isinstance(node.args[1], int) else WAIT_FOREVER
    interp = c.interp
    ones = c.ones
    return lambda f: 0 if interp.sync.acquire(mutex(f), timeout, f) else ones


def _op_release(c: CompilerServices, node: t.Op):
    mutex = _sync_object(c, node.args[0], Mutex)
    interp = c.interp
    return lambda f: interp.sync.release(mutex(f), f)


def _op_signal(c: CompilerServices, node: t.Op):
    event = _sync_object(c, node.args[0], Event)
    interp = c.interp
    return lambda f: interp.sync.signal(event(f))


def _op_reset(c: CompilerServices, node: t.Op):
    event = _sync_object(c, node.args[0], Event)
    interp = c.interp
    return lambda f: interp.sync.reset(event(f))


def _op_wait(c: CompilerServices, node: t.Op):
    event = _sync_object(c, node.args[0], Event)
    timeout = c.int_expr(node.args[1])
    interp = c.interp
    ones = c.ones
    return lambda f: 0 if interp.sync.wait(event(f), timeout(f)) else ones


def _op_sleep(c: CompilerServices, node: t.Op):
    ms = c.int_expr(node.args[0])
    interp = c.interp
    return lambda f: interp.clock.advance_ns(ms(f) * NS_PER_MS)


def _op_stall(c: CompilerServices, node: t.Op):
    us = c.int_expr(node.args[0])
    interp = c.interp
    return lambda f: interp.clock.advance_ns(us(f) * NS_PER_US)


def _op_timer(c: CompilerServices, node: t.Op):
    interp = c.interp
    ones = c.ones
    return lambda f: (interp.clock.now_ns() // TIMER_TICK_NS) & ones


def _op_revision(c: CompilerServices, node: t.Op):
    return lambda f: INTERPRETER_REVISION


def _op_debug(c: CompilerServices, node: t.Op):
    return lambda f: DEBUG


def _op_fatal(c: CompilerServices, node: t.Op):
    kind, code = node.args[0], node.args[1]
    arg = c.int_expr(node.args[2])

    def fatal(f):
        # As ACPICA and Linux (acpi_os_signal): reported to the host, execution goes on.
        f.interp.fatal_events.append((kind, code, arg(f)))
    return fatal


def _op_load(c: CompilerServices, node: t.Op):
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


def _op_load_table(c: CompilerServices, node: t.Op):
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


def _op_unsupported(c: CompilerServices, node: t.Op):
    name = node.opcode.info.asl_name

    def unsupported(f):
        raise AmlError(f"{name} is not supported")
    return unsupported


#: The operator table: opcode -> handler(compiler, node) -> closure.
OPERATORS = {
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
OPERATORS.update({op: _op_local for op in LOCALS})
OPERATORS.update({op: _op_arg for op in ARGS})
OPERATORS.update({op: _op_binary(fn) for op, fn in BINARY.items()})
OPERATORS.update({op: _op_compare(wanted) for op, wanted in COMPARE.items()})
