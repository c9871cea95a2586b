"""The layering of DESIGN.md section 2, read from the source: no import cycle, no import that points up.

Every module under ``src/vcpu_hotplug`` is parsed with :mod:`ast` and every
``import`` in it counts, wherever it stands: at module level, inside a
function (a lazy import) or under ``if TYPE_CHECKING:`` (a cycle that only
type checkers see is still two modules that each need the other).

Layers, bottom up (an import may only point down or stay inside its layer):

- ``arm``: the Arm specifications; imports nothing of the project;
- ``acpi``: the ACPI specification; may use ``arm``;
- ``hw``: the hardware boundary; may use ``arm`` and ``acpi``;
- ``vmm`` and ``guest``: each may use ``arm``, ``acpi`` and ``hw``, never the other;
- everything else (``system``, ``vm``, ``qmp``, ``story``, ``check``, ``cli``,
  ``emulator``) is the top, which may use anything.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "vcpu_hotplug"
SRC = Path(__file__).resolve().parent.parent / "src" / PACKAGE

LOWER_LAYERS: dict[str, frozenset[str]] = {
    "arm": frozenset(),
    "acpi": frozenset(),
    "hw": frozenset({"arm"}),
    "vmm": frozenset({"arm", "acpi", "hw"}),
    "guest": frozenset({"arm", "acpi", "hw"}),
}
"""For each layer below the top, the layers its modules may import besides their own:
``arm`` and ``acpi`` know only their specs, ``hw`` knows nothing above it (DESIGN.md section 2)."""

@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``importer`` needs ``target`` (``line`` in the importer's file)."""

    importer: str
    target: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.importer} (line {self.line}: {self.text}) imports {self.target}"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


MODULES = project_modules()


def _resolve_relative(importer: str, is_package: bool, level: int, module: str | None) -> str:
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imports_of(name: str, path: Path) -> list[Import]:
    """Every project module ``name`` imports, each with the statement that does it."""
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source, str(path))
    found: list[Import] = []

    def add(node: ast.stmt, target: str) -> None:
        found.append(Import(name, target, node.lineno, lines[node.lineno - 1].strip()))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    add(node, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = _resolve_relative(name, path.name == "__init__.py", node.level, node.module)
            if not (base == PACKAGE or base.startswith(PACKAGE + ".")):
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                add(node, submodule if submodule in MODULES else base)
    return found


def layer_of(module: str) -> str:
    """``arm``, ``acpi``, ``hw``, ``vmm``, ``guest`` or ``top``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LOWER_LAYERS else "top"


@functools.cache
def all_imports() -> list[Import]:
    return [edge for name, path in MODULES.items() for edge in imports_of(name, path)]


def upward_imports(edges: list[Import]) -> list[str]:
    """Each import that leaves its layer for one it may not use, with the rule it breaks."""
    problems = []
    for edge in edges:
        source, target = layer_of(edge.importer), layer_of(edge.target)
        if source == "top" or target == source or target in LOWER_LAYERS[source]:
            continue
        allowed = ", ".join(sorted(LOWER_LAYERS[source])) or "nothing of the project"
        problems.append(f"{edge}: the {source} layer may import only itself and {allowed}")
    return problems


def import_cycles(edges: list[Import]) -> list[list[Import]]:
    """One cycle (as the imports that close it) for each strongly connected group of modules."""
    graph: dict[str, dict[str, Import]] = {name: {} for name in MODULES}
    for edge in edges:
        if edge.target in graph and edge.target != edge.importer:
            graph[edge.importer].setdefault(edge.target, edge)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(start: str) -> None:
        # Tarjan's algorithm, iterative: (node, iterator over its successors).
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(graph[succ])))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)

    for name in graph:
        if name not in index:
            connect(name)
    return [_cycle_in(graph, group) for group in groups]


def _cycle_in(graph: dict[str, dict[str, Import]], group: set[str]) -> list[Import]:
    """A shortest cycle through the group's first module (by name), as its imports."""
    start = min(group)
    paths: dict[str, list[Import]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for succ, edge in sorted(graph[node].items()):
                if succ == start:
                    return paths[node] + [edge]
                if succ in group and succ not in paths:
                    paths[succ] = paths[node] + [edge]
                    following.append(succ)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def test_the_walk_sees_every_module_and_its_imports() -> None:
    assert {"vcpu_hotplug.arm.psci", "vcpu_hotplug.system", "vcpu_hotplug.check.catalog"} <= set(MODULES)
    edges = imports_of("vcpu_hotplug.check.catalog", MODULES["vcpu_hotplug.check.catalog"])
    assert "vcpu_hotplug.check.madt_rules" in {e.target for e in edges}


@pytest.mark.parametrize("source, expected", [
    ("from vcpu_hotplug.vmm.machine import Machine\n", "vcpu_hotplug.vmm.machine"),
    ("def f():\n    from vcpu_hotplug.vmm import machine\n", "vcpu_hotplug.vmm.machine"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import vcpu_hotplug.vmm.machine\n",
     "vcpu_hotplug.vmm.machine"),
    ("from ..vmm.machine import Machine\n", "vcpu_hotplug.vmm.machine"),
])
def test_every_kind_of_import_counts(tmp_path: Path, source: str, expected: str) -> None:
    path = tmp_path / "probe.py"
    path.write_text(source)
    assert [e.target for e in imports_of("vcpu_hotplug.guest.probe", path)] == [expected]
    assert upward_imports(imports_of("vcpu_hotplug.guest.probe", path)) != []


def test_no_import_points_up_or_across() -> None:
    """``arm`` imports nothing of the project; ``acpi`` and ``hw`` nothing above them; ``vmm`` and ``guest``
    only the layers below and never each other."""
    problems = upward_imports(all_imports())
    assert not problems, "imports against the layering:\n" + "\n".join(problems)


def test_no_import_cycle() -> None:
    cycles = import_cycles(all_imports())
    shown = ["\n  ".join(str(edge) for edge in cycle) for cycle in cycles]
    assert not cycles, "import cycles:\n" + "\n".join(f"- {text}" for text in shown)
