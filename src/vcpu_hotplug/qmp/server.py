"""The QMP server: asyncio, standard library only.

Follows QEMU's monitor (``monitor/qmp.c``) and ``docs/interop/qmp-spec.rst``:

- on connect the server sends its greeting, which offers the ``oob``
  capability as QEMU's does on a socket monitor (see ``commands``: it can be
  enabled, and then ``exec-oob`` is refused for every command of ours, with
  QEMU's error); the client must send ``qmp_capabilities`` before any other
  command;
- requests of one client are answered in order, one reply per request,
  each on its own line; asynchronous events go to every client that
  completed negotiation (``monitor_qapi_event_emit`` skips the others);
- ``quit``: ``SHUTDOWN`` (``{"guest": false, "reason": "host-qmp-quit"}``,
  qapi/run-state.json) is broadcast, *then* ``quit`` is answered, then every
  connection and the listening socket close. That is QEMU's order:
  ``qmp_quit`` (monitor/qmp-cmds.c) only calls
  ``qemu_system_shutdown_request``; the dispatcher coroutine
  (``qmp_dispatch``, qapi/qmp-dispatch.c) yields to the main loop before it
  returns the reply, and the main loop's ``main_loop_should_exit``
  (system/runstate.c) sends ``SHUTDOWN`` (``qemu_system_shutdown``) and
  leaves; ``monitor_cleanup`` (monitor/monitor.c) then lets the dispatcher
  finish, which writes ``{"return": {}}``, and flushes;
- a client's bad input or disconnect never takes the server down;
- file descriptors sent with ``SCM_RIGHTS`` on a unix socket connection are
  received (asyncio's transports drop them: each connection is read here with
  ``recvmsg``, :class:`~.fds.SocketReader`) and held per connection for
  ``getfd`` / ``closefd`` and ``migrate fd:NAME`` (:mod:`.fds`: QEMU's rules,
  bounded; all closed when the connection ends), which is how ``virsh save``
  hands over its save file.

Bounded per client, for a server that runs for weeks: at most
``max_clients`` connections at a time (QEMU's socket chardev takes one
client per monitor and leaves the others waiting; here one over the limit
gets an error line saying so and is closed); a client's unsent output is at
most ``max_backlog`` bytes: a client that does not read loses its oldest
*events* first, and is disconnected only when its unread *replies* alone pass
the bound. Both are counted in :attr:`QmpServer.notices`. Errors caught so
that the server keeps serving are counted in :attr:`QmpServer.internal_errors`
(type, first message, count), never kept whole: an exception holds its
traceback, and with it the frames and buffers of the code that raised it.

Listening: a unix socket created with mode 0600 from the start (the umask
is narrowed around ``bind``, so no other user can ever connect), or TCP on
loopback unless another address is named. :func:`parse_qmp_address` reads
QEMU's ``-qmp`` forms (``unix:PATH,server[,wait=off]``,
``tcp:HOST:PORT,server``).

Time: a pacer (:mod:`.pacing`) says when the simulated machine and guest
process what a command started. By default (:class:`~.pacing.InstantPacer`)
the backend's ``run_pending`` runs the guest until idle right after the reply,
so the events follow it before the next reply; a
:class:`~.pacing.RealtimePacer` lets simulated time run with the wall clock on
the event loop's timers, and the events go out when the guest gets there.
Either way a command's reply precedes the events it causes, as in QEMU where a
command returns before the guest reacts, and the events that fell due before a
command are sent before its reply.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional, Union

from .. import __version__
from vcpu_hotplug.vmm.psci import SystemEvent

from .backend import BackendEvent, CpuBackend
from .commands import (COMMANDS, OFFERED_CAPABILITIES, Arg, ArgType, Command, CommandContext,
                       QmpCapability, REBOOT_SHUTDOWN, SHUTDOWN_PAUSE, SessionState, VmIdentity,
                       dispatch)
from .fds import MonitorFds, SocketReader, closefd, getfd
from .emulator_info import QEMU_VERSION
from .devices import CpuDeviceTable
from .errors import QmpError
from .pacing import InstantPacer, Pacer
from .protocol import (JsonStreamer, Timestamp, UnencodableMessage, VersionTriple, encode, event,
                       failure, greeting, version_info)

#: Mode of the unix socket: owner read/write only.
UNIX_SOCKET_MODE = 0o600
#: umask that yields UNIX_SOCKET_MODE at bind time.
UNIX_SOCKET_UMASK = 0o177
#: Address TCP listens on when none is named.
DEFAULT_TCP_HOST = "127.0.0.1"
#: Bytes read from a client at a time.
READ_CHUNK = 64 * 1024
#: Output a client may leave unread (queued in the server) before it loses its oldest events,
#: or, when its unread replies alone pass it, its connection. Far above the events of a
#: 512 -> 1 resize of the largest VM (about 250 KB), so a client that reads is never cut.
MAX_CLIENT_BACKLOG = 1 << 20
#: The transport's own buffer: output beyond it waits in the client's bounded queue.
WRITE_HIGH_WATER = 64 * 1024
#: Concurrent QMP connections served; one more gets an error line and is closed.
MAX_CLIENTS = 16
#: Longest error text kept in the internal error summary.
MAX_ERROR_TEXT = 200
#: Distinct kinds kept in a summary; further kinds are counted under OTHER_KIND.
MAX_SUMMARY_KINDS = 64
OTHER_KIND = "other"
#: The event ``quit`` broadcasts, and its data (qapi/run-state.json ``ShutdownCause``).
SHUTDOWN_EVENT = "SHUTDOWN"
QUIT_SHUTDOWN_DATA = {"guest": False, "reason": "host-qmp-quit"}
#: The event of a guest-initiated reset.
RESET_EVENT = "RESET"


@dataclass
class MonitorContext(CommandContext):
    """The context of a command from a monitor connection: with that connection's descriptors."""

    fds: Optional[MonitorFds] = None


