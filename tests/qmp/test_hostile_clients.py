"""Hostile QMP clients against a real VM over a real unix socket (issue 11).

Each case sends what a careless or hostile client may send (integers longer
than Python's 4,300-digit limit, a 5,000-digit ``core-id`` string, a bare
scalar over the 1 MiB token limit, numbers no double holds, non-ASCII digits,
clients that never read, too many clients) and ends the same way: a fresh
client gets correct answers, the VM is as it was, and the server caught no
internal error.
"""

from __future__ import annotations

import asyncio
import json
import socket
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from vcpu_hotplug.qmp.protocol import MAX_MESSAGE_SIZE
from vcpu_hotplug.qmp.server import (NOTICE_DISCONNECTED, NOTICE_EVENTS_DROPPED, NOTICE_REFUSED,
                                     WRITE_HIGH_WATER, QmpServer, UnixAddress)
from vcpu_hotplug.vm import VirtualMachine, VmSpec, build_vm

from .client import TIMEOUT, RawClient, run

STATUS_OK = {"return": {"status": "running", "running": True}}


def error(desc: str, cls: str = "GenericError") -> dict[str, Any]:
    return {"error": {"class": cls, "desc": desc}}


def strict_json(line: bytes) -> Any:
    """Parse as RFC 8259 JSON: NaN, Infinity and -Infinity are errors."""
    def refuse(name: str) -> Any:
        raise AssertionError(f"invalid JSON constant {name} on the wire: {line[:80]!r}")
    return json.loads(line, parse_constant=refuse)


async def vm_state(client: RawClient) -> tuple[Any, ...]:
    """What a management client sees of the VM, and the guest's own masks."""
    slots = await client.execute("query-hotpluggable-cpus")
    cpus = await client.execute("query-cpus-fast")
    guest = (await client.execute("x-query-guest-cpus"))["return"]
    guest.pop("log", None)
    return slots, cpus, guest


async def fresh_client_sees(path: Path, state: tuple[Any, ...]) -> None:
    client = await RawClient.connect_unix(path)
    try:
        await client.negotiate()
        assert await client.execute("query-status", id=1) == {**STATUS_OK, "id": 1}
        assert await vm_state(client) == state
    finally:
        await client.close()


@asynccontextmanager
async def hostile(tmp_path: Path, smp: str = "cpus=2,maxcpus=4", **server_options: Any
                  ) -> AsyncIterator[tuple[QmpServer, Path, VirtualMachine]]:
    """A VM (2 of 4 vCPUs) served on a unix socket; on exit, a fresh client checks it."""
    vm = build_vm(VmSpec(smp=smp))
    path = tmp_path / "qmp.sock"
    server = QmpServer(vm.backend, **server_options)
    await asyncio.wait_for(server.start(UnixAddress(path)), TIMEOUT)
    try:
        first = await RawClient.connect_unix(path)
        await first.negotiate()
        before = await vm_state(first)
        await first.close()
        yield server, path, vm
        await fresh_client_sees(path, before)
        assert server.internal_errors == []
    finally:
        await asyncio.wait_for(server.close(), TIMEOUT)


def test_an_integer_beyond_4300_digits_is_a_json_parse_error_and_the_connection_stays(
        tmp_path: Path) -> None:
    huge = "9" * 5000

    async def main() -> None:
        async with hostile(tmp_path) as (server, path, vm):
            client = await RawClient.connect_unix(path)
            await client.negotiate()
            for raw in (f'{{"execute": "query-status", "id": {huge}}}',
                        f'{{"execute": "device_add", "arguments": {{"driver": "host-arm-cpu", '
                        f'"core-id": {huge}}}}}', f"-{huge}"):
                await client.send_raw(raw.encode() + b"\n")
                assert await client.reply() == error("JSON parse error, number out of range")
            assert await client.execute("query-status") == STATUS_OK
            await client.close()

    run(main())


def test_device_add_with_a_5000_digit_core_id_string_gets_a_clear_error(tmp_path: Path) -> None:
    async def main() -> None:
        async with hostile(tmp_path) as (server, path, vm):
            client = await RawClient.connect_unix(path)
            await client.negotiate()
            for digits in ("5" * 5000, "0" * 5000 + "3" * 20, "-" + "7" * 5000):
                reply = await client.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu2",
                                                            "core-id": digits})
                assert reply == error("Parameter 'core-id' expects integer")
            # Leading zeros are no reason to refuse a small number (strtoll reads them).
            assert await client.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu2",
                                                       "core-id": "0" * 5000 + "2"}) == {"return": {}}
            await client.wait_event("ACPI_DEVICE_OST")
            assert await client.execute("device_del", {"id": "cpu2"}) == {"return": {}}
            await client.wait_event("DEVICE_DELETED")
            await client.close()

    run(main())


