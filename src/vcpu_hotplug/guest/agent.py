"""qemu-ga, the QEMU guest agent, as far as ``virsh guestvcpus`` and ``virsh setvcpus --guest`` go.

The daemon that runs inside the guest and answers on the virtio-serial port
``org.qemu.guest_agent.0``. It takes decoded JSON requests and returns reply
dicts; it touches the guest only through sysfs, as the real one does.
Follows QEMU 9.1:

- ``qapi/qmp-dispatch.c`` ``qmp_dispatch`` and ``qmp_dispatch_check_obj``:
  the request must be an object with a string ``execute``, an object
  ``arguments`` and any ``id`` (echoed in the reply, success or error);
  an unknown command is ``CommandNotFound`` "The command X has not been
  found"; a command without ``returns`` answers ``{}``;
- ``qapi/qobject-input-visitor.c``: argument errors ("Parameter 'vcpus[0].online'
  is missing", "Invalid parameter type for 'id', expected: integer",
  "Parameter 'x' is unexpected");
- ``qga/main.c`` ``process_event``/``send_response``: a JSON parse error is
  answered without ``id``; the response after ``guest-sync-delimited`` is
  prefixed with the sentinel byte 0xFF (:meth:`GuestAgent.pop_delimit_response`);
- ``qga/commands.c``: ``guest-sync``, ``guest-sync-delimited``,
  ``guest-ping``, ``guest-info`` (commands listed in reverse registration
  order, as ``QAPI_LIST_PREPEND`` leaves them);
- ``qga/commands-posix.c`` ``qmp_guest_shutdown``: ``powerdown`` (the
  default) and ``halt`` power the guest off (``shutdown -P``/``-H`` end in
  ``kernel_power_off``); ``reboot`` restarts it (``kernel_restart``). It
  has no success response: nothing is sent back;
- ``qga/commands-posix.c`` ``guest-file-open``/``-read``/``-write``/``-flush``/``-close``
  (:class:`GuestFiles`) on the files this model has, those of
  ``/sys/devices/system/cpu`` (so ``smt/control`` can be written as a user
  would, the task being ``qemu-ga``); every other path is "No such file or
  directory";
- ``qga/commands-linux.c`` ``transfer_vcpu``, ``qmp_guest_get_vcpus``,
  ``qmp_guest_set_vcpus``: the ``cpuN`` entries of ``/sys/devices/system/cpu``
  in directory order; a CPU without ``cpuN/online`` is online and cannot be
  offlined; setting stops at the first failure and reports an error only
  when the first entry failed, else the count of entries processed;
- ``qobject/qdict.c``: a QDict iterates its keys by ``tdb_hash`` bucket, so
  replies are written in that order (:func:`qdict_key_order`), e.g.
  ``{"online": true, "can-offline": false, "logical-id": 0}``.

Only the commands implemented here are registered (and listed by
``guest-info``); anything else is ``CommandNotFound``.
"""

from __future__ import annotations

import base64
import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vcpu_hotplug.guest.errors import Errno, GuestError, SysfsError
from vcpu_hotplug.guest.smt import Task
from vcpu_hotplug.guest.sysfs import SYSFS_CPU_DIR

if TYPE_CHECKING:
    from vcpu_hotplug.guest.kernel import Kernel

QGA_VERSION = "9.1.50"
"""``QEMU_VERSION`` of the qemu-ga modelled: the arm64 vCPU hotplug RFC branch (QEMU 9.1 development)."""
QGA_SENTINEL_BYTE = 0xFF
"""``QGA_SENTINEL_BYTE`` (qga/main.c): prefixes the reply to ``guest-sync-delimited``."""
QDICT_BUCKET_MAX = 512
"""``QDICT_BUCKET_MAX`` (include/qobject/qdict.h)."""
QGA_PSTATE_DEFAULT_FD_COUNTER = 1000
"""``QGA_PSTATE_DEFAULT_FD_COUNTER`` (qga/main.c): the first file handle ``guest-file-open`` returns."""
QGA_READ_COUNT_DEFAULT = 4096
"""``QGA_READ_COUNT_DEFAULT`` (qga/commands-common.h): what ``guest-file-read`` reads without ``count``."""
AGENT_TASK = Task("qemu-ga", 412)
"""The agent's process as a kernel warning names it (the pid is this model's; Linux picks one at start)."""
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_CPU_ENTRY = re.compile(r"cpu\s*([+-]?\d+)")  # sscanf(name, "cpu%" PRId64, &id)


