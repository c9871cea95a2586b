"""A QMP session shaped like the real one, replayed against each profile: exact replies, events, order.

The session is what the real-Linux rig (``../shared/real-linux/run_scenario.py``) ran against QEMU
built from ``salil-mehta/qemu`` ``virt-cpuhp-armv8/rfc-v5`` (9.1.50, ``-machine virt,gic-version=3
-accel tcg -cpu cortex-a57 -smp cpus=2,maxcpus=4``, Debian's Linux 6.12.95 guest), plus the cold-booted
refusals, a duplicate ``device_add`` and a wrong CPU type. The replies and events expected for
``qemu-rfc-v5`` are the real ones, copied from the rig's QMP capture of that run (``query-hotpluggable-cpus``,
``query-cpus-fast`` but for host thread ids, ``device_add``, ``device_del`` of ``cpu2`` with its
``ACPI_DEVICE_OST`` 0x84, ``DEVICE_DELETED`` and ``ACPI_DEVICE_OST`` 0 without a device, ``SHUTDOWN``
before ``quit``'s reply); the error texts, which that run did not provoke, are QEMU's own strings
(``hw/arm/virt.c`` ``virt_cpu_unplug_request``/``virt_cpu_pre_plug``; a duplicate ``id`` is refused by
``qmp_device_add``'s ``qemu_opts_from_qdict``, ``util/qemu-option.c``).
The ``reference`` profile must give the same session but for :data:`REFERENCE_DIFFERENCES`, which the
README lists.

When the rig's transcripts land in ``tests/data/real-linux/*.json`` (``recording/make_transcript.py``:
a ``qmp`` timeline of ``send``/``reply``/``event``), every one run on QEMU's own tables with
``-smp cpus=2,maxcpus=4`` is replayed too: its commands are sent to ``qemu-rfc-v5`` and every reply
and the order of the events are compared (thread ids and timestamps aside).

The server runs with instant pacing, so the guest has finished reacting before the next command; the
real guest's events may come after later replies (that is the pacing work's test); here the replies
are compared in order and the events in order, and the one interleaving QEMU always shows (``SHUTDOWN``
before ``quit``'s reply) on the wire.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from vcpu_hotplug.acpi.notify import OstStatus
from vcpu_hotplug.guest import GuestConfig, GuestKnobs
from vcpu_hotplug.profiles import COLD_BOOTED_UNPLUG_REFUSAL, ProfileName
from vcpu_hotplug.qmp.server import QmpServer, UnixAddress
from vcpu_hotplug.vm import VmSpec, build_vm

from tests.qmp.client import FIXED_TIME, TID_BASE, TIMEOUT, RawClient

REAL_LINUX = Path(__file__).parent / "data" / "real-linux"
SMP = "cpus=2,maxcpus=4"
CPU = "cortex-a57-arm-cpu"


def _props(core: int) -> dict[str, int]:
    return {"core-id": core, "thread-id": 0, "socket-id": 0, "cluster-id": 0}


def _hotpluggable(plugged: dict[int, str]) -> dict[str, Any]:
    """QEMU's reply: highest slot first, ``qom-path`` on plugged ones."""
    out = []
    for core in (3, 2, 1, 0):
        entry: dict[str, Any] = {"props": _props(core), "vcpus-count": 1}
        if core in plugged:
            entry["qom-path"] = plugged[core]
        entry["type"] = CPU
        out.append(entry)
    return {"return": out}


def _cpus_fast(plugged: dict[int, str]) -> dict[str, Any]:
    return {"return": [{"thread-id": "<tid>", "props": _props(core), "qom-path": path, "cpu-index": core,
                        "target": "aarch64"} for core, path in sorted(plugged.items())]}


def _ost(slot: int, source: int, status: int, device: str | None) -> dict[str, Any]:
    info: dict[str, Any] = {"device": device} if device else {}
    info.update({"source": source, "status": status, "slot": str(slot), "slot-type": "CPU"})
    return {"event": "ACPI_DEVICE_OST", "data": {"info": info}}


