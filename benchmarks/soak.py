#!/usr/bin/env python3
"""Soak: N plug/unplug cycles over QMP, watching the server's memory (issue 11).

Each cycle is ``device_add`` of one vCPU, ``device_del`` of it and the wait
for its ``DEVICE_DELETED``, each completed through the guest model, over a
unix socket with a plain blocking client (so the client costs the server
nothing). By default the server is ``vcpu-hotplug run --no-tui`` in its own
process, and its RSS is read from ``/proc/PID/status``; ``--in-process`` runs
the same QMP server on a thread of this process instead, which also lets
the benchmark look inside: the guest's kernel log, the trace, and the AML
interpreter's ``notifications`` and ``debug_log`` lists (``acpi/aml``, not
bounded yet), whose size is reported beside the RSS so that any remaining
growth can be attributed.

Prints the RSS every ``--every`` cycles (10,000 by default) and the growth
per cycle between the warm-up mark (``--warmup``, 20,000) and the end.
Targets: under 50 bytes/cycle after warm-up; a ``maxcpus=512`` VM under
100 MB after 10,000 cycles (``--maxcpus 512 --cycles 10000``).

Usage: ``python benchmarks/soak.py [--cycles N] [--maxcpus M] [--every K]
[--warmup W] [--in-process [--drain-aml-lists]]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 30.0
MIB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (``VmRSS`` in ``/proc/PID/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class LineClient:
    """A blocking QMP client: one JSON message per line."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rb")
        self.recv()  # greeting
        assert self.execute("qmp_capabilities") == {"return": {}}

    def recv(self) -> dict[str, Any]:
        line = self.file.readline()
        if not line:
            raise EOFError("the server closed the connection")
        return json.loads(line)

    def execute(self, command: str, arguments: Optional[dict] = None,
                wait_event: Optional[str] = None) -> dict[str, Any]:
        request: dict[str, Any] = {"execute": command}
        if arguments is not None:
            request["arguments"] = arguments
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        reply = None
        seen_event = wait_event is None
        while reply is None or not seen_event:
            message = self.recv()
            if "event" in message:
                seen_event = seen_event or message["event"] == wait_event
            else:
                reply = message
        return reply

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def cycle(client: LineClient, core: int) -> None:
    reply = client.execute("device_add", {"driver": "host-arm-cpu", "id": "soak", "core-id": core})
    assert reply == {"return": {}}, reply
    reply = client.execute("device_del", {"id": "soak"}, wait_event="DEVICE_DELETED")
    assert reply == {"return": {}}, reply


