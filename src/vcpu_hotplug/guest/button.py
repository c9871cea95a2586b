"""The ACPI power button: ``drivers/acpi/button.c`` (Linux 6.11), and what userspace does with it.

``acpi_button_add`` binds the ``PNP0C0C`` device ("ACPI: button: Power
Button [PWRB]") and installs its notify handler. A device-specific Notify
``0x80`` (``ACPI_BUTTON_NOTIFY_STATUS``) is the press: ``acpi_button_notify``
reports ``KEY_POWER`` on the button's input device. The kernel does nothing
more; userspace decides: systemd-logind's default ``HandlePowerKey=poweroff``
shuts the system down, which ends in ``kernel_power_off`` (PSCI SYSTEM_OFF).
The knob :attr:`~vcpu_hotplug.guest.config.GuestKnobs.power_key_poweroff`
off models a guest with no such daemon: the press is logged and ignored.
"""

from __future__ import annotations

from typing import Protocol

from vcpu_hotplug.acpi.device_ids import POWER_BUTTON_HID
from vcpu_hotplug.acpi.notify import PowerButtonNotify
from vcpu_hotplug.guest.acpi_utils import AcpiDevice
from vcpu_hotplug.guest.services import KernelServices


class ButtonKernel(KernelServices, Protocol):
    """What the button driver uses of the running kernel besides :class:`KernelServices`."""

    booted: bool
    halted: bool

    def power_off(self) -> None: ...


POWER_BUTTON_NAME = "Power Button"
"""``ACPI_BUTTON_DEVICE_NAME_POWER``."""


class ButtonDriver:
    """The ``button`` driver for the power button."""

    def __init__(self, kernel: ButtonKernel) -> None:
        self.k = kernel
        self.buttons: list[AcpiDevice] = []
        self.presses = 0

    def add(self, adev: AcpiDevice) -> bool:
        """``acpi_button_add``: bind, create the input device, log the button."""
        bid = adev.path.rsplit(".", 1)[-1]
        self.buttons.append(adev)
        self.k.klog.info(f"input: {POWER_BUTTON_NAME} as /devices/LNXSYSTM:00/LNXSYBUS:00/"
                         f"{POWER_BUTTON_HID}:00/input/input{len(self.buttons) - 1}")
        self.k.klog.info(f"ACPI: button: {POWER_BUTTON_NAME} [{bid}]")
        return True

    def notify(self, adev: AcpiDevice, value: int) -> None:
        """``acpi_button_notify``: a press reaches userspace as KEY_POWER."""
        k = self.k
        if value != PowerButtonNotify.STATUS_CHANGE:
            k.klog.debug(f"ACPI: button: Unsupported event [0x{value:x}]")
            return
        self.presses += 1
        k.klog.tracepoint(f"input: KEY_POWER pressed on {adev.name}")
        if not k.knobs.power_key_poweroff:
            k.klog.tracepoint("logind: power key ignored (no HandlePowerKey=poweroff)")
            return
        k.klog.tracepoint("logind: Power key pressed, powering off")
        k.clock.schedule(k.config.latency.poweroff_ns, self._poweroff, "guest userspace poweroff")

    def _poweroff(self) -> None:
        k = self.k
        if k.booted and not k.halted:
            k.power_off()