def _deleted(path: str, device: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"device": device} if device else {}
    data["path"] = path
    return {"event": "DEVICE_DELETED", "data": data}


def _error(desc: str) -> dict[str, Any]:
    return {"error": {"class": "GenericError", "desc": desc}}


BOOT = {0: "/machine/unattached/device[0]", 1: "/machine/unattached/device[1]"}
WITH_CPU2 = {**BOOT, 2: "/machine/peripheral/cpu2"}
ADD_CPU2 = {"driver": CPU, "id": "cpu2", **_props(2)}
OK: dict[str, Any] = {"return": {}}

# (command, arguments, reply, events the guest's reaction sends)
QEMU_SESSION: list[tuple[str, dict | None, dict, list[dict]]] = [
    ("qmp_capabilities", None, OK, []),
    ("query-hotpluggable-cpus", None, _hotpluggable(BOOT), []),
    ("query-cpus-fast", None, _cpus_fast(BOOT), []),
    ("device_add", ADD_CPU2, OK, [_ost(2, 1, 0, "cpu2")]),
    ("query-cpus-fast", None, _cpus_fast(WITH_CPU2), []),
    ("device_add", ADD_CPU2, _error("Duplicate ID 'cpu2' for device"), []),
    ("device_add", {"driver": CPU, "id": "cpu9", **_props(2)},
     _error("cpu(id2=0:0:2:0) with arch-id 2 exist"), []),
    ("device_add", {"driver": "cortex-a72-arm-cpu", "id": "cpu3", **_props(3)},
     _error(f"Invalid CPU type, expected cpu type: '{CPU}'"), []),
    ("device_del", {"id": BOOT[1]}, _error(COLD_BOOTED_UNPLUG_REFUSAL), []),
    ("device_del", {"id": BOOT[0]}, _error(COLD_BOOTED_UNPLUG_REFUSAL), []),
    ("device_del", {"id": "cpu2"}, OK,
     [_ost(2, 3, 0x84, "cpu2"), _deleted(WITH_CPU2[2], "cpu2"), _ost(2, 3, 0, None)]),
    ("query-hotpluggable-cpus", None, _hotpluggable(BOOT), []),
    ("query-cpus-fast", None, _cpus_fast(BOOT), []),
]

REFERENCE_DIFFERENCES = {
    8: (OK, [_ost(1, 3, 0x84, None), _deleted(BOOT[1], None), _ost(1, 3, 0, None)]),
    9: (_error("Boot CPU(id0=0:0:0:0) hot-unplug not supported"), []),
}
"""Session index -> what ``reference`` answers instead: it ejects cold-booted CPU 1 (an orchestrator may
scale below ``cpus``) and names the boot CPU's own rule for CPU 0."""


def reference_session() -> list[tuple[str, dict | None, dict, list[dict]]]:
    session = list(QEMU_SESSION)
    for index, (reply, events) in REFERENCE_DIFFERENCES.items():
        command, args, _, _ = session[index]
        session[index] = (command, args, reply, events)
    for index in range(max(REFERENCE_DIFFERENCES) + 1, len(session)):
        command, args, reply, events = session[index]
        if command == "query-hotpluggable-cpus":
            reply = _hotpluggable({0: BOOT[0]})
        elif command == "query-cpus-fast":
            reply = _cpus_fast({0: BOOT[0]})
        session[index] = (command, args, reply, events)     # CPUs 1 and 2 are gone by then
    return session


class Wire(RawClient):
    """A client that keeps every message in arrival order (timestamps dropped, thread ids masked)."""

    def __init__(self, reader, writer) -> None:
        super().__init__(reader, writer)
        self.wire: list[dict[str, Any]] = []

    async def recv(self) -> dict[str, Any]:
        message = await super().recv()
        message.pop("timestamp", None)
        for cpu in message.get("return", []) if isinstance(message.get("return"), list) else []:
            if "thread-id" in cpu and "cpu-index" in cpu:
                cpu["thread-id"] = "<tid>"
        self.wire.append(message)
        return message


