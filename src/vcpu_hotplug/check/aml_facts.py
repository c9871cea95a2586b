"""What the DSDT/SSDT AML says about CPUs, found by loading it and running it.

The AML is loaded into our interpreter with the register-block models of
:mod:`vcpu_hotplug.check.regmodel` behind its operation regions. Then:

* every processor device (``ACPI0007`` Device or legacy ``Processor``) is
  listed with its ``_UID`` (``acpi_processor_get_info``: a Processor's id, a
  Device's ``_UID``; ``drivers/acpi/acpi_processor.c``), and whether it has
  ``_STA``, ``_EJ0`` and ``_OST``;
* ``_STA`` is evaluated with the register block as it is at boot (the CPUs
  the MADT marks Enabled are enabled), then with each CPU's *enabled* bit set
  and cleared, which is what a VMM's policy changes;
* the event path is exercised: the register block raises an insert then a
  remove event for one hotpluggable CPU, the GED's selector gets the CPU
  hotplug bit, and ``_EVT`` (or a ``\\_GPE`` method on x86) runs; the Notify
  values that reach processor devices are recorded;
* without a register block we recognise, the same question is answered
  statically: which ``Notify`` targets are reachable from the event method
  through method calls in the parse tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vcpu_hotplug.acpi.aml import tree
from vcpu_hotplug.acpi.aml.interpreter import Interpreter
from vcpu_hotplug.acpi.aml.objects import Processor
from vcpu_hotplug.acpi.aml.opcodes import Opcode
from vcpu_hotplug.acpi.aml.parser import parse_definition_block
from vcpu_hotplug.acpi.errors import AcpiError
from vcpu_hotplug.check.regmodel import HotplugModel, Slot, attach, build_model, regions_of
from vcpu_hotplug.vmm.ged import GedEvent

PROCESSOR_HID = "ACPI0007"
GED_HID = "ACPI0013"

STA_PRESENT = 0x01
STA_ENABLED = 0x02
STA_FUNCTIONING = 0x08
STA_ABSENT_DEFAULT = 0x0F
"""The status ACPI assumes for a device without ``_STA`` (section 6.3.7)."""

NOTIFY_DEVICE_CHECK = 1
NOTIFY_EJECT_REQUEST = 3

GPE_EVENT_PREFIXES = ("_E", "_L")
"""``\\_GPE._Exx`` / ``_Lxx``: x86 general-purpose event methods (section 5.6.4.1)."""


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
    """Index of the MADT entry with its _UID (None: its _UID matches none)."""
    sta_boot: int | None = None
    sta_enabled: int | None = None
    sta_disabled: int | None = None
    sta_error: str | None = None

    @property
    def dynamic(self) -> bool:
        """Its _STA follows the register block's enabled bit (firmware can hotplug it)."""
        return self.sta_enabled is not None and self.sta_enabled != self.sta_disabled


@dataclass
class EventProbe:
    """What running the event method did for one CPU."""

    method: str
    cpu_path: str
    insert_notifies: list[tuple[str, int]] = field(default_factory=list)
    remove_notifies: list[tuple[str, int]] = field(default_factory=list)
    error: str | None = None


@dataclass
class AmlFacts:
    """Everything the rules need from the AML."""

    load_errors: list[str] = field(default_factory=list)
    processors: list[ProcessorDevice] = field(default_factory=list)
    ged_paths: list[str] = field(default_factory=list)
    gpe_methods: list[str] = field(default_factory=list)
    event_methods: list[str] = field(default_factory=list)
    model: HotplugModel | None = None
    probe: EventProbe | None = None
    static_targets: set[str] = field(default_factory=set)
    """Last name segments of Notify targets reachable from the event methods (ArgN: indirect)."""
    static_reaches: bool = False
    interpreter: Interpreter | None = None

    @property
    def register_block(self) -> str | None:
        """Where the recognised CPU hotplug register block is, or None."""
        if self.model is None or self.model.cpuhp_region is None:
            return None
        return self.model.cpuhp_region.describe()


