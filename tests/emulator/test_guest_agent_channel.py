"""The guest agent channel over real sockets: what libvirt's qemu agent client sees on the wire.

A booted guest runs qemu-ga (:class:`GuestAgent`); the channel serves it on
a unix socket (by path, or an already-listening socket object as libvirt
passes with ``fd=N``). Replies are checked byte for byte where qemu-ga's
format matters (the 0xFF sentinel, QDict key order, ``\\uFFFD``), and
against the guest's sysfs where the request changed the guest.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Optional

from vcpu_hotplug.emulator.guest_agent_channel import (AgentStreamSplitter, GuestAgentChannel,
                                                       encode_response)
from vcpu_hotplug.guest import GuestConfig, GuestKnobs
from vcpu_hotplug.guest.agent import GuestAgent
from vcpu_hotplug.guest.sysfs import SYSFS_CPU_DIR
from vcpu_hotplug.system import System

SMP = "cpus=2,maxcpus=6"
TIMEOUT = 5.0
QUIET = 0.2
"""How long a test waits to be sure that nothing arrives."""
STRAY_FF = b'{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\uFFFD\'"}}\n'


class Client:
    """A raw agent client, as libvirt's: bytes out, lines in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, path: Path) -> "Client":
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), TIMEOUT)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def line(self, timeout: float = TIMEOUT) -> bytes:
        return await asyncio.wait_for(self.reader.readline(), timeout)

    async def reply(self) -> dict:
        return json.loads(await self.line())

    async def execute(self, command: str, arguments: dict | None = None, **extra: Any) -> dict:
        request: dict[str, Any] = {"execute": command, **extra}
        if arguments is not None:
            request["arguments"] = arguments
        await self.send(json.dumps(request).encode() + b"\n")
        return await self.reply()

    async def nothing_arrives(self) -> bool:
        try:
            await asyncio.wait_for(self.reader.read(1), QUIET)
        except asyncio.TimeoutError:
            return True
        return False

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


def build(**knobs: Any) -> System:
    return System.build(SMP, guest=GuestConfig(knobs=GuestKnobs(**knobs)))


def online_mask(system: System) -> str:
    return system.sysfs.read(f"{SYSFS_CPU_DIR}/online").strip()


Body = Callable[[GuestAgentChannel, Path], Awaitable[None]]


def serve(tmp_path: Path, provider: Callable[[], Optional[GuestAgent]], body: Body) -> None:
    """Run ``body`` against a channel listening on ``tmp_path/qga.sock`` (by path)."""
    async def main() -> None:
        path = tmp_path / "qga.sock"
        channel = GuestAgentChannel(provider)
        await channel.start_unix(str(path))
        try:
            await body(channel, path)
        finally:
            await channel.close()
    asyncio.run(asyncio.wait_for(main(), 30))


# ------------------------------------------------------------ the libvirt exchanges

def test_get_and_set_vcpus_over_the_unix_socket(tmp_path: Path) -> None:
    """``virsh guestvcpus`` then ``virsh setvcpus --guest``: a hot-added CPU the guest left offline
    is onlined through the agent."""
    system = build(auto_online=False)
    agent = GuestAgent(system.kernel)

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        client = await Client.connect(path)
        try:
            system.enable(3)
            await client.send(b'{"execute":"guest-get-vcpus","id":"libvirt-1"}\n')
            assert await client.line() == (
                b'{"return": [{"online": true, "can-offline": true, "logical-id": 0}, '
                b'{"online": true, "can-offline": true, "logical-id": 1}, '
                b'{"online": false, "can-offline": true, "logical-id": 3}], "id": "libvirt-1"}\n')
            reply = await client.execute("guest-set-vcpus", {"vcpus": [{"logical-id": 3, "online": True}]})
            assert reply == {"return": 1}
            assert online_mask(system) == "0-1,3"
            vcpus = (await client.execute("guest-get-vcpus"))["return"]
            assert {"online": True, "can-offline": True, "logical-id": 3} in vcpus
        finally:
            await client.close()
    serve(tmp_path, lambda: agent, body)