class AgentErrorClass(str, enum.Enum):
    """The ``QapiErrorClass`` values qemu-ga answers with (qapi/error.json)."""

    GENERIC_ERROR = "GenericError"
    COMMAND_NOT_FOUND = "CommandNotFound"


class AgentError(GuestError):
    """A command failed; ``desc`` is qemu-ga's message, ``error_class`` its QAPI class."""

    def __init__(self, desc: str, error_class: AgentErrorClass = AgentErrorClass.GENERIC_ERROR) -> None:
        super().__init__(desc)
        self.desc = desc
        self.error_class = error_class

    def to_wire(self) -> dict[str, str]:
        """``qmp_error_response``: ``{"class": ..., "desc": ...}``."""
        return {"class": self.error_class.value, "desc": self.desc}


def _tdb_hash(name: str) -> int:
    """``tdb_hash`` (qobject/qdict.c), on 32-bit unsigned arithmetic."""
    data = name.encode("utf-8")
    value = (0x238F13AF * len(data)) & 0xFFFF_FFFF
    for i, byte in enumerate(data):
        value = (value + (byte << (i * 5 % 24))) & 0xFFFF_FFFF
    return (1103515243 * value + 12345) & 0xFFFF_FFFF


def qdict_key_order(keys: Iterable[str]) -> list[str]:
    """The order a QDict built by inserting ``keys`` in turn iterates them (``qdict_first``/``qdict_next``).

    Buckets ascend by ``tdb_hash(key) % QDICT_BUCKET_MAX``; within a bucket
    the newest entry comes first (``QLIST_INSERT_HEAD``).
    """
    indexed = list(enumerate(keys))
    indexed.sort(key=lambda item: (_tdb_hash(item[1]) % QDICT_BUCKET_MAX, -item[0]))
    return [key for _, key in indexed]


# --- qapi/qobject-input-visitor.c ---------------------------------------------------------------

def _missing(name: str) -> AgentError:
    return AgentError(f"Parameter '{name}' is missing")


def _invalid_type(name: str, expected: str) -> AgentError:
    return AgentError(f"Invalid parameter type for '{name}', expected: {expected}")


def _unexpected(name: str) -> AgentError:
    return AgentError(f"Parameter '{name}' is unexpected")


def _member(prefix: str, name: str) -> str:
    """``full_name``: ``vcpus[0].online`` for a member of a list element, ``id`` at top level."""
    return f"{prefix}.{name}" if prefix else name


def _visit_int(obj: dict, prefix: str, name: str) -> int:
    path = _member(prefix, name)
    if name not in obj:
        raise _missing(path)
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, int) or not INT64_MIN <= value <= INT64_MAX:
        raise _invalid_type(path, "integer")
    return value


def _visit_bool(obj: dict, prefix: str, name: str, optional: bool = False) -> bool | None:
    path = _member(prefix, name)
    if name not in obj:
        if optional:
            return None
        raise _missing(path)
    value = obj[name]
    if not isinstance(value, bool):
        raise _invalid_type(path, "boolean")
    return value


def _visit_str(obj: dict, name: str, optional: bool = False) -> str | None:
    if name not in obj:
        if optional:
            return None
        raise _missing(name)
    value = obj[name]
    if not isinstance(value, str):
        raise _invalid_type(name, "string")
    return value


def _check_struct(obj: dict, prefix: str, known: tuple[str, ...]) -> None:
    """``visit_check_struct``: a member nobody visited is unexpected."""
    for name in qdict_key_order(obj):
        if name not in known:
            raise _unexpected(_member(prefix, name))


# --- the schema's types -------------------------------------------------------------------------

