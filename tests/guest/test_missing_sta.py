"""A processor device without ``_STA``: what Linux 6.12 does, recorded on real hardware (issue 12).

``acpi_bus_get_status`` defaults a missing ``_STA`` to 0x0F, so the CPU is
registered at boot (offline: its GICC is only Online Capable). The Device
Check of a hot-add finds it enumerated already and changes nothing. After
``_EJ0``, ``acpi_scan_hot_remove`` (``drivers/acpi/scan.c``) re-reads the
status with ``acpi_evaluate_integer(handle, "_STA", NULL, &sta)``, which has
no default and fails with ``AE_NOT_FOUND`` (0x5)::

    status = acpi_evaluate_integer(handle, "_STA", NULL, &sta);
    if (ACPI_FAILURE(status)) {
            acpi_handle_warn(handle,
                    "Status check after eject failed (0x%x)\\n", status);
    } else if (sta & ACPI_STA_DEVICE_ENABLED) {
            ...
    } else {
            acpi_bus_post_eject(device, NULL);
    }

so ``post_eject`` never runs and cpu2 stays registered, while the VMM did
eject the vCPU. Real Linux 6.12.95 on QEMU RFC V5 logged exactly
``ACPI: \\_SB_.C002: Status check after eject failed (0x5)``.
"""

from __future__ import annotations

from vcpu_hotplug.guest.config import GuestConfig
from vcpu_hotplug.guest.klog import LogLevel
from vcpu_hotplug.system import System
from tests.check import kit
from tests.guest.helpers import cpu_masks, log_lines, own_tables, table_list

SMP = "cpus=2,maxcpus=4"
"""The recorded run's shape: possible/present 0-3, enabled/online 0-1 with our own tables."""
STATUS_CHECK_FAILED = "ACPI: \\_SB_.C002: Status check after eject failed (0x5)"


def _without_sta(cpu_device: str = "C002") -> list[bytes]:
    """Our tables with one processor device's ``_STA`` gone (renamed ``XSTA``: nothing evaluates it)."""
    tables = own_tables(SMP)
    tables["DSDT"] = kit.patch(tables["DSDT"], b"_STA", b"XSTA", device=cpu_device)
    return table_list(tables)


def _new_lines(system: System, since: int) -> list[str]:
    return log_lines(system)[since:]


def test_without_sta_the_cpu_is_registered_at_boot_and_stays_after_its_eject() -> None:
    system = System.build(SMP, tables=_without_sta())
    at_boot = {"possible": "0-3", "present": "0-3", "enabled": "0-2", "online": "0-1", "offline": "2-3"}
    assert cpu_masks(system) == at_boot
    assert "cpu2" in system.sysfs.listdir()

    mark = len(log_lines(system))
    system.enable(2)                      # device_add: Device Check finds it enumerated already
    assert cpu_masks(system) == at_boot
    assert not any("C002" in line or "CPU2" in line for line in _new_lines(system, mark))

    mark = len(log_lines(system))
    system.disable(2)                     # device_del: Eject Request, _EJ0, then _STA fails
    lines = _new_lines(system, mark)
    assert STATUS_CHECK_FAILED in lines
    assert not any("Eject incomplete" in line for line in lines)
    warned = [r for r in system.kernel.klog.records if r.text == STATUS_CHECK_FAILED]
    assert [r.level for r in warned] == [LogLevel.WARNING]
    assert not system.machine.vcpus[2].enabled, "the VMM ejected the vCPU"
    assert cpu_masks(system) == at_boot, "Linux keeps cpu2 registered: a stale CPU"
    assert "cpu2" in system.sysfs.listdir()


def test_without_sta_a_second_eject_runs_again_since_the_handler_stays_attached() -> None:
    # ACPI_SCAN_CHECK_FLAG_EJECT defers clearing adev->handler to acpi_bus_post_eject, which never ran.
    system = System.build(SMP, tables=_without_sta(), guest=GuestConfig(dyndbg=True))
    system.enable(2)
    system.disable(2)
    mark = len(log_lines(system))
    system.enable(2)
    assert any("Already enumerated" in line for line in _new_lines(system, mark))
    system.disable(2)
    assert _new_lines(system, mark).count(STATUS_CHECK_FAILED) == 1
    assert cpu_masks(system)["enabled"] == "0-2"


def test_a_cpu_with_sta_is_still_unregistered_after_its_eject() -> None:
    system = System.build(SMP, tables=_without_sta("C003"))
    system.enable(2)
    assert cpu_masks(system)["enabled"] == "0-3"
    system.disable(2)
    assert cpu_masks(system)["enabled"] == "0-1,3"
    assert not any("Status check after eject failed" in line for line in log_lines(system))
