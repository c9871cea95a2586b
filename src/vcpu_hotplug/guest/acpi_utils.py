"""The ACPI core's helpers around the interpreter: ``drivers/acpi/utils.c`` and ``bus.c``.

- :meth:`AcpiCore.evaluate`: ``acpi_evaluate_object``/``acpi_evaluate_integer``,
  each call traced (``trace: acpi evaluate \\_SB.CPUS.C004._STA``) so the
  hardware trace shows which AML ran around each register access;
- :meth:`AcpiCore.status`: ``acpi_bus_get_status`` (``_STA``; 0x0F when absent), stored in the
  device's ``status``, which a failed evaluation leaves as it was;
- :meth:`AcpiCore.evaluate_integer`: ``acpi_evaluate_integer`` (``drivers/acpi/utils.c``), which
  has no default: a missing object is ``AE_NOT_FOUND`` (0x5), as ACPICA's
  ``acpi_evaluate_object`` returns it; the status is returned, not logged;
- :meth:`AcpiCore.ost`: ``acpi_evaluate_ost(handle, source_event, status, NULL)``:
  ``_OST`` with an empty buffer, only when the device has one;
- :func:`linux_path`: a namespace path as ACPICA prints it (``\\_SB_.CPUS.C004``);
- :class:`AcpiDevice` (``struct acpi_device``) and the ``_STA`` tests on it,
  :func:`acpi_device_is_present` and :func:`acpi_device_is_enabled`
  (``drivers/acpi/scan.c``, ``include/acpi/acpi_bus.h``).

AML time: the interpreter's ``Sleep``/``Stall`` read the simulated clock but
do not advance it (the guest runs inside clock events, which must not
re-enter the clock).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from vcpu_hotplug.acpi.aml import Interpreter
from vcpu_hotplug.acpi.device_status import STA_DEFAULT, DeviceStatus
from vcpu_hotplug.acpi.errors import AcpiError
from vcpu_hotplug.guest.klog import KernelLog
from vcpu_hotplug.hw.clock import SimClock

NAME_SEGMENT = 4

AE_OK = 0x0000
AE_ERROR = 0x0001
"""ACPICA's generic failure (``include/acpi/acexcep.h``): what an AML fault without a closer code reports here."""
AE_NOT_FOUND = 0x0005
"""``EXCEP_ENV (0x0005)``: the object (or a name the AML uses) does not exist."""
AE_BAD_DATA = 0x1004
"""``EXCEP_PGM (0x0004)``: ``acpi_evaluate_integer`` on a result that is not an Integer."""

_NOT_FOUND = re.compile(r"(\\S+) not found \(from ")
"""How the AML engine words an unresolved name (``compiler.py``): ACPICA's ``AE_NOT_FOUND``."""


def acpi_status_of(exc: AcpiError) -> int:
    """The ACPICA status an AML fault stands for: ``AE_NOT_FOUND`` for an unresolved name, else ``AE_ERROR``."""
    return AE_NOT_FOUND if _NOT_FOUND.search(str(exc)) else AE_ERROR


def linux_path(path: str) -> str:
    r"""``\_SB.CPUS.C4`` -> ``\_SB_.CPUS.C4__`` (full four-character segments)."""
    body = path.lstrip("\\")
    segs = [s.ljust(NAME_SEGMENT, "_") for s in body.split(".") if s]
    return "\\" + ".".join(segs)


@dataclass(eq=False)
class AcpiDevice:
    """``struct acpi_device`` as far as hotplug needs it."""

    path: str
    obj: object
    hid: str | None
    name: str
    is_processor: bool
    status: int = 0
    """The last ``_STA`` read (``adev->status``)."""
    handler_attached: bool = False
    hotplug_notify: bool = False
    cpu: int | None = None
    """The logical CPU bound to this processor device (its driver data)."""