def test_errors_on_the_wire_carry_qemu_gas_texts_and_ids(tmp_path: Path) -> None:
    system = build()
    agent = GuestAgent(system.kernel)

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        client = await Client.connect(path)
        try:
            await client.send(b'{"execute":"guest-set-vcpus","arguments":{"vcpus":'
                              b'[{"logical-id":1,"online":false},{"logical-id":0,"online":false}]},"id":7}\n')
            assert await client.line() == b'{"return": 1, "id": 7}\n'    # partial success: cpu0 is the last
            await client.send(b'{"execute":"guest-set-vcpus","arguments":{"vcpus":'
                              b'[{"logical-id":0,"online":false}]},"id":8}\n')
            assert await client.line() == (
                b'{"id": 8, "error": {"class": "GenericError", "desc": '
                b'"pwrite(\\"/sys/devices/system/cpu/cpu0//online\\"): Device or resource busy"}}\n')
            assert online_mask(system) == "0"
            await client.send(b'{"execute":"guest-exec","id":"x"}\n')
            assert await client.line() == (b'{"id": "x", "error": {"class": "CommandNotFound", '
                                           b'"desc": "The command guest-exec has not been found"}}\n')
        finally:
            await client.close()
    serve(tmp_path, lambda: agent, body)


def test_guest_sync_echoes_its_id(tmp_path: Path) -> None:
    agent = GuestAgent(build().kernel)

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        client = await Client.connect(path)
        try:
            await client.send(b'{"execute":"guest-sync", "arguments":{"id":1718000000123}}\n')
            assert await client.line() == b'{"return": 1718000000123}\n'
            assert await client.execute("guest-ping", id="p") == {"return": {}, "id": "p"}
        finally:
            await client.close()
    serve(tmp_path, lambda: agent, body)


def test_guest_sync_delimited_reply_starts_with_the_sentinel(tmp_path: Path) -> None:
    """The client precedes the request with 0xFF, as the schema asks: qemu-ga takes that byte for a
    stray token and says so, then the delimited reply comes after the sentinel."""
    agent = GuestAgent(build().kernel)

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        client = await Client.connect(path)
        try:
            await client.send(b'\xff{"execute":"guest-sync-delimited","arguments":{"id":77}}\n')
            assert await client.line() == STRAY_FF
            assert await client.line() == b'\xff{"return": 77}\n'
            # Only that reply is delimited.
            await client.send(b'{"execute":"guest-sync","arguments":{"id":78}}\n')
            assert await client.line() == b'{"return": 78}\n'
        finally:
            await client.close()
    serve(tmp_path, lambda: agent, body)


# ------------------------------------------------------------ framing

def test_a_ff_byte_mid_request_drops_the_partial_request(tmp_path: Path) -> None:
    system = build()
    agent = GuestAgent(system.kernel)

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        client = await Client.connect(path)
        try:
            await client.send(b'{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":1,"online":fal')
            await client.send(b'\xff{"execute":"guest-ping","id":1}\n')
            assert await client.line() == STRAY_FF
            assert await client.line() == b'{"return": {}, "id": 1}\n'
            assert online_mask(system) == "0-1"      # the dropped request never ran
            # Inside a string, the stray token is the string so far.
            await client.send(b'{"execute":"guest-pi\xff{"execute":"guest-ping"}\n')
            assert await client.reply() == {"error": {"class": "GenericError",
                                                      "desc": "JSON parse error, stray '\"guest-pi\ufffd'"}}
            assert await client.reply() == {"return": {}}
        finally:
            await client.close()
    serve(tmp_path, lambda: agent, body)


