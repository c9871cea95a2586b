"""The QMP command table, argument validation and dispatch.

Follows QEMU:

- ``qapi/qmp-dispatch.c`` (``qmp_dispatch_check_obj``, ``qmp_dispatch``):
  the request checks ("QMP input must be a JSON object", "QMP input member
  'x' is unexpected", "QMP input lacks member 'execute'", ...), the
  ``CommandNotFound`` "The command x has not been found", the ``id`` copied
  into the reply whatever the outcome;
- ``qapi/qobject-input-visitor.c``: arguments visited in schema order
  ("Parameter 'x' is missing", "Invalid parameter type for 'x', expected:
  integer"), then leftovers ("Parameter 'x' is unexpected");
- ``monitor/qmp.c`` and ``monitor/qmp-cmds-control.c``: before
  ``qmp_capabilities`` only that command exists, and any other answers
  ``CommandNotFound`` "Expecting capabilities negotiation with
  'qmp_capabilities'"; after it, ``qmp_capabilities`` answers "Capabilities
  negotiation is already complete, command ignored";
- out-of-band execution (``monitor/qmp.c``, ``monitor/qmp-cmds-control.c``
  ``qmp_caps_accept``, ``qapi/qmp-dispatch.c`` ``qmp_dispatch``): the ``oob``
  capability is offered in the greeting, as QEMU does on a monitor with an
  I/O thread (every socket chardev: ``monitor_qmp_caps_reset``), and a client
  may enable it with ``qmp_capabilities {"enable": ["oob"]}``. Without it,
  ``exec-oob`` is an unknown request member ("QMP input member 'exec-oob' is
  unexpected"); with it, ``exec-oob`` of a command whose schema lacks
  ``'allow-oob': true`` answers "The command X does not support OOB". In
  QEMU only a few commands allow OOB (``migrate-recover``, ``migrate-pause``,
  ``yank``, ``x-oob-test``); none of this table's do, so every ``exec-oob``
  is refused;
- schemas from qapi/control.json, qapi/misc.json, qapi/machine.json,
  qapi/qdev.json, qapi/qom.json, qapi/run-state.json, qapi/migration.json,
  qapi/block-core.json and qapi/char.json; ``x-query-guest-cpus`` and
  ``x-set-vcpus`` are this project's own, named with QEMU's ``x-`` prefix
  for unstable commands;
- the commands a management stack needs to run the VM (libvirt's probe and
  domain start): each answers what is true of this VM (no disks: the block
  queries are empty; ``migrate-set-capabilities`` and ``set-action`` change
  nothing here, succeed, and are remembered).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Mapping, Optional

from . import emulator_info
from . import migration as qmp_migration
from .backend import CpuBackend, RunState
from .devices import CpuDeviceTable
from .errors import (ErrorClass, QmpError, enum_value_rejected, invalid_parameter_type,
                     missing_parameter, unexpected_parameter)
from .protocol import failure, success


class ArgType(Enum):
    """A QAPI argument type, valued with the name QEMU's errors use for it."""

    STR = "string"
    INT = "integer"
    BOOL = "boolean"
    LIST = "array"
    OBJECT = "object"


class QmpCapability(str, Enum):
    """``QMPCapability`` (qapi/control.json)."""

    OOB = "oob"


#: What the greeting offers: QEMU offers ``oob`` on a monitor with an I/O thread
#: (``monitor_qmp_caps_reset``: ``capab_offered[OOB] = use_io_thread``), which every
#: socket chardev has (``monitor_init_qmp``: ``QEMU_CHAR_FEATURE_GCONTEXT``).
OFFERED_CAPABILITIES: frozenset[QmpCapability] = frozenset({QmpCapability.OOB})


@dataclass(frozen=True)
class Arg:
    name: str
    type: ArgType
    required: bool = True
    enum: tuple[str, ...] = ()