async def _replay(profile: ProfileName, session, tmp_path: Path,
                  guest: GuestConfig | None = None) -> tuple[dict, list, list, list]:
    vm = build_vm(VmSpec(smp=SMP, cpu_type="cortex-a57", profile=profile, guest=guest or GuestConfig()))
    server = QmpServer(vm.backend, thread_id=lambda index: TID_BASE + index, clock=lambda: FIXED_TIME)
    path = tmp_path / "qmp.sock"
    await server.start(UnixAddress(path))
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), TIMEOUT)
        client = Wire(reader, writer)
        greeting = await client.recv()
        replies, events = [], []
        for command, args, _, expected_events in session:
            replies.append(await client.execute(command, args))
            while len(client.events) < len(expected_events):
                client.events.append(await client.recv())
            events.append([e for e in client.events])
            client.events.clear()
        await client.send({"execute": "quit"})
        quit_wire = [await client.recv(), await client.recv()]
        writer.close()
        return greeting, replies, events, quit_wire
    finally:
        await server.close()


def _check(session, result) -> None:
    greeting, replies, events, quit_wire = result
    assert greeting["QMP"]["version"]["qemu"] == {"micro": 50, "minor": 1, "major": 9}
    assert greeting["QMP"]["capabilities"] == ["oob"]
    for (command, args, reply, expected_events), got_reply, got_events in zip(session, replies, events):
        assert got_reply == reply, f"{command} {args}"
        assert got_events == expected_events, f"events after {command} {args}"
    assert [m.get("event") or m for m in quit_wire] == [
        "SHUTDOWN", {"return": {}}]                      # QEMU sends SHUTDOWN before quit's reply
    assert quit_wire[0]["data"] == {"guest": False, "reason": "host-qmp-quit"}


def test_qemu_rfc_v5_replays_the_real_session(tmp_path):
    _check(QEMU_SESSION, asyncio.run(_replay(ProfileName.QEMU_RFC_V5, QEMU_SESSION, tmp_path)))


def test_reference_differs_only_where_documented(tmp_path):
    session = reference_session()
    _check(session, asyncio.run(_replay(ProfileName.REFERENCE, session, tmp_path)))
    differing = [i for i, (a, b) in enumerate(zip(QEMU_SESSION, session)) if a != b]
    assert differing[:2] == sorted(REFERENCE_DIFFERENCES)
    assert all(session[i][0].startswith("query-") for i in differing[2:])   # only the CPU 1 it ejected


def test_the_profiles_agree_on_everything_else(tmp_path):
    """The same session but the refusals, on both: identical replies and events, wire for wire."""
    session = [step for i, step in enumerate(QEMU_SESSION) if i not in REFERENCE_DIFFERENCES]
    results = []
    for profile in ProfileName:
        (tmp_path / profile.value).mkdir()
        results.append(asyncio.run(_replay(profile, session, tmp_path / profile.value)))
    assert results[0][1:] == results[1][1:]
    _check(session, results[0])


def _refused_unplug_session(profile: ProfileName) -> list[tuple[str, dict | None, dict, list[dict]]]:
    """A guest whose CPU 2 cannot go offline refuses each eject (_OST 0x84, then 0x82 busy)."""
    refused = [_ost(2, 3, OstStatus.EJECT_IN_PROGRESS, "cpu2"), _ost(2, 3, OstStatus.DEVICE_BUSY, "cpu2")]
    if profile is ProfileName.REFERENCE:
        refused.append({"event": "DEVICE_UNPLUG_GUEST_ERROR",
                        "data": {"device": "cpu2", "path": WITH_CPU2[2]}})
    return [("qmp_capabilities", None, OK, []),
            ("device_add", ADD_CPU2, OK, [_ost(2, 1, 0, "cpu2")]),
            ("device_del", {"id": "cpu2"}, OK, refused),
            ("device_del", {"id": "cpu2"}, OK, refused),
            ("query-cpus-fast", None, _cpus_fast(WITH_CPU2), [])]


