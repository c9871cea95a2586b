"""QMP against a real VM: the VMM machine with the Linux guest model booted on it (``build_vm``).

Every event here is caused by the guest: its ``_EVT`` handler, its ``_OST``
reports, its ``_EJ0``; the server only translates. Errors that only a wired
system can produce (the boot CPU, a slot already plugged, a resize out of
range, an unhappy guest) are checked here, each followed by a command on the
same connection.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest

from vcpu_hotplug.guest import GuestKernel, PresentPolicy
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.guest import GuestConfig, GuestKnobs
from vcpu_hotplug.guest.config import DEFAULT_MIDR
from vcpu_hotplug.qmp.backend import CpuBackend
from vcpu_hotplug.vmm.machine import DeviceDeleted
from vcpu_hotplug.vm import (GUEST_KERNELS, VmConfigError,
                                             GuestState, VirtualMachine, VmSpec, build_vm, guest_kernel_name)
from vcpu_hotplug.vmm.errors import ConfigError

from tests.qmp.client import RawClient, run, running_server

OST_SOURCE_DEVICE_CHECK = 0x01
OST_SOURCE_EJECT_REQUEST = 0x03
OST_SUCCESS = 0x00
OST_BUSY = 0x82
OST_EJECT_IN_PROGRESS = 0x84

Body = Callable[[RawClient, VirtualMachine], Awaitable[None]]


@asynccontextmanager
async def serving(vm: VirtualMachine, path: Path) -> AsyncIterator[RawClient]:
    async with running_server(vm.backend, path) as server:
        client = await RawClient.connect_unix(path)
        try:
            await client.negotiate()
            yield client
        finally:
            await client.close()
        assert server.internal_errors == []


def scenario(tmp_path: Path, body: Body, spec: VmSpec | None = None) -> VirtualMachine:
    vm = build_vm(spec or VmSpec(smp="cpus=2,maxcpus=8"))

    async def main() -> None:
        async with serving(vm, tmp_path / "qmp.sock") as client:
            await body(client, vm)

    run(main())
    return vm


def error(desc: str, cls: str = "GenericError") -> dict[str, Any]:
    return {"error": {"class": cls, "desc": desc}}


async def guest_cpus(client: RawClient) -> dict[str, Any]:
    reply = await client.execute("x-query-guest-cpus")
    assert "return" in reply, reply
    return reply["return"]


async def masks(client: RawClient) -> dict[str, list[int]]:
    view = await guest_cpus(client)
    return {name: view[name] for name in ("possible", "present", "enabled", "online")}


async def still_answers(client: RawClient, online: list[int]) -> None:
    assert (await masks(client))["online"] == online


def ost_info(event: dict[str, Any]) -> tuple[int, int]:
    info = event["data"]["info"]
    return info["source"], info["status"]


# ------------------------------------------------------------------ building

def test_build_vm_boots_a_guest_on_the_machine() -> None:
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=8"))
    assert vm.has_guest and vm.system is not None
    assert isinstance(vm.backend, CpuBackend)
    view = vm.guest_view()
    assert view is not None
    assert (view.possible, view.present, view.enabled, view.online) == (
        tuple(range(8)), tuple(range(8)), (0, 1), (0, 1))
    assert view.log and view.log[-1].startswith("[")
    assert vm.system.kernel.booted
    assert vm.exits().total > 0 and vm.exits().hvc > 0


def test_the_2026_kernel_marks_only_enabled_cpus_present() -> None:
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=8", guest=GuestConfig(present_policy=PresentPolicy.FIX_2026)))
    view = vm.guest_view()
    assert view is not None
    assert view.present == (0, 1) and view.possible == tuple(range(8))


def test_guest_config_reaches_the_linux_model_with_the_cpu_types_midr() -> None:
    knobs = GuestKnobs(busy_cpus={3}, ignore_notifications=True, online_delay_ns=7,
                       auto_online=False)
    config = GuestConfig(kernel=GUEST_KERNELS["2026"], knobs=knobs, dyndbg=True)
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=8", cpu_type="cortex-a72", guest=config))
    assert vm.system is not None
    kernel_config = vm.system.kernel.config
    # Everything as given, but the MIDR, which is the vCPU model's; the run-time knobs are the same object.
    assert kernel_config == replace(config, midr=0x410FD083, boot_mpidr=kernel_config.boot_mpidr)
    assert kernel_config.knobs is knobs and vm.spec.guest is kernel_config
    assert config.midr == DEFAULT_MIDR          # the caller's config is not changed
    assert kernel_config.kernel is GuestKernel.LINUX_7_2 and kernel_config.present_policy is PresentPolicy.FIX_2026
    assert GUEST_KERNELS["6.11"] is GuestKernel.LINUX_6_11 and GUEST_KERNELS["6.12"] is GuestKernel.LINUX_6_12
    assert guest_kernel_name(PresentPolicy.FIX_2026) == "7.2" == guest_kernel_name(GUEST_KERNELS["2026"])


@pytest.mark.parametrize("spec, error_type, match", [
    (VmSpec(cpu_type="cortex-a15"), VmConfigError, "not a hot-pluggable 64-bit Arm CPU"),
    (VmSpec(smp="cpus=4,maxcpus=2"), ConfigError, "maxcpus"),
    (VmSpec(guest=GuestConfig(knobs=GuestKnobs(busy_cpus={8}))), VmConfigError,
     "busy CPU 8 does not exist"),
    (VmSpec(guest=GuestConfig(knobs=GuestKnobs(online_delay_ns=-1))), VmConfigError, "must not be negative"),
])
def test_build_vm_rejects_a_bad_spec(spec: VmSpec, error_type: type, match: str) -> None:
    with pytest.raises(error_type, match=match):
        build_vm(spec)


def test_cpu_type_is_normalised() -> None:
    assert build_vm(VmSpec(smp="1", cpu_type="neoverse-n1")).backend.cpu_type() == \
        "neoverse-n1-arm-cpu"


@pytest.mark.parametrize("cpu_type, midr", [
    ("cortex-a57", "0x411fd070"), ("cortex-a72", "0x410fd083"), ("neoverse-n1-arm-cpu", "0x414fd0c1"),
    ("cortex-a53", "0x410fd034"),
    ("host", "0x413fd0c1"), ("max", "0x413fd0c1"),   # this model's KVM host: a Neoverse-N1 r3p1
])
def test_the_guest_reports_the_vcpu_models_midr(cpu_type: str, midr: str) -> None:
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=4", cpu_type=cpu_type))
    vm.backend.plug(3)
    vm.backend.run_pending()
    lines = vm.system.kernel.klog.lines()
    assert lines[0] == f"Booting Linux on physical CPU 0x0000000000 [{midr}]"
    for cpu in (1, 3):
        mpidr = vm.machine.vcpus[cpu].mpidr
        assert f"CPU{cpu}: Booted secondary processor 0x{mpidr:010x} [{midr}]" in lines


def test_x_query_guest_cpus_shows_debug_lines_only_with_dyndbg() -> None:
    """A stock kernel's pr_debug/dev_dbg print nothing; dyndbg= makes them reach dmesg."""
    debug = ("ACPI_NOTIFY_DEVICE_CHECK event", "ACPI_NOTIFY_EJECT_REQUEST event", "CPU3: shutdown",
             "Ejecting", "acpi ACPI0007:03: Processor [3:3]")

    def unplug_log(dyndbg: bool) -> list[str]:
        vm = build_vm(VmSpec(smp="cpus=2,maxcpus=4", guest=GuestConfig(dyndbg=dyndbg)))
        vm.backend.plug(3)
        vm.backend.run_pending()
        log = list(vm.guest_view().log)
        vm.backend.unplug(3)
        vm.backend.run_pending()
        return log + list(vm.guest_view().log)

    stock = unplug_log(False)
    assert not any(text in line for line in stock for text in debug)
    assert any("ACPI: CPU3 has been hot-added" in line for line in stock)
    assert any("psci: CPU3 killed (polled 0 ms)" in line for line in stock)
    dyndbg = unplug_log(True)
    assert all(any(text in line for line in dyndbg) for text in debug)


