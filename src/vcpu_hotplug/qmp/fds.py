"""File descriptors passed to the monitor over its unix socket: receiving them, ``getfd``, ``closefd``.

A management stack hands the VMM an open file it may not open itself by
sending the descriptor over the QMP socket as ``SCM_RIGHTS`` ancillary data
together with (or just before) the command that takes it. ``virsh save`` does
this (libvirt ``src/qemu/qemu_monitor.c`` ``qemuMonitorMigrateToFd``): it sends
``getfd {"fdname": "migrate"}`` with the save file's descriptor on the same
``sendmsg`` (``qemuMonitorIOWrite``), then ``migrate {"uri":
"fd:migrate"}``, and ``closefd`` ``migrate`` if ``migrate`` fails. ``qemu.qmp``'s
``send_fd_scm`` sends the descriptor with one space, before the command.

Follows QEMU:

- receiving (``chardev/char-socket.c`` ``tcp_chr_recv``): every read is a
  ``recvmsg`` with room for :data:`MAX_FDS_PER_READ` descriptors
  (``TCP_MAX_FDS``), ``MSG_CMSG_CLOEXEC`` (``qio_channel_socket_readv``);
  descriptors that arrive replace, and close, those no command took yet; more
  than fit are closed by the kernel (``MSG_CTRUNC``). A command takes the first
  and the others are closed (``tcp_get_msgfds``);
- ``getfd`` / ``closefd`` / ``monitor_get_fd`` / ``monitor_fd_param``
  (``monitor/fds.c``; ``monitor/misc.c`` in older releases): the monitor
  keeps named descriptors; ``getfd`` with no descriptor is "No file descriptor
  supplied via SCM_RIGHTS", a name starting with a digit is refused (and the
  descriptor closed) with "Parameter 'fdname' expects a name not starting with
  a digit", a name in use gets the new descriptor and the old one is closed;
  ``closefd`` of an unknown name is "File descriptor named 'X' not found";
  ``fd:NAME`` in ``migrate`` / ``migrate-incoming`` *takes* the descriptor out
  of the table (``monitor_get_fd``: "caller takes ownership"), and the
  migration closes it when its stream is done, so a later ``closefd`` of the
  name is "not found"; ``fd:N`` (a leading digit) is a descriptor number
  (``qemu_parse_fd``; "Invalid file descriptor number 'X'").

Bounded, for a server that runs for weeks (QEMU does not bound its named
table, and keeps descriptors no command took until newer ones arrive): descriptors that
arrived are offered to the commands of the message they came with, or, if
none completes with it, to the next command; after that they are closed (so a
descriptor sent with, or just before, ``getfd`` reaches it, and one sent with
anything else does not stay open). A connection keeps at most :data:`MAX_NAMED_FDS`
named descriptors, and every descriptor of a connection is closed when it
ends: QEMU's table belongs to the monitor and outlives a client, but here each
connection is a monitor of its own (``qmp/server.py``), and libvirt sends
``getfd`` and the ``migrate`` that uses it on one connection.

``add-fd`` / ``query-fdsets`` / ``remove-fd`` (fd sets, for ``/dev/fdset/N``
paths) are not offered: libvirt uses them for devices it opens on QEMU's
behalf, which this VMM has none of; its 9.0 save and restore send none
(``tests/libvirt/test_virsh_save.py`` checks).
"""

from __future__ import annotations

import array
import asyncio
import os
import socket
from dataclasses import dataclass, field
from typing import Any, Optional

from .errors import QmpError

#: Descriptors one read can carry (QEMU ``TCP_MAX_FDS``); the kernel closes any beyond.
MAX_FDS_PER_READ = 16
#: Named descriptors one connection may hold (``getfd``); libvirt's save uses one.
MAX_NAMED_FDS = 16
_FD_SIZE = array.array("i").itemsize
_ANCILLARY_SPACE = socket.CMSG_SPACE(MAX_FDS_PER_READ * _FD_SIZE)


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


