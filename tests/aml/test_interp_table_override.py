"""The host's table hook (``Interpreter(table_override=...)``).

ACPICA asks ``AcpiOsTableOverride`` about every table it installs, ``Load``'s
included (``tbinstal.c`` ``AcpiTbOverrideTable``), and installs the replacement it
returns; uACPI's table installation handler may also deny a table, and a denied
``Load`` fails (returns False) and creates nothing.
"""

from __future__ import annotations

from tests.aml.interp_support import compile_asl
from vcpu_hotplug.acpi.aml import Interpreter


def _ssdt(iasl, tmp_path, table_id: str, body: str) -> bytes:
    src = f'DefinitionBlock ("", "SSDT", 2, "VCPUHP", "{table_id}", 1)\n{{\n{body}\n}}\n'
    return compile_asl(iasl, src, tmp_path, name=table_id.lower()).read_bytes()


def test_table_hook_denies_and_overrides_loads(iasl, tmp_path):
    deny = _ssdt(iasl, tmp_path, "DENYTABL", "Name (BUG, 1)")
    over = _ssdt(iasl, tmp_path, "OVERTABL", 'Name (VAL, "Hello")')
    replacement = _ssdt(iasl, tmp_path, "REPLACED", 'Name (VAL, "Host")')

    def buf(data: bytes) -> str:
        return "Buffer () {" + ", ".join(f"0x{x:02x}" for x in data) + "}"

    dsdt = compile_asl(iasl, f"""DefinitionBlock ("", "DSDT", 2, "VCPUHP", "TEST", 1)
{{
    Name (TAB0, {buf(deny)})
    Name (TAB1, {buf(over)})
    Method (MAIN, 0, Serialized) {{
        Local0 = 0
        Load (TAB0, Local1)
        If (Local1) {{ Local0 |= 1 }}
        If (CondRefOf (BUG)) {{ Local0 |= 2 }}
        Load (TAB1, Local1)
        If (!Local1) {{ Local0 |= 4 }}
        Return (Local0)
    }}
}}""", tmp_path, name="dsdt").read_bytes()
    seen = []

    def hook(table: bytes):
        seen.append(table[16:24])
        if table[16:24] == b"DENYTABL":
            return None
        if table[16:24] == b"OVERTABL":
            return replacement
        return table

    interp = Interpreter(table_override=hook)
    interp.load(dsdt)
    assert interp.evaluate("\\MAIN") == 0
    assert interp.evaluate("\\VAL") == "Host"
    assert seen == [b"TEST\0\0\0\0", b"DENYTABL", b"OVERTABL"]
    # A table the hook denies at load() is not installed.
    interp.load(deny)
    assert interp.namespace.lookup("\\BUG") is None