def test_requests_split_across_writes_and_packed_in_one(tmp_path: Path) -> None:
    agent = GuestAgent(build().kernel)

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        client = await Client.connect(path)
        try:
            for piece in (b'{"execute":', b' "guest-sync", "argu', b'ments": {"id": 3}}'):
                await client.send(piece)
                await asyncio.sleep(0.01)
            assert await client.reply() == {"return": 3}
            await client.send(b'{"execute":"guest-sync","arguments":{"id":4}}'
                              b'{"execute":"guest-sync","arguments":{"id":5}}\n')
            assert [await client.reply(), await client.reply()] == [{"return": 4}, {"return": 5}]
        finally:
            await client.close()
    serve(tmp_path, lambda: agent, body)


def test_malformed_json_gets_a_parse_error_and_the_channel_carries_on(tmp_path: Path) -> None:
    agent = GuestAgent(build().kernel)

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        client = await Client.connect(path)
        try:
            await client.send(b'{"execute": }\n')
            assert await client.line() == \
                b'{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}\n'
            await client.send(b'[1, 2]\n')
            assert await client.reply() == {"error": {"class": "GenericError",
                                                      "desc": "QMP input must be a JSON object"}}
            # A byte-order mark (what .NET's UTF-8 writer prepends) is a stray byte, then the request runs.
            await client.send(b'\xef\xbb\xbf{"execute":"guest-ping"}\n')
            assert await client.line() == STRAY_FF
            assert await client.reply() == {"return": {}}
        finally:
            await client.close()
    serve(tmp_path, lambda: agent, body)


def test_guest_info_on_the_wire(tmp_path: Path) -> None:
    agent = GuestAgent(build().kernel)

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        client = await Client.connect(path)
        try:
            await client.send(b'{"execute":"guest-info"}\n')
            line = await client.line()
            assert line.startswith(b'{"return": {"version": "9.1.50", "supported_commands": '
                                   b'[{"enabled": true, "name": "guest-set-vcpus", "success-response": true}, ')
            names = {c["name"] for c in json.loads(line)["return"]["supported_commands"]}
            assert {"guest-sync", "guest-sync-delimited", "guest-ping", "guest-info",
                    "guest-get-vcpus", "guest-set-vcpus", "guest-shutdown", "guest-file-open",
                    "guest-file-close", "guest-file-read", "guest-file-write", "guest-file-flush"} == names
        finally:
            await client.close()
    serve(tmp_path, lambda: agent, body)


# ------------------------------------------------------------ the chardev

def test_an_already_listening_socket_is_served_like_libvirts_fd(tmp_path: Path) -> None:
    """``-chardev socket,fd=N,server=on,wait=off``: libvirt binds and listens, QEMU inherits the fd."""
    system = build(auto_online=False)
    agent = GuestAgent(system.kernel)
    system.enable(2)

    async def main() -> None:
        path = tmp_path / "inherited.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        listener.listen()
        channel = GuestAgentChannel(lambda: agent)
        await channel.start_socket(listener)
        try:
            client = await Client.connect(path)
            try:
                reply = await client.execute("guest-set-vcpus", {"vcpus": [{"logical-id": 2, "online": True}]})
                assert reply == {"return": 1}
                assert online_mask(system) == "0-2"
            finally:
                await client.close()
        finally:
            await channel.close()
        assert listener.fileno() == -1   # the chardev owned the fd and closed it
    asyncio.run(asyncio.wait_for(main(), 30))


def test_a_second_client_waits_until_the_first_leaves(tmp_path: Path) -> None:
    """char-socket.c stops accepting while a client is connected; the next one is served after."""
    agent = GuestAgent(build().kernel)

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        first = await Client.connect(path)
        assert await first.execute("guest-ping") == {"return": {}}
        assert channel.connected
        second = await Client.connect(path)      # the kernel completes the connect: it sits in the backlog
        try:
            await second.send(b'{"execute":"guest-sync","arguments":{"id":2}}\n')
            assert await second.nothing_arrives()
            assert await first.execute("guest-sync", {"id": 1}) == {"return": 1}
            await first.close()
            assert await second.reply() == {"return": 2}
        finally:
            await second.close()
    serve(tmp_path, lambda: agent, body)


