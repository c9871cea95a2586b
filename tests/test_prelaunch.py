"""vCPUs plugged before the guest runs (QEMU ``-S``, libvirt's domain start) and unplugged after.

libvirt starts a domain paused with ``-smp`` counting only the
non-hotpluggable vCPUs and ``device_add`` s the others before ``cont``
(tests/libvirt/PROTOCOL.md section 2). The arm64 RFC V5 QEMU raised an insert
event for such a vCPU in prelaunch that the booted guest never consumed, so
the first ``device_del`` of it timed out. Here a vCPU added in prelaunch is a
cold plug: nothing is signalled, the guest boots with it, and its first
unplug completes. Checked over QMP against the real VM (machine + Linux guest
model), at the system level, and on a bare :class:`Machine`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.guest import GuestConfig
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.system import System
from vcpu_hotplug.vm import GUEST_KERNELS, VirtualMachine, VmSpec, build_vm
from vcpu_hotplug.vmm.cpuhp import CpuhpFlag
from vcpu_hotplug.vmm.errors import BootVcpuError
from vcpu_hotplug.vmm.machine import GED_INTID, DeviceDeleted, Machine, MachineConfig
from vcpu_hotplug.vmm.vcpu import AdminState

from tests.qmp.client import TIMEOUT, RawClient, run, running_server

LIBVIRT_SMP = "1,maxcpus=8,sockets=8,cores=1,threads=1"
CPU_TYPE = "cortex-a57-arm-cpu"
OST_SOURCE_DEVICE_CHECK = 0x01
OST_SOURCE_EJECT_REQUEST = 0x03
OST_SUCCESS = 0x00
OST_EJECT_IN_PROGRESS = 0x84
ENTRY = 0x4008_0000


def paused_vm(kernel: str = "6.11") -> VirtualMachine:
    return build_vm(VmSpec(smp=LIBVIRT_SMP, cpu_type="cortex-a57", start_paused=True,
                           guest=GuestConfig(kernel=GUEST_KERNELS[kernel])))


async def ok(client: RawClient, command: str, arguments: dict | None = None) -> Any:
    reply = await client.execute(command, arguments)
    assert "return" in reply, (command, reply)
    return reply["return"]


async def masks(client: RawClient) -> dict[str, list[int]]:
    view = await ok(client, "x-query-guest-cpus")
    return {name: view[name] for name in ("present", "enabled", "online")}


async def add_vcpu(client: RawClient, index: int) -> None:
    """``device_add`` as libvirt builds it: the slot's type and props from query-hotpluggable-cpus."""
    slots = list(reversed(await ok(client, "query-hotpluggable-cpus")))
    assert await client.execute("device_add", {"driver": slots[index]["type"], "id": f"vcpu{index}",
                                               **slots[index]["props"]}) == {"return": {}}


async def events_so_far(client: RawClient) -> list[dict[str, Any]]:
    """Every event received so far (a round trip first, so none is still in flight); clears them."""
    await ok(client, "query-status")
    events, client.events = client.events, []
    return events


def unplug_summary(events: list[dict[str, Any]]) -> list[tuple]:
    out: list[tuple] = []
    for e in events:
        if e["event"] == "ACPI_DEVICE_OST":
            info = e["data"]["info"]
            out.append(("OST", info["slot"], info["source"], info["status"]))
        elif e["event"] in ("DEVICE_DELETED", "DEVICE_UNPLUG_GUEST_ERROR"):
            out.append((e["event"], e["data"].get("device"), e["data"]["path"]))
        else:
            out.append((e["event"],))
    return out


def clean_unplug(index: int) -> list[tuple]:
    """A first-try eject as Linux does it: _OST(in progress), _EJ0, _OST(success); no Device Check."""
    return [("OST", str(index), OST_SOURCE_EJECT_REQUEST, OST_EJECT_IN_PROGRESS),
            ("DEVICE_DELETED", f"vcpu{index}", f"/machine/peripheral/vcpu{index}"),
            ("OST", str(index), OST_SOURCE_EJECT_REQUEST, OST_SUCCESS)]


