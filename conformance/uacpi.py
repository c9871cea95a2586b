#!/usr/bin/env python3
"""Run uACPI's AML test cases (github.com/UltraOS/uACPI, ``tests/test-cases/*.asl``) on our interpreter.

Usage::

    python conformance/uacpi.py /path/to/uACPI/tests/test-cases [--iasl iasl] [--verbose]
        [--semantics nt|acpica|both]

The iasl is ``--iasl``, else ``$IASL``, else the one on PATH; the summary names
its version, because the count depends on it: Debian 12's iasl 20200925 cannot
compile ``table-loading-0`` (ACPI 6.4's ``Load`` as an expression), iasl
20240827 can.

Each case starts with ``// Expect: int => N`` or ``// Expect: str => S``.
Like uACPI's test runner (``tests/runner/test_runner.cpp``) we compile the
case with iasl, load it, run the namespace initialization (``_STA``/``_INI``),
evaluate ``\\MAIN`` (a method is called, a plain object is read) and compare
the result. The runner's ``_OSI`` configuration is reproduced: it installs
"TestRunner", enables "3.0 Thermal Model" and "Module Device", removes
"Windows 2006", and leaves uACPI's other optional features off.

``--acpiexec PATH`` runs the same compiled cases in ACPICA's acpiexec instead
(with its own defaults), for comparison: acpiexec 20240827 passes 35.

uACPI's expectations are NT's (Windows ``acpi.sys``) answers, so the cases run
with the interpreter's NT semantics by default (``--semantics nt``,
:class:`~vcpu_hotplug.acpi.aml.semantics.AmlSemantics`; each NT branch names
the cases that need it). ``--semantics acpica`` runs them as Linux's ACPICA
20240827 does, the interpreter's default: a case whose expectation is not what
ACPICA 20240827 does is then listed as ``ACPICA`` with the reason
(:data:`ACPICA_ANSWERS_OTHERWISE`) and counted as failed, but only the other
failures make the exit status 1. ``--semantics both`` runs each case both
ways and prints both figures.

Prints one line per case and closes with ``N passed, M failed``. uACPI's files
are never copied into this project: pass the directory you extracted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from vcpu_hotplug.acpi.aml import AmlSemantics, Interpreter
from vcpu_hotplug.acpi.aml.semantics import NT_DIFFERENCES
from vcpu_hotplug.acpi.errors import AcpiError

EXPECT = re.compile(r"^//\s*Expect:\s*(int|str)\s*=>\s*(.*?)\s*$", re.MULTILINE)

#: The interfaces uACPI's test runner changes (test_runner.cpp) and uACPI's defaults for the
#: optional features our default policy answers differently.
RUNNER_OSI = {
    "TestRunner": True,
    "3.0 Thermal Model": True,
    "Module Device": True,
    "Windows 2006": False,
    "Processor Device": False,
    "Processor Aggregator Device": False,
    "3.0 _SCP Extensions": False,
}

#: Cases where uACPI expects what ACPICA 20240827 does not do (each checked with that
#: acpiexec, whose answer is ours): case -> why we keep ACPICA's answer.
ACPICA_ANSWERS_OTHERWISE = {
    "to-integer.asl": "ToInteger of a String as ACPICA's AcpiUtStrtoul64 reads it: '0123' is "
                      "decimal 123 (uACPI: octal), '+'/'-' signs give 0, a too long number is not "
                      "clamped to Ones; the case's own guard against ACPICA (ToHexString (0xF) == "
                      "'0xF') stopped working when ACPICA adopted that format; acpiexec 20240827 "
                      "returns 7 failed checks, as we do",
    "indices-1.asl": "an Integer implicitly converted to a String (Printf/Concatenate) has every hex "
                     "digit, upper case, in ACPICA (exconvrt.c ACPI_IMPLICIT_CONVERT_HEX: "
                     "'0000000000000123'); uACPI prints '123'; acpiexec 20240827 answers as we do",
    "empty-objects.asl": "storing the result of a method that returns nothing aborts the caller with "
                         "AE_AML_NO_RETURN_VALUE in ACPICA without interpreter slack (Linux leaves "
                         "acpi_gbl_enable_interpreter_slack off); uACPI stores an empty object; "
                         "acpiexec 20240827 fails as we do",
    **{name: "Store to a Local holding a reference overwrites the Local in ACPICA "
             "(dsmthdat.c AcpiDsStoreObjectToLocal: only an Arg holding a RefOf stores through "
             f"it), and references are not dereferenced implicitly; uACPI stores through as NT "
             f"does; acpiexec 20240827 {answer}"
       for name, answer in {
           "indices-0.asl": "fails with AE_AML_OPERAND_TYPE (we return 1 from the case's FAIL)",
           "ref_modify_indirect.asl": "fails with AE_AML_UNINITIALIZED_LOCAL, as we do",
           "ref_modify_via_method_call.asl": "fails with AE_AML_OPERAND_TYPE (its Increment of "
                                             "an Arg holding a reference), as we do",
           "references-3.asl": "returns 'MyST', as we do",
           "references-5.asl": "returns 'MyString', as we do",
           "references-9.asl": "returns 0xDEADC0DEDEADBEEF, as we do",
           "table-loading-2.asl": "crashes; the case counts on the store through a Local failing",
           "table-loading-3.asl": "fails with AE_ALREADY_EXISTS; the case counts on the store "
                                  "through a Local failing",
           "indices-2.asl": "fails with AE_AML_OPERAND_TYPE (a Package element holding a RefOf "
                            "is replaced by a Store, exstore.c AcpiExStoreObjectToIndex; we "
                            "return 1 from the case's check)",
       }.items()},
    **{name: "Increment/Decrement of a Local or Arg holding a reference is AE_AML_OPERAND_TYPE "
             "in ACPICA (the reference is the operand); acpiexec 20240827 fails with it, as we do"
       for name in ("increment-fields.asl", "multilevel_ref.asl", "references-10.asl")},
}

#: Loop bound for the cases (uACPI aborts an endless While after a timeout).
MAX_LOOP_ITERATIONS = 200_000


#: iasl diagnostics uACPI's runner silences (tests/utilities/asl.py); it also compiles with
#: ``-oa`` (no constant folding: ``ToHexString(123)`` must run, not be folded by iasl).
IGNORED_DIAGNOSTICS = ("3144", "2098", "6058", "6161", "6005", "6080", "6084", "6086", "2089",
                       "2173", "6117", "3124", "3175", "3141", "6141", "6074", "6085", "3168", "2067")


def compile_case(iasl: str, source: Path, out_dir: Path) -> Path:
    stem = out_dir / source.stem
    quiet = [arg for code in IGNORED_DIAGNOSTICS for arg in ("-vw", code)]
    proc = subprocess.run([iasl, *quiet, "-oa", "-f", "-p", str(stem), str(source)],
                          capture_output=True, text=True)
    aml = stem.with_suffix(".aml")
    if not aml.exists():
        # The cases use ASL of ACPI 6.4+ (e.g. ``If (!Load (TABL))``, Load as an expression)
        # that older iasl (Debian 12's 20200925) cannot parse: name the version and the error.
        out = proc.stdout + proc.stderr
        version = re.search(r"version (\d{8})", out)
        error = re.search(r"^Error\s+\d+\s+-.*$", out, re.MULTILINE)
        raise RuntimeError(f"iasl {version.group(1) if version else '?'} produced no AML"
                           + (f" ({' '.join(error.group(0).split())})" if error else "")
                           + "; a newer iasl (--iasl) may compile it")
    return aml


#: The SSDT uACPI's runner installs in place of a table whose OEM table id is "OVERTABL"
#: (test_runner.cpp ``table_override``: ``Name (VAL, "TestRunner")``).
TABLE_OVERRIDE = bytes([
    0x53, 0x53, 0x44, 0x54, 0x35, 0x00, 0x00, 0x00, 0x01, 0xa1, 0x75, 0x54, 0x45, 0x53, 0x54, 0x00,
    0x4f, 0x56, 0x45, 0x52, 0x52, 0x49, 0x44, 0x45, 0xf0, 0xf0, 0xf0, 0xf0, 0x49, 0x4e, 0x54, 0x4c,
    0x25, 0x09, 0x20, 0x20, 0x08, 0x56, 0x41, 0x4c, 0x5f, 0x0d, 0x54, 0x65, 0x73, 0x74, 0x52, 0x75,
    0x6e, 0x6e, 0x65, 0x72, 0x00,
])


def runner_table_override(table: bytes) -> bytes | None:
    """uACPI's runner ``handle_table_install``: deny "DENYTABL", override "OVERTABL"."""
    oem_table_id = table[16:24]
    if oem_table_id == b"DENYTABL":
        return None
    if oem_table_id == b"OVERTABL":
        return TABLE_OVERRIDE
    return table