@pytest.mark.parametrize("profile", list(ProfileName), ids=lambda p: p.value)
def test_a_refused_eject_ends_the_unplug_only_in_reference(profile, tmp_path):
    """QEMU's hw/acpi/cpu.c forwards the refusing _OST as ACPI_DEVICE_OST and nothing else: the request
    stands (no DEVICE_UNPLUG_GUEST_ERROR) and a repeated device_del asks the guest again; reference ends
    the unplug with DEVICE_UNPLUG_GUEST_ERROR, after which device_del is a new request."""
    session = _refused_unplug_session(profile)
    guest = GuestConfig(knobs=GuestKnobs(busy_cpus={2}))
    _check(session, asyncio.run(_replay(profile, session, tmp_path, guest)))


# --------------------------------------------------- the rig's transcripts, when they are there --

def _transcripts() -> list[Path]:
    found = []
    for path in sorted(REAL_LINUX.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue
        if data.get("smp") == SMP and data.get("tables", {}).get("variant") == "qemu" and data.get("qmp"):
            found.append(path)
    return found


def _mask(message: dict[str, Any]) -> dict[str, Any]:
    message = json.loads(json.dumps(message))
    message.pop("timestamp", None)
    for cpu in message.get("return", []) if isinstance(message.get("return"), list) else []:
        if isinstance(cpu, dict) and "thread-id" in cpu and "cpu-index" in cpu:
            cpu["thread-id"] = "<tid>"
    return message


@pytest.mark.parametrize("transcript", _transcripts(), ids=lambda p: p.stem)
def test_qemu_rfc_v5_replays_a_recorded_transcript(transcript, tmp_path):
    data = json.loads(transcript.read_text())
    timeline = data["qmp"]
    sends = [e["send"] for e in timeline if "send" in e and e["send"].get("execute") != "quit"]
    real_replies = [_mask(e["reply"]) for e in timeline if "reply" in e and e.get("to") != "quit"]
    real_events = [{"event": e["event"], "data": e.get("data")} for e in timeline
                   if "event" in e and e["event"] != "SHUTDOWN"]
    session = [(s["execute"], s.get("arguments"), None, []) for s in sends]
    quit_at = next((i for i, e in enumerate(timeline) if e.get("send", {}).get("execute") == "quit"), None)
    real_quit = [("event", e["event"]) if "event" in e else ("reply", e["reply"])
                 for e in timeline[quit_at + 1:]] if quit_at is not None else []

    async def run() -> tuple[list, list, list]:
        vm = build_vm(VmSpec(smp=SMP, cpu_type=data.get("cpu_type", CPU), profile=ProfileName.QEMU_RFC_V5))
        server = QmpServer(vm.backend, thread_id=lambda index: TID_BASE + index, clock=lambda: FIXED_TIME)
        await server.start(UnixAddress(tmp_path / "qmp.sock"))
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(str(tmp_path / "qmp.sock")), TIMEOUT)
            client = Wire(reader, writer)
            await client.recv()
            replies = [await client.execute(command, args) for command, args, _, _ in session]
            while len(client.events) < len(real_events):
                client.events.append(await client.recv())
            quit_wire = []
            if real_quit:
                await client.send({"execute": "quit"})
                for _ in real_quit:
                    message = await client.recv()
                    quit_wire.append(("event", message["event"]) if "event" in message else ("reply", message))
            writer.close()
            return replies, [{"event": e["event"], "data": e.get("data")} for e in client.events], quit_wire
        finally:
            await server.close()

    replies, events, quit_wire = asyncio.run(run())
    assert replies == real_replies
    assert events == real_events
    assert quit_wire == real_quit             # SHUTDOWN, then quit's reply, as recorded