class Subprocess:
    """``vcpu-hotplug run`` in its own process."""

    def __init__(self, smp: str, path: Path) -> None:
        exe = Path(sys.executable).with_name("vcpu-hotplug")
        command = [str(exe)] if exe.exists() else [sys.executable, "-m", "vcpu_hotplug.cli"]
        # Instant pace: a cycle's cost is the server's and the guest model's work, not the guest's
        # simulated latencies (realtime would make each cycle some 100 ms of waiting).
        self.proc = subprocess.Popen([*command, "run", "--no-tui", "--smp", smp, "--pace", "instant",
                                      "--qmp", f"unix:{path},server"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not path.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"vcpu-hotplug run did not start: {self.proc.stderr.read()!r}")
            time.sleep(0.05)

    def inside(self) -> str:
        return ""

    def stop(self, client: LineClient) -> str:
        client.execute("quit")
        _, err = self.proc.communicate(timeout=30)
        return err.decode()


class InProcess:
    """The same QMP server on a thread of this process."""

    def __init__(self, smp: str, path: Path) -> None:
        from vcpu_hotplug.qmp.server import QmpServer, UnixAddress
        from vcpu_hotplug.vm import VmSpec, build_vm

        self.pid = os.getpid()
        self.vm = build_vm(VmSpec(smp=smp))
        self.server = QmpServer(self.vm.backend)
        started = threading.Event()

        async def serve() -> None:
            await self.server.start(UnixAddress(path))
            started.set()
            await self.server.wait_closed()

        self.thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        self.thread.start()
        if not started.wait(STARTUP_TIMEOUT_S):
            raise RuntimeError("the in-process server did not start")

    def inside(self) -> str:
        kernel = self.vm.system.kernel
        interp = kernel.acpi.interp
        trace = self.vm.system.trace
        aml = deep_size(interp.notifications) + deep_size(interp.debug_log)
        return (f"  klog {kernel.klog.size / 1024:.0f} KiB text ({len(kernel.klog.records)} records)"
                f"  trace {len(trace)} events"
                f"  aml lists {len(interp.notifications)}+{len(interp.debug_log)} items"
                f" {aml / MIB:.1f} MiB")

    def aml_bytes(self) -> int:
        interp = self.vm.system.kernel.acpi.interp
        return deep_size(interp.notifications) + deep_size(interp.debug_log)

    def drain_aml_lists(self) -> None:
        interp = self.vm.system.kernel.acpi.interp
        interp.notifications.clear()
        interp.debug_log.clear()

    def stop(self, client: LineClient) -> str:
        client.execute("quit")
        self.thread.join(30)
        lines = [f"internal error: {e.kind}: {e.first} ({e.count})" for e in self.server.internal_errors]
        lines += [f"note: {e.kind}: {e.first} ({e.count})" for e in self.server.notices]
        return "\n".join(lines)


def deep_size(obj: object, seen: Optional[set[int]] = None) -> int:
    """Bytes held by ``obj`` and what it contains (lists, tuples, strings, numbers)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, (list, tuple)):
        size += sum(deep_size(item, seen) for item in obj)
    elif isinstance(obj, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    return size


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=100_000)
    parser.add_argument("--maxcpus", type=int, default=8)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=20_000)
    parser.add_argument("--in-process", action="store_true",
                        help="serve on a thread of this process and report the lists inside")
    parser.add_argument("--drain-aml-lists", action="store_true",
                        help="with --in-process: empty the AML interpreter's notifications and "
                             "debug_log every 1,000 cycles, to measure the growth without them")
    args = parser.parse_args(argv)
    smp = f"cpus=1,maxcpus={args.maxcpus}"
    core = args.maxcpus - 1

    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        path = Path(tmp) / "qmp.sock"
        server: Any = InProcess(smp, path) if args.in_process else Subprocess(smp, path)
        client = LineClient(path)
        aml_bytes: Callable[[], int] = getattr(server, "aml_bytes", lambda: 0)
        print(f"soak: {args.cycles} plug/unplug cycles, -smp {smp}, "
              f"{'in-process' if args.in_process else 'vcpu-hotplug run'} (pid {server.pid})")
        marks: dict[int, tuple[int, int]] = {0: (rss_bytes(server.pid), aml_bytes())}
        print(f"{0:>8} cycles  RSS {marks[0][0] / MIB:7.1f} MiB{server.inside()}")
        start = time.monotonic()
        for n in range(1, args.cycles + 1):
            cycle(client, core)
            if args.drain_aml_lists and n % 1000 == 0:
                server.drain_aml_lists()
            if n % args.every == 0 or n == args.warmup or n == args.cycles:
                marks[n] = (rss_bytes(server.pid), aml_bytes())
                if n % args.every == 0 or n == args.cycles:
                    rate = n / (time.monotonic() - start)
                    print(f"{n:>8} cycles  RSS {marks[n][0] / MIB:7.1f} MiB"
                          f"  ({rate:.0f} cycles/s){server.inside()}", flush=True)
        end = args.cycles
        base = args.warmup if args.warmup in marks and args.warmup < end else 0
        growth = (marks[end][0] - marks[base][0]) / (end - base)
        print(f"growth {base}..{end}: {growth:+.1f} bytes/cycle (target < 50)")
        if args.in_process:
            aml = (marks[end][1] - marks[base][1]) / (end - base)
            print(f"  of which the AML interpreter's notifications/debug_log lists: "
                  f"{aml:+.1f} bytes/cycle")
        print(f"final RSS {marks[end][0] / MIB:.1f} MiB")
        summary = server.stop(client)
        if summary.strip():
            print(summary.strip())
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
