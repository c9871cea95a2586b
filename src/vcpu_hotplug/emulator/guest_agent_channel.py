"""The host end of the guest agent channel: the chardev socket behind ``org.qemu.guest_agent.0``.

libvirt gives QEMU ``-chardev socket,id=charchannel0,fd=N,server=on,wait=off``
(an already-listening unix socket, :meth:`GuestAgentChannel.start_socket`)
or a path ``unix:PATH,server`` (:meth:`GuestAgentChannel.start_unix`), and
the guest's qemu-ga (:class:`vcpu_hotplug.guest.agent.GuestAgent`) answers
what a client writes there. Follows:

- ``chardev/char-socket.c``: a server chardev serves one client at a time;
  ``tcp_chr_new_client`` unsets the listener's accept handler while a
  client is connected and ``tcp_chr_disconnect`` restores it, so a second
  client's connection waits in the listen backlog until the first leaves;
  a unix path is unlinked before ``bind`` and when the chardev closes;
- ``hw/char/virtio-serial-bus.c``: while the guest has not opened the port
  (qemu-ga not running: guest paused in prelaunch, powered off) QEMU reads
  nothing, so requests wait and nothing answers;
- ``qobject/json-lexer.c`` and ``json-streamer.c`` as qemu-ga's
  ``JSONMessageParser`` uses them: the byte stream is cut into JSON values
  (:class:`vcpu_hotplug.qmp.protocol.JsonStreamer`); a byte the lexer can
  never accept (0xFF or 0xFE anywhere, an ASCII control character other
  than whitespace outside strings or any inside one, a non-ASCII byte
  outside a string) is a lexical error: the partial request is dropped,
  the agent answers ``JSON parse error, stray '<token>'`` (the token is the
  unfinished string plus the byte, invalid UTF-8 written as U+FFFD) and the
  lexer skips input until a structural character, a control character or
  0xFE/0xFF (``IN_RECOVERY``). That is how a client's 0xFF before
  ``guest-sync-delimited`` flushes a previous client's partial request: the
  parser lives in qemu-ga, so its state outlives a host connection (and
  starts afresh with a new qemu-ga, e.g. after a guest reboot);
- ``qga/main.c`` ``send_response`` and ``qobject/json-writer.c``: one reply
  per line, keys in QDict order, non-ASCII and control characters as
  ``\\uXXXX``; the reply to ``guest-sync-delimited`` starts with 0xFF.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import stat
from collections.abc import Callable
from typing import Any, Optional, Union

from vcpu_hotplug.guest.agent import QGA_SENTINEL_BYTE, GuestAgent, qdict_key_order
from vcpu_hotplug.qmp.errors import QmpError
from vcpu_hotplug.qmp.protocol import JsonStreamer, Message

READ_SIZE = 4096
"""``QGA_READ_COUNT_DEFAULT`` (qga/guest-agent-core.h)."""
DEFAULT_POLL_INTERVAL = 0.05
"""Seconds between checks whether a guest agent has started while requests wait."""

_SENTINEL = bytes([QGA_SENTINEL_BYTE])
_IMPOSSIBLE_UTF8 = frozenset(b"\xfe\xff")
_JSON_WHITESPACE = frozenset(b" \t\r\n")
_STRUCTURAL = frozenset(b"[]{}:,")
_QUOTE = ord('"')
_BACKSLASH = ord("\\")
_TAB = ord("\t")
_DEL = 0x7F


class AgentStreamSplitter:
    """qemu-ga's ``JSONMessageParser``: bytes in, decoded requests or parse errors out.

    Lexical errors (see the module docstring) are handled here; everything
    else is :class:`JsonStreamer`'s.
    """

    def __init__(self) -> None:
        self._streamer = JsonStreamer()
        self._in_string = False
        self._escape = False
        self._string = bytearray()  # the string token being lexed, opening quote included
        self._recovering = False

    @property
    def pending(self) -> bool:
        """True when part of a request is buffered."""
        return self._streamer.pending

    def feed(self, data: bytes) -> list[Union[Message, QmpError]]:
        out: list[Union[Message, QmpError]] = []
        chunk = bytearray()
        for byte in data:
            if self._recovering:
                if not self._ends_recovery(byte):
                    continue
                self._recovering = False
            if self._is_lexical_error(byte):
                out.extend(self._streamer.feed(bytes(chunk)))
                chunk.clear()
                out.append(self._lexical_error(byte))
                continue
            chunk.append(byte)
            self._track_string(byte)
        out.extend(self._streamer.feed(bytes(chunk)))
        return out

    @staticmethod
    def _ends_recovery(byte: int) -> bool:
        """``IN_RECOVERY``: structural characters, control characters but tab, and 0xFE/0xFF end it."""
        return byte in _STRUCTURAL or byte in _IMPOSSIBLE_UTF8 or (byte < 0x20 and byte != _TAB)

    def _is_lexical_error(self, byte: int) -> bool:
        if byte in _IMPOSSIBLE_UTF8:
            return True
        if self._in_string:
            return byte < 0x20
        return (byte < 0x20 and byte not in _JSON_WHITESPACE) or byte >= _DEL

    def _track_string(self, byte: int) -> None:
        if self._in_string:
            self._string.append(byte)
            if self._escape:
                self._escape = False
            elif byte == _BACKSLASH:
                self._escape = True
            elif byte == _QUOTE:
                self._in_string = False
                self._string.clear()
        elif byte == _QUOTE:
            self._in_string = True
            self._string = bytearray([byte])

    def _lexical_error(self, byte: int) -> QmpError:
        """``JSON_ERROR``: the streamer drops its tokens and reports the stray token; the lexer recovers."""
        token = bytes(self._string) if self._in_string else b""
        token += bytes([byte])
        token = token.split(b"\0", 1)[0]  # the token is a C string
        self._streamer = JsonStreamer()
        self._in_string = False
        self._escape = False
        self._string.clear()
        self._recovering = True
        return QmpError(f"JSON parse error, stray '{token.decode('utf-8', errors='replace')}'")


#: The characters ``quoted_str`` writes as a two-character escape.
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n",
                  "\r": "\\r", "\t": "\\t"}


def _json_string(text: str) -> str:
    """``quoted_str`` (qobject/json-writer.c)."""
    out = ['"']
    for ch in text:
        cp = ord(ch)
        escape = _SHORT_ESCAPES.get(ch)
        if escape is not None:
            out.append(escape)
        elif 0xD800 <= cp <= 0xDFFF:
            out.append("\\uFFFD")  # a lone surrogate is no valid UTF-8 for QEMU
        elif cp > 0xFFFF:
            cp -= 0x10000
            out.append(f"\\u{0xD800 + (cp >> 10):04X}\\u{0xDC00 + (cp & 0x3FF):04X}")
        elif cp < 0x20 or cp >= _DEL:
            out.append(f"\\u{cp:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def to_json(value: Any) -> str:
    """``qobject_to_json`` (compact): ``{"key": value, ...}`` with keys in QDict order."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, dict):
        members = (f"{_json_string(k)}: {to_json(value[k])}" for k in qdict_key_order(value))
        return "{" + ", ".join(members) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def encode_response(reply: dict, delimited: bool = False) -> bytes:
    """``send_response``: the reply on one line, after the 0xFF sentinel when ``delimited``."""
    data = to_json(reply).encode("ascii") + b"\n"
    return _SENTINEL + data if delimited else data