#: Commands that need the connection they came on (its descriptors), beside commands.py's table.
CONNECTION_COMMANDS: tuple[Command, ...] = (
    Command("getfd", getfd, (Arg("fdname", ArgType.STR),)),
    Command("closefd", closefd, (Arg("fdname", ArgType.STR),)),
)
#: What a monitor connection can run.
MONITOR_COMMANDS = {**COMMANDS, **{c.name: c for c in CONNECTION_COMMANDS}}


class ServerError(QmpError):
    """The server could not be set up (bad address, path in the way)."""


@dataclass(frozen=True)
class UnixAddress:
    path: Path


@dataclass(frozen=True)
class TcpAddress:
    host: str
    port: int


QmpAddress = Union[UnixAddress, TcpAddress]

_SERVER_FLAGS = {"server", "server=on"}
_IGNORED_FLAGS = {"nowait", "wait=off", "wait=on"}


def parse_qmp_address(spec: str) -> QmpAddress:
    """Parse QEMU's ``-qmp`` chardev form: ``unix:PATH,server`` or ``tcp:HOST:PORT,server``."""
    target, *options = spec.split(",")
    for option in options:
        if option not in _SERVER_FLAGS | _IGNORED_FLAGS:
            raise ServerError(f"Invalid QMP option '{option}' in '{spec}'")
    if not any(option in _SERVER_FLAGS for option in options):
        raise ServerError(f"QMP address '{spec}' must be a listening one: add ',server'")
    kind, _, rest = target.partition(":")
    if kind == "unix" and rest:
        return UnixAddress(Path(rest))
    if kind == "tcp":
        host, sep, port = rest.rpartition(":")
        if sep and port.isdigit():
            return TcpAddress(host.strip("[]") or DEFAULT_TCP_HOST, int(port))
    raise ServerError(f"Invalid QMP address '{spec}': expected unix:PATH,server "
                      "or tcp:HOST:PORT,server")


