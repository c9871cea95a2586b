"""vCPUs as QEMU devices: ids, QOM paths, ``device_add``/``device_del`` semantics.

The machine only knows vCPU slots; management sees *devices*. This module
keeps that mapping the way QEMU does:

- vCPUs plugged when the machine was built are
  ``/machine/unattached/device[N]``, without an id; the first of them, the
  boot CPU, cannot be unplugged (arm64 RFC v5, hw/arm/virt.c
  ``virt_cpu_unplug_request``: "Boot CPU(...) hot-unplug not supported").
  The RFC also refuses the other cold-booted vCPUs, as a stop-gap because
  its MADT cannot mark them both Enabled and Online Capable, and checks that
  first ("Hot-unplug of cold-booted CPU not supported!", even for the boot
  CPU): so does the ``qemu-rfc-v5`` profile, through the slot's
  ``unplug_refusal``. The ``reference`` profile's MADT marks every vCPU but
  the boot one Online Capable, so they unplug like hot-plugged ones, and
  whatever else the machine refuses comes back as its own error;
- a vCPU plugged by ``device_add`` with ``id`` is ``/machine/peripheral/<id>``,
  one without an id ``/machine/peripheral-anon/device[N]`` with a counter
  that is never reused (system/qdev-monitor.c ``qdev_set_id``);
- ``device_add`` checks follow system/qdev-monitor.c
  (``qemu_opts_from_qdict``, ``qdev_get_device_class``,
  ``qdev_device_add_from_qdict``) and the RFC's ``virt_cpu_pre_plug``,
  whose topology properties default to 0 (target/arm/cpu.c);
- ``device_del`` follows ``qmp_device_del``: ``DeviceNotFound``, "already in
  the process of unplug" (unless the machine asks the guest again, as QEMU
  does for a CPU: the slot's ``unplug_repeats``); the device disappears, and
  ``DEVICE_DELETED`` is emitted, only when the guest completes the eject.

Query shapes follow qapi/machine.json (``HotpluggableCPU``, ``CpuInfoFast``),
events qapi/qdev.json (``DEVICE_DELETED``, ``DEVICE_UNPLUG_GUEST_ERROR``) and
qapi/acpi.json (``ACPI_DEVICE_OST``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Mapping, Optional, Sequence

from vcpu_hotplug.vmm.machine import DeviceDeleted, OstReport, UnplugFailed

from .backend import BackendEvent, CpuBackend, HotpluggableCpu
from .errors import (ErrorClass, QmpError, device_not_found, invalid_parameter_type,
                     invalid_parameter_value, missing_parameter)

MACHINE_PATH = "/machine"
PERIPHERAL_PATH = "/machine/peripheral"
PERIPHERAL_ANON_PATH = "/machine/peripheral-anon"
UNATTACHED_PATH = "/machine/unattached"
CONTAINER_PATHS = frozenset({MACHINE_PATH, PERIPHERAL_PATH, PERIPHERAL_ANON_PATH, UNATTACHED_PATH})

class EventName(str, Enum):
    """The events this module emits (qapi/qdev.json, qapi/acpi.json)."""

    DEVICE_DELETED = "DEVICE_DELETED"
    DEVICE_UNPLUG_GUEST_ERROR = "DEVICE_UNPLUG_GUEST_ERROR"
    ACPI_DEVICE_OST = "ACPI_DEVICE_OST"


#: ``ACPIOSTInfo.slot-type`` of a processor (qapi/acpi.json ``ACPISlotType``).
ACPI_SLOT_TYPE_CPU = "CPU"
#: ``CpuInfoFast.target`` (qapi/machine.json ``SysEmuTarget``).
TARGET = "aarch64"
#: Each arm64 hotpluggable unit is one vCPU (``HotpluggableCPU.vcpus-count``).
VCPUS_PER_SLOT = 1

#: The QOM type suffix of Arm CPU models (target/arm/cpu.h ``ARM_CPU_TYPE_SUFFIX``).
ARM_CPU_TYPE_SUFFIX = "-arm-cpu"
#: 64-bit CPU models: user-creatable, hence hotpluggable, in the RFC (target/arm/cpu64.c,
#: target/arm/tcg/cpu64.c). ``host`` is KVM's, the others TCG's.
AARCH64_CPU_MODELS = (
    "host", "max", "cortex-a35", "cortex-a53", "cortex-a55", "cortex-a57", "cortex-a72",
    "cortex-a76", "cortex-a710", "a64fx", "neoverse-n1", "neoverse-n2", "neoverse-v1",
)
#: 32-bit CPU models that qemu-system-aarch64 knows but cannot hotplug.
AARCH32_CPU_MODELS = (
    "arm926", "arm1136", "arm1176", "cortex-a7", "cortex-a8", "cortex-a9", "cortex-a15",
    "cortex-m3", "cortex-m4", "cortex-r5",
)
AARCH64_CPU_TYPES = frozenset(m + ARM_CPU_TYPE_SUFFIX for m in AARCH64_CPU_MODELS)
AARCH32_CPU_TYPES = frozenset(m + ARM_CPU_TYPE_SUFFIX for m in AARCH32_CPU_MODELS)

#: The CPU properties ``device_add`` sets, in the order the RFC checks them.
TOPOLOGY_PROPERTIES = ("thread-id", "core-id", "cluster-id", "socket-id")
#: Properties ``device_add`` consumes itself (not set on the device).
DEVICE_ADD_OWN_ARGS = ("driver", "bus", "id")

# util/id.c id_wellformed: a letter, then letters, digits, '-', '.', '_'.
_ID_WELLFORMED = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*\Z")
# util/cutils.c qemu_strtoi64 (strtoll, base 10 here): leading C whitespace, a sign, ASCII digits
# only (the C locale's isdigit), nothing after them, not even a newline.
_DECIMAL = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)\Z", re.ASCII)
#: int64_t, the range qemu_strtoi64 accepts; beyond it strtoll fails with ERANGE.
_INT64_DIGITS = 19
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


@dataclass
class CpuDevice:
    """A plugged vCPU as a QEMU device."""

    index: int
    driver: str
    qom_path: str
    id: Optional[str]
    boot: bool
    unplug_pending: bool = False


@dataclass(frozen=True)
class QmpEvent:
    """An event to send: ``name`` and ``data`` (qmp-spec "Asynchronous events")."""

    name: str
    data: Optional[dict[str, object]]


def slot_props(slot: HotpluggableCpu) -> dict[str, int]:
    """``CpuInstanceProperties`` of a slot, in QAPI member order."""
    return {"socket-id": slot.socket_id, "cluster-id": slot.cluster_id,
            "core-id": slot.core_id, "thread-id": slot.thread_id}


class CpuDeviceTable:
    """The device view of a :class:`CpuBackend`'s vCPUs."""

    def __init__(self, backend: CpuBackend, *, thread_id: Callable[[int], int]) -> None:
        """``thread_id(index)``: the host thread that runs vCPU ``index`` (``CpuInfoFast.thread-id``)."""
        self._backend = backend
        self._thread_id = thread_id
        self._devices: dict[int, CpuDevice] = {}
        self._anon_count = 0
        for slot in backend.cpu_slots():
            if slot.plugged:
                self._devices[slot.index] = CpuDevice(
                    slot.index, backend.cpu_type(), f"{UNATTACHED_PATH}/device[{slot.index}]",
                    None, boot=True)

    # ----------------------------------------------------------------- state

    def slots(self) -> Sequence[HotpluggableCpu]:
        """The backend's slots, with the device table brought in line with them."""
        slots = self._backend.cpu_slots()
        for slot in slots:
            device = self._devices.get(slot.index)
            if slot.plugged and device is None:
                # Plugged behind our back (not through QMP): an anonymous device.
                self._register(slot.index, self._backend.cpu_type(), None)
            elif not slot.plugged and device is not None and not device.unplug_pending:
                del self._devices[slot.index]
        return slots

    def device(self, index: int) -> Optional[CpuDevice]:
        return self._devices.get(index)

    def devices(self) -> list[CpuDevice]:
        return [self._devices[i] for i in sorted(self._devices)]

    def _register(self, index: int, driver: str, dev_id: Optional[str]) -> CpuDevice:
        if dev_id is not None:
            path = f"{PERIPHERAL_PATH}/{dev_id}"
        else:
            path = f"{PERIPHERAL_ANON_PATH}/device[{self._anon_count}]"
            self._anon_count += 1
        device = CpuDevice(index, driver, path, dev_id, boot=False)
        self._devices[index] = device
        return device

    # --------------------------------------------------------------- queries

    @staticmethod
    def _require_cpus(slots: Sequence[HotpluggableCpu]) -> Sequence[HotpluggableCpu]:
        """hw/core/machine-qmp-cmds.c: a machine without possible CPUs (``-machine none``)."""
        if not slots:
            raise QmpError("machine does not support hot-plugging CPUs")
        return slots

    def qom_list(self, path: str) -> list[dict[str, str]]:
        """``qom-list`` of the containers management looks in (qom/qom-qmp-cmds.c ``qmp_qom_list``)."""
        self.slots()
        norm = path.rstrip("/") or "/"
        if norm == PERIPHERAL_PATH:
            children = [(d.id, d) for d in self.devices() if d.id is not None]
        elif norm == PERIPHERAL_ANON_PATH:
            children = [(d.qom_path.rsplit("/", 1)[1], d) for d in self.devices()
                        if d.qom_path.startswith(PERIPHERAL_ANON_PATH + "/")]
        elif norm == UNATTACHED_PATH:
            children = [(d.qom_path.rsplit("/", 1)[1], d) for d in self.devices()
                        if d.qom_path.startswith(UNATTACHED_PATH + "/")]
        elif norm == MACHINE_PATH:
            return [{"name": "type", "type": "string"},
                    *({"name": name.rsplit("/", 1)[1], "type": "child<container>"}
                      for name in (PERIPHERAL_PATH, PERIPHERAL_ANON_PATH, UNATTACHED_PATH))]
        elif norm == "/":
            return [{"name": "type", "type": "string"},
                    {"name": "machine", "type": "child<machine>"}]
        else:
            raise QmpError(f"Device '{path}' not found", ErrorClass.DEVICE_NOT_FOUND)
        return [{"name": "type", "type": "string"},
                *({"name": name, "type": f"child<{d.driver}>"} for name, d in children)]

    def hotpluggable_cpus(self) -> list[dict[str, object]]:
        """``query-hotpluggable-cpus``: every slot, highest index first as QEMU lists them."""
        slots = self._require_cpus(self.slots())
        out = []
        cpu_type = self._backend.cpu_type()
        for slot in reversed(slots):
            item: dict[str, object] = {"type": cpu_type, "vcpus-count": VCPUS_PER_SLOT,
                                       "props": slot_props(slot)}
            device = self._devices.get(slot.index)
            if device is not None:
                item["qom-path"] = device.qom_path
            out.append(item)
        return out

    def cpus_fast(self) -> list[dict[str, object]]:
        """``query-cpus-fast``: the plugged vCPUs, by index."""
        slots = {slot.index: slot for slot in self.slots()}
        return [{"cpu-index": d.index, "qom-path": d.qom_path,
                 "thread-id": self._thread_id(d.index),
                 "props": slot_props(slots[d.index]), "target": TARGET}
                for d in self.devices() if d.index in slots]

    # ------------------------------------------------------------ device_add

    def device_add(self, args: Mapping[str, object]) -> CpuDevice:
        """Plug the vCPU that ``args`` (device_add's arguments) name."""
        slots = self._require_cpus(self.slots())
        dev_id = self._check_id(args)
        driver = self._check_driver(args)
        if "bus" in args:
            bus = args["bus"]
            raise QmpError(f"Bus '{bus}' not found")
        topology = self._check_properties(driver, args, slots)
        cpu_type = self._backend.cpu_type()
        if driver != cpu_type:
            raise QmpError(f"Invalid CPU type, expected cpu type: '{cpu_type}'")
        slot = self._find_slot(topology, slots)
        if slot.plugged or slot.index in self._devices:
            socket, cluster, core, thread = slot.topology
            raise QmpError(f"cpu(id{slot.index}={socket}:{cluster}:{core}:{thread}) "
                           f"with arch-id {slot.arch_id} exist")
        return self._plug(slot.index, driver, dev_id)

    def _plug(self, index: int, driver: str, dev_id: Optional[str]) -> CpuDevice:
        # Registered first: a backend may report the guest's reaction (_OST)
        # before plug() returns, and that event must name the device.
        counter = self._anon_count
        device = self._register(index, driver, dev_id)
        try:
            self._backend.plug(index)
        except BaseException:
            del self._devices[index]
            self._anon_count = counter
            raise
        return device

    def _unplug(self, device: CpuDevice) -> None:
        # Marked first: the eject may complete (DEVICE_DELETED) before unplug() returns.
        device.unplug_pending = True
        try:
            self._backend.unplug(device.index)
        except BaseException:
            device.unplug_pending = False
            raise

    def _check_id(self, args: Mapping[str, object]) -> Optional[str]:
        if "id" not in args:
            return None
        dev_id = args["id"]
        if not isinstance(dev_id, str):
            raise invalid_parameter_type("id", "string")
        if not _ID_WELLFORMED.match(dev_id):
            raise invalid_parameter_value("id", "an identifier")
        if any(d.id == dev_id for d in self._devices.values()):
            raise QmpError(f"Duplicate ID '{dev_id}' for device")
        return dev_id

    @staticmethod
    def _check_driver(args: Mapping[str, object]) -> str:
        if "driver" not in args:
            raise missing_parameter("driver")
        driver = args["driver"]
        if not isinstance(driver, str):
            raise invalid_parameter_type("driver", "string")
        if driver in AARCH32_CPU_TYPES:
            raise invalid_parameter_value("driver", "a pluggable device type")
        if driver not in AARCH64_CPU_TYPES:
            raise QmpError(f"'{driver}' is not a valid device model name")
        return driver

    @staticmethod
    def _check_properties(driver: str, args: Mapping[str, object],
                          slots: Sequence[HotpluggableCpu]) -> dict[str, int]:
        topology = {name: 0 for name in TOPOLOGY_PROPERTIES}
        for name, value in args.items():
            if name in DEVICE_ADD_OWN_ARGS:
                continue
            if name not in topology:
                raise QmpError(f"Property '{driver}.{name}' not found")
            topology[name] = _integer_property(name, value)
        ranges = {
            "thread-id": max(s.thread_id for s in slots),
            "core-id": max(s.core_id for s in slots),
            "cluster-id": max(s.cluster_id for s in slots),
            "socket-id": max(s.socket_id for s in slots),
        }
        for name in TOPOLOGY_PROPERTIES:
            if not 0 <= topology[name] <= ranges[name]:
                raise QmpError(f"Invalid {name} {topology[name]} specified, "
                               f"correct range 0:{ranges[name]}")
        return topology

    @staticmethod
    def _find_slot(topology: Mapping[str, int],
                   slots: Sequence[HotpluggableCpu]) -> HotpluggableCpu:
        wanted = (topology["socket-id"], topology["cluster-id"], topology["core-id"],
                  topology["thread-id"])
        for slot in slots:
            if slot.topology == wanted:
                return slot
        raise QmpError("No vCPU slot at socket-id={}, cluster-id={}, core-id={}, thread-id={};"
                       " see query-hotpluggable-cpus for the possible ones".format(*wanted))

    # ------------------------------------------------------------ device_del

    def resolve(self, name: str) -> CpuDevice:
        """The device named by an id or a QOM path (system/qdev-monitor.c find_device_state)."""
        self.slots()
        for device in self._devices.values():
            if device.id == name or device.qom_path == name:
                return device
            if device.id is not None and name == f"{PERIPHERAL_PATH}/{device.id}":
                return device
        if name.rstrip("/") in CONTAINER_PATHS:
            raise QmpError(f"{name} is not a hotpluggable device")
        raise device_not_found(name)

    def device_del(self, name: str) -> CpuDevice:
        """Ask the guest to eject the vCPU device ``name``."""
        device = self.resolve(name)
        slot = next(s for s in self._backend.cpu_slots() if s.index == device.index)
        if device.unplug_pending and not slot.unplug_repeats:
            raise QmpError(f"Device {name} is already in the process of unplug")
        self._check_unpluggable(device, slot, self._first_cpu())
        self._unplug(device)
        return device

    def _first_cpu(self) -> Optional[int]:
        """Index of the boot CPU (QEMU's ``first_cpu``): the lowest cold-plugged vCPU."""
        return min((d.index for d in self._devices.values() if d.boot), default=None)

    @staticmethod
    def _check_unpluggable(device: CpuDevice, slot: HotpluggableCpu, first_cpu: Optional[int]) -> None:
        """Refuse what QEMU refuses: ``slot`` is the device's, ``first_cpu`` the boot CPU's index."""
        if slot.unplug_refusal is not None:     # the RFC checks cold-booted before the boot CPU
            raise QmpError(slot.unplug_refusal)
        if device.boot and device.index == first_cpu:
            socket, cluster, core, thread = slot.topology
            raise QmpError(f"Boot CPU(id{device.index}={socket}:{cluster}:{core}:{thread}) "
                           "hot-unplug not supported")

    # ------------------------------------------------------------ x-set-vcpus

    def resize(self, count: int) -> tuple[list[int], list[int]]:
        """Make vCPUs ``0..count-1`` plugged and the others unplugged (Cloud Hypervisor's resize).

        Returns (indices plugged, indices whose eject was requested).
        """
        slots = self.slots()
        first_cpu = self._first_cpu()
        lowest = first_cpu + 1 if first_cpu is not None else 1
        if not lowest <= count <= len(slots):
            raise invalid_parameter_value(
                "count", f"a number of vCPUs between {lowest} and {len(slots)}")
        for index in range(count):
            device = self._devices.get(index)
            if device is not None and device.unplug_pending:
                raise QmpError(f"vCPU {index} is being unplugged; wait for its DEVICE_DELETED "
                               "event, then resize again")
        plugged, unplugging = [], []
        for slot in slots:
            if slot.index < count and slot.index not in self._devices:
                self._plug(slot.index, self._backend.cpu_type(), None)
                plugged.append(slot.index)
        for slot in reversed(slots):
            device = self._devices.get(slot.index)
            if slot.index >= count and device is not None and not device.unplug_pending:
                self._check_unpluggable(device, slot, first_cpu)
                self._unplug(device)
                unplugging.append(slot.index)
        return plugged, unplugging

    # ----------------------------------------------------------------- events

    def translate(self, event: BackendEvent) -> list[QmpEvent]:
        """The QMP events a backend event produces (updating the device table)."""
        if isinstance(event, DeviceDeleted):
            device = self._devices.pop(event.cpu, None)
            if device is None:
                return []
            return [QmpEvent(EventName.DEVICE_DELETED.value, _device_event_data(device))]
        if isinstance(event, OstReport):
            info: dict[str, object] = {}
            device = self._devices.get(event.cpu)
            if device is not None and device.id is not None:
                info["device"] = device.id
            info.update({"slot": str(event.cpu), "slot-type": ACPI_SLOT_TYPE_CPU,
                         "source": event.source, "status": event.status})
            return [QmpEvent(EventName.ACPI_DEVICE_OST.value, {"info": info})]
        if isinstance(event, UnplugFailed):
            device = self._devices.get(event.cpu)
            if device is None:
                return []
            device.unplug_pending = False
            return [QmpEvent(EventName.DEVICE_UNPLUG_GUEST_ERROR.value,
                             _device_event_data(device))]
        return []


def _device_event_data(device: CpuDevice) -> dict[str, object]:
    data: dict[str, object] = {}
    if device.id is not None:
        data["device"] = device.id
    data["path"] = device.qom_path
    return data


def _integer_property(name: str, value: object) -> int:
    """A device_add property value: a JSON integer, or a decimal string as QemuOpts accepts."""
    if isinstance(value, bool):
        raise invalid_parameter_type(name, "integer")
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:  # QEMU holds it as a double: not an integer
            raise invalid_parameter_type(name, "integer")
        return value
    if isinstance(value, str):
        decimal = _DECIMAL.match(value)
        if decimal is None:
            raise invalid_parameter_type(name, "integer")
        literal = decimal.group(1)
        digits = literal.lstrip("+-").lstrip("0") or "0"
        sign = -1 if literal.startswith("-") else 1
        number = sign * int(digits) if len(digits) <= _INT64_DIGITS else None
        if number is None or not _INT64_MIN <= number <= _INT64_MAX:
            # qobject_input_type_int64_keyval: ERANGE from qemu_strtoi64
            raise invalid_parameter_value(name, "integer")
        return number
    raise invalid_parameter_type(name, "integer")