@pytest.mark.parametrize("end", [b" ", b"\n", b"\r\n", b""])
def test_a_bare_scalar_over_the_token_limit_does_not_swallow_the_next_command(
        tmp_path: Path, end: bytes) -> None:
    """A top-level number over 1 MiB ends at whitespace (or at the next '{'): the next request
    is answered."""
    async def main() -> None:
        async with hostile(tmp_path) as (server, path, vm):
            client = await RawClient.connect_unix(path)
            await client.negotiate()
            await client.send_raw(b"1" * (MAX_MESSAGE_SIZE + 4096) + end
                                  + b'{"execute": "query-status", "id": "next"}\n')
            assert await client.reply() == error("JSON token size limit exceeded")
            assert await client.reply() == {**STATUS_OK, "id": "next"}
            await client.close()

    run(main())


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1E+999", "-0.5e99999",
                                    "1" * 400 + ".0"])
def test_numbers_no_double_holds_are_refused_and_nothing_invalid_is_written(
        tmp_path: Path, number: str) -> None:
    """QEMU's parser makes them inf and its writer would echo ``inf``; here they are parse
    errors, nothing runs, and every line written is strict JSON."""
    async def main() -> None:
        async with hostile(tmp_path) as (server, path, vm):
            reader, writer = await asyncio.open_unix_connection(str(path))
            lines = [await asyncio.wait_for(reader.readline(), TIMEOUT)]
            requests = [b'{"execute": "qmp_capabilities"}',
                        f'{{"execute": "query-status", "id": {number}}}'.encode(),
                        f'{{"execute": "device_add", "id": {number}, "arguments": '
                        f'{{"driver": "host-arm-cpu", "id": "cpu2", "core-id": 2}}}}'.encode(),
                        f'{{"execute": "device_add", "arguments": {{"driver": "host-arm-cpu", '
                        f'"core-id": {number}}}}}'.encode(),
                        b'{"execute": "query-status", "id": 1.5e308}']
            writer.write(b"\n".join(requests) + b"\n")
            for _ in requests:
                lines.append(await asyncio.wait_for(reader.readline(), TIMEOUT))
            replies = [strict_json(line) for line in lines]
            assert replies[1:] == [{"return": {}}] + [
                error("JSON parse error, number out of range")] * 3 + [{**STATUS_OK, "id": 1.5e308}]
            writer.close()

    run(main())


@pytest.mark.parametrize("core_id", ["\u0663", "\U0001d7d5", "5\n", "3 ", "\uff13", "3\u00a0",
                                     "0x3", "3.0", ""])
def test_topology_ids_are_ascii_decimal_as_qemu_strtoi64_reads_them(tmp_path: Path,
                                                                     core_id: str) -> None:
    """Arabic-Indic and mathematical digits, full-width digits, a trailing newline or space:
    refused as QEMU refuses them (C isdigit, nothing after the number)."""
    async def main() -> None:
        async with hostile(tmp_path) as (server, path, vm):
            client = await RawClient.connect_unix(path)
            await client.negotiate()
            assert await client.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu3",
                                                       "core-id": core_id}) == \
                error("Invalid parameter type for 'core-id', expected: integer")
            assert await client.execute("query-status") == STATUS_OK
            await client.close()

    run(main())


def test_leading_whitespace_and_a_sign_are_accepted_as_strtoll_does(tmp_path: Path) -> None:
    async def main() -> None:
        async with hostile(tmp_path) as (server, path, vm):
            client = await RawClient.connect_unix(path)
            await client.negotiate()
            assert await client.execute("device_add", {"driver": "host-arm-cpu", "id": "cpu3",
                                                       "core-id": " \t+3"}) == {"return": {}}
            await client.wait_event("ACPI_DEVICE_OST")
            assert await client.execute("device_del", {"id": "cpu3"}) == {"return": {}}
            await client.wait_event("DEVICE_DELETED")
            await client.close()

    run(main())