@dataclass
class SessionState:
    """One client's protocol state: negotiated or not, capabilities enabled."""

    negotiated: bool = False
    capabilities: frozenset[QmpCapability] = frozenset()
    offered: frozenset[QmpCapability] = frozenset()


@dataclass(frozen=True)
class ChardevInfo:
    """``ChardevInfo`` (qapi/char.json): a character device of the command line."""

    label: str
    filename: str
    frontend_open: bool = True

    def to_wire(self) -> dict[str, object]:
        return {"label": self.label, "filename": self.filename,
                "frontend-open": self.frontend_open}


@dataclass
class VmIdentity:
    """What the VM was started as, and the settings management gave it over QMP."""

    name: Optional[str] = None
    uuid: str = "00000000-0000-0000-0000-000000000000"
    machine: str = emulator_info.VIRT_MACHINE
    """``-machine`` type; ``none`` for a capability probe."""
    chardevs: tuple[ChardevInfo, ...] = ()
    migrate_capabilities: dict[str, bool] = field(
        default_factory=lambda: {c: False for c in emulator_info.MIGRATION_CAPABILITIES})
    actions: dict[str, str] = field(default_factory=lambda: {
        "reboot": "reset", "shutdown": "poweroff", "panic": "shutdown", "watchdog": "reset"})


@dataclass
class CommandContext:
    """What a command handler may touch."""

    session: SessionState
    backend: CpuBackend
    devices: CpuDeviceTable
    version: dict[str, object]
    request_quit: Callable[[], None]
    identity: VmIdentity = field(default_factory=VmIdentity)
    emit_event: Callable[[str, Optional[dict[str, object]]], None] = lambda name, data: None
    emit_event_now: Optional[Callable[[str, Optional[dict[str, object]]], None]] = None
    """Sends an event the command raises itself *before* its reply, as QEMU's monitor does with an
    event emitted synchronously in a handler (``MIGRATION`` ``setup`` from ``migrate_init``); None
    when the server offers no such path (then :attr:`emit_event`: after the reply)."""
    commands: Optional[Mapping[str, "Command"]] = None
    """What the connection can run, as ``query-commands`` lists it (qmp_query_commands lists the
    monitor's whole table); None: this module's :data:`COMMANDS`."""


Handler = Callable[[CommandContext, dict[str, Any]], object]


@dataclass(frozen=True)
class Command:
    """A QMP command: its argument schema and its handler.

    ``open_arguments`` marks commands whose schema is ``'gen': false`` with
    free-form arguments (``device_add``): only the listed ones are checked here.
    ``allow_oob`` is the schema's ``'allow-oob': true`` (``QCO_ALLOW_OOB``): only
    such a command may be run with ``exec-oob``.
    """

    name: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    open_arguments: bool = False
    before_negotiation: bool = False
    allow_oob: bool = False


