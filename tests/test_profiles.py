"""Profiles: defined once, chosen everywhere (``--profile``, ``VmSpec.profile``, the emulator's
``-machine x-profile`` or ``VCPU_HOTPLUG_PROFILE``), and what each changes in the machine."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from vcpu_hotplug.acpi.madt import Madt
from vcpu_hotplug.acpi.pptt import Pptt
from vcpu_hotplug.cli import main
from vcpu_hotplug.emulator.cmdline import parse_command_line
from vcpu_hotplug.emulator.main import EmulatorError, plan
from vcpu_hotplug.profiles import (COLD_BOOTED_UNPLUG_REFUSAL, DEFAULT_PROFILE, PROFILES, QEMU_RFC_V5, REFERENCE,
                                   ProfileError, ProfileName, get_profile)
from vcpu_hotplug.vm import VmSpec, build_vm
from vcpu_hotplug.vmm.errors import BootVcpuError, ColdBootedVcpuError, EjectPendingError
from vcpu_hotplug.vmm.firmware_tables import build_firmware
from vcpu_hotplug.vmm.machine import Machine, MachineConfig

EMULATOR_ARGS = ["-machine", "virt,gic-version=3", "-smp", "2,maxcpus=4"]


def test_one_profile_per_name_and_reference_is_the_default():
    assert set(PROFILES) == set(ProfileName)
    assert all(PROFILES[name].name is name for name in ProfileName)
    assert get_profile(None) is REFERENCE and DEFAULT_PROFILE is ProfileName.REFERENCE
    assert get_profile("qemu-rfc-v5") is QEMU_RFC_V5
    with pytest.raises(ProfileError, match="unknown profile 'qemu'.*reference, qemu-rfc-v5"):
        get_profile("qemu")


def test_qemu_rfc_v5_refuses_every_cold_booted_vcpu_before_the_boot_vcpu_rule():
    machine = Machine(MachineConfig(smp="cpus=2,maxcpus=4", unplug_cold_booted=False))
    for cpu in (0, 1):
        with pytest.raises(ColdBootedVcpuError, match=f"^{COLD_BOOTED_UNPLUG_REFUSAL}$"):
            machine.disable(cpu)
    machine.enable(2)
    machine.disable(2)                      # hot-plugged: unpluggable
    assert machine.pending_unplugs() == [2]


def test_cold_plug_in_prelaunch_is_not_cold_booted():
    """QEMU: a device_add before cont has dev->hotplugged set, so it is not cold_booted."""
    machine = Machine(MachineConfig(smp="cpus=1,maxcpus=4", unplug_cold_booted=False), started=False)
    machine.enable(2)
    assert machine.unplug_refusal(2) is None and machine.unplug_refusal(0) == COLD_BOOTED_UNPLUG_REFUSAL


def test_reference_unplugs_cold_booted_vcpus_but_the_boot_one():
    machine = Machine(MachineConfig(smp="cpus=2,maxcpus=4"))
    machine.disable(1)
    with pytest.raises(BootVcpuError):
        machine.disable(0)


@pytest.mark.parametrize("name", list(ProfileName))
def test_vm_spec_profile_builds_that_machine(name):
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=4", profile=name))
    profile = PROFILES[name]
    assert vm.machine.config.unplug_cold_booted is profile.unplug_cold_booted
    assert vm.machine.config.guest_may_eject is profile.guest_may_eject is (name is ProfileName.QEMU_RFC_V5)
    assert [s.unplug_refusal is not None for s in vm.backend.cpu_slots()] == \
        [not profile.unplug_cold_booted] * 2 + [False] * 2
    assert vm.system.guest_view().online == frozenset({0, 1})


def test_pptt_cluster_level_follows_qemu_only_in_its_profile():
    """-smp naming clusters=1: QEMU keeps a cluster node (has_clusters), reference leaves it out."""
    smp = "cpus=2,maxcpus=8,sockets=2,clusters=1,cores=4,threads=1"
    sizes = {}
    for profile in (REFERENCE, QEMU_RFC_V5):
        pptt = Pptt.decode(build_firmware(Machine(MachineConfig(smp=smp)), profile.firmware).tables["PPTT"])
        sizes[profile.name] = len(pptt.encode())
        package_children = [n for n in pptt.nodes if n.parent == pptt.offsets()[0]]
        assert len(package_children) == (1 if profile is QEMU_RFC_V5 else 4)   # a cluster, or 4 leaves
    assert sizes == {ProfileName.REFERENCE: 236, ProfileName.QEMU_RFC_V5: 276}


def test_madt_layout_of_each_profile():
    machine = Machine(MachineConfig(smp="cpus=2,maxcpus=4"))
    ours = Madt.decode(build_firmware(machine, REFERENCE.firmware).tables["APIC"])
    qemu = Madt.decode(build_firmware(machine, QEMU_RFC_V5.firmware).tables["APIC"])
    assert (ours.header.revision, qemu.header.revision) == (6, 4)
    assert [g.length for g in qemu.giccs] == [80] * 4
    assert [s.discovery_range_length for s in qemu.subtables if s.kind == "GICR"] == [0xF6_0000]
    assert [s.discovery_range_length for s in ours.subtables if s.kind == "GICR"] == [4 * 0x2_0000]


def test_emulator_profile_from_machine_property_then_environment():
    def profile(args, environ=None):
        return plan(parse_command_line(args), environ).spec.profile

    assert profile(EMULATOR_ARGS) is ProfileName.REFERENCE
    assert profile(EMULATOR_ARGS, {"VCPU_HOTPLUG_PROFILE": "qemu-rfc-v5"}) is ProfileName.QEMU_RFC_V5
    assert profile(EMULATOR_ARGS + ["-machine", "x-profile=qemu-rfc-v5"]) is ProfileName.QEMU_RFC_V5
    assert profile(["-machine", "virt,x-profile=reference", "-smp", "2,maxcpus=4"],
                   {"VCPU_HOTPLUG_PROFILE": "qemu-rfc-v5"}) is ProfileName.REFERENCE
    with pytest.raises(EmulatorError, match="-machine x-profile=qemu: not a profile"):
        profile(EMULATOR_ARGS + ["-machine", "x-profile=qemu"])
    with pytest.raises(EmulatorError, match="VCPU_HOTPLUG_PROFILE=rfc: not a profile"):
        profile(EMULATOR_ARGS, {"VCPU_HOTPLUG_PROFILE": "rfc"})


@pytest.mark.parametrize("command", [["run", "--qmp", "unix:/nonexistent/x,server"], ["demo"],
                                     ["tables", "emit", "--smp", "2", "-o", "/nonexistent"],
                                     ["tables", "sample", "--cpus", "1", "--maxcpus", "2"]])
def test_cli_refuses_an_unknown_profile(command):
    result = CliRunner().invoke(main, command + ["--profile", "qemu"])
    assert result.exit_code == 2
    assert "'qemu' is not one of 'reference', 'qemu-rfc-v5'" in result.output


def test_demo_runs_on_the_qemu_profile():
    result = CliRunner().invoke(main, ["demo", "--profile", "qemu-rfc-v5", "--smp", "cpus=2,maxcpus=4", "--json"])
    assert result.exit_code == 0, result.output
    assert '"DEVICE_DELETED"' in result.output


def test_a_standing_unplug_request_has_no_timeout_survives_a_refusal_and_is_asked_again():
    """QEMU (qemu-rfc-v5): no timeout, a failing eject _OST only reported, a repeat re-raises the event."""
    machine = Machine(QEMU_RFC_V5.machine_config(smp="cpus=1,maxcpus=4"))
    failed, osts = [], []
    machine.observers.unplug_failed.append(failed.append)
    machine.observers.ost.append(osts.append)
    machine.enable(2)
    machine.cpuhp.clear_insert(2)
    machine.disable(2)
    machine.clock.advance_ns(100 * machine.config.unplug_timeout_ns)
    assert machine.pending_unplugs() == [2] and failed == []
    machine.cpuhp.write(0, 4, 2)                              # the guest: _OST(eject, 0x82 busy)
    machine.cpuhp.write(5, 1, 1)
    machine.cpuhp.write(8, 4, 3)
    machine.cpuhp.write(5, 1, 2)
    machine.cpuhp.write(8, 4, 0x82)
    machine.cpuhp.write(4, 1, 4)                              # and acknowledges the remove event
    assert [(o.cpu, o.source, o.status) for o in osts] == [(2, 3, 0x82)]
    assert machine.pending_unplugs() == [2] and failed == [] and machine.cpuhp.pending_events() == []
    raised = machine.ged.raised
    assert machine.disable(2) == 2                            # asked again
    assert machine.cpuhp.pending_events() == [2] and machine.ged.raised == raised + 1


def test_a_reference_unplug_request_is_one_attempt():
    machine = Machine(REFERENCE.machine_config(smp="cpus=1,maxcpus=4"))
    failed = []
    machine.observers.unplug_failed.append(failed.append)
    machine.enable(2)
    machine.disable(2)
    with pytest.raises(EjectPendingError):
        machine.disable(2)
    machine.clock.advance_ns(machine.config.unplug_timeout_ns + 1)
    assert [f.cpu for f in failed] == [2] and machine.pending_unplugs() == []
