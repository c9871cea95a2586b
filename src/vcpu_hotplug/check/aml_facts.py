"""What the DSDT/SSDT AML says about CPUs, found by loading it and running it.

The AML is loaded into our interpreter with the register-block models of
:mod:`vcpu_hotplug.check.regmodel` behind its operation regions. Then:

* every processor device (``ACPI0007`` Device or legacy ``Processor``) is
  listed with its ``_UID`` (``acpi_processor_get_info``: a Processor's id, a
  Device's ``_UID``; ``drivers/acpi/acpi_processor.c``), and whether it has
  ``_STA``, ``_EJ0`` and ``_OST``;
* ``_STA`` is evaluated with the register block as it is at boot (the CPUs
  the MADT marks Enabled are enabled), then with the CPU's *enabled* bit set
  and cleared, which is what a VMM's policy changes (ACPI 6.5 section 6.3.7);
* every GED (``ACPI0013``, section 5.6.9) is listed with the interrupts of
  its ``_CRS`` (``drivers/acpi/evged.c`` requests each one) and its event
  method; on x86 the ``\\_GPE._Exx``/``_Lxx`` methods (section 5.6.4.1) are
  the event methods;
* the event path is exercised: the register block raises an insert, then a
  remove event for one hot-addable CPU, the GED's selector gets QEMU's CPU
  hotplug bit, and every event method runs; the Notify values that reach
  processor devices are recorded;
* without a register block to run them against, the same question is
  answered statically: which ``Notify`` targets are reachable from the
  event methods through method calls in the parse tree;
* every path of the event methods Linux would run is run: each GED's event
  method with each GSI of its ``_CRS`` (``acpi_ged_irq_handler`` passes the
  GSI as Arg0) and, with QEMU's GED register mapped, the selector set to each
  event bit the method tests (the constants of its ``And`` operations, else
  QEMU's ``ACPI_GED_*_EVT`` bits). A failure is kept with the ACPICA status
  Linux would see: a name the AML uses that does not exist is
  ``AE_NOT_FOUND`` ("ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.GED.CSCN], AE_NOT_FOUND"), which
  aborts the method: QEMU's RFC V5 with CPU hotplug off calls an undefined
  ``\\_SB.GED.CSCN`` from ``_EVT``;
* so is every other method Linux runs on these tables: each ``_INI`` as
  ACPICA's ``acpi_initialize_objects`` runs them (``_STA`` decides), and of
  every processor device ``_STA``, ``_MAT`` and ``_PXM`` when present,
  ``_EJ0(1)`` (``acpi_scan_hot_remove``) and ``_OST`` with the arguments Linux passes (``acpi_evaluate_ost``:
  Device Check with success, Eject Request in progress and with success, an
  empty status buffer); their failures are kept the same way.

Loading goes on past a definition block that fails (its error is kept), so
one broken SSDT does not hide the DSDT's devices.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from vcpu_hotplug.acpi.aml import tree
from vcpu_hotplug.acpi.aml.interpreter import Interpreter
from vcpu_hotplug.acpi.aml.objects import Processor
from vcpu_hotplug.acpi.aml.opcodes import Opcode
from vcpu_hotplug.acpi.aml.parser import parse_definition_block
from vcpu_hotplug.acpi.aml.resource_items import LargeItem, SmallItem, split_resource_template
from vcpu_hotplug.acpi.aml.resources import InterruptFlag
from vcpu_hotplug.acpi.device_ids import GED_HID, PROCESSOR_HID
from vcpu_hotplug.acpi.device_status import STA_DEFAULT, DeviceStatus
from vcpu_hotplug.acpi.errors import AcpiError, AmlError
from vcpu_hotplug.acpi.notify import OstEvent, OstStatus
from vcpu_hotplug.check.regmodel import HotplugModel, Slot, attach, build_model, regions_of
from vcpu_hotplug.vmm.ged import GedEvent

GPE_EVENT_PREFIXES = ("_E", "_L")
"""``\\_GPE._Exx`` / ``_Lxx``: general-purpose event methods (section 5.6.4.1)."""

AEI = "_AEI"
"""ACPI Event Information: GPIO-signaled events (section 5.6.5), another event source."""

MAX_OPCODES = 5_000_000
"""Opcode budget per evaluation: foreign AML that loops forever on a register is an error, not a hang."""

_EXTENDED_IRQ_HEADER = struct.Struct("<BB")
"""Extended Interrupt descriptor payload: flags, interrupt count, then u32 interrupts (section 6.4.3.6)."""
_IRQ_MASK = struct.Struct("<H")
"""IRQ descriptor payload: a 16-bit mask of IRQs (section 6.4.2.1)."""


@dataclass
class ProcessorDevice:
    """One processor device and what its methods return."""

    path: str
    uid: int | str | None = None
    uid_error: str | None = None
    has_sta: bool = False
    has_ej0: bool = False
    has_ost: bool = False
    slot: int | None = None
    """Index of the first MADT entry with its _UID (None: its _UID matches none)."""
    sta_boot: int | None = None
    sta_enabled: int | None = None
    """_STA with the register block's enabled bit set (None: no register block, or no slot)."""
    sta_disabled: int | None = None
    sta_error: str | None = None

    @property
    def name(self) -> str:
        """The last name segment (``C003``), without padding."""
        return self.path.rsplit(".", 1)[-1].rstrip("_")

    @property
    def follows_policy(self) -> bool:
        """_STA says enabled with the enabled bit set and not enabled with it cleared."""
        return (self.sta_enabled is not None and self.sta_disabled is not None
                and bool(self.sta_enabled & DeviceStatus.ENABLED) and not self.sta_disabled & DeviceStatus.ENABLED)


