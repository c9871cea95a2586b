"""``vcpu-hotplug run`` saving with ``migrate`` and restoring with ``--incoming``, as real processes.

The source is paused in the middle of a hot-add (the insert event raised, the guest not yet told),
saved through ``exec:`` (what ``virsh save`` does) and quit; the destination is started with
``--incoming defer`` (then ``migrate-incoming``) or ``--incoming file:PATH`` and finishes the hot-add
after ``cont`` with the events the uninterrupted VM would have sent. A stream that cannot be loaded
ends the destination with one error line, as QEMU exits after "load of migration failed".
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from qemu.qmp import QMPClient
from qemu.qmp.protocol import ConnectError

from tests.cli.test_run import TIMEOUT, Server, command, execute, next_event, quit_server, servers, start  # noqa: F401

EVENTS_ON = {"capabilities": [{"capability": "events", "state": True}]}
SMP = "cpus=2,maxcpus=8"


async def connect(path: Path) -> QMPClient:
    # The socket file exists from bind(); listen() follows a moment later: retry a refusal briefly.
    for attempt in range(50):
        client = QMPClient("test-migration")
        try:
            await asyncio.wait_for(client.connect(str(path)), TIMEOUT)
            break
        except ConnectError as exc:
            if not isinstance(exc.exc, ConnectionRefusedError) or attempt == 49:
                raise
            await asyncio.sleep(0.02)
    await execute(client, "migrate-set-capabilities", EVENTS_ON)
    return client


async def migration_statuses(listener, until: str) -> list[str]:
    seen = []
    while not seen or seen[-1] != until:
        seen.append((await next_event(listener, "MIGRATION"))["data"]["status"])
    return seen


def save_mid_hot_add(tmp_path: Path, servers: list, state: Path) -> None:
    """A source paused with vCPU 5 just plugged (the guest not yet told), saved through exec:."""
    path = tmp_path / "src.sock"
    server = start(servers, tmp_path, "--smp", SMP, "--qmp", f"unix:{path},server", "--pace", "instant")
    server.wait_for_socket(path)

    async def drive() -> None:
        client = await connect(path)
        with client.listener(("MIGRATION", "STOP", "ACPI_DEVICE_OST")) as listener:
            await execute(client, "stop")
            await next_event(listener, "STOP")
            await execute(client, "device_add", {"driver": "host-arm-cpu", "id": "cpu5", "core-id": 5})
            assert await execute(client, "migrate", {"uri": f"exec:cat > {state}"}) == {}
            assert await migration_statuses(listener, "completed") == ["setup", "active", "completed"]
            assert listener.empty()  # paused: no STOP, and the guest never heard of cpu5
        assert await execute(client, "query-status") == {"status": "postmigrate", "running": False}
        assert (await execute(client, "x-query-guest-cpus"))["online"] == [0, 1]
        await quit_server(client)

    asyncio.run(drive())
    assert server.wait() == 0


async def finish_hot_add(client: QMPClient) -> None:
    """The restored VM was saved paused: it stays paused; cont finishes the hot-add."""
    assert await execute(client, "query-status") == {"status": "paused", "running": False}
    with client.listener(("RESUME", "ACPI_DEVICE_OST", "DEVICE_DELETED")) as listener:
        await execute(client, "cont")
        await next_event(listener, "RESUME")
        ost = await next_event(listener, "ACPI_DEVICE_OST")
        assert ost["data"]["info"] == {"device": "cpu5", "slot": "5", "slot-type": "CPU",
                                       "source": 1, "status": 0}
        for _ in range(200):  # under realtime pacing udev onlines the CPU a little after _OST
            if (await execute(client, "x-query-guest-cpus"))["online"] == [0, 1, 5]:
                break
            await asyncio.sleep(0.01)
        assert (await execute(client, "x-query-guest-cpus"))["online"] == [0, 1, 5]
        await execute(client, "device_del", {"id": "cpu5"})
        deleted = await next_event(listener, "DEVICE_DELETED")
        assert deleted["data"] == {"device": "cpu5", "path": "/machine/peripheral/cpu5"}


def test_save_with_exec_then_restore_with_incoming_defer(tmp_path: Path, servers: list) -> None:
    state = tmp_path / "vm.state"
    save_mid_hot_add(tmp_path, servers, state)
    path = tmp_path / "dst.sock"
    (tmp_path / "dst").mkdir()
    server = start(servers, tmp_path / "dst", "--smp", SMP, "--qmp", f"unix:{path},server",
                   "--pace", "instant", "--incoming", "defer")
    server.wait_for_socket(path)

    async def drive() -> None:
        client = await connect(path)
        assert await execute(client, "query-status") == {"status": "inmigrate", "running": False}
        with client.listener(("MIGRATION",)) as listener:
            await execute(client, "migrate-incoming", {"uri": f"exec:cat {state}"})
            assert await migration_statuses(listener, "completed") == ["setup", "active", "completed"]
        assert await execute(client, "query-migrate") == {"status": "completed"}
        await finish_hot_add(client)
        await quit_server(client)

    asyncio.run(drive())
    assert server.wait() == 0


def test_restore_with_incoming_file_at_startup(tmp_path: Path, servers: list) -> None:
    state = tmp_path / "vm.state"
    save_mid_hot_add(tmp_path, servers, state)
    path = tmp_path / "dst.sock"
    (tmp_path / "dst").mkdir()
    server = start(servers, tmp_path / "dst", "--smp", SMP, "--qmp", f"unix:{path},server",
                   "--incoming", f"file:{state}")   # realtime pacing, the default
    server.wait_for_socket(path)

    async def drive() -> None:
        client = await connect(path)
        await finish_hot_add(client)
        await quit_server(client)

    asyncio.run(drive())
    assert server.wait() == 0


@pytest.mark.parametrize("damage, says", [
    (lambda data: data[:-10], "the stream is truncated: the header announces"),
    (lambda data: data[:-1] + bytes([data[-1] ^ 1]), "the stream is corrupt: its SHA-256 checksum does not match"),
    (lambda data: b"not a saved VM", "not a saved vcpu-hotplug VM"),
])
def test_a_stream_that_cannot_load_ends_the_destination_with_one_line(tmp_path: Path, servers: list,
                                                                     damage, says: str) -> None:
    state = tmp_path / "vm.state"
    save_mid_hot_add(tmp_path, servers, state)
    state.write_bytes(damage(state.read_bytes()))
    proc = subprocess.run([*command(), "run", "--no-tui", "--smp", SMP, "--qmp",
                           f"unix:{tmp_path / 'dst.sock'},server", "--incoming", f"file:{state}"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr == f"error: --incoming: load of migration failed: file '{state}': {says}" + \
        proc.stderr.split(says, 1)[1]
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_a_destination_of_another_shape_is_refused_naming_both(tmp_path: Path, servers: list) -> None:
    state = tmp_path / "vm.state"
    save_mid_hot_add(tmp_path, servers, state)
    proc = subprocess.run([*command(), "run", "--no-tui", "--smp", "cpus=2,maxcpus=4", "--qmp",
                           f"unix:{tmp_path / 'dst.sock'},server", "--incoming", f"file:{state}"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"error: --incoming: load of migration failed: file '{state}': the saved VM has -smp "
        f"cpus=2,maxcpus=8,sockets=1,clusters=1,cores=8,threads=1, this one -smp "
        f"cpus=2,maxcpus=4,sockets=1,clusters=1,cores=4,threads=1: start the destination with the "
        "saved VM's configuration")


@pytest.mark.parametrize("uri, says", [
    ("tcp:127.0.0.1:4444", "migration over tcp: is not supported by this VMM: use file:PATH or exec:CMD"),
    ("ftp:x", "unknown migration protocol: ftp:x"),
])
def test_a_bad_incoming_uri_is_one_line(tmp_path: Path, uri: str, says: str) -> None:
    proc = subprocess.run([*command(), "run", "--no-tui", "--qmp", f"unix:{tmp_path / 'q.sock'},server",
                           "--incoming", uri], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr == f"error: --incoming {uri}: {says}\n"


EMULATOR = shutil.which("vcpu-hotplug-system-aarch64", path=os.path.dirname(sys.executable))


@pytest.mark.skipif(EMULATOR is None, reason="console script not installed")
def test_the_qemu_compatible_emulator_restores_from_an_inherited_fd_as_libvirt_passes_it(
        tmp_path: Path, servers: list) -> None:
    """``-S -incoming fd:N`` with the saved file open as descriptor N (libvirt's ``virsh restore``):
    paused after the load (-S), ``cont`` finishes the hot-add."""
    state = tmp_path / "vm.state"
    save_mid_hot_add(tmp_path, servers, state)
    path = tmp_path / "emu.sock"
    with state.open("rb") as saved:
        fd = saved.fileno()
        proc = subprocess.Popen([str(EMULATOR), "-machine", "virt", "-cpu", "host", "-smp", SMP, "-S",
                                 "-nographic", "-qmp", f"unix:{path},server=on,wait=off", "-incoming", f"fd:{fd}"],
                                pass_fds=(fd,), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "VCPU_HOTPLUG_PACE": "instant"})
    try:
        deadline = time.monotonic() + 20
        while not path.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)

        async def drive() -> None:
            client = await connect(path)
            assert await execute(client, "query-migrate") == {"status": "completed"}
            await finish_hot_add(client)
            await quit_server(client)

        asyncio.run(drive())
        assert proc.wait(TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]


def test_a_deferred_load_that_fails_ends_the_process_with_the_reason(tmp_path: Path, servers: list) -> None:
    state = tmp_path / "vm.state"
    state.write_bytes(b"VCPUHP-VMSTATE\n{")
    path = tmp_path / "dst.sock"
    server = start(servers, tmp_path, "--smp", SMP, "--qmp", f"unix:{path},server", "--pace", "instant",
                   "--incoming", "defer")
    server.wait_for_socket(path)

    async def drive() -> None:
        client = await connect(path)
        assert await execute(client, "migrate-incoming", {"uri": f"file:{state}"}) == {}
        with contextlib.suppress(EOFError):
            await asyncio.wait_for(client.disconnect(), TIMEOUT)

    asyncio.run(drive())
    assert server.wait() == 1
    assert server.stderr == (f"error: load of migration failed: file '{state}': the stream is truncated "
                             f"({len(state.read_bytes())} bytes, inside the header)\n")
