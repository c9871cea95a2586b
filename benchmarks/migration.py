#!/usr/bin/env python3
"""Save/restore benchmark: stream size and the time to save and to restore a VM, by VM size.

For each ``maxcpus``: a VM (``cpus=2``) is built and booted, half of its possible vCPUs are
hot-added and settled, one more hot-add is left in flight (the state a save in the middle of a
hot-add sees), then the whole state is saved into a stream (``migration.vm_state.save_system`` +
``migration.stream.encode``: what ``migrate`` writes) and restored from it
(``stream.decode`` + ``load_system``: what ``-incoming`` reads). Prints the stream's bytes,
the trace events it carries, and the best of ``--repeat`` CPU times of each direction.

Usage: ``python benchmarks/migration.py [--maxcpus 8,64,512] [--repeat R]`` (default 8,64,512 and 3).
"""

from __future__ import annotations

import argparse
import time

from vcpu_hotplug.migration import stream
from vcpu_hotplug.migration.vm_state import load_system, save_system
from vcpu_hotplug.system import System


def build(maxcpus: int) -> System:
    system = System.build(f"cpus=2,maxcpus={maxcpus}")
    for cpu in range(2, max(3, maxcpus // 2)):
        system.enable(cpu, settle=False)
    system.run_until_idle()
    system.enable(maxcpus - 1, settle=False)  # in flight: the GED interrupt pending
    return system


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maxcpus", default="8,64,512")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'maxcpus':>8} {'stream bytes':>13} {'trace events':>13} {'save ms':>9} {'restore ms':>11}")
    for maxcpus in (int(n) for n in args.maxcpus.split(",")):
        system = build(maxcpus)
        save_s, data = best(lambda: stream.encode({}, save_system(system)), args.repeat)
        assert isinstance(data, bytes)
        load_s, restored = best(lambda: load_system(stream.decode(data, "benchmark").payload), args.repeat)
        assert isinstance(restored, System)
        restored.run_until_idle()
        system.run_until_idle()
        assert restored.guest_view() == system.guest_view()
        print(f"{maxcpus:>8} {len(data):>13,} {len(list(system.trace)):>13,} {save_s * 1e3:>9.1f} "
              f"{load_s * 1e3:>11.1f}")


if __name__ == "__main__":
    main()
