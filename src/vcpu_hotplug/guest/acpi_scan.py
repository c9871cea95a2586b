"""ACPI namespace scan and hotplug events: ``drivers/acpi/scan.c`` and ``drivers/acpi/bus.c`` (Linux 6.11).

**Boot scan** (``acpi_scan_init`` -> ``acpi_bus_scan``): every ``Device`` and
``Processor`` object becomes an ACPI device, named ``<HID>:<instance>``
(``ACPI0007:04``). Processor devices (``ACPI0007`` or ``Processor``
objects) get the processor scan handler, with hotplug notifications
enabled. ``acpi_bus_attach`` reads ``_STA`` (``acpi_bus_get_status``; a
failed evaluation at creation leaves the status 0, ``acpi_scan_init_status``)
and attaches only devices that are present or functioning
(``acpi_dev_ready_for_enumeration``); ``acpi_processor_add`` then demands
present and enabled itself. The GED is a platform device: its driver
(``acpi-ged``) probes it later, at ``device_initcall`` time, after the
processors are registered.

**Notify** (``acpi_bus_notify``): Bus Check (0), Device Check (1) and Eject
Request (3) on a device are queued to the hotplug workqueue
(``acpi_hotplug_schedule``); the work (``acpi_device_hotplug``) runs
``acpi_generic_hotplug_event``:

- Bus/Device Check: ``acpi_scan_check_subtree`` re-reads ``_STA`` and
  detaches a device that is no longer enabled (the processor handler has no
  ``.detach``: the CPU stays registered); then, if present and not handled,
  rescan: a newly enabled processor is added and registered. Otherwise
  "Already enumerated".
- Eject Request: "Eject disabled" when the device has its handler and the
  handler's hotplug is off (``-EPERM``); else ``_OST(3, 0x84 in progress)``, then
  ``acpi_scan_hot_remove``: ``acpi_scan_try_to_offline`` offlines the CPU
  (``device_offline``; any failure, a busy CPU's ``-EBUSY`` as an
  ``offline_disabled`` device's ``-EPERM``, is "Offline failed." and
  ``-EBUSY`` after the second pass), ``_EJ0(1)`` (none: ``-ENODEV``), then
  ``_STA`` through ``acpi_evaluate_integer`` (no 0x0F default: a device
  without ``_STA`` fails with ``AE_NOT_FOUND``): a failure is "Status check
  after eject failed (0x%x)" with the ACPICA status, still enabled is "Eject
  incomplete - status 0x%llx", both warnings, and both keep the CPU
  registered and the handler attached (Linux 6.11's ``ACPI_SCAN_CHECK_FLAG_EJECT``
  defers the detach to ``acpi_bus_post_eject``); else ``post_eject``
  unregisters the CPU and drops the handler.

The result goes back to firmware with ``_OST(source, code)``: 0 success,
``-EPERM`` 0x80 not supported, ``-EBUSY`` 0x82 busy, anything else 1
(non-specific failure).

**The workqueue and an eject's steps.** ``kacpi_hotplug_wq`` is an ordered
workqueue (``alloc_ordered_workqueue`` in ``drivers/acpi/osl.c``): one work
item runs at a time, in the order the Notifies queued them. Real Linux runs an
eject's work as one function, but it takes time between its steps: on real
6.12.95 under TCG the ``_OST`` 0x84 comes when the work starts, the offline
(``cpu_down``, the dying CPU's ``CPU_OFF``, ``cpu_kill``'s teardown) takes
about 100 ms, and ``_EJ0`` follows. So the model runs an eject's work in
clock events: the ``_OST`` 0x84 and ``acpi_scan_try_to_offline`` (a refusal
answers its ``_OST`` there and then); an online CPU's ``cpu_down`` teardown
(:meth:`~vcpu_hotplug.guest.smp.CpuHotplug.cpu_down_then`); then, as an event of its own,
``acpi_scan_hot_remove`` from "Ejecting" to ``_EJ0``; then the ``_STA`` check,
``post_eject`` and the final ``_OST`` (:data:`POST_EJECT_LABEL`). The later events are scheduled with no
delay of the model's own, so a run to idle gives the same events in the same
order as one step; it is where whoever paces the machine against the wall
clock (:mod:`vcpu_hotplug.qmp.pacing`) charges the offline's, ``_EJ0``'s and
``post_eject``'s time. The next work item waits for the last step of the one before.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol

from vcpu_hotplug.acpi.aml.objects import Processor
from vcpu_hotplug.acpi.device_ids import GED_HID, POWER_BUTTON_HID, PROCESSOR_HID
from vcpu_hotplug.acpi.device_status import DeviceStatus
from vcpu_hotplug.acpi.errors import AcpiError
from vcpu_hotplug.acpi.notify import DEVICE_SPECIFIC_NOTIFY, NotifyValue, OstEvent, OstStatus
from vcpu_hotplug.guest.acpi_utils import (AE_OK, AcpiCore, AcpiDevice, acpi_device_is_enabled, acpi_device_is_present,
                                           acpi_status_of, linux_path)
from vcpu_hotplug.guest.button import ButtonDriver
from vcpu_hotplug.guest.cpumask import CpuMask
from vcpu_hotplug.guest.errors import Errno
from vcpu_hotplug.guest.ged import GedDriver
from vcpu_hotplug.guest.processor import ProcessorDriver
from vcpu_hotplug.guest.services import KernelServices
from vcpu_hotplug.guest.smp import CpuHotplug
from vcpu_hotplug.guest.sysfs import CpuDevices
from vcpu_hotplug.hw.trace import Trace, TraceKind


POST_EJECT_LABEL = "guest acpi post-eject"
"""The label of an eject's last step, after ``_EJ0`` (the ``_STA`` check, ``post_eject``, the final
``_OST``): real Linux 6.12.95 under TCG said that ``_OST`` about 5.7 ms after ``DEVICE_DELETED``
(median of 8, ``tests/data/real-linux/``), and a pacer charges that time there."""


class ScanKernel(KernelServices, Protocol):
    """What the ACPI scan and its hotplug work use of the running kernel besides :class:`KernelServices`."""

    trace: Trace
    acpi: AcpiCore
    cpu_hotplug: CpuHotplug
    devices: CpuDevices
    online: CpuMask
    processor_driver: ProcessorDriver
    ged: GedDriver
    button: ButtonDriver


_NOTIFY_NAMES = {
    NotifyValue.BUS_CHECK: "ACPI_NOTIFY_BUS_CHECK",
    NotifyValue.DEVICE_CHECK: "ACPI_NOTIFY_DEVICE_CHECK",
    NotifyValue.DEVICE_WAKE: "ACPI_NOTIFY_DEVICE_WAKE",
    NotifyValue.EJECT_REQUEST: "ACPI_NOTIFY_EJECT_REQUEST",
}


def errno_to_ost(error: int) -> OstStatus:
    """The switch at the end of ``acpi_device_hotplug``."""
    if error == 0:
        return OstStatus.SUCCESS
    if error == -Errno.EPERM:
        return OstStatus.EJECT_NOT_SUPPORTED
    if error == -Errno.EBUSY:
        return OstStatus.DEVICE_BUSY
    return OstStatus.NON_SPECIFIC_FAILURE


class AcpiScan:
    """The scan, the notify handler and the hotplug workqueue."""

    def __init__(self, kernel: ScanKernel) -> None:
        self.k = kernel
        self.devices: dict[str, AcpiDevice] = {}
        self._instances: dict[str, int] = {}
        self.pending_work = 0
        """Hotplug work items queued and not yet finished."""
        self._current: int | None = None
        """The work item running, by number (an eject runs until its ``_EJ0`` step has ended)."""
        self._items = 0
        """Work items started so far."""
        self._queued: deque[tuple[AcpiDevice, int]] = deque()
        """Work items whose turn came while another ran: they follow it, in order."""

    # scan -------------------------------------------------------------------

    def scan(self) -> None:
        """``acpi_bus_scan(ACPI_ROOT_OBJECT)`` at boot, then the GED driver's probe (``device_initcall``)."""
        k = self.k
        for path, obj in k.acpi.interp.devices():
            self._add_device(path, obj)
        processors = [d for d in self.devices.values() if d.is_processor]
        k.processor_driver.check_duplicates(processors)
        for adev in self.devices.values():
            if adev.hid != GED_HID:
                self._attach(adev)
        for adev in self.devices.values():
            if adev.hid == GED_HID:
                self._attach(adev)

    def _add_device(self, path: str, obj: object) -> AcpiDevice:
        if isinstance(obj, Processor):
            hid: str | None = PROCESSOR_HID
            is_processor = True
        else:
            try:
                ids = self.k.acpi.interp.ids(path)
            except AcpiError:
                ids = []
            hid = ids[0] if ids else None
            is_processor = PROCESSOR_HID in ids
        prefix = hid or "device"
        instance = self._instances.get(prefix, 0)
        self._instances[prefix] = instance + 1
        adev = AcpiDevice(path, obj, hid, f"{prefix}:{instance:02x}", is_processor,
                          hotplug_notify=is_processor)
        self.devices[path] = adev
        return adev

    def _attach(self, adev: AcpiDevice) -> None:
        """``acpi_bus_attach`` for one device (``_STA`` read for processors and the GED only)."""
        if adev.handler_attached:
            return
        if adev.is_processor or adev.hid == GED_HID:
            self.k.acpi.status(adev)      # on failure adev.status keeps its last value (0 at creation)
            if not acpi_device_is_present(adev.status):
                return
        if adev.is_processor:
            if self.k.processor_driver.add(adev) > 0:
                adev.handler_attached = True
        elif adev.hid == POWER_BUTTON_HID:
            adev.handler_attached = self.k.button.add(adev)
        elif adev.hid == GED_HID:
            if self.k.ged.probe(adev):
                adev.handler_attached = True

    # notify -----------------------------------------------------------------

    def notify(self, path: str, value: int) -> None:
        """The interpreter's Notify: ``acpi_ev_queue_notify_request`` -> ``acpi_bus_notify``."""
        k = self.k
        k.trace.record(TraceKind.NOTIFY, path=path, value=value)
        if k.knobs.ignore_notifications:
            k.klog.tracepoint(f"Notify({path}, {value:#x}) ignored (knob)")
            return
        name = _NOTIFY_NAMES.get(value)
        if name is not None:
            k.klog.debug(f"ACPI: {linux_path(path)}: {name} event")
        adev = self.devices.get(path)
        if value >= DEVICE_SPECIFIC_NOTIFY:
            # acpi_ev_queue_notify_request: device-specific values go to the device's own handler.
            if adev is not None and adev.handler_attached and adev.hid == POWER_BUTTON_HID:
                k.button.notify(adev, value)
            return
        if value not in (NotifyValue.BUS_CHECK, NotifyValue.DEVICE_CHECK, NotifyValue.EJECT_REQUEST):
            return
        if adev is None:
            k.acpi.ost(path, value, OstStatus.NON_SPECIFIC_FAILURE)
            return
        self.pending_work += 1
        k.clock.schedule(k.config.latency.hotplug_work_ns, lambda: self._work_due(adev, value),
                         f"guest acpi hotplug {path} {value}")

    # the ordered workqueue ----------------------------------------------------

    def _work_due(self, adev: AcpiDevice, src: int) -> None:
        """``acpi_hotplug_work_fn``'s turn: it needs the CPU hotplug lock free, then the workqueue."""
        self.k.cpu_hotplug.with_lock(lambda: self._take(adev, src))

    def _take(self, adev: AcpiDevice, src: int) -> None:
        if self._current is not None:
            self._queued.append((adev, src))
            return
        self._items += 1
        self._current = self._items
        self._step(lambda: self._device_hotplug(adev, src))

    def _step(self, body: Callable[[], None]) -> None:
        """Run one step of the work item running; a step that raises ends the item."""
        item = self._current
        try:
            body()
        except BaseException:
            if self._current is item:
                self._work_done()
            raise

    def _work_done(self) -> None:
        """The work item has ended: the next one queued behind it starts."""
        self.pending_work -= 1
        self._current = None
        if self._queued:
            adev, src = self._queued.popleft()
            self._work_due(adev, src)

    # acpi_device_hotplug ------------------------------------------------------

    def _device_hotplug(self, adev: AcpiDevice, src: int) -> None:
        """``acpi_device_hotplug``; an eject ends in a later step (:meth:`_eject_step`)."""
        if not adev.hotplug_notify:
            self._work_done()
            return
        self._generic_hotplug_event(adev, src, lambda error: self._report(adev, src, error))

    def _report(self, adev: AcpiDevice, src: int, error: int) -> None:
        """The end of ``acpi_device_hotplug``: ``_OST(src, code)``, then the work item is done."""
        self.k.acpi.ost(adev.path, src, errno_to_ost(error))
        self._work_done()

    def _generic_hotplug_event(self, adev: AcpiDevice, src: int, done: Callable[[int], None]) -> None:
        """``acpi_generic_hotplug_event``; its result goes to ``done``."""
        if src == NotifyValue.BUS_CHECK or src == NotifyValue.DEVICE_CHECK:
            return done(self._device_check(adev))
        if src == NotifyValue.EJECT_REQUEST or src == OstEvent.OSPM_EJECT:
            # "adev->handler && !adev->handler->hotplug.enabled": a device without its handler
            # (a processor that was never added) is ejected whatever the hotplug setting.
            if adev.handler_attached and not self.k.knobs.eject_enabled:
                self.k.klog.info(f"acpi {adev.name}: Eject disabled")
                return done(-Errno.EPERM)
            self.k.acpi.ost(adev.path, NotifyValue.EJECT_REQUEST, OstStatus.EJECT_IN_PROGRESS)
            return self._hot_remove(adev, done)
        return done(-Errno.EINVAL)

    def _device_check(self, adev: AcpiDevice) -> int:
        """``acpi_scan_device_check`` (Bus Check on a processor behaves the same)."""
        k = self.k
        k.acpi.status(adev)
        if adev.handler_attached and not acpi_device_is_enabled(adev.status):
            # acpi_scan_check_and_detach: the processor handler has no .detach, the CPU stays registered.
            adev.handler_attached = False
        if not acpi_device_is_present(adev.status):
            return 0
        if adev.handler_attached:
            k.klog.debug(f"acpi {adev.name}: Already enumerated")
            return 0
        self._attach(adev)
        return 0

    def _hot_remove(self, adev: AcpiDevice, done: Callable[[int], None]) -> None:
        """``acpi_scan_hot_remove`` up to the offline; the eject is the work's next step."""
        k = self.k
        if adev.cpu is None:
            return self._schedule_eject(adev, done)
        # acpi_scan_try_to_offline: a failing device_offline in both passes is "Offline failed.".
        cpu = adev.cpu
        if cpu in k.online and k.devices.hotpluggable(cpu):
            # device_offline -> cpu_down, whose teardown is a clock event of its own (smp.py)
            return k.cpu_hotplug.cpu_down_then(
                cpu, lambda err: self._step(lambda: self._offlined(adev, err, done)))
        self._offlined(adev, k.devices.device_offline(cpu), done)

    def _offlined(self, adev: AcpiDevice, err: int, done: Callable[[int], None]) -> None:
        """``acpi_scan_try_to_offline``'s result: "Offline failed." or the eject, the work's next step."""
        if err < 0:
            self.k.klog.warn(f"cpu cpu{adev.cpu}: Offline failed.")
            return done(-Errno.EBUSY)
        self._schedule_eject(adev, done)

    def _schedule_eject(self, adev: AcpiDevice, done: Callable[[int], None]) -> None:
        self.k.clock.schedule(0, lambda: self._step(lambda: self._eject_step(adev, done)),
                              f"guest acpi eject {adev.path}")

    def _eject_step(self, adev: AcpiDevice, done: Callable[[int], None]) -> None:
        """``acpi_scan_hot_remove`` from "Ejecting" to ``_EJ0``; the ``_STA`` check and ``post_eject`` follow
        as the work's last step (:data:`POST_EJECT_LABEL`)."""
        k = self.k
        k.klog.debug(f"ACPI: {linux_path(adev.path)}: Ejecting")
        # acpi_scan_check_and_detach(device, ACPI_SCAN_CHECK_FLAG_EJECT): the processor handler has no
        # .detach, and with the EJECT flag adev->handler and the enumerated flag stay until
        # acpi_bus_post_eject, so every early return below leaves the device attached.
        # acpi_evaluate_ej0 (drivers/acpi/utils.c) warns on either failure; real Linux 6.12 printed
        # "ACPI: \_SB_.C002: No _EJ0 support for device" for a processor device without _EJ0.
        if not k.acpi.exists(adev.path + "._EJ0"):
            k.klog.warn(f"ACPI: {linux_path(adev.path)}: No _EJ0 support for device")
            return done(-Errno.ENODEV)    # AE_NOT_FOUND
        try:
            k.acpi.evaluate(adev.path + "._EJ0", 1)
        except AcpiError as e:
            k.klog.warn(f"ACPI: {linux_path(adev.path)}: Eject failed (0x{acpi_status_of(e):x})")
            return done(-Errno.EIO)
        k.clock.schedule(0, lambda: self._step(lambda: done(self._post_eject_step(adev))),
                         f"{POST_EJECT_LABEL} {adev.path}")

    def _post_eject_step(self, adev: AcpiDevice) -> int:
        """``acpi_scan_hot_remove`` after ``_EJ0``: the ``_STA`` check, ``post_eject``."""
        k = self.k
        # acpi_evaluate_integer(handle, "_STA", NULL, &sta): no 0x0F default here; a device
        # without _STA fails with AE_NOT_FOUND (0x5) and the CPU stays registered.
        status, sta = k.acpi.evaluate_integer(adev.path + "._STA")
        if status != AE_OK or sta is None:
            k.klog.warn(f"ACPI: {linux_path(adev.path)}: Status check after eject failed (0x{status:x})")
        elif sta & DeviceStatus.ENABLED:
            k.klog.warn(f"ACPI: {linux_path(adev.path)}: Eject incomplete - status 0x{sta:x}")
        else:
            # acpi_bus_post_eject: handler->post_eject(adev), then adev->handler = NULL.
            k.processor_driver.post_eject(adev)
            adev.handler_attached = False
        return 0
