"""The ACPI namespace: a tree of 4-character names (ACPI 6.5 section 5.3 and 20.2.2).

Name strings use the ASL spelling the parser produces: ``\\`` for the root,
``^`` for each parent prefix, ``.`` between segments (``\\_SB.PCI0``,
``^^FOO``, ``BAR.BAZ``). Segments shorter than four characters are padded
with ``_``.

Search rules (section 5.3): a single NameSeg with no prefix is looked up in
the current scope, then in each parent scope up to the root; anything with a
prefix or more than one segment is resolved exactly, relative to the root
(``\\``) or the current scope.
"""

from __future__ import annotations

from typing import Iterator

from vcpu_hotplug.acpi.errors import AmlError

ROOT_NAME = "\\"
PARENT_PREFIX = "^"
SEPARATOR = "."
NAME_SEG_LENGTH = 4

#: Scopes every ACPI namespace starts with (ACPI 6.5 section 5.3.1).
PREDEFINED_SCOPES = ("_GPE", "_PR_", "_SB_", "_SI_", "_TZ_")


class DuplicateName(AmlError):
    """A named object is created where one already exists (ACPICA ``AE_ALREADY_EXISTS``)."""


class Node:
    """One namespace node: its name, parent, children and the object it holds."""

    __slots__ = ("name", "parent", "children", "value", "_path", "table", "alive", "__weakref__")

    def __init__(self, name: str, parent: "Node | None", value=None) -> None:
        self.name = name
        self.parent = parent
        self.children: dict[str, Node] = {}
        self.value = value
        self._path: str | None = None
        self.table = None
        self.alive = True

    @property
    def path(self) -> str:
        """Absolute path without trailing ``_`` padding, e.g. ``\\_SB.C003`` (as ACPICA prints it)."""
        if self._path is None:
            seg = self.name.rstrip("_") or "_"
            if self.parent is None:
                self._path = ROOT_NAME
            elif self.parent.parent is None:
                self._path = ROOT_NAME + seg
            else:
                self._path = self.parent.path + SEPARATOR + seg
        return self._path

    def __repr__(self) -> str:
        return f"Node({self.path})"


def pad_segment(seg: str) -> str:
    if not seg or len(seg) > NAME_SEG_LENGTH:
        raise AmlError(f"invalid name segment {seg!r}")
    return seg.ljust(NAME_SEG_LENGTH, "_")


def split_name(name: str) -> tuple[bool, int, list[str]]:
    """``(absolute, parent_prefixes, segments)`` of a name string."""
    absolute = name.startswith(ROOT_NAME)
    rest = name[1:] if absolute else name
    ups = 0
    while rest.startswith(PARENT_PREFIX):
        ups += 1
        rest = rest[1:]
    segments = [pad_segment(s) for s in rest.split(SEPARATOR)] if rest else []
    return absolute, ups, segments


class Namespace:
    """The tree, with lookups by the rules of section 5.3."""

    def __init__(self) -> None:
        self.root = Node("", None)
        #: Bumped on every creation and removal: compiled code caches lookups per generation.
        self.generation = 0
        #: Bumped when a name changes between method and not-method or its argument count
        #: (CopyObject, Load): method bodies being run are parsed again from there.
        self.shapes = 0

    # -- lookup ---------------------------------------------------------------------------

    def _start(self, scope: Node, absolute: bool, ups: int) -> Node | None:
        node = self.root if absolute else scope
        for _ in range(ups):
            if node.parent is None:
                return None
            node = node.parent
        return node

    def lookup(self, name: str, scope: Node | None = None) -> Node | None:
        """Resolve ``name`` from ``scope`` (root when None); None when absent."""
        scope = scope or self.root
        absolute, ups, segments = split_name(name)
        if not absolute and ups == 0 and len(segments) == 1:
            seg = segments[0]
            node: Node | None = scope
            while node is not None:
                child = node.children.get(seg)
                if child is not None:
                    return child
                node = node.parent
            return None
        node = self._start(scope, absolute, ups)
        for seg in segments:
            if node is None:
                return None
            node = node.children.get(seg)
        return node

    # -- creation -------------------------------------------------------------------------

    def parent_and_seg(self, name: str, scope: Node | None = None) -> tuple[Node, str]:
        """The node that will hold ``name``'s last segment, and that segment."""
        scope = scope or self.root
        absolute, ups, segments = split_name(name)
        if not segments:
            raise AmlError(f"cannot create an object named {name!r}")
        node = self._start(scope, absolute, ups)
        if node is None:
            raise AmlError(f"{name}: parent prefix goes above the root")
        for seg in segments[:-1]:
            child = node.children.get(seg)
            if child is None:
                raise AmlError(f"{name}: scope {seg} does not exist under {node.path}")
            node = child
        return node, segments[-1]

    def create(self, name: str, value, scope: Node | None = None, table=None) -> Node:
        """Create ``name`` holding ``value``; AmlError if it already exists."""
        parent, seg = self.parent_and_seg(name, scope)
        if seg in parent.children:
            raise DuplicateName(f"{parent.children[seg].path} already exists")
        node = Node(seg, parent, value)
        node.table = table
        parent.children[seg] = node
        self.generation += 1
        return node

    def add_alias(self, name: str, target: Node, scope: Node | None = None) -> None:
        """``Alias``: ``name`` becomes another entry for ``target`` (section 19.6.4)."""
        parent, seg = self.parent_and_seg(name, scope)
        if seg in parent.children:
            raise DuplicateName(f"{parent.children[seg].path} already exists")
        parent.children[seg] = target
        self.generation += 1

    def remove(self, node: Node) -> None:
        """Remove ``node`` and everything under it (objects a method created, at its exit)."""
        if node.parent is not None and node.parent.children.get(node.name) is node:
            del node.parent.children[node.name]
        for sub in self.walk(node):
            sub.alive = False
        self.generation += 1

    # -- walking --------------------------------------------------------------------------

    def walk(self, start: Node | None = None) -> Iterator[Node]:
        """Every node below ``start`` (itself included), depth first, in creation order."""
        stack = [start or self.root]
        while stack:
            node = stack.pop()
            yield node
            # Skip alias entries: they name a node that lives elsewhere.
            stack.extend(reversed([c for k, c in node.children.items()
                                   if c.name == k and c.parent is node]))