def test_requests_wait_while_the_guest_is_not_running(tmp_path: Path) -> None:
    """No qemu-ga yet (prelaunch, powered off): nothing answers; once it runs, the waiting request is
    answered."""
    system = build()
    running: list[GuestAgent] = []

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        client = await Client.connect(path)
        try:
            await client.send(b'{"execute":"guest-sync","arguments":{"id":11}}\n')
            assert await client.nothing_arrives()
            running.append(GuestAgent(system.kernel))
            assert await client.reply() == {"return": 11}
        finally:
            await client.close()
    serve(tmp_path, lambda: running[0] if running else None, body)


def test_a_partial_request_outlives_its_client_until_a_ff_flushes_it(tmp_path: Path) -> None:
    """The parser is qemu-ga's, inside the guest: a client that leaves mid-request leaves it there,
    which is why the schema tells the next client to send 0xFF before guest-sync-delimited."""
    agent = GuestAgent(build().kernel)

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        first = await Client.connect(path)
        await first.send(b'{"execute":"guest-sync","arguments":{"id":')
        await asyncio.sleep(0.05)
        await first.close()
        second = await Client.connect(path)
        try:
            await second.send(b'\xff{"execute":"guest-sync-delimited","arguments":{"id":12}}\n')
            assert await second.line() == STRAY_FF
            assert await second.line() == b'\xff{"return": 12}\n'
        finally:
            await second.close()
    serve(tmp_path, lambda: agent, body)


def test_a_new_qemu_ga_starts_with_a_fresh_parser(tmp_path: Path) -> None:
    """After a guest reboot the agent is a new process: the old one's partial input is gone."""
    system = build()
    agents = [GuestAgent(system.kernel)]

    async def body(channel: GuestAgentChannel, path: Path) -> None:
        client = await Client.connect(path)
        try:
            await client.send(b'{"execute":"guest-sync","arguments":{"id":')
            await asyncio.sleep(0.05)
            agents.append(GuestAgent(system.reboot()))
            assert await client.execute("guest-sync", {"id": 13}) == {"return": 13}
        finally:
            await client.close()
    serve(tmp_path, lambda: agents[-1], body)


def test_close_removes_the_socket_path(tmp_path: Path) -> None:
    agent = GuestAgent(build().kernel)
    path = tmp_path / "qga.sock"

    async def main() -> None:
        channel = GuestAgentChannel(lambda: agent)
        await channel.start_unix(str(path))
        assert path.is_socket()
        await channel.close()
        assert not path.exists()
        # A stale socket file from an earlier run is replaced, as QEMU unlinks before bind.
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(str(path))
        stale.close()
        channel = GuestAgentChannel(lambda: agent)
        await channel.start_unix(str(path))
        client = await Client.connect(path)
        assert await client.execute("guest-ping") == {"return": {}}
        await client.close()
        await channel.close()
    asyncio.run(asyncio.wait_for(main(), 30))


# ------------------------------------------------------------ the splitter and the writer

def test_lexical_errors_reset_the_parser_and_recover_at_a_structural_character() -> None:
    splitter = AgentStreamSplitter()
    out = splitter.feed(b'{"execute": "guest-ping", "id": 1\x01 junk "x" {"execute":"guest-ping"}')
    assert [getattr(o, "desc", o) for o in out] == ["JSON parse error, stray '\x01'", {"execute": "guest-ping"}]
    assert not splitter.pending
    # A newline inside a string is a control character there.
    out = splitter.feed(b'{"execute": "gue\nst-ping"}')
    assert getattr(out[0], "desc", None) == "JSON parse error, stray '\"gue\n'"


def test_replies_are_written_as_qemus_json_writer_does() -> None:
    assert encode_response({"return": {"s": "a\u00e9\x7f\"\\\n"}}) == \
        b'{"return": {"s": "a\\u00E9\\u007F\\"\\\\\\n"}}\n'
    assert encode_response({"return": 5}, delimited=True) == b'\xff{"return": 5}\n'
    assert encode_response({"return": [], "id": None}) == b'{"return": [], "id": null}\n'
