"""Descriptors passed over the monitor socket (``SCM_RIGHTS``): ``getfd``, ``closefd``, ``fd:NAME``.

What ``virsh save`` relies on (the save file's descriptor sent with ``getfd {"fdname":
"migrate"}``, then ``migrate fd:migrate``), with QEMU's error texts (``monitor/fds.c``) and the
server's own bounds: a descriptor no command takes is closed, a connection holds at most
``MAX_NAMED_FDS`` names, everything a connection held is closed when it ends. Whether the server
still holds a descriptor is seen from the read end of a pipe whose write end was sent: it reads
end-of-file only once every copy of the write end is closed. The server runs in this process, so
``/proc/self/fd`` counts its descriptors too.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from pathlib import Path
from typing import Any, Optional, Sequence

import pytest

from vcpu_hotplug.migration.stream import MAGIC
from vcpu_hotplug.qmp.fds import MAX_FDS_PER_READ, MAX_NAMED_FDS
from vcpu_hotplug.qmp.server import QmpServer, TcpAddress

from .client import TIMEOUT, RawClient, run, running_server
from .fake_backend import FakeCpuBackend
from .test_migrate import destination_vm, migration_events, session, source_vm


class FdClient:
    """A QMP client on a unix socket that can send descriptors with its messages (``sendmsg``)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = b""
        self.events: list[dict[str, Any]] = []

    @classmethod
    async def connect(cls, path: Path, *, negotiate: bool = True) -> "FdClient":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, str(path)), TIMEOUT)
        client = cls(sock)
        assert "QMP" in await client.recv()
        if negotiate:
            assert await client.execute("qmp_capabilities") == {"return": {}}
        return client

    def send_raw(self, data: bytes, fds: Sequence[int] = ()) -> None:
        """One ``sendmsg``: the bytes, and the descriptors riding on them."""
        sent = socket.send_fds(self.sock, [data], list(fds)) if fds else self.sock.send(data)
        assert sent == len(data)

    async def recv(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        while b"\n" not in self._buf:
            data = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), TIMEOUT)
            if not data:
                raise EOFError("server closed the connection")
            self._buf += data
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    async def execute(self, command: str, arguments: Optional[dict] = None,
                      fds: Sequence[int] = ()) -> dict[str, Any]:
        request: dict[str, Any] = {"execute": command}
        if arguments is not None:
            request["arguments"] = arguments
        self.send_raw(json.dumps(request).encode() + b"\n", fds)
        while True:
            message = await self.recv()
            if "event" in message:
                self.events.append(message)
            else:
                return message

    def close(self) -> None:
        self.sock.close()


def error(reply: dict[str, Any]) -> str:
    assert "error" in reply, reply
    assert reply["error"]["class"] == "GenericError", reply
    return reply["error"]["desc"]


