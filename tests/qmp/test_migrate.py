"""Save/restore over QMP as QEMU does it, with the real client library (``qemu.qmp``) on real sockets.

``migrate`` to ``file:`` and ``exec:``, ``query-migrate``, the ``MIGRATION`` events
(``events`` capability), the source left in ``postmigrate``, and the destination:
``-incoming`` (here :func:`wait_for_incoming` + :func:`load_incoming`, what the CLI does)
and ``-incoming defer`` + ``migrate-incoming``. A VM saved in the middle of a hot-add or an
unplug finishes it on the destination with the events QEMU would send.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import AsyncIterator, Optional

import pytest

qmp = pytest.importorskip("qemu.qmp")
from qemu.qmp import ExecuteError, QMPClient  # noqa: E402

from vcpu_hotplug.migration.stream import MAGIC  # noqa: E402
from vcpu_hotplug.migration.transport import FileUri  # noqa: E402
from vcpu_hotplug.migration.vm_state import enable_migration  # noqa: E402
from vcpu_hotplug.qmp.migration import load_incoming, wait_for_incoming  # noqa: E402
from vcpu_hotplug.qmp.pacing import Pace, make_pacer  # noqa: E402
from vcpu_hotplug.qmp.server import QmpServer, UnixAddress  # noqa: E402
from vcpu_hotplug.vm import VirtualMachine, VmSpec, build_vm  # noqa: E402

from .client import TIMEOUT, run  # noqa: E402

SMP = "cpus=2,maxcpus=8"
EVENTS_ON = {"capabilities": [{"capability": "events", "state": True}]}


def source_vm(smp: str = SMP, **spec: object) -> VirtualMachine:
    vm = build_vm(VmSpec(smp=smp, **spec))  # type: ignore[arg-type]
    enable_migration(vm)
    return vm


def destination_vm(smp: str = SMP, *, autostart: bool = True) -> VirtualMachine:
    """A VM as ``-incoming`` starts it: built stopped, waiting in ``inmigrate``."""
    vm = build_vm(VmSpec(smp=smp, start_paused=True))
    enable_migration(vm)
    wait_for_incoming(vm.backend, autostart=autostart)
    return vm


class Session:
    """A server for one VM and a ``qemu.qmp`` client with a listener on every event."""

    def __init__(self, server: QmpServer, client: QMPClient, listener: object) -> None:
        self.server, self.client, self.listener = server, client, listener
        self.seen: list[dict] = []

    async def execute(self, command: str, arguments: Optional[dict] = None) -> object:
        return await asyncio.wait_for(self.client.execute(command, arguments), TIMEOUT)

    async def event(self, name: str) -> dict:
        while True:
            event = await asyncio.wait_for(self.listener.get(), TIMEOUT)  # type: ignore[attr-defined]
            self.seen.append(event)
            if event["event"] == name:
                return event

    async def drain(self) -> list[tuple[str, object]]:
        """Every event up to now (a round trip first, so none is still in flight)."""
        await self.execute("query-version")
        await asyncio.sleep(0.05)
        self.seen.extend(self.listener.clear())  # type: ignore[attr-defined]
        out = [(e["event"], e.get("data")) for e in self.seen]
        self.seen.clear()
        return out


@contextlib.asynccontextmanager
async def session(vm: VirtualMachine, path: Path, *, events: bool = True,
                  pace: Pace = Pace.INSTANT) -> AsyncIterator[Session]:
    server = QmpServer(vm.backend, pacer=make_pacer(pace, vm.backend))
    await server.start(UnixAddress(path))
    client = QMPClient("migration-test")
    try:
        await asyncio.wait_for(client.connect(str(path)), TIMEOUT)
        with client.listener() as listener:
            s = Session(server, client, listener)
            if events:
                await s.execute("migrate-set-capabilities", EVENTS_ON)
            yield s
        with contextlib.suppress(EOFError):   # the server may have hung up (quit, a failed load)
            await client.disconnect()
    finally:
        await server.close()


def migration_events(events: list[tuple[str, object]]) -> list[str]:
    return [data["status"] for name, data in events if name == "MIGRATION"]  # type: ignore[index]


def test_migrate_to_a_file_stops_the_source_in_postmigrate_with_quemus_events(tmp_path: Path) -> None:
    vm = source_vm()
    state = tmp_path / "vm.state"

    async def main() -> None:
        async with session(vm, tmp_path / "src.sock") as src:
            assert await src.execute("query-migrate") == {}
            assert await src.execute("migrate", {"uri": f"file:{state}"}) == {}
            await src.event("MIGRATION")
            events = await src.drain()
            # migrate_init -> setup, active; the vCPUs stop; completed (migration/migration.c).
            assert [name for name, _ in events] == ["MIGRATION", "MIGRATION", "STOP", "MIGRATION"]
            assert migration_events(events) == ["setup", "active", "completed"]
            assert await src.execute("query-status") == {"status": "postmigrate", "running": False}
            info = await src.execute("query-migrate")
            assert info["status"] == "completed"  # type: ignore[index]
            assert info["ram"]["transferred"] == state.stat().st_size  # type: ignore[index]
            assert {"total-time", "downtime", "setup-time"} <= set(info)  # type: ignore[arg-type]
            with pytest.raises(ExecuteError) as again:
                await src.execute("migrate", {"uri": f"file:{state}"})
            assert str(again.value) == "Can't migrate the vm that was paused due to previous migration"
            # cont runs the source again, as QEMU allows after a completed migration.
            await src.execute("cont")
            await src.event("RESUME")
            assert await src.execute("query-status") == {"status": "running", "running": True}

    run(main())
    assert state.read_bytes().startswith(MAGIC)
    assert state.stat().st_mode & 0o777 == 0o600


def test_migration_events_need_the_events_capability(tmp_path: Path) -> None:
    vm = source_vm()

    async def main() -> None:
        async with session(vm, tmp_path / "src.sock", events=False) as src:
            await src.execute("migrate", {"uri": f"file:{tmp_path / 'vm.state'}"})
            assert [name for name, _ in await src.drain()] == ["STOP"]
            assert (await src.execute("query-migrate"))["status"] == "completed"  # type: ignore[index]

    run(main())


def test_restore_from_a_file_resumes_the_guest_where_it_was(tmp_path: Path) -> None:
    src_vm, state = source_vm(), tmp_path / "vm.state"

    async def save() -> None:
        async with session(src_vm, tmp_path / "src.sock") as src:
            await src.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu5", "core-id": 5})
            await src.event("ACPI_DEVICE_OST")
            await src.execute("migrate", {"uri": f"file:{state}"})
            await src.event("MIGRATION")
            await src.drain()

    run(save())
    dst_vm = destination_vm()

    async def check() -> None:
        async with session(dst_vm, tmp_path / "dst.sock") as dst:
            assert await dst.execute("query-status") == {"status": "inmigrate", "running": False}
            # What -incoming file:PATH does at startup (cli/run.py, emulator/main.py).
            assert load_incoming(dst_vm.backend, dst.server.devices, FileUri(state), events=True,
                                 emit=dst.server.emit_event) is None
            await dst.event("RESUME")
            events = await dst.drain()
            # process_incoming_migration_bh: the VM starts, then 'completed'.
            assert [n for n, _ in events] == ["MIGRATION", "MIGRATION", "RESUME", "MIGRATION"]
            assert migration_events(events) == ["setup", "active", "completed"]
            assert await dst.execute("query-migrate") == {"status": "completed"}
            assert await dst.execute("query-status") == {"status": "running", "running": True}
            guest = await dst.execute("x-query-guest-cpus")
            assert guest["online"] == [0, 1, 5]  # type: ignore[index]
            cpus = await dst.execute("query-cpus-fast")
            assert [c["qom-path"] for c in cpus][-1] == "/machine/peripheral/cpu5"  # type: ignore[index]
            # The restored guest goes on: the hot-added vCPU unplugs by its id.
            await dst.execute("device_del", {"id": "cpu5"})
            deleted = await dst.event("DEVICE_DELETED")
            assert deleted["data"] == {"device": "cpu5", "path": "/machine/peripheral/cpu5"}
            assert (await dst.execute("x-query-guest-cpus"))["online"] == [0, 1]  # type: ignore[index]

    run(check())




def test_migrate_through_an_exec_pipeline_and_a_failing_command(tmp_path: Path) -> None:
    """exec: is how virsh save with a compressor writes; a command that fails fails the migration,
    and a VM that was running runs again (migration_iteration_finish: vm_start on failure)."""
    vm = source_vm()
    state = tmp_path / "vm.state.gz"

    async def main() -> None:
        async with session(vm, tmp_path / "src.sock") as src:
            await src.execute("migrate", {"uri": "exec:echo no space left >&2; exit 3"})
            await src.event("RESUME")
            events = await src.drain()
            assert [n for n, _ in events] == ["MIGRATION", "MIGRATION", "STOP", "MIGRATION", "RESUME"]
            assert migration_events(events) == ["setup", "active", "failed"]
            assert await src.execute("query-migrate") == {
                "status": "failed",
                "error-desc": "exec command 'echo no space left >&2; exit 3' exited with status 3: no space left"}
            assert await src.execute("query-status") == {"status": "running", "running": True}
            # A new migration after a failed one starts afresh.
            await src.execute("migrate", {"uri": f"exec:gzip -c > {state}"})
            await src.event("MIGRATION")
            assert migration_events(await src.drain())[-1] == "completed"
            assert "error-desc" not in await src.execute("query-migrate")  # type: ignore[operator]

    run(main())
    dst_vm = destination_vm()

    async def restore() -> None:
        async with session(dst_vm, tmp_path / "dst.sock") as dst:
            await dst.execute("migrate-incoming", {"uri": f"exec:gzip -dc {state}"})
            await dst.event("RESUME")
            assert await dst.execute("query-status") == {"status": "running", "running": True}

    run(restore())


def test_migrate_refusals_are_quemus(tmp_path: Path) -> None:
    vm = source_vm()

    async def main() -> None:
        async with session(vm, tmp_path / "src.sock") as src:
            async def refused(command: str, arguments: dict) -> str:
                with pytest.raises(ExecuteError) as caught:
                    await src.execute(command, arguments)
                return str(caught.value)

            assert await refused("migrate", {}) == "need either 'uri' or 'channels' argument"
            assert await refused("migrate", {"uri": "foo:bar"}) == "unknown migration protocol: foo:bar"
            assert await refused("migrate", {"uri": "tcp:127.0.0.1:4444"}) == \
                "migration over tcp: is not supported by this VMM: use file:PATH or exec:CMD"
            assert await refused("migrate", {"uri": "fd:migrate"}) == \
                "File descriptor named 'migrate' has not been found"
            assert await refused("migrate-incoming", {"uri": "file:/x"}) == \
                "'-incoming' was not specified on the command line"
            assert await src.drain() == []            # nothing started: no MIGRATION event
            assert await src.execute("query-migrate") == {}
            # A file that cannot be opened fails the command and the migration, before the vCPUs stop.
            bad = tmp_path / "no-such-dir" / "vm.state"
            assert await refused("migrate", {"uri": f"file:{bad}"}) == \
                f"Unable to open {bad}: No such file or directory"
            assert migration_events(await src.drain()) == ["setup", "failed"]
            assert await src.execute("query-status") == {"status": "running", "running": True}

    run(main())


def test_a_vm_that_never_started_has_no_state_to_save(tmp_path: Path) -> None:
    vm = source_vm(start_paused=True)

    async def main() -> None:
        async with session(vm, tmp_path / "src.sock") as src:
            with pytest.raises(ExecuteError, match="prelaunch"):
                await src.execute("migrate", {"uri": f"file:{tmp_path / 'x'}"})

    run(main())


def test_incoming_defer_cont_before_the_load_sets_autostart(tmp_path: Path) -> None:
    """libvirt starts the destination with -S; a cont while in inmigrate only sets autostart
    (qmp_cont), and the VM then runs as soon as its state is loaded, RESUME before completed."""
    state = tmp_path / "vm.state"

    async def save() -> None:
        async with session(source_vm(), tmp_path / "src.sock") as src:
            await src.execute("migrate", {"uri": f"file:{state}"})
            await src.event("MIGRATION")
            await src.drain()

    run(save())
    dst_vm = destination_vm(autostart=False)

    async def main() -> None:
        async with session(dst_vm, tmp_path / "dst.sock") as dst:
            with pytest.raises(ExecuteError, match="Guest is waiting for an incoming migration"):
                await dst.execute("migrate", {"uri": f"file:{tmp_path / 'y'}"})
            assert await dst.execute("cont") == {}
            assert await dst.drain() == []   # no RESUME: nothing runs yet
            assert await dst.execute("query-status") == {"status": "inmigrate", "running": False}
            await dst.execute("migrate-incoming", {"uri": f"file:{state}"})
            await dst.event("RESUME")
            events = await dst.drain()
            assert [n for n, _ in events] == ["MIGRATION", "MIGRATION", "RESUME", "MIGRATION"]
            with pytest.raises(ExecuteError, match="The incoming migration has already been started"):
                await dst.execute("migrate-incoming", {"uri": f"file:{state}"})

    run(main())


def test_without_autostart_a_vm_saved_running_is_restored_paused(tmp_path: Path) -> None:
    state = tmp_path / "vm.state"

    async def save() -> None:
        async with session(source_vm(), tmp_path / "src.sock") as src:
            await src.execute("migrate", {"uri": f"file:{state}"})
            await src.event("MIGRATION")

    run(save())
    dst_vm = destination_vm(autostart=False)

    async def main() -> None:
        async with session(dst_vm, tmp_path / "dst.sock") as dst:
            await dst.execute("migrate-incoming", {"uri": f"file:{state}"})
            await dst.event("MIGRATION")
            assert migration_events(await dst.drain()) == ["setup", "active", "completed"]
            assert await dst.execute("query-status") == {"status": "paused", "running": False}

    run(main())


def test_a_corrupt_stream_fails_the_incoming_migration(tmp_path: Path) -> None:
    """exit-on-error false keeps the destination waiting with the reason in query-migrate; by
    default the destination ends, as QEMU exits after 'load of migration failed'."""
    state = tmp_path / "vm.state"

    async def save() -> None:
        async with session(source_vm(), tmp_path / "src.sock") as src:
            await src.execute("migrate", {"uri": f"file:{state}"})
            await src.event("MIGRATION")

    run(save())
    data = bytearray(state.read_bytes())
    data[-7] ^= 0xFF
    state.write_bytes(bytes(data))
    dst_vm = destination_vm()

    async def keep() -> None:
        async with session(dst_vm, tmp_path / "dst.sock") as dst:
            await dst.execute("migrate-incoming", {"uri": f"file:{state}", "exit-on-error": False})
            await dst.event("MIGRATION")
            assert migration_events(await dst.drain()) == ["setup", "active", "failed"]
            assert await dst.execute("query-migrate") == {
                "status": "failed",
                "error-desc": f"load of migration failed: file '{state}': the stream is corrupt: its "
                              "SHA-256 checksum does not match (changed after it was saved)"}
            assert await dst.execute("query-status") == {"status": "inmigrate", "running": False}

    run(keep())
    dst_vm = destination_vm()

    async def exits() -> None:
        async with session(dst_vm, tmp_path / "dst2.sock") as dst:
            await dst.execute("migrate-incoming", {"uri": f"file:{state}"})
            await asyncio.wait_for(dst.server.wait_closed(), TIMEOUT)

    run(exits())


# ------------------------------------------------------------------ saved mid-operation

async def _events_after_cont(s: Session) -> list[tuple[str, object]]:
    """cont, then every event until the VM is idle again (instant pacing: all follow the reply)."""
    await s.drain()  # what came before (the STOP of prepare) is not part of the comparison
    await s.execute("cont")
    await s.event("RESUME")
    return [(n, d) for n, d in await s.drain() if n not in ("RESUME", "MIGRATION")]


def _mid_operation(tmp_path: Path, name: str, prepare, busy: frozenset = frozenset()) -> list[str]:
    """Run ``prepare`` (leaving the VM paused mid-operation), then either cont at once
    (uninterrupted) or save, restore elsewhere and cont there: the same events follow."""
    from vcpu_hotplug.guest import GuestConfig, GuestKnobs
    guest = GuestConfig(knobs=GuestKnobs(busy_cpus=set(busy)))
    state = tmp_path / f"{name}.state"
    results = {}

    async def uninterrupted() -> None:
        async with session(source_vm(guest=guest), tmp_path / "a.sock") as s:
            await prepare(s)
            results["uninterrupted"] = await _events_after_cont(s)
            results["guest-a"] = await s.execute("x-query-guest-cpus")

    async def saved() -> None:
        async with session(source_vm(guest=guest), tmp_path / "b.sock") as s:
            await prepare(s)
            await s.execute("migrate", {"uri": f"file:{state}"})
            await s.event("MIGRATION")
            await s.drain()

    dst_vm = destination_vm()

    async def restored() -> None:
        async with session(dst_vm, tmp_path / "c.sock") as s:
            await s.execute("migrate-incoming", {"uri": f"file:{state}"})
            await s.event("MIGRATION")
            assert await s.execute("query-status") == {"status": "paused", "running": False}
            results["restored"] = await _events_after_cont(s)
            results["guest-c"] = await s.execute("x-query-guest-cpus")

    run(uninterrupted())
    run(saved())
    run(restored())
    assert results["restored"] == results["uninterrupted"] and results["restored"]
    assert results["guest-c"] == results["guest-a"]
    return [n for n, _ in results["restored"]]


async def _paused_hot_add(s: Session) -> None:
    await s.execute("stop")
    await s.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu6", "core-id": 6})


async def _paused_unplug(s: Session) -> None:
    await s.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu6", "core-id": 6})
    await s.event("ACPI_DEVICE_OST")
    await s.execute("stop")
    await s.execute("device_del", {"id": "cpu6"})


def test_a_hot_add_saved_midway_finishes_with_the_events_of_an_uninterrupted_run(tmp_path: Path) -> None:
    assert _mid_operation(tmp_path, "hot-add", _paused_hot_add) == ["ACPI_DEVICE_OST"]


def test_an_unplug_saved_midway_ends_in_its_device_deleted_on_the_destination(tmp_path: Path) -> None:
    events = _mid_operation(tmp_path, "unplug", _paused_unplug)
    assert events.count("DEVICE_DELETED") == 1 and "DEVICE_UNPLUG_GUEST_ERROR" not in events


def test_an_unplug_of_a_busy_cpu_saved_midway_fails_there_as_it_would_have(tmp_path: Path) -> None:
    events = _mid_operation(tmp_path, "busy-unplug", _paused_unplug, busy=frozenset({6}))
    assert events.count("DEVICE_UNPLUG_GUEST_ERROR") == 1 and "DEVICE_DELETED" not in events


def test_realtime_an_unplug_in_flight_at_the_save_ends_once_across_source_and_destination(
        tmp_path: Path) -> None:
    """Under realtime pacing the guest takes its time (CPU_OFF alone about 110 ms): a migrate sent
    right after device_del saves the unplug in flight; it ends in exactly one DEVICE_DELETED,
    on the source if it got there before the vCPUs stopped, else on the destination."""
    state = tmp_path / "vm.state"
    deleted: list[str] = []

    async def save() -> None:
        async with session(source_vm(), tmp_path / "src.sock", pace=Pace.REALTIME) as src:
            await src.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu5", "core-id": 5})
            await src.event("ACPI_DEVICE_OST")
            await src.execute("device_del", {"id": "cpu5"})
            await src.execute("migrate", {"uri": f"file:{state}"})
            await src.event("MIGRATION")
            await asyncio.sleep(0.3)  # the source is stopped: nothing more may happen there
            deleted.extend("source" for n, _ in await src.drain() if n == "DEVICE_DELETED")

    run(save())
    dst_vm = destination_vm()

    async def restore() -> None:
        async with session(dst_vm, tmp_path / "dst.sock", pace=Pace.REALTIME) as dst:
            await dst.execute("migrate-incoming", {"uri": f"file:{state}"})
            if not deleted:
                event = await dst.event("DEVICE_DELETED")
                assert event["data"] == {"device": "cpu5", "path": "/machine/peripheral/cpu5"}
                deleted.append("destination")
            await dst.drain()
            await asyncio.sleep(0.3)
            assert [n for n, _ in await dst.drain()].count("DEVICE_DELETED") == 0
            assert (await dst.execute("x-query-guest-cpus"))["enabled"] == [0, 1]  # type: ignore[index]
            assert [c["cpu-index"] for c in await dst.execute("query-cpus-fast")] == [0, 1]  # type: ignore[union-attr]

    run(restore())
    assert len(deleted) == 1


def test_migration_parameters_are_reported_and_remembered_as_qemu_checks_them(tmp_path: Path) -> None:
    """libvirt sets parameters before it saves (virsh save: migrate-set-parameters first)."""
    vm = source_vm()

    async def main() -> None:
        async with session(vm, tmp_path / "src.sock") as src:
            params = await src.execute("query-migrate-parameters")
            assert params["downtime-limit"] == 300 and params["max-bandwidth"] == 128 << 20  # type: ignore[index]
            assert params["tls-creds"] == "" and params["mode"] == "normal"  # type: ignore[index]
            await src.execute("migrate-set-parameters", {"max-bandwidth": 1 << 40, "tls-creds": None,
                                                         "downtime-limit": 1000})
            params = await src.execute("query-migrate-parameters")
            assert (params["max-bandwidth"], params["downtime-limit"]) == (1 << 40, 1000)  # type: ignore[index]
            for arguments, says in (({"max-bandwidth": "fast"}, "Invalid parameter type for 'max-bandwidth', "
                                     "expected: integer"),
                                    ({"no-such": 1}, "Parameter 'no-such' is unexpected")):
                with pytest.raises(ExecuteError) as caught:
                    await src.execute("migrate-set-parameters", arguments)
                assert str(caught.value) == says
            # checked whole: nothing of a refused request is applied
            with pytest.raises(ExecuteError):
                await src.execute("migrate-set-parameters", {"downtime-limit": 5, "mode": 3})
            assert (await src.execute("query-migrate-parameters"))["downtime-limit"] == 1000  # type: ignore[index]

    run(main())


def setup_event_precedes_reply(tmp_path: Path) -> bool:
    """Whether this server sends ``MIGRATION`` ``setup`` before the reply to ``migrate-incoming``, as
    QEMU does (``qemu_start_incoming_migration`` sets it within the command). libvirt's restore
    depends on it: right after the reply ``qemuMigrationDstWaitForCompletion`` checks the job, and a
    status still ``none`` (no event seen yet) is "job 'start' is not active"."""
    from .client import RawClient
    vm = destination_vm()

    async def probe() -> bool:
        server = QmpServer(vm.backend)
        path = tmp_path / "order.sock"
        await server.start(UnixAddress(path))
        try:
            client = await RawClient.connect_unix(path)
            await client.negotiate()
            await client.execute("migrate-set-capabilities", EVENTS_ON)
            reply = await client.execute("migrate-incoming", {"uri": f"file:{tmp_path / 'none'}",
                                                              "exit-on-error": False})
            assert reply == {"return": {}}
            before = [e["data"]["status"] for e in client.events if e["event"] == "MIGRATION"]
            await client.close()
            return before[:1] == ["setup"]
        finally:
            await server.close()

    return run(probe())


def test_setup_goes_out_before_the_reply_as_qemu_sends_it(tmp_path: Path) -> None:
    assert setup_event_precedes_reply(tmp_path)