def nt_branches(case: str) -> list[str]:
    """The NT branches (:data:`NT_DIFFERENCES` keys) that ``case`` needs."""
    return [d.key for d in NT_DIFFERENCES if case in d.uacpi_cases]


def run_case(aml: Path, kind: str, expected: str,
             semantics: AmlSemantics = AmlSemantics.NT) -> tuple[bool, str]:
    interp = Interpreter(osi=RUNNER_OSI, max_loop_iterations=MAX_LOOP_ITERATIONS,
                         table_override=runner_table_override, semantics=semantics)
    interp.load(aml.read_bytes())
    interp.initialize()
    value = interp.evaluate("\\MAIN")
    if kind == "int":
        want = int(expected, 0)
        ok = isinstance(value, int) and value == want
        got = f"{value:#x}" if isinstance(value, int) else repr(value)
    else:
        ok = isinstance(value, str) and value == expected
        got = repr(value)
    return ok, got


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=Path, help="uACPI tests/test-cases directory")
    parser.add_argument("--iasl", default=os.environ.get("IASL") or shutil.which("iasl") or "iasl",
                        help="iasl to compile the cases with (default: $IASL, else iasl on PATH)")
    parser.add_argument("--verbose", "-v", action="store_true", help="show why a case failed")
    parser.add_argument("--semantics", choices=("nt", "acpica", "both"), default="nt",
                        help="the interpreter's AML semantics: nt (default; what uACPI's "
                             "expectations follow), acpica (ACPICA 20240827, Linux's), or both "
                             "(each case both ways, both figures in the summary)")
    parser.add_argument("--acpiexec", help="run the cases in this ACPICA acpiexec instead of our "
                        "interpreter (its own defaults: no runner _OSI setup, no table hook)")
    args = parser.parse_args(argv)

    sources = sorted(args.cases.glob("*.asl"))
    if not sources:
        print(f"no .asl files in {args.cases}")
        return 2
    if args.acpiexec:
        modes: list[AmlSemantics | None] = [None]
    elif args.semantics == "both":
        modes = [AmlSemantics.NT, AmlSemantics.ACPICA]
    else:
        modes = [AmlSemantics(args.semantics)]
    # per mode: passed, failed, failed as ACPICA answers
    counts = {mode: [0, 0, 0] for mode in modes}
    with tempfile.TemporaryDirectory() as tmp:
        for source in sources:
            text = source.read_text(errors="replace")
            m = EXPECT.search(text)
            if not m:
                print(f"SKIP  {source.name}: no '// Expect:' line")
                continue
            kind, expected = m.group(1), m.group(2)
            try:
                aml = compile_case(args.iasl, source, Path(tmp))
            except RuntimeError as exc:
                aml, compile_error = None, f"error: {exc}"
            outcomes = []
            for mode in modes:
                if aml is None:
                    ok, detail = False, compile_error
                else:
                    try:
                        ok, got = (run_acpiexec_case(args.acpiexec, aml, kind, expected)
                                   if mode is None else run_case(aml, kind, expected, mode))
                        detail = f"expected {kind} {expected}, got {got}"
                    except (AcpiError, RuntimeError) as exc:
                        ok, detail = False, f"error: {exc}"
                if ok:
                    verdict = "PASS"
                elif mode is AmlSemantics.ACPICA and source.name in ACPICA_ANSWERS_OTHERWISE:
                    verdict = "ACPICA"
                else:
                    verdict = "FAIL"
                counts[mode][("PASS", "FAIL", "ACPICA").index(verdict)] += 1
                outcomes.append((mode, verdict, detail))
            print(case_line(source.name, outcomes, len(modes) > 1, args.verbose))
    version = iasl_version(args.iasl)
    unexplained = 0
    for mode in modes:
        passed, failed, acpica = counts[mode]
        unexplained += failed
        if mode is None:
            print(f"acpiexec {iasl_version(args.acpiexec)}: {passed} passed, {failed} failed "
                  f"with iasl {version}")
        elif mode is AmlSemantics.ACPICA:
            print(f"{passed} passed, {failed + acpica} failed ({acpica} of them as ACPICA 20240827 "
                  f"answers, see above) with ACPICA semantics and iasl {version}")
        else:
            print(f"{passed} passed, {failed} failed with NT semantics and iasl {version}")
    return 0 if unexplained == 0 else 1


