"""The payload codec: a simulated VM's object graph to bytes and back, admitting only simulation code.

Why pickle, and why this one. The state of a running VM is not a handful of
registers: it is the guest kernel in the middle of whatever it was doing
(work queued on the simulated clock, an IRQ thread about to evaluate ``_EVT``,
the AML interpreter's namespace with its loaded and compiled methods), the
VMM's devices and the clock's queue, whose entries are callbacks (closures and
bound methods) into that graph. An explicit codec would have to name every
field of every class of ``vmm``, ``guest``, ``hw`` and the AML engine and be
kept in step with them forever; a field it forgot would be silently lost and
the restored VM would differ in ways no test of the codec could notice. Pickle
walks the graph itself, so nothing is forgotten, and the comparison tests
(``tests/test_migration_state_machine.py``: a run saved and restored at random
points against the same run uninterrupted) check the result as a whole.

What makes it safe to load:

- :class:`StateUnpickler` resolves globals only from the *simulation* layers
  (``arm``, ``acpi``, ``hw``, ``vmm``, ``guest`` and ``system``: code that
  never touches the host: no files, processes or sockets, which
  ``tests/test_migration_stream.py`` checks in their source; the one module
  there that reads files, ``acpi/tableio.py``, is left out), a short list of
  container builtins and pure ``operator`` functions (never ``attrgetter`` or
  ``methodcaller``), and this module's rebuilders. Anything else
  (``os.system``, ``builtins.eval``, ``getattr``, a class of the CLI or the
  QMP server) is refused with :class:`PayloadError` before it is called, so a
  hostile file cannot run code of its choosing;
- functions are never carried as code: a closure or lambda in the graph (the
  clock's callbacks, the AML compiler's closures, the opcode tables' lambdas)
  is written as *where it is defined* (module, qualified name, first line and
  column) plus its cell values, and rebuilt from that module's own source,
  compiled here (:func:`rebuild_function`), with the module's globals; a bound method is written as its object and
  method name and rebuilt only if the name is a function defined in a
  simulation module (:func:`bound_method`), never with ``getattr`` (which
  would reach ``__globals__`` and from there anything);
- since those references name lines of this build's source, the stream
  header carries a fingerprint of the simulation source
  (:func:`code_fingerprint`) and a stream from another build is refused
  (:mod:`.stream`).

Non-state objects are stripped explicitly (:mod:`.vm_state` names each one
and the pickler writes a token in its place): the machine's observers, the
trace's and the clock's listeners are host callbacks (the QMP backend, the
live view, a wall-clock pacer), and faults kept for the host are host data.
The pickler refuses, rather than carries, anything else that does not belong
to the simulation, a host callback left on a simulation hook for instance
(:class:`PayloadError` naming it).

The payload is trusted no further than this: a file that passes the checks
decodes into simulation objects only, but those objects are whatever the
file says (a stream is checked for damage by its SHA-256, not signed).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import io
import itertools
import operator
import pickle
import sys
import types
from collections import Counter, OrderedDict, defaultdict, deque
from pathlib import Path
from typing import Any, Callable

from .errors import PayloadError

#: Packages (and modules) whose classes and functions a payload may name: the simulation.
SIMULATION_PACKAGES = ("vcpu_hotplug.arm", "vcpu_hotplug.acpi", "vcpu_hotplug.hw",
                       "vcpu_hotplug.vmm", "vcpu_hotplug.guest")
SIMULATION_MODULES = ("vcpu_hotplug.system",)
#: Modules of those packages that touch the host (reading table files): never admitted.
HOST_MODULES = ("vcpu_hotplug.acpi.tableio",)
#: Builtins a payload may name: containers and scalars, nothing that calls or looks up.
SAFE_GLOBALS: dict[tuple[str, str], Any] = {
    ("builtins", t.__name__): t for t in
    (set, frozenset, dict, list, tuple, bytearray, bytes, int, float, complex, str, bool, slice, range)
}
SAFE_GLOBALS.update({
    ("collections", "deque"): deque,
    ("collections", "OrderedDict"): OrderedDict,
    ("collections", "defaultdict"): defaultdict,
    ("collections", "Counter"): Counter,
    ("copyreg", "_reconstructor"): __import__("copyreg")._reconstructor,
})
#: Pure arithmetic and comparison functions (the AML engine's operator tables); never
#: ``attrgetter``/``methodcaller``, which would look up or call anything.
SAFE_GLOBALS.update({("_operator", name): getattr(operator, name) for name in (
    "add", "sub", "mul", "floordiv", "truediv", "mod", "pow", "neg", "pos", "abs", "invert", "index",
    "and_", "or_", "xor", "lshift", "rshift", "not_", "truth", "eq", "ne", "lt", "le", "gt", "ge")})
SAFE_GLOBALS.update({("operator", name): fn for (_, name), fn in list(SAFE_GLOBALS.items())
                     if _ == "_operator"})
PICKLE_PROTOCOL = 5
#: Frames allowed for a graph deeper than Python's default limit (tried only when that is not enough).
RECURSION_LIMIT = 20_000


def is_simulation_module(name: str) -> bool:
    """A module whose classes and functions a payload may name (see the module docstring)."""
    if name in HOST_MODULES:
        return False
    return name in SIMULATION_MODULES or any(name == p or name.startswith(p + ".")
                                             for p in SIMULATION_PACKAGES)


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the source of every simulation module (what a payload's code references name)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    paths = sorted(p for p in root.rglob("*.py")
                   if is_simulation_module(".".join(("vcpu_hotplug",) +
                                                    p.relative_to(root).with_suffix("").parts)
                                           .removesuffix(".__init__")))
    for path in paths:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# ------------------------------------------------------------------ code references

def _walk_code(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _walk_code(const)


def _first_position(code: types.CodeType) -> tuple:
    """Where a code object's first located instruction is (line, column): tells apart two lambdas
    defined on one line, whatever order the modules were imported in."""
    for position in code.co_positions():
        if position[0] is not None and position[2] is not None:
            return (position[0], position[2])
    return ()


@functools.lru_cache(maxsize=None)
def _code_index(module_name: str) -> dict[tuple[str, int], list[types.CodeType]]:
    """Every code object of a module's source, by (qualified name, first line).

    The module's source is compiled again, so every function it defines is found wherever it is
    kept (a method, a closure, a lambda in a module-level table or in an object built at import);
    a saved function is matched by equality with these, and a restored one is built from them."""
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    source_file = getattr(module, "__file__", None)
    if not source_file:
        return {}
    top = compile(Path(source_file).read_bytes(), source_file, "exec", dont_inherit=True)
    index: dict[tuple[str, int], list[types.CodeType]] = {}
    for code in _walk_code(top):
        index.setdefault((code.co_qualname, code.co_firstlineno), []).append(code)
    for candidates in index.values():
        candidates.sort(key=_first_position)
    return index


def _function_reference(func: types.FunctionType) -> tuple[str, str, int, tuple]:
    module = func.__module__
    if not isinstance(module, str) or not is_simulation_module(module):
        raise PayloadError(f"cannot save {func.__qualname__} of {module}: not simulation code "
                           "(a host callback left attached to the VM?)")
    code = func.__code__
    candidates = _code_index(module).get((code.co_qualname, code.co_firstlineno), [])
    if any(candidate == code for candidate in candidates):
        return module, code.co_qualname, code.co_firstlineno, _first_position(code)
    raise PayloadError(f"cannot save {code.co_qualname} ({module}, line {code.co_firstlineno}): its "
                       "source changed since it was loaded (restart the VM's process to save it)")


def rebuild_function(module: str, qualname: str, line: int, position: Any, defaults: Any,
                     kwdefaults: Any, ncells: int) -> types.FunctionType:
    """A function of this process's code at (module, qualname, line, position), with empty cells."""
    if not is_simulation_module(module):
        raise PayloadError(f"function {qualname} of module {module} is not simulation code")
    if not isinstance(qualname, str) or not isinstance(line, int) or not isinstance(position, tuple):
        raise PayloadError(f"a function reference to {module} is malformed")
    code = next((c for c in _code_index(module).get((qualname, line), []) if _first_position(c) == position),
                None)
    if code is None:
        raise PayloadError(f"no function {qualname} at line {line} of {module} in this build")
    if len(code.co_freevars) != ncells:
        raise PayloadError(f"{qualname} ({module}, line {line}) has {len(code.co_freevars)} "
                           f"free variables, the stream {ncells}")
    if defaults is not None and not isinstance(defaults, tuple):
        raise PayloadError(f"defaults of {qualname} are not a tuple")
    if kwdefaults is not None and not isinstance(kwdefaults, dict):
        raise PayloadError(f"keyword defaults of {qualname} are not a dict")
    closure = tuple(types.CellType() for _ in range(ncells)) or None
    func = types.FunctionType(code, sys.modules[module].__dict__, code.co_name, defaults, closure)
    func.__kwdefaults__ = kwdefaults
    func.__qualname__ = qualname
    return func


