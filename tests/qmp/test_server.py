"""The QMP server over a real unix socket: negotiation, every command, every error.

Each error test checks, after the error, that the same connection still
answers (the spec's promise that an error reply leaves the session usable).
Uses ``FakeCpuBackend``, a test double of the machine (see fake_backend.py).
"""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

from vcpu_hotplug.qmp.commands import COMMAND_LIST
from vcpu_hotplug.qmp.errors import BackendError
from vcpu_hotplug.qmp.server import (CONNECTION_COMMANDS, QmpServer, ServerError, TcpAddress, UnixAddress,
                                     parse_qmp_address)

from .client import FIXED_TIME, TID_BASE, TIMEOUT, RawClient, run, running_server
from .fake_backend import (OST_BUSY, OST_EJECT_IN_PROGRESS, OST_SOURCE_DEVICE_CHECK,
                           OST_SOURCE_EJECT_REQUEST, OST_SUCCESS, FakeCpuBackend, Topology)

Scenario = Callable[[RawClient, FakeCpuBackend, QmpServer], Awaitable[None]]
STATUS_OK = {"return": {"status": "running", "running": True}}
TIMESTAMP = {"seconds": int(FIXED_TIME), "microseconds": 250000}


def scenario(tmp_path: Path, body: Scenario, backend: FakeCpuBackend | None = None,
             negotiate: bool = True) -> None:
    backend = backend if backend is not None else FakeCpuBackend()

    async def main() -> None:
        path = tmp_path / "qmp.sock"
        async with running_server(backend, path) as server:
            client = await RawClient.connect_unix(path)
            try:
                if negotiate:
                    await client.negotiate()
                await body(client, backend, server)
            finally:
                await client.close()
            assert server.internal_errors == []

    run(main())


async def still_answers(client: RawClient) -> None:
    assert await client.execute("query-status") == STATUS_OK


def error(desc: str, cls: str = "GenericError") -> dict[str, Any]:
    return {"error": {"class": cls, "desc": desc}}


# ------------------------------------------------------------ negotiation

def test_greeting_carries_the_version_and_offers_oob(tmp_path: Path) -> None:
    """QEMU offers ``oob`` on every socket monitor (monitor/qmp.c ``monitor_qmp_caps_reset``)."""
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        version = (await client.execute("query-version"))["return"]
        assert client.greeting == {"QMP": {"version": version, "capabilities": ["oob"]}}
        assert set(version) == {"qemu", "package"}
        assert set(version["qemu"]) == {"major", "minor", "micro"}
    scenario(tmp_path, body)


