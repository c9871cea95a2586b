"""``system_reset``, ``system_powerdown``, the guest's own reset and power-off, over the real QMP socket.

Against a real VM (``build_vm``: the VMM with the Linux guest model): the events (qapi/run-state.json
``RESET``, ``POWERDOWN``, ``SHUTDOWN``), ``query-status`` in every run state (prelaunch, running,
paused, shutdown, and running again after a reset) and what the guest sees afterwards.
"""

from __future__ import annotations

from pathlib import Path

from vcpu_hotplug.qmp.server import QmpServer
from vcpu_hotplug.vm import VmSpec, build_vm

from .client import RawClient
from .fake_backend import FakeCpuBackend
from .test_emulator_commands import error, event_names, ok, scenario, status

HOST_RESET = {"guest": False, "reason": "host-qmp-system-reset"}
GUEST_RESET = {"guest": True, "reason": "guest-reset"}
GUEST_SHUTDOWN = {"guest": True, "reason": "guest-shutdown"}


async def guest(client: RawClient) -> dict:
    return await ok(client, "x-query-guest-cpus")


def test_system_reset_answers_then_reset_and_the_guest_reboots_with_the_hot_added_vcpu(tmp_path: Path) -> None:
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=8"))
    system = vm.system
    assert system is not None

    async def body(client: RawClient, server: QmpServer) -> None:
        await ok(client, "device_add", {"driver": "host-arm-cpu", "id": "cpu5", "core-id": 5})
        await client.wait_event("ACPI_DEVICE_OST")
        old = system.kernel
        assert await client.execute("system_reset") == {"return": {}}
        reset = await client.wait_event("RESET")
        assert reset["data"] == HOST_RESET
        assert await status(client) == ("running", True)
        assert system.kernel is not old and old.halted and system.boots == 2
        view = await guest(client)
        assert view["online"] == [0, 1, 5] and view["enabled"] == [0, 1, 5]
        assert any("Booting Linux" in line for line in system.kernel.klog.lines()[:1])
        # The device is still plugged (QEMU keeps it across reset) and unplugs from the new guest.
        assert [c["cpu-index"] for c in await ok(client, "query-cpus-fast")] == [0, 1, 5]
        await ok(client, "device_del", {"id": "cpu5"})
        deleted = await client.wait_event("DEVICE_DELETED")
        assert deleted["data"]["device"] == "cpu5"
        assert (await guest(client))["online"] == [0, 1]
    scenario(tmp_path, body, backend=vm.backend)


def test_system_reset_during_an_unplug_ends_it_with_exactly_one_device_deleted(tmp_path: Path) -> None:
    """The unplug is re-signalled to the new guest, which ejects the vCPU itself."""
    vm = build_vm(VmSpec(smp="cpus=3,maxcpus=8"))
    backend = vm.backend

    async def body(client: RawClient, server: QmpServer) -> None:
        backend.pause()                           # hold the guest: the request stays unanswered
        await ok(client, "device_add", {"driver": "host-arm-cpu", "id": "cpu4", "core-id": 4})
        await ok(client, "cont")
        await client.wait_event("RESUME")
        await client.wait_event("ACPI_DEVICE_OST")
        await ok(client, "stop")
        await client.wait_event("STOP")
        await ok(client, "device_del", {"id": "cpu4"})
        assert await status(client) == ("paused", False)
        await ok(client, "system_reset")
        assert (await client.wait_event("RESET"))["data"] == HOST_RESET
        assert await status(client) == ("prelaunch", False)       # QEMU: a reset VM that was not running
        await ok(client, "cont")
        await client.wait_event("RESUME")
        deleted = await client.wait_event("DEVICE_DELETED")
        assert deleted["data"]["device"] == "cpu4"
        names = await event_names(client)
        assert "DEVICE_UNPLUG_GUEST_ERROR" not in names and "DEVICE_DELETED" not in names
        assert await status(client) == ("running", True)
        view = await guest(client)
        assert view["enabled"] == [0, 1, 2] and vm.machine.vcpus.enabled() == [0, 1, 2]
    scenario(tmp_path, body, backend=backend)


def test_the_guests_reboot_emits_guest_reset_and_a_new_kernel_boots(tmp_path: Path) -> None:
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=4"))
    system = vm.system
    assert system is not None

    async def body(client: RawClient, server: QmpServer) -> None:
        old = system.kernel
        old.restart()                             # the guest runs reboot: PSCI SYSTEM_RESET
        assert (await client.wait_event("RESET"))["data"] == GUEST_RESET
        assert await status(client) == ("running", True)      # the next command settles: it boots
        assert system.kernel is not old and system.kernel.booted and system.boots == 2
        assert (await guest(client))["online"] == [0, 1]
    scenario(tmp_path, body, backend=vm.backend)