@dataclass
class SummaryEntry:
    """One kind of incident: its first detail and how often it happened."""

    kind: str
    first: str
    count: int = 1

    def __str__(self) -> str:
        return self.first


class Summary:
    """Incidents counted by kind, each with the text of its first occurrence; bounded.

    Iterating gives the :class:`SummaryEntry` of each kind, in the order first
    seen; an empty summary equals ``[]``.
    """

    def __init__(self, max_kinds: int = MAX_SUMMARY_KINDS) -> None:
        self._entries: dict[str, SummaryEntry] = {}
        self._max_kinds = max_kinds

    def add(self, kind: str, detail: str) -> SummaryEntry:
        entry = self._entries.get(kind)
        if entry is None:
            if len(self._entries) >= self._max_kinds:
                kind, detail = OTHER_KIND, f"{kind}: {detail}"
                entry = self._entries.get(kind)
        if entry is None:
            entry = self._entries[kind] = SummaryEntry(kind, detail[:MAX_ERROR_TEXT], 0)
        entry.count += 1
        return entry

    def add_error(self, exc: BaseException) -> SummaryEntry:
        """Count a caught exception by type; keep only its first message, as text."""
        return self.add(type(exc).__name__, str(exc))

    @property
    def total(self) -> int:
        return sum(entry.count for entry in self._entries.values())

    def __iter__(self) -> Iterator[SummaryEntry]:
        return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Summary):
            return list(self) == list(other)
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    def __repr__(self) -> str:
        return f"Summary({list(self)!r})"

    def lines(self) -> list[str]:
        """``kind: first (N times)`` per kind."""
        return [f"{entry.kind}: {entry.first}" + (f" ({entry.count} times)" if entry.count > 1 else "")
                for entry in self]


#: Kinds of :attr:`QmpServer.notices`.
NOTICE_REFUSED = "connection refused (too many clients)"
NOTICE_EVENTS_DROPPED = "events dropped (client not reading)"
NOTICE_DISCONNECTED = "client disconnected (replies not read)"
NOTICE_UNENCODABLE = "reply replaced (not expressible in JSON)"


@dataclass(eq=False)
class _Client:
    writer: asyncio.StreamWriter
    name: str
    notices: Summary
    max_backlog: int = MAX_CLIENT_BACKLOG
    reader: Optional[SocketReader] = None
    fds: MonitorFds = field(default_factory=MonitorFds)
    session: SessionState = field(
        default_factory=lambda: SessionState(offered=OFFERED_CAPABILITIES))
    dropped_events: int = 0
    _queue: deque = field(default_factory=deque)  # (bytes, is_event), waiting for the transport
    _queued: int = 0
    _flusher: Optional[asyncio.Task] = None

    @property
    def backlog(self) -> int:
        """Bytes sent but not yet taken by the socket (queued here and in the transport)."""
        return self._queued + self.writer.transport.get_write_buffer_size()

    def send(self, message: dict, *, is_event: bool = False) -> None:
        if self.writer.is_closing():
            return
        try:
            data = encode(message)
        except UnencodableMessage as exc:
            self.notices.add(NOTICE_UNENCODABLE, f"{self.name}: {exc.desc}")
            data = encode(failure(exc))
        transport = self.writer.transport
        if not self._queue and transport.get_write_buffer_size() <= WRITE_HIGH_WATER:
            self.writer.write(data)
            return
        self._queue.append((data, is_event))
        self._queued += len(data)
        if self._queued > self.max_backlog:
            self._trim()
        if self._flusher is None and not self.writer.is_closing():
            self._flusher = asyncio.ensure_future(self._flush())

    def _trim(self) -> None:
        """Over the bound: drop the oldest queued events; with only replies left, disconnect."""
        dropped = 0
        kept: deque = deque()
        queue = self._queue
        while queue and self._queued > self.max_backlog:
            data, is_event = queue.popleft()
            if is_event:
                self._queued -= len(data)
                dropped += 1
            else:
                kept.append((data, is_event))
        kept.extend(queue)
        self._queue = kept
        if dropped:
            first = self.dropped_events == 0
            self.dropped_events += dropped
            if first:
                self.notices.add(NOTICE_EVENTS_DROPPED,
                                 f"{self.name} left {self.max_backlog} bytes unread; "
                                 "its oldest events are dropped")
        if self._queued > self.max_backlog:
            self.notices.add(NOTICE_DISCONNECTED,
                             f"{self.name} left {self._queued} bytes of replies unread")
            self._queue.clear()
            self._queued = 0
            self.writer.transport.abort()
            if self.reader is not None:
                self.reader.abort()  # the read side holds the socket too

    async def _flush(self) -> None:
        transport = self.writer.transport
        try:
            while self._queue and not self.writer.is_closing():
                await self.writer.drain()
                while self._queue and transport.get_write_buffer_size() <= WRITE_HIGH_WATER:
                    data, _ = self._queue.popleft()
                    self._queued -= len(data)
                    self.writer.write(data)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._flusher = None

    def discard(self) -> None:
        """The connection is gone: forget what it did not read, close the descriptors it sent."""
        self._queue.clear()
        self._queued = 0
        if self._flusher is not None:
            self._flusher.cancel()
        self.fds.close()
        if self.reader is not None:
            self.reader.close()


