"""Realtime pacing (issue 13): replies first, the guest's events when it gets there, with the documented
latencies, as a real QEMU with a real Linux guest does; instant pacing keeps events right after the reply.

The clients are the real ``qemu.qmp`` library orchestrators use and a raw socket reader; the VM is the
VMM machine with the Linux guest model on it (``build_vm``), served in-process on a unix socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import AsyncIterator, Optional

import pytest

qmp = pytest.importorskip("qemu.qmp")
from qemu.qmp import QMPClient  # noqa: E402

from vcpu_hotplug.guest import GuestConfig, GuestKnobs  # noqa: E402
from vcpu_hotplug.hw.clock import NS_PER_MS, NS_PER_S  # noqa: E402
from vcpu_hotplug.qmp.pacing import (DEFAULT_LATENCIES, InstantPacer, Pace, PacingError,  # noqa: E402
                                     RealtimePacer, StepLatencies, make_pacer)
from vcpu_hotplug.qmp.server import QmpServer, UnixAddress  # noqa: E402
from vcpu_hotplug.vm import VirtualMachine, VmSpec, build_vm  # noqa: E402

from .qmp.client import RawClient  # noqa: E402

TIMEOUT = 5.0
TOLERANCE = 0.2
"""The issue's bound: measured latencies within 20% of the documented ones."""
SMP = "cpus=2,maxcpus=4"
ADD = {"driver": "host-arm-cpu", "id": "cpu2", "core-id": 2}


def vm(guest: Optional[GuestConfig] = None) -> VirtualMachine:
    return build_vm(VmSpec(smp=SMP) if guest is None else VmSpec(smp=SMP, guest=guest))


@contextlib.asynccontextmanager
async def serving(path: Path, machine: VirtualMachine, pacer=None) -> AsyncIterator[QmpServer]:
    server = QmpServer(machine.backend, pacer=pacer)
    await server.start(UnixAddress(path))
    try:
        yield server
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def client(path: Path, name: str = "pacing-test") -> AsyncIterator[QMPClient]:
    qmp_client = QMPClient(name)
    await asyncio.wait_for(qmp_client.connect(str(path)), TIMEOUT)
    try:
        yield qmp_client
    finally:
        await asyncio.wait_for(qmp_client.disconnect(), TIMEOUT)


async def execute(qmp_client: QMPClient, command: str, arguments: Optional[dict] = None) -> object:
    return await asyncio.wait_for(qmp_client.execute(command, arguments), TIMEOUT)


class Timeline:
    """What one client saw, in order: ``(time, what)``, host wall-clock seconds; ``what`` is a command sent,
    a reply as it came, or an event at its ``timestamp`` (the server's clock when it sent the event, as
    QEMU stamps events: the recorded real-Linux latencies run from sending a command to that stamp)."""

    def __init__(self) -> None:
        self.entries: list[tuple[float, str]] = []

    def mark(self, what: str, at: Optional[float] = None) -> float:
        now = time.time() if at is None else at
        self.entries.append((now, what))
        return now

    def when(self, what: str) -> float:
        return next(t for t, w in self.entries if w == what)

    def order(self) -> list[str]:
        return [w for _, w in self.entries]


async def collect(listener: object, timeline: Timeline, names: set[str], until: str) -> None:
    while True:
        event = await asyncio.wait_for(listener.get(), TIMEOUT)  # type: ignore[attr-defined]
        if event["event"] in names:
            what = event["event"]
            data = event.get("data", {})
            if what == "ACPI_DEVICE_OST":
                what = f"OST {data['info']['source']:#x}/{data['info']['status']:#x}"
            stamp = event["timestamp"]
            timeline.mark(what, stamp["seconds"] + stamp["microseconds"] / 1e6)
            if what == until:
                return


def within(measured_s: float, documented_ns: int) -> bool:
    documented_s = documented_ns / NS_PER_S
    return abs(measured_s - documented_s) <= TOLERANCE * documented_s


