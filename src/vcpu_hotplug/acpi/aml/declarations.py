"""Named-object declarations: the closures that create namespace objects (ACPI 6.5 section 19.6).

As uACPI's ``handle_create_*`` (``source/interpreter.c``): :data:`DECLARATIONS`
maps a :mod:`.tree` node class to ``handler(compiler, node) -> closure`` (or
None for a declaration with no run-time effect, ``External``). The closure
creates the object in the frame's current scope; an object a method creates
is recorded in ``Frame.created`` and removed when the method returns.
Regions and fields are in :mod:`.field_declarations`.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml import tree as t
from vcpu_hotplug.acpi.aml.field_declarations import FIELD_DECLARATIONS
from vcpu_hotplug.acpi.aml.frame import CompilerServices, creator, in_scope
from vcpu_hotplug.acpi.aml.objects import Device, Event, Method, Mutex, PowerResource, Processor, ThermalZone
from vcpu_hotplug.acpi.aml.store import copy_value
from vcpu_hotplug.acpi.errors import AmlError


def _name(c: CompilerServices, node: t.Name):
    create = creator(c)
    value = c.expr(node.value)
    name = str(node.name)
    return lambda f: create(f, name, copy_value(value(f)))


def _scope(c: CompilerServices, node: t.Scope):
    ns = c.ns
    body = c.block(node.body)
    name = str(node.name)

    def open_scope(f):
        target = ns.lookup(name, f.scope) if name != "\\" else ns.root
        if target is None:
            raise AmlError(f"Scope({name}): no such object")
        return in_scope(f, target, body)
    return open_scope


def _scoped_object(make):
    """Device, ThermalZone, Processor, PowerResource: an object that opens a scope."""
    def handler(c: CompilerServices, node):
        create = creator(c)
        body = c.block(node.body)
        name = str(node.name)
        new = make(node)

        def declare_scope(f):
            n = create(f, name, new())
            return in_scope(f, n, body)
        return declare_scope
    return handler


def _processor(node: t.Processor):
    pid, addr, plen = node.proc_id, node.pblk_address, node.pblk_length
    return lambda: Processor(pid, addr, plen)


def _power_resource(node: t.PowerResource):
    lvl, order = node.system_level, node.resource_order
    return lambda: PowerResource(lvl, order)


def _method(c: CompilerServices, node: t.Method):
    create = creator(c)
    table = c.table
    name = str(node.name)
    arg_count, serialized, sync_level = node.arg_count, node.serialized, node.sync_level
    body_nodes = node.body
    source, body_offset, end = c.source, node.body_offset, node.offset + node.length

    def declare_method(f):
        m = Method(arg_count=arg_count, serialized=serialized, sync_level=sync_level,
                   body=body_nodes, table=table, source=source, body_offset=body_offset, end=end)
        m.node = create(f, name, m)
        return None
    return declare_method


def _alias(c: CompilerServices, node: t.Alias):
    ns = c.ns
    source = str(node.source)
    name = str(node.name)

    def declare_alias(f):
        target = ns.lookup(source, f.scope)
        if target is None:
            raise AmlError(f"Alias({source}, {name}): {source} does not exist")
        ns.add_alias(name, target, f.scope)
    return declare_alias


def _external(c: CompilerServices, node: t.External):
    return None


def _mutex(c: CompilerServices, node: t.Mutex):
    create = creator(c)
    name = str(node.name)
    level = node.sync_level
    return lambda f: create(f, name, Mutex(sync_level=level))


def _event(c: CompilerServices, node: t.Event):
    create = creator(c)
    name = str(node.name)
    return lambda f: create(f, name, Event())


#: Node class -> handler(compiler, node) -> closure (None: nothing to do at run time).
DECLARATIONS = {
    t.Name: _name,
    t.Scope: _scope,
    t.Device: _scoped_object(lambda node: Device),
    t.ThermalZone: _scoped_object(lambda node: ThermalZone),
    t.Processor: _scoped_object(_processor),
    t.PowerResource: _scoped_object(_power_resource),
    t.Method: _method,
    t.Alias: _alias,
    t.External: _external,
    t.Mutex: _mutex,
    t.Event: _event,
    **FIELD_DECLARATIONS,
}
