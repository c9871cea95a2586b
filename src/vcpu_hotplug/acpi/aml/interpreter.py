"""The AML interpreter: load definition blocks, evaluate objects (ACPI 6.5 chapters 5.3, 19, 20).

Usage::

    interp = Interpreter(handler=bus, notify=on_notify, clock=clock)
    interp.load(dsdt_bytes)             # runs the table's module-level code
    interp.load(ssdt_bytes)
    interp.evaluate("\\\\_SB.CPUS.C001._STA")  # -> 0x0F

``load`` builds the namespace with the predefined scopes (``\\_GPE``,
``\\_PR``, ``\\_SB``, ``\\_SI``, ``\\_TZ``, ``\\_GL``, ``\\_OS``, ``\\_OSI``,
``\\_REV``) and executes the block's top-level terms; as in ACPICA an error
in one top-level term is recorded in :attr:`Interpreter.load_errors` and the
load goes on. Method bodies are compiled to closures on first call
(:mod:`.compiler`). The integer width is 32 bits when the DSDT's revision is
below 2 (section 19.6.98), else 64.

Host interfaces: region accesses go to ``handler`` (:mod:`.regions`),
``Notify`` to ``notify(path, value)``, ``Sleep``/``Stall``/``Timer``/timeouts to
``clock`` (:mod:`.clock`). Stores to ``Debug`` are kept in
:attr:`Interpreter.debug_log`. Every failure the AML causes is an
:class:`AmlError` naming the AML path and offset; loops and call depth are
bounded. A host fault (an exception raised by the region handler, the notify
callback or the clock, or an engine bug) is not the firmware's: it propagates
as itself (:data:`.frame.AML_FAULTS`).

Semantics: ACPICA 20240827's (Linux 6.12) by default;
``Interpreter(semantics=AmlSemantics.NT)`` answers as Windows' ``acpi.sys``
where the two differ (:mod:`.semantics` lists each difference).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

from vcpu_hotplug.acpi.aml.clock import SimpleClock
from vcpu_hotplug.acpi.aml.compiler import Compiler, scope_segments
from vcpu_hotplug.acpi.aml.parser import NOT_FOUND, parse_method_terms
from vcpu_hotplug.acpi.aml.frame import RETURN, Frame, budget_exhausted
from vcpu_hotplug.acpi.aml.fields import FieldIO, read_buffer_field, write_buffer_field
from vcpu_hotplug.acpi.aml.namespace import PREDEFINED_SCOPES, DuplicateName, Namespace, Node
from vcpu_hotplug.acpi.aml.objects import (
    DEBUG,
    AmlString,
    BufferField,
    Device,
    FieldUnit,
    IndexRef,
    Method,
    Mutex,
    NodeRef,
    OperationRegion,
    Package,
    Processor,
    Reference,
    Scope,
    SlotRef,
    ThermalZone,
    UnresolvedName,
    type_name,
)
from vcpu_hotplug.acpi.aml.osi import OsiPolicy, osi_answer
from vcpu_hotplug.acpi.aml.regions import RegionHandler, RegionSpace, SparseStore
from vcpu_hotplug.acpi.aml.semantics import AmlSemantics
from vcpu_hotplug.acpi.aml.store import Stores, unwind
from vcpu_hotplug.acpi.aml.sync import SyncState
from vcpu_hotplug.acpi.device_ids import PROCESSOR_HID
from vcpu_hotplug.acpi.device_status import STA_DEFAULT, DeviceStatus
from vcpu_hotplug.acpi.errors import AcpiError, AmlError

#: ``\_OS`` and ``\_REV`` as ACPICA defines them (section 5.7.3, 5.7.4).
OS_NAME = "Microsoft Windows NT"
OS_REVISION = 2
#: SyncLevel of ``\_GL`` (section 5.7.1).
GLOBAL_LOCK_SYNC_LEVEL = 0

#: Defaults: a loop may run 2**20 iterations; methods nest 256 deep.
DEFAULT_MAX_LOOP_ITERATIONS = 1 << 20
DEFAULT_MAX_CALL_DEPTH = 256
#: Default budget of one evaluation (a method, a table load with its module-level code, an
#: ``_INI``): 2**24 opcodes, about 2 s of this interpreter. Nested loops multiply what the
#: per-loop bound allows (2**40 for two); a real table's busiest evaluation (QEMU's CPU scan
#: at 512 vCPUs) runs tens of thousands. ACPICA stops a runaway loop with AE_AML_LOOP_TIMEOUT.
DEFAULT_MAX_OPCODES = 1 << 24
#: Deepest nesting of Load/LoadTable from AML (a table may load itself again).
MAX_NESTED_LOADS = 16
#: Largest Buffer or Package an AML program may create.
MAX_OBJECT_SIZE = 1 << 24
#: Python frames needed per nested AML call (closures nest a few deep per term).
_PY_FRAMES_PER_CALL = 40

#: ACPICA's internal space id for DataTableRegion (not a RegionSpace value of the spec).
DATA_TABLE_SPACE = 0x7E

INTEGER_BYTES_REV1 = 4
INTEGER_BYTES = 8
_HEADER_SIZE = 36

#: ``_REG`` Arg1 (ACPI 6.5 section 6.5.4): the space handler is connected / disconnected.
REG_CONNECT, REG_DISCONNECT = 1, 0
#: Spaces whose handler is always installed and whose ``_REG`` runs: of ACPICA's default
#: handlers (SystemMemory, SystemIO, PCI_Config; ``AcpiGbl_DefaultAddressSpaces``),
#: ``AcpiEvExecuteRegMethods`` (evregion.c) skips SystemMemory, SystemIO and DataTable, which
#: "must always be accessible" (ACPI 6.5 section 6.5.4), leaving PCI_Config.
_REG_SPACES = frozenset({int(RegionSpace.PCI_CONFIG)})


class _TableBytes:
    """Region handler for DataTableRegion: reads the bytes of a loaded table."""

    def __init__(self, tables: list[bytes]) -> None:
        self.tables = tables

    def read(self, space, address: int, size: int) -> int:
        index, offset = divmod(address, 1 << 32)
        data = self.tables[index]
        return int.from_bytes(data[offset:offset + size].ljust(size, b"\x00"), "little")

    def write(self, space, address: int, size: int, value: int) -> None:
        raise AmlError("DataTableRegion is read-only")


DEFAULT_RECORD_LIMIT = 4096
"""How many of the newest ``Debug`` stores, Notifies and ``Fatal`` s the interpreter keeps."""


class RecentRecords(list):
    """A list that keeps only its newest ``limit`` to ``2 * limit`` items (older ones are counted
    in ``dropped``): trimmed half at a time, so an append stays O(1) amortized."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError("a record limit must be at least 1")
        self.limit = limit
        self.dropped = 0

    def append(self, item: object) -> None:
        super().append(item)
        if len(self) > 2 * self.limit:
            excess = len(self) - self.limit
            del self[:excess]
            self.dropped += excess


