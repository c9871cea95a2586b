#!/usr/bin/env python3
"""AML loop benchmark: our interpreter against ACPICA's acpiexec on the same table.

The ASL (compiled with iasl)::

    Method (MAIN) { Local0 = 0; Local1 = 0
        While (Local1 < N) { Local0 += Local1; Local1++ }
        Return (Local0) }

is evaluated by ``vcpu_hotplug.acpi.aml.Interpreter`` and by
``acpiexec -b "evaluate \\MAIN" table.aml`` (acpiexec loads a raw DSDT file
given on its command line and wraps it in its own RSDP/XSDT/FADT). Prints
both wall times, their ratio (ours / acpiexec) and the AML opcodes we ran.

Usage: ``python benchmarks/aml_loop.py [--iterations N]`` (default 1000000).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vcpu_hotplug.acpi.aml import Interpreter

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


def run_ours(aml: bytes, n: int) -> tuple[float, int, int]:
    interp = Interpreter(max_loop_iterations=n + 1)
    interp.load(aml)
    start = time.perf_counter()
    result = interp.evaluate("\\MAIN")
    return time.perf_counter() - start, result, interp.opcodes_executed


def run_acpiexec(acpiexec: str, aml: Path) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([acpiexec, "-b", "evaluate \\MAIN", str(aml)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    value = next((line.strip() for line in proc.stdout.splitlines() if "[Integer]" in line), "?")
    return elapsed, value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="AML While-loop benchmark against acpiexec")
    parser.add_argument("--iterations", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    iasl, acpiexec = shutil.which("iasl"), shutil.which("acpiexec")
    if not iasl:
        print("iasl not found (apt-get install acpica-tools)")
        return 2
    n = args.iterations
    with tempfile.TemporaryDirectory() as tmp:
        aml = compile_table(iasl, n, Path(tmp))
        ours, result, opcodes = run_ours(aml.read_bytes(), n)
        print(f"iterations        {n}")
        print(f"ours              {ours:8.3f} s   result {result:#x}   "
              f"{opcodes} opcodes ({opcodes / ours / 1e6:.1f} M opcodes/s)")
        if not acpiexec:
            print("acpiexec not found: no comparison")
            return 0
        theirs, value = run_acpiexec(acpiexec, aml)
        empty_dir = Path(tmp) / "empty"
        empty_dir.mkdir()
        startup, _ = run_acpiexec(acpiexec, compile_table(iasl, 0, empty_dir))
        print(f"acpiexec          {theirs:8.3f} s   {value}")
        print(f"acpiexec startup  {startup:8.3f} s   (same table with 0 iterations)")
        print(f"ratio ours/acpiexec {ours / theirs:.3f}   (acpiexec / ours = {theirs / ours:.1f}x; "
              f"{(theirs - startup) / ours:.1f}x without acpiexec's startup)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
