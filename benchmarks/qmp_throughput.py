#!/usr/bin/env python3
"""QMP throughput: hotplug cycles over the socket, and a full 1 -> 512 -> 1 resize.

Both parts drive a real VM (VMM machine + Linux guest model, ``build_vm``)
through the QMP server on a temporary unix socket, with the ``qemu.qmp``
client library as the orchestrator, all in one process and one event loop
(so the figures include the client's own parsing):

1. **plug+unplug cycles**: ``device_add`` of one vCPU, wait for the
   guest's ``ACPI_DEVICE_OST`` (Device Check, success), ``device_del``,
   wait for ``DEVICE_DELETED``: each cycle completes through the guest.
   Prints cycles per second, and VM exits and simulated time per cycle.
2. **resize**: a ``maxcpus=512`` VM booted with 1 vCPU; ``x-set-vcpus 512``
   until 511 Device Check ``_OST`` events have arrived, then
   ``x-set-vcpus 1`` until 511 ``DEVICE_DELETED`` events have arrived; the
   guest's masks are checked with ``x-query-guest-cpus`` after each. Prints
   wall time of each half and of the whole (the boot is reported apart),
   VM exits and simulated time. Target: the whole resize under 2 s.

Usage: ``python benchmarks/qmp_throughput.py [--cycles N] [--maxcpus M] [--no-trace]``.
``--no-trace`` keeps only the trace's counters (what a long-running VMM
would do); by default every boundary crossing is recorded, as in ``run``.
``--profile`` prints the top of a cProfile of the resize.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

from qemu.qmp import QMPClient

from vcpu_hotplug.qmp.server import QmpServer, UnixAddress
from vcpu_hotplug.vm import VirtualMachine, VmSpec, build_vm

TIMEOUT_S = 60.0
TARGET_RESIZE_S = 2.0
DEVICE_CHECK = 0x01
SUCCESS = 0x00


async def connect(vm: VirtualMachine, directory: Path) -> tuple[QmpServer, QMPClient]:
    path = directory / "qmp.sock"
    server = QmpServer(vm.backend)
    await server.start(UnixAddress(path))
    client = QMPClient("qmp-throughput")
    await asyncio.wait_for(client.connect(str(path)), TIMEOUT_S)
    return server, client


async def close(server: QmpServer, client: QMPClient) -> None:
    try:
        await asyncio.wait_for(client.disconnect(), TIMEOUT_S)
    finally:
        await server.close()


async def wait_events(listener, name: str, count: int, source: int | None = None) -> None:
    seen = 0
    while seen < count:
        event = await asyncio.wait_for(listener.get(), TIMEOUT_S)
        if event["event"] != name:
            continue
        if source is not None and event["data"]["info"]["source"] != source:
            continue
        if name == "ACPI_DEVICE_OST" and event["data"]["info"]["status"] != SUCCESS:
            raise SystemExit(f"guest reported {event['data']}")
        seen += 1


async def cycles(n: int, trace: bool) -> None:
    vm = build_vm(VmSpec(smp="cpus=1,maxcpus=8", trace_enabled=trace))
    with tempfile.TemporaryDirectory() as tmp:
        server, client = await connect(vm, Path(tmp))
        try:
            exits0, sim0 = vm.exits(), vm.now_ns()
            with client.listener(("ACPI_DEVICE_OST", "DEVICE_DELETED")) as listener:
                start = time.perf_counter()
                for i in range(n):
                    core = 1 + i % 7
                    await client.execute("device_add", {"driver": "host-arm-cpu",
                                                        "id": f"cpu{core}", "core-id": core})
                    await wait_events(listener, "ACPI_DEVICE_OST", 1, DEVICE_CHECK)
                    await client.execute("device_del", {"id": f"cpu{core}"})
                    await wait_events(listener, "DEVICE_DELETED", 1)
                    listener.clear()
                wall = time.perf_counter() - start
            exits = vm.exits() - exits0
            sim = vm.now_ns() - sim0
            view = await client.execute("x-query-guest-cpus")
            assert view["online"] == [0], view["online"]
        finally:
            await close(server, client)
    print(f"plug+unplug cycles over QMP (cpus=1,maxcpus=8, trace {'on' if trace else 'off'}):")
    print(f"  {n} cycles in {wall:.3f} s wall: {n / wall:.0f} cycles/s "
          f"({wall / n * 1e3:.2f} ms per cycle)")
    print(f"  per cycle: {exits.total / n:.1f} VM exits ({exits.mmio / n:.1f} MMIO, "
          f"{exits.hvc / n:.1f} HVC), {sim / n / 1e3:.1f} us simulated")


async def resize(maxcpus: int, trace: bool, profile: bool) -> bool:
    start = time.perf_counter()
    vm = build_vm(VmSpec(smp=f"cpus=1,maxcpus={maxcpus}", trace_enabled=trace))
    boot = time.perf_counter() - start
    others = maxcpus - 1
    profiler = cProfile.Profile() if profile else None
    with tempfile.TemporaryDirectory() as tmp:
        server, client = await connect(vm, Path(tmp))
        try:
            with client.listener(("ACPI_DEVICE_OST", "DEVICE_DELETED")) as listener:
                exits0, sim0 = vm.exits(), vm.now_ns()
                if profiler:
                    profiler.enable()
                t0 = time.perf_counter()
                await client.execute("x-set-vcpus", {"count": maxcpus})
                await wait_events(listener, "ACPI_DEVICE_OST", others, DEVICE_CHECK)
                t1 = time.perf_counter()
                up_exits, up_sim = vm.exits() - exits0, vm.now_ns() - sim0
                view = await client.execute("x-query-guest-cpus")
                t2 = time.perf_counter()
                assert view["online"] == list(range(maxcpus)), "guest did not online every vCPU"
                exits1, sim1 = vm.exits(), vm.now_ns()
                await client.execute("x-set-vcpus", {"count": 1})
                await wait_events(listener, "DEVICE_DELETED", others)
                t3 = time.perf_counter()
                if profiler:
                    profiler.disable()
                down_exits, down_sim = vm.exits() - exits1, vm.now_ns() - sim1
                view = await client.execute("x-query-guest-cpus")
                assert view["online"] == [0] and view["enabled"] == [0], view
        finally:
            await close(server, client)
    up, down = t1 - t0, t3 - t2
    total = up + down
    exits = up_exits.total + down_exits.total
    print(f"resize 1 -> {maxcpus} -> 1 over QMP x-set-vcpus (trace {'on' if trace else 'off'}):")
    print(f"  boot (not counted): {boot:.3f} s wall")
    print(f"  1 -> {maxcpus}: {up:.3f} s wall, {up_exits.total} VM exits ({up_exits.mmio} MMIO, "
          f"{up_exits.hvc} HVC), {up_sim / 1e6:.3f} ms simulated")
    print(f"  {maxcpus} -> 1: {down:.3f} s wall, {down_exits.total} VM exits "
          f"({down_exits.mmio} MMIO, {down_exits.hvc} HVC), {down_sim / 1e6:.3f} ms simulated")
    ok = total < TARGET_RESIZE_S
    print(f"  whole resize: {total:.3f} s wall, {exits} VM exits; target < {TARGET_RESIZE_S:g} s: "
          f"{'met' if ok else 'MISSED'}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200, help="plug+unplug cycles (default 200)")
    parser.add_argument("--maxcpus", type=int, default=512, help="resize size (default 512)")
    parser.add_argument("--no-trace", action="store_true", help="keep only the trace counters")
    parser.add_argument("--profile", action="store_true", help="cProfile the resize")
    args = parser.parse_args(argv)
    trace = not args.no_trace
    asyncio.run(cycles(args.cycles, trace))
    ok = asyncio.run(resize(args.maxcpus, trace, args.profile))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
