"""Region and field declarations (ACPI 6.5 sections 19.6.15, 19.6.32, 19.6.48, 19.6.64, 19.6.100).

OperationRegion, DataTableRegion, Field, IndexField, BankField and the
Create*Field buffer fields, as uACPI's ``handle_create_op_region``,
``handle_create_data_region``, ``handle_create_field`` and
``handle_create_buffer_field`` (``source/interpreter.c``). :data:`FIELD_DECLARATIONS`
maps a :mod:`.tree` node class to ``handler(compiler, node) -> closure``.
The field flags are read through :attr:`.tree.FieldBase.field_flags`.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml import tree as t
from vcpu_hotplug.acpi.aml.fields import ACCESS_BUFFER, access_bytes_for
from vcpu_hotplug.acpi.aml.frame import CompilerServices, creator
from vcpu_hotplug.acpi.aml.objects import (
    AmlString,
    BufferField,
    FieldUnit,
    OperationRegion,
    Reference,
    type_name,
)
from vcpu_hotplug.acpi.aml.opcodes import CREATE_FIELD_BITS, Opcode
from vcpu_hotplug.acpi.errors import AmlError


#: Create*Field opcodes whose index operand counts bits (the others count bytes).
_BIT_INDEXED = (Opcode.CREATE_BIT_FIELD, Opcode.CREATE_FIELD)


def _operation_region(c: CompilerServices, node: t.OperationRegion):
    create = creator(c)
    interp = c.interp
    name = str(node.name)
    space = node.space
    offset = c.int_expr(node.region_offset)
    length = c.int_expr(node.region_length)

    def declare_region(f):
        r = OperationRegion(space=space, offset=offset(f), length=length(f))
        r.node = create(f, name, r)
        interp.region_created(r)
    return declare_region


def _data_region(c: CompilerServices, node: t.DataRegion):
    create = creator(c)
    interp = c.interp
    name = str(node.name)
    sig = c.expr(node.signature)
    oem = c.expr(node.oem_id)
    oem_table = c.expr(node.oem_table_id)

    def declare_data_region(f):
        r = interp.data_table_region(str(sig(f)), str(oem(f)), str(oem_table(f)))
        r.node = create(f, name, r)
    return declare_data_region


def _buffer_field(c: CompilerServices, node: t.CreateField):
    create = creator(c)
    name = str(node.name)
    src = c.expr(node.source)
    index = c.int_expr(node.index)
    width = c.int_expr(node.width) if node.width is not None else None
    fixed = CREATE_FIELD_BITS[node.opcode]
    by_bit = node.opcode in _BIT_INDEXED
    stores = c.stores

    def declare_buffer_field(f):
        buf = src(f)
        if isinstance(buf, Reference):
            buf = stores.resolve_value(buf)
        if type(buf) is not bytearray and type(buf) is not AmlString:
            raise AmlError(f"Create*Field needs a Buffer, not a {type_name(buf)}")
        bit = index(f) * (1 if by_bit else 8)
        nbits = fixed if fixed is not None else width(f)
        if nbits == 0:
            raise AmlError("CreateField of zero bits")
        if bit + nbits > 8 * len(buf):
            raise AmlError(f"buffer field bits {bit}..{bit + nbits} beyond a "
                           f"{len(buf)}-byte buffer")
        bf = BufferField(buffer=buf, bit_offset=bit, bit_length=nbits,
                         is_create_field=fixed is None)
        bf.node = create(f, name, bf)
    return declare_buffer_field


def _lookup(ns, f, name):
    n = ns.lookup(name, f.scope)
    if n is None:
        raise AmlError(f"{name} does not exist")
    return n.value


def _field_units(c: CompilerServices, node: t.FieldBase, registers):
    """The closure declaring every unit of a field list; ``registers(f)`` gives what they access."""
    create = creator(c)
    flags = node.field_flags
    update = flags.update
    lock = flags.lock
    default_access = flags.access
    elements = node.elements

    def declare_fields(f):
        common = registers(f)
        access = default_access
        attrib = 0
        access_length = 0
        for el in elements:
            if isinstance(el, t.AccessAs):
                access = el.access
                attrib = el.attrib
                access_length = el.access_length or 0
            elif isinstance(el, t.NamedField):
                if el.bit_width == 0:
                    continue
                nbytes = access_bytes_for(access)
                fu = FieldUnit(bit_offset=el.bit_offset, bit_length=el.bit_width,
                               access_bytes=nbytes, update_rule=update, lock=lock,
                               attribute=attrib, access_length=access_length, **common)
                if access == ACCESS_BUFFER:
                    fu.attribute = attrib
                fu.node = create(f, el.name, fu)
    return declare_fields


def _field(c: CompilerServices, node: t.Field):
    ns = c.ns
    region_name = str(node.region)

    def registers(f):
        region = _lookup(ns, f, region_name)
        if type(region) is not OperationRegion:
            raise AmlError(f"Field: {node.region} is a {type_name(region)}, not a region")
        return {"region": region}
    return _field_units(c, node, registers)


def _bank_field(c: CompilerServices, node: t.BankField):
    ns = c.ns
    region_name, bank_name = str(node.region), str(node.bank_name)
    bank_value = c.int_expr(node.bank_value)

    def registers(f):
        region = _lookup(ns, f, region_name)
        bank = _lookup(ns, f, bank_name)
        if type(region) is not OperationRegion or type(bank) is not FieldUnit:
            raise AmlError("BankField needs a region and a bank register field")
        return {"region": region, "bank": bank, "bank_value": bank_value(f)}
    return _field_units(c, node, registers)


def _index_field(c: CompilerServices, node: t.IndexField):
    ns = c.ns
    index_name, data_name = str(node.index_name), str(node.data_name)

    def registers(f):
        index = _lookup(ns, f, index_name)
        data = _lookup(ns, f, data_name)
        if type(index) is not FieldUnit or type(data) is not FieldUnit:
            raise AmlError("IndexField needs index and data register fields")
        return {"index": index, "data": data}
    return _field_units(c, node, registers)


#: Node class -> handler(compiler, node) -> closure.
FIELD_DECLARATIONS = {
    t.OperationRegion: _operation_region,
    t.DataRegion: _data_region,
    t.CreateField: _buffer_field,
    t.Field: _field,
    t.BankField: _bank_field,
    t.IndexField: _index_field,
}