# ------------------------------------------------------------ over QMP, the real VM

@pytest.mark.parametrize("kernel", sorted(GUEST_KERNELS))
def test_vcpu_added_in_prelaunch_is_online_after_boot_and_unplugs_first_time(
        tmp_path: Path, kernel: str) -> None:
    vm = paused_vm(kernel)
    cpuhp = vm.machine.cpuhp

    async def main() -> None:
        async with running_server(vm.backend, tmp_path / "qmp.sock") as server:
            client = await RawClient.connect_unix(tmp_path / "qmp.sock")
            await client.negotiate()
            await add_vcpu(client, 1)
            # Cold plug: nothing signalled to a guest that is not running.
            assert await events_so_far(client) == []
            assert cpuhp.pending_events() == [] and vm.machine.ged.raised == 0

            assert await client.execute("cont") == {"return": {}}
            await client.wait_event("RESUME")
            view = await masks(client)
            assert view["enabled"] == [0, 1] and view["online"] == [0, 1]
            assert 1 in view["present"]
            # After boot the register block holds no insert for it (the RFC V5 bug left one).
            assert cpuhp.pending_events() == []
            assert not cpuhp.flags(1) & CpuhpFlag.INSERT
            assert cpuhp.flags(1) & CpuhpFlag.ENABLED
            assert await events_so_far(client) == []  # the boot reported no Device Check either

            assert await client.execute("device_del", {"id": "vcpu1"}) == {"return": {}}
            events = await events_so_far(client)
            assert unplug_summary(events) == clean_unplug(1)
            assert [e["event"] for e in events].count("DEVICE_DELETED") == 1
            assert "DEVICE_UNPLUG_GUEST_ERROR" not in [e["event"] for e in events]
            view = await masks(client)
            assert view["enabled"] == [0] and view["online"] == [0]
            assert [c["qom-path"] for c in await ok(client, "query-cpus-fast")] == [
                "/machine/unattached/device[0]"]
            assert vm.machine.pending_unplugs() == [] and cpuhp.pending_events() == []
            assert vm.machine.vcpus[1].admin is AdminState.DISABLED

            # And it can come back, now as a hot plug the guest is told about.
            await add_vcpu(client, 1)
            ost = await client.wait_event("ACPI_DEVICE_OST")
            assert ost["data"]["info"]["source"] == OST_SOURCE_DEVICE_CHECK
            assert (await masks(client))["online"] == [0, 1]
            await client.close()
            assert server.internal_errors == []

    run(main())


def test_the_checks_would_catch_the_rfc_v5_stale_insert(tmp_path: Path) -> None:
    """Negative control: raise the insert event in prelaunch by hand, as the RFC V5 QEMU did.

    The checks of the test above then fail: an insert is still pending after
    boot, and the first device_del reports a Device Check before the eject.
    """
    vm = paused_vm()
    cpuhp = vm.machine.cpuhp

    async def main() -> None:
        async with running_server(vm.backend, tmp_path / "qmp.sock"):
            client = await RawClient.connect_unix(tmp_path / "qmp.sock")
            await client.negotiate()
            await add_vcpu(client, 1)
            cpuhp.request_insert(1)  # the RFC's prelaunch insert event
            await ok(client, "cont")
            await client.wait_event("RESUME")
            assert cpuhp.pending_events() == [1]
            await ok(client, "device_del", {"id": "vcpu1"})
            summary = unplug_summary(await events_so_far(client))
            assert summary != clean_unplug(1)
            assert summary[0] == ("OST", "1", OST_SOURCE_DEVICE_CHECK, OST_SUCCESS)
            await client.close()

    run(main())