@dataclass
class GedDevice:
    """A Generic Event Device: its interrupts (GSIs of ``_CRS``) and its event method."""

    path: str
    gsis: list[int] = field(default_factory=list)
    crs_error: str | None = None
    event_method: str | None = None
    """``_EVT``, or the ``_Exx``/``_Lxx`` evged.c looks for first (None: neither exists)."""


@dataclass
class EventProbe:
    """What running the event methods did for one CPU's insert and remove events."""

    cpu_path: str
    methods: list[str] = field(default_factory=list)
    notifying: list[str] = field(default_factory=list)
    """The event methods that issued a Notify on the CPU's device."""
    insert_notifies: list[tuple[str, int]] = field(default_factory=list)
    remove_notifies: list[tuple[str, int]] = field(default_factory=list)
    error: str | None = None


@dataclass
class EventRun:
    """One run of an event method that failed: which GSI and event bit, and what ACPICA would report."""

    method: str
    gsi: int | None
    bit: int | None
    """The GED selector bit set for the run (None: the GED register is not QEMU's layout, nothing was set)."""
    error: str
    missing: str | None = None
    """The unresolved name as ACPICA prints it (``\\_SB.GED.CSCN``), when the failure is ``AE_NOT_FOUND``."""
    scope: str | None = None
    """The method whose AML used the missing name (the innermost one ACPICA aborts)."""

    @property
    def status(self) -> str:
        return "AE_NOT_FOUND" if self.missing is not None else "AE_ERROR"

    def describe(self) -> str:
        """``\\_SB.GED._EVT(41) with event bit 0x8``."""
        arg = "" if self.gsi is None else f"{self.gsi}"
        bit = "" if self.bit is None else f" with event bit {self.bit:#x}"
        return f"{self.method}({arg}){bit}"