async def plug_unplug(client: RawClient, cycles: int, core: int = 2) -> None:
    for _ in range(cycles):
        assert await client.execute("device_add", {"driver": "host-arm-cpu", "id": "cpux",
                                                   "core-id": core}) == {"return": {}}
        assert await client.execute("device_del", {"id": "cpux"}) == {"return": {}}
        await client.wait_event("DEVICE_DELETED")
        client.events.clear()


async def idle_connection(path: Path, rcvbuf: int = 4096) -> tuple[socket.socket, asyncio.StreamWriter]:
    """A client that negotiates, then never reads again (a small receive buffer, so the
    server's side fills fast)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(str(path))
    sock.setblocking(False)
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    await asyncio.wait_for(reader.readline(), TIMEOUT)
    writer.write(b'{"execute": "qmp_capabilities"}\n')
    assert strict_json(await asyncio.wait_for(reader.readline(), TIMEOUT)) == {"return": {}}
    return sock, writer


def test_idle_clients_that_never_read_lose_their_oldest_events_not_the_servers_memory(
        tmp_path: Path) -> None:
    backlog = 32 * 1024

    async def main() -> None:
        async with hostile(tmp_path, "cpus=1,maxcpus=64", max_backlog=backlog) as (server, path, vm):
            idle = [await idle_connection(path) for _ in range(4)]
            client = await RawClient.connect_unix(path)
            await client.negotiate()
            await plug_unplug(client, 20)
            for _ in range(20):  # about 250 events each: 1 -> 64 -> 1
                for count in (64, 1):
                    assert await client.execute("x-set-vcpus", {"count": count}) == {"return": {}}
                client.events.clear()
            # Each idle client holds at most the bound plus the transport's own buffer.
            backlogs = server.client_backlogs()
            assert len(backlogs) == 5
            assert max(backlogs) <= backlog + WRITE_HIGH_WATER + 4096
            assert [e.kind for e in server.notices] == [NOTICE_EVENTS_DROPPED]
            assert list(server.notices)[0].count == 4  # one per idle client
            # They are still connected: one that starts reading gets whole, valid lines.
            sock, writer = idle[0]
            data = b""
            loop = asyncio.get_running_loop()
            while data.count(b"\n") < 20:
                data += await asyncio.wait_for(loop.sock_recv(sock, 65536), TIMEOUT)
            for line in data.split(b"\r\n")[:-1]:
                assert "event" in strict_json(line)
            for _, w in idle:
                w.close()
            await client.close()

    run(main())


def test_a_client_that_never_reads_its_replies_is_disconnected_and_nobody_else_notices(
        tmp_path: Path) -> None:
    async def main() -> None:
        async with hostile(tmp_path, max_backlog=64 * 1024) as (server, path, vm):
            sock, writer = await idle_connection(path)
            other = await RawClient.connect_unix(path)
            await other.negotiate()
            # 20,000 queries sent, none of the answers read.
            writer.write(b'{"execute": "query-hotpluggable-cpus"}' * 20_000)
            for _ in range(200):
                if NOTICE_DISCONNECTED in [e.kind for e in server.notices]:
                    break
                await asyncio.sleep(0.01)
            assert [e.kind for e in server.notices] == [NOTICE_DISCONNECTED]
            assert len(server.client_backlogs()) == 1
            assert await other.execute("query-status") == STATUS_OK
            writer.close()
            await other.close()

    run(main())


def test_connections_beyond_the_limit_are_refused_with_a_clear_error(tmp_path: Path) -> None:
    async def main() -> None:
        async with hostile(tmp_path, max_clients=2) as (server, path, vm):
            first = await RawClient.connect_unix(path)
            second = await RawClient.connect_unix(path)
            refused = await RawClient.connect_unix(path)
            assert refused.greeting == error(
                "Too many QMP connections: this monitor serves at most 2 clients at a time; "
                "close one and connect again")
            assert await asyncio.wait_for(refused.reader.read(), TIMEOUT) == b""
            await first.negotiate()
            assert await first.execute("query-status") == STATUS_OK
            for _ in range(20):
                extra = await RawClient.connect_unix(path)
                assert "error" in extra.greeting
                await extra.close()
            assert [(e.kind, e.count) for e in server.notices] == [(NOTICE_REFUSED, 21)]
            await second.close()
            await refused.close()
            await first.close()
            await asyncio.sleep(0.05)  # the server notices the closes; the fresh client fits

    run(main())
