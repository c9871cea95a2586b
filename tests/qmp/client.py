"""A bare QMP test client over a stream socket, and a server fixture helper.

Every await is bounded by ``TIMEOUT`` so a broken server fails a test fast
instead of hanging it.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Optional

from vcpu_hotplug.qmp.server import QmpServer, UnixAddress

TIMEOUT = 5.0
#: Fixed fake host thread id base, so query-cpus-fast is predictable in tests.
TID_BASE = 4000
#: Fixed event clock (seconds since the epoch) so timestamps are predictable.
FIXED_TIME = 1700000000.25


class RawClient:
    """Sends bytes or objects; reads one JSON line at a time; keeps events apart."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.events: list[dict[str, Any]] = []
        self.greeting: Optional[dict[str, Any]] = None

    @classmethod
    async def connect_unix(cls, path: Path) -> "RawClient":
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), TIMEOUT)
        client = cls(reader, writer)
        client.greeting = await client.recv()
        return client

    @classmethod
    async def connect_tcp(cls, host: str, port: int) -> "RawClient":
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)
        client = cls(reader, writer)
        client.greeting = await client.recv()
        return client

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await asyncio.wait_for(self.writer.drain(), TIMEOUT)

    async def send(self, message: Any) -> None:
        await self.send_raw(json.dumps(message).encode() + b"\n")

    async def recv(self) -> dict[str, Any]:
        line = await asyncio.wait_for(self.reader.readline(), TIMEOUT)
        if not line:
            raise EOFError("server closed the connection")
        return json.loads(line)

    async def reply(self) -> dict[str, Any]:
        """The next non-event message; events met on the way are kept in ``events``."""
        while True:
            message = await self.recv()
            if "event" in message:
                self.events.append(message)
            else:
                return message

    async def execute(self, command: str, arguments: Optional[dict] = None,
                      **extra: Any) -> dict[str, Any]:
        request: dict[str, Any] = {"execute": command, **extra}
        if arguments is not None:
            request["arguments"] = arguments
        await self.send(request)
        return await self.reply()

    async def negotiate(self) -> None:
        assert await self.execute("qmp_capabilities") == {"return": {}}

    async def wait_event(self, name: str) -> dict[str, Any]:
        """The first event called ``name`` (already received or yet to come)."""
        for i, message in enumerate(self.events):
            if message["event"] == name:
                return self.events.pop(i)
        while True:
            message = await self.recv()
            if message.get("event") == name:
                return message
            if "event" in message:
                self.events.append(message)
            else:
                raise AssertionError(f"unexpected reply while waiting for {name}: {message}")

    async def close(self) -> None:
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), TIMEOUT)
        except (ConnectionError, asyncio.TimeoutError):
            pass


@asynccontextmanager
async def running_server(backend: Any, socket_path: Path) -> AsyncIterator[QmpServer]:
    server = QmpServer(backend, thread_id=lambda index: TID_BASE + index, clock=lambda: FIXED_TIME)
    await asyncio.wait_for(server.start(UnixAddress(socket_path)), TIMEOUT)
    try:
        yield server
    finally:
        await asyncio.wait_for(server.close(), TIMEOUT)


def run(coro: Any) -> Any:
    """asyncio.run with an overall bound."""
    return asyncio.run(asyncio.wait_for(coro, 4 * TIMEOUT))