@dataclass(frozen=True)
class GuestLogicalProcessor:
    """``GuestLogicalProcessor`` (qga/qapi-schema.json): ``logical-id``, ``online``, ``*can-offline``.

    ``can-offline`` is always filled in by the agent and ignored on input.
    """

    logical_id: int
    online: bool
    can_offline: bool | None = None

    MEMBERS = ("logical-id", "online", "can-offline")

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"logical-id": self.logical_id, "online": self.online}
        if self.can_offline is not None:
            out["can-offline"] = self.can_offline
        return out

    @classmethod
    def from_wire(cls, value: object, path: str) -> "GuestLogicalProcessor":
        """``visit_type_GuestLogicalProcessor`` on one element of the input."""
        if not isinstance(value, dict):
            raise _invalid_type(path, "object")
        logical_id = _visit_int(value, path, "logical-id")
        online = _visit_bool(value, path, "online")
        can_offline = _visit_bool(value, path, "can-offline", optional=True)
        _check_struct(value, path, cls.MEMBERS)
        assert online is not None
        return cls(logical_id, online, can_offline)


@dataclass(frozen=True)
class AgentCommand:
    """One registered command (``QmpCommand``): name, handler and its ``success-response``."""

    name: str
    handler: Callable[[dict], Any]
    success_response: bool = True
    enabled: bool = True

    def info(self) -> dict[str, Any]:
        """``GuestAgentCommandInfo``."""
        return {"name": self.name, "enabled": self.enabled, "success-response": self.success_response}


# --- files (qga/commands-posix.c) ---------------------------------------------------------------

#: ``guest_file_open_modes``: fopen mode -> (reads, writes).
OPEN_MODES: dict[str, tuple[bool, bool]] = {
    **dict.fromkeys(("r", "rb"), (True, False)),
    **dict.fromkeys(("w", "wb", "a", "ab"), (False, True)),
    **dict.fromkeys(("r+", "rb+", "r+b", "w+", "wb+", "w+b", "a+", "ab+", "a+b"), (True, True)),
}


@dataclass
class _OpenFile:
    """``GuestFileHandle``: the path, what the mode allows, stdio's buffers."""

    path: str
    reads: bool
    writes: bool
    pending: bytes = b""
    """What ``fwrite`` buffered and ``fflush``/``fclose`` will ``write(2)`` in one go."""
    content: bytes | None = None
    """What the first read returned (sysfs fills a file's content once per open)."""
    offset: int = 0


