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
async def session(vm: VirtualMachine, path: Path, *, events: bool = True) -> AsyncIterator[Session]:
    server = QmpServer(vm.backend)
    await server.start(UnixAddress(path))
    client = QMPClient("migration-test")
    try:
        await asyncio.wait_for(client.connect(str(path)), TIMEOUT)
        with client.listener() as listener:
            s = Session(server, client, listener)
            if events:
                await s.execute("migrate-set-capabilities", EVENTS_ON)
            yield s
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


