#!/usr/bin/env python3
"""AML loop benchmark: our interpreter against ACPICA's acpiexec on the same table.

The ASL (compiled with iasl)::

    Method (MAIN) { Local0 = 0; Local1 = 0
        While (Local1 < N) { Local0 += Local1; Local1++ }
        Return (Local0) }

is evaluated by ``vcpu_hotplug.acpi.aml.Interpreter`` and by
``acpiexec -b "evaluate \\MAIN" table.aml`` (acpiexec loads a raw DSDT file
given on its command line and wraps it in its own RSDP/XSDT/FADT). Prints
both CPU times (ours: the evaluation; acpiexec: the whole process, and its
startup alone on an empty loop), their ratio and the AML opcodes we ran. CPU
time, not wall time, so that other work on a shared machine does not count.

Ours runs twice more: with the default budget (:data:`DEFAULT_MAX_OPCODES`,
large enough for the loop: its opcode count and the deadline check per
iteration) and with ``max_opcodes=None`` (no bookkeeping at all); the best
of ``--repeat`` runs of each, and the budget's cost in percent.

Usage: ``python benchmarks/aml_loop.py [--iterations N] [--repeat R]`` (default 1000000, 3).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vcpu_hotplug.acpi.aml import Interpreter
from vcpu_hotplug.acpi.aml.interpreter import DEFAULT_MAX_OPCODES

ASL = """DefinitionBlock ("", "DSDT", 2, "VCPUHP", "AMLLOOP", 1)
{{
    Method (MAIN)
    {{
        Local0 = 0
        Local1 = 0
        While (Local1 < {n})
        {{
            Local0 += Local1
            Local1++
        }}
        Return (Local0)
    }}
}}
"""


def compile_table(iasl: str, n: int, directory: Path) -> Path:
    (directory / "loop.asl").write_text(ASL.format(n=n))
    subprocess.run([iasl, "-p", str(directory / "loop"), str(directory / "loop.asl")],
                   check=True, capture_output=True)
    return directory / "loop.aml"


def run_ours(aml: bytes, n: int, max_opcodes: int | None = DEFAULT_MAX_OPCODES) -> tuple[float, int, int]:
    """(CPU seconds of the evaluation, its result, opcodes counted)."""
    interp = Interpreter(max_loop_iterations=n + 1, max_opcodes=max_opcodes)
    interp.load(aml)
    start = time.process_time()
    result = interp.evaluate("\\MAIN")
    return time.process_time() - start, result, interp.opcodes_executed


def run_acpiexec(acpiexec: str, aml: Path) -> tuple[float, str]:
    """(CPU seconds acpiexec used, the result line it printed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([acpiexec, "-b", "evaluate \\MAIN", str(aml)],
                          capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    value = next((line.strip() for line in proc.stdout.splitlines() if "[Integer]" in line),
                 next((line.strip() for line in proc.stdout.splitlines() if "AE_" in line), "?"))
    return elapsed, value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="AML While-loop benchmark against acpiexec")
    parser.add_argument("--iterations", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours per mode (best kept)")
    args = parser.parse_args(argv)
    iasl, acpiexec = shutil.which("iasl"), shutil.which("acpiexec")
    if not iasl:
        print("iasl not found (apt-get install acpica-tools)")
        return 2
    n = args.iterations
    with tempfile.TemporaryDirectory() as tmp:
        aml = compile_table(iasl, n, Path(tmp))
        data = aml.read_bytes()
        budget = DEFAULT_MAX_OPCODES if n * 6 < DEFAULT_MAX_OPCODES else n * 8
        timed, free = [], []
        for _ in range(max(1, args.repeat)):        # interleaved, so load changes hit both
            timed.append(run_ours(data, n, budget))
            free.append(run_ours(data, n, None))
        ours, result, opcodes = min(timed)
        unbudgeted, free_result, _ = min(free)
        assert free_result == result
        print(f"iterations        {n}")
        print(f"ours              {ours:8.3f} s   result {result:#x}   "
              f"{opcodes} opcodes ({opcodes / ours / 1e6:.1f} M opcodes/s), budget {budget} opcodes")
        print(f"ours, no budget   {unbudgeted:8.3f} s   (max_opcodes=None: no opcode count, no deadline)")
        print(f"budget cost       {100 * (ours - unbudgeted) / unbudgeted:+.1f} %")
        if not acpiexec:
            print("acpiexec not found: no comparison")
            return 0
        theirs, value = run_acpiexec(acpiexec, aml)
        empty_dir = Path(tmp) / "empty"
        empty_dir.mkdir()
        startup, _ = run_acpiexec(acpiexec, compile_table(iasl, 0, empty_dir))
        print(f"acpiexec          {theirs:8.3f} s   {value}")
        if "[Integer]" not in value:
            # acpiexec's loop timeout is wall-clock time: a busy machine can stop it early
            print("acpiexec did not finish the loop: no ratio (run again on a quieter machine)")
            return 1
        print(f"acpiexec startup  {startup:8.3f} s   (same table with 0 iterations)")
        print(f"ratio ours/acpiexec {ours / theirs:.3f}   (acpiexec / ours = {theirs / ours:.1f}x; "
              f"{(theirs - startup) / ours:.1f}x without acpiexec's startup)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
