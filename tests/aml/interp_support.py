"""Helpers for the interpreter tests: compile ASL with iasl, run acpiexec, read its output.

acpiexec's ``-b "evaluate \\X; evaluate \\Y"`` prints one block per object
(ACPICA ``source/tools/acpiexec``, ``dbexec.c``/``dbdisply.c``); :func:`run_acpiexec`
turns those blocks into the Python values our ``Interpreter.evaluate`` returns,
or :class:`AcpiexecError` with the ACPICA status.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_EVALUATING = re.compile(r"^Evaluating \\?(\S+)")
_FAILED = re.compile(r"failed with status (AE_\w+)")
_INTEGER = re.compile(r"^\[Integer\] = ([0-9A-Fa-f]+)")
_STRING = re.compile(r'^\[String\] Length [0-9A-Fa-f]+ = "(.*)"$')
_BUFFER = re.compile(r"^\[Buffer\] Length ([0-9A-Fa-f]+) =\s*(.*)$")
_PACKAGE = re.compile(r"^\[Package\] Contains (\d+) Elements:")
_HEXLINE = re.compile(r"^([0-9A-Fa-f]{4}): ((?:[0-9A-Fa-f]{2} ?)+)")


@dataclass(frozen=True)
class AcpiexecError:
    """An evaluation acpiexec reported as failed (``status`` is ``AE_...``)."""

    status: str


def compile_asl(iasl: str, source: str, directory: Path, name: str = "prog") -> Path:
    """Compile ``source`` with iasl (``-f``: keep going past constant-folding errors)."""
    asl = directory / f"{name}.asl"
    asl.write_text(source)
    proc = subprocess.run([iasl, "-f", "-vw", "3144", "-p", str(directory / name), str(asl)],
                          capture_output=True, text=True)
    aml = directory / f"{name}.aml"
    if not aml.exists():
        raise RuntimeError(f"iasl failed:\n{proc.stdout}\n{proc.stderr}")
    return aml


def _parse_value(lines: list[str], i: int):
    line = lines[i].strip()
    m = _INTEGER.match(line)
    if m:
        return int(m.group(1), 16), i + 1
    m = _STRING.match(line)
    if m:
        return m.group(1), i + 1
    m = _BUFFER.match(line)
    if m:
        length = int(m.group(1), 16)
        data = bytearray()
        rest = m.group(2).strip()
        hm = _HEXLINE.match(rest)
        if hm:
            data += bytes.fromhex(hm.group(2).replace(" ", ""))
        i += 1
        while len(data) < length and i < len(lines):
            hm = _HEXLINE.match(lines[i].strip())
            if not hm:
                break
            data += bytes.fromhex(hm.group(2).replace(" ", ""))
            i += 1
        return bytes(data[:length]), i
    m = _PACKAGE.match(line)
    if m:
        count = int(m.group(1))
        i += 1
        items = []
        for _ in range(count):
            v, i = _parse_value(lines, i)
            items.append(v)
        return items, i
    return line, i + 1


def parse_acpiexec_output(text: str) -> dict[str, object]:
    """``{name: value or AcpiexecError}`` for every ``Evaluating`` block of ``text``."""
    results: dict[str, object] = {}
    lines = text.splitlines()
    i = 0
    current = None
    while i < len(lines):
        line = lines[i]
        m = _EVALUATING.match(line)
        if m:
            current = m.group(1)
            i += 1
            continue
        if current is not None:
            if line.startswith("No object was returned"):
                results[current] = None
                current = None
            else:
                fm = _FAILED.search(line)
                if fm and "Evaluation of" in line:
                    results[current] = AcpiexecError(fm.group(1))
                    current = None
                elif line.startswith("Evaluation of") and "returned object" in line:
                    value, i = _parse_value(lines, i + 1)
                    results[current] = value
                    current = None
                    continue
        i += 1
    return results


def run_acpiexec(acpiexec: str, aml: Path, names: list[str], extra: list[Path] = ()) -> dict:
    """Evaluate every name of ``names`` in one acpiexec run (commands on stdin: ``-b`` truncates
    long command lists)."""
    commands = "".join(f"evaluate \\{n}\n" for n in names) + "quit\n"
    proc = subprocess.run([acpiexec, str(aml), *map(str, extra)], input=commands,
                          capture_output=True, text=True, timeout=300)
    return parse_acpiexec_output(proc.stdout + proc.stderr)


def interpreter_for(iasl: str, directory: Path, body: str, revision: int = 2, **kw):
    """An Interpreter with ``body`` (ASL inside a DefinitionBlock) compiled and loaded."""
    from vcpu_hotplug.acpi.aml import Interpreter

    source = f'DefinitionBlock ("", "DSDT", {revision}, "VCPUHP", "TEST", 1)\n{{\n{body}\n}}\n'
    aml = compile_asl(iasl, source, directory)
    interp = Interpreter(**kw)
    interp.load(aml.read_bytes())
    return interp


# -- typed results ({"type": ..., "value": ...}, as Interpreter.to_typed), for golden data ------

_NULL = re.compile(r"^\[Null Object\]")
_REFERENCE = re.compile(r"^\[Object Reference\] = \S+ <Node>\s+Name (\S{4})")


def _typed_value(lines: list[str], i: int) -> tuple[dict, int]:
    line = lines[i].strip()
    if _NULL.match(line):
        return {"type": "Uninitialized", "value": None}, i + 1
    m = _REFERENCE.match(line)
    if m:
        return {"type": "Reference", "value": m.group(1)}, i + 1
    m = _PACKAGE.match(line)
    if m:
        i += 1
        items = []
        for _ in range(int(m.group(1))):
            item, i = _typed_value(lines, i)
            items.append(item)
        return {"type": "Package", "value": items}, i
    value, j = _parse_value(lines, i)
    if isinstance(value, int):
        return {"type": "Integer", "value": value}, j
    if isinstance(value, bytes):
        return {"type": "Buffer", "value": list(value)}, j
    if _STRING.match(line):
        return {"type": "String", "value": value}, j
    return {"type": "Unparsed", "value": line}, j


def parse_acpiexec_typed(text: str) -> dict[str, dict]:
    """``{name: typed value, or {"error": "AE_..."}}`` for every ``Evaluating`` block of ``text``.

    acpiexec prints a returned reference as the object it refers to (the
    evaluation's external copy), an empty Package slot as ``[Null Object]``
    (``Uninitialized`` here) and a named reference in a Package by its NameSeg.
    """
    results: dict[str, dict] = {}
    lines = text.splitlines()
    i = 0
    current = None
    while i < len(lines):
        line = lines[i]
        m = _EVALUATING.match(line)
        if m:
            current = m.group(1)
        elif current is not None:
            if line.startswith("No object was returned"):
                results[current] = {"type": "None", "value": None}
                current = None
            elif "Evaluation of" in line and (fm := _FAILED.search(line)):
                results[current] = {"error": fm.group(1)}
                current = None
            elif line.startswith("Evaluation of") and "returned object" in line:
                results[current], i = _typed_value(lines, i + 1)
                current = None
                continue
        i += 1
    return results


def run_acpiexec_typed(acpiexec: str, aml: Path, names: list[str]) -> tuple[dict[str, dict], str]:
    """Evaluate every name of ``names`` in one acpiexec run: (typed results, acpiexec version)."""
    commands = "".join(f"evaluate \\{n}\n" for n in names) + "quit\n"
    proc = subprocess.run([acpiexec, str(aml)], input=commands, capture_output=True, text=True,
                          timeout=600)
    out = proc.stdout + proc.stderr
    version = re.search(r"version (\d{8})", out)
    return parse_acpiexec_typed(out), version.group(1) if version else "?"


def acpica_version(tool: str) -> str:
    """The ACPICA version (``20200925``) ``tool -v`` prints."""
    out = subprocess.run([tool, "-v"], capture_output=True, text=True).stdout
    m = re.search(r"version (\d{8})", out)
    return m.group(1) if m else "?"