def test_vcpu_rows_put_the_vmm_next_to_the_guest() -> None:
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=4", guest=GuestConfig(knobs=GuestKnobs(auto_online=False))))
    vm.backend.plug(2)
    vm.backend.run_pending()
    rows = vm.vcpu_rows()
    assert [(r.admin, r.guest, r.online) for r in rows] == [
        ("enabled", GuestState.ONLINE, True), ("enabled", GuestState.ONLINE, True),
        ("enabled", GuestState.OFFLINE, False),  # registered, not onlined: no udev rule
        ("disabled", GuestState.PRESENT, False)]
    assert rows[2].mpidr == vm.machine.vcpus[2].mpidr


def test_a_disabled_trace_keeps_the_exit_counters() -> None:
    vm = build_vm(VmSpec(smp="cpus=1,maxcpus=4", trace_enabled=False))
    before = vm.exits()
    vm.backend.plug(3)
    vm.backend.run_pending()
    assert len(vm.trace) == 0
    assert (vm.exits() - before).mmio > 0


# ----------------------------------------------------------- over the socket

def test_x_query_guest_cpus_returns_the_guests_masks_and_log(tmp_path: Path) -> None:
    async def body(client: RawClient, vm: VirtualMachine) -> None:
        view = await guest_cpus(client)
        assert {k: view[k] for k in ("possible", "present", "enabled", "online")} == {
            "possible": list(range(8)), "present": list(range(8)),
            "enabled": [0, 1], "online": [0, 1]}
        assert view["log"] == [r.format() for r in vm.system.kernel.klog.records[-len(view["log"]):]]
        assert any("ACPI: CPU1 has been hot-added" in line for line in view["log"])
    scenario(tmp_path, body)