class GuestFiles:
    """qemu-ga's open files on the guest's sysfs: handles from ``QGA_PSTATE_DEFAULT_FD_COUNTER`` up.

    ``fwrite`` only fills stdio's buffer, so a sysfs store runs (and fails) at
    ``guest-file-flush`` or ``guest-file-close``: "failed to flush file: <strerror>"
    / "failed to close handle: <strerror>". After a failed close QEMU keeps the
    handle listed with its FILE closed; here it is gone.
    """

    def __init__(self, kernel: "Kernel") -> None:
        self.kernel = kernel
        self._handles: dict[int, _OpenFile] = {}
        self._counter = QGA_PSTATE_DEFAULT_FD_COUNTER

    def _find(self, handle: int) -> _OpenFile:
        """``guest_file_handle_find``."""
        found = self._handles.get(handle)
        if found is None:
            raise AgentError(f"handle '{handle}' has not been found")
        return found

    def open(self, path: str, mode: str) -> int:
        """``qmp_guest_file_open``: the new handle."""
        if mode not in OPEN_MODES:
            raise AgentError(f"invalid file open mode '{mode}'")
        reads, writes = OPEN_MODES[mode]
        err = self.kernel.sysfs.access(path, write=writes)
        if err is not None:
            raise AgentError(f"failed to open file '{path}' (mode: '{mode}'): {err.strerror}")
        handle = self._counter
        self._counter += 1
        self._handles[handle] = _OpenFile(path, reads, writes)
        return handle

    def read(self, handle: int, count: int | None) -> tuple[bytes, bool]:
        """``qmp_guest_file_read``: up to ``count`` bytes and whether the end was reached."""
        f = self._find(handle)
        if count is None:
            count = QGA_READ_COUNT_DEFAULT
        elif count < 0 or count >= 0xFFFF_FFFF:
            raise AgentError(f"value '{count}' is invalid for argument count")
        if not f.reads:
            raise AgentError(f"failed to read file: {Errno.EBADF.strerror}")
        if f.content is None:
            f.content = self.kernel.sysfs.read(f.path).encode()
        data = f.content[f.offset:f.offset + count]
        f.offset += len(data)
        return data, len(data) < count

    def write(self, handle: int, buf_b64: str, count: int | None) -> int:
        """``qmp_guest_file_write``: the bytes ``fwrite`` took (into stdio's buffer)."""
        f = self._find(handle)
        if _BASE64_TEXT.fullmatch(buf_b64) is None:     # qbase64_decode
            raise AgentError("Base64 data contains invalid characters")
        buf = base64.b64decode(buf_b64 + "=" * (-len(buf_b64) % 4))
        if count is None:
            count = len(buf)
        elif count < 0 or count > len(buf):
            raise AgentError(f"value '{count}' is invalid for argument count")
        if not f.writes:
            raise AgentError(f"failed to write to file: {Errno.EBADF.strerror}")
        f.pending += buf[:count]
        return count

    def _write_out(self, f: _OpenFile) -> Errno | None:
        """stdio writing its buffer: one ``write(2)``, the sysfs store."""
        data, f.pending = f.pending, b""
        if not data:
            return None
        try:
            self.kernel.sysfs.write(f.path, data.decode("utf-8", "replace"), task=AGENT_TASK)
        except SysfsError as err:
            return err.errno
        return None

    def flush(self, handle: int) -> None:
        """``qmp_guest_file_flush``."""
        err = self._write_out(self._find(handle))
        if err is not None:
            raise AgentError(f"failed to flush file: {err.strerror}")

    def close(self, handle: int) -> None:
        """``qmp_guest_file_close``."""
        f = self._find(handle)
        del self._handles[handle]
        err = self._write_out(f)
        if err is not None:
            raise AgentError(f"failed to close handle: {err.strerror}")


# --- the daemon ---------------------------------------------------------------------------------