class ReceivedFds:
    """Descriptors that came over the socket and no command took yet (``SocketChardev.read_msgfds``)."""

    def __init__(self) -> None:
        self._fds: list[int] = []
        self._fresh = False  # the read that brought them is still being dispatched

    def __len__(self) -> int:
        return len(self._fds)

    def arrived(self, fds: list[int]) -> None:
        """A read brought ``fds``: they replace (and close) any still waiting (``tcp_chr_recv``)."""
        if not fds:
            return
        self.close()
        self._fds = list(fds)
        self._fresh = True

    def read_done(self, *, commands: int, partial: bool) -> None:
        """Every command complete in the read that brought them was dispatched: ``commands`` of
        them, with ``partial`` part of a message left over. A read that carries descriptors ends
        where the ``sendmsg`` that sent them ends (the kernel stops a unix stream read after the
        message whose descriptors it returns), so with commands answered and nothing left over
        that message is done and what it brought is closed; otherwise they wait for the next
        command (``qemu.qmp`` sends them with one space, before the command)."""
        if self._fresh and commands and not partial:
            self.close()
        self._fresh = False

    def command_done(self) -> None:
        """A command completed: after the one that completes past their read, close what is left."""
        if not self._fresh:
            self.close()

    def take(self) -> Optional[int]:
        """The first descriptor, now the caller's; the others are closed (``tcp_get_msgfds``)."""
        if not self._fds:
            return None
        first, *rest = self._fds
        self._fds = []
        for fd in rest:
            _close(fd)
        return first

    def close(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            _close(fd)


class NamedFds:
    """The descriptors a monitor holds by name (``Monitor.fds``, ``mon_fd_t``)."""

    def __init__(self, limit: int = MAX_NAMED_FDS) -> None:
        self._fds: dict[str, int] = {}
        self.limit = limit

    def __len__(self) -> int:
        return len(self._fds)

    def __contains__(self, name: object) -> bool:
        return name in self._fds

    def names(self) -> list[str]:
        return list(self._fds)

    def add(self, name: str, fd: int) -> None:
        """``monitor_add_fd``; the caller gives up ``fd`` whatever happens."""
        if name[:1].isascii() and name[:1].isdigit():
            _close(fd)
            raise QmpError("Parameter 'fdname' expects a name not starting with a digit")
        old = self._fds.get(name)
        if old is None and len(self._fds) >= self.limit:
            _close(fd)
            raise QmpError(f"This monitor connection already holds {self.limit} file descriptors "
                           "(getfd): release one with closefd first")
        self._fds[name] = fd
        if old is not None:
            _close(old)

    def close_one(self, name: str) -> None:
        """``qmp_closefd``."""
        fd = self._fds.pop(name, None)
        if fd is None:
            raise QmpError(f"File descriptor named '{name}' not found")
        _close(fd)

    def take(self, name: str) -> int:
        """``monitor_get_fd``: the descriptor leaves the table and is the caller's to close."""
        fd = self._fds.pop(name, None)
        if fd is None:
            raise QmpError(f"File descriptor named '{name}' has not been found")
        return fd

    def close(self) -> None:
        fds, self._fds = list(self._fds.values()), {}
        for fd in fds:
            _close(fd)


@dataclass
class MonitorFds:
    """One connection's descriptors: those that arrived, and those ``getfd`` named."""

    received: ReceivedFds = field(default_factory=ReceivedFds)
    named: NamedFds = field(default_factory=NamedFds)

    def __len__(self) -> int:
        return len(self.received) + len(self.named)

    def close(self) -> None:
        """The connection ended: close every descriptor it still holds."""
        self.received.close()
        self.named.close()


def fds_of(ctx: Any) -> Optional[MonitorFds]:
    """The descriptors of the connection a command came from (``fds`` of the server's command
    context; None when the command came from elsewhere)."""
    return getattr(ctx, "fds", None)


def take_named(ctx: Any, name: str) -> int:
    """``monitor_get_fd`` on the command's monitor; QmpError when it holds no such name."""
    fds = fds_of(ctx)
    if fds is None or name not in fds.named:
        raise QmpError(f"File descriptor named '{name}' has not been found")
    return fds.named.take(name)


def has_named(ctx: Any, name: str) -> bool:
    fds = fds_of(ctx)
    return fds is not None and name in fds.named


# ------------------------------------------------------------------ commands

def getfd(ctx: Any, args: dict[str, Any]) -> object:
    """``getfd`` (qapi/misc.json; ``qmp_getfd``): name the descriptor that came with the command."""
    fds = fds_of(ctx)
    fd = fds.received.take() if fds is not None else None
    if fd is None:
        raise QmpError("No file descriptor supplied via SCM_RIGHTS")
    assert fds is not None
    fds.named.add(args["fdname"], fd)
    return {}


def closefd(ctx: Any, args: dict[str, Any]) -> object:
    """``closefd`` (qapi/misc.json; ``qmp_closefd``)."""
    fds = fds_of(ctx)
    if fds is None:
        raise QmpError(f"File descriptor named '{args['fdname']}' not found")
    fds.named.close_one(args["fdname"])
    return {}


# ------------------------------------------------------------------ reading the socket

def _descriptors(ancillary: list[tuple[int, int, bytes]]) -> list[int]:
    fds = array.array("i")
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % _FD_SIZE])
    return list(fds)


class SocketReader:
    """Reads a connection's bytes with the descriptors that ride on them (``recvmsg``).

    asyncio's transports read with ``recv`` and drop ancillary data (the
    kernel then closes the descriptors), so the server pauses the transport's
    reading and reads here instead, from a duplicate of its socket (the loop
    lets only one owner watch a descriptor number); the transport keeps
    writing. :meth:`abort` shuts the connection down for both.
    """

    def __init__(self, sock: Any) -> None:
        self._loop = asyncio.get_running_loop()
        self._sock = socket.socket(fileno=os.dup(sock.fileno()))
        self._sock.setblocking(False)
        self._unix = self._sock.family == socket.AF_UNIX
        self._watching = False

    async def read(self, size: int) -> tuple[bytes, list[int]]:
        """Up to ``size`` bytes and the descriptors that came with them; ``b""`` at the end."""
        while True:
            try:
                if not self._unix:
                    return self._sock.recv(size), []
                data, ancillary, _, _ = self._sock.recvmsg(size, _ANCILLARY_SPACE,
                                                           socket.MSG_CMSG_CLOEXEC)
            except (BlockingIOError, InterruptedError):
                await self._readable()
                continue
            fds = _descriptors(ancillary)
            if not data:  # the end, with descriptors nobody can ask for
                for fd in fds:
                    _close(fd)
                fds = []
            return data, fds

    async def _readable(self) -> None:
        ready = self._loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        self._loop.add_reader(self._sock.fileno(), wake)
        self._watching = True
        try:
            await ready
        finally:
            self._stop_watching()

    def _stop_watching(self) -> None:
        if self._watching:
            self._watching = False
            if self._sock.fileno() >= 0:
                self._loop.remove_reader(self._sock.fileno())

    def abort(self) -> None:
        """End the connection now (the peer sees it closed; a pending read returns its end)."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        self._stop_watching()
        self._sock.close()


__all__ = ["MAX_FDS_PER_READ", "MAX_NAMED_FDS", "MonitorFds", "NamedFds",
           "ReceivedFds", "SocketReader", "closefd", "fds_of", "getfd", "has_named", "take_named"]