def assert_latency(what: str, samples: list[float], documented_ns: int) -> None:
    """No sample early, the best within the tolerance: on a loaded machine the wall clock only ever
    adds lateness (a timer that fires late, a process not scheduled), never earliness."""
    shown = ", ".join(f"{sample * 1000:.1f}" for sample in samples)
    documented_ms = documented_ns / NS_PER_MS
    assert all(sample >= (1 - TOLERANCE) * documented_ns / NS_PER_S for sample in samples), \
        f"{what} after {shown} ms: earlier than the documented {documented_ms} ms"
    assert within(min(samples), documented_ns), f"{what} after {shown} ms, documented {documented_ms} ms"


def assert_bracketed_latency(what: str, timelines: list[Timeline], command: str, event: str,
                             documented_ns: int) -> None:
    """For a latency of a few ms, where the server's own time to read a command is not negligible: the VM
    handles ``command`` between its sending and its reply, so no sample from the sending may be early and
    the best from the reply must be within the tolerance."""
    from_send = [t.when(event) - t.when(f"send {command}") for t in timelines]
    from_reply = [t.when(event) - t.when(f"reply {command}") for t in timelines]
    documented_s = documented_ns / NS_PER_S
    shown = ", ".join(f"{a * 1000:.1f}/{b * 1000:.1f}" for a, b in zip(from_send, from_reply))
    assert all(sample >= (1 - TOLERANCE) * documented_s for sample in from_send), \
        f"{what} after {shown} ms (from sending/reply): earlier than the documented {documented_ns / NS_PER_MS} ms"
    assert within(min(from_reply), documented_ns), \
        f"{what} after {shown} ms (from sending/reply), documented {documented_ns / NS_PER_MS} ms"


CYCLES = 3
"""Plug/unplug cycles measured: wall-clock lateness on a loaded machine only ever adds time, so every
sample must not be early and the best one must be within the tolerance."""


def test_realtime_replies_first_and_events_follow_with_the_documented_latencies(tmp_path: Path) -> None:
    machine = vm()
    pacer = RealtimePacer(machine.backend)
    names = {"ACPI_DEVICE_OST", "DEVICE_DELETED"}

    async def cycle(qmp_client: QMPClient, listener: object) -> Timeline:
        timeline = Timeline()
        timeline.mark("send device_add")
        await execute(qmp_client, "device_add", ADD)
        timeline.mark("reply device_add")
        # Two quick commands: their replies come before the guest's _OST, as on real QEMU.
        await execute(qmp_client, "query-status")
        timeline.mark("reply query-status")
        await execute(qmp_client, "query-hotpluggable-cpus")
        timeline.mark("reply query-hotpluggable-cpus")
        await collect(listener, timeline, names, "OST 0x1/0x0")
        await asyncio.sleep(0.05)  # the CPU comes online (udev, CPU_ON, bring-up)
        timeline.mark("send device_del")
        await execute(qmp_client, "device_del", {"id": "cpu2"})
        timeline.mark("reply device_del")
        await collect(listener, timeline, names, "OST 0x3/0x0")
        return timeline

    async def main() -> list[Timeline]:
        async with serving(tmp_path / "qmp.sock", machine, pacer), client(tmp_path / "qmp.sock") as qmp_client:
            with qmp_client.listener(tuple(names)) as listener:
                return [await cycle(qmp_client, listener) for _ in range(CYCLES)]

    timelines = asyncio.run(main())
    for timeline in timelines:
        assert timeline.order() == [
            "send device_add", "reply device_add", "reply query-status", "reply query-hotpluggable-cpus",
            "OST 0x1/0x0",
            "send device_del", "reply device_del",
            "OST 0x3/0x84", "DEVICE_DELETED", "OST 0x3/0x0",
        ]
    # The recorded shape (tests/data/real-linux: device_del -> 0x84 median 12.9 ms, -> DEVICE_DELETED
    # 125-137 ms): the eject's 0x84 when its work starts, DEVICE_DELETED after the offline and _EJ0.
    for first, last, documented in (("send device_add", "OST 0x1/0x0", DEFAULT_LATENCIES.hot_add_ost_ns),
                                    ("send device_del", "DEVICE_DELETED", DEFAULT_LATENCIES.device_deleted_ns)):
        assert_latency(last, [t.when(last) - t.when(first) for t in timelines], documented)
    assert_bracketed_latency("the eject's 0x84", timelines, "device_del", "OST 0x3/0x84",
                             DEFAULT_LATENCIES.eject_started_ns)
    assert pacer.charged >= 4 * CYCLES  # each cycle: the add's notify and work, the bring-up, the eject