@dataclass
class MethodRun:
    """One run of a method Linux evaluates (``_INI``, a processor device's ``_STA``/``_EJ0``/``_OST``) that
    failed: the method, its arguments, and what ACPICA would report."""

    method: str
    args: tuple[int | bytes, ...]
    error: str
    missing: str | None = None
    """The unresolved name as ACPICA prints it, when the failure is ``AE_NOT_FOUND``."""
    scope: str | None = None
    """The method whose AML used the missing name."""

    def describe(self) -> str:
        """``\\_SB.C002._OST(3, 0x84, Buffer)``."""
        shown = ", ".join("Buffer" if isinstance(a, bytes) else (f"{a:#x}" if a > 9 else str(a)) for a in self.args)
        return f"{self.method}({shown})"


LINUX_OST_CALLS: tuple[tuple[int, int], ...] = (
    (OstEvent.DEVICE_CHECK, OstStatus.SUCCESS),
    (OstEvent.EJECT_REQUEST, OstStatus.EJECT_IN_PROGRESS),
    (OstEvent.EJECT_REQUEST, OstStatus.SUCCESS),
)
"""``(source event, status)`` of the ``_OST`` calls Linux makes for a processor's hot-add and eject
(``drivers/acpi/scan.c`` ``acpi_device_hotplug``, ``acpi_evaluate_ost`` with a NULL status buffer)."""

PROCESSOR_OBJECTS = ("_MAT", "_PXM")
"""Evaluated for every processor device when present: ``_MAT`` by ``map_mat_entry``
(``drivers/acpi/processor_core.c``, the MADT entry of a hot-added CPU), ``_PXM`` by ``acpi_get_node``."""

EJ0_ARG = 1
"""``_EJ0(1)``: ``acpi_scan_hot_remove`` -> ``acpi_evaluate_ej0`` passes 1 (eject)."""


@dataclass
class AmlFacts:
    """Everything the rules need from the AML."""

    load_errors: list[str] = field(default_factory=list)
    processors: list[ProcessorDevice] = field(default_factory=list)
    geds: list[GedDevice] = field(default_factory=list)
    gpe_methods: list[str] = field(default_factory=list)
    aei_devices: list[str] = field(default_factory=list)
    model: HotplugModel | None = None
    probe: EventProbe | None = None
    static_targets: set[str] = field(default_factory=set)
    """Last name segments of Notify targets reachable from the event methods."""
    event_runs: int = 0
    """Runs of the event methods made for :attr:`event_failures` (every GSI, every event bit tested)."""
    event_failures: list[EventRun] = field(default_factory=list)
    method_runs: int = 0
    """Runs of ``_INI`` and of the processor devices' ``_STA``/``_EJ0``/``_OST`` made for :attr:`method_failures`."""
    method_failures: list[MethodRun] = field(default_factory=list)
    interpreter: Interpreter | None = None

    @property
    def ged_paths(self) -> list[str]:
        return [g.path for g in self.geds]

    @property
    def event_methods(self) -> list[str]:
        """Every method an event runs: the GEDs' event methods, then the GPE methods."""
        return [g.event_method for g in self.geds if g.event_method] + self.gpe_methods

    @property
    def register_block(self) -> str | None:
        """Where the recognised CPU hotplug register block is, or None."""
        if self.model is None or self.model.cpuhp_region is None:
            return None
        return self.model.cpuhp_region.describe()

    def statically_notifies(self, device: ProcessorDevice) -> bool:
        """An event method reaches a Notify naming this device (parse tree, through calls)."""
        return device.name in self.static_targets


