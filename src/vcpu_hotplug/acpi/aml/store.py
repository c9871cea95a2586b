"""Store, CopyObject and references (ACPI 6.5 sections 19.3.5.8, 19.6.16 CopyObject,
19.6.131 Store, 19.6.30 DerefOf, 19.6.105 RefOf, 19.6.63 Index).

Which rule applies depends on the target, as in ACPICA 20240827 (``exstore.c``,
``dsmthdat.c``); where NT answers otherwise, :attr:`~.semantics.AmlSemantics.NT`
takes NT's answer (the branches named after :data:`~.semantics.NT_DIFFERENCES`):

* ``Store`` to a named Integer, String or Buffer converts the value to the
  target's type (section 19.3.5.7; a Buffer keeps its length, zero-filled);
  to a Field Unit or Buffer Field writes it; to a Package needs a Package;
  to a Device, Mutex, Event, region, processor, power resource or thermal
  zone is an error; anything else is replaced.
* ``Store`` to LocalX replaces its content (no conversion), a reference it
  held included. NT (``store-through-local``): a LocalX holding a reference
  stores through it with NT's implicit cast (:meth:`Stores.nt_assign`), a raw
  byte copy into the referenced Integer, String or Buffer that keeps its size.
* ``Store`` to ArgX replaces its content, except that an ArgX holding a
  reference made by ``RefOf`` has the referenced object replaced (ACPICA and
  NT agree).
* ``CopyObject`` replaces the target object without conversion (an ArgX
  holding a reference has the referenced object replaced).
* Store to ``Index()`` of a Package replaces the element; of a Buffer or
  String writes one byte. NT (``store-through-package-element``): an element
  holding a reference is stored through, as a LocalX.

Data are copied on every store, so a stored Buffer or Package is never
shared with its source.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml.conversions import to_buffer, to_integer, to_string
from vcpu_hotplug.acpi.aml.objects import (
    AmlString,
    BufferField,
    FieldUnit,
    IndexRef,
    Method,
    NodeRef,
    Package,
    Reference,
    SlotRef,
    UnresolvedName,
    type_name,
)
from vcpu_hotplug.acpi.aml.semantics import AmlSemantics
from vcpu_hotplug.acpi.errors import AmlError

#: Longest chain of references followed before giving up (a loop of references).
MAX_REFERENCE_DEPTH = 64

#: Named objects a Store may not overwrite (ACPICA ``AcpiExStoreObjectToNode``).
_NOT_STORABLE = frozenset({"Device", "Event", "Mutex", "OperationRegion", "PowerResource",
                           "Processor", "ThermalZone", "Scope"})


def copy_value(v):
    """A copy of a data object for a store (Packages deeply, references shared)."""
    t = type(v)
    if t is int:
        return v
    if t is bytearray:
        return bytearray(v)
    if t is AmlString:
        return AmlString(v)
    if t is Package:
        return Package(copy_value(e) for e in v)
    return v


def _is_chain_ref(v) -> bool:
    t = type(v)
    return t is NodeRef or t is SlotRef or (t is IndexRef and (type(v.container) is Package or v.refof))


def unwind(ref):
    """Follow a reference through references it points at, to the last location."""
    for _ in range(MAX_REFERENCE_DEPTH):
        t = type(ref)
        if t is SlotRef:
            v = ref.slots[ref.index]
        elif t is NodeRef:
            v = ref.node.value
        elif t is IndexRef and type(ref.container) is Package:
            if ref.index >= len(ref.container):
                raise AmlError(f"Index {ref.index} beyond a package of {len(ref.container)}")
            v = ref.container[ref.index]
        else:
            return ref
        if _is_chain_ref(v):
            ref = v
        else:
            return ref
    raise AmlError("reference chain too long (a loop of references?)")


def element(ref: IndexRef):
    """The element an ``Index`` reference designates (section 19.6.63), bounds checked."""
    container = ref.container
    if ref.index >= len(container):
        raise AmlError(f"Index {ref.index} beyond the end of a {len(container)}-element object")
    return container[ref.index]


class Stores:
    """The store rules, bound to an interpreter (for field I/O, widths, the Debug log)."""

    def __init__(self, interp) -> None:
        self.interp = interp
        #: NT's store rules (:mod:`.semantics`) instead of ACPICA's.
        self.nt = interp.semantics is AmlSemantics.NT

    # -- reading through references -------------------------------------------------------

    def load(self, loc):
        """The value at a location (fields are read)."""
        interp = self.interp
        t = type(loc)
        if t is SlotRef:
            return loc.slots[loc.index]
        if t is NodeRef:
            return interp.read_object(loc.node.value)
        if t is IndexRef:
            return element(loc)
        if t is UnresolvedName:
            node = interp.namespace.lookup(loc.path)
            if node is None:
                raise AmlError(f"reference to {loc.path}, which does not exist")
            return interp.read_object(node.value)
        return loc

    def deref(self, v):
        """``DerefOf``: the object a reference designates (a String is a name to look up)."""
        if type(v) is AmlString:
            node = self.interp.namespace.lookup(str(v))
            if node is None:
                raise AmlError(f"DerefOf: {v} does not name an object")
            return self.interp.read_object(node.value)
        if not isinstance(v, Reference):
            raise AmlError(f"DerefOf needs a reference, not a {type_name(v)}")
        return self.load_initialized(unwind(v))

    def resolve_value(self, v):
        """An operand that may be a reference, made a plain value (for conversions)."""
        if isinstance(v, Reference):
            return self.load_initialized(unwind(v))
        return v

    def load_initialized(self, loc):
        """:meth:`load`, except that an Index to a Package element never stored is an error
        (ACPICA ``AE_AML_UNINITIALIZED_ELEMENT``, ``exoparg1.c`` DerefOf and ``exresolv.c``)."""
        value = self.load(loc)
        if value is None and type(loc) is IndexRef and type(loc.container) is Package:
            raise AmlError(f"AE_AML_UNINITIALIZED_ELEMENT: element {loc.index} of a Package is "
                           f"dereferenced but was never initialized")
        return value

    # -- the store rules ------------------------------------------------------------------

    def overwrite(self, loc, v) -> None:
        """Replace the object at ``loc`` with a copy of ``v``, no conversion."""
        t = type(loc)
        if t is SlotRef:
            loc.slots[loc.index] = copy_value(v)
        elif t is NodeRef:
            cur = loc.node.value
            if type(cur) is FieldUnit or type(cur) is BufferField:
                self.interp.write_object(cur, v)
            else:
                loc.node.value = copy_value(v)
        elif t is IndexRef:
            self.store_index(loc, v)
        else:
            raise AmlError(f"cannot store to a {type_name(loc)}")

    def nt_assign(self, loc, v) -> None:
        """NT's implicit cast: copy ``v``'s bytes into the object at ``loc``, keeping its size."""
        interp = self.interp
        t = type(loc)
        if t is SlotRef:
            cur = loc.slots[loc.index]
        elif t is NodeRef:
            cur = loc.node.value
        elif t is IndexRef:
            self.store_index(loc, v)
            return
        else:
            raise AmlError(f"cannot store to a {type_name(loc)}")
        if cur is None:
            self.overwrite(loc, v)
            return
        v = self.resolve_value(v)
        ct = type(cur)
        if ct is FieldUnit or ct is BufferField:
            interp.write_object(cur, v)
            return
        width = interp.int_bytes
        vt = type(v)
        if vt is int:
            raw = (v & interp.ones).to_bytes(width, "little")
        elif vt is AmlString or vt is bytearray:
            raw = bytes(v)
        else:
            raise AmlError(f"cannot store a {type_name(v)} into a {type_name(cur)}")
        if ct is int:
            new = int.from_bytes(raw[:width].ljust(width, b"\x00"), "little")
            if t is SlotRef:
                loc.slots[loc.index] = new
            else:
                loc.node.value = new
        elif ct is AmlString or ct is bytearray:
            n = len(cur)
            cur[:] = raw[:n].ljust(n, b"\x00")
        else:
            raise AmlError(f"cannot store a {type_name(v)} into a {type_name(cur)}")

    def store_local(self, slots: list, index: int, v) -> None:
        """``Store(v, LocalX)``: the Local is overwritten, a reference it held included
        (ACPICA dsmthdat.c AcpiDsStoreObjectToLocal: only an Arg stores through one).

        NT ``store-through-local`` (uACPI interpreter.c store_to_reference,
        UACPI_REFERENCE_KIND_LOCAL; uACPI case references-9.asl): a reference the Local
        holds is stored through with the implicit cast."""
        if self.nt and _is_chain_ref(slots[index]):
            self.nt_assign(unwind(slots[index]), v)
            return
        slots[index] = copy_value(v)

    def store_arg(self, slots: list, index: int, v) -> None:
        """``Store(v, ArgX)`` and ``CopyObject(v, ArgX)``: through the reference the Arg holds
        when RefOf made it (dsmthdat.c AcpiDsStoreObjectToLocal, ACPI_REFCLASS_REFOF), else
        the Arg is overwritten (an Index reference included)."""
        cur = slots[index]
        tc = type(cur)
        if tc is NodeRef or tc is SlotRef or (tc is IndexRef and cur.refof):
            self.overwrite(unwind(cur), v)
        else:
            slots[index] = copy_value(v)

    def store_index(self, ref: IndexRef, v) -> None:
        c = ref.container
        i = ref.index
        if i >= len(c):
            raise AmlError(f"Index {i} beyond the end of a {len(c)}-element object")
        if type(c) is Package:
            if self.nt and _is_chain_ref(c[i]):
                # NT store-through-package-element (uACPI store_to_reference,
                # UACPI_REFERENCE_KIND_PKG_INDEX; uACPI case indices-2.asl)
                self.nt_assign(unwind(c[i]), v)
                return
            # ACPICA AcpiExStoreObjectToIndex: the element is replaced, a reference it held
            # included (no store through it, no conversion)
            c[i] = copy_value(v)
            return
        v = self.resolve_value(v)
        vt = type(v)
        if vt is int:
            byte = v & 0xFF
        elif vt is AmlString or vt is bytearray:
            if not v:
                raise AmlError("cannot store an empty String or Buffer into a byte")
            byte = v[0]
        else:
            raise AmlError(f"cannot store a {type_name(v)} into a Buffer byte")
        c[i] = byte

    def store_node(self, node, v, copy_object: bool = False) -> None:
        """``Store(v, NAME)`` (implicit conversion) or ``CopyObject(v, NAME)``."""
        interp = self.interp
        cur = node.value
        ct = type(cur)
        if ct is FieldUnit or ct is BufferField:
            interp.write_object(cur, self.resolve_value(v))
            return
        if copy_object:
            new = copy_value(v)
            if ct is Method or type(new) is Method:
                if ct is not type(new) or cur.arg_count != new.arg_count:
                    interp.namespace.shapes += 1
            node.value = new
            return
        if ct is int:
            node.value = to_integer(self.resolve_value(v), interp.int_bytes) & interp.ones
        elif ct is AmlString:
            cur[:] = to_string(self.resolve_value(v), interp.int_bytes)
        elif ct is bytearray:
            new = to_buffer(self.resolve_value(v), interp.int_bytes)
            n = len(cur)
            if n == 0:
                cur[:] = new
            else:
                cur[:] = bytes(new[:n]).ljust(n, b"\x00")
        elif ct is Package:
            if type(v) is not Package:
                raise AmlError(f"cannot store a {type_name(v)} into Package {node.path}")
            node.value = copy_value(v)
        elif type_name(cur) in _NOT_STORABLE:
            raise AmlError(f"cannot store to {type_name(cur)} {node.path}")
        else:
            node.value = copy_value(v)

    def store_ref(self, ref, v) -> None:
        """Store to a target that evaluated to a reference (``Index(...)``, ``DerefOf(...)``)."""
        t = type(ref)
        if t is NodeRef:
            self.store_node(ref.node, v)
        elif t is SlotRef:
            self.store_local(ref.slots, ref.index, v)
        elif t is IndexRef:
            self.store_index(ref, v)
        elif t is AmlString:
            node = self.interp.namespace.lookup(str(ref))
            if node is None:
                raise AmlError(f"store target {ref} does not exist")
            self.store_node(node, v)
        else:
            raise AmlError(f"cannot store to a {type_name(ref)}")