def set_closure(func: types.FunctionType, state: Any) -> None:
    """Fill a rebuilt function's cells (after it is memoized: closures may refer back to it).

    ``state`` is (values, indexes of the cells that are empty)."""
    if not isinstance(func, types.FunctionType) or not isinstance(state, tuple) or len(state) != 2:
        raise PayloadError("closure cells do not match their function")
    values, empty = state
    if not isinstance(values, tuple) or not isinstance(empty, tuple) or \
            len(values) != len(func.__closure__ or ()):
        raise PayloadError("closure cells do not match their function")
    for position, (cell, value) in enumerate(zip(func.__closure__ or (), values)):
        if position not in empty:
            cell.cell_contents = value


def bound_method(obj: Any, name: str) -> Any:
    """``obj.name`` where ``name`` is a method a simulation class defines (never any attribute)."""
    if not isinstance(name, str):
        raise PayloadError("a method name in the stream is not a string")
    cls = type(obj)
    if not is_simulation_module(cls.__module__):
        raise PayloadError(f"method {name} of {cls.__module__}.{cls.__qualname__}: not a simulation class")
    try:
        attr = inspect.getattr_static(cls, name)
    except AttributeError:
        raise PayloadError(f"{cls.__qualname__} has no method {name}") from None
    if isinstance(attr, (staticmethod, classmethod)):
        attr = attr.__func__
    if not isinstance(attr, types.FunctionType) or not is_simulation_module(attr.__module__):
        raise PayloadError(f"{cls.__qualname__}.{name} is not a method of simulation code")
    return types.MethodType(attr, obj)