def validate_arguments(command: Command, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``arguments`` against the schema, in QEMU's order; return them."""
    for arg in command.args:
        if arg.name not in arguments:
            if arg.required:
                raise missing_parameter(arg.name)
            continue
        _check_type(arg, arguments[arg.name])
    if not command.open_arguments:
        known = {arg.name for arg in command.args}
        for name in arguments:
            if name not in known:
                raise unexpected_parameter(name)
    return dict(arguments)


def _check_type(arg: Arg, value: Any) -> None:
    if arg.type is ArgType.STR:
        ok = isinstance(value, str)
    elif arg.type is ArgType.INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif arg.type is ArgType.BOOL:
        ok = isinstance(value, bool)
    elif arg.type is ArgType.OBJECT:
        ok = isinstance(value, dict)
    else:
        ok = isinstance(value, list)
    if not ok:
        raise invalid_parameter_type(arg.name, arg.type.value)
    if arg.type is ArgType.LIST and arg.enum:
        for position, item in enumerate(value):
            name = f"{arg.name}[{position}]"
            if not isinstance(item, str):
                raise invalid_parameter_type(name, ArgType.STR.value)
            if item not in arg.enum:
                raise enum_value_rejected(name, item)


# ---------------------------------------------------------------- handlers

def _qmp_capabilities(ctx: CommandContext, args: dict[str, Any]) -> object:
    if ctx.session.negotiated:
        raise QmpError("Capabilities negotiation is already complete, command ignored",
                       ErrorClass.COMMAND_NOT_FOUND)
    wanted = [QmpCapability(v) for v in args.get("enable", [])]
    unavailable = [c.value for c in wanted if c not in ctx.session.offered]
    if unavailable:
        raise QmpError(f"Capability {', '.join(unavailable)} not available")
    ctx.session.capabilities = frozenset(wanted)
    ctx.session.negotiated = True
    return {}


def _query_version(ctx: CommandContext, args: dict[str, Any]) -> object:
    return ctx.version


def _query_status(ctx: CommandContext, args: dict[str, Any]) -> object:
    state = ctx.backend.status()
    return {"status": state.value, "running": state is RunState.RUNNING}


def _query_commands(ctx: CommandContext, args: dict[str, Any]) -> object:
    return [{"name": name} for name in (COMMANDS if ctx.commands is None else ctx.commands)]


def _quit(ctx: CommandContext, args: dict[str, Any]) -> object:
    ctx.request_quit()
    return {}


def _query_hotpluggable_cpus(ctx: CommandContext, args: dict[str, Any]) -> object:
    return ctx.devices.hotpluggable_cpus()


def _query_cpus_fast(ctx: CommandContext, args: dict[str, Any]) -> object:
    return ctx.devices.cpus_fast()


def _device_add(ctx: CommandContext, args: dict[str, Any]) -> object:
    ctx.devices.device_add(args)
    return {}


def _device_del(ctx: CommandContext, args: dict[str, Any]) -> object:
    ctx.devices.device_del(args["id"])
    return {}


def _query_target(ctx: CommandContext, args: dict[str, Any]) -> object:
    return {"arch": emulator_info.TARGET_ARCH}


def _query_kvm(ctx: CommandContext, args: dict[str, Any]) -> object:
    return {"enabled": False, "present": False}  # an emulation: TCG, no KVM


def _query_qmp_schema(ctx: CommandContext, args: dict[str, Any]) -> object:
    # No introspection data: clients fall back to what query-commands and the probes say.
    return []


def _query_name(ctx: CommandContext, args: dict[str, Any]) -> object:
    return {"name": ctx.identity.name} if ctx.identity.name is not None else {}


def _query_uuid(ctx: CommandContext, args: dict[str, Any]) -> object:
    return {"UUID": ctx.identity.uuid}


def _query_machines(ctx: CommandContext, args: dict[str, Any]) -> object:
    return [m.to_wire() for m in emulator_info.machines(ctx.backend.cpu_type() or
                                                         "host-arm-cpu")]


def _query_cpu_definitions(ctx: CommandContext, args: dict[str, Any]) -> object:
    return emulator_info.cpu_definitions()


def _qom_list_types(ctx: CommandContext, args: dict[str, Any]) -> object:
    return emulator_info.qom_types(args.get("implements"), args.get("abstract", False))


def _type_properties(ctx: CommandContext, args: dict[str, Any], what: str) -> object:
    """device-list-properties / qom-list-properties (qom/qom-qmp-cmds.c)."""
    name = args["typename"]
    if name not in emulator_info.QOM_TYPES:
        raise QmpError(f"{what} '{name}' not found", ErrorClass.DEVICE_NOT_FOUND)
    if name.endswith("-arm-cpu"):
        return [{"name": prop, "type": "int32"} for prop in
                ("socket-id", "cluster-id", "core-id", "thread-id")]
    return []


def _device_list_properties(ctx: CommandContext, args: dict[str, Any]) -> object:
    return _type_properties(ctx, args, "Device")


def _qom_list_properties(ctx: CommandContext, args: dict[str, Any]) -> object:
    return _type_properties(ctx, args, "Class")


def _qom_list(ctx: CommandContext, args: dict[str, Any]) -> object:
    return ctx.devices.qom_list(args["path"])


def _query_tpm_models(ctx: CommandContext, args: dict[str, Any]) -> object:
    return []


def _query_command_line_options(ctx: CommandContext, args: dict[str, Any]) -> object:
    option = args.get("option")
    try:
        return emulator_info.command_line_options(option)
    except KeyError:
        raise QmpError(f"invalid option name: {option}") from None


def _query_migrate_capabilities(ctx: CommandContext, args: dict[str, Any]) -> object:
    return [{"capability": name, "state": state}
            for name, state in ctx.identity.migrate_capabilities.items()]


def _migrate_set_capabilities(ctx: CommandContext, args: dict[str, Any]) -> object:
    """migration/options.c: every entry checked before any is applied."""
    wanted: dict[str, bool] = {}
    for position, entry in enumerate(args["capabilities"]):
        where = f"capabilities[{position}]"
        if not isinstance(entry, dict):
            raise invalid_parameter_type(where, "object")
        capability, state = entry.get("capability"), entry.get("state")
        if not isinstance(capability, str):
            raise missing_parameter("capability") if capability is None else \
                invalid_parameter_type("capability", ArgType.STR.value)
        if capability not in ctx.identity.migrate_capabilities:
            raise enum_value_rejected("capability", capability)
        if not isinstance(state, bool):
            raise missing_parameter("state") if state is None else \
                invalid_parameter_type("state", ArgType.BOOL.value)
        wanted[capability] = state
    ctx.identity.migrate_capabilities.update(wanted)
    return {}


def _query_gic_capabilities(ctx: CommandContext, args: dict[str, Any]) -> object:
    return [dict(c) for c in emulator_info.GIC_CAPABILITIES]


def _query_chardev(ctx: CommandContext, args: dict[str, Any]) -> object:
    return [c.to_wire() for c in ctx.identity.chardevs]


def _empty_list(ctx: CommandContext, args: dict[str, Any]) -> object:
    """Queries of things this VM has none of (block devices and nodes, jobs, iothreads)."""
    return []


#: ``set-action`` values that change what the guest's reset and power-off do (qapi/run-state.json).
REBOOT_SHUTDOWN = "shutdown"
SHUTDOWN_PAUSE = "pause"
_ACTIONS = {"reboot": ("reset", REBOOT_SHUTDOWN), "shutdown": ("poweroff", SHUTDOWN_PAUSE),
            "panic": ("pause", "shutdown", "exit-failure", "none"),
            "watchdog": ("reset", "shutdown", "poweroff", "pause", "debug", "none",
                         "inject-nmi")}


def _set_action(ctx: CommandContext, args: dict[str, Any]) -> object:
    """qapi/run-state.json ``set-action``: checked whole, then remembered; ``reboot`` and ``shutdown``
    act (system/runstate.c: ``reboot=shutdown`` turns the guest's reset into a shutdown, as
    ``-no-reboot`` does; ``shutdown=pause`` keeps the process after it, as ``-no-shutdown``)."""
    for name, value in args.items():
        if value not in _ACTIONS[name]:
            raise enum_value_rejected(name, value)
    ctx.identity.actions.update(args)
    if "reboot" in args:
        ctx.backend.set_reboot_shuts_down(args["reboot"] == REBOOT_SHUTDOWN)
    return {}


def _cont(ctx: CommandContext, args: dict[str, Any]) -> object:
    """system/cpus.c ``qmp_cont``: ``RESUME`` once the vCPUs run."""
    if ctx.backend.status() is RunState.RUNNING:
        return {}
    if ctx.backend.status() is RunState.INMIGRATE:
        ctx.backend.resume()  # qmp_cont: autostart, the VM runs once its incoming state is loaded
        return {}
    ctx.backend.resume()
    ctx.emit_event("RESUME", None)
    return {}


def _stop(ctx: CommandContext, args: dict[str, Any]) -> object:
    """``qmp_stop``: ``STOP`` when running vCPUs stop (prelaunch stays prelaunch)."""
    if ctx.backend.status() is RunState.RUNNING:
        ctx.backend.pause()
        ctx.emit_event("STOP", None)
    return {}


def _system_powerdown(ctx: CommandContext, args: dict[str, Any]) -> object:
    ctx.backend.power_button()
    ctx.emit_event("POWERDOWN", None)
    return {}


#: ``RESET`` data of a host reset (qapi/run-state.json ``ShutdownCause`` ``host-qmp-system-reset``).
HOST_RESET_DATA = {"guest": False, "reason": "host-qmp-system-reset"}


def _system_reset(ctx: CommandContext, args: dict[str, Any]) -> object:
    """qapi/run-state.json ``system_reset``: the machine resets and the guest reboots; ``RESET`` follows
    the reply (QEMU emits it from ``qemu_system_reset``). Events the reset itself causes (an eject the
    guest had written completes) come first."""
    ctx.backend.system_reset()
    ctx.emit_event("RESET", dict(HOST_RESET_DATA))
    return {}


def _x_query_guest_cpus(ctx: CommandContext, args: dict[str, Any]) -> object:
    return ctx.backend.guest_cpus().to_wire()


def _x_set_vcpus(ctx: CommandContext, args: dict[str, Any]) -> object:
    ctx.devices.resize(args["count"])
    return {}


COMMAND_LIST: tuple[Command, ...] = (
    Command("qmp_capabilities", _qmp_capabilities,
            (Arg("enable", ArgType.LIST, required=False,
                 enum=tuple(c.value for c in QmpCapability)),),
            before_negotiation=True),
    Command("query-version", _query_version),
    Command("query-status", _query_status),
    Command("query-commands", _query_commands),
    Command("quit", _quit),
    Command("query-hotpluggable-cpus", _query_hotpluggable_cpus),
    Command("query-cpus-fast", _query_cpus_fast),
    Command("device_add", _device_add,
            (Arg("driver", ArgType.STR), Arg("bus", ArgType.STR, required=False),
             Arg("id", ArgType.STR, required=False)),
            open_arguments=True),
    Command("device_del", _device_del, (Arg("id", ArgType.STR),)),
    Command("query-target", _query_target),
    Command("query-kvm", _query_kvm),
    Command("query-qmp-schema", _query_qmp_schema),
    Command("query-name", _query_name),
    Command("query-uuid", _query_uuid),
    Command("query-machines", _query_machines, (Arg("compat-props", ArgType.BOOL, required=False),)),
    Command("query-cpu-definitions", _query_cpu_definitions),
    Command("qom-list-types", _qom_list_types,
            (Arg("implements", ArgType.STR, required=False),
             Arg("abstract", ArgType.BOOL, required=False))),
    Command("device-list-properties", _device_list_properties, (Arg("typename", ArgType.STR),)),
    Command("qom-list-properties", _qom_list_properties, (Arg("typename", ArgType.STR),)),
    Command("qom-list", _qom_list, (Arg("path", ArgType.STR),)),
    Command("query-tpm-models", _query_tpm_models),
    Command("query-command-line-options", _query_command_line_options,
            (Arg("option", ArgType.STR, required=False),)),
    Command("query-migrate-capabilities", _query_migrate_capabilities),
    Command("migrate-set-capabilities", _migrate_set_capabilities,
            (Arg("capabilities", ArgType.LIST),)),
    Command("migrate", qmp_migration.migrate,
            (Arg("uri", ArgType.STR, required=False), Arg("channels", ArgType.LIST, required=False),
             Arg("detach", ArgType.BOOL, required=False), Arg("resume", ArgType.BOOL, required=False))),
    Command("query-migrate", qmp_migration.query_migrate),
    Command("migrate_cancel", qmp_migration.migrate_cancel),
    Command("query-migrate-parameters", qmp_migration.query_migrate_parameters),
    Command("migrate-set-parameters", qmp_migration.migrate_set_parameters, open_arguments=True),
    Command("migrate-incoming", qmp_migration.migrate_incoming,
            (Arg("uri", ArgType.STR, required=False), Arg("channels", ArgType.LIST, required=False),
             Arg("exit-on-error", ArgType.BOOL, required=False))),
    Command("query-gic-capabilities", _query_gic_capabilities),
    Command("query-chardev", _query_chardev),
    Command("query-named-block-nodes", _empty_list, (Arg("flat", ArgType.BOOL, required=False),)),
    Command("query-block", _empty_list),
    Command("query-jobs", _empty_list),
    Command("query-iothreads", _empty_list),
    Command("set-action", _set_action,
            tuple(Arg(name, ArgType.STR, required=False) for name in _ACTIONS)),
    Command("cont", _cont),
    Command("stop", _stop),
    Command("system_powerdown", _system_powerdown),
    Command("system_reset", _system_reset),
    Command("x-query-guest-cpus", _x_query_guest_cpus),
    Command("x-set-vcpus", _x_set_vcpus, (Arg("count", ArgType.INT),)),
)
COMMANDS: Mapping[str, Command] = {c.name: c for c in COMMAND_LIST}

NEGOTIATION_REQUIRED = "Expecting capabilities negotiation with 'qmp_capabilities'"


@dataclass(frozen=True)
class Request:
    """A request that passed ``qmp_dispatch_check_obj``."""

    command: str
    arguments: dict[str, Any] = field(default_factory=dict)
    oob: bool = False
    """Sent with ``exec-oob`` (``qmp_is_oob``)."""


def check_request(message: object, oob_enabled: bool = False) -> Request:
    """qapi/qmp-dispatch.c ``qmp_dispatch_check_obj``."""
    if not isinstance(message, dict):
        raise QmpError("QMP input must be a JSON object")
    exec_key: Optional[str] = None
    for name, value in message.items():
        if name == "execute" or (name == "exec-oob" and oob_enabled):
            if not isinstance(value, str):
                raise QmpError(f"QMP input member '{name}' must be a string")
            if exec_key is not None:
                raise QmpError(f"QMP input member '{name}' clashes with '{exec_key}'")
            exec_key = name
        elif name == "arguments":
            if not isinstance(value, dict):
                raise QmpError("QMP input member 'arguments' must be an object")
        elif name == "id":
            continue
        else:
            raise QmpError(f"QMP input member '{name}' is unexpected")
    if exec_key is None:
        raise QmpError("QMP input lacks member 'execute'")
    return Request(message[exec_key], dict(message.get("arguments", {})), exec_key == "exec-oob")


def dispatch(message: object, ctx: CommandContext,
             commands: Mapping[str, Command] = COMMANDS) -> dict[str, object]:
    """Run one request; return its reply (``return`` or ``error``, ``id`` echoed)."""
    has_id = isinstance(message, dict) and "id" in message
    request_id = message.get("id") if isinstance(message, dict) else None
    try:
        request = check_request(message, QmpCapability.OOB in ctx.session.capabilities)
        command = commands.get(request.command)
        available = command is not None and (ctx.session.negotiated or command.before_negotiation)
        if not available:
            if not ctx.session.negotiated:
                raise QmpError(NEGOTIATION_REQUIRED, ErrorClass.COMMAND_NOT_FOUND)
            raise QmpError(f"The command {request.command} has not been found",
                           ErrorClass.COMMAND_NOT_FOUND)
        if request.oob and not command.allow_oob:
            raise QmpError(f"The command {request.command} does not support OOB")
        arguments = validate_arguments(command, request.arguments)
        result = command.handler(ctx, arguments)
    except QmpError as err:
        return failure(err, request_id, has_id)
    return success(result, request_id, has_id)