async def wire_order(path: Path, commands: list[tuple[str, Optional[dict]]], settle_s: float) -> list[str]:
    """Send ``commands`` one after another on a raw socket (each after the previous reply); the messages
    in the order they came off the wire, until ``settle_s`` passes with nothing more."""
    raw = await RawClient.connect_unix(path)
    await raw.negotiate()
    order: list[str] = []

    async def read_until_reply() -> None:
        while True:
            message = await raw.recv()
            if "event" in message:
                order.append(message["event"])
            else:
                order.append("reply")
                return

    for command, arguments in commands:
        request: dict = {"execute": command}
        if arguments is not None:
            request["arguments"] = arguments
        await raw.send(request)
        await read_until_reply()
        order[-1] = f"reply {command}"
    with contextlib.suppress(asyncio.TimeoutError):
        while True:
            message = await asyncio.wait_for(raw.reader.readline(), settle_s)
            order.append(json.loads(message)["event"])
    await raw.close()
    return order


def test_instant_pace_sends_the_events_before_the_next_reply(tmp_path: Path) -> None:
    machine = vm()

    async def main() -> list[str]:
        async with serving(tmp_path / "qmp.sock", machine, InstantPacer(machine.backend)):
            return await wire_order(tmp_path / "qmp.sock", [("device_add", ADD), ("query-status", None)], 0.2)

    assert asyncio.run(main()) == ["reply device_add", "ACPI_DEVICE_OST", "reply query-status"]


def test_realtime_sends_the_next_replies_before_the_events(tmp_path: Path) -> None:
    """On the wire, as the issue saw from real QEMU: the hot-add's _OST after the next two replies."""
    machine = vm()

    async def main() -> list[str]:
        async with serving(tmp_path / "qmp.sock", machine, RealtimePacer(machine.backend)):
            return await wire_order(tmp_path / "qmp.sock", [("device_add", ADD), ("query-status", None),
                                                            ("query-cpus-fast", None)], 0.3)

    assert asyncio.run(main()) == ["reply device_add", "reply query-status", "reply query-cpus-fast",
                                   "ACPI_DEVICE_OST"]


def test_the_pace_factor_scales_every_latency(tmp_path: Path) -> None:
    machine = vm()
    factor = 2.5
    pacer = RealtimePacer(machine.backend, factor=factor)
    names = {"ACPI_DEVICE_OST", "DEVICE_DELETED"}

    async def main() -> list[Timeline]:
        timelines = []
        async with serving(tmp_path / "qmp.sock", machine, pacer), client(tmp_path / "qmp.sock") as qmp_client:
            with qmp_client.listener(tuple(names)) as listener:
                for _ in range(CYCLES):
                    timeline = Timeline()
                    timeline.mark("send device_add")
                    await execute(qmp_client, "device_add", ADD)
                    await collect(listener, timeline, names, "OST 0x1/0x0")
                    await asyncio.sleep(factor * 0.02)  # online
                    timeline.mark("send device_del")
                    await execute(qmp_client, "device_del", {"id": "cpu2"})
                    timeline.mark("reply device_del")
                    await collect(listener, timeline, names, "OST 0x3/0x0")
                    timelines.append(timeline)
        return timelines

    timelines = asyncio.run(main())
    for first, last, documented in (("send device_add", "OST 0x1/0x0", DEFAULT_LATENCIES.hot_add_ost_ns),
                                    ("send device_del", "DEVICE_DELETED", DEFAULT_LATENCIES.device_deleted_ns)):
        assert_latency(last, [t.when(last) - t.when(first) for t in timelines], round(factor * documented))
    assert_bracketed_latency("the eject's 0x84", timelines, "device_del", "OST 0x3/0x84",
                             round(factor * DEFAULT_LATENCIES.eject_started_ns))


