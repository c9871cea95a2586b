"""The call frame of compiled AML and the control-flow signals of its statements.

As uACPI's ``call_frame`` (``source/interpreter.c``): one :class:`Frame` per
method activation, holding its Locals, Args and current scope. Statement
closures return ``None`` to go on, or :data:`BREAK`, :data:`CONTINUE` or
:data:`RETURN` (the value is in ``Frame.ret``). :func:`fail` gives a failure
the AML path and offset it happened at (ACPI 6.5 chapter 19 and 20 terms).
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from vcpu_hotplug.acpi.aml import tree as t
from vcpu_hotplug.acpi.aml.opcodes import ARG_COUNT, LOCAL_COUNT, Opcode
from vcpu_hotplug.acpi.errors import AmlError

BREAK = 1
CONTINUE = 2
RETURN = 3

#: Opcodes of Local0..Local7 and Arg0..Arg6.
LOCALS = range(Opcode.LOCAL0, Opcode.LOCAL0 + LOCAL_COUNT)
ARGS = range(Opcode.ARG0, Opcode.ARG0 + ARG_COUNT)


class Frame:
    """One method activation: its Locals, Args, current scope and bookkeeping."""

    __slots__ = ("L", "A", "scope", "interp", "ret", "created", "method", "held", "table")

    def __init__(self, interp, scope, method=None, args=(), table=None) -> None:
        self.interp = interp
        self.scope = scope
        self.method = method
        self.L = [None] * LOCAL_COUNT
        a = list(args)
        self.A = a + [None] * (ARG_COUNT - len(a))
        self.ret = None
        self.created: list | None = None
        self.held: list | None = None
        self.table = table

    @property
    def path(self) -> str:
        """The AML path a failure here is reported at: the method's, else the scope's."""
        method = self.method
        return method.node.path if method is not None and method.node is not None else self.scope.path


def creator(c):
    """``create(f, name, value) -> Node``: a new object in ``f``'s scope, owned by ``c``'s table."""
    ns = c.ns
    table = c.table

    def create(f, name, value):
        n = ns.create(name, value, f.scope, table=table)
        if f.created is not None:
            f.created.append(n)
        return n
    return create


def in_scope(f, node, body):
    """Run ``body`` with ``node`` as the frame's scope."""
    saved = f.scope
    f.scope = node
    try:
        r = body(f)
    finally:
        f.scope = saved
    return r


def count_opcodes(node) -> int:
    """Opcodes in a term, its operands included (nested method bodies excluded)."""
    if isinstance(node, (t.If, t.While)):
        return 1 + count_opcodes(node.predicate)
    if isinstance(node, (t.Method, t.Else, t.Scope, t.Device, t.Processor, t.PowerResource,
                         t.ThermalZone)):
        return 1
    if isinstance(node, t.Op):
        return 1 + sum(count_opcodes(a) for a in node.args if isinstance(a, t.Node))
    if isinstance(node, t.Node):
        return 1 + sum(count_opcodes(c) for c in node.children())
    return 0


#: The failures AML can cause, which become (or are) :class:`AmlError`: the engine's own, and
#: Python's for AML that nests deeper or allocates more than the host allows. Any other
#: exception is a host fault (a region handler's, a notify callback's, an engine bug): it
#: propagates as itself, never as a firmware error the guest would see.
AML_FAULTS = (AmlError, RecursionError, MemoryError)


def budget_exhausted(interp) -> AmlError:
    """The error of an evaluation that ran past ``interp.max_opcodes`` (ACPICA: AE_AML_LOOP_TIMEOUT)."""
    return AmlError(f"AE_AML_LOOP_TIMEOUT: evaluation stopped after {interp.max_opcodes} opcodes "
                    f"(the interpreter's budget per evaluation; a runaway or nested loop?)")


def charge_size(interp, size: int) -> None:
    """Count an allocation of ``size`` bytes or elements against the budget (1 opcode per 256):
    a loop that builds 16 MiB Buffers costs what it takes, not 2 opcodes an iteration."""
    interp.opcodes_executed += size >> 8


def fail(exc: BaseException, f: Frame, offset: int) -> AmlError:
    """Turn an :data:`AML_FAULTS` failure into an AmlError naming where it happened (innermost wins)."""
    if isinstance(exc, AmlError):
        if exc.path is not None or exc.offset is not None:
            return exc
        new = type(exc)(exc.reason, path=f.path, offset=offset, table=f.table)
        new.__cause__ = exc
        return new
    elif isinstance(exc, RecursionError):
        reason = "nesting too deep (Python recursion limit)"
    elif isinstance(exc, MemoryError):
        reason = "out of memory"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    new = AmlError(reason, path=f.path, offset=offset, table=f.table)
    new.__cause__ = exc
    return new


class CompilerServices(Protocol):
    """What the operator and declaration tables use of the compiler (``compiler.Compiler``).

    The tables (``op_handlers``, ``declarations``, ``field_declarations``) name
    this protocol instead of importing the compiler, which imports them.
    """

    interp: Any
    ns: Any
    stores: Any
    width: int
    ones: int
    table: str
    source: Any

    def block(self, nodes: list, end: int | None = None) -> Callable: ...
    def expr(self, node: Any) -> Callable: ...
    def operand(self, node: Any) -> Callable: ...
    def int_expr(self, node: Any) -> Callable: ...
    def to_int(self, v: Any) -> int: ...
    def data(self, v: Any) -> Any: ...
    def target(self, node: Any) -> Any: ...
    def copy_target(self, node: Any) -> Any: ...
    def location(self, node: Any, optional: bool = False) -> Any: ...
    def object_at(self, loc: Any) -> Any: ...
    def binary(self, node: t.Op, fn: Callable) -> Callable: ...
    def comparison(self, node: t.Op, wanted: Any) -> Callable: ...
    def unary_int(self, node: t.Op, fn: Callable) -> Callable: ...
    def with_target(self, node: t.Op, compute: Callable, n_operands: int) -> Callable: ...