def test_device_add_brings_the_cpu_online_in_the_guest(tmp_path: Path) -> None:
    async def body(client: RawClient, vm: VirtualMachine) -> None:
        assert await client.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu4",
                                                   "core-id": 4}) == {"return": {}}
        ost = await client.wait_event("ACPI_DEVICE_OST")
        assert ost["data"]["info"] == {"device": "cpu4", "slot": "4", "slot-type": "CPU",
                                       "source": OST_SOURCE_DEVICE_CHECK, "status": OST_SUCCESS}
        view = await guest_cpus(client)
        assert view["enabled"] == [0, 1, 4] and view["online"] == [0, 1, 4]
        assert any("CPU4: Booted secondary processor" in line for line in view["log"])
        cpus = (await client.execute("query-cpus-fast"))["return"]
        assert cpus[-1]["qom-path"] == "/machine/peripheral/cpu4"
    scenario(tmp_path, body)


def test_device_del_events_follow_the_guests_eject(tmp_path: Path) -> None:
    async def body(client: RawClient, vm: VirtualMachine) -> None:
        await client.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu4", "core-id": 4})
        await client.wait_event("ACPI_DEVICE_OST")
        assert await client.execute("device_del", {"id": "cpu4"}) == {"return": {}}
        # In the order the guest caused them: _OST(0x84), _EJ0 (DEVICE_DELETED), _OST(success).
        first = await client.recv()
        second = await client.recv()
        third = await client.recv()
        assert [m["event"] for m in (first, second, third)] == [
            "ACPI_DEVICE_OST", "DEVICE_DELETED", "ACPI_DEVICE_OST"]
        assert ost_info(first) == (OST_SOURCE_EJECT_REQUEST, OST_EJECT_IN_PROGRESS)
        assert second["data"] == {"device": "cpu4", "path": "/machine/peripheral/cpu4"}
        # The device is gone, so QEMU's ACPIOSTInfo no longer names it.
        assert third["data"]["info"] == {"slot": "4", "slot-type": "CPU",
                                         "source": OST_SOURCE_EJECT_REQUEST, "status": OST_SUCCESS}
        assert (await masks(client))["enabled"] == [0, 1]
        assert not vm.machine.vcpus[4].enabled
    scenario(tmp_path, body)


def test_device_deleted_only_once_the_guest_has_ejected() -> None:
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=8"))
    seen: list[tuple[str, bool]] = []

    def on_event(event: object) -> None:
        if isinstance(event, DeviceDeleted):
            ejected = any("_EJ0" in (e.message or "") for e in vm.trace.filter(TraceKind.GUEST_LOG))
            seen.append(("deleted", ejected and vm.system.machine.vcpus[event.cpu].power.value == "off"))
    vm.backend.subscribe(on_event)
    vm.backend.plug(5)
    vm.backend.run_pending()
    vm.backend.unplug(5)
    assert seen == []  # the request only starts the guest's work
    vm.backend.run_pending()
    assert seen == [("deleted", True)]


def test_every_ost_the_guest_reports_becomes_an_acpi_device_ost(tmp_path: Path) -> None:
    async def body(client: RawClient, vm: VirtualMachine) -> None:
        assert await client.execute("x-set-vcpus", {"count": 8}) == {"return": {}}
        assert await client.execute("x-set-vcpus", {"count": 2}) == {"return": {}}
        for _ in range(6):
            await client.wait_event("DEVICE_DELETED")
        await still_answers(client, [0, 1])
        osts = [e for e in client.events if e["event"] == "ACPI_DEVICE_OST"]
        guest_osts = vm.trace.filter(TraceKind.OST)
        assert len(osts) == len(guest_osts) == 6 + 6 * 2
        assert [ost_info(e) for e in osts] == [(e.source, e.status) for e in guest_osts]
    scenario(tmp_path, body)


