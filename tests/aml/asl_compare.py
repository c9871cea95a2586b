"""Semantic comparison of two parsed definition blocks, for the ASL round-trip tests.

Two blocks are *semantically equal* when their term trees are equal after
forgetting what ASL cannot express and iasl therefore re-encodes:

* byte offsets and lengths (they move when anything before them changes size);
* the width of an integer's encoding (iasl always picks the smallest);
* Package versus VarPackage with the same constant count;
* ``External`` declarations, and the ``If (Zero) { External (...) }`` block iasl
  emits for them.

With ``asl2`` one more iasl rewrite is forgiven: ``X = (A + B)`` is compiled
as ``Add (A, B, X)`` where the AML was ``Store (Add (A, B), X)``.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from vcpu_hotplug.acpi.aml import tree as t
from vcpu_hotplug.acpi.aml.opcodes import NameString, Opcode

_POSITION_FIELDS = {"offset", "length", "data_offset", "body_offset"}
_TARGET_LAST = {Opcode.ADD, Opcode.SUBTRACT, Opcode.MULTIPLY, Opcode.MOD, Opcode.SHIFT_LEFT,
                Opcode.SHIFT_RIGHT, Opcode.AND, Opcode.OR, Opcode.XOR, Opcode.NOT, Opcode.INDEX}


def _is_external_block(node: Any) -> bool:
    if isinstance(node, t.External):
        return True
    return (isinstance(node, t.If) and isinstance(node.predicate, t.Integer) and node.predicate.value == 0
            and all(isinstance(n, t.External) for n in node.body))


def _asl2_store(node: t.Op) -> t.Op | None:
    """``Store (Op (A, B, <none>), X)`` as iasl recompiles ``X = (A op B)``: ``Op (A, B, X)``."""
    if node.opcode is not Opcode.STORE:
        return None
    source, dest = node.args
    if isinstance(source, t.Op) and source.opcode in _TARGET_LAST and source.args[-1] is None:
        return t.Op(node.offset, node.length, source.opcode, [*source.args[:-1], dest])
    return None


def normalize(node: Any, *, asl2: bool = False) -> Any:
    """A comparable form of ``node`` (see the module docstring)."""
    if isinstance(node, list):
        return [normalize(n, asl2=asl2) for n in node if not _is_external_block(n)]
    if isinstance(node, t.DefinitionBlock):
        return normalize(node.body, asl2=asl2)
    if isinstance(node, t.Integer):
        return ("Integer", node.value)
    if isinstance(node, t.Package):
        count = node.count
        if isinstance(count, t.Integer):
            count = count.value
        elif isinstance(count, t.Node):
            count = normalize(count, asl2=asl2)
        return ("Package", count, normalize(node.elements, asl2=asl2))
    if asl2 and isinstance(node, t.Op):
        rewritten = _asl2_store(node)
        if rewritten is not None:
            node = rewritten
    if isinstance(node, t.Node):
        return (type(node).__name__, tuple((f.name, normalize(getattr(node, f.name), asl2=asl2))
                                           for f in fields(node) if f.name not in _POSITION_FIELDS))
    if isinstance(node, NameString):
        return str(node)
    return node


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two normalized forms first differ (for assertion messages)."""
    if type(a) is not type(b):
        return f"{path}: {a!r:.200} != {b!r:.200}"
    if isinstance(a, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b)):
            where = first_difference(x, y, f"{path}/{i}")
            if where:
                return where
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        return None
    return None if a == b else f"{path}: {a!r:.200} != {b!r:.200}"