def test_several_clients_see_the_same_events_in_the_same_order(tmp_path: Path) -> None:
    machine = vm()
    fast = StepLatencies(acpi_notify_ns=2 * NS_PER_MS, hot_add_work_ns=3 * NS_PER_MS,
                         next_device_ns=1 * NS_PER_MS, cpu_up_ns=2 * NS_PER_MS, cpu_off_ns=3 * NS_PER_MS,
                         eject_ns=1 * NS_PER_MS)
    pacer = RealtimePacer(machine.backend, fast)
    path = tmp_path / "qmp.sock"

    async def watch(raw: RawClient, count: int) -> list[tuple[str, object]]:
        seen = []
        while len(seen) < count:
            message = await asyncio.wait_for(raw.recv(), TIMEOUT)
            if "event" in message:
                seen.append((message["event"], message.get("data")))
        return seen

    async def main() -> list[list[tuple[str, object]]]:
        async with serving(path, machine, pacer):
            watchers = [await RawClient.connect_unix(path) for _ in range(3)]
            for raw in watchers:
                await raw.negotiate()
            async with client(path) as driver:
                tasks = [asyncio.ensure_future(watch(raw, 8)) for raw in watchers]
                # Two vCPUs plugged back to back, then both unplugged before either is gone.
                await execute(driver, "device_add", ADD)
                await execute(driver, "device_add", {"driver": "host-arm-cpu", "id": "cpu3", "core-id": 3})
                await asyncio.sleep(0.1)
                await execute(driver, "device_del", {"id": "cpu3"})
                await execute(driver, "device_del", {"id": "cpu2"})
                seen = await asyncio.gather(*tasks)
            for raw in watchers:
                await raw.close()
        return seen

    seen = asyncio.run(main())
    assert seen[0] == seen[1] == seen[2]
    events = [name for name, _ in seen[0]]
    assert events.count("DEVICE_DELETED") == 2 and events.count("ACPI_DEVICE_OST") == 6


def test_one_evt_handles_two_hot_adds_and_queued_ejects_wait_their_turn(tmp_path: Path) -> None:
    """Two device_adds sent back to back are found by one _EVT: the second _OST comes next_device_ns
    after the first, not a whole hot-add later (real Linux: 1-4 ms apart). Two device_dels sent back
    to back: kacpi_hotplug is ordered, so the second eject starts when the first has ended (real
    Linux: DEVICE_DELETED 142 and 208 ms, 157 and 242 ms after the two device_dels). The guest has no
    udev, as the recorded one (with udev, the first CPU's bring-up would hold the second's work), and
    onlines both CPUs itself before they are unplugged, as the recorded one did."""
    machine = vm(GuestConfig(knobs=GuestKnobs(auto_online=False)))
    pacer = RealtimePacer(machine.backend)
    names = {"ACPI_DEVICE_OST", "DEVICE_DELETED"}
    lat = DEFAULT_LATENCIES

    async def burst(qmp_client: QMPClient, listener: object, command: str, ids: list[str],
                    wanted: str, count: int) -> list[float]:
        start = asyncio.get_running_loop().time()
        for device in ids:
            arguments = {"id": device}
            if command == "device_add":
                arguments.update(driver="host-arm-cpu", **{"core-id": int(device[3:])})
            await execute(qmp_client, command, arguments)
        times = []
        while len(times) < count:
            event = await asyncio.wait_for(listener.get(), TIMEOUT)  # type: ignore[attr-defined]
            info = event.get("data", {}).get("info", {})
            hot_add_ost = info.get("source") == 1 and info.get("status") == 0  # not an eject's _OST
            if event["event"] == wanted and (wanted == "DEVICE_DELETED" or hot_add_ost):
                times.append(asyncio.get_running_loop().time() - start)
        return times

    async def main() -> list[tuple[list[float], list[float]]]:
        rounds = []
        async with serving(tmp_path / "qmp.sock", machine, pacer), client(tmp_path / "qmp.sock") as qmp_client:
            with qmp_client.listener(tuple(names)) as listener:
                for _ in range(CYCLES):
                    added = await burst(qmp_client, listener, "device_add", ["cpu2", "cpu3"], "ACPI_DEVICE_OST",
                                        2)
                    assert machine.system is not None
                    for cpu in (2, 3):  # echo 1 > cpuN/online (blocks while the bring-up runs)
                        machine.system.sysfs.write(f"cpu{cpu}/online", 1)
                    deleted = await burst(qmp_client, listener, "device_del", ["cpu2", "cpu3"], "DEVICE_DELETED",
                                          2)
                    rounds.append((added, deleted))
        return rounds

    rounds = asyncio.run(main())
    assert_latency("first hot-add _OST", [added[0] for added, _ in rounds], lat.hot_add_ost_ns)
    assert_latency("second hot-add _OST", [added[1] for added, _ in rounds], lat.hot_add_ost_ns + lat.next_device_ns)
    assert_latency("first DEVICE_DELETED", [deleted[0] for _, deleted in rounds], lat.device_deleted_ns)
    assert_latency("second DEVICE_DELETED", [deleted[1] for _, deleted in rounds],
                   lat.device_deleted_ns + lat.next_device_ns + lat.cpu_off_ns + lat.eject_ns)