def test_cold_unplug_in_prelaunch_is_deleted_at_once_and_the_guest_never_sees_it(
        tmp_path: Path) -> None:
    vm = paused_vm()

    async def main() -> None:
        async with running_server(vm.backend, tmp_path / "qmp.sock") as server:
            client = await RawClient.connect_unix(tmp_path / "qmp.sock")
            await client.negotiate()
            await add_vcpu(client, 1)
            await add_vcpu(client, 2)
            assert await client.execute("device_del", {"id": "vcpu2"}) == {"return": {}}
            events = await events_so_far(client)
            assert unplug_summary(events) == [
                ("DEVICE_DELETED", "vcpu2", "/machine/peripheral/vcpu2")]
            assert [c["cpu-index"] for c in await ok(client, "query-cpus-fast")] == [0, 1]
            assert (await ok(client, "query-status"))["status"] == "prelaunch"
            await ok(client, "cont")
            await client.wait_event("RESUME")
            view = await masks(client)
            assert view["enabled"] == [0, 1] and view["online"] == [0, 1]
            assert vm.machine.ged.raised == 0 and vm.machine.cpuhp.pending_events() == []
            await client.close()
            assert server.internal_errors == []

    run(main())


@pytest.mark.parametrize("plugged_when", ["prelaunch", "running"])
def test_back_to_back_device_dels_of_setvcpus_8_to_3_all_complete(
        tmp_path: Path, plugged_when: str) -> None:
    """``virsh setvcpus DOM 3 --live`` from 8: device_del vcpu7, vcpu6, ... each sent without waiting."""
    vm = paused_vm()

    async def main() -> None:
        async with running_server(vm.backend, tmp_path / "qmp.sock") as server:
            client = await RawClient.connect_unix(tmp_path / "qmp.sock")
            await client.negotiate()
            if plugged_when == "prelaunch":
                for index in range(1, 8):
                    await add_vcpu(client, index)
            await ok(client, "cont")
            await client.wait_event("RESUME")
            if plugged_when == "running":
                for index in range(1, 8):
                    await add_vcpu(client, index)
            assert (await masks(client))["online"] == list(range(8))
            await events_so_far(client)

            removed = [7, 6, 5, 4, 3]
            # All requests in one write, before any reply is read.
            await client.send_raw(b"".join(
                json.dumps({"execute": "device_del", "arguments": {"id": f"vcpu{i}"},
                            "id": f"libvirt-{n}"}).encode() + b"\n"
                for n, i in enumerate(removed, start=18)))
            replies, deleted = [], []
            while len(replies) < len(removed) or len(deleted) < len(removed):
                message = await asyncio.wait_for(client.recv(), TIMEOUT)
                if "event" not in message:
                    replies.append(message)
                    continue
                assert message["event"] != "DEVICE_UNPLUG_GUEST_ERROR", message
                if message["event"] == "DEVICE_DELETED":
                    deleted.append(message["data"])
            assert replies == [{"return": {}, "id": f"libvirt-{n}"}
                               for n in range(18, 18 + len(removed))]
            assert sorted(d["device"] for d in deleted) == sorted(f"vcpu{i}" for i in removed)
            assert all(d["path"] == f"/machine/peripheral/{d['device']}" for d in deleted)
            # Nothing more arrives: no second DEVICE_DELETED, no late failure.
            later = await events_so_far(client)
            assert [e["event"] for e in later if e["event"] != "ACPI_DEVICE_OST"] == []

            view = await masks(client)
            assert view["enabled"] == [0, 1, 2] and view["online"] == [0, 1, 2]
            assert [c["qom-path"] for c in await ok(client, "query-cpus-fast")] == [
                "/machine/unattached/device[0]", "/machine/peripheral/vcpu1",
                "/machine/peripheral/vcpu2"]
            hotpluggable = list(reversed(await ok(client, "query-hotpluggable-cpus")))
            assert ["qom-path" in e for e in hotpluggable] == [True] * 3 + [False] * 5
            assert vm.machine.pending_unplugs() == [] and vm.machine.cpuhp.pending_events() == []
            await client.close()
            assert server.internal_errors == []

    run(main())


# ------------------------------------------------------------ system level

