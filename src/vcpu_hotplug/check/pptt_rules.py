"""PPTT rules: the topology table covers every possible CPU, and its links hold (ACPI 6.5 section 5.2.30).

Linux (``drivers/acpi/pptt.c``) finds a CPU's node with
``acpi_find_processor_node``: the first processor hierarchy node whose ACPI
Processor ID is the CPU's MADT UID and that is a leaf (``acpi_pptt_leaf_node``:
from PPTT revision 2 the "Node is a Leaf" flag, before it a node no other
node names as parent); then it walks Parent links up for the cluster and
package. A CPU without a node logs "PPTT table found, but unable to locate
core %d (%d)" and its topology and caches are wrong.
``Documentation/arch/arm64/cpu-hotplug.rst``: caches are "described in a
static table, the PPTT", so every CPU, enabled or not, must be in it.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.pptt import CacheNode, Pptt, ProcessorFlags, ProcessorNode
from vcpu_hotplug.check.context import CheckContext
from vcpu_hotplug.check.rule import NotApplicable, Outcome, RuleFamily, Severity, fail, ok, outcome

RULES = RuleFamily("pptt")
"""The PPTT rules, in report order."""

LEAF_FLAG_REVISION = 2
"""From PPTT revision 2 (ACPI 6.3) Linux trusts the "Node is a Leaf" flag."""


def _pptt(ctx: CheckContext) -> Pptt:
    pptt = ctx.pptt
    if pptt is None:
        raise NotApplicable("no PPTT (see pptt.present)")
    return pptt


def leaves(pptt: Pptt) -> list[tuple[int, ProcessorNode]]:
    """``(offset, node)`` of every leaf processor node, as ``acpi_pptt_leaf_node`` decides."""
    pairs = list(zip(pptt.offsets(), pptt.nodes))
    if pptt.header.revision >= LEAF_FLAG_REVISION:
        return [(o, n) for o, n in pairs
                if isinstance(n, ProcessorNode) and ProcessorFlags.NODE_IS_A_LEAF in n.flags]
    parents = {n.parent for _, n in pairs if isinstance(n, ProcessorNode)}
    return [(o, n) for o, n in pairs if isinstance(n, ProcessorNode) and o not in parents]


@RULES.rule("pptt.present", Severity.WARN,
            source="drivers/acpi/pptt.c ('No PPTT table found, CPU and cache topology may be inaccurate'); "
                   "Documentation/arch/arm64/cpu-hotplug.rst (caches are described in the PPTT)",
            text="A PPTT describes the CPU topology.")
def _present(ctx: CheckContext) -> Outcome:
    if ctx.pptt is None:
        return fail("no PPTT: Linux guesses the topology from MPIDRs and knows no caches; add a PPTT with a "
                    "leaf for every possible CPU")
    return ok(f"PPTT revision {ctx.pptt.header.revision}, {len(ctx.pptt.processors())} processor nodes")


@RULES.rule("pptt.covers-possible", Severity.FAIL,
            source="ACPI 6.5 5.2.30.1 Table 5.158 (ACPI Processor ID must match the MADT for an actual processor); "
                   "drivers/acpi/pptt.c acpi_find_processor_node ('unable to locate core')",
            text="Every possible CPU, enabled or not, has a leaf processor node with its UID and ACPI Processor ID Valid.")
def _covers(ctx: CheckContext) -> Outcome:
    pptt = _pptt(ctx)
    if not ctx.cpus:
        raise NotApplicable("no possible CPUs in the MADT")
    by_id: dict[int, ProcessorNode] = {}
    for _, node in leaves(pptt):
        by_id.setdefault(node.acpi_processor_id, node)
    problems = []
    for cpu in ctx.cpus:
        node = by_id.get(cpu.uid)
        if node is None:
            problems.append(f"CPU {cpu.index} (UID {cpu.uid}) has no leaf processor node: add one with ACPI "
                            f"Processor ID {cpu.uid} (Linux cannot place it, nor its caches)")
        elif ProcessorFlags.ACPI_PROCESSOR_ID_VALID not in node.flags:
            problems.append(f"the leaf for UID {cpu.uid} lacks ACPI Processor ID Valid: set it (the node is an "
                            f"actual processor)")
    return outcome(problems, f"{len(ctx.cpus)} possible CPUs, each a leaf of the PPTT")


@RULES.rule("pptt.structure", Severity.FAIL,
            source="ACPI 6.5 5.2.30.1 (Parent: offset of the parent processor node, 0 for none; Private Resources: "
                   "offsets of structures), 5.2.30.2 (Next Level of Cache); drivers/acpi/pptt.c fetch_pptt_node",
            text="Every Parent, Private Resource and Next Level of Cache offset names a structure of the right kind.")
def _structure(ctx: CheckContext) -> Outcome:
    pptt = _pptt(ctx)
    pairs = list(zip(pptt.offsets(), pptt.nodes))
    at = dict(pairs)
    problems = []
    for offset, node in pairs:
        if isinstance(node, ProcessorNode):
            if node.parent and not isinstance(at.get(node.parent), ProcessorNode):
                problems.append(f"processor node at {offset:#x} (ID {node.acpi_processor_id}) has Parent "
                                f"{node.parent:#x}, where no processor node starts: point it at its parent's offset")
            problems += [f"processor node at {offset:#x} lists private resource {res:#x}, where no structure "
                         f"starts" for res in node.private_resources if res not in at]
            seen = {offset}
            parent = node.parent
            while parent and isinstance(at.get(parent), ProcessorNode):
                if parent in seen:
                    problems.append(f"processor node at {offset:#x}: the Parent links loop at {parent:#x}")
                    break
                seen.add(parent)
                parent = at[parent].parent
        elif isinstance(node, CacheNode) and node.next_level_of_cache:
            if not isinstance(at.get(node.next_level_of_cache), CacheNode):
                problems.append(f"cache at {offset:#x} names next level {node.next_level_of_cache:#x}, where no "
                                f"cache structure starts")
    return outcome(problems, f"{len(pairs)} structures, every link valid")


@RULES.rule("pptt.leaf-unique", Severity.FAIL,
            source="drivers/acpi/pptt.c acpi_find_processor_node (the first leaf with the ID wins); ACPI 6.5 5.2.30.1",
            text="No two leaf processor nodes have the same ACPI Processor ID.")
def _leaf_unique(ctx: CheckContext) -> Outcome:
    pptt = _pptt(ctx)
    seen: dict[int, int] = {}
    problems = []
    for offset, node in leaves(pptt):
        pid = node.acpi_processor_id
        if pid in seen:
            problems.append(f"leaves at {seen[pid]:#x} and {offset:#x} both have ACPI Processor ID {pid}: Linux uses "
                            f"only the first; remove the duplicate")
        else:
            seen[pid] = offset
    return outcome(problems, f"{len(seen)} leaves, all different IDs")