def case_line(name: str, outcomes: list, labelled: bool, verbose: bool) -> str:
    """One case's line: its verdict, per semantics when there are several (``labelled``);
    an ACPICA answer gives the reason and the NT branches the case needs."""
    verdicts = [verdict for _, verdict, _ in outcomes]
    if set(verdicts) == {"PASS"}:
        return f"PASS  {name}"
    branches = f"NT semantics: {', '.join(nt_branches(name)) or 'none'}"
    if not labelled:
        _, verdict, detail = outcomes[0]
        text = f"{verdict:<5} {name}"
        if verdict == "ACPICA":
            text = f"ACPICA {name}: {ACPICA_ANSWERS_OTHERWISE[name]} ({branches})"
        return text + (f": {detail}" if verbose and verdict == "FAIL" else
                       f" [{detail}]" if verbose else "")
    parts = []
    for mode, verdict, detail in outcomes:
        part = f"{mode.value} {verdict}"
        if verdict != "PASS" and verbose:
            part += f" [{detail}]"
        parts.append(part)
    head = "FAIL " if "FAIL" in verdicts else "DIFF "
    return f"{head} {name}: {', '.join(parts)}" + (f" ({branches})" if "ACPICA" in verdicts else "")


def run_acpiexec_case(acpiexec: str, aml: Path, kind: str, expected: str) -> tuple[bool, str]:
    """Evaluate ``\\MAIN`` in acpiexec (after its own _STA/_INI pass), as ``run_case`` does."""
    proc = subprocess.run([acpiexec, str(aml)], input="evaluate \\MAIN\nquit\n", capture_output=True,
                          text=True, timeout=60)
    lines = proc.stdout.splitlines()
    for i, line in enumerate(lines):
        if "returned object" in line and i + 1 < len(lines):
            value = lines[i + 1].strip()
            if kind == "int":
                m = re.match(r"\[Integer\] = ([0-9A-Fa-f]+)", value)
                return bool(m) and int(m.group(1), 16) == int(expected, 0), value
            m = re.match(r'\[String\] Length [0-9A-Fa-f]+ = "(.*)"$', value)
            return bool(m) and m.group(1) == expected, value
    status = re.search(r"failed with status (AE_\w+)", proc.stdout)
    return False, status.group(1) if status else "no result"


def iasl_version(iasl: str) -> str:
    try:
        out = subprocess.run([iasl, "-v"], capture_output=True, text=True).stdout
    except OSError:
        return "?"
    m = re.search(r"version (\d{8})", out)
    return m.group(1) if m else "?"


if __name__ == "__main__":
    sys.exit(main())
