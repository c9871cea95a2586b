"""``cpu_present_mask`` on arm64: Linux 6.11 and the 2026 fix.

6.11: ``smp_prepare_cpus`` marks every possible CPU present and arm64's
``acpi_map_cpu``/``acpi_unmap_cpu`` are stubs, so *present* never changes
("arm64's ACPI tables assume that everything described is present"). The
2026 fix marks only CPUs whose MADT GICC is Enabled present
(``acpi_cpu_is_present``), and ``acpi_map_cpu`` sets present on a hot-add,
``acpi_unmap_cpu`` clears it after an eject.
"""

from __future__ import annotations

from tests.guest.helpers import assert_path, cpu_masks, guest_line, log_lines
from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.guest import Errno, GuestConfig, PresentPolicy
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.system import System

SMP = "cpus=2,maxcpus=6"


def boot(policy: PresentPolicy) -> System:
    return System.build(SMP, guest=GuestConfig(present_policy=policy))


def boot_cpu_on_targets(system: System) -> dict[int, int]:
    """MPIDR -> PSCI return of each CPU_ON the guest made (as a signed 32-bit value)."""
    out = {}
    for e in system.trace.filter(TraceKind.HVC, function=PsciFunction.CPU_ON):
        low = e.result[0] & 0xFFFF_FFFF
        out[e.args[0]] = low - (1 << 32) if low & 0x8000_0000 else low
    return out


def test_6_11_every_possible_cpu_is_present_from_boot_to_eject() -> None:
    system = boot(PresentPolicy.LINUX_6_11)
    assert cpu_masks(system)["present"] == "0-5"
    # smp_init tries every present CPU: firmware denies the four it keeps disabled.
    mpidr = [v.mpidr for v in system.machine.vcpus]
    assert boot_cpu_on_targets(system) == {mpidr[1]: PsciReturn.SUCCESS,
                                           **{mpidr[i]: PsciReturn.DENIED for i in range(2, 6)}}
    system.enable(4)
    assert cpu_masks(system)["present"] == "0-5"
    system.disable(4)
    assert cpu_masks(system)["present"] == "0-5"
    assert cpu_masks(system)["enabled"] == "0-1"


def test_2026_present_is_enabled_at_boot_set_on_hot_add_cleared_on_eject() -> None:
    system = boot(PresentPolicy.FIX_2026)
    assert cpu_masks(system) == {"possible": "0-5", "present": "0-1", "enabled": "0-1", "online": "0-1",
                                 "offline": "2-5"}
    # Only present CPUs are brought up: firmware is never asked about the disabled ones.
    assert boot_cpu_on_targets(system) == {system.machine.vcpus[1].mpidr: PsciReturn.SUCCESS}

    t0 = system.clock.now_ns()
    system.enable(4)
    assert cpu_masks(system)["present"] == "0-1,4"
    assert cpu_masks(system)["online"] == "0-1,4"
    assert_path(system.trace.filter(since_ns=t0), [guest_line("register_cpu cpu4"),
                                                   guest_line("ACPI: CPU4 has been hot-added")])

    system.disable(4)
    assert cpu_masks(system) == {"possible": "0-5", "present": "0-1", "enabled": "0-1", "online": "0-1",
                                 "offline": "2-5"}


def test_2026_a_cpu_can_be_added_removed_and_added_again() -> None:
    system = boot(PresentPolicy.FIX_2026)
    for _ in range(2):
        system.enable(3)
        assert cpu_masks(system)["present"] == "0-1,3"
        system.disable(3)
        assert cpu_masks(system)["present"] == "0-1"
    assert log_lines(system).count("ACPI: CPU3 has been hot-added") == 2


def test_2026_bringing_up_a_cpu_that_is_not_present_is_einval_without_asking_firmware() -> None:
    """``_cpu_up`` refuses a CPU that is not present (``-EINVAL``) before any PSCI call, where 6.11,
    which has every CPU present, asks firmware and gets DENIED (``-EPERM``)."""
    results = {}
    for policy in PresentPolicy:
        system = boot(policy)
        calls = len(system.trace.filter(TraceKind.HVC, function=PsciFunction.CPU_ON))
        result: list[int] = []
        system.kernel.cpu_hotplug.cpu_up(3, result.append)
        results[policy] = (result, len(system.trace.filter(TraceKind.HVC, function=PsciFunction.CPU_ON)) - calls)
    assert results[PresentPolicy.LINUX_6_11] == ([-Errno.EPERM], 1)
    assert results[PresentPolicy.FIX_2026] == ([-Errno.EINVAL], 0)


def test_both_policies_agree_on_possible_enabled_and_online() -> None:
    """The policies differ only in *present*: the same operations give the same other masks."""
    views = {}
    for policy in PresentPolicy:
        system = boot(policy)
        system.enable(5)
        system.enable(2)
        system.disable(5)
        masks = cpu_masks(system)
        views[policy] = masks
        assert masks["enabled"] == "0-2" and masks["online"] == "0-2"
    a, b = views[PresentPolicy.LINUX_6_11], views[PresentPolicy.FIX_2026]
    assert {k: v for k, v in a.items() if k != "present"} == {k: v for k, v in b.items() if k != "present"}
    assert (a["present"], b["present"]) == ("0-5", "0-2")