def _err(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def gather(aml_blocks: list[tuple[str, bytes]], possible: list[tuple[int, int, bool]],
           probe_slot: int | None = None) -> AmlFacts:
    """Load ``aml_blocks`` (``(name, table)``, DSDT first) and probe them.

    ``possible`` lists the MADT's CPU entries (GICC, or Local APIC on x86) as
    ``(uid, arch id, enabled)`` in MADT order; that order is the register
    block's CPU index, as in QEMU. ``probe_slot`` is the entry whose insert
    and remove events are raised (None: no event probe).
    """
    facts = AmlFacts()
    slots = [Slot(mpidr=arch_id, enabled=enabled) for _, arch_id, enabled in possible]
    model = build_model(slots)
    facts.model = model
    notes: list[tuple[str, int]] = []
    interp = Interpreter(handler=model.bus, notify=lambda p, v: notes.append((p, v)),
                         max_opcodes=MAX_OPCODES)
    facts.interpreter = interp
    for name, block in aml_blocks:
        try:
            interp.load(block)
        except AcpiError as exc:
            facts.load_errors.append(f"{name}: {_err(exc)}")
    facts.load_errors += [_err(e) for e in interp.load_errors]

    geds = [GedDevice(path) for path, _ in interp.devices(GED_HID)]
    facts.geds = geds
    gpe = interp.namespace.lookup("\\_GPE")
    if gpe is not None:
        facts.gpe_methods = sorted(n.path for n in gpe.children.values()
                                   if n.name[:2] in GPE_EVENT_PREFIXES and interp.object_type(n.path) == "Method")
    facts.aei_devices = [path for path, _ in interp.devices() if interp.exists(path + "." + AEI)]
    attach(model, regions_of(interp.namespace), set(facts.ged_paths))
    for ged in geds:
        _describe_ged(interp, ged)

    uid_slot: dict[int, int] = {}
    for i, (uid, _, _) in enumerate(possible):
        uid_slot.setdefault(uid, i)
    for path, obj in interp.devices(PROCESSOR_HID):
        facts.processors.append(_processor(interp, path, obj, uid_slot))

    for dev in facts.processors:
        _probe_sta(interp, model, dev)
    notes.clear()
    if probe_slot is not None:
        _probe_events(interp, model, facts, probe_slot, notes)
    blocks = _parse(aml_blocks)
    methods = _method_bodies(blocks)
    if facts.probe is None:
        _static_reach(methods, facts)
    _run_event_paths(interp, model, facts, methods)
    _run_device_methods(interp, facts)
    notes.clear()
    return facts


def _processor(interp: Interpreter, path: str, obj, uid_slot: dict[int, int]) -> ProcessorDevice:
    dev = ProcessorDevice(path)
    try:
        if isinstance(obj, Processor):
            dev.uid = obj.proc_id
        elif interp.exists(path + "._UID"):
            dev.uid = interp.evaluate(path + "._UID")
        else:
            dev.uid_error = "no _UID"
    except AcpiError as exc:
        dev.uid_error = _err(exc)
    dev.has_sta = interp.exists(path + "._STA")
    dev.has_ej0 = interp.exists(path + "._EJ0")
    dev.has_ost = interp.exists(path + "._OST")
    dev.slot = uid_slot.get(dev.uid) if isinstance(dev.uid, int) else None
    return dev


def interrupts_of(template: bytes) -> list[tuple[int, bool]]:
    """``(GSI, edge)`` of every interrupt in a resource template (Interrupt and IRQ descriptors)."""
    items = split_resource_template(template) or []
    out = []
    for item in items:
        p = item.payload
        if item.large and item.name == LargeItem.EXTENDED_INTERRUPT and len(p) >= _EXTENDED_IRQ_HEADER.size:
            flags, count = _EXTENDED_IRQ_HEADER.unpack_from(p)
            edge = bool(flags & InterruptFlag.EDGE)
            for k in range(count):
                at = _EXTENDED_IRQ_HEADER.size + 4 * k
                if at + 4 <= len(p):
                    out.append((struct.unpack_from("<I", p, at)[0], edge))
        elif not item.large and item.name == SmallItem.IRQ and len(p) >= _IRQ_MASK.size:
            (mask,) = _IRQ_MASK.unpack_from(p)
            out += [(irq, True) for irq in range(mask.bit_length()) if mask >> irq & 1]
    return out


EXX_MAX_GSI = 255
"""evged.c: for a GSI up to 255 the GED looks for ``_Exx``/``_Lxx`` before ``_EVT``."""


def _describe_ged(interp: Interpreter, ged: GedDevice) -> None:
    interrupts: list[tuple[int, bool]] = []
    if interp.exists(ged.path + "._CRS"):
        try:
            crs = interp.evaluate(ged.path + "._CRS")
        except AcpiError as exc:
            ged.crs_error = _err(exc)
        else:
            if isinstance(crs, bytes):
                interrupts = interrupts_of(crs)
            else:
                ged.crs_error = "_CRS is not a Buffer (a resource template)"
    else:
        ged.crs_error = "no _CRS"
    ged.gsis = [gsi for gsi, _ in interrupts]
    for gsi, edge in interrupts:
        if gsi <= EXX_MAX_GSI:
            name = f"{ged.path}._{'E' if edge else 'L'}{gsi:02X}"
            if interp.exists(name):
                ged.event_method = name
                return
    if interp.exists(ged.path + "._EVT"):
        ged.event_method = ged.path + "._EVT"


def _sta(interp: Interpreter, dev: ProcessorDevice) -> int:
    if not dev.has_sta:
        return int(STA_DEFAULT)
    value = interp.evaluate(dev.path + "._STA")
    if not isinstance(value, int):
        raise TypeError(f"_STA returned {value!r}, not an Integer")
    return value


def _probe_sta(interp: Interpreter, model: HotplugModel, dev: ProcessorDevice) -> None:
    try:
        dev.sta_boot = _sta(interp, dev)
        if dev.slot is None or model.cpuhp is None:
            return
        slot = model.slots[dev.slot]
        saved = slot.enabled
        try:
            slot.enabled = True
            dev.sta_enabled = _sta(interp, dev)
            slot.enabled = False
            dev.sta_disabled = _sta(interp, dev)
        finally:
            slot.enabled = saved
    except (AcpiError, TypeError) as exc:
        dev.sta_error = _err(exc)


def _probe_events(interp: Interpreter, model: HotplugModel, facts: AmlFacts, slot_index: int,
                  notes: list[tuple[str, int]]) -> None:
    """Raise an insert, then a remove event for one CPU and run every event method."""
    target = next((d for d in facts.processors if d.slot == slot_index), None)
    if model.cpuhp is None or not facts.event_methods or target is None:
        return
    probe = EventProbe(cpu_path=target.path, methods=list(facts.event_methods))
    facts.probe = probe
    slot = model.slots[slot_index]
    saved = slot.enabled
    try:
        slot.enabled = True
        model.cpuhp.request_insert(slot_index)
        _fire(interp, model, facts, probe, notes)
        probe.insert_notifies = list(notes)
        notes.clear()
        model.cpuhp.request_remove(slot_index)
        _fire(interp, model, facts, probe, notes)
        probe.remove_notifies = list(notes)
    except AcpiError as exc:
        probe.error = _err(exc)
    finally:
        notes.clear()
        model.cpuhp.cancel_remove(slot_index)
        model.cpuhp.clear_insert(slot_index)
        slot.enabled = saved


def _fire(interp: Interpreter, model: HotplugModel, facts: AmlFacts, probe: EventProbe,
          notes: list[tuple[str, int]]) -> None:
    """What the interrupt does: the GED latches QEMU's CPU hotplug bit, then each event method runs."""
    calls: list[tuple[str, tuple[int, ...]]] = []
    for ged in facts.geds:
        if ged.event_method is not None:
            calls.append((ged.event_method, (ged.gsis[0] if ged.gsis else 0,)))
    calls += [(method, ()) for method in facts.gpe_methods]
    for method, args in calls:
        if model.ged is not None and args:
            model.ged.event(GedEvent.CPU_HOTPLUG)
        before = len(notes)
        interp.evaluate(method, *args)
        if any(p == probe.cpu_path for p, _ in notes[before:]) and method not in probe.notifying:
            probe.notifying.append(method)


def _method_bodies(blocks: list[tree.DefinitionBlock]) -> dict[str, tree.Method]:
    methods = {}
    for block in blocks:
        for node in tree.walk(block):
            if isinstance(node, tree.Method):
                methods[node.path] = node
    return methods


def _last_segment(name) -> str:
    return str(name).replace("^", "\\").split("\\")[-1].split(".")[-1].rstrip("_") or "_"


def _plain(path: str) -> str:
    """A path without the ``_`` padding of its segments (``\\_SB_.CPUS`` -> ``\\_SB.CPUS``)."""
    head = "\\" if path.startswith("\\") else ""
    return head + ".".join(s.rstrip("_") or "_" for s in path.lstrip("\\").split("."))


def _methods_named(name, by_plain: dict[str, tree.Method]) -> list[str]:
    """Methods a bare name reference may call (an argument-less call parses as a NameRef)."""
    text = _plain(str(name).lstrip("^"))
    if str(name).startswith("\\"):
        return [text] if text in by_plain else []
    return [p for p in by_plain if p == text or p.endswith("." + text)]


def _parse(aml_blocks: list[tuple[str, bytes]]) -> list[tree.DefinitionBlock]:
    """The parse trees of the blocks that parse (names declared by earlier blocks known to later ones)."""
    blocks = []
    known: dict[str, int | None] = {}
    for _, data in aml_blocks:
        try:
            block = parse_definition_block(data, known=known)
        except AcpiError:
            continue
        known.update(block.objects)
        blocks.append(block)
    return blocks


def _static_reach(methods: dict[str, tree.Method], facts: AmlFacts) -> None:
    """Notify targets reachable from the event methods through calls (parse tree only)."""
    by_plain = {_plain(p): m for p, m in methods.items()}
    seen: set[str] = set()
    todo = [_plain(e) for e in facts.event_methods]
    targets: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen or path not in by_plain:
            continue
        seen.add(path)
        for node in tree.walk(by_plain[path]):
            if isinstance(node, tree.MethodCall):
                todo.append(_plain(node.path))
            elif isinstance(node, tree.NameRef):
                todo += _methods_named(node.name, by_plain)
            elif isinstance(node, tree.Op) and node.opcode == Opcode.NOTIFY:
                target = node.args[0]
                if isinstance(target, tree.NameRef):
                    targets.add(_last_segment(target.name))
    facts.static_targets = targets


WORD_MASK = 0xFFFF_FFFF
"""The GED selector is 32 bits (QEMU ``ACPI_GED_EVT_SEL_LEN``)."""

_NOT_FOUND = re.compile(r"(?P<name>\S+) not found \(from (?P<scope>[^)\s]+)\)")
"""How the AML engine words an unresolved name: ACPICA's ``AE_NOT_FOUND`` (``psargs.c``)."""

_LOOP_TIMEOUT = "AE_AML_LOOP_TIMEOUT"


def event_bits_tested(method: tree.Method | None) -> list[int]:
    """The single bits of every constant the method ``And``s with (``If (Local0 & 0x08)``), in order."""
    bits: list[int] = []
    if method is None:
        return bits
    for node in tree.walk(method):
        if isinstance(node, tree.Op) and node.opcode == Opcode.AND:
            for arg in node.args[:2]:
                if isinstance(arg, tree.Integer) and 0 < arg.value <= WORD_MASK:
                    bits += [1 << i for i in range(arg.value.bit_length())
                             if arg.value >> i & 1 and 1 << i not in bits]
    return bits


def acpica_name(name: str, scope: str) -> str:
    """``name`` as ACPICA's "Could not resolve symbol [...]" prints it: prefixed by the scope when relative
    (``acpi_ns_build_prefixed_pathname``), segments without their ``_`` padding (``acpi_ns_normalize_pathname``)."""
    if name.startswith("\\"):
        return _plain(name)
    segments = [s for s in scope.lstrip("\\").split(".") if s]
    while name.startswith("^"):
        name = name[1:]
        if segments:
            segments.pop()
    return _plain("\\" + ".".join(segments + [name]))


def unresolved(text: str) -> tuple[str, str] | None:
    """``(missing name as ACPICA prints it, scope)`` when an AML error is ``AE_NOT_FOUND``, else None."""
    found = _NOT_FOUND.search(text)
    if found is None:
        return None
    scope = _plain(found.group("scope"))
    return acpica_name(found.group("name"), scope), scope


def _failure(method: str, gsi: int | None, bit: int | None, exc: AcpiError) -> EventRun:
    text = _err(exc)
    found = unresolved(text)
    if found is None:
        return EventRun(method, gsi, bit, text)
    return EventRun(method, gsi, bit, text, missing=found[0], scope=found[1])


def _method_failure(method: str, args: tuple[int | bytes, ...], text: str) -> MethodRun:
    found = unresolved(text)
    if found is None:
        return MethodRun(_plain(method), args, text)
    return MethodRun(_plain(method), args, text, missing=found[0], scope=found[1])


def _run_device_methods(interp: Interpreter, facts: AmlFacts) -> None:
    """Run what Linux runs besides the event methods: every ``_INI`` (ACPICA's initialization walk), then
    each processor device's ``_STA``, ``_EJ0(1)`` and ``_OST`` with Linux's arguments; keep the failures."""
    before = len(interp.load_errors)
    try:
        interp.initialize()
    except AcpiError as exc:         # the walk itself records its failures; anything else is one more
        interp.load_errors.append(exc if isinstance(exc, AmlError) else AmlError(_err(exc)))
    for exc in interp.load_errors[before:]:
        facts.method_failures.append(_method_failure(exc.path or "_INI", (), _err(exc)))
    del interp.load_errors[before:]  # initialization failures are dsdt.methods-resolve's, not dsdt.aml-loads'
    facts.method_runs += sum(1 for node in interp.namespace.walk() if node.name == "_INI")
    calls: list[tuple[str, tuple[int | bytes, ...]]] = []
    for dev in facts.processors:
        if dev.has_sta:
            calls.append((dev.path + "._STA", ()))
        calls += [(dev.path + "." + name, ()) for name in PROCESSOR_OBJECTS if interp.exists(dev.path + "." + name)]
        if dev.has_ej0:
            calls.append((dev.path + "._EJ0", (EJ0_ARG,)))
        if dev.has_ost:
            calls += [(dev.path + "._OST", (int(event), int(status), b"")) for event, status in LINUX_OST_CALLS]
    for path, args in calls:
        facts.method_runs += 1
        try:
            interp.evaluate(path, *args)
        except AcpiError as exc:
            facts.method_failures.append(_method_failure(path, args, _err(exc)))


def _run_event_paths(interp: Interpreter, model: HotplugModel, facts: AmlFacts,
                     methods: dict[str, tree.Method]) -> None:
    """Run each GED event method for each of its GSIs and each event bit it tests; keep the failures."""
    by_plain = {_plain(p): m for p, m in methods.items()}
    for ged in facts.geds:
        method = ged.event_method
        if method is None:
            continue
        gsis: list[int | None] = list(ged.gsis) or [None]
        bits: list[int | None] = list(event_bits_tested(by_plain.get(_plain(method))) or [int(b) for b in GedEvent])
        if model.ged is None:
            bits = [None]
        for gsi in gsis:
            for bit in bits:
                if model.ged is not None:
                    model.ged.selector = bit or 0
                facts.event_runs += 1
                try:
                    interp.evaluate(method, *(() if gsi is None else (gsi,)))
                except AcpiError as exc:
                    run = _failure(method, gsi, bit, exc)
                    facts.event_failures.append(run)
                    if _LOOP_TIMEOUT in run.error:
                        break       # one budget-exhausting run is enough to report
                finally:
                    if model.ged is not None:
                        model.ged.selector = 0