class Probe:
    """A pipe: its write end goes to the server, the read end tells whether any copy is still open."""

    def __init__(self) -> None:
        self.r, self.w = os.pipe()
        os.set_blocking(self.r, False)

    def sent(self) -> None:
        """The server has its copy now: drop ours."""
        os.close(self.w)
        self.w = -1

    @property
    def held(self) -> bool:
        try:
            return os.read(self.r, 1) != b""
        except BlockingIOError:
            return True

    def close(self) -> None:
        for fd in (self.r, self.w):
            if fd >= 0:
                os.close(fd)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def settles_at(count: int) -> int:
    """The process's descriptor count, once it is back to ``count`` (the server closes after the
    connection's task ends) or TIMEOUT passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while open_fds() != count and loop.time() < deadline:
        await asyncio.sleep(0.01)
    return open_fds()


async def send_probe(client: FdClient, command: str, arguments: Optional[dict] = None) -> tuple[Probe, dict]:
    probe = Probe()
    reply = await client.execute(command, arguments, fds=[probe.w])
    probe.sent()
    return probe, reply


def fd_scenario(tmp_path: Path, body: Any) -> None:
    async def main() -> None:
        path = tmp_path / "qmp.sock"
        async with running_server(FakeCpuBackend(), path) as server:
            client = await FdClient.connect(path)
            try:
                await body(client, server, path)
            finally:
                client.close()
            assert server.internal_errors == []
    run(main())


# ------------------------------------------------------------------ getfd / closefd

def test_getfd_names_the_descriptor_sent_with_it_and_closefd_closes_it(tmp_path: Path) -> None:
    async def body(client: FdClient, server: QmpServer, path: Path) -> None:
        probe, reply = await send_probe(client, "getfd", {"fdname": "migrate"})
        assert reply == {"return": {}}
        assert probe.held
        assert await client.execute("closefd", {"fdname": "migrate"}) == {"return": {}}
        assert not probe.held
        assert error(await client.execute("closefd", {"fdname": "migrate"})) == \
            "File descriptor named 'migrate' not found"
        probe.close()
    fd_scenario(tmp_path, body)


def test_getfd_refusals_are_qemus_and_close_the_descriptor(tmp_path: Path) -> None:
    async def body(client: FdClient, server: QmpServer, path: Path) -> None:
        assert error(await client.execute("getfd", {"fdname": "migrate"})) == \
            "No file descriptor supplied via SCM_RIGHTS"
        probe, reply = await send_probe(client, "getfd", {"fdname": "1st"})
        assert error(reply) == "Parameter 'fdname' expects a name not starting with a digit"
        assert not probe.held
        probe.close()
        probe, reply = await send_probe(client, "getfd")
        assert error(reply) == "Parameter 'fdname' is missing"
        assert not probe.held  # came with a command that did not take it
        probe.close()
        probe, reply = await send_probe(client, "getfd", {"fdname": 7})
        assert error(reply) == "Invalid parameter type for 'fdname', expected: string"
        assert not probe.held
        probe.close()
    fd_scenario(tmp_path, body)


def test_getfd_of_a_name_in_use_replaces_and_closes_the_old_descriptor(tmp_path: Path) -> None:
    async def body(client: FdClient, server: QmpServer, path: Path) -> None:
        first, reply = await send_probe(client, "getfd", {"fdname": "x"})
        assert reply == {"return": {}}
        second, reply = await send_probe(client, "getfd", {"fdname": "x"})
        assert reply == {"return": {}}
        assert not first.held and second.held
        assert await client.execute("closefd", {"fdname": "x"}) == {"return": {}}
        assert not second.held
        first.close()
        second.close()
    fd_scenario(tmp_path, body)


def test_a_descriptor_reaches_the_command_sent_with_or_right_after_it_and_no_other(tmp_path: Path) -> None:
    async def body(client: FdClient, server: QmpServer, path: Path) -> None:
        # Sent with a command that does not take it: closed once that command is answered.
        probe, reply = await send_probe(client, "query-status")
        assert reply["return"]["status"] == "running"
        assert not probe.held
        probe.close()
        # qemu.qmp's send_fd_scm: the descriptor with one space, the command in the next write.
        probe = Probe()
        client.send_raw(b" ", [probe.w])
        probe.sent()
        await asyncio.sleep(0.05)  # the server has read the space (and the descriptor) by now
        assert probe.held
        assert await client.execute("getfd", {"fdname": "a"}) == {"return": {}}
        assert probe.held
        # ... but a command in between that does not take it closes it.
        late = Probe()
        client.send_raw(b" ", [late.w])
        late.sent()
        assert "return" in await client.execute("query-status")
        assert not late.held
        assert error(await client.execute("getfd", {"fdname": "b"})) == \
            "No file descriptor supplied via SCM_RIGHTS"
        # Two commands in one write with the descriptor: the one that asks takes it.
        both = Probe()
        client.send_raw(b'{"execute": "query-status"}\n{"execute": "getfd", "arguments": {"fdname": "c"}}\n',
                        [both.w])
        both.sent()
        assert "return" in await client.recv()
        assert await client.recv() == {"return": {}}
        assert both.held
        for name, p in (("a", probe), ("c", both)):
            assert await client.execute("closefd", {"fdname": name}) == {"return": {}}
            assert not p.held
            p.close()
        late.close()
    fd_scenario(tmp_path, body)


def test_a_command_takes_the_first_descriptor_of_its_message_and_the_rest_are_closed(tmp_path: Path) -> None:
    async def body(client: FdClient, server: QmpServer, path: Path) -> None:
        probes = [Probe() for _ in range(3)]
        reply = await client.execute("getfd", {"fdname": "first"}, fds=[p.w for p in probes])
        for p in probes:
            p.sent()
        assert reply == {"return": {}}
        assert [p.held for p in probes] == [True, False, False]
        # More than one read can carry: the kernel drops the excess, the server closes the rest.
        many = [Probe() for _ in range(MAX_FDS_PER_READ + 8)]
        before = open_fds()
        reply = await client.execute("query-status", fds=[p.w for p in many])
        for p in many:
            p.sent()
        assert "return" in reply
        assert not any(p.held for p in many)
        assert open_fds() == before - len(many)
        for p in probes + many:
            p.close()
        assert await client.execute("closefd", {"fdname": "first"}) == {"return": {}}
    fd_scenario(tmp_path, body)


def test_named_descriptors_per_connection_are_bounded(tmp_path: Path) -> None:
    async def body(client: FdClient, server: QmpServer, path: Path) -> None:
        probes = []
        for i in range(MAX_NAMED_FDS):
            probe, reply = await send_probe(client, "getfd", {"fdname": f"fd{i}"})
            assert reply == {"return": {}}, i
            probes.append(probe)
        over, reply = await send_probe(client, "getfd", {"fdname": "one-more"})
        assert error(reply) == (f"This monitor connection already holds {MAX_NAMED_FDS} file descriptors "
                                "(getfd): release one with closefd first")
        assert not over.held
        # A name in use may still be given a new descriptor.
        again, reply = await send_probe(client, "getfd", {"fdname": "fd0"})
        assert reply == {"return": {}} and again.held and not probes[0].held
        assert await client.execute("closefd", {"fdname": "fd1"}) == {"return": {}}
        last, reply = await send_probe(client, "getfd", {"fdname": "one-more"})
        assert reply == {"return": {}}
        assert all(p.held for p in probes[2:]) and last.held
        for p in probes + [over, again, last]:
            p.close()
    fd_scenario(tmp_path, body)


def test_getfd_over_tcp_has_no_descriptor(tmp_path: Path) -> None:
    async def main() -> None:
        server = QmpServer(FakeCpuBackend())
        await server.start(TcpAddress("127.0.0.1", 0))
        try:
            client = await RawClient.connect_tcp("127.0.0.1", server.tcp_ports[0])
            await client.negotiate()
            reply = await client.execute("getfd", {"fdname": "migrate"})
            assert error(reply) == "No file descriptor supplied via SCM_RIGHTS"
            assert "return" in await client.execute("query-status")
            await client.close()
        finally:
            await server.close()
    run(main())


# ------------------------------------------------------------------ no leak

def test_every_descriptor_a_connection_held_is_closed_when_it_ends(tmp_path: Path) -> None:
    async def main() -> None:
        path = tmp_path / "qmp.sock"
        async with running_server(FakeCpuBackend(), path) as server:
            await asyncio.sleep(0)
            baseline = open_fds()
            probes: list[Probe] = []
            for round_ in range(20):
                client = await FdClient.connect(path)
                for name in ("migrate", "other"):
                    probe, reply = await send_probe(client, "getfd", {"fdname": name})
                    assert reply == {"return": {}}
                    probes.append(probe)
                pending = Probe()  # arrived, no command yet
                client.send_raw(b" ", [pending.w])
                pending.sent()
                probes.append(pending)
                # Hostile input with descriptors: garbage, an oversized batch, a half message.
                junk = [Probe() for _ in range(4)]
                client.send_raw(b'{"execute": nonsense}\n{"execute": "getfd", "argu', [p.w for p in junk])
                for p in junk:
                    p.sent()
                probes.extend(junk)
                await asyncio.sleep(0.01)
                client.close()
            assert await settles_at(baseline + len(probes)) == baseline + len(probes)  # our read ends
            assert [p for p in probes if p.held] == []
            for p in probes:
                p.close()
            assert open_fds() == baseline
            # And the server still answers.
            client = await FdClient.connect(path)
            assert (await client.execute("query-status"))["return"]["status"] == "running"
            client.close()
            assert server.internal_errors == []
    run(main())


# ------------------------------------------------------------------ fd:NAME in migrate

def test_virsh_saves_way_getfd_then_migrate_fd_name_writes_and_consumes_the_descriptor(tmp_path: Path) -> None:
    """libvirt's qemuMonitorMigrateToFd over the real client library: ``send_fd_scm`` + ``getfd``,
    ``migrate fd:migrate``; the stream lands in the file, the name is gone, nothing stays open;
    the file then restores with ``getfd`` + ``migrate-incoming fd:NAME``."""
    vm = source_vm()
    state = tmp_path / "vm.state"

    def holders(target: Path) -> int:
        return sum(1 for fd in os.listdir("/proc/self/fd")
                   if os.path.realpath(f"/proc/self/fd/{fd}") == str(target))

    async def main() -> None:
        async with session(vm, tmp_path / "src.sock") as src:
            assert await src.execute("device_add", {"driver": "host-arm-cpu", "id": "c2",
                                                    "socket-id": 0, "cluster-id": 0, "core-id": 2,
                                                    "thread-id": 0}) == {}
            await src.event("ACPI_DEVICE_OST")
            before = await src.execute("query-cpus-fast")
            fd = os.open(state, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            src.client.send_fd_scm(fd)
            os.close(fd)
            assert await src.execute("getfd", {"fdname": "migrate"}) == {}
            assert holders(state) == 1
            assert await src.execute("migrate", {"uri": "fd:migrate", "detach": True}) == {}
            await src.event("MIGRATION")
            assert migration_events(await src.drain()) == ["setup", "active", "completed"]
            assert (await src.execute("query-migrate"))["status"] == "completed"  # type: ignore[index]
            assert holders(state) == 0  # the migration closed it when the stream was written
            with pytest.raises(Exception) as gone:
                await src.execute("closefd", {"fdname": "migrate"})
            assert str(gone.value) == "File descriptor named 'migrate' not found"
        assert state.read_bytes().startswith(MAGIC)

        dst_vm = destination_vm()
        async with session(dst_vm, tmp_path / "dst.sock") as dst:
            fd = os.open(state, os.O_RDONLY)
            dst.client.send_fd_scm(fd)
            os.close(fd)
            assert await dst.execute("getfd", {"fdname": "incoming"}) == {}
            assert await dst.execute("migrate-incoming", {"uri": "fd:incoming"}) == {}
            assert (await dst.execute("query-migrate"))["status"] == "completed"  # type: ignore[index]
            assert holders(state) == 0
            assert await dst.execute("query-cpus-fast") == before
    run(main())


def test_migrate_fd_refusals_leave_the_name_for_closefd(tmp_path: Path) -> None:
    """libvirt sends closefd when migrate fails: the descriptor must still be there to close."""
    dst_vm = destination_vm()

    async def main() -> None:
        async with session(dst_vm, tmp_path / "dst.sock") as dst:
            async def refused(command: str, arguments: dict) -> str:
                with pytest.raises(Exception) as caught:
                    await dst.execute(command, arguments)
                return str(caught.value)

            probe = Probe()
            dst.client.send_fd_scm(probe.w)
            probe.sent()
            assert await dst.execute("getfd", {"fdname": "migrate"}) == {}
            assert await refused("migrate", {"uri": "fd:migrate"}) == "Guest is waiting for an incoming migration"
            assert probe.held
            assert await refused("migrate", {"uri": "fd:nosuch"}) == \
                "File descriptor named 'nosuch' has not been found"
            assert await refused("migrate-incoming", {"uri": "fd:12abc"}) == \
                "Invalid file descriptor number '12abc'"
            assert await dst.drain() == []  # nothing started
            assert await dst.execute("closefd", {"fdname": "migrate"}) == {}
            assert not probe.held
            probe.close()
    run(main())
