"""The commands a management stack (libvirt 9.0) sends an emulator, over the real QMP socket.

Most run against a real VM (``build_vm``: the VMM machine with the Linux
guest model booted on it), so each answer is checked against the machine it
describes; the fake backend (``fake_backend.py``) is used where only the QMP
layer's part is in question (which backend call a command makes). The last
tests replay the QMP of libvirt's capability probe and domain start as
``tests/libvirt/PROTOCOL.md`` sections 1 and 2 record them.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Optional

import pytest

from vcpu_hotplug.qmp.backend import CpuBackend
from vcpu_hotplug.qmp.commands import ChardevInfo, VmIdentity
from vcpu_hotplug.qmp.emulator_info import MIGRATION_CAPABILITIES
from vcpu_hotplug.qmp.server import QmpServer, UnixAddress
from vcpu_hotplug.vm import VirtualMachine, VmSpec, build_vm

from .client import FIXED_TIME, TID_BASE, TIMEOUT, RawClient, run
from .fake_backend import FakeCpuBackend

#: The domain libvirt starts in PROTOCOL.md section 2: ``-smp 1,maxcpus=8,sockets=8,cores=1,threads=1
#: -cpu cortex-a57 -S``.
LIBVIRT_SMP = "1,maxcpus=8,sockets=8,cores=1,threads=1"
LIBVIRT_SPEC = VmSpec(smp=LIBVIRT_SMP, cpu_type="cortex-a57", start_paused=True)
LIBVIRT_CHARDEVS = (ChardevInfo("charmonitor", "disconnected:unix:,server=on"),
                    ChardevInfo("charchannel0", "disconnected:unix:,server=on"))
UUID = "02684850-ca06-4fef-bfb5-ddea45216a12"

Body = Callable[[RawClient, QmpServer], Awaitable[None]]


@asynccontextmanager
async def serving(backend: CpuBackend, path: Path,
                  identity: Optional[VmIdentity] = None) -> AsyncIterator[tuple[RawClient, QmpServer]]:
    server = QmpServer(backend, thread_id=lambda index: TID_BASE + index, clock=lambda: FIXED_TIME,
                       identity=identity)
    await server.start(UnixAddress(path))
    try:
        client = await RawClient.connect_unix(path)
        try:
            await client.negotiate()
            yield client, server
        finally:
            await client.close()
        assert server.internal_errors == []
    finally:
        await server.close()


def scenario(tmp_path: Path, body: Body, backend: Optional[CpuBackend] = None,
             identity: Optional[VmIdentity] = None) -> None:
    if backend is None:
        backend = build_vm(VmSpec(smp="cpus=2,maxcpus=8")).backend

    async def main() -> None:
        async with serving(backend, tmp_path / "qmp.sock", identity) as (client, server):
            await body(client, server)

    run(main())


def error(desc: str, cls: str = "GenericError") -> dict[str, Any]:
    return {"error": {"class": cls, "desc": desc}}


async def ok(client: RawClient, command: str, arguments: Optional[dict] = None) -> Any:
    reply = await client.execute(command, arguments)
    assert "return" in reply, (command, reply)
    return reply["return"]


async def event_names(client: RawClient) -> list[str]:
    """Names of the events received so far (a round trip first, so none is still in flight)."""
    await ok(client, "query-version")
    return [e["event"] for e in client.events]


# ------------------------------------------------------------ identity

def test_target_kvm_schema_and_version_describe_an_aarch64_tcg_emulator(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        assert await client.execute("query-target") == {"return": {"arch": "aarch64"}}
        assert await client.execute("query-kvm") == {"return": {"enabled": False, "present": False}}
        assert await client.execute("query-qmp-schema") == {"return": []}
        version = await ok(client, "query-version")
        assert version["qemu"] == {"major": 9, "minor": 1, "micro": 50}
        assert client.greeting is not None
        assert client.greeting["QMP"]["version"]["qemu"] == version["qemu"]
        # libvirt 9.0 requires >= 4.2.0 (PROTOCOL.md section 1).
        assert (version["qemu"]["major"], version["qemu"]["minor"]) >= (4, 2)
    scenario(tmp_path, body)


def test_query_name_and_uuid_come_from_the_identity(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        assert await client.execute("query-name") == {"return": {"name": "fake2"}}
        assert await client.execute("query-uuid") == {"return": {"UUID": UUID}}
    scenario(tmp_path, body, identity=VmIdentity(name="fake2", uuid=UUID))


def test_an_unnamed_vm_has_an_empty_name_and_the_null_uuid(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        assert await client.execute("query-name") == {"return": {}}
        assert await client.execute("query-uuid") == {
            "return": {"UUID": "00000000-0000-0000-0000-000000000000"}}
    scenario(tmp_path, body)


def test_query_machines_offers_a_virt_with_hotpluggable_cpus_and_none(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        machines = {m["name"]: m for m in await ok(client, "query-machines")}
        assert set(machines) == {"virt-9.1", "none"}
        virt = machines["virt-9.1"]
        assert virt["alias"] == "virt"
        assert virt["hotpluggable-cpus"] is True  # else libvirt: "vcpu '1' is missing hotplug data"
        assert virt["cpu-max"] == 512
        assert virt["default-cpu-type"] == "cortex-a57-arm-cpu"  # the VM's own vCPU model
        assert virt["default-ram-id"] == "mach-virt.ram"
        none = machines["none"]
        assert none["hotpluggable-cpus"] is False and none["cpu-max"] == 1
        assert "alias" not in none
    scenario(tmp_path, body, backend=build_vm(VmSpec(smp="cpus=1,maxcpus=4",
                                                     cpu_type="cortex-a57")).backend)


def test_query_cpu_definitions_names_the_models_with_their_qom_types(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        definitions = await ok(client, "query-cpu-definitions")
        by_name = {d["name"]: d for d in definitions}
        assert len(by_name) == len(definitions)
        assert by_name["cortex-a57"]["typename"] == "cortex-a57-arm-cpu"
        assert by_name["cortex-a57"]["deprecated"] is False
        assert all(d["typename"] == d["name"] + "-arm-cpu" for d in definitions)
        types = {t["name"] for t in await ok(client, "qom-list-types")}
        assert {d["typename"] for d in definitions} <= types
    scenario(tmp_path, body)


def test_qom_list_types_has_tcg_accel_and_filters_by_implements(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        every = {t["name"]: t for t in await ok(client, "qom-list-types")}
        assert "tcg-accel" in every  # else libvirt: "does not support virt type 'qemu'"
        assert {"virt-9.1-machine", "cortex-a57-arm-cpu", "virtio-serial-pci", "virtserialport",
                "pcie-root-port"} <= set(every)
        cpus = {t["name"] for t in await ok(client, "qom-list-types", {"implements": "arm-cpu"})}
        assert "cortex-a57-arm-cpu" in cpus and "host-arm-cpu" in cpus
        assert all(name.endswith("-arm-cpu") for name in cpus)
        assert "tcg-accel" not in cpus
        # Indirect ancestry counts: virt-9.1-machine -> virt-machine -> machine.
        machines = {t["name"] for t in await ok(client, "qom-list-types", {"implements": "machine"})}
        assert {"virt-9.1-machine", "none-machine"} <= machines
        assert not machines & cpus
        assert await client.execute("qom-list-types", {"implements": "no-such-type"}) == {"return": []}
        assert await client.execute("qom-list-types", {"implements": 1}) == error(
            "Invalid parameter type for 'implements', expected: string")
    scenario(tmp_path, body)


@pytest.mark.parametrize("command, known, unknown, desc", [
    ("device-list-properties", "cortex-a57-arm-cpu", "virtio-blk-pci",
     "Device 'virtio-blk-pci' not found"),
    ("qom-list-properties", "cortex-a57-arm-cpu", "memory-backend-epc",
     "Class 'memory-backend-epc' not found"),
])
def test_type_properties_of_known_and_unknown_types(tmp_path: Path, command: str, known: str,
                                                    unknown: str, desc: str) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        props = await ok(client, command, {"typename": known})
        assert isinstance(props, list)
        assert {"socket-id", "cluster-id", "core-id", "thread-id"} <= {p["name"] for p in props}
        assert isinstance(await ok(client, command, {"typename": "virt-9.1-machine"}), list)
        # QEMU's answer for a type it lacks (libvirt tolerates it from device-list-properties).
        assert await client.execute(command, {"typename": unknown}) == error(desc, "DeviceNotFound")
        assert await client.execute(command) == error("Parameter 'typename' is missing")
        assert await event_names(client) == []
    scenario(tmp_path, body)


def test_qom_list_of_peripheral_follows_device_add_and_device_del(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        assert await ok(client, "qom-list", {"path": "/machine/peripheral"}) == [
            {"name": "type", "type": "string"}]
        await ok(client, "device_add", {"driver": "host-arm-cpu", "id": "vcpu2", "core-id": 2})
        listing = await ok(client, "qom-list", {"path": "/machine/peripheral"})
        assert {"name": "vcpu2", "type": "child<host-arm-cpu>"} in listing
        assert [e for e in listing if e["name"] != "type"] == [
            {"name": "vcpu2", "type": "child<host-arm-cpu>"}]
        # The cold-booted vCPUs are unattached, not peripherals.
        unattached = await ok(client, "qom-list", {"path": "/machine/unattached"})
        assert {"name": "device[0]", "type": "child<host-arm-cpu>"} in unattached
        await ok(client, "device_del", {"id": "vcpu2"})
        await client.wait_event("DEVICE_DELETED")
        assert await ok(client, "qom-list", {"path": "/machine/peripheral"}) == [
            {"name": "type", "type": "string"}]
        assert await client.execute("qom-list", {"path": "/machine/nope"}) == error(
            "Device '/machine/nope' not found", "DeviceNotFound")
    scenario(tmp_path, body)


def test_query_command_line_options_all_one_and_unknown(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        every = await ok(client, "query-command-line-options")
        names = [o["option"] for o in every]
        assert len(names) == len(set(names))
        assert {"machine", "smp-opts", "chardev", "device", "object"} <= set(names)
        machine = await ok(client, "query-command-line-options", {"option": "machine"})
        assert len(machine) == 1 and machine[0]["option"] == "machine"
        params = {p["name"]: p["type"] for p in machine[0]["parameters"]}
        assert params["gic-version"] == "string" and params["usb"] == "boolean"
        assert machine[0] == next(o for o in every if o["option"] == "machine")
        assert await client.execute("query-command-line-options", {"option": "x"}) == error(
            "invalid option name: x")
    scenario(tmp_path, body)


# ------------------------------------------------------------ migration capabilities

async def capabilities(client: RawClient) -> dict[str, bool]:
    entries = await ok(client, "query-migrate-capabilities")
    return {e["capability"]: e["state"] for e in entries}


def test_migrate_capabilities_list_events_off_and_set_it_on(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        before = await capabilities(client)
        assert before["events"] is False
        assert set(before) == set(MIGRATION_CAPABILITIES)
        assert not any(before.values())
        assert await client.execute("migrate-set-capabilities", {
            "capabilities": [{"capability": "events", "state": True}]}) == {"return": {}}
        after = await capabilities(client)
        assert after == {**before, "events": True}
        # A second client sees the same VM.
        other = await RawClient.connect_unix(tmp_path / "qmp.sock")
        try:
            await other.negotiate()
            assert (await capabilities(other))["events"] is True
        finally:
            await other.close()
    scenario(tmp_path, body)


@pytest.mark.parametrize("entries, desc", [
    ([{"capability": "xbzrle", "state": True}, {"capability": "bogus", "state": True}],
     "Parameter 'capability' does not accept value 'bogus'"),
    ([{"capability": "xbzrle", "state": True}, {"capability": "events", "state": "on"}],
     "Invalid parameter type for 'state', expected: boolean"),
    ([{"capability": "xbzrle", "state": True}, {"capability": "events"}],
     "Parameter 'state' is missing"),
    ([{"capability": "xbzrle", "state": True}, {"state": True}],
     "Parameter 'capability' is missing"),
    ([{"capability": "xbzrle", "state": True}, "events"],
     "Invalid parameter type for 'capabilities[1]', expected: object"),
])
def test_migrate_set_capabilities_refuses_a_bad_entry_and_changes_nothing(
        tmp_path: Path, entries: list, desc: str) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        before = await capabilities(client)
        assert await client.execute("migrate-set-capabilities", {"capabilities": entries}) == \
            error(desc)
        assert await capabilities(client) == before  # xbzrle, listed first and valid, is still off
    scenario(tmp_path, body)


def test_migrate_set_capabilities_needs_a_list(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        assert await client.execute("migrate-set-capabilities", {"capabilities": {}}) == error(
            "Invalid parameter type for 'capabilities', expected: array")
        assert await client.execute("migrate-set-capabilities") == error(
            "Parameter 'capabilities' is missing")
        assert (await capabilities(client))["events"] is False
    scenario(tmp_path, body)


# ------------------------------------------------------------ other probes and queries

def test_query_gic_capabilities_offers_an_emulated_gicv3(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        gics = {g["version"]: g for g in await ok(client, "query-gic-capabilities")}
        assert gics[3] == {"version": 3, "emulated": True, "kernel": False}
        assert gics[2]["kernel"] is False
    scenario(tmp_path, body)


def test_query_chardev_lists_the_identitys_chardevs(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        assert await ok(client, "query-chardev") == [
            {"label": "charmonitor", "filename": "disconnected:unix:,server=on",
             "frontend-open": True},
            {"label": "charchannel0", "filename": "disconnected:unix:,server=on",
             "frontend-open": True},
        ]
    scenario(tmp_path, body, identity=VmIdentity(chardevs=LIBVIRT_CHARDEVS))


def test_query_chardev_of_a_vm_without_chardevs_is_empty(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        assert await client.execute("query-chardev") == {"return": []}
    scenario(tmp_path, body)


@pytest.mark.parametrize("command, arguments", [
    ("query-named-block-nodes", None), ("query-named-block-nodes", {"flat": True}),
    ("query-block", None), ("query-jobs", None), ("query-iothreads", None),
    ("query-tpm-models", None),
])
def test_queries_of_things_the_vm_has_none_of_are_empty(tmp_path: Path, command: str,
                                                        arguments: Optional[dict]) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        assert await client.execute(command, arguments) == {"return": []}
    scenario(tmp_path, body)


def test_set_action_is_remembered_and_a_bad_value_changes_nothing(tmp_path: Path) -> None:
    async def body(client: RawClient, server: QmpServer) -> None:
        assert server.identity.actions["shutdown"] == "poweroff"
        assert await client.execute("set-action", {"shutdown": "pause", "reboot": "shutdown"}) == \
            {"return": {}}
        remembered = dict(server.identity.actions)
        assert remembered["shutdown"] == "pause" and remembered["reboot"] == "shutdown"
        assert remembered["panic"] == "shutdown"  # untouched
        assert await client.execute("set-action", {"watchdog": "none", "panic": "bogus"}) == \
            error("Parameter 'panic' does not accept value 'bogus'")
        assert await client.execute("set-action", {"shutdown": "reset"}) == \
            error("Parameter 'shutdown' does not accept value 'reset'")
        assert await client.execute("set-action", {"shutdown": 1}) == \
            error("Invalid parameter type for 'shutdown', expected: string")
        assert await client.execute("set-action", {"reset": "none"}) == \
            error("Parameter 'reset' is unexpected")
        assert server.identity.actions == remembered  # watchdog, listed first, was not applied
        assert await client.execute("set-action") == {"return": {}}
        assert server.identity.actions == remembered
    scenario(tmp_path, body)


# ------------------------------------------------------------ run states

async def status(client: RawClient) -> tuple[str, bool]:
    reply = await ok(client, "query-status")
    return reply["status"], reply["running"]


def test_cont_and_stop_walk_the_run_states_with_resume_and_stop_events(tmp_path: Path) -> None:
    vm = build_vm(VmSpec(smp="cpus=1,maxcpus=4", start_paused=True))

    async def body(client: RawClient, server: QmpServer) -> None:
        assert await status(client) == ("prelaunch", False)
        assert (await ok(client, "x-query-guest-cpus"))["online"] == []  # the guest has not booted
        # stop in prelaunch: nothing runs, so nothing stops (no STOP, still prelaunch).
        assert await client.execute("stop") == {"return": {}}
        assert await status(client) == ("prelaunch", False)
        assert await event_names(client) == []

        assert await client.execute("cont") == {"return": {}}
        resume = await client.wait_event("RESUME")
        assert "data" not in resume
        assert resume["timestamp"] == {"seconds": int(FIXED_TIME), "microseconds": 250000}
        assert await status(client) == ("running", True)
        assert (await ok(client, "x-query-guest-cpus"))["online"] == [0]

        assert await client.execute("stop") == {"return": {}}
        await client.wait_event("STOP")
        assert await status(client) == ("paused", False)
        assert await client.execute("stop") == {"return": {}}  # already paused: no second STOP

        assert await client.execute("cont") == {"return": {}}
        await client.wait_event("RESUME")
        assert await status(client) == ("running", True)
        assert await client.execute("cont") == {"return": {}}  # already running: no second RESUME
        assert await event_names(client) == []
    scenario(tmp_path, body, backend=vm.backend)


def test_a_paused_guest_does_nothing_until_cont(tmp_path: Path) -> None:
    vm = build_vm(VmSpec(smp="cpus=1,maxcpus=4"))

    async def body(client: RawClient, server: QmpServer) -> None:
        await ok(client, "stop")
        await client.wait_event("STOP")
        await ok(client, "device_add", {"driver": "host-arm-cpu", "id": "cpu2", "core-id": 2})
        assert await event_names(client) == []  # no _OST: the guest is stopped
        assert (await ok(client, "x-query-guest-cpus"))["online"] == [0]
        await ok(client, "cont")
        await client.wait_event("RESUME")
        ost = await client.wait_event("ACPI_DEVICE_OST")
        assert ost["data"]["info"]["device"] == "cpu2"
        assert (await ok(client, "x-query-guest-cpus"))["online"] == [0, 2]
    scenario(tmp_path, body, backend=vm.backend)


def test_system_powerdown_presses_the_power_button_and_emits_powerdown(tmp_path: Path) -> None:
    vm = build_vm(VmSpec(smp="cpus=1,maxcpus=2"))
    raised = vm.machine.ged.raised

    async def body(client: RawClient, server: QmpServer) -> None:
        assert await client.execute("system_powerdown") == {"return": {}}
        assert vm.machine.ged.raised == raised + 1  # the GED's power-down event reached the machine
        assert vm.trace.count(message="power button pressed") == 1
        await ok(client, "query-version")
        events = [e for e in client.events]
        assert events and events[0]["event"] == "POWERDOWN" and "data" not in events[0]
        # What follows is the guest's decision; if it powers off, QEMU's SHUTDOWN comes after.
        shutdowns = [e for e in events if e["event"] == "SHUTDOWN"]
        if shutdowns:
            assert shutdowns == [events[-1]]
            assert shutdowns[0]["data"] == {"guest": True, "reason": "guest-shutdown"}
            assert await status(client) == ("shutdown", False)
        else:
            assert await status(client) == ("running", True)
    scenario(tmp_path, body, backend=vm.backend)


def test_commands_reach_the_backend_run_state_calls(tmp_path: Path) -> None:
    backend = FakeCpuBackend()

    async def body(client: RawClient, server: QmpServer) -> None:
        await ok(client, "system_powerdown")
        await client.wait_event("POWERDOWN")
        await ok(client, "stop")
        await client.wait_event("STOP")
        await ok(client, "cont")
        await client.wait_event("RESUME")
        assert [c for c, _ in backend.calls] == ["power_button", "pause", "resume"]
    scenario(tmp_path, body, backend=backend)


# ------------------------------------------------------------ libvirt replays

def test_libvirt_capability_probe_gets_what_it_requires(tmp_path: Path) -> None:
    """PROTOCOL.md section 1, in order; the table "What libvirt requires" checked on the answers."""
    device_types = ("virtio-blk-pci virtio-net-pci virtio-scsi-pci virtio-net-ccw virtio-scsi-ccw "
                    "scsi-hd ide-hd PIIX4_PM usb-storage kvm-pit virtio-gpu-pci virtio-gpu-device "
                    "ICH9-LPC virtio-balloon-pci virtio-balloon-ccw virtio-balloon-device "
                    "pcie-root-port usb-host").split()
    probe: list[tuple[str, Optional[dict]]] = [
        ("query-version", None), ("query-target", None), ("query-qmp-schema", None),
        ("query-commands", None), ("query-kvm", None), ("qom-list-types", None),
        *(("device-list-properties", {"typename": t}) for t in device_types),
        *(("qom-list-properties", {"typename": t}) for t in
          ("memory-backend-file", "memory-backend-memfd", "max-arm-cpu")),
        ("query-machines", None),
        ("qom-list-properties", {"typename": "virt-9.1-machine"}),
        ("qom-list-properties", {"typename": "none-machine"}),
        ("query-cpu-definitions", None), ("query-tpm-models", None), ("query-tpm-types", None),
        ("query-command-line-options", None), ("query-migrate-capabilities", None),
        ("query-gic-capabilities", None),
    ]

    async def body(client: RawClient, server: QmpServer) -> None:
        answers: dict[str, Any] = {}
        for number, (command, arguments) in enumerate(probe, start=2):
            request_id = f"libvirt-{number}"
            reply = await client.execute(command, arguments, id=request_id)
            assert reply["id"] == request_id
            if "error" in reply:
                # Only what libvirt tolerates: a device type the emulator lacks, an unknown
                # command. libvirt 9.0 crashes (NULL list) on an error from qom-list-properties.
                assert reply["error"]["class"] in ("DeviceNotFound", "CommandNotFound"), reply
                assert command in ("device-list-properties", "query-tpm-types"), reply
            else:
                answers.setdefault(command, reply["return"])
        commands = {c["name"] for c in answers["query-commands"]}
        assert "query-hotpluggable-cpus" in commands
        assert "query-cpu-model-expansion" not in commands  # its failure would fail the probe
        assert "tcg-accel" in {t["name"] for t in answers["qom-list-types"]}
        virt = next(m for m in answers["query-machines"] if m["name"] == "virt-9.1")
        assert virt["hotpluggable-cpus"] is True
        assert "events" in {c["capability"] for c in answers["query-migrate-capabilities"]}
        assert await event_names(client) == []
    scenario(tmp_path, body)


def test_libvirt_domain_start_sequence(tmp_path: Path) -> None:
    """PROTOCOL.md section 2 "QMP after start", in order, against ``-S`` with ``-smp 1,maxcpus=8``.

    libvirt builds ``device_add`` from the ``query-hotpluggable-cpus`` entry of
    vCPU 1 (driver = its ``type``, every ``props`` key verbatim); the recording
    shows ``core-id: 1`` because the fake emulator listed cores, while this VM,
    as QEMU does for ``sockets=8,cores=1``, lists sockets. So the arguments are
    taken from this VM's own answer, as libvirt takes them.
    """
    vm = build_vm(LIBVIRT_SPEC)
    identity = VmIdentity(name="fake2", uuid=UUID, chardevs=LIBVIRT_CHARDEVS)

    async def call(client: RawClient, number: int, command: str,
                   arguments: Optional[dict] = None) -> Any:
        request_id = f"libvirt-{number}"
        reply = await client.execute(command, arguments, id=request_id)
        assert set(reply) == {"return", "id"}, (command, reply)
        assert reply["id"] == request_id
        return reply["return"]

    async def body(client: RawClient, server: QmpServer) -> None:
        caps = await call(client, 2, "query-migrate-capabilities")
        assert {"capability": "events", "state": False} in caps
        assert await call(client, 3, "migrate-set-capabilities", {
            "capabilities": [{"capability": "events", "state": True}]}) == {}
        chardevs = await call(client, 4, "query-chardev")
        assert [c["label"] for c in chardevs] == ["charmonitor", "charchannel0"]
        assert all(c["frontend-open"] for c in chardevs)

        hotpluggable = await call(client, 5, "query-hotpluggable-cpus")
        assert len(hotpluggable) == 8
        assert [e.get("qom-path") for e in hotpluggable] == [None] * 7 + [
            "/machine/unattached/device[0]"]
        assert all(e["type"] == "cortex-a57-arm-cpu" and e["vcpus-count"] == 1
                   for e in hotpluggable)
        cpus = await call(client, 6, "query-cpus-fast")
        assert [c["qom-path"] for c in cpus] == ["/machine/unattached/device[0]"]
        vcpu1 = list(reversed(hotpluggable))[1]  # cpu-index order; QEMU lists the highest first
        assert vcpu1["props"] == {"socket-id": 1, "cluster-id": 0, "core-id": 0, "thread-id": 0}
        assert await call(client, 7, "device_add", {"driver": vcpu1["type"], "id": "vcpu1",
                                                     **vcpu1["props"]}) == {}

        hotpluggable = await call(client, 8, "query-hotpluggable-cpus")
        plugged = {e["qom-path"]: e["props"] for e in hotpluggable if "qom-path" in e}
        assert plugged == {"/machine/unattached/device[0]": hotpluggable[-1]["props"],
                           "/machine/peripheral/vcpu1": vcpu1["props"]}
        cpus = await call(client, 9, "query-cpus-fast")
        assert [(c["cpu-index"], c["qom-path"]) for c in cpus] == [
            (0, "/machine/unattached/device[0]"), (1, "/machine/peripheral/vcpu1")]
        # libvirt matches the two answers by qom-path.
        assert {c["qom-path"]: c["props"] for c in cpus} == plugged
        assert len({c["thread-id"] for c in cpus}) == 2

        assert await call(client, 10, "query-iothreads") == []
        assert await call(client, 11, "query-named-block-nodes") == []
        listing = await call(client, 12, "qom-list", {"path": "/machine/peripheral"})
        assert {"name": "vcpu1", "type": "child<cortex-a57-arm-cpu>"} in listing
        assert await call(client, 13, "query-block") == []
        assert await status(client) == ("prelaunch", False)
        assert await event_names(client) == []  # cold plug: no _OST, nothing yet

        assert await call(client, 14, "cont") == {}
        await client.wait_event("RESUME")
        assert await status(client) == ("running", True)
        view = await ok(client, "x-query-guest-cpus")
        assert view["enabled"] == [0, 1] and view["online"] == [0, 1]
        assert server.identity.migrate_capabilities["events"] is True
        assert not [e for e in client.events if e["event"] == "DEVICE_UNPLUG_GUEST_ERROR"]

    scenario(tmp_path, body, backend=vm.backend, identity=identity)
    assert vm.machine.cpuhp.pending_events() == []
