"""Our interpreter against ACPICA 20240827's recorded answers (tests/data/acpica-20240827).

Linux 6.12 runs ACPICA core revision 20240827; its ``acpiexec`` answered
every program of ``golden.json`` (made by ``conformance/acpica_golden.py``,
see the README there). Here each group's AML, compiled by iasl 20240827, is
loaded into one Interpreter and its methods evaluated in the recorded order
(field programs share acpiexec's region memory the same way), and the typed
result, or the failure, must be the one ACPICA gave. No ACPICA is needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vcpu_hotplug.acpi.aml import Interpreter
from vcpu_hotplug.acpi.aml.objects import NodeRef, Reference
from vcpu_hotplug.acpi.aml.store import unwind
from vcpu_hotplug.acpi.errors import AmlError

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "data" / "acpica-20240827"
GOLDEN = json.loads((GOLDEN_DIR / "golden.json").read_text())
PROGRAMS = [(group, p) for group, g in GOLDEN["groups"].items() for p in g["programs"]]

#: Programs on which we knowingly answer otherwise than ACPICA 20240827: (group, id) -> why.
#: Their tests are strict xfails, so a fix shows.
KNOWN_DIFFERENCES = {
    ("edges", "object_type_all"):
        "ObjectType (\\_SB) is 6 in ACPICA, whose predefined \\_SB and \\_TZ are Devices "
        "(utglobal.c AcpiGbl_PreDefinedNames); ours are Scopes (0), which the guest model's "
        "device walk relies on",
    ("references", "package_device_name"):
        "the same \\_SB: ObjectType of the Device it names is 6 in ACPICA, 0 (Scope) here",
    ("references", "module_package_forward_name"):
        "a name in a module-level Package that the table defines later is resolved by ACPICA at "
        "the end of the load (dspkginit.c AcpiDsInitPackageElement), to the Integer here; ours "
        "stays an unresolved reference",
    ("references", "module_package_name_value"):
        "a Package element named after an Integer shares ACPICA's value object, so a later Store "
        "to the name shows in the element (0x79); ours is the value copied when the Package was "
        "made (0x78)",
    ("references", "method_package_name_value"):
        "the same sharing in a Package a method builds (0x7B in ACPICA, 0x7A here)",
    ("edges", "return_package_ref_elements"):
        "ACPICA fails 'Local0 = Package () {ED00, EA02}' (a Method named as a Package element, "
        "stored in a Local) with AE_AML_UNINITIALIZED_LOCAL; we keep the reference to the Method",
}


def program_params(programs=None):
    """``pytest.param`` per program, the known differences as strict xfails."""
    params = []
    for group, p in programs or PROGRAMS:
        why = KNOWN_DIFFERENCES.get((group, p["id"]))
        marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
        params.append(pytest.param(group, p, id=f"{group}-{p['id']}", marks=marks))
    return params


def as_acpiexec_shows(interp: Interpreter, value) -> dict:
    """Our result typed the way acpiexec prints an evaluation's result.

    acpiexec prints a returned reference as the object it designates (the
    external copy of AcpiEvaluateObject), and a reference inside a Package by
    the NameSeg of its node.
    """
    if isinstance(value, Reference):
        final = unwind(value)
        value = final.node.value if type(final) is NodeRef else interp.stores.load(final)
    typed = interp.to_typed(value)
    return _seg_refs(typed)


def _seg_refs(typed: dict) -> dict:
    if typed.get("type") == "Package":
        return {"type": "Package", "value": [_seg_refs(v) for v in typed["value"]]}
    if typed.get("type") == "Reference" and isinstance(typed.get("value"), str):
        return {"type": "Reference", "value": typed["value"].rsplit(".", 1)[-1].lstrip("\\^").ljust(4, "_")}
    return typed


def evaluate_like_acpiexec(interp: Interpreter, method: str) -> dict:
    """``{"error": ...}`` when the evaluation fails (our reason kept for the message)."""
    try:
        return as_acpiexec_shows(interp, interp.evaluate_object("\\" + method))
    except AmlError as exc:
        return {"error": str(exc)}


@pytest.fixture(scope="module")
def ours() -> dict[tuple[str, str], dict]:
    """Every program's result from our interpreter, one Interpreter per group, in order."""
    results = {}
    for group, g in GOLDEN["groups"].items():
        interp = Interpreter()
        interp.load((GOLDEN_DIR / g["aml"]).read_bytes())
        for program in g["programs"]:
            results[group, program["id"]] = evaluate_like_acpiexec(interp, program["method"])
    return results


def same_as_acpica(got: dict, expected: dict) -> bool:
    """Equal results, or both failures (ACPICA's status need not be our reason's words)."""
    if "error" in expected or "error" in got:
        return "error" in expected and "error" in got
    return got == expected


def test_golden_data_is_acpica_20240827():
    assert GOLDEN["acpica_version"] == "20240827" and GOLDEN["iasl_version"] == "20240827"
    assert len(PROGRAMS) >= 600
    for group, g in GOLDEN["groups"].items():
        assert (GOLDEN_DIR / g["aml"]).read_bytes()[:4] == b"DSDT", group


@pytest.mark.parametrize("group,program", program_params())
def test_same_result_as_acpica_20240827(ours, group, program):
    got = ours[group, program["id"]]
    expected = program["expected"]
    assert same_as_acpica(got, expected), (
        f"{program['method']} ({program['body']!r}): ACPICA 20240827 gave {expected}, we gave {got}")