def counter_from(value: int) -> "itertools.count[int]":
    """``itertools.count(value)`` (the clock's sequence numbers)."""
    if not isinstance(value, int):
        raise PayloadError("a counter's value in the stream is not an integer")
    return itertools.count(value)


def new_instance(cls: type) -> Any:
    """``cls.__new__(cls)`` for a simulation class whose state is set afterwards (see :func:`set_dict`)."""
    if not isinstance(cls, type) or not is_simulation_module(cls.__module__):
        raise PayloadError("an instance in the stream is not of a simulation class")
    return cls.__new__(cls)


def set_dict(obj: Any, state: Any) -> None:
    """Set an instance's attributes directly (classes with ``__getattr__``, whose lookups of
    ``__setstate__`` before their state exists would recurse)."""
    if not isinstance(state, dict):
        raise PayloadError(f"state of a {type(obj).__qualname__} is not a dict")
    object.__getattribute__(obj, "__dict__").update(state)


_REBUILDERS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (rebuild_function, set_closure, bound_method, counter_from, new_instance, set_dict)
}


def _is_global(func: types.FunctionType) -> bool:
    """A module-level function, reachable by its name (pickled as a reference)."""
    module = sys.modules.get(func.__module__) if isinstance(func.__module__, str) else None
    if module is None or "<" in func.__qualname__:
        return False
    obj: Any = module
    for part in func.__qualname__.split("."):
        obj = getattr(obj, part, None)
    return obj is func and (is_simulation_module(func.__module__) or
                            (func.__module__ == __name__ and func.__name__ in _REBUILDERS))


def _count_value(counter: "itertools.count[int]") -> int:
    text = repr(counter)  # count(N): read without consuming
    return int(text[text.index("(") + 1:text.rindex(")")])


# ------------------------------------------------------------------ pickler / unpickler