def test_system_powerdown_then_shutdown_then_system_reset_then_cont_runs_again(tmp_path: Path) -> None:
    """The power button: POWERDOWN, the guest powers off (SHUTDOWN guest-shutdown, ``shutdown``), no
    vCPU runs; ``system_reset`` brings it to prelaunch and ``cont`` boots a new guest."""
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=4"))
    system = vm.system
    assert system is not None

    async def body(client: RawClient, server: QmpServer) -> None:
        assert await status(client) == ("running", True)
        await ok(client, "system_powerdown")
        assert "data" not in await client.wait_event("POWERDOWN")
        assert (await client.wait_event("SHUTDOWN"))["data"] == GUEST_SHUTDOWN
        assert await status(client) == ("shutdown", False)
        assert vm.machine.powered_off and vm.machine.vcpus.online() == []
        assert await client.execute("cont") == error(
            "The guest has powered off; it cannot run again until a reset")
        await ok(client, "system_reset")
        assert (await client.wait_event("RESET"))["data"] == HOST_RESET
        assert await status(client) == ("prelaunch", False)
        assert system.boots == 1                  # nothing runs before cont
        await ok(client, "cont")
        await client.wait_event("RESUME")
        assert await status(client) == ("running", True)
        assert system.boots == 2 and (await guest(client))["online"] == [0, 1]
    scenario(tmp_path, body, backend=vm.backend)


def test_query_status_in_prelaunch_and_a_reset_before_the_first_cont(tmp_path: Path) -> None:
    vm = build_vm(VmSpec(smp="cpus=1,maxcpus=4", start_paused=True))
    system = vm.system
    assert system is not None

    async def body(client: RawClient, server: QmpServer) -> None:
        assert await status(client) == ("prelaunch", False)
        await ok(client, "system_reset")
        assert (await client.wait_event("RESET"))["data"] == HOST_RESET
        assert await status(client) == ("prelaunch", False)
        await ok(client, "cont")
        await client.wait_event("RESUME")
        assert await status(client) == ("running", True)
        assert system.boots == 1 and (await guest(client))["online"] == [0]
        await ok(client, "stop")
        await client.wait_event("STOP")
        assert await status(client) == ("paused", False)
    scenario(tmp_path, body, backend=vm.backend)


def test_system_reset_is_listed_and_reaches_the_backend(tmp_path: Path) -> None:
    backend = FakeCpuBackend()

    async def body(client: RawClient, server: QmpServer) -> None:
        assert {"name": "system_reset"} in await ok(client, "query-commands")
        await ok(client, "system_reset")
        assert (await client.wait_event("RESET"))["data"] == HOST_RESET
        assert [c for c, _ in backend.calls] == ["system_reset"]
        assert await client.execute("system_reset", {"force": True}) == error(
            "Parameter 'force' is unexpected")
    scenario(tmp_path, body, backend=backend)


def test_no_reboot_turns_the_guests_reset_into_a_shutdown_and_a_host_reset_still_resets(tmp_path: Path) -> None:
    """``set-action reboot=shutdown`` (QEMU ``-no-reboot``): the guest's SYSTEM_RESET is ``SHUTDOWN``
    with reason ``guest-reset`` (system/runstate.c qemu_system_reset_request), no ``RESET``; the
    machine is off (no vCPU runs, nothing boots) until the host's ``system_reset`` and ``cont``."""
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=4"))
    system = vm.system
    assert system is not None

    async def body(client: RawClient, server: QmpServer) -> None:
        await ok(client, "set-action", {"reboot": "shutdown"})
        system.kernel.restart()                   # the guest runs reboot: PSCI SYSTEM_RESET
        assert (await client.wait_event("SHUTDOWN"))["data"] == GUEST_RESET
        assert await status(client) == ("shutdown", False)
        assert "RESET" not in await event_names(client)
        assert vm.machine.powered_off and vm.machine.vcpus.online() == [] and system.boots == 1
        await ok(client, "set-action", {"reboot": "reset"})
        await ok(client, "system_reset")
        assert (await client.wait_event("RESET"))["data"] == HOST_RESET
        await ok(client, "cont")
        await client.wait_event("RESUME")
        assert system.boots == 2 and (await guest(client))["online"] == [0, 1]
        system.kernel.restart()                   # reboot=reset again: a reboot
        assert (await client.wait_event("RESET"))["data"] == GUEST_RESET
        assert await status(client) == ("running", True) and system.boots == 3
    scenario(tmp_path, body, backend=vm.backend)


def test_a_panicked_guest_with_panic_1_under_no_reboot_ends_in_shutdown_guest_reset(tmp_path: Path) -> None:
    """What the recorded real run ``ours-gicrshort`` shows (tests/data/real-linux: Linux 6.12.95 with
    ``panic=1`` under QEMU RFC V5 ``-no-reboot``): the panic, "Rebooting in 1 seconds..", then QEMU's
    ``SHUTDOWN {"guest": true, "reason": "guest-reset"}`` one second later, and the VM stays off."""
    from dataclasses import replace
    spec = VmSpec(smp="cpus=2,maxcpus=4")
    vm = build_vm(replace(spec, guest=replace(spec.guest, panic_timeout_s=1)))
    system = vm.system
    assert system is not None

    async def body(client: RawClient, server: QmpServer) -> None:
        await ok(client, "set-action", {"reboot": "shutdown"})
        start = vm.machine.hw.clock.now_ns()
        system.kernel.panic("Attempted to kill the idle task!")
        await ok(client, "query-status")          # the next command lets the clock run (instant pacing)
        assert (await client.wait_event("SHUTDOWN"))["data"] == GUEST_RESET
        assert vm.machine.hw.clock.now_ns() - start == 1_000_000_000
        assert await status(client) == ("shutdown", False)
        assert system.boots == 1 and vm.machine.powered_off
        assert system.kernel.klog.lines()[-1].endswith("Rebooting in 1 seconds..")
    scenario(tmp_path, body, backend=vm.backend)
