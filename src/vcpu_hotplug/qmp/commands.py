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
- schemas from qapi/control.json, qapi/misc.json, qapi/machine.json and
  qapi/qdev.json; ``x-query-guest-cpus`` and ``x-set-vcpus`` are this
  project's own, named with QEMU's ``x-`` prefix for unstable commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Mapping, Optional, Sequence

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
    ENUM_LIST = "array"


class QmpCapability(str, Enum):
    """``QMPCapability`` (qapi/control.json)."""

    OOB = "oob"


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


@dataclass
class CommandContext:
    """What a command handler may touch."""

    session: SessionState
    backend: CpuBackend
    devices: CpuDeviceTable
    version: dict[str, object]
    request_quit: Callable[[], None]


Handler = Callable[[CommandContext, dict[str, Any]], object]


@dataclass(frozen=True)
class Command:
    """A QMP command: its argument schema and its handler.

    ``open_arguments`` marks commands whose schema is ``'gen': false`` with
    free-form arguments (``device_add``): only the listed ones are checked here.
    """

    name: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    open_arguments: bool = False
    before_negotiation: bool = False


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
    else:
        ok = isinstance(value, list)
    if not ok:
        raise invalid_parameter_type(arg.name, arg.type.value)
    if arg.type is ArgType.ENUM_LIST:
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
    return [{"name": name} for name in COMMANDS]


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


def _x_query_guest_cpus(ctx: CommandContext, args: dict[str, Any]) -> object:
    return ctx.backend.guest_cpus().to_wire()


def _x_set_vcpus(ctx: CommandContext, args: dict[str, Any]) -> object:
    ctx.devices.resize(args["count"])
    return {}


COMMAND_LIST: tuple[Command, ...] = (
    Command("qmp_capabilities", _qmp_capabilities,
            (Arg("enable", ArgType.ENUM_LIST, required=False,
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
    return Request(message[exec_key], dict(message.get("arguments", {})))


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
        arguments = validate_arguments(command, request.arguments)
        result = command.handler(ctx, arguments)
    except QmpError as err:
        return failure(err, request_id, has_id)
    return success(result, request_id, has_id)


def command_names(commands: Sequence[Command] = COMMAND_LIST) -> list[str]:
    return [c.name for c in commands]