class StatePickler(pickle.Pickler):
    """Pickles a simulation graph: functions as code references, bound methods by name.

    ``tokens`` maps ``id()`` of host-held objects to the token written instead of the object."""

    def __init__(self, file: Any, tokens: dict[int, Any] | None = None) -> None:
        super().__init__(file, protocol=PICKLE_PROTOCOL)
        self._tokens = tokens or {}
        self._plain: set[type] = set()
        """Types pickled the ordinary way (no override): decided once per type."""

    def persistent_id(self, obj: Any) -> Any:
        return self._tokens.get(id(obj))

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in self._plain:
            return NotImplemented
        if kind is types.FunctionType:
            if _is_global(obj):
                return NotImplemented  # by name, resolved by StateUnpickler.find_class
            module, qualname, line, position = _function_reference(obj)
            cells = obj.__closure__ or ()
            values, empty = [], []
            for slot, cell in enumerate(cells):
                try:
                    values.append(cell.cell_contents)
                except ValueError:  # a cell not yet bound
                    values.append(None)
                    empty.append(slot)
            return (rebuild_function, (module, qualname, line, position, obj.__defaults__,
                                       obj.__kwdefaults__, len(cells)),
                    (tuple(values), tuple(empty)), None, None, set_closure)
        if kind is types.MethodType:
            owner = obj.__self__
            if isinstance(owner, type) or not is_simulation_module(type(owner).__module__):
                raise PayloadError(f"cannot save method {obj.__qualname__}: its object is not part of "
                                   "the simulation (a host callback left attached to the VM?)")
            name = obj.__func__.__name__
            if name.startswith("__") and not name.endswith("__"):  # name-mangled private method
                name = f"_{obj.__func__.__qualname__.split('.')[-2].lstrip('_')}{name}"
            return (bound_method, (owner, name))
        if kind is itertools.count:
            return (counter_from, (_count_value(obj),))
        if kind is types.BuiltinFunctionType and \
                (getattr(obj, "__module__", None), obj.__name__) in SAFE_GLOBALS:
            return NotImplemented
        if kind is types.BuiltinMethodType:
            raise PayloadError(f"cannot save builtin method {obj!r}: not simulation state")
        if is_simulation_module(kind.__module__) and hasattr(obj, "__dict__") and \
                any("__getattr__" in vars(c) for c in kind.__mro__):  # the instance's, not a metaclass's
            return (new_instance, (kind,), dict(vars(obj)), None, None, set_dict)
        if kind not in (types.BuiltinFunctionType, types.BuiltinMethodType):
            self._plain.add(kind)
        return NotImplemented


class StateUnpickler(pickle.Unpickler):
    """Resolves only simulation classes and functions, safe builtins and this module's rebuilders.

    ``persistent(token)`` resolves the tokens of host-held objects (see :class:`StatePickler`)."""

    def __init__(self, file: Any, persistent: Callable[[Any], Any] | None = None) -> None:
        super().__init__(file)
        self._persistent = persistent

    def find_class(self, module: str, name: str) -> Any:
        safe = SAFE_GLOBALS.get((module, name))
        if safe is not None:
            return safe
        if module == __name__ and name in _REBUILDERS:
            return _REBUILDERS[name]
        if not is_simulation_module(module):
            raise PayloadError(f"the stream names {module}.{name}, which is not simulation state")
        try:
            obj: Any = importlib.import_module(module)
        except ImportError:
            raise PayloadError(f"the stream names module {module}, which this build lacks") from None
        for part in name.split("."):
            if part.startswith("__") or part == "<locals>":
                raise PayloadError(f"the stream names {module}.{name}, which is not a public definition")
            obj = getattr(obj, part, None)
            if obj is None:
                raise PayloadError(f"the stream names {module}.{name}, which this build lacks")
        if isinstance(obj, type) or (isinstance(obj, types.FunctionType) and
                                     is_simulation_module(obj.__module__)):
            return obj
        raise PayloadError(f"the stream names {module}.{name}, which is not a class or function")

    def persistent_load(self, pid: Any) -> Any:
        if self._persistent is None:
            raise PayloadError("the stream refers to an object outside it")
        return self._persistent(pid)


def dumps(obj: Any, tokens: dict[int, Any] | None = None) -> bytes:
    """Pickle ``obj`` with :class:`StatePickler`; ``tokens`` maps ``id()`` of host-held objects to tokens."""
    buf = io.BytesIO()
    try:
        StatePickler(buf, tokens).dump(obj)
    except RecursionError:  # a deeper graph than usual: once more with room for it
        buf = io.BytesIO()
        with _deep_recursion():
            StatePickler(buf, tokens).dump(obj)
    return buf.getvalue()


def loads(data: bytes, persistent: Callable[[Any], Any] | None = None) -> Any:
    """Unpickle ``data`` with :class:`StateUnpickler`; any failure is a :class:`PayloadError`."""
    try:
        try:
            return StateUnpickler(io.BytesIO(data), persistent).load()
        except RecursionError:
            with _deep_recursion():
                return StateUnpickler(io.BytesIO(data), persistent).load()
    except PayloadError:
        raise
    except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError, IndexError,
            KeyError, ImportError, RecursionError, MemoryError) as exc:
        raise PayloadError(f"the payload does not decode: {type(exc).__name__}: {exc}") from None


class _deep_recursion:
    def __enter__(self) -> None:
        self._old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(self._old, RECURSION_LIMIT))

    def __exit__(self, *exc: object) -> None:
        sys.setrecursionlimit(self._old)


__all__ = ["PayloadError", "StatePickler", "StateUnpickler", "code_fingerprint", "dumps", "loads",
           "is_simulation_module"]