class _MonitorProtocol(asyncio.StreamReaderProtocol):
    """A connection whose transport only writes: the server reads the socket itself
    (:class:`~.fds.SocketReader`, ``recvmsg``), so descriptors sent with the bytes are not lost.
    Reading is paused before the transport ever starts it (``connection_made`` runs first)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()
        super().connection_made(transport)


class QmpServer:
    """A QMP monitor for a :class:`CpuBackend`.

    ``clock`` gives event timestamps (host wall-clock seconds);
    ``thread_id(index)`` the host thread of vCPU ``index`` in ``query-cpus-fast``
    (by default a made-up id above this process's; an emulator that runs a
    thread per vCPU gives the real ones); ``identity`` what the VM was started
    as (name, machine, chardevs); ``version`` the QEMU release reported; a
    guest's SYSTEM_OFF ends the server when ``exit_on_shutdown`` (QEMU without
    ``-no-shutdown``); ``max_clients`` bounds the connections served at a time,
    ``max_backlog`` the output a client may leave unread (see the module);
    ``pacer`` when the machine runs (:mod:`.pacing`; instant unless given).
    """

    def __init__(self, backend: CpuBackend, *, clock: Callable[[], float] = time.time,
                 thread_id: Optional[Callable[[int], int]] = None,
                 package: Optional[str] = None, identity: Optional[VmIdentity] = None,
                 version: str = QEMU_VERSION, exit_on_shutdown: bool = False,
                 max_clients: int = MAX_CLIENTS, max_backlog: int = MAX_CLIENT_BACKLOG,
                 pacer: Optional[Pacer] = None) -> None:
        if max_clients < 1:
            raise ServerError("the QMP connection limit must be at least 1")
        self.max_clients = max_clients
        self.max_backlog = max_backlog
        self._backend = backend
        self._clock = clock
        self.pacer: Pacer = pacer if pacer is not None else InstantPacer(backend)
        self._pacer_attached = False
        if thread_id is None:
            base = os.getpid() + 1
            thread_id = lambda index: base + index  # noqa: E731
        self.devices = CpuDeviceTable(backend, thread_id=thread_id)
        self.identity = identity if identity is not None else VmIdentity()
        self._exit_on_shutdown = exit_on_shutdown
        self._version = version_info(VersionTriple.parse(version),
                                     package if package is not None else f"vcpu-hotplug {__version__}")
        self._clients: set[_Client] = set()
        self._tasks: set[asyncio.Task] = set()
        self._servers: list[asyncio.AbstractServer] = []
        self._unix_paths: list[Path] = []
        self._outbox: list[dict] = []
        self._dispatching = False
        self._flush_scheduled = False
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._quit_requested = False
        self._closed: Optional[asyncio.Event] = None
        #: Errors caught so that the server keeps serving (backend failures, unexpected faults),
        #: counted by type with the first message.
        self.internal_errors = Summary()
        #: What the server did to protect itself: refused connections, events dropped for or
        #: connections closed on clients that do not read (kind, first instance, count).
        self.notices = Summary()
        self._connections = 0
        backend.subscribe(self._on_backend_event)

    # ------------------------------------------------------------ listening

    def _attach(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._closed is None:
            self._closed = asyncio.Event()
        if not self._pacer_attached:
            self._pacer_attached = True
            self.pacer.attach(self._loop, self.internal_errors.add_error)

    async def start(self, address: QmpAddress) -> None:
        """Listen on ``address`` (may be called more than once)."""
        self._attach()
        if isinstance(address, UnixAddress):
            await self._start_unix(address.path)
        else:
            await self._start_tcp(address.host, address.port)

    async def _start_unix(self, path: Path) -> None:
        path = Path(path)
        try:
            if stat.S_ISSOCK(path.lstat().st_mode):
                path.unlink()  # a stale socket, as QEMU replaces it
            else:
                raise ServerError(f"Cannot create QMP socket at '{path}': a file is in the way")
        except FileNotFoundError:
            pass
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            old_umask = os.umask(UNIX_SOCKET_UMASK)
            try:
                sock.bind(str(path))
            finally:
                os.umask(old_umask)
            os.chmod(path, UNIX_SOCKET_MODE)
            sock.listen()
        except OSError as exc:
            sock.close()
            raise ServerError(f"Cannot listen on '{path}': {exc.strerror or exc}") from exc
        self._servers.append(await self._loop_of().create_unix_server(self._protocol, sock=sock))
        self._unix_paths.append(path)

    async def start_socket(self, sock: socket.socket) -> None:
        """Serve on an already-listening socket (one inherited as a file descriptor, as libvirt
        passes ``-chardev socket,fd=N,server=on``); every connection made to it is served."""
        self._attach()
        sock.setblocking(False)
        if sock.family == socket.AF_UNIX:
            server = await self._loop_of().create_unix_server(self._protocol, sock=sock)
        else:
            server = await self._loop_of().create_server(self._protocol, sock=sock)
        self._servers.append(server)

    async def _start_tcp(self, host: str, port: int) -> None:
        try:
            server = await self._loop_of().create_server(self._protocol, host, port, reuse_address=True)
        except OSError as exc:
            raise ServerError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        self._servers.append(server)

    def _loop_of(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None
        return self._loop

    def _protocol(self) -> _MonitorProtocol:
        """One connection's protocol (what ``asyncio.start_server`` builds, reading paused)."""
        loop = self._loop_of()
        return _MonitorProtocol(asyncio.StreamReader(loop=loop), self._serve_client, loop=loop)

    @property
    def tcp_ports(self) -> list[int]:
        """The TCP ports listened on (useful when started on port 0)."""
        ports = []
        for server in self._servers:
            for sock in server.sockets:
                if sock.family in (socket.AF_INET, socket.AF_INET6):
                    ports.append(sock.getsockname()[1])
        return ports

    @property
    def quit_requested(self) -> bool:
        return self._quit_requested

    async def wait_closed(self) -> None:
        """Return once the server has shut down (after ``quit`` or :meth:`close`)."""
        if self._closed is None:
            self._closed = asyncio.Event()
        await self._closed.wait()

    async def close(self) -> None:
        """Stop listening, close every connection, remove unix sockets."""
        self.pacer.close()
        for server in self._servers:
            server.close()
        for client in list(self._clients):
            client.writer.close()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        for server in self._servers:
            try:
                await asyncio.wait_for(server.wait_closed(), 1.0)
            except (asyncio.TimeoutError, OSError):
                pass
        self._servers.clear()
        for path in self._unix_paths:
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        self._unix_paths.clear()
        if self._closed is not None:
            self._closed.set()

    async def __aenter__(self) -> "QmpServer":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --------------------------------------------------------------- events

    def emit_event(self, name: str, data: Optional[dict[str, object]] = None) -> None:
        """Broadcast an event to every negotiated client (queued while a command runs).

        With no client in command mode the event is dropped, as QEMU does.
        """
        if not any(client.session.negotiated for client in self._clients):
            return
        self._outbox.append(event(name, data, Timestamp.from_time(self._clock())))
        self._schedule_flush()

    def _emit_event_now(self, name: str, data: Optional[dict[str, object]] = None) -> None:
        """An event a command raises itself, sent at once: before the command's reply, as QEMU's
        monitor sends an event emitted synchronously in a handler (``MIGRATION`` ``setup``)."""
        self.emit_event(name, data)
        self._flush_events()

    def _on_backend_event(self, backend_event: BackendEvent) -> None:
        if isinstance(backend_event, SystemEvent):
            self._on_system_event(backend_event)
            return
        for qmp_event in self.devices.translate(backend_event):
            self.emit_event(qmp_event.name, qmp_event.data)

    def _on_system_event(self, system_event: SystemEvent) -> None:
        """The guest's PSCI SYSTEM_OFF / SYSTEM_RESET (qapi/run-state.json ``SHUTDOWN``, ``RESET``).

        Under ``-no-reboot`` (``set-action reboot=shutdown``) the reset is a shutdown with reason
        ``guest-reset`` (system/runstate.c ``qemu_system_reset_request``); after a shutdown the process
        ends unless ``-no-shutdown`` (``set-action shutdown=pause``) keeps it, paused in ``shutdown``."""
        if system_event is SystemEvent.RESET:
            if self.identity.actions.get("reboot") != REBOOT_SHUTDOWN:
                self.emit_event(RESET_EVENT, {"guest": True, "reason": "guest-reset"})
                return
            self.emit_event(SHUTDOWN_EVENT, {"guest": True, "reason": "guest-reset"})
        else:
            self.emit_event(SHUTDOWN_EVENT, {"guest": True, "reason": "guest-shutdown"})
        if self.identity.actions.get("shutdown") == SHUTDOWN_PAUSE:
            return
        if self._exit_on_shutdown and self._loop is not None and not self._loop.is_closed():
            self._quit_requested = True
            self._loop.call_soon(lambda: asyncio.ensure_future(self._shutdown()))

    def _schedule_flush(self) -> None:
        if self._dispatching or self._flush_scheduled:
            return
        if self._loop is None or self._loop.is_closed():
            return
        self._flush_scheduled = True
        self._loop.call_soon(self._flush_events)

    def _flush_events(self) -> None:
        self._flush_scheduled = False
        outbox, self._outbox = self._outbox, []
        for message in outbox:
            for client in list(self._clients):
                if client.session.negotiated:
                    client.send(message, is_event=True)

    # -------------------------------------------------------------- clients

    async def _serve_client(self, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
        if len(self._clients) >= self.max_clients:
            await self._refuse(writer)
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._connections += 1
        writer.transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        client = _Client(writer, f"client #{self._connections}", self.notices, self.max_backlog)
        self._clients.add(client)
        try:
            client.reader = SocketReader(writer.transport.get_extra_info("socket"))
            client.send(greeting(self._version, [c.value for c in QmpCapability
                                                 if c in client.session.offered]))
            await writer.drain()
            streamer = JsonStreamer()
            while not self._quit_requested:
                data, fds = await client.reader.read(READ_CHUNK)
                if not data:
                    break
                client.fds.received.arrived(fds)
                commands = 0
                for item in streamer.feed(data):
                    if isinstance(item, QmpError):
                        client.send(failure(item))
                    else:
                        self._execute(client, item)
                        commands += 1
                        client.fds.received.command_done()
                    if self._quit_requested:
                        break
                client.fds.received.read_done(commands=commands, partial=streamer.pending)
                await writer.drain()
            if self._quit_requested:
                await self._shutdown()
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception as exc:  # a client must never take the server down
            self.internal_errors.add_error(exc)
        finally:
            client.discard()
            self._clients.discard(client)
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    def _execute(self, client: _Client, message: object) -> None:
        ctx = MonitorContext(client.session, self._backend, self.devices, self._version,
                             self._request_quit, self.identity, self.emit_event,
                             emit_event_now=self._emit_event_now, commands=MONITOR_COMMANDS, fds=client.fds)
        quitting = self._quit_requested
        try:
            self.pacer.before_command()  # the machine catches up with the present ...
        except Exception as exc:  # the machine's fault, not the client's
            self.internal_errors.add_error(exc)
        self._flush_events()  # ... and what it did before this command goes out before the reply
        self._dispatching = True
        try:
            try:
                reply = dispatch(message, ctx, MONITOR_COMMANDS)
            except Exception as exc:  # a bug behind a command: answer, keep the connection
                self.internal_errors.add_error(exc)
                has_id = isinstance(message, dict) and "id" in message
                reply = failure(QmpError(f"Internal error: {type(exc).__name__}"),
                                message.get("id") if isinstance(message, dict) else None, has_id)
            if self._quit_requested and not quitting:
                # quit: QEMU's main loop sends SHUTDOWN before the dispatcher writes the reply.
                self._announce_quit()
            client.send(reply)
            if not self._quit_requested:
                try:
                    self.pacer.after_command("return" in reply)
                except Exception as exc:  # the machine's fault, not the client's
                    self.internal_errors.add_error(exc)
        finally:
            self._dispatching = False
        self._flush_events()

    async def _refuse(self, writer: asyncio.StreamWriter) -> None:
        """One connection over the limit: say why on one line, then close."""
        text = (f"Too many QMP connections: this monitor serves at most {self.max_clients} "
                "clients at a time; close one and connect again")
        self.notices.add(NOTICE_REFUSED, f"limit {self.max_clients} reached")
        try:
            writer.write(encode(failure(QmpError(text))))
            await asyncio.wait_for(writer.drain(), 1.0)
        except (ConnectionError, asyncio.TimeoutError):
            pass
        finally:
            writer.close()

    def client_backlogs(self) -> list[int]:
        """Unsent output of each connected client, in bytes (each at most about ``max_backlog``)."""
        return [client.backlog for client in self._clients]

    def _request_quit(self) -> None:
        self._quit_requested = True

    def _announce_quit(self) -> None:
        """``SHUTDOWN`` host-qmp-quit to every negotiated client, now (before ``quit``'s reply)."""
        self.emit_event(SHUTDOWN_EVENT, dict(QUIT_SHUTDOWN_DATA))
        self._flush_events()

    async def _shutdown(self) -> None:
        """After ``quit`` (or the guest's power-off), announced already: let the output reach
        every client, close."""
        if self._closed is not None and self._closed.is_set():
            return
        self._flush_events()
        for client in list(self._clients):
            try:
                await asyncio.wait_for(client.writer.drain(), 1.0)
            except (ConnectionError, asyncio.TimeoutError):
                pass
        await self.close()


async def serve(backend: CpuBackend, address: QmpAddress, **kwargs: object) -> QmpServer:
    """Create a :class:`QmpServer` for ``backend`` listening on ``address``."""
    server = QmpServer(backend, **kwargs)  # type: ignore[arg-type]
    await server.start(address)
    return server