class Interpreter:
    """An ACPI namespace with its AML, ready to evaluate (see the module docstring)."""

    def __init__(self, handler: RegionHandler | None = None,
                 notify: Callable[[str, int], None] | None = None,
                 clock=None, osi: OsiPolicy = None,
                 max_loop_iterations: int = DEFAULT_MAX_LOOP_ITERATIONS,
                 max_call_depth: int = DEFAULT_MAX_CALL_DEPTH,
                 max_opcodes: int | None = DEFAULT_MAX_OPCODES,
                 record_limit: int = DEFAULT_RECORD_LIMIT,
                 table_override: Callable[[bytes], bytes | None] | None = None,
                 semantics: AmlSemantics = AmlSemantics.ACPICA) -> None:
        #: The dialect where ACPICA and NT differ (:mod:`.semantics`); fixed for the
        #: interpreter's life (method bodies are compiled for it).
        self.semantics = AmlSemantics(semantics)
        self.handler = handler if handler is not None else SparseStore()
        self.notify_callback = notify
        self.clock = clock if clock is not None else SimpleClock()
        self.osi = osi
        self.max_loop_iterations = max_loop_iterations
        self.max_call_depth = max_call_depth
        #: Budget of opcodes per evaluate/load (None: unbounded), checked at every loop
        #: iteration and call: bounds nested loops, whose product no per-loop bound limits.
        #: Large allocations count as many opcodes as their size costs (:func:`charge_size`).
        self.max_opcodes = max_opcodes
        self.opcode_deadline = float("inf")
        self.max_buffer_size = MAX_OBJECT_SIZE
        #: Number of AML opcodes executed so far (the VMM reports opcodes per event).
        self.opcodes_executed = 0
        #: The newest values stored to ``Debug``, as Python values (a guest runs for weeks).
        self.debug_log: RecentRecords = RecentRecords(record_limit)
        #: The newest Notifies, as ``(path, value)``.
        self.notifications: RecentRecords = RecentRecords(record_limit)
        #: The newest ``Fatal(type, code, arg)`` executions (execution goes on, as in Linux).
        self.fatal_events: RecentRecords = RecentRecords(record_limit)
        #: Errors raised by module-level code while loading (the load went on).
        self.load_errors: list[AmlError] = []
        #: Errors of tables loaded by AML (Load, LoadTable); such a load returned False.
        self.nested_load_errors: list[AmlError] = []
        self.tables: list[bytes] = []
        self.namespace = Namespace()
        self.stores = Stores(self)
        self.sync = SyncState(self.clock)
        self.fields = FieldIO(self._handler_for)
        self.int_bytes = INTEGER_BYTES
        self.ones = (1 << 64) - 1
        self.depth = 0
        self._load_depth = 0
        #: Set by :meth:`initialize`: from then on a new region runs its _REG at once.
        self._regions_initialized = False
        self._table_handler = _TableBytes(self.tables)
        #: Host hook asked about every table before it is installed (:meth:`load`, ``Load``,
        #: ``LoadTable``): it returns the table to install (the same bytes, or a replacement
        #: as ACPICA's ``AcpiOsTableOverride`` in ``tbinstal.c`` ``AcpiTbOverrideTable``), or
        #: None to deny it (uACPI's table installation handler); a denied ``Load`` fails.
        self.table_override = table_override
        self._predefine()

    # ------------------------------------------------------------------ setup -------------

    def _predefine(self) -> None:
        ns = self.namespace
        for name in PREDEFINED_SCOPES:
            ns.create("\\" + name, Scope())
        ns.create("\\_GL_", Mutex(sync_level=GLOBAL_LOCK_SYNC_LEVEL))
        ns.create("\\_OS_", AmlString(OS_NAME.encode()))
        ns.create("\\_REV", OS_REVISION)
        osi = Method(arg_count=1, native=self._osi)
        osi.node = ns.create("\\_OSI", osi)

    def _osi(self, interp, args) -> int:
        arg = args[0] if args else None
        if type(arg) is not AmlString:
            raise AmlError(f"_OSI needs a String, not a {type_name(arg)}")
        return self.ones if osi_answer(str(arg), self.osi) else 0

    def _set_width(self, revision: int) -> None:
        self.int_bytes = INTEGER_BYTES_REV1 if revision < 2 else INTEGER_BYTES
        self.ones = (1 << (8 * self.int_bytes)) - 1
        rev = self.namespace.lookup("\\_REV")
        if rev is not None and type(rev.value) is int:
            rev.value &= self.ones

    def live_argc(self, path: str):
        """The parser's view of the object at absolute ``path`` now: a method's argument
        count, None for another object, :data:`~.parser.NOT_FOUND` when there is none."""
        try:
            node = self.namespace.lookup(path)
        except AmlError:
            node = None
        if node is None:
            return NOT_FOUND
        v = node.value
        return v.arg_count if type(v) is Method else None

    def _known(self) -> dict[str, int | None]:
        """The namespace as the parser's ``known`` mapping (absolute padded path -> argc)."""
        known: dict[str, int | None] = {}
        for node in self.namespace.walk():
            if node.parent is None:
                continue
            segs = []
            n = node
            while n.parent is not None:
                segs.append(n.name)
                n = n.parent
            path = "\\" + ".".join(reversed(segs))
            v = node.value
            known[path] = v.arg_count if type(v) is Method else None
        return known

    # ------------------------------------------------------------------ loading -----------

    def load(self, table: bytes) -> None:
        """Load a DSDT or SSDT and run its module-level code (ACPICA's load passes)."""
        from vcpu_hotplug.acpi.aml.parser import parse_definition_block

        data = bytes(table)
        if self.table_override is not None:
            data = self.table_override(data)
            if data is None:
                return
            data = bytes(data)
        block = parse_definition_block(data, known=self._known(), lazy_methods=True)
        if not self.tables:
            # The first table (the DSDT) sets the integer width for all (ACPICA does the same).
            self._set_width(block.header.revision)
        self.tables.append(data)
        name = block.header.signature
        try:
            code = Compiler(self, table=name, tolerant=True, data=data).block(block.body)
        except AmlError as exc:
            raise AmlError(exc.reason, path=exc.path, offset=exc.offset, table=name) from exc
        frame = Frame(self, self.namespace.root, table=name)
        self._run_top(code, frame)

    # ------------------------------------------------------------------ Load, LoadTable ---

    def table_bytes_of(self, obj) -> bytes:
        """The bytes ``Load`` reads from an OperationRegion, a field or a Buffer."""
        if type(obj) is OperationRegion:
            handler, space = self._handler_for(obj)
            if obj.length > self.max_buffer_size:
                raise AmlError(f"Load: region of {obj.length} bytes is too large")
            return bytes(handler.read(space, obj.offset + i, 1) & 0xFF for i in range(obj.length))
        value = self.read_object(obj)
        if type(value) is int:
            value = value.to_bytes(self.int_bytes, "little")
        if type(value) not in (bytearray, bytes, AmlString):
            raise AmlError(f"Load needs a region, field or Buffer, not a {type_name(obj)}")
        return bytes(value)

    def load_nested(self, data: bytes, scope: Node | None = None) -> bool:
        """Load a definition block from running AML; False (no exception) when it fails."""
        from vcpu_hotplug.acpi.aml.parser import parse_term_list

        if len(data) < _HEADER_SIZE or self._load_depth >= MAX_NESTED_LOADS:
            return False
        length = int.from_bytes(data[4:8], "little")
        if length < _HEADER_SIZE or length > len(data):
            return False
        data = bytes(data[:length])
        if self.table_override is not None:
            data = self.table_override(data)
            if data is None or len(data) < _HEADER_SIZE:
                return False
            data = bytes(data)
            length = int.from_bytes(data[4:8], "little")
            if length < _HEADER_SIZE or length > len(data):
                return False
        scope = scope or self.namespace.root
        name = data[:4].decode("latin-1")
        try:
            body = parse_term_list(data, start=_HEADER_SIZE, end=length, scope=scope.path,
                                   known=self._known(), table=name, lazy_methods=True)
            code = Compiler(self, table=name, tolerant=True, data=data).block(body)
        except AmlError:
            return False
        self.tables.append(data)
        # As uACPI: a table whose module-level code fails is a failed Load (the objects it
        # created stay). Its errors are kept apart so an enclosing Load does not fail too.
        saved, self.load_errors = self.load_errors, []
        self._load_depth += 1
        try:
            code(Frame(self, scope, table=name))
        finally:
            self._load_depth -= 1
            errors, self.load_errors = self.load_errors, saved
        self.nested_load_errors.extend(errors)
        self.namespace.shapes += 1      # the running method may call what the table defined
        # Duplicate names are skipped, not failures (uACPI, ACPICA).
        return not [e for e in errors if not isinstance(e, DuplicateName)]

    def load_table(self, signature: str, oem_id: str, oem_table_id: str, root_path: str,
                   parameter_path: str, parameter, scope: Node) -> bool:
        """``LoadTable``: find a loaded table by its ids and load it again under ``root_path``."""
        for data in list(self.tables):
            if data[:4].decode("latin-1") != signature:
                continue
            if oem_id and data[10:16].decode("latin-1").rstrip("\x00 ") != oem_id:
                continue
            if oem_table_id and data[16:24].decode("latin-1").rstrip("\x00 ") != oem_table_id:
                continue
            root = self.namespace.root
            if root_path:
                root = self.namespace.lookup(root_path, scope)
                if root is None:
                    return False
            if not self.load_nested(data, root):
                return False
            if parameter_path:
                target = self.namespace.lookup(parameter_path, root)
                if target is None:
                    return False
                # uACPI/NT: the parameter's bytes are copied into the object (an Integer
                # parameter stored into a String keeps the String's length).
                self.stores.nt_assign(NodeRef(target), parameter)
            return True
        return False

    def _run_top(self, code, frame: Frame):
        if self.depth == 0:
            self.opcode_deadline = (self.opcodes_executed + self.max_opcodes
                                    if self.max_opcodes is not None else float("inf"))
        old_limit = sys.getrecursionlimit()
        need = self.max_call_depth * _PY_FRAMES_PER_CALL + 1000
        if need > old_limit:
            sys.setrecursionlimit(need)
        try:
            return code(frame)
        except AmlError:
            raise
        except RecursionError as exc:
            raise AmlError("nesting too deep") from exc
        except MemoryError as exc:
            raise AmlError("out of memory") from exc
        finally:
            if self.depth == 0:
                self.sync.release_all()
            if need > old_limit:
                sys.setrecursionlimit(old_limit)

    def initialize(self) -> None:
        """Run ``_INI`` as ACPICA's ``AcpiInitializeObjects`` does (ACPI 6.5 section 6.5.1).

        ``\\_SB._INI`` first, then every Device, Processor and ThermalZone in
        namespace order: ``_STA`` (0x0F when absent) decides; ``_INI`` runs when
        present, and the children are visited when present or functioning.
        Failures are recorded in :attr:`load_errors`.
        """
        # ACPICA AcpiInitializeObjects: AcpiEvInitializeOpRegions runs _REG(connect) for the
        # regions of the default handlers' spaces before any _STA/_INI (evregion.c).
        if not self._regions_initialized:
            self._regions_initialized = True
            self._run_top(lambda f: self._reg_walk(self.namespace.root), None)
        sb = self.namespace.lookup("\\_SB_")
        if sb is not None and "_INI" in sb.children:
            self._init_call(sb.children["_INI"])
        self._init_walk(self.namespace.root)

    def _init_call(self, node: Node):
        try:
            return self.evaluate(node.path)
        except AmlError as exc:
            self.load_errors.append(exc)
            return None

    def _init_walk(self, node: Node) -> None:
        for key, child in list(node.children.items()):
            if child.name != key or child.parent is not node:
                continue
            obj = child.value
            if isinstance(obj, (Device, Processor, ThermalZone)):
                status = int(STA_DEFAULT)
                if "_STA" in child.children:
                    value = self._init_call(child.children["_STA"])
                    status = value if isinstance(value, int) else 0
                if status & DeviceStatus.PRESENT and "_INI" in child.children:
                    self._init_call(child.children["_INI"])
                if status & (DeviceStatus.PRESENT | DeviceStatus.FUNCTIONING):
                    self._init_walk(child)
            elif not isinstance(obj, Method):
                self._init_walk(child)

    # ------------------------------------------------------------------ methods -----------

    def invoke(self, method: Method, args) -> object:
        """Run a method with ``args`` (AML objects); its return value, or None."""
        if method.native is not None:
            return method.native(self, list(args))
        if self.depth >= self.max_call_depth:
            where = method.node.path if method.node is not None else "?"
            raise AmlError(f"call depth exceeds {self.max_call_depth}", path=where)
        if self.opcodes_executed > self.opcode_deadline:
            raise budget_exhausted(self)
        code = method.compiled
        if code is None:
            try:
                body = method.body
                if body is None:
                    # ACPICA parses a method's body when the method is first run.
                    try:
                        body = parse_method_terms(method.source, method.body_offset, method.end,
                                                  scope_segments(method.node), live=self.live_argc,
                                                  table=method.table)
                    except AmlError as exc:
                        where = method.node.path if method.node is not None else exc.path
                        raise AmlError(exc.reason, path=where, offset=exc.offset,
                                       table=method.table) from None
                code = Compiler(self, table=method.table, data=method.source).block(body, method.end)
            except AmlError as exc:
                # A body that cannot be compiled fails where the method is (and the term's offset).
                if exc.path is not None:
                    raise
                where = method.node.path if method.node is not None else None
                raise AmlError(exc.reason, path=where, offset=exc.offset, table=method.table) from exc
            method.compiled = code
        frame = Frame(self, method.node, method, args, method.table)
        frame.created = []
        mutex = None
        if method.serialized:
            mutex = method.mutex
            if mutex is None:
                mutex = method.mutex = Mutex(sync_level=method.sync_level)
            self.sync.acquire(mutex, 0xFFFF)
        self.depth += 1
        try:
            r = code(frame)
        finally:
            self.depth -= 1
            for node in reversed(frame.created):
                if type(node.value) is OperationRegion:
                    region = node.value
                    region.deleted = True
                    if region.reg_connected:
                        # ACPICA AcpiEvDetachRegion: deleting a region runs _REG(disconnect).
                        self._run_reg(region, REG_DISCONNECT)
                self.namespace.remove(node)
            if mutex is not None:
                self.sync.release_method(mutex)
        if r == RETURN:
            return frame.ret
        return None

    # ------------------------------------------------------------------ objects -----------

    def read_object(self, obj):
        """The value of an object used as an operand (fields are read)."""
        t = type(obj)
        if t is FieldUnit:
            return self.fields.read(obj, self.int_bytes)
        if t is BufferField:
            return read_buffer_field(obj, self.int_bytes, obj.is_create_field)
        return obj

    def write_object(self, obj, value) -> None:
        if isinstance(value, Reference):
            value = self.stores.resolve_value(value)
        if type(obj) is FieldUnit:
            self.fields.write(obj, value, self.int_bytes)
        else:
            write_buffer_field(obj, value, self.int_bytes)

    def _handler_for(self, region: OperationRegion):
        if region.space == DATA_TABLE_SPACE:
            return self._table_handler, DATA_TABLE_SPACE
        space = region.space
        try:
            space = RegionSpace(space)
        except ValueError:
            pass
        return self.handler, space

    def region_created(self, region: OperationRegion) -> None:
        """A new OperationRegion: once the namespace is initialized, ``_REG(space, 1)`` runs.

        ACPICA ``evrgnini.c`` ``AcpiEvInitializeRegion`` attaches the handler and runs
        ``AcpiEvExecuteRegMethod`` (``evregion.c``) only when ``AcpiGbl_NamespaceInitialized``;
        before that, :meth:`initialize` runs them all (``AcpiEvInitializeOpRegions``).
        """
        if self._regions_initialized and region.space in _REG_SPACES:
            self._run_reg(region, REG_CONNECT)

    def _run_reg(self, region: OperationRegion, function: int) -> None:
        """``_REG(space, function)`` of the region's scope, as ACPICA ``AcpiEvExecuteRegMethod``.

        The ``_REG`` is looked up in the region's parent scope at each call; CONNECT runs
        once per region and DISCONNECT only after a CONNECT (``AOPOBJ_REG_CONNECTED``). A
        failing ``_REG`` is recorded in :attr:`load_errors` and the region stays usable.
        """
        node = region.node
        if node is None or node.parent is None:
            return
        if (function == REG_CONNECT) == region.reg_connected:
            return
        reg = node.parent.children.get("_REG")
        if reg is None or type(reg.value) is not Method:
            return
        region.reg_connected = function == REG_CONNECT
        try:
            self.invoke(reg.value, (region.space, function))
        except AmlError as exc:
            self.load_errors.append(exc)

    def _reg_walk(self, node: Node) -> None:
        for key, child in list(node.children.items()):
            if child.name != key or child.parent is not node:
                continue
            obj = child.value
            if type(obj) is OperationRegion:
                if obj.space in _REG_SPACES:
                    self._run_reg(obj, REG_CONNECT)
            elif not isinstance(obj, Method):
                self._reg_walk(child)

    def data_table_region(self, signature: str, oem_id: str, oem_table_id: str) -> OperationRegion:
        for i, data in enumerate(self.tables):
            if data[:4].decode("latin-1") != signature:
                continue
            if oem_id and data[10:16].decode("latin-1").rstrip("\x00 ") != oem_id.rstrip("\x00 "):
                continue
            if oem_table_id and data[16:24].decode("latin-1").rstrip("\x00 ") != \
                    oem_table_id.rstrip("\x00 "):
                continue
            return OperationRegion(space=DATA_TABLE_SPACE, offset=i << 32, length=len(data))
        raise AmlError(f"DataTableRegion: no table {signature!r} loaded")

    def debug_store(self, value) -> None:
        self.debug_log.append(self.to_python(value))

    def notify_host(self, path: str, value: int) -> None:
        self.notifications.append((path, value))
        if self.notify_callback is not None:
            self.notify_callback(path, value)

    # ------------------------------------------------------------------ public API --------

    def _node(self, path: str) -> Node:
        if not isinstance(path, str) or not path:
            raise AmlError(f"invalid path {path!r}")
        try:
            node = self.namespace.lookup(path if path.startswith("\\") else "\\" + path)
        except AmlError:
            raise AmlError(f"invalid path {path!r}") from None
        if node is None:
            raise AmlError(f"{path} does not exist")
        return node

    def evaluate(self, path: str, *args):
        """Evaluate ``path`` (a method is called with ``args``); a Python value.

        Integers are ``int``, Strings ``str``, Buffers ``bytes``, Packages
        ``list``, references the path they name, nothing ``None``. Arguments
        may be int, str, bytes or list.
        """
        return self.to_python(self.evaluate_object(path, *args))

    def evaluate_typed(self, path: str, *args) -> dict:
        """Evaluate ``path`` as :meth:`evaluate` does; the result as :meth:`to_typed` gives it."""
        value = self.evaluate_object(path, *args)
        typed = self.to_typed(value)
        if typed["value"] is None and value is not None and value is self._node(path).value:
            typed["value"] = self._node(path).path      # a Device, Mutex, Scope ... named by path
        return typed

    def evaluate_object(self, path: str, *args):
        """Evaluate ``path``; the AML object itself (see :mod:`.objects`), None for no value."""
        node = self._node(path)
        obj = node.value
        aml_args = [self.from_python(a) for a in args]
        if type(obj) is Method:
            if len(aml_args) > obj.arg_count:
                raise AmlError(f"{node.path} takes {obj.arg_count} arguments, "
                               f"{len(aml_args)} given", path=node.path)
            aml_args += [None] * (obj.arg_count - len(aml_args))

            def call(frame):
                frame.ret = self.invoke(obj, aml_args)
                return RETURN
            frame = Frame(self, node)
            self._run_top(call, frame)
            return frame.ret
        if args:
            raise AmlError(f"{node.path} is a {type_name(obj)}, not a method", path=node.path)
        result = []

        def read(frame):
            result.append(self.read_object(obj))
            return None
        self._run_top(read, Frame(self, node))
        return result[0]

    def exists(self, path: str) -> bool:
        try:
            return self.namespace.lookup(path if path.startswith("\\") else "\\" + path) is not None
        except AmlError:
            return False

    def object_type(self, path: str) -> str:
        """ACPICA's type name of the object at ``path`` ("Integer", "Device", "Method"...)."""
        return type_name(self._node(path).value)

    def devices(self, hid: str | None = None) -> Iterator[tuple[str, object]]:
        """``(path, object)`` of every Device and Processor; with ``hid``, those whose
        ``_HID`` (or ``_CID``) is ``hid`` (a Processor object matches ``ACPI0007``)."""
        for node in list(self.namespace.walk()):
            obj = node.value
            if not isinstance(obj, (Device, Processor)):
                continue
            if hid is None:
                yield node.path, obj
                continue
            if isinstance(obj, Processor) and hid == PROCESSOR_HID:
                yield node.path, obj
                continue
            if hid in self._ids(node):
                yield node.path, obj

    def ids(self, path: str) -> list[str]:
        """The identification of the device at ``path``: its ``_HID``, then its ``_CID`` entries.

        As text, an EISA id integer decoded (``"PNP0A06"``); an object that fails
        to evaluate is skipped (section 6.1.2, 6.1.5). :class:`AmlError` when
        ``path`` does not exist.
        """
        return self._ids(self._node(path))

    def _ids(self, node: Node) -> list[str]:
        from vcpu_hotplug.acpi.aml.eisaid import eisa_id_text

        ids = []
        for name in ("_HID", "_CID"):
            child = node.children.get(name)
            if child is None:
                continue
            try:
                value = self.evaluate(child.path)
            except AcpiError:
                continue
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, int):
                    ids.append(eisa_id_text(v))
                elif isinstance(v, str):
                    ids.append(v)
        return ids

    # ------------------------------------------------------------------ conversions -------

    def from_python(self, value):
        """A Python argument as an AML object."""
        if value is None:
            return None
        if isinstance(value, bool):
            return self.ones if value else 0
        if isinstance(value, int):
            if value < 0:
                value &= self.ones
            return value & self.ones
        if isinstance(value, str):
            return AmlString(value.encode("latin-1", "replace"))
        if isinstance(value, (bytes, bytearray)):
            return bytearray(value)
        if isinstance(value, (list, tuple)):
            return Package(self.from_python(v) for v in value)
        raise AmlError(f"cannot pass a Python {type(value).__name__} to AML")

    def to_python(self, value, _depth: int = 0):
        """An AML object as a Python value (see :meth:`evaluate`)."""
        if _depth > 64:
            raise AmlError("object nests too deep to convert")
        t = type(value)
        if value is None or t is int:
            return value
        if t is AmlString:
            return value.decode("latin-1")
        if t is bytearray or t is bytes:
            return bytes(value)
        if t is Package:
            return [self.to_python(v, _depth + 1) for v in value]
        if t is NodeRef:
            return value.node.path
        if t is UnresolvedName:
            return value.path
        if t is SlotRef or t is IndexRef:
            final = unwind(value)
            if type(final) is NodeRef:
                return final.node.path
            return self.to_python(self.stores.load(final), _depth + 1)
        if t is FieldUnit or t is BufferField:
            return self.to_python(self.read_object(value), _depth + 1)
        if value is DEBUG:
            return "[Debug Object]"
        node = getattr(value, "node", None)
        if isinstance(node, Node):
            return node.path
        return f"[{type_name(value)}]"


    def to_typed(self, value, _depth: int = 0) -> dict:
        """An AML object as ``{"type": ..., "value": ...}``, typed at every depth (JSON-ready).

        ``type`` is ACPICA's type name (:func:`.objects.type_name`). Values: an
        Integer's ``int``, a String's text, a Buffer's byte values (a list of
        ints), a Package's elements each typed the same way (an element never
        stored is ``{"type": "Uninitialized", "value": None}``). A Reference to a
        named object has its path as value; a Reference to a Package element, a
        Buffer byte or a Local/Arg has the typed object it designates. A Device,
        Method, Mutex ... has its path; no value at all is ``{"type": "None"}``.
        """
        if _depth > 64:
            raise AmlError("object nests too deep to convert")
        t = type(value)
        if t is int:
            return {"type": "Integer", "value": value}
        if value is None:
            return {"type": "None" if _depth == 0 else "Uninitialized", "value": None}
        if t is AmlString:
            return {"type": "String", "value": value.decode("latin-1")}
        if t is bytearray or t is bytes:
            return {"type": "Buffer", "value": list(value)}
        if t is Package:
            return {"type": "Package", "value": [self.to_typed(v, _depth + 1) for v in value]}
        if isinstance(value, Reference):
            return {"type": "Reference", "value": self._reference_target(value, _depth)}
        if t is FieldUnit or t is BufferField:
            return self.to_typed(self.read_object(value), _depth)
        node = getattr(value, "node", None)
        return {"type": type_name(value), "value": node.path if isinstance(node, Node) else None}

    def _reference_target(self, ref: Reference, depth: int):
        final = unwind(ref)
        t = type(final)
        if t is NodeRef:
            return final.node.path
        if t is UnresolvedName:
            return final.path
        if final is DEBUG:
            return "[Debug Object]"
        if t is SlotRef or t is IndexRef:
            # An Index into a Buffer or String designates one byte: an Integer.
            return self.to_typed(self.stores.load(final), depth + 1)
        return self.to_typed(final, depth + 1)


def load_tables(tables, **kw) -> Interpreter:
    """An interpreter with ``tables`` (DSDT first, then SSDTs) loaded; ``kw`` go to it."""
    interp = Interpreter(**kw)
    for data in tables:
        interp.load(data)
    return interp


__all__ = ["Interpreter", "load_tables"]