class GuestAgentChannel:
    """The ``org.qemu.guest_agent.0`` chardev socket, served for whichever qemu-ga runs in the guest.

    ``agent_provider`` returns the running agent, or None while the guest is
    not running (then requests wait unanswered).
    """

    def __init__(self, agent_provider: Callable[[], Optional[GuestAgent]], *,
                 poll_interval: float = DEFAULT_POLL_INTERVAL) -> None:
        self._agent_provider = agent_provider
        self._poll_interval = poll_interval
        self._listener: socket.socket | None = None
        self._unix_path: str | None = None
        self._serve_task: asyncio.Task | None = None
        self._splitter = AgentStreamSplitter()
        self._splitter_agent: GuestAgent | None = None
        self._client: asyncio.StreamWriter | None = None

    @property
    def connected(self) -> bool:
        """True while a client is connected (``tcp_chr_is_connected``)."""
        return self._client is not None

    async def start_unix(self, path: str) -> None:
        """Listen on a unix socket at ``path`` (``unix:PATH,server``), replacing a stale socket file."""
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISSOCK(os.lstat(path).st_mode):
                os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(path)
            sock.listen()
        except OSError:
            sock.close()
            raise
        self._unix_path = path
        await self.start_socket(sock)

    async def start_socket(self, sock: socket.socket) -> None:
        """Serve an already-listening socket (``fd=N``: one libvirt created and passed down)."""
        if self._serve_task is not None:
            raise RuntimeError("the guest agent channel is already started")
        sock.setblocking(False)
        self._listener = sock
        self._serve_task = asyncio.get_running_loop().create_task(self._serve(sock))

    async def close(self) -> None:
        """Stop serving: drop the client, close the listening socket, remove its unix path."""
        task, self._serve_task = self._serve_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._unix_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._unix_path)
            self._unix_path = None

    # serving ------------------------------------------------------------------------------------

    async def _serve(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # Accept only while no client is connected: the next one waits in the backlog.
            conn, _ = await loop.sock_accept(listener)
            if conn.family == socket.AF_UNIX:
                reader, writer = await asyncio.open_unix_connection(sock=conn)
            else:
                reader, writer = await asyncio.open_connection(sock=conn)
            self._client = writer
            try:
                await self._session(reader, writer)
            except (ConnectionError, OSError):
                pass
            finally:
                self._client = None
                writer.close()
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pending = bytearray()  # read but not yet taken by the guest
        read: asyncio.Future[bytes] | None = None
        try:
            while True:
                agent = self._agent_provider()
                if agent is not None and pending:
                    writer.write(self._process(agent, bytes(pending)))
                    pending.clear()
                    await writer.drain()
                if read is None:
                    read = asyncio.ensure_future(reader.read(READ_SIZE))
                timeout = self._poll_interval if pending else None
                done, _ = await asyncio.wait({read}, timeout=timeout)
                if read in done:
                    data = read.result()
                    read = None
                    if not data:
                        return
                    pending += data
        finally:
            if read is not None and not read.done():
                read.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
                    await read

    def _process(self, agent: GuestAgent, data: bytes) -> bytes:
        """Feed the bytes to the agent's parser and collect its responses."""
        if agent is not self._splitter_agent:  # a new qemu-ga starts with a fresh parser
            self._splitter = AgentStreamSplitter()
            self._splitter_agent = agent
        out = bytearray()
        for item in self._splitter.feed(data):
            if isinstance(item, QmpError):
                reply = agent.parse_error(item.desc)
            else:
                reply = agent.handle(item)
                if reply is None:  # a command without success response (guest-shutdown)
                    continue
            out += encode_response(reply, agent.pop_delimit_response())
        return bytes(out)


__all__ = ["AgentStreamSplitter", "GuestAgentChannel", "encode_response", "to_json"]
