"""Run ACPICA's iasl (compile and disassemble) in a temporary folder for the AML tests."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

HEADER = 36


@dataclass
class IaslRun:
    returncode: int
    output: str


def _run(iasl: str, args: list[str], cwd: Path) -> IaslRun:
    proc = subprocess.run([iasl, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    return IaslRun(proc.returncode, proc.stdout + proc.stderr)


def compile_asl(iasl: str, source: str, workdir: Path, name: str = "t", *,
                flags: tuple[str, ...] = ("-on",)) -> bytes:
    """Compile ASL text; return the AML table. ``-on``: keep name paths as written.

    Fails the calling test (AssertionError with iasl's messages) on any error.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / f"{name}.asl"
    src.write_text(source)
    run = _run(iasl, [*flags, "-p", str(workdir / name), str(src)], workdir)
    aml = workdir / f"{name}.aml"
    assert run.returncode == 0 and aml.exists(), f"iasl failed to compile:\n{run.output}\n{source}"
    return aml.read_bytes()


def disassemble(iasl: str, aml: bytes, workdir: Path, name: str = "d", *,
                legacy: bool = False) -> str:
    """Disassemble an AML table with ``iasl -d`` (``-dl``: ASL 1.0 only); return the ASL text."""
    workdir.mkdir(parents=True, exist_ok=True)
    table = workdir / f"{name}.aml"
    table.write_bytes(aml)
    args = ["-dl" if legacy else "-d", str(table)]
    run = _run(iasl, args, workdir)
    dsl = workdir / f"{name}.dsl"
    assert run.returncode == 0 and dsl.exists(), f"iasl -d failed:\n{run.output}"
    assert "Error" not in run.output.replace("0 Errors", ""), run.output
    return dsl.read_text()


def body(table: bytes) -> bytes:
    """The AML after the 36-byte table header."""
    return table[HEADER:]