REFUSALS = 6
"""Refused ejects measured (each takes about 12 ms)."""


def test_a_busy_guest_refuses_the_eject_as_soon_as_the_offline_fails(tmp_path: Path) -> None:
    """A CPU the guest cannot offline: its 0x84 when the eject's work starts, then at once the refusal
    (_OST 0x82, device busy) and DEVICE_UNPLUG_GUEST_ERROR, with no offline or _EJ0 time."""
    machine = vm()
    pacer = RealtimePacer(machine.backend)
    names = {"ACPI_DEVICE_OST", "DEVICE_UNPLUG_GUEST_ERROR", "DEVICE_DELETED"}

    async def main() -> list[Timeline]:
        timelines = []
        async with serving(tmp_path / "qmp.sock", machine, pacer), client(tmp_path / "qmp.sock") as qmp_client:
            with qmp_client.listener(tuple(names)) as listener:
                timeline = Timeline()
                await execute(qmp_client, "device_add", ADD)
                await collect(listener, timeline, names, "OST 0x1/0x0")
                await asyncio.sleep(0.05)  # online
                assert machine.system is not None
                machine.system.knobs.busy_cpus.add(2)
                for _ in range(REFUSALS):
                    timeline = Timeline()
                    timeline.mark("send device_del")
                    await execute(qmp_client, "device_del", {"id": "cpu2"})
                    timeline.mark("reply device_del")
                    await collect(listener, timeline, names, "DEVICE_UNPLUG_GUEST_ERROR")
                    timelines.append(timeline)
        return timelines

    timelines = asyncio.run(main())
    for timeline in timelines:
        assert timeline.order() == ["send device_del", "reply device_del", "OST 0x3/0x84", "OST 0x3/0x82",
                                    "DEVICE_UNPLUG_GUEST_ERROR"]
        # one simulated instant: the refusal is sent with the 0x84
        assert timeline.when("DEVICE_UNPLUG_GUEST_ERROR") - timeline.when("OST 0x3/0x84") < \
            TOLERANCE * DEFAULT_LATENCIES.eject_started_ns / NS_PER_S
    # not before the eject's work starts, and nowhere near an offline's time (the 0x84's own latency is
    # held to 20% by the test above; a refusal charged the offline and _EJ0 would come at 116 ms)
    lat = DEFAULT_LATENCIES
    from_send = [t.when("OST 0x3/0x82") - t.when("send device_del") for t in timelines]
    from_reply = [t.when("OST 0x3/0x82") - t.when("reply device_del") for t in timelines]
    assert min(from_send) >= (1 - TOLERANCE) * lat.eject_started_ns / NS_PER_S, from_send
    assert min(from_reply) < (lat.eject_started_ns + lat.cpu_off_ns / 2) / NS_PER_S, from_reply