def test_commands_before_negotiation_are_refused_then_negotiation_works(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        expecting = error("Expecting capabilities negotiation with 'qmp_capabilities'",
                          "CommandNotFound")
        assert await client.execute("query-status") == expecting
        assert await client.execute("no-such-command", id=7) == {**expecting, "id": 7}
        assert await client.execute("device_add", {"driver": "host-arm-cpu", "core-id": 2}) \
            == expecting
        assert backend.calls == []
        assert await client.execute("qmp_capabilities", id="neg") == {"return": {}, "id": "neg"}
        await still_answers(client)
    scenario(tmp_path, body, negotiate=False)


def test_second_negotiation_is_ignored(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        assert await client.execute("qmp_capabilities") == error(
            "Capabilities negotiation is already complete, command ignored", "CommandNotFound")
        await still_answers(client)
    scenario(tmp_path, body)


@pytest.mark.parametrize("arguments, desc", [
    ({"enable": ["fast"]}, "Parameter 'enable[0]' does not accept value 'fast'"),
    ({"enable": [1]}, "Invalid parameter type for 'enable[0]', expected: string"),
    ({"enable": "oob"}, "Invalid parameter type for 'enable', expected: array"),
    ({"other": 1}, "Parameter 'other' is unexpected"),
])
def test_capability_errors_leave_the_session_unnegotiated(tmp_path: Path, arguments: dict,
                                                          desc: str) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        assert await client.execute("qmp_capabilities", arguments) == error(desc)
        await client.negotiate()
        await still_answers(client)
    scenario(tmp_path, body, negotiate=False)


# ---------------------------------------------------------- out-of-band

OOB_UNEXPECTED = error("QMP input member 'exec-oob' is unexpected")


def test_oob_is_negotiable_and_in_band_commands_still_run(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        assert await client.execute("qmp_capabilities", {"enable": ["oob"]}, id=1) == {
            "return": {}, "id": 1}
        await still_answers(client)
        assert await client.execute("qmp_capabilities", {"enable": ["oob"]}) == error(
            "Capabilities negotiation is already complete, command ignored", "CommandNotFound")
    scenario(tmp_path, body, negotiate=False)


def test_with_oob_every_command_refuses_exec_oob_with_qemus_error(tmp_path: Path) -> None:
    """qapi/qmp-dispatch.c ``qmp_dispatch``: a command without ``'allow-oob': true`` answers
    "The command X does not support OOB" (none of ours allows it); nothing runs, ``id`` is echoed."""
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        assert await client.execute("qmp_capabilities", {"enable": ["oob"]}) == {"return": {}}
        for n, command in enumerate(COMMAND_LIST):
            await client.send({"exec-oob": command.name, "id": n})
            assert await client.reply() == {
                **error(f"The command {command.name} does not support OOB"), "id": n}
        await client.send({"exec-oob": "device_add", "arguments": {"driver": "host-arm-cpu",
                                                                   "core-id": 2}})
        assert await client.reply() == error("The command device_add does not support OOB")
        assert backend.calls == []
        assert not server.quit_requested
        # An unknown command is not found before OOB is looked at; the request checks still hold.
        await client.send({"exec-oob": "nope", "id": "x"})
        assert await client.reply() == {
            **error("The command nope has not been found", "CommandNotFound"), "id": "x"}
        await client.send({"execute": "query-status", "exec-oob": "query-status"})
        assert await client.reply() == error(
            "QMP input member 'exec-oob' clashes with 'execute'")
        await client.send({"exec-oob": 1})
        assert await client.reply() == error("QMP input member 'exec-oob' must be a string")
        await still_answers(client)
    scenario(tmp_path, body, negotiate=False)


def test_without_oob_exec_oob_is_an_unexpected_member(tmp_path: Path) -> None:
    """OOB not enabled: ``qmp_dispatch_check_obj`` does not know ``exec-oob``, before and after
    negotiation, whatever the command."""
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        for command in ("qmp_capabilities", "query-status", "nope"):
            await client.send({"exec-oob": command, "id": command})
            assert await client.reply() == {**OOB_UNEXPECTED, "id": command}
        await client.negotiate()
        for command in ("qmp_capabilities", "query-status", "quit", "nope"):
            await client.send({"exec-oob": command})
            assert await client.reply() == OOB_UNEXPECTED
        assert not server.quit_requested
        await still_answers(client)
    scenario(tmp_path, body, negotiate=False)


def test_capability_offered_by_no_one_is_not_available() -> None:
    """A monitor that offers nothing (QEMU's without an I/O thread) refuses ``oob``
    (monitor/qmp-cmds-control.c ``qmp_caps_accept``)."""
    from vcpu_hotplug.qmp.commands import CommandContext, SessionState, dispatch
    session = SessionState()
    ctx = CommandContext(session, FakeCpuBackend(), None, {}, lambda: None)  # type: ignore[arg-type]
    request = {"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}
    assert dispatch(request, ctx) == error("Capability oob not available")
    assert not session.negotiated


# ----------------------------------------------------- request-level errors

@pytest.mark.parametrize("raw, reply", [
    (b"[1, 2]", error("QMP input must be a JSON object")),
    (b'"query-status"', error("QMP input must be a JSON object")),
    (b'{"arguments": {}}', error("QMP input lacks member 'execute'")),
    (b'{"execute": 1}', error("QMP input member 'execute' must be a string")),
    (b'{"execute": "query-status", "arguments": [1]}',
     error("QMP input member 'arguments' must be an object")),
    (b'{"execute": "query-status", "extra": 1, "id": 3}',
     {**error("QMP input member 'extra' is unexpected"), "id": 3}),
    (b'{"exec-oob": "query-status"}', error("QMP input member 'exec-oob' is unexpected")),
    (b'{"execute": "query-status", "x": }', error("JSON parse error, expecting value")),
    (b'{"execute" "query-status"}', error("JSON parse error, missing : in object pair")),
    (b'{"execute": "nope", "id": {"seq": [1]}}',
     {**error("The command nope has not been found", "CommandNotFound"), "id": {"seq": [1]}}),
])
def test_bad_requests_get_an_error_and_the_connection_keeps_working(
        tmp_path: Path, raw: bytes, reply: dict) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        await client.send_raw(raw + b"\n")
        assert await client.reply() == reply
        await still_answers(client)
    scenario(tmp_path, body)


def test_id_of_any_json_type_is_echoed(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        for request_id in ["a", 12, 1.5, None, [1, "x"], {"k": True}]:
            assert await client.execute("query-status", id=request_id) == {
                **STATUS_OK, "id": request_id}
    scenario(tmp_path, body)


def test_requests_split_and_batched_on_the_wire(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        await client.send_raw(b'{"execute": "query-st')
        await asyncio.sleep(0.01)
        await client.send_raw(b'atus", "id": 1}{"execute": "query-status", "id": 2}')
        assert await client.reply() == {**STATUS_OK, "id": 1}
        assert await client.reply() == {**STATUS_OK, "id": 2}
    scenario(tmp_path, body)


# ------------------------------------------------------------ argument errors

@pytest.mark.parametrize("command, arguments, desc", [
    ("query-status", {"verbose": True}, "Parameter 'verbose' is unexpected"),
    ("device_del", {}, "Parameter 'id' is missing"),
    ("device_del", {"id": 5}, "Invalid parameter type for 'id', expected: string"),
    ("device_del", {"id": "core1", "force": True}, "Parameter 'force' is unexpected"),
    ("x-set-vcpus", {}, "Parameter 'count' is missing"),
    ("x-set-vcpus", {"count": "4"}, "Invalid parameter type for 'count', expected: integer"),
    ("x-set-vcpus", {"count": True}, "Invalid parameter type for 'count', expected: integer"),
    ("x-set-vcpus", {"count": 3.0}, "Invalid parameter type for 'count', expected: integer"),
    ("device_add", {}, "Parameter 'driver' is missing"),
    ("device_add", {"driver": 7}, "Invalid parameter type for 'driver', expected: string"),
])
def test_argument_errors_are_worded_like_qemu(tmp_path: Path, command: str, arguments: dict,
                                              desc: str) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        assert await client.execute(command, arguments) == error(desc)
        assert backend.calls == []
        await still_answers(client)
    scenario(tmp_path, body)


# ------------------------------------------------------------------ queries

def test_query_commands_lists_the_command_table(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        names = [c["name"] for c in (await client.execute("query-commands"))["return"]]
        # the command table, then the commands that need the connection (its descriptors: getfd, closefd)
        assert names == [c.name for c in COMMAND_LIST] + [c.name for c in CONNECTION_COMMANDS]
        # Every command that needs no argument answers (quit ends the session; the others
        # that need none are tested with their arguments elsewhere; migrate and migrate-incoming
        # need one of two optional arguments, uri or channels, as QEMU's qmp_migrate checks).
        for command in COMMAND_LIST:
            if command.name not in ("quit", "qmp_capabilities", "migrate", "migrate-incoming") and \
                    not any(arg.required for arg in command.args):
                assert "return" in await client.execute(command.name), command.name
    scenario(tmp_path, body)


def test_query_status_follows_the_machine(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        await still_answers(client)
        from vcpu_hotplug.qmp.backend import RunState
        backend.run_state = RunState.PAUSED
        assert await client.execute("query-status") == {
            "return": {"status": "paused", "running": False}}
    scenario(tmp_path, body)


def test_query_hotpluggable_cpus_lists_every_slot_highest_first(tmp_path: Path) -> None:
    backend = FakeCpuBackend(Topology(sockets=2, clusters=1, cores=2, threads=1), boot_cpus=1)

    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        cpus = (await client.execute("query-hotpluggable-cpus"))["return"]
        assert [c["props"] for c in cpus] == [
            {"socket-id": 1, "cluster-id": 0, "core-id": 1, "thread-id": 0},
            {"socket-id": 1, "cluster-id": 0, "core-id": 0, "thread-id": 0},
            {"socket-id": 0, "cluster-id": 0, "core-id": 1, "thread-id": 0},
            {"socket-id": 0, "cluster-id": 0, "core-id": 0, "thread-id": 0},
        ]
        assert all(c["type"] == "host-arm-cpu" and c["vcpus-count"] == 1 for c in cpus)
        assert [c.get("qom-path") for c in cpus] == [
            None, None, None, "/machine/unattached/device[0]"]
    scenario(tmp_path, body, backend)


def test_query_cpus_fast_lists_plugged_cpus_with_stable_thread_ids(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        first = (await client.execute("query-cpus-fast"))["return"]
        assert first == [
            {"cpu-index": i, "qom-path": f"/machine/unattached/device[{i}]",
             "thread-id": TID_BASE + i, "target": "aarch64",
             "props": {"socket-id": 0, "cluster-id": 0, "core-id": i, "thread-id": 0}}
            for i in (0, 1)]
        assert (await client.execute("query-cpus-fast"))["return"] == first
    scenario(tmp_path, body)


def test_x_query_guest_cpus_reports_the_guest_view(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        view = (await client.execute("x-query-guest-cpus"))["return"]
        assert view["possible"] == [0, 1, 2, 3]
        assert view["online"] == [0, 1]
        assert view["log"]
        backend.guest_cpus = lambda: (_ for _ in ()).throw(BackendError("no guest is attached"))
        assert await client.execute("x-query-guest-cpus") == error("no guest is attached")
        await still_answers(client)
    scenario(tmp_path, body)


# ---------------------------------------------------------------- device_add

def test_device_add_plugs_the_slot_named_by_its_topology(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        reply = await client.execute(
            "device_add", {"driver": "host-arm-cpu", "id": "core2", "socket-id": 0,
                           "cluster-id": 0, "core-id": 2, "thread-id": 0}, id="add")
        assert reply == {"return": {}, "id": "add"}
        assert backend.calls == [("plug", 2)]
        ost = await client.wait_event("ACPI_DEVICE_OST")
        assert ost == {"event": "ACPI_DEVICE_OST", "timestamp": TIMESTAMP, "data": {"info": {
            "device": "core2", "slot": "2", "slot-type": "CPU",
            "source": OST_SOURCE_DEVICE_CHECK, "status": OST_SUCCESS}}}
        cpus = (await client.execute("query-cpus-fast"))["return"]
        assert [(c["cpu-index"], c["qom-path"]) for c in cpus][-1] == (
            2, "/machine/peripheral/core2")
        slots = (await client.execute("query-hotpluggable-cpus"))["return"]
        assert slots[1]["qom-path"] == "/machine/peripheral/core2"
    scenario(tmp_path, body)


def test_device_add_defaults_ids_to_zero_and_accepts_qemuopts_strings(tmp_path: Path) -> None:
    # The RFC's "device_add host-arm-cpu,id=core3,core-id=3": omitted ids are 0.
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        assert await client.execute("device_add", {"driver": "host-arm-cpu", "id": "core3",
                                                   "core-id": "3"}) == {"return": {}}
        assert await client.execute("device_add", {"driver": "host-arm-cpu",
                                                   "core-id": 2}) == {"return": {}}
        cpus = (await client.execute("query-cpus-fast"))["return"]
        assert [c["qom-path"] for c in cpus][2:] == [
            "/machine/peripheral-anon/device[0]", "/machine/peripheral/core3"]
    scenario(tmp_path, body)


@pytest.mark.parametrize("arguments, desc", [
    ({"driver": "virtio-net-pci"}, "'virtio-net-pci' is not a valid device model name"),
    ({"driver": "cortex-a15-arm-cpu", "core-id": 2},
     "Parameter 'driver' expects a pluggable device type"),
    ({"driver": "max-arm-cpu", "core-id": 2},
     "Invalid CPU type, expected cpu type: 'host-arm-cpu'"),
    ({"driver": "host-arm-cpu", "core-id": 1},
     "cpu(id1=0:0:1:0) with arch-id 1 exist"),
    ({"driver": "host-arm-cpu"}, "cpu(id0=0:0:0:0) with arch-id 0 exist"),
    ({"driver": "host-arm-cpu", "core-id": 4}, "Invalid core-id 4 specified, correct range 0:3"),
    ({"driver": "host-arm-cpu", "core-id": -1},
     "Invalid core-id -1 specified, correct range 0:3"),
    ({"driver": "host-arm-cpu", "core-id": 2, "thread-id": 1},
     "Invalid thread-id 1 specified, correct range 0:0"),
    ({"driver": "host-arm-cpu", "core-id": 2, "socket-id": 3},
     "Invalid socket-id 3 specified, correct range 0:0"),
    ({"driver": "host-arm-cpu", "core-id": 2, "cluster-id": 1},
     "Invalid cluster-id 1 specified, correct range 0:0"),
    ({"driver": "host-arm-cpu", "core-id": "two"},
     "Invalid parameter type for 'core-id', expected: integer"),
    ({"driver": "host-arm-cpu", "core-id": [2]},
     "Invalid parameter type for 'core-id', expected: integer"),
    ({"driver": "host-arm-cpu", "core-id": 2, "speed": 3},
     "Property 'host-arm-cpu.speed' not found"),
    ({"driver": "host-arm-cpu", "core-id": 2, "id": "2nd"},
     "Parameter 'id' expects an identifier"),
    ({"driver": "host-arm-cpu", "core-id": 2, "id": 2},
     "Invalid parameter type for 'id', expected: string"),
    ({"driver": "host-arm-cpu", "core-id": 2, "bus": "pcie.0"}, "Bus 'pcie.0' not found"),
])
def test_device_add_errors_change_nothing(tmp_path: Path, arguments: dict, desc: str) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        before = await client.execute("query-hotpluggable-cpus")
        assert await client.execute("device_add", arguments) == error(desc)
        assert backend.calls == []
        assert await client.execute("query-hotpluggable-cpus") == before
    scenario(tmp_path, body)


def test_device_add_duplicate_id(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        add = {"driver": "host-arm-cpu", "id": "extra"}
        assert await client.execute("device_add", {**add, "core-id": 2}) == {"return": {}}
        assert await client.execute("device_add", {**add, "core-id": 3}) == error(
            "Duplicate ID 'extra' for device")
        assert backend.calls == [("plug", 2)]
        await still_answers(client)
    scenario(tmp_path, body)


def test_device_add_reports_a_machine_refusal(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        def refuse(index: int) -> None:
            raise BackendError(f"vCPU {index} cannot be enabled: the VMM is shutting down")
        backend.plug = refuse
        assert await client.execute("device_add", {"driver": "host-arm-cpu", "id": "c2",
                                                   "core-id": 2}) == error(
            "vCPU 2 cannot be enabled: the VMM is shutting down")
        slots = (await client.execute("query-hotpluggable-cpus"))["return"]
        assert "qom-path" not in slots[1]
    scenario(tmp_path, body)


# ---------------------------------------------------------------- device_del

async def plug(client: RawClient, core: int, dev_id: str | None = None) -> None:
    arguments: dict[str, Any] = {"driver": "host-arm-cpu", "core-id": core}
    if dev_id is not None:
        arguments["id"] = dev_id
    assert await client.execute("device_add", arguments) == {"return": {}}
    await client.wait_event("ACPI_DEVICE_OST")


def test_device_del_by_id_ends_with_device_deleted(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        await plug(client, 2, "core2")
        assert await client.execute("device_del", {"id": "core2"}, id=9) == {
            "return": {}, "id": 9}
        first = await client.recv()
        assert first["event"] == "ACPI_DEVICE_OST"
        assert first["data"]["info"] == {"device": "core2", "slot": "2", "slot-type": "CPU",
                                         "source": OST_SOURCE_EJECT_REQUEST,
                                         "status": OST_EJECT_IN_PROGRESS}
        deleted = await client.recv()
        assert deleted == {"event": "DEVICE_DELETED", "timestamp": TIMESTAMP,
                           "data": {"device": "core2", "path": "/machine/peripheral/core2"}}
        last = await client.recv()
        assert last["data"]["info"]["status"] == OST_SUCCESS
        cpus = (await client.execute("query-cpus-fast"))["return"]
        assert [c["cpu-index"] for c in cpus] == [0, 1]
        await plug(client, 3, "core2")  # the id is free again
    scenario(tmp_path, body)


def test_device_del_by_qom_path_of_an_anonymous_device(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        await plug(client, 3)
        path = "/machine/peripheral-anon/device[0]"
        assert await client.execute("device_del", {"id": path}) == {"return": {}}
        deleted = await client.wait_event("DEVICE_DELETED")
        assert deleted["data"] == {"path": path}
        assert backend.calls == [("plug", 3), ("unplug", 3)]
    scenario(tmp_path, body)


def test_device_del_by_full_peripheral_path(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        await plug(client, 2, "core2")
        assert await client.execute("device_del", {"id": "/machine/peripheral/core2"}) == {
            "return": {}}
        assert (await client.wait_event("DEVICE_DELETED"))["data"]["device"] == "core2"
    scenario(tmp_path, body)


@pytest.mark.parametrize("name, reply", [
    ("nope", error("Device 'nope' not found", "DeviceNotFound")),
    ("/machine/peripheral/nope", error("Device '/machine/peripheral/nope' not found",
                                       "DeviceNotFound")),
    ("/machine/peripheral", error("/machine/peripheral is not a hotpluggable device")),
    ("/machine/unattached/device[0]",
     error("Boot CPU(id0=0:0:0:0) hot-unplug not supported")),
])
def test_device_del_errors(tmp_path: Path, name: str, reply: dict) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        assert await client.execute("device_del", {"id": name}) == reply
        assert backend.calls == []
        await still_answers(client)
    scenario(tmp_path, body)


def test_a_cold_booted_cpu_other_than_the_boot_cpu_unplugs(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        path = "/machine/unattached/device[1]"
        assert await client.execute("device_del", {"id": path}) == {"return": {}}
        assert (await client.wait_event("DEVICE_DELETED"))["data"] == {"path": path}
        assert await client.execute("x-set-vcpus", {"count": 1}) == {"return": {}}
        cpus = (await client.execute("query-cpus-fast"))["return"]
        assert [c["cpu-index"] for c in cpus] == [0]
    scenario(tmp_path, body)


def test_device_del_while_an_unplug_is_in_progress(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        await plug(client, 2, "core2")
        backend.hold = True  # the guest has not reacted yet
        assert await client.execute("device_del", {"id": "core2"}) == {"return": {}}
        assert await client.execute("device_del", {"id": "core2"}) == error(
            "Device core2 is already in the process of unplug")
        cpus = (await client.execute("query-cpus-fast"))["return"]
        assert 2 in [c["cpu-index"] for c in cpus]  # still plugged until the eject completes
        backend.hold = False
        backend.run_pending()  # the guest catches up on its own
        deleted = await client.wait_event("DEVICE_DELETED")
        assert deleted["data"]["device"] == "core2"
    scenario(tmp_path, body)


def test_x_set_vcpus_waits_for_a_pending_unplug_below_the_target(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        await plug(client, 2, "core2")
        backend.hold = True
        assert await client.execute("device_del", {"id": "core2"}) == {"return": {}}
        assert await client.execute("x-set-vcpus", {"count": 4}) == error(
            "vCPU 2 is being unplugged; wait for its DEVICE_DELETED event, then resize again")
        assert backend.calls == [("plug", 2), ("unplug", 2)]
        backend.hold = False
        backend.run_pending()
        await client.wait_event("DEVICE_DELETED")
        assert await client.execute("x-set-vcpus", {"count": 4}) == {"return": {}}
    scenario(tmp_path, body)


def test_events_without_any_negotiated_client_are_dropped(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        backend.plug(3)
        backend.run_pending()  # an _OST while nobody is in command mode
        await asyncio.sleep(0.01)
        await client.negotiate()
        await still_answers(client)
        assert client.events == []
    scenario(tmp_path, body, negotiate=False)


def test_guest_refusing_an_unplug_keeps_the_device(tmp_path: Path) -> None:
    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        await plug(client, 2, "core2")
        backend.refuse_unplug.add(2)
        assert await client.execute("device_del", {"id": "core2"}) == {"return": {}}
        ost = await client.wait_event("ACPI_DEVICE_OST")
        assert ost["data"]["info"]["status"] == OST_BUSY
        failed = await client.wait_event("DEVICE_UNPLUG_GUEST_ERROR")
        assert failed["data"] == {"device": "core2", "path": "/machine/peripheral/core2"}
        cpus = (await client.execute("query-cpus-fast"))["return"]
        assert 2 in [c["cpu-index"] for c in cpus]
        backend.refuse_unplug.clear()
        assert await client.execute("device_del", {"id": "core2"}) == {"return": {}}
        assert (await client.wait_event("DEVICE_DELETED"))["data"]["device"] == "core2"
    scenario(tmp_path, body)


# --------------------------------------------------------------- x-set-vcpus

def test_x_set_vcpus_grows_then_shrinks_from_the_highest_ids(tmp_path: Path) -> None:
    backend = FakeCpuBackend(Topology(cores=8), boot_cpus=2)

    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        assert await client.execute("x-set-vcpus", {"count": 8}) == {"return": {}}
        cpus = (await client.execute("query-cpus-fast"))["return"]
        assert [c["cpu-index"] for c in cpus] == list(range(8))
        assert await client.execute("x-set-vcpus", {"count": 5}) == {"return": {}}
        deleted = [(await client.wait_event("DEVICE_DELETED"))["data"]["path"]
                   for _ in range(3)]
        assert deleted == [f"/machine/peripheral-anon/device[{n}]" for n in (5, 4, 3)]
        assert backend.calls[-3:] == [("unplug", 7), ("unplug", 6), ("unplug", 5)]
        cpus = (await client.execute("query-cpus-fast"))["return"]
        assert [c["cpu-index"] for c in cpus] == list(range(5))
        assert await client.execute("x-set-vcpus", {"count": 5}) == {"return": {}}
    scenario(tmp_path, body, backend)


@pytest.mark.parametrize("count", [0, -1, 9])
def test_x_set_vcpus_out_of_range(tmp_path: Path, count: int) -> None:
    backend = FakeCpuBackend(Topology(cores=8), boot_cpus=2)

    async def body(client: RawClient, backend: FakeCpuBackend, server: QmpServer) -> None:
        assert await client.execute("x-set-vcpus", {"count": count}) == error(
            "Parameter 'count' expects a number of vCPUs between 1 and 8")
        assert backend.calls == []
        await still_answers(client)
    scenario(tmp_path, body, backend)


# ------------------------------------------------------------ many clients

def test_events_reach_every_negotiated_client_and_only_those(tmp_path: Path) -> None:
    async def main() -> None:
        path = tmp_path / "qmp.sock"
        async with running_server(FakeCpuBackend(), path) as server:
            a = await RawClient.connect_unix(path)
            b = await RawClient.connect_unix(path)
            quiet = await RawClient.connect_unix(path)
            await a.negotiate()
            await b.negotiate()
            await plug(a, 2, "core2")
            assert await a.execute("device_del", {"id": "core2"}) == {"return": {}}
            for client in (a, b):
                deleted = await client.wait_event("DEVICE_DELETED")
                assert deleted["data"]["device"] == "core2"
            # The unnegotiated client got nothing: its next message is its reply.
            await quiet.send({"execute": "qmp_capabilities"})
            assert await quiet.recv() == {"return": {}}
            for client in (a, b, quiet):
                await client.close()
            assert server.internal_errors == []

    run(main())


def test_clients_work_concurrently_and_a_rude_disconnect_harms_nobody(tmp_path: Path) -> None:
    async def main() -> None:
        path = tmp_path / "qmp.sock"
        async with running_server(FakeCpuBackend(), path) as server:
            rude = await RawClient.connect_unix(path)
            await rude.send_raw(b'{"execute": "qmp_capabilities"}{"execute": "query-')
            rude.writer.transport.abort()
            garbage = await RawClient.connect_unix(path)
            await garbage.send_raw(bytes(range(256)) * 4)
            clients = [await RawClient.connect_unix(path) for _ in range(4)]
            for client in clients:
                await client.negotiate()
            replies = await asyncio.wait_for(asyncio.gather(
                *(c.execute("query-status", id=n) for n, c in enumerate(clients))), TIMEOUT)
            assert replies == [{**STATUS_OK, "id": n} for n in range(4)]
            # The garbage sender got errors, not a closed connection.
            assert "error" in await garbage.recv()
            for client in clients + [garbage]:
                await client.close()
            assert server.internal_errors == []

    run(main())


# --------------------------------------------------------------------- quit

QUIT_SHUTDOWN = {"event": "SHUTDOWN", "timestamp": TIMESTAMP,
                 "data": {"guest": False, "reason": "host-qmp-quit"}}


def test_quit_broadcasts_shutdown_before_its_reply_then_closes(tmp_path: Path) -> None:
    """QEMU's order on the wire: ``SHUTDOWN`` first, then ``{"return": {}}`` (``qmp_quit`` only
    requests the shutdown; the main loop sends the event before the dispatcher writes the reply)."""
    async def main() -> None:
        path = tmp_path / "qmp.sock"
        server = QmpServer(FakeCpuBackend(), clock=lambda: FIXED_TIME)
        await server.start(UnixAddress(path))
        other = await RawClient.connect_unix(path)
        await other.negotiate()
        client = await RawClient.connect_unix(path)
        await client.negotiate()
        await client.send({"execute": "quit", "id": "bye"})
        assert await client.recv() == QUIT_SHUTDOWN
        assert await client.recv() == {"return": {}, "id": "bye"}
        assert await other.recv() == QUIT_SHUTDOWN
        for peer in (client, other):
            with pytest.raises(EOFError):
                await peer.recv()
        await asyncio.wait_for(server.wait_closed(), TIMEOUT)
        assert server.quit_requested
        assert not path.exists()
        for peer in (client, other):
            await peer.close()

    run(main())


# ------------------------------------------------------------------ sockets

def test_unix_socket_is_owner_only_and_replaces_a_stale_socket(tmp_path: Path) -> None:
    async def main() -> None:
        path = tmp_path / "qmp.sock"
        for _ in range(2):  # the second start finds the first one's socket file
            server = QmpServer(FakeCpuBackend())
            await server.start(UnixAddress(path))
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
            client = await RawClient.connect_unix(path)
            await client.negotiate()
            await client.close()
            server._unix_paths.clear()  # leave the socket file behind, as a crash would
            await server.close()
        assert path.exists()

    run(main())


def test_unix_socket_mode_does_not_depend_on_the_callers_umask(tmp_path: Path) -> None:
    async def main() -> None:
        path = tmp_path / "qmp.sock"
        old = os.umask(0)  # the most permissive caller
        try:
            server = QmpServer(FakeCpuBackend())
            await server.start(UnixAddress(path))
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
            assert os.umask(0) == 0  # the caller's umask is back
            await server.close()
        finally:
            os.umask(old)

    run(main())


def test_unix_socket_refuses_to_replace_a_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "precious"
    path.write_text("data")

    async def main() -> None:
        with pytest.raises(ServerError, match="in the way"):
            await QmpServer(FakeCpuBackend()).start(UnixAddress(path))

    run(main())
    assert path.read_text() == "data"


def test_tcp_listens_on_loopback(tmp_path: Path) -> None:
    async def main() -> None:
        server = QmpServer(FakeCpuBackend())
        await server.start(TcpAddress("127.0.0.1", 0))
        [port] = server.tcp_ports
        client = await RawClient.connect_tcp("127.0.0.1", port)
        await client.negotiate()
        await still_answers(client)
        await client.close()
        await server.close()

    run(main())


@pytest.mark.parametrize("spec, address", [
    ("unix:/run/vm/qmp.sock,server", UnixAddress(Path("/run/vm/qmp.sock"))),
    ("unix:/tmp/q.sock,server=on,wait=off", UnixAddress(Path("/tmp/q.sock"))),
    ("tcp:127.0.0.1:4444,server,nowait", TcpAddress("127.0.0.1", 4444)),
    ("tcp::4444,server", TcpAddress("127.0.0.1", 4444)),
    ("tcp:0.0.0.0:4444,server", TcpAddress("0.0.0.0", 4444)),
])
def test_parse_qmp_address(spec: str, address: object) -> None:
    assert parse_qmp_address(spec) == address


@pytest.mark.parametrize("spec", ["unix:/tmp/q.sock", "tcp:localhost:http,server",
                                  "stdio,server", "unix:/q,server,telnet"])
def test_parse_qmp_address_rejects(spec: str) -> None:
    with pytest.raises(ServerError):
        parse_qmp_address(spec)


def test_a_failing_machine_does_not_take_the_server_down(tmp_path: Path) -> None:
    async def main() -> None:
        path = tmp_path / "qmp.sock"
        backend = FakeCpuBackend()

        def broken() -> None:
            raise RuntimeError("simulated machine fault")
        backend.run_pending = broken
        async with running_server(backend, path) as server:
            client = await RawClient.connect_unix(path)
            await client.negotiate()
            await still_answers(client)
            assert [str(e) for e in server.internal_errors][:1] == ["simulated machine fault"]
            await client.close()

    run(main())