def _err(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _evaluate(interp: Interpreter, path: str, *args):
    return interp.evaluate(path, *args)


def gather(aml_blocks: list[bytes], possible: list[tuple[int, int, bool]]) -> AmlFacts:
    """Load ``aml_blocks`` (DSDT first) and probe them.

    ``possible`` lists the MADT's CPU entries (GICC, or Local APIC on x86) as
    ``(uid, mpidr, enabled)`` in MADT order; that order is the register
    block's CPU index, as in QEMU.
    """
    facts = AmlFacts()
    slots = [Slot(mpidr=mpidr, enabled=enabled) for _, mpidr, enabled in possible]
    model = build_model(slots)
    facts.model = model
    notes: list[tuple[str, int]] = []
    interp = Interpreter(handler=model.bus, notify=lambda p, v: notes.append((p, v)))
    facts.interpreter = interp
    for block in aml_blocks:
        try:
            interp.load(block)
        except AcpiError as exc:
            facts.load_errors.append(_err(exc))
            return facts
    facts.load_errors += [_err(e) for e in interp.load_errors]

    facts.ged_paths = [p for p, _ in interp.devices(GED_HID)]
    gpe = interp.namespace.lookup("\\_GPE")
    if gpe is not None:
        facts.gpe_methods = sorted(n.path for n in gpe.children.values()
                                   if n.name[:2] in GPE_EVENT_PREFIXES and interp.object_type(n.path) == "Method")
    facts.event_methods = [p + "._EVT" for p in facts.ged_paths if interp.exists(p + "._EVT")]
    facts.event_methods += facts.gpe_methods
    attach(model, regions_of(interp.namespace), set(facts.ged_paths))

    uid_slot: dict[int, int] = {}
    for i, (uid, _, _) in enumerate(possible):
        uid_slot.setdefault(uid, i)
    for path, obj in interp.devices(PROCESSOR_HID):
        dev = ProcessorDevice(path)
        try:
            if isinstance(obj, Processor):
                dev.uid = obj.proc_id
            elif interp.exists(path + "._UID"):
                dev.uid = _evaluate(interp, path + "._UID")
            else:
                dev.uid_error = "no _UID"
        except AcpiError as exc:
            dev.uid_error = _err(exc)
        dev.has_sta = interp.exists(path + "._STA")
        dev.has_ej0 = interp.exists(path + "._EJ0")
        dev.has_ost = interp.exists(path + "._OST")
        dev.slot = uid_slot.get(dev.uid) if isinstance(dev.uid, int) else None
        facts.processors.append(dev)

    for dev in facts.processors:
        _probe_sta(interp, model, dev)
    notes.clear()
    _probe_events(interp, model, facts, notes)
    _static_reach(aml_blocks, facts)
    return facts


def _sta(interp: Interpreter, dev: ProcessorDevice) -> int:
    if not dev.has_sta:
        return STA_ABSENT_DEFAULT
    value = _evaluate(interp, dev.path + "._STA")
    if not isinstance(value, int):
        raise TypeError(f"_STA returned {value!r}, not an Integer")
    return value


def _probe_sta(interp: Interpreter, model: HotplugModel, dev: ProcessorDevice) -> None:
    try:
        dev.sta_boot = _sta(interp, dev)
        if dev.slot is None:
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


def _probe_events(interp: Interpreter, model: HotplugModel, facts: AmlFacts,
                  notes: list[tuple[str, int]]) -> None:
    """Raise an insert, then a remove event for one hotpluggable CPU and run the event method."""
    if model.cpuhp is None or not facts.event_methods:
        return
    target = next((d for d in facts.processors if d.slot is not None and not model.slots[d.slot].enabled),
                  None)
    if target is None:
        target = next((d for d in facts.processors if d.slot not in (None, 0)), None)
    if target is None:
        return
    method = facts.event_methods[0]
    probe = EventProbe(method=method, cpu_path=target.path)
    facts.probe = probe
    slot = model.slots[target.slot]
    saved = slot.enabled
    try:
        slot.enabled = True
        model.cpuhp.request_insert(target.slot)
        _fire(interp, model, method)
        probe.insert_notifies = list(notes)
        notes.clear()
        model.cpuhp.request_remove(target.slot)
        _fire(interp, model, method)
        probe.remove_notifies = list(notes)
    except AcpiError as exc:
        probe.error = _err(exc)
    finally:
        notes.clear()
        model.cpuhp.cancel_remove(target.slot)
        model.cpuhp.clear_insert(target.slot)
        slot.enabled = saved


def _fire(interp: Interpreter, model: HotplugModel, method: str) -> None:
    if model.ged is not None:
        model.ged.event(GedEvent.CPU_HOTPLUG)
    args = (0,) if method.endswith("._EVT") else ()
    _evaluate(interp, method, *args)


def _method_bodies(blocks: list[tree.DefinitionBlock]) -> dict[str, tree.Method]:
    methods = {}
    for block in blocks:
        for node in tree.walk(block):
            if isinstance(node, tree.Method):
                methods[node.path] = node
    return methods


def _last_segment(name) -> str:
    return str(name).replace("^", "\\").split("\\")[-1].split(".")[-1].rstrip("_") or "_"


def _static_reach(aml_blocks: list[bytes], facts: AmlFacts) -> None:
    """Notify targets reachable from the event methods through calls (parse tree only)."""
    blocks = []
    known: dict[str, int | None] = {}
    for data in aml_blocks:
        try:
            block = parse_definition_block(data, known=known)
        except AcpiError:
            return
        known.update(block.objects)
        blocks.append(block)
    methods = _method_bodies(blocks)
    by_padded = {m.path: m for m in methods.values()}
    seen: set[str] = set()
    todo = [p for p in by_padded if _plain(p) in {_plain(e) for e in facts.event_methods}]
    targets: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen or path not in by_padded:
            continue
        seen.add(path)
        for node in tree.walk(by_padded[path]):
            if isinstance(node, tree.MethodCall):
                todo.append(node.path)
            elif isinstance(node, tree.Op) and node.opcode == Opcode.NOTIFY:
                target = node.args[0]
                if isinstance(target, tree.NameRef):
                    targets.add(_last_segment(target.name))
                elif isinstance(target, tree.Op):
                    targets.add(target.opcode.name)
    facts.static_targets = targets
    cpu_names = {_plain(d.path).split(".")[-1] for d in facts.processors}
    facts.static_reaches = bool(targets & cpu_names)


def _plain(path: str) -> str:
    """A path without the ``_`` padding of its segments (``\\_SB_.CPUS`` -> ``\\_SB.CPUS``)."""
    head = "\\" if path.startswith("\\") else ""
    return head + ".".join(s.rstrip("_") or "_" for s in path.lstrip("\\").split("."))