def test_several_removals_pending_at_once_are_all_ejected_in_one_go() -> None:
    """The guest finds five remove events in one scan (no settling between the requests)."""
    system = System.build(machine_config=MachineConfig(smp=LIBVIRT_SMP), boot=False)
    machine = system.machine
    deleted, failed = [], []
    machine.observers.device_deleted.append(deleted.append)
    machine.observers.unplug_failed.append(failed.append)
    for index in range(1, 8):
        machine.enable(index)
    system.boot()
    assert system.guest_view().online == frozenset(range(8))
    for index in (7, 6, 5, 4, 3):
        system.disable(index, settle=False)
    assert machine.cpuhp.pending_events() == [3, 4, 5, 6, 7]
    system.run_until_idle()
    assert sorted(e.cpu for e in deleted) == [3, 4, 5, 6, 7] and failed == []
    view = system.guest_view()
    assert view.enabled == view.online == frozenset({0, 1, 2})
    assert system.vmm_enabled() == frozenset({0, 1, 2})
    assert machine.pending_unplugs() == [] and machine.cpuhp.pending_events() == []


# ------------------------------------------------------------ VMM level

def cold_machine() -> tuple[Machine, list[DeviceDeleted], list]:
    machine = Machine(MachineConfig(smp="cpus=1,maxcpus=4"), started=False)
    deleted: list[DeviceDeleted] = []
    failed: list = []
    machine.observers.device_deleted.append(deleted.append)
    machine.observers.unplug_failed.append(failed.append)
    return machine, deleted, failed


def test_enable_before_start_raises_no_insert_event_and_no_ged_interrupt() -> None:
    machine, _, _ = cold_machine()
    assert machine.enable(2) == 2
    assert machine.vcpus[2].admin is AdminState.ENABLED
    assert machine.cpuhp.pending_events() == []
    flags = machine.cpuhp.flags(2)
    assert flags & CpuhpFlag.ENABLED and not flags & (CpuhpFlag.INSERT | CpuhpFlag.REMOVE)
    assert machine.ged.raised == 0 and machine.ged.selector == 0
    assert GED_INTID not in machine.gic.distributor.pending
    assert machine.trace.counts[TraceKind.IRQ] == 0
    assert machine.clock.pending() == 0
    # Firmware lets the guest start it once it runs (enabled vCPUs are not DENIED).
    machine.start()
    assert machine.hw.hvc.hvc(0, PsciFunction.CPU_ON, machine.vcpus[2].mpidr, ENTRY, 0).ret == \
        PsciReturn.SUCCESS


def test_enable_after_start_is_a_hotplug_again() -> None:
    machine, _, _ = cold_machine()
    machine.enable(2)
    machine.start()
    machine.start()  # idempotent
    machine.enable(3)
    assert machine.cpuhp.pending_events() == [3]
    assert machine.cpuhp.flags(3) & CpuhpFlag.INSERT
    assert machine.ged.raised == 1


def test_disable_before_start_completes_at_once() -> None:
    machine, deleted, failed = cold_machine()
    machine.enable(2)
    assert machine.disable(2) == 2
    assert [e.cpu for e in deleted] == [2] and failed == []
    assert machine.vcpus[2].admin is AdminState.DISABLED
    assert machine.pending_unplugs() == [] and machine.cpuhp.pending_events() == []
    assert machine.ged.raised == 0 and machine.clock.pending() == 0  # no unplug timeout armed
    machine.start()
    assert machine.hw.hvc.hvc(0, PsciFunction.CPU_ON, machine.vcpus[2].mpidr, ENTRY, 0).ret == \
        PsciReturn.DENIED
    # A cold-disabled vCPU is a fresh hot-add candidate once the machine runs.
    machine.enable(2)
    assert machine.cpuhp.pending_events() == [2] and machine.ged.raised == 1


def test_disable_before_start_keeps_the_admin_rules() -> None:
    machine, deleted, _ = cold_machine()
    with pytest.raises(BootVcpuError):
        machine.disable(0)
    assert deleted == [] and machine.vcpus[0].admin is AdminState.ENABLED