def test_x_set_vcpus_resizes_the_guest(tmp_path: Path) -> None:
    async def body(client: RawClient, vm: VirtualMachine) -> None:
        assert await client.execute("x-set-vcpus", {"count": 6}) == {"return": {}}
        assert (await masks(client))["online"] == list(range(6))
        assert await client.execute("x-set-vcpus", {"count": 3}) == {"return": {}}
        deleted = [(await client.wait_event("DEVICE_DELETED"))["data"]["path"] for _ in range(3)]
        # Requested highest first; the guest's _EVT scan ejects in its own (ascending) order.
        assert sorted(deleted) == [f"/machine/peripheral-anon/device[{n}]" for n in (1, 2, 3)]
        assert (await masks(client))["online"] == [0, 1, 2]
    scenario(tmp_path, body)


def test_a_slow_guest_still_completes_before_the_events(tmp_path: Path) -> None:
    spec = VmSpec(smp="cpus=1,maxcpus=4", guest=GuestConfig(knobs=GuestKnobs(online_delay_ns=3_000_000)))

    async def body(client: RawClient, vm: VirtualMachine) -> None:
        before = vm.now_ns()
        assert await client.execute("device_add", {"driver": "host-arm-cpu", "core-id": 2}) == \
            {"return": {}}
        await client.wait_event("ACPI_DEVICE_OST")
        assert (await masks(client))["online"] == [0, 2]
        assert vm.now_ns() - before >= 3_000_000
    scenario(tmp_path, body, spec)


# ----------------------------------------------------- errors of the wired system

def test_device_del_of_the_boot_cpu(tmp_path: Path) -> None:
    async def body(client: RawClient, vm: VirtualMachine) -> None:
        assert await client.execute("device_del", {"id": "/machine/unattached/device[0]"}) == \
            error("Boot CPU(id0=0:0:0:0) hot-unplug not supported")
        await still_answers(client, [0, 1])
    scenario(tmp_path, body)


def test_device_add_of_an_already_plugged_slot(tmp_path: Path) -> None:
    async def body(client: RawClient, vm: VirtualMachine) -> None:
        arch_id = vm.machine.vcpus[1].mpidr
        assert await client.execute("device_add", {"driver": "host-arm-cpu", "core-id": 1}) == \
            error(f"cpu(id1=0:0:1:0) with arch-id {arch_id} exist")
        assert await client.execute("device_add", {"driver": "host-arm-cpu", "id": "a",
                                                   "core-id": 3}) == {"return": {}}
        await client.wait_event("ACPI_DEVICE_OST")
        assert await client.execute("device_add", {"driver": "host-arm-cpu", "id": "b",
                                                   "core-id": 3}) == \
            error(f"cpu(id3=0:0:3:0) with arch-id {vm.machine.vcpus[3].mpidr} exist")
        await still_answers(client, [0, 1, 3])
    scenario(tmp_path, body)


def test_device_add_out_of_the_topology_and_of_the_wrong_model(tmp_path: Path) -> None:
    async def body(client: RawClient, vm: VirtualMachine) -> None:
        assert await client.execute("device_add", {"driver": "host-arm-cpu", "core-id": 8}) == \
            error("Invalid core-id 8 specified, correct range 0:7")
        assert await client.execute("device_add", {"driver": "max-arm-cpu", "core-id": 4}) == \
            error("Invalid CPU type, expected cpu type: 'host-arm-cpu'")
        assert await client.execute("device_add", {"driver": "host-arm-cpu",
                                                   "core-id": "four"}) == \
            error("Invalid parameter type for 'core-id', expected: integer")
        await still_answers(client, [0, 1])
        assert not vm.machine.vcpus[4].enabled
    scenario(tmp_path, body)


@pytest.mark.parametrize("arguments, reply", [
    ({"count": 0}, error("Parameter 'count' expects a number of vCPUs between 1 and 8")),
    ({"count": 9}, error("Parameter 'count' expects a number of vCPUs between 1 and 8")),
    ({"count": "8"}, error("Invalid parameter type for 'count', expected: integer")),
    ({}, error("Parameter 'count' is missing")),
])
def test_x_set_vcpus_bad_arguments(tmp_path: Path, arguments: dict, reply: dict) -> None:
    async def body(client: RawClient, vm: VirtualMachine) -> None:
        assert await client.execute("x-set-vcpus", arguments) == reply
        await still_answers(client, [0, 1])
        assert vm.machine.vcpus.enabled() == [0, 1]
    scenario(tmp_path, body)