class GuestAgent:
    """One qemu-ga process in a guest: dispatches requests, operating on the guest through sysfs."""

    def __init__(self, kernel: "Kernel") -> None:
        self.kernel = kernel
        self.files = GuestFiles(kernel)
        self._delimit_response = False
        # Registration order follows qga/qapi-schema.json (qmp_init_marshal).
        self._commands: dict[str, AgentCommand] = {}
        for command in (
            AgentCommand("guest-sync-delimited", self._guest_sync_delimited),
            AgentCommand("guest-sync", self._guest_sync),
            AgentCommand("guest-ping", self._guest_ping),
            AgentCommand("guest-info", self._guest_info),
            AgentCommand("guest-shutdown", self._guest_shutdown, success_response=False),
            AgentCommand("guest-file-open", self._guest_file_open),
            AgentCommand("guest-file-close", self._guest_file_close),
            AgentCommand("guest-file-read", self._guest_file_read),
            AgentCommand("guest-file-write", self._guest_file_write),
            AgentCommand("guest-file-flush", self._guest_file_flush),
            AgentCommand("guest-get-vcpus", self._guest_get_vcpus),
            AgentCommand("guest-set-vcpus", self._guest_set_vcpus),
        ):
            self._commands[command.name] = command

    # dispatch (qapi/qmp-dispatch.c) -------------------------------------------------------------

    @property
    def commands(self) -> list[AgentCommand]:
        """The registered commands, in registration order."""
        return list(self._commands.values())

    def handle(self, request: object) -> dict[str, Any] | None:
        """``qmp_dispatch``: the reply to one decoded request (``id`` echoed when the request had one);
        None for a command without success response that succeeded."""
        if not isinstance(request, dict):
            return {"error": AgentError("QMP input must be a JSON object").to_wire()}
        has_id = "id" in request
        try:
            result = self._dispatch(request)
            command = self._commands.get(request["execute"])
            if command is not None and not command.success_response:
                return None
            reply: dict[str, Any] = {"return": result}
        except AgentError as err:
            reply = {"error": err.to_wire()}
        if has_id:
            reply["id"] = request["id"]
        return reply

    def parse_error(self, desc: str) -> dict[str, Any]:
        """``process_event`` with an error from the JSON parser: a GenericError reply without ``id``."""
        return {"error": AgentError(desc).to_wire()}

    def pop_delimit_response(self) -> bool:
        """``send_response``: whether this response takes the 0xFF prefix (the flag is consumed)."""
        delimit, self._delimit_response = self._delimit_response, False
        return delimit

    def _dispatch(self, request: dict) -> Any:
        self._check_obj(request)
        name = request["execute"]
        command = self._commands.get(name)
        if command is None:
            raise AgentError(f"The command {name} has not been found", AgentErrorClass.COMMAND_NOT_FOUND)
        args = request.get("arguments", {})
        result = command.handler(args)
        return {} if result is None else result

    @staticmethod
    def _check_obj(request: dict) -> None:
        """``qmp_dispatch_check_obj`` (qemu-ga does not allow ``exec-oob``)."""
        for name in qdict_key_order(request):
            value = request[name]
            if name == "execute":
                if not isinstance(value, str):
                    raise AgentError("QMP input member 'execute' must be a string")
            elif name == "arguments":
                if not isinstance(value, dict):
                    raise AgentError("QMP input member 'arguments' must be an object")
            elif name != "id":
                raise AgentError(f"QMP input member '{name}' is unexpected")
        if "execute" not in request:
            raise AgentError("QMP input lacks member 'execute'")

    # qga/commands.c -----------------------------------------------------------------------------

    def _guest_sync_delimited(self, args: dict) -> int:
        ident = _visit_int(args, "", "id")
        _check_struct(args, "", ("id",))
        self._delimit_response = True  # ga_set_response_delimited
        return ident

    def _guest_sync(self, args: dict) -> int:
        ident = _visit_int(args, "", "id")
        _check_struct(args, "", ("id",))
        return ident

    def _guest_ping(self, args: dict) -> None:
        _check_struct(args, "", ())

    def _guest_info(self, args: dict) -> dict[str, Any]:
        _check_struct(args, "", ())
        # qmp_command_info prepends each command: the list comes out in reverse registration order.
        return {"version": QGA_VERSION,
                "supported_commands": [c.info() for c in reversed(self.commands)]}

    def _guest_shutdown(self, args: dict) -> None:
        _check_struct(args, "", ("mode",))
        mode = args.get("mode", "powerdown")
        if not isinstance(mode, str):
            raise _invalid_type("mode", "string")
        if mode in ("powerdown", "halt"):
            self.kernel.power_off()
        elif mode == "reboot":
            self.kernel.restart()
        else:
            raise AgentError(f"Invalid parameter 'mode'")

    # qga/commands-posix.c: files ---------------------------------------------------------------

    def _guest_file_open(self, args: dict) -> int:
        path = _visit_str(args, "path")
        mode = _visit_str(args, "mode", optional=True)
        _check_struct(args, "", ("path", "mode"))
        return self.files.open(path, mode or "r")

    def _guest_file_close(self, args: dict) -> None:
        handle = _visit_int(args, "", "handle")
        _check_struct(args, "", ("handle",))
        self.files.close(handle)

    def _guest_file_read(self, args: dict) -> dict[str, Any]:
        handle = _visit_int(args, "", "handle")
        count = _visit_int(args, "", "count") if "count" in args else None
        _check_struct(args, "", ("handle", "count"))
        data, eof = self.files.read(handle, count)
        reply = {"count": len(data), "buf-b64": base64.b64encode(data).decode("ascii"), "eof": eof}
        return {key: reply[key] for key in qdict_key_order(reply)}

    def _guest_file_write(self, args: dict) -> dict[str, Any]:
        handle = _visit_int(args, "", "handle")
        buf = _visit_str(args, "buf-b64")
        count = _visit_int(args, "", "count") if "count" in args else None
        _check_struct(args, "", ("handle", "buf-b64", "count"))
        written = self.files.write(handle, buf, count)
        reply = {"count": written, "eof": False}
        return {key: reply[key] for key in qdict_key_order(reply)}

    def _guest_file_flush(self, args: dict) -> None:
        handle = _visit_int(args, "", "handle")
        _check_struct(args, "", ("handle",))
        self.files.flush(handle)

    # qga/commands-linux.c -----------------------------------------------------------------------

    def _guest_get_vcpus(self, args: dict) -> list[dict[str, Any]]:
        _check_struct(args, "", ())
        return [vcpu.to_wire() for vcpu in self.get_vcpus()]

    def _guest_set_vcpus(self, args: dict) -> int:
        if "vcpus" not in args:
            raise _missing("vcpus")
        raw = args["vcpus"]
        if not isinstance(raw, list):
            raise _invalid_type("vcpus", "array")
        vcpus = [GuestLogicalProcessor.from_wire(item, f"vcpus[{i}]") for i, item in enumerate(raw)]
        _check_struct(args, "", ("vcpus",))
        return self.set_vcpus(vcpus)

    def get_vcpus(self) -> list[GuestLogicalProcessor]:
        """``qmp_guest_get_vcpus``: every ``cpuN`` entry of ``/sys/devices/system/cpu``, in directory order."""
        out: list[GuestLogicalProcessor] = []
        for entry in self.kernel.sysfs.listdir():
            match = _CPU_ENTRY.match(entry)
            if match is None:
                continue
            out.append(self._read_vcpu(int(match.group(1))))
        return out

    def set_vcpus(self, vcpus: list[GuestLogicalProcessor]) -> int:
        """``qmp_guest_set_vcpus``: the count of entries processed; raises only when the first one fails."""
        processed = 0
        for vcpu in vcpus:
            try:
                self._write_vcpu(vcpu)
            except AgentError:
                if processed == 0:
                    raise
                break
            processed += 1
        return processed

    @staticmethod
    def _dirpath(logical_id: int) -> str:
        return f"{SYSFS_CPU_DIR}/cpu{logical_id}/"

    def _open_dir(self, logical_id: int) -> str:
        """``open(dirpath, O_RDONLY | O_DIRECTORY)``: the ``cpuN/`` directory must exist."""
        dirpath = self._dirpath(logical_id)
        if f"cpu{logical_id}" not in self.kernel.sysfs.listdir():
            raise AgentError(f'open("{dirpath}"): {Errno.ENOENT.strerror}')
        return dirpath

    def _read_online(self, dirpath: str) -> str | None:
        """``openat`` + ``pread`` of one byte of ``online``; None when the file does not exist."""
        try:
            text = self.kernel.sysfs.read(dirpath + "online")
        except SysfsError as err:
            if err.errno == Errno.ENOENT:
                return None
            raise AgentError(f'open("{dirpath}/online"): {err.errno.strerror}') from None
        if not text:
            raise AgentError(f'pread("{dirpath}/online"): unexpected EOF')
        return text[0]

    def _read_vcpu(self, logical_id: int) -> GuestLogicalProcessor:
        """``transfer_vcpu`` system to ``vcpu``."""
        dirpath = self._open_dir(logical_id)
        status = self._read_online(dirpath)
        if status is None:
            return GuestLogicalProcessor(logical_id, online=True, can_offline=False)
        return GuestLogicalProcessor(logical_id, online=status != "0", can_offline=True)

    def _write_vcpu(self, vcpu: GuestLogicalProcessor) -> None:
        """``transfer_vcpu`` ``vcpu`` to system: writes ``online`` only when the state differs."""
        dirpath = self._open_dir(vcpu.logical_id)
        status = self._read_online(dirpath)
        if status is None:
            if not vcpu.online:
                raise AgentError(f"logical processor #{vcpu.logical_id} can't be offlined")
            return  # pretend successful re-onlining
        if vcpu.online == (status != "0"):
            return  # pretend successful re-(on|off)-lining
        try:
            self.kernel.sysfs.write(dirpath + "online", "1" if vcpu.online else "0")
        except SysfsError as err:
            raise AgentError(f'pwrite("{dirpath}/online"): {err.errno.strerror}') from None


__all__ = [
    "AgentCommand", "AgentError", "AgentErrorClass", "GuestAgent", "GuestFiles", "GuestLogicalProcessor",
    "QGA_SENTINEL_BYTE", "QGA_VERSION", "qdict_key_order",
]