def acpi_device_is_present(status: int) -> bool:
    """``acpi_device_is_present`` (``drivers/acpi/scan.c``): present or functioning."""
    return bool(status & DeviceStatus.PRESENT) or bool(status & DeviceStatus.FUNCTIONING)


def acpi_device_is_enabled(status: int) -> bool:
    """``acpi_device_is_enabled`` (``drivers/acpi/scan.c``): present and enabled."""
    return bool(status & DeviceStatus.PRESENT) and bool(status & DeviceStatus.ENABLED)


class _ReadOnlyClock:
    """The simulated clock as AML sees it: readable, never advanced from inside an event."""

    def __init__(self, clock: SimClock) -> None:
        self._clock = clock

    def now_ns(self) -> int:
        return self._clock.now_ns()

    def advance_ns(self, ns: int) -> None:
        """Sleep/Stall inside AML: no-op (see the module docstring)."""


class AcpiCore:
    """The guest's ACPI interpreter and the calls Linux makes through it."""

    def __init__(self, handler, notify: Callable[[str, int], None], clock: SimClock, klog: KernelLog) -> None:
        self.klog = klog
        self.interp = Interpreter(handler=handler, notify=notify, clock=_ReadOnlyClock(clock))

    def load(self, blocks: list[bytes]) -> None:
        """Load the DSDT and SSDTs (``acpi_load_tables``); errors are logged as ACPICA logs them."""
        for data in blocks:
            try:
                self.interp.load(data)
            except AcpiError as e:
                self.klog.err(f"ACPI Error: {e} (20240322/tbxfload-220)")
                continue
            sig = data[:4].decode("latin-1", "replace")
            for err in self.interp.load_errors:
                self.klog.err(f"ACPI Error: {err} (in {sig})")
            self.interp.load_errors.clear()
        count = len(blocks)
        self.klog.info(f"ACPI: {count} ACPI AML tables successfully acquired and loaded")

    def exists(self, path: str) -> bool:
        return self.interp.exists(path)

    def evaluate(self, path: str, *args, trace: bool = True):
        """Evaluate ``path``; raises :class:`AcpiError` when the AML fails."""
        if trace:
            shown = ", ".join(f"{a:#x}" if isinstance(a, int) else repr(a) for a in args)
            self.klog.tracepoint(f"acpi evaluate {path}({shown})")
        return self.interp.evaluate(path, *args)

    def status(self, device) -> int | None:
        """``_STA`` of ``device`` (an object with ``path``); None when evaluation failed."""
        path = device.path + "._STA"
        if not self.exists(path):
            device.status = STA_DEFAULT
            return STA_DEFAULT
        try:
            value = self.evaluate(path)
        except AcpiError as e:
            self.klog.warn(f"ACPI: {linux_path(device.path)}: _STA evaluation failed: {e}")
            return None
        if not isinstance(value, int):
            return None
        device.status = value
        return value

    def evaluate_integer(self, path: str) -> tuple[int, int | None]:
        """``acpi_evaluate_integer(handle, path, NULL, &value)``: ``(status, value)``, value None unless ``AE_OK``.

        Unlike :meth:`status` there is no default for a missing ``_STA``:
        ``acpi_evaluate_object`` fails with ``AE_NOT_FOUND``, and a result that
        is not an Integer is ``AE_BAD_DATA``.
        """
        if not self.exists(path):
            return AE_NOT_FOUND, None
        try:
            value = self.evaluate(path)
        except AcpiError as e:
            return acpi_status_of(e), None
        if not isinstance(value, int):
            return AE_BAD_DATA, None
        return AE_OK, value

    def ost(self, path: str, source: int, status: int) -> bool:
        """``acpi_evaluate_ost``; False when there is no ``_OST`` or it failed."""
        method = path + "._OST"
        if not self.exists(method):
            return False
        try:
            self.evaluate(method, source, status, b"")
        except AcpiError as e:
            self.klog.warn(f"ACPI: {linux_path(path)}: _OST evaluation failed: {e}")
            return False
        return True