def test_device_del_of_a_deleted_device(tmp_path: Path) -> None:
    async def body(client: RawClient, vm: VirtualMachine) -> None:
        await client.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu2", "core-id": 2})
        await client.execute("device_del", {"id": "cpu2"})
        await client.wait_event("DEVICE_DELETED")
        assert await client.execute("device_del", {"id": "cpu2"}) == \
            error("Device 'cpu2' not found", "DeviceNotFound")
        await still_answers(client, [0, 1])
    scenario(tmp_path, body)


def test_a_busy_guest_cpu_refuses_the_eject(tmp_path: Path) -> None:
    spec = VmSpec(smp="cpus=2,maxcpus=8", guest=GuestConfig(knobs=GuestKnobs(busy_cpus={3})))

    async def body(client: RawClient, vm: VirtualMachine) -> None:
        await client.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu3", "core-id": 3})
        await client.wait_event("ACPI_DEVICE_OST")
        assert await client.execute("device_del", {"id": "cpu3"}) == {"return": {}}
        failed = await client.wait_event("DEVICE_UNPLUG_GUEST_ERROR")
        assert failed["data"] == {"device": "cpu3", "path": "/machine/peripheral/cpu3"}
        statuses = [ost_info(e) for e in client.events if e["event"] == "ACPI_DEVICE_OST"]
        assert (OST_SOURCE_EJECT_REQUEST, OST_BUSY) in statuses
        assert not any(e["event"] == "DEVICE_DELETED" for e in client.events)
        await still_answers(client, [0, 1, 3])
        cpus = (await client.execute("query-cpus-fast"))["return"]
        assert 3 in [c["cpu-index"] for c in cpus]
    scenario(tmp_path, body, spec)


def test_a_guest_ignoring_notifications_times_out_in_simulated_time(tmp_path: Path) -> None:
    spec = VmSpec(smp="cpus=2,maxcpus=8", guest=GuestConfig(knobs=GuestKnobs(ignore_notifications=True)))

    async def body(client: RawClient, vm: VirtualMachine) -> None:
        assert await client.execute("device_del", {"id": "/machine/unattached/device[1]"}) == \
            {"return": {}}
        failed = await client.wait_event("DEVICE_UNPLUG_GUEST_ERROR")
        assert failed["data"] == {"path": "/machine/unattached/device[1]"}
        assert not any(e["event"] in ("DEVICE_DELETED", "ACPI_DEVICE_OST") for e in client.events)
        await still_answers(client, [0, 1])
        assert vm.now_ns() >= vm.machine.config.unplug_timeout_ns
    scenario(tmp_path, body, spec)


def test_several_clients_drive_one_vm(tmp_path: Path) -> None:
    vm = build_vm(VmSpec(smp="cpus=1,maxcpus=4"))

    async def main() -> None:
        path = tmp_path / "qmp.sock"
        async with running_server(vm.backend, path):
            a = await RawClient.connect_unix(path)
            b = await RawClient.connect_unix(path)
            await a.negotiate()
            await b.negotiate()
            replies = await asyncio.gather(
                a.execute("device_add", {"driver": "host-arm-cpu", "id": "x", "core-id": 1}),
                b.execute("device_add", {"driver": "host-arm-cpu", "id": "y", "core-id": 2}))
            assert replies == [{"return": {}}, {"return": {}}]
            assert (await masks(a))["online"] == [0, 1, 2]
            for client in (a, b):
                await client.close()

    run(main())


def test_malformed_input_on_a_real_vm_leaves_the_session_usable(tmp_path: Path) -> None:
    async def body(client: RawClient, vm: VirtualMachine) -> None:
        await client.send_raw(b'{"execute": "device_add", "arguments": {"driver": }}\n')
        assert await client.reply() == error("JSON parse error, expecting value")
        await client.send_raw(b'[1, 2]\n')
        assert await client.reply() == error("QMP input must be a JSON object")
        assert await client.execute("device_del", {"id": 4}) == \
            error("Invalid parameter type for 'id', expected: string")
        assert await client.execute("x-query-guest-cpus", {"verbose": True}) == \
            error("Parameter 'verbose' is unexpected")
        assert await client.execute("x-resize") == \
            error("The command x-resize has not been found", "CommandNotFound")
        await still_answers(client, [0, 1])
        assert vm.machine.vcpus.enabled() == [0, 1]
    scenario(tmp_path, body)