def test_paused_vcpus_do_nothing_until_cont(tmp_path: Path) -> None:
    machine = vm()
    pacer = RealtimePacer(machine.backend)
    names = {"ACPI_DEVICE_OST"}

    async def main() -> tuple[int, float]:
        async with serving(tmp_path / "qmp.sock", machine, pacer), client(tmp_path / "qmp.sock") as qmp_client:
            with qmp_client.listener(tuple(names)) as listener:
                await execute(qmp_client, "device_add", ADD)
                await execute(qmp_client, "stop")
                await asyncio.sleep(2 * DEFAULT_LATENCIES.hot_add_ost_ns / NS_PER_S)
                early = listener._queue.qsize() if hasattr(listener, "_queue") else 0
                resumed = asyncio.get_running_loop().time()
                await execute(qmp_client, "cont")
                await asyncio.wait_for(listener.get(), TIMEOUT)
                return early, asyncio.get_running_loop().time() - resumed

    early, after_cont = asyncio.run(main())
    assert early == 0
    # The guest had not got there when stopped: it needs (nearly) the whole latency after cont.
    assert after_cont >= (1 - TOLERANCE) * DEFAULT_LATENCIES.hot_add_ost_ns / NS_PER_S


def test_an_idle_machine_arms_no_timer_and_burns_no_cpu(tmp_path: Path) -> None:
    machine = vm()
    pacer = RealtimePacer(machine.backend)

    async def main() -> tuple[bool, float, bool]:
        async with serving(tmp_path / "qmp.sock", machine, pacer), client(tmp_path / "qmp.sock") as qmp_client:
            with qmp_client.listener(("ACPI_DEVICE_OST",)) as listener:
                await execute(qmp_client, "device_add", ADD)
                busy = pacer.timer_armed
                await asyncio.wait_for(listener.get(), TIMEOUT)
                await asyncio.sleep(0.1)  # bring-up done
                cpu = time.process_time()
                await asyncio.sleep(0.5)
                return busy, time.process_time() - cpu, pacer.timer_armed

    busy, idle_cpu, armed_when_idle = asyncio.run(main())
    assert busy and not armed_when_idle
    assert idle_cpu < 0.1, f"an idle realtime VM used {idle_cpu:.3f} s of CPU in 0.5 s"


def test_bad_pacing_settings_are_refused() -> None:
    machine = vm()
    with pytest.raises(PacingError, match="factor"):
        RealtimePacer(machine.backend, factor=0)
    with pytest.raises(PacingError, match="hot_add_work_ns"):
        StepLatencies(acpi_notify_ns=0, hot_add_work_ns=-1, next_device_ns=0, cpu_up_ns=0, cpu_off_ns=0,
                      eject_ns=0)
    machine.trace.enabled = False
    with pytest.raises(PacingError, match="trace"):
        RealtimePacer(machine.backend)
    machine.trace.enabled = True
    assert isinstance(make_pacer(Pace.INSTANT, machine.backend), InstantPacer)
    assert isinstance(make_pacer(Pace.REALTIME, machine.backend), RealtimePacer)


def test_a_fault_in_a_timed_step_is_counted_and_serving_goes_on(tmp_path: Path) -> None:
    """A host callback that fails while the guest runs on the timer (not inside a command) reaches the
    server's internal error summary; the timer keeps running and later commands are answered."""
    machine = vm()
    pacer = RealtimePacer(machine.backend)
    failures = []

    def failing(event: object) -> None:
        if not failures:
            failures.append(event)
            raise RuntimeError("an observer fell over")
    machine.backend.subscribe(failing)

    async def main() -> tuple[list, object]:
        async with serving(tmp_path / "qmp.sock", machine, pacer) as server, \
                client(tmp_path / "qmp.sock") as qmp_client:
            with qmp_client.listener(("ACPI_DEVICE_OST",)) as listener:
                await execute(qmp_client, "device_add", ADD)
                await asyncio.wait_for(listener.get(), TIMEOUT)  # the guest's step still completed
                status = await execute(qmp_client, "query-status")
                return server.internal_errors.lines(), status

    errors, status = asyncio.run(main())
    assert len(errors) == 1 and "an observer fell over" in errors[0], errors
    assert status == {"status": "running", "running": True}
