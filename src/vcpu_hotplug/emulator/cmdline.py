"""QEMU's system-emulator command line, parsed the way ``qemu-system-aarch64`` parses it.

Pure: no I/O, no sockets, no printing; the entry point decides what to do with
the result. Each part follows a QEMU source file:

- ``system/vl.c``: ``lookup_opt()`` (``-foo`` and ``--foo`` are the same
  option; "invalid option", "requires an argument"; a word without a dash is a
  disk image for ``-hda``), the option ``switch`` of ``qemu_init()`` (which
  options merge, which take JSON), ``monitor_parse()`` (``-qmp``/``-monitor``
  make a chardev labelled ``compat_monitorN``), ``parse_memory_options()`` (a
  ``-m`` size ending in a digit is MiB), ``configure_accelerators()`` and
  ``qemu_validate_options()`` (the checks QEMU makes right after parsing).
- ``qemu-options.hx``: the option table, :data:`QEMU_OPTIONS` (name -> takes
  an argument); options removed since QEMU 6.0 that libvirt 9.0 may still
  write for the QEMU it probed are in :data:`REMOVED_OPTIONS`.
- ``util/qemu-option.c``: QemuOpts (``key=value`` pairs, ``,,`` escaping a
  comma in a value, the implied first key, ``noflag`` short booleans, ``id=``,
  "Invalid parameter", "Duplicate ID"), ``qapi/qapi-util.c``
  ``qapi_bool_parse()`` (on/yes/true/y, off/no/false/n).
- ``util/keyval.c``: the syntax of ``-machine``, ``-smp``, ``-boot``,
  ``-display`` and the non-JSON ``-audiodev``/``-blockdev`` (dotted keys,
  "Expected '=' after parameter").
- ``util/cutils.c`` ``do_strtosz()``: sizes (``k``/``M``/``G``/``T``/``P``/``E``
  suffixes, powers of 1024, fractions only with a suffix, no hex with a suffix).
- ``chardev/char.c`` (``qemu_chr_parse_compat()``, the ``-chardev`` option list,
  "chardev: no id specified"), ``chardev/char-socket.c``
  (``qemu_chr_parse_socket()``), ``monitor/monitor.c`` (``monitor_init()``:
  ``chardev "x" not found``), ``monitor/fds.c`` (``monitor_fd_param()``).

``-object``, ``-device``, ``-audiodev`` and ``-blockdev`` take JSON when the
argument starts with ``{``, as libvirt >= 7.x writes them.

A :class:`CommandLineError` reads as QEMU's message after the program-name
prefix: ``error_report()`` prints the command-line location first, which is
the option alone for "invalid option"/"requires an argument" and the option
with its argument for anything wrong inside the argument
(``-m 2X: Parameter 'size' expects a non-negative number below 2^64``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Optional, Sequence

__all__ = [
    "Chardev", "CommandLineError", "Device", "MachineOption", "Monitor",
    "QemuCommandLine", "QEMU_OPTIONS", "REMOVED_OPTIONS", "GUEST_AGENT_PORT_NAME",
    "parse_command_line", "parse_memory_size",
]

# --------------------------------------------------------------------------
# The option table (qemu-options.hx, QEMU 10.x; DEF(name, HAS_ARG/0, ...))
# --------------------------------------------------------------------------

QEMU_OPTIONS: dict[str, bool] = {
    # Standard options
    "h": False, "help": False, "version": False, "machine": True, "M": True,
    "cpu": True, "accel": True, "smp": True, "numa": True, "add-fd": True,
    "set": True, "global": True, "boot": True, "m": True, "mem-path": True,
    "mem-prealloc": False, "k": True, "audio": True, "audiodev": True,
    "device": True, "name": True, "uuid": True,
    # Block device options
    "fda": True, "fdb": True, "hda": True, "hdb": True, "hdc": True, "hdd": True,
    "cdrom": True, "blockdev": True, "drive": True, "mtdblock": True, "sd": True,
    "snapshot": False, "fsdev": True, "virtfs": True, "iscsi": True,
    # USB convenience options
    "usb": False, "usbdevice": True,
    # Display options
    "display": True, "nographic": False, "spice": True, "vga": True,
    "full-screen": False, "g": True, "vnc": True,
    # i386 target only
    "win2k-hack": False, "no-fd-bootchk": False, "acpitable": True,
    "smbios": True,
    # Network options
    "netdev": True, "nic": True, "net": True,
    # Character device and TPM options
    "chardev": True, "tpmdev": True,
    # Boot image or kernel specific
    "bios": True, "pflash": True, "kernel": True, "shim": True, "append": True,
    "initrd": True, "dtb": True,
    # Debug/expert options
    "compat": True, "fw_cfg": True, "serial": True, "parallel": True,
    "monitor": True, "qmp": True, "qmp-pretty": True, "mon": True,
    "debugcon": True, "pidfile": True, "preconfig": False, "S": False,
    "overcommit": True, "gdb": True, "s": False, "d": True, "D": True,
    "dfilter": True, "seed": True, "L": True, "enable-kvm": False,
    "xen-domid": True, "xen-attach": False, "xen-domid-restrict": False,
    "no-reboot": False, "no-shutdown": False, "action": True, "loadvm": True,
    "daemonize": False, "option-rom": True, "rtc": True, "icount": True,
    "watchdog-action": True, "echr": True, "incoming": True,
    "only-migratable": False, "nodefaults": False, "prom-env": True,
    "semihosting": False, "semihosting-config": True, "old-param": False,
    "sandbox": True, "readconfig": True, "no-user-config": False, "trace": True,
    "plugin": True, "qtest": True, "qtest-log": True, "run-with": True,
    "msg": True, "dump-vmstate": True, "enable-sync-profile": False,
    "perfmap": False, "jitdump": False,
    # Generic object creation
    "object": True,
}
"""Every option of QEMU's system emulator and whether it takes an argument."""

REMOVED_OPTIONS: dict[str, tuple[bool, str]] = {
    "no-acpi": (False, "9.0"), "no-hpet": (False, "9.0"),
    "async-teardown": (False, "9.0"), "chroot": (True, "9.0"),
    "singlestep": (False, "9.0"), "runas": (True, "10.0"),
    "audio-help": (False, "8.2"), "watchdog": (True, "7.2"),
    "writeconfig": (True, "7.1"), "soundhw": (True, "7.1"), "sdl": (False, "7.1"),
    "curses": (False, "7.1"), "alt-grab": (False, "7.1"), "ctrl-grab": (False, "7.1"),
    "enable-fips": (False, "7.1"), "no-quit": (False, "7.0"),
    "realtime": (True, "6.0"), "show-cursor": (False, "6.0"), "tb-size": (True, "6.0"),
    "portrait": (False, "9.2"), "rotate": (True, "9.2"),
}
"""Options QEMU removed (docs/about/removed-features.rst; name -> (takes an
argument, the release that removed it)) that older QEMUs, and so libvirt 9.0,
still use: accepted so such command lines keep working."""

NOT_FOR_AARCH64 = frozenset({"g", "win2k-hack", "no-fd-bootchk", "acpitable", "prom-env"})
"""Options whose arch_mask excludes ARM: "Option not supported for this target"."""

GUEST_AGENT_PORT_NAME = "org.qemu.guest_agent.0"
"""The virtserialport name the QEMU guest agent listens on."""

_SIZE_HINT = ("Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
              "and exabytes, respectively.")


# --------------------------------------------------------------------------
# Errors and results
# --------------------------------------------------------------------------


class CommandLineError(Exception):
    """A command line QEMU would refuse; ``str()`` is QEMU's message without the program name.

    ``option`` is the option as typed (``"-m"``, ``"--smp"``), or None for the
    checks QEMU makes after parsing, which print no location; ``argument`` is
    the option's argument when the fault is inside it; ``reason`` is the
    message proper; ``hint`` is the extra line QEMU prints after some errors.
    """

    def __init__(self, option: Optional[str], reason: str, argument: Optional[str] = None,
                 hint: Optional[str] = None) -> None:
        self.option = option
        self.argument = argument
        self.reason = reason
        self.hint = hint
        if option is None:
            text = reason
        elif argument is None:
            text = f"{option}: {reason}"
        else:
            text = f"{option} {argument}: {reason}"
        super().__init__(text)


class _ParamError(Exception):
    """A fault inside an option's argument; the caller adds the location."""

    def __init__(self, reason: str, hint: Optional[str] = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


@dataclass(frozen=True)
class Chardev:
    """One character device: ``-chardev``, or the one ``-qmp``/``-monitor`` create.

    ``server`` defaults to False and ``wait`` to True, as in
    ``qemu_chr_parse_socket()``; ``options`` holds every other key as given.
    """

    id: str
    backend: str
    path: Optional[str] = None
    fd: Optional[int] = None
    host: Optional[str] = None
    port: Optional[str] = None
    server: bool = False
    wait: bool = True
    options: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Monitor:
    """A monitor on a chardev: ``mode`` "control" is QMP, "readline" is HMP."""

    chardev: Chardev
    mode: str
    id: Optional[str] = None
    pretty: bool = False


@dataclass(frozen=True)
class Device:
    """A ``-device``: JSON form keeps JSON types in ``props``, ``key=value`` form strings."""

    driver: str
    id: Optional[str] = None
    props: dict[str, object] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class MachineOption:
    """``-machine``/``-M``: the type ("none", "virt", "virt-9.1") and every other key as given."""

    type: str
    options: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass
class QemuCommandLine:
    """What a QEMU command line asks for; options not modelled are kept in ``unmodelled``."""

    machine: Optional[MachineOption] = None
    accelerators: tuple[str, ...] = ()
    cpu_model: Optional[str] = None
    cpu_props: dict[str, str] = field(default_factory=dict)
    memory_bytes: Optional[int] = None
    smp: Optional[str] = None
    name: Optional[str] = None
    uuid: Optional[str] = None
    start_paused: bool = False
    daemonize: bool = False
    pidfile: Optional[str] = None
    no_shutdown: bool = False
    no_reboot: bool = False
    acpi: bool = True
    nographic: bool = False
    display: Optional[str] = None
    monitors: tuple[Monitor, ...] = ()
    chardevs: dict[str, Chardev] = field(default_factory=dict)
    devices: tuple[Device, ...] = ()
    objects: tuple[dict, ...] = ()
    blockdevs: tuple[dict, ...] = ()
    add_fds: tuple[dict, ...] = ()
    kernel: Optional[str] = None
    initrd: Optional[str] = None
    append: Optional[str] = None
    incoming: Optional[str] = None
    unmodelled: tuple[tuple[str, Optional[str]], ...] = ()

    def guest_agent_chardev(self) -> Optional[Chardev]:
        """The chardev of the ``virtserialport`` named ``org.qemu.guest_agent.0``, if any."""
        for device in self.devices:
            if device.driver == "virtserialport" and device.props.get("name") == GUEST_AGENT_PORT_NAME:
                chardev = device.props.get("chardev")
                if isinstance(chardev, str):
                    return self.chardevs.get(chardev)
        return None


# --------------------------------------------------------------------------
# QemuOpts (util/qemu-option.c)
# --------------------------------------------------------------------------

_STR, _BOOL, _NUMBER, _SIZE = "str", "bool", "number", "size"


@dataclass(frozen=True)
class _OptsList:
    """A QemuOptsList: ``desc`` None accepts any key (``opts_accepts_any()``)."""

    name: str
    implied: Optional[str]
    desc: Optional[dict[str, str]]
    merge_lists: bool = False


_CHARDEV_OPTS = _OptsList("chardev", "backend", {
    "backend": _STR, "path": _STR, "input-path": _STR, "host": _STR, "port": _STR,
    "fd": _STR, "localaddr": _STR, "localport": _STR, "to": _NUMBER, "ipv4": _BOOL,
    "ipv6": _BOOL, "wait": _BOOL, "server": _BOOL, "delay": _BOOL, "nodelay": _BOOL,
    "reconnect": _NUMBER, "reconnect-ms": _NUMBER, "telnet": _BOOL, "tn3270": _BOOL,
    "tls-creds": _STR, "tls-authz": _STR, "websocket": _BOOL, "width": _NUMBER,
    "height": _NUMBER, "cols": _NUMBER, "rows": _NUMBER, "mux": _BOOL, "signal": _BOOL,
    "name": _STR, "debug": _NUMBER, "size": _SIZE, "chardev": _STR, "append": _BOOL,
    "logfile": _STR, "logappend": _BOOL, "mouse": _BOOL, "clipboard": _BOOL,
    "tight": _BOOL, "abstract": _BOOL,
})
_MON_OPTS = _OptsList("mon", "chardev", {"mode": _STR, "chardev": _STR, "pretty": _BOOL})
_MEMORY_OPTS = _OptsList("memory", "size", {"size": _SIZE, "slots": _NUMBER, "maxmem": _SIZE},
                         merge_lists=True)
_NAME_OPTS = _OptsList("name", "guest", {"guest": _STR, "process": _STR, "debug-threads": _BOOL},
                       merge_lists=True)
_ADD_FD_OPTS = _OptsList("add-fd", None, {"fd": _NUMBER, "set": _NUMBER, "opaque": _STR})
_OBJECT_OPTS = _OptsList("object", "qom-type", None)
_DEVICE_OPTS = _OptsList("device", "driver", None)
_ACCEL_OPTS = _OptsList("accel", "accel", None)
_OVERCOMMIT_OPTS = _OptsList("overcommit", None, {"mem-lock": _BOOL, "cpu-pm": _BOOL})
_MSG_OPTS = _OptsList("msg", None, {"timestamp": _BOOL, "guest-name": _BOOL})
_RTC_OPTS = _OptsList("rtc", None, {"base": _STR, "clock": _STR, "driftfix": _STR}, merge_lists=True)
_ACTION_OPTS = _OptsList("action", None, {"shutdown": _STR, "reboot": _STR, "panic": _STR,
                                          "watchdog": _STR}, merge_lists=True)
_SANDBOX_OPTS = _OptsList("sandbox", "enable", {  # system/qemu-seccomp.c
    "enable": _BOOL, "obsolete": _STR, "elevateprivileges": _STR, "spawn": _STR,
    "resourcecontrol": _STR})

_BOOL_TRUE = ("on", "yes", "true", "y")
_BOOL_FALSE = ("off", "no", "false", "n")
_ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9._-]*\Z")
_NUMBER_RE = re.compile(r"[ \t\n\r\f\v]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z")


def _get_opt_value(params: str, pos: int) -> tuple[str, int]:
    """``get_opt_value()``: the value from ``pos`` to the next lone comma; ``,,`` is a comma."""
    out = []
    while True:
        comma = params.find(",", pos)
        if comma < 0:
            out.append(params[pos:])
            return "".join(out), len(params)
        if comma + 1 < len(params) and params[comma + 1] == ",":
            out.append(params[pos:comma + 1])
            pos = comma + 2
            continue
        out.append(params[pos:comma])
        return "".join(out), comma


def _name_end(params: str, pos: int) -> int:
    """Where the key that starts at ``pos`` ends: the next ``=`` or ``,``, or the end."""
    stop = len(params)
    for delimiter in "=,":
        found = params.find(delimiter, pos)
        if 0 <= found < stop:
            stop = found
    return stop


def _opts_pairs(params: str, firstname: Optional[str]) -> list[tuple[str, str]]:
    """``opts_do_parse()``/``get_opt_name_value()``: the (name, value) pairs in order.

    A first item without ``=`` takes ``firstname`` (the implied key); any
    later item without ``=`` is a flag: ``foo`` is ``foo=on``, ``nofoo`` is
    ``foo=off``.
    """
    pairs = []
    pos = 0
    while pos < len(params):
        stop = _name_end(params, pos)
        if stop == len(params) or params[stop] != "=":
            if firstname is not None:
                name = firstname
                value, pos = _get_opt_value(params, pos)
            else:
                name, pos = params[pos:stop], stop
                if name.startswith("no"):
                    name, value = name[2:], "off"
                else:
                    value = "on"
        else:
            name = params[pos:stop]
            value, pos = _get_opt_value(params, stop + 1)
        if pos < len(params) and params[pos] == ",":
            pos += 1
        firstname = None
        pairs.append((name, value))
    return pairs


def _parse_bool(name: str, value: str) -> bool:
    """``qapi_bool_parse()``."""
    if value in _BOOL_TRUE:
        return True
    if value in _BOOL_FALSE:
        return False
    raise _ParamError(f"Parameter '{name}' expects 'on' or 'off'")


def _parse_number(name: str, value: str) -> int:
    """``parse_option_number()``: ``qemu_strtou64(value, NULL, 0)`` (decimal, 0x hex, 0 octal)."""
    match = _NUMBER_RE.match(value)
    if not match:
        raise _ParamError(f"Parameter '{name}' expects a number")
    digits = match.group(2)
    if digits[:2] in ("0x", "0X"):
        number = int(digits[2:], 16)
    elif len(digits) > 1:
        number = int(digits[1:], 8) if digits.startswith("0") else int(digits)
    else:
        number = int(digits)
    if number >= 1 << 64:
        raise _ParamError(f"Value '{value}' is too large for parameter '{name}'")
    if match.group(1) == "-":
        number = -number  # strtoull wraps a negative number; callers see the signed value
    return number


def _parse_size_opt(name: str, value: str) -> int:
    """``parse_option_size()``: bytes by default."""
    try:
        return _strtosz(value, 1)
    except _SizeRangeError:
        raise _ParamError(f"Value '{value}' is out of range for parameter '{name}'") from None
    except _SizeSyntaxError:
        raise _ParamError(f"Parameter '{name}' expects a non-negative number below 2^64",
                          hint=_SIZE_HINT) from None


def _opt_value(kind: str, name: str, value: str) -> object:
    if kind == _BOOL:
        return _parse_bool(name, value)
    if kind == _NUMBER:
        return _parse_number(name, value)
    if kind == _SIZE:
        return _parse_size_opt(name, value)
    return value


@dataclass
class _Opts:
    """One parsed QemuOpts: ``values`` maps a key to its last value (``qemu_opt_get()``)."""

    id: Optional[str]
    pairs: list[tuple[str, str]]
    values: dict[str, str]
    typed: dict[str, object]

    def get_bool(self, name: str, default: bool) -> bool:
        value = self.typed.get(name)
        return default if value is None else bool(value)


def _qemu_opts_parse(opts_list: _OptsList, params: str, permit_abbrev: bool = True,
                     existing_ids: Optional[set[str]] = None) -> _Opts:
    """``opts_parse()`` + ``qemu_opts_create()`` + ``opt_validate()``."""
    opts_id = next((value for name, value in _opts_pairs(params, None) if name == "id"), None)
    if opts_list.merge_lists:
        if opts_id is not None:
            raise _ParamError("Invalid parameter 'id'")
    elif opts_id is not None:
        if not _ID_RE.match(opts_id):
            raise _ParamError("Parameter 'id' expects an identifier",
                              hint="Identifiers consist of letters, digits, '-', '.', '_', "
                                   "starting with a letter.")
        if existing_ids is not None:
            if opts_id in existing_ids:
                raise _ParamError(f"Duplicate ID '{opts_id}' for {opts_list.name}")
    pairs = [(name, value) for name, value in
             _opts_pairs(params, opts_list.implied if permit_abbrev else None) if name != "id"]
    values: dict[str, str] = {}
    typed: dict[str, object] = {}
    for name, value in pairs:
        kind = _STR
        if opts_list.desc is not None:
            if name not in opts_list.desc:
                raise _ParamError(f"Invalid parameter '{name}'")
            kind = opts_list.desc[name]
        typed[name] = _opt_value(kind, name, value)
        values[name] = value
    if opts_id is not None and existing_ids is not None:
        existing_ids.add(opts_id)
    return _Opts(opts_id, pairs, values, typed)


# --------------------------------------------------------------------------
# keyval (util/keyval.c)
# --------------------------------------------------------------------------

_KEY_FRAGMENT_RE = re.compile(r"[A-Za-z0-9_-]+\Z")


def _keyval_parse(params: str, implied_key: Optional[str]) -> dict[str, str]:
    """``keyval_parse()``: flat ``dotted.key -> value``; the last of a repeated key wins."""
    result: dict[str, str] = {}
    pos = 0
    while pos < len(params):
        stop = _name_end(params, pos)
        if implied_key is not None and stop > pos and (stop == len(params) or params[stop] != "="):
            key = implied_key
            value, pos = _get_opt_value(params, pos)
        else:
            key = params[pos:stop]
            if not key or not all(_KEY_FRAGMENT_RE.match(part) for part in key.split(".")):
                raise _ParamError(f"Invalid parameter '{key}'")
            if stop == len(params) or params[stop] != "=":
                raise _ParamError(f"Expected '=' after parameter '{key}'")
            value, pos = _get_opt_value(params, stop + 1)
        if pos < len(params) and params[pos] == ",":
            pos += 1
        implied_key = None
        result.pop(key, None)
        result[key] = value
    return result


def _crumple(flat: dict[str, object]) -> dict[str, object]:
    """``qdict_crumple()``: ``file.filename=x`` -> ``{"file": {"filename": "x"}}``."""
    root: dict[str, object] = {}
    for key, value in flat.items():
        parts = key.split(".")
        node = root
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise _ParamError(f"Parameters '{'.'.join(parts[:depth + 1])}.*' used inconsistently")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise _ParamError(f"Parameters '{key}.*' used inconsistently")
        node[parts[-1]] = value
    return root


def _json_object(text: str) -> dict[str, object]:
    """``qobject_from_json()`` of a ``{...}`` argument (QEMU rejects duplicate keys)."""
    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        result: dict[str, object] = {}
        for key, value in pairs:
            if key in result:
                raise _ParamError("JSON parse error, duplicate key")
            result[key] = value
        return result

    try:
        value = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise _ParamError(f"JSON parse error, {exc.msg[:1].lower()}{exc.msg[1:]}") from None
    if not isinstance(value, dict):
        raise _ParamError("Invalid parameter type, expected: object")
    return value


# --------------------------------------------------------------------------
# Sizes (util/cutils.c do_strtosz)
# --------------------------------------------------------------------------


class _SizeSyntaxError(Exception):
    """``-EINVAL`` from ``do_strtosz()``."""


class _SizeRangeError(Exception):
    """``-ERANGE`` from ``do_strtosz()``."""


_SUFFIX_POWER = {"b": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}
_SIZE_RE = re.compile(r"[ \t\n\r\f\v]*(\+?)([0-9]*)(\.[0-9]*)?")


def _strtosz(text: str, default_mul: int) -> int:
    """``do_strtosz(text, NULL, default_suffix, 1024)``: decimal with an optional
    fraction and a b/k/M/G/T/P/E suffix (any case), or hex without suffix."""
    stripped = text.lstrip(" \t\n\r\f\v")
    if stripped.startswith("-"):
        raise _SizeRangeError()
    hex_match = re.match(r"\+?0[xX]([0-9a-fA-F]+)", stripped)
    if hex_match:
        rest = stripped[hex_match.end():]
        if rest[:1] == "." or rest[:1].lower() in _SUFFIX_POWER:
            raise _SizeSyntaxError()
        if rest:
            raise _SizeSyntaxError()
        value = int(hex_match.group(1), 16) * default_mul
        if value >= 1 << 64:
            raise _SizeRangeError()
        return value
    match = _SIZE_RE.match(stripped)
    assert match is not None
    integral, fraction_text = match.group(2), match.group(3)
    if not integral and not (fraction_text and len(fraction_text) > 1):
        raise _SizeSyntaxError()
    rest = stripped[match.end():]
    fraction = Fraction(int(fraction_text[1:]), 10 ** (len(fraction_text) - 1)) \
        if fraction_text and len(fraction_text) > 1 else Fraction(0)
    mul = default_mul
    if rest[:1].lower() in _SUFFIX_POWER and rest[:1]:
        mul = 1024 ** _SUFFIX_POWER[rest[:1].lower()]
        rest = rest[1:]
    if rest:
        raise _SizeSyntaxError()
    if mul == 1 and fraction:
        raise _SizeSyntaxError()
    value = int(integral or "0") * mul + int(fraction * mul + Fraction(1, 2))
    if value >= 1 << 64:
        raise _SizeRangeError()
    return value


def parse_memory_size(text: str) -> int:
    """A ``-m`` size in bytes with QEMU's rules (``parse_memory_options()``).

    A size ending in a digit is MiB (``-m 512`` is 512 MiB), otherwise the
    suffix says (``2G``, ``1024M``, ``1.5G``; ``b`` for bytes). Raises
    :class:`CommandLineError` with QEMU's text for a malformed size.
    """
    try:
        return _memory_size(text)
    except _ParamError as exc:
        raise CommandLineError("-m", exc.reason, argument=text, hint=exc.hint) from None


def _memory_size(text: str) -> int:
    _parse_size_opt("size", text)  # validated as QEMU_OPT_SIZE first, in bytes
    if text and text[-1].isdigit():
        try:
            return _strtosz(text + "M", 1)
        except (_SizeSyntaxError, _SizeRangeError):
            # "0x20000000" + "M" is a hex size with a suffix, refused later by
            # the machine's "memory.size" property
            raise _ParamError("Parameter 'memory.size' expects a size value") from None
    return _strtosz(text, 1)


# --------------------------------------------------------------------------
# Character devices (chardev/char.c, chardev/char-socket.c)
# --------------------------------------------------------------------------

_CHARDEV_BACKENDS = frozenset({
    "null", "socket", "udp", "msmouse", "wctablet", "vc", "ringbuf", "memory", "file",
    "pipe", "console", "serial", "pty", "stdio", "braille", "parallel", "spicevmc",
    "spiceport", "qemu-vdagent", "dbus", "testdev",
})
"""The ``chardev-*`` QOM types a Linux build of QEMU registers (``-chardev help``)."""

_PATH_REQUIRED = {
    "file": "chardev: file: no filename given",
    "pipe": "chardev: pipe: no device path given",
    "serial": "chardev: serial/tty: no device path given",
    "parallel": "chardev: parallel: no device path given",
}
_CHARDEV_FIELDS = frozenset({"backend", "path", "fd", "host", "port", "server", "wait"})


def _compat_chardev_opts(text: str) -> Optional[list[tuple[str, str]]]:
    """``qemu_chr_parse_compat()``: ``unix:PATH,server``, ``tcp:HOST:PORT,...``,
    ``stdio``, ``pty``, ``file:PATH``... as ``-chardev`` pairs; None if invalid."""
    pairs: list[tuple[str, str]] = []
    if text.startswith("mon:"):
        text = text[4:]
        pairs.append(("mux", "on"))
        if text == "stdio":
            pairs.append(("signal", "off"))
    if text in ("null", "pty", "msmouse", "wctablet", "braille", "testdev", "stdio"):
        return [("backend", text)] + pairs
    if text.startswith("vc"):
        size = text[2:]
        if size:
            pixels = re.fullmatch(r":([0-9]{1,7})x([0-9]{1,7}).*", size, re.S)
            chars = re.fullmatch(r":([0-9]{1,7})Cx([0-9]{1,7})C.*", size, re.S)
            if pixels:
                pairs += [("width", pixels.group(1)), ("height", pixels.group(2))]
            elif chars:
                pairs += [("cols", chars.group(1)), ("rows", chars.group(2))]
            else:
                return None
        return [("backend", "vc")] + pairs
    if text == "con:":
        return [("backend", "console")] + pairs
    if text.startswith("COM"):
        return [("backend", "serial"), ("path", text)] + pairs
    for prefix, backend in (("file:", "file"), ("pipe:", "pipe"), ("pty:", "pty")):
        if text.startswith(prefix):
            return [("backend", backend), ("path", text[len(prefix):])] + pairs
    for prefix in ("tcp:", "telnet:", "tn3270:", "websocket:"):
        if text.startswith(prefix):
            rest = text[len(prefix):]
            match = re.match(r"([^:]{1,64}):([^,]{1,32})", rest) or re.match(r":()([^,]{1,32})", rest)
            if not match:
                return None
            pairs += [("backend", "socket"), ("host", match.group(1)), ("port", match.group(2))]
            tail = rest[match.end():]
            if tail.startswith(","):
                pairs += _opts_pairs(tail[1:], None)
            if prefix != "tcp:":
                pairs.append((prefix[:-1], "on"))
            return pairs
    if text.startswith("udp:"):
        rest = text[4:]
        match = re.match(r"([^:]{1,64}):([^@,]{1,32})", rest) or re.match(r":()([^@,]{1,32})", rest)
        if not match:
            return None
        pairs += [("backend", "udp"), ("host", match.group(1)), ("port", match.group(2))]
        rest = rest[match.end():]
        if rest.startswith("@"):
            local = re.match(r"([^:]{1,64}):([^,]{1,32})", rest[1:]) or \
                re.match(r":()([^,]{1,32})", rest[1:])
            if not local:
                return None
            pairs += [("localaddr", local.group(1)), ("localport", local.group(2))]
        return pairs
    if text.startswith("unix:"):
        return [("backend", "socket")] + pairs + _opts_pairs(text[5:], "path")
    if text.startswith("/dev/parport") or text.startswith("/dev/ppi"):
        return [("backend", "parallel"), ("path", text)] + pairs
    if text.startswith("/dev/"):
        return [("backend", "serial"), ("path", text)] + pairs
    return None


def _typed_chardev_pairs(pairs: list[tuple[str, str]]) -> _Opts:
    """Validate compat pairs against the ``-chardev`` option list (``qemu_opt_set()``)."""
    values: dict[str, str] = {}
    typed: dict[str, object] = {}
    for name, value in pairs:
        assert _CHARDEV_OPTS.desc is not None
        if name not in _CHARDEV_OPTS.desc:
            raise _ParamError(f"Invalid parameter '{name}'")
        typed[name] = _opt_value(_CHARDEV_OPTS.desc[name], name, value)
        values[name] = value
    return _Opts(None, pairs, values, typed)


def _make_chardev(chardev_id: Optional[str], opts: _Opts) -> Chardev:
    """``qemu_chr_new_from_opts()`` up to the backend's ``parse``: no I/O."""
    backend = opts.values.get("backend")
    if chardev_id is None:
        raise _ParamError("chardev: no id specified")
    if backend is None:
        raise _ParamError(f'chardev: "{chardev_id}" missing backend')
    if backend not in _CHARDEV_BACKENDS:
        raise _ParamError(f"'{backend}' is not a valid char driver name")
    path = opts.values.get("path")
    host = opts.values.get("host")
    port = opts.values.get("port")
    fd_text = opts.values.get("fd")
    if backend in _PATH_REQUIRED and path is None:
        raise _ParamError(_PATH_REQUIRED[backend])
    if backend == "socket":
        if (path is not None) + (fd_text is not None) + (host is not None) > 1:
            raise _ParamError("None or one of 'path', 'fd' or 'host' option required.")
        if path is None and fd_text is None and host is None:
            raise _ParamError("chardev: socket: no host given")
        if host is not None and port is None:
            raise _ParamError("chardev: socket: no port given")
        if "delay" in opts.values and "nodelay" in opts.values:
            raise _ParamError("'delay' and 'nodelay' are mutually exclusive")
    fd = None
    if fd_text is not None:
        # monitor_fd_param() without a current monitor: qemu_parse_fd()
        if not re.fullmatch(r"[0-9]+", fd_text) or int(fd_text) > 0x7FFFFFFF:
            raise _ParamError(f"Invalid file descriptor number '{fd_text}'")
        fd = int(fd_text)
    return Chardev(
        id=chardev_id, backend=backend, path=path, fd=fd, host=host, port=port,
        server=opts.get_bool("server", False), wait=opts.get_bool("wait", True),
        options={key: value for key, value in opts.values.items() if key not in _CHARDEV_FIELDS},
    )


# --------------------------------------------------------------------------
# The parser (system/vl.c qemu_init)
# --------------------------------------------------------------------------

_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_DISPLAY_TYPES = frozenset({"default", "none", "gtk", "sdl", "egl-headless", "curses", "cocoa",
                            "spice-app", "dbus"})
_MONITOR_MODES = ("readline", "control")


@dataclass
class _PendingMonitor:
    """A monitor whose chardev is looked up after parsing, as ``mon_init_func()`` does."""

    option: str
    argument: str
    chardev_id: str
    mode: str
    id: Optional[str]
    pretty: bool


#: Options that only set a field of the result: a flag sets it True, the others store their argument.
_RESULT_FIELDS: dict[str, str] = {
    "S": "start_paused",
    "daemonize": "daemonize",
    "pidfile": "pidfile",
    "no-shutdown": "no_shutdown",
    "no-reboot": "no_reboot",
    "incoming": "incoming",
    "kernel": "kernel",
    "initrd": "initrd",
    "append": "append",
    "nographic": "nographic",
}


class _Parser:
    def __init__(self) -> None:
        self.result = QemuCommandLine()
        self.machine: dict[str, str] = {}
        self.machine_accel: Optional[str] = None
        self.accel_names: list[str] = []
        self.memory_values: dict[str, str] = {}
        self.name_values: dict[str, str] = {}
        self.chardev_ids: set[str] = set()
        self.mon_ids: set[str] = set()
        self.device_ids: set[str] = set()
        self.chardevs: dict[str, Chardev] = {}
        self.pending_monitors: list[_PendingMonitor] = []
        self.chardev_refs: list[tuple[str, str, str]] = []
        self.monitor_index = 0
        self.devices: list[Device] = []
        self.objects: list[dict] = []
        self.blockdevs: list[dict] = []
        self.add_fds: list[dict] = []
        self.unmodelled: list[tuple[str, Optional[str]]] = []
        self.nodefaults = False
        self.no_acpi = False
        self.serial_given = False
        self.default_monitor = True
        self.loadvm = False

    # --- the loop: lookup_opt() and the switch --------------------------------

    def parse(self, argv: Sequence[str]) -> QemuCommandLine:
        index = 0
        while index < len(argv):
            word = argv[index]
            if not word.startswith("-"):
                raise CommandLineError(
                    word, "disk image given as a bare argument: QEMU would attach it as -hda, "
                          "which this emulator does not support (use -blockdev and -device)")
            name = word[2:] if word.startswith("--") else word[1:]
            takes_arg = QEMU_OPTIONS.get(name)
            if takes_arg is None and name in REMOVED_OPTIONS:
                takes_arg = REMOVED_OPTIONS[name][0]
            if takes_arg is None:
                raise CommandLineError(word, "invalid option")
            index += 1
            arg: Optional[str] = None
            if takes_arg:
                if index >= len(argv):
                    raise CommandLineError(word, "requires an argument")
                arg = argv[index]
                index += 1
            if name in NOT_FOR_AARCH64:
                raise CommandLineError(word, "Option not supported for this target", argument=arg)
            handler = getattr(self, "opt_" + name.replace("-", "_"), None)
            field_name = _RESULT_FIELDS.get(name)
            try:
                if field_name is not None:
                    # a flag sets its field, an option with an argument stores the argument
                    setattr(self.result, field_name, True if arg is None else arg)
                elif handler is None:
                    self.unmodelled.append(("-" + name, arg))
                else:
                    handler(arg)
            except _ParamError as exc:
                raise CommandLineError(word, exc.reason, argument=arg, hint=exc.hint) from None
        return self.finish()

    def _unmodelled(self, name: str, arg: Optional[str]) -> None:
        self.unmodelled.append((name, arg))

    # --- machine, accelerator, CPU, memory, SMP -------------------------------

    def opt_machine(self, arg: str) -> None:
        for key, value in _keyval_parse(arg, "type").items():
            self.machine.pop(key, None)
            self.machine[key] = value
        if "accel" in self.machine:
            self.machine_accel = self.machine["accel"]

    opt_M = opt_machine

    def opt_enable_kvm(self, arg: None) -> None:
        self.machine_accel = "kvm"

    def opt_accel(self, arg: str) -> None:
        opts = _qemu_opts_parse(_ACCEL_OPTS, arg)
        accel = opts.values.get("accel")
        if accel is None:
            raise _ParamError("Parameter 'accel' is missing")
        self.accel_names.append(accel)

    def opt_cpu(self, arg: str) -> None:
        # parse_cpu_option(): the model, then cpu_common_parse_features()
        model, _, features = arg.partition(",")
        props: dict[str, str] = {}
        for feature in features.split(",") if features else ():
            key, equals, value = feature.partition("=")
            if not equals:
                raise _ParamError(f"Expected key=value format, found {feature}.")
            props[key] = value
        self.result.cpu_model = model
        self.result.cpu_props = props

    def opt_m(self, arg: str) -> None:
        opts = _qemu_opts_parse(_MEMORY_OPTS, arg)
        self.memory_values.update(opts.values)
        size = self.memory_values.get("size")
        if size is not None:
            # a zero size keeps the machine's default RAM size
            self.result.memory_bytes = _memory_size(size) or None

    def opt_smp(self, arg: str) -> None:
        _keyval_parse(arg, "cpus")  # syntax only; vcpu_hotplug.vmm.smp validates the values
        self.result.smp = arg

    def opt_no_acpi(self, arg: None) -> None:
        self.no_acpi = True

    # --- identity and lifecycle -------------------------------------------------

    def opt_name(self, arg: str) -> None:
        opts = _qemu_opts_parse(_NAME_OPTS, arg)
        self.name_values.update(opts.values)
        self.result.name = self.name_values.get("guest")

    def opt_uuid(self, arg: str) -> None:
        if not _UUID_RE.match(arg):
            raise _ParamError("failed to parse UUID string: wrong format")
        self.result.uuid = arg

    def opt_nodefaults(self, arg: None) -> None:
        self.nodefaults = True
        self._unmodelled("-nodefaults", None)

    def opt_loadvm(self, arg: str) -> None:
        self.loadvm = True
        self._unmodelled("-loadvm", arg)

    # --- display ---------------------------------------------------------------

    def opt_display(self, arg: str) -> None:
        # parse_display(): "vnc=<display>" is special, the rest is DisplayOptions
        if arg.startswith("vnc"):
            if not arg.startswith("vnc="):
                raise _ParamError("VNC requires a display argument vnc=<display>")
            self.result.display = "vnc"
            return
        display_type = _keyval_parse(arg, "type").get("type")
        if display_type is None:
            raise _ParamError("Parameter 'type' is missing")
        if display_type not in _DISPLAY_TYPES:
            raise _ParamError(f"Parameter 'type' does not accept value '{display_type}'")
        self.result.display = display_type

    # --- chardevs and monitors ---------------------------------------------------

    def opt_chardev(self, arg: str) -> None:
        opts = _qemu_opts_parse(_CHARDEV_OPTS, arg, existing_ids=self.chardev_ids)
        chardev = _make_chardev(opts.id, opts)
        self.chardevs[chardev.id] = chardev

    def _monitor_parse(self, option: str, arg: str, mode: str, pretty: bool) -> None:
        """``monitor_parse()``: ``chardev:ID`` or a compat chardev ``compat_monitorN``."""
        if arg.startswith("chardev:"):
            label = arg[len("chardev:"):]
        else:
            label = f"compat_monitor{self.monitor_index}"
            pairs = _compat_chardev_opts(arg)
            if pairs is None:
                raise _ParamError(f"'{arg}' is not a valid char driver")
            if label in self.chardev_ids:
                raise _ParamError(f"Duplicate ID '{label}' for chardev")
            self.chardev_ids.add(label)
            self.chardevs[label] = _make_chardev(label, _typed_chardev_pairs(pairs))
        if label in self.mon_ids:
            raise _ParamError(f"Duplicate ID '{label}' for mon")
        self.mon_ids.add(label)
        self.pending_monitors.append(_PendingMonitor(option, arg, label, mode, label, pretty))
        self.monitor_index += 1

    def opt_qmp(self, arg: str) -> None:
        self._monitor_parse("-qmp", arg, "control", False)
        self.default_monitor = False

    def opt_qmp_pretty(self, arg: str) -> None:
        self._monitor_parse("-qmp-pretty", arg, "control", True)
        self.default_monitor = False

    def opt_monitor(self, arg: str) -> None:
        self.default_monitor = False
        if not arg.startswith("none"):
            self._monitor_parse("-monitor", arg, "readline", False)

    def opt_mon(self, arg: str) -> None:
        opts = _qemu_opts_parse(_MON_OPTS, arg, existing_ids=self.mon_ids)
        self.default_monitor = False
        chardev_id = opts.values.get("chardev")
        if chardev_id is None:
            raise _ParamError("Parameter 'chardev' is missing")
        mode = opts.values.get("mode", "readline")
        if mode not in _MONITOR_MODES:
            raise _ParamError(f"Parameter 'mode' does not accept value '{mode}'")
        pretty = opts.get_bool("pretty", False)
        if mode == "readline" and pretty:
            raise _ParamError("'pretty' is not compatible with HMP monitors")
        self.pending_monitors.append(_PendingMonitor("-mon", arg, chardev_id, mode, opts.id, pretty))

    def _char_frontend(self, option: str, arg: str, what: str) -> None:
        """``-serial``/``-parallel``/``-debugcon``: ``none``, ``chardev:ID`` or a compat chardev."""
        self._unmodelled(option, arg)
        if arg.startswith("mon:"):
            self.default_monitor = False
        if arg == "none" and what != "debug console":
            return
        if arg.startswith("chardev:"):
            self.chardev_refs.append((option, arg, what))
        elif _compat_chardev_opts(arg) is None:
            raise _ParamError(f"'{arg}' is not a valid char driver")

    def opt_serial(self, arg: str) -> None:
        self.serial_given = True
        self._char_frontend("-serial", arg, "serial device")

    def opt_parallel(self, arg: str) -> None:
        self._char_frontend("-parallel", arg, "parallel device")

    def opt_debugcon(self, arg: str) -> None:
        self._char_frontend("-debugcon", arg, "debug console")

    # --- devices, objects, block devices, fds --------------------------------------

    def opt_device(self, arg: str) -> None:
        if arg.startswith("{"):
            props = _json_object(arg)
            driver = props.pop("driver", None)
            device_id = props.pop("id", None)
            if not isinstance(driver, str):
                raise _ParamError("Parameter 'driver' is missing" if driver is None
                                  else "Invalid parameter type for 'driver', expected: string")
            if device_id is not None and not isinstance(device_id, str):
                raise _ParamError("Invalid parameter type for 'id', expected: string")
        else:
            opts = _qemu_opts_parse(_DEVICE_OPTS, arg)
            props = dict(opts.values)
            driver = props.pop("driver", None)
            device_id = opts.id
            if driver is None:
                raise _ParamError("Parameter 'driver' is missing")
        if device_id is not None:
            if device_id in self.device_ids:
                raise _ParamError(f"Duplicate ID '{device_id}' for device")
            self.device_ids.add(device_id)
        self.devices.append(Device(driver=driver, id=device_id, props=props))

    def opt_object(self, arg: str) -> None:
        if arg.startswith("{"):
            props = _json_object(arg)
        else:
            opts = _qemu_opts_parse(_OBJECT_OPTS, arg)
            props = dict(opts.values)
            if opts.id is not None:
                props["id"] = opts.id
        for key in ("qom-type", "id"):
            if key not in props:
                raise _ParamError(f"Parameter '{key}' is missing")
            if not isinstance(props[key], str):
                raise _ParamError(f"Invalid parameter type for '{key}', expected: string")
        if any(existing["id"] == props["id"] for existing in self.objects):
            raise _ParamError(f"attempt to add duplicate property '{props['id']}' to object "
                              f"(type 'container')")
        ordered = {"qom-type": props["qom-type"], "id": props["id"]}
        ordered.update((key, value) for key, value in props.items() if key not in ordered)
        self.objects.append(ordered)

    def opt_blockdev(self, arg: str) -> None:
        # qobject_input_visitor_new_str(optarg, "driver") + visit_type_BlockdevOptions
        options = _json_object(arg) if arg.startswith("{") else _crumple(dict(_keyval_parse(arg, "driver")))
        if "driver" not in options:
            raise _ParamError("Parameter 'driver' is missing")
        node_name = options.get("node-name")
        if node_name is not None and any(b.get("node-name") == node_name for b in self.blockdevs):
            raise _ParamError(f"Duplicate nodes with node-name='{node_name}'")
        self.blockdevs.append(options)

    def opt_audiodev(self, arg: str) -> None:
        # audio_parse_option(): JSON or keyval with the implied key "driver"
        options = _json_object(arg) if arg.startswith("{") else _crumple(dict(_keyval_parse(arg, "driver")))
        for key in ("id", "driver"):
            if key not in options:
                raise _ParamError(f"Parameter '{key}' is missing")
        self._unmodelled("-audiodev", arg)

    def opt_add_fd(self, arg: str) -> None:
        opts = _qemu_opts_parse(_ADD_FD_OPTS, arg, permit_abbrev=False)
        # parse_add_fd(), without the fcntl() checks that need the process
        fd = opts.typed.get("fd")
        fdset = opts.typed.get("set")
        if not isinstance(fd, int) or fd < 0:
            raise _ParamError("fd option is required and must be non-negative")
        if fd <= 2:
            raise _ParamError("fd cannot be a standard I/O stream")
        if not isinstance(fdset, int) or fdset < 0:
            raise _ParamError("set option is required and must be non-negative")
        entry: dict[str, object] = {"fd": fd, "set": fdset}
        if "opaque" in opts.values:
            entry["opaque"] = opts.values["opaque"]
        self.add_fds.append(entry)

    # --- validated but not modelled --------------------------------------------

    def _validated(self, option: str, opts_list: _OptsList, arg: str, permit_abbrev: bool) -> None:
        _qemu_opts_parse(opts_list, arg, permit_abbrev=permit_abbrev)
        self._unmodelled(option, arg)

    def opt_overcommit(self, arg: str) -> None:
        self._validated("-overcommit", _OVERCOMMIT_OPTS, arg, False)

    def opt_msg(self, arg: str) -> None:
        self._validated("-msg", _MSG_OPTS, arg, False)

    def opt_rtc(self, arg: str) -> None:
        self._validated("-rtc", _RTC_OPTS, arg, False)

    def opt_action(self, arg: str) -> None:
        self._validated("-action", _ACTION_OPTS, arg, False)

    def opt_sandbox(self, arg: str) -> None:
        self._validated("-sandbox", _SANDBOX_OPTS, arg, True)

    def opt_boot(self, arg: str) -> None:
        _keyval_parse(arg, "order")
        self._unmodelled("-boot", arg)

    # --- after the loop ---------------------------------------------------------------

    def finish(self) -> QemuCommandLine:
        result = self.result
        # qemu_validate_options()
        if result.kernel is None:
            if result.append is not None:
                raise CommandLineError(None, "-append only allowed with -kernel option")
            if result.initrd is not None:
                raise CommandLineError(None, "-initrd only allowed with -kernel option")
        if self.loadvm and result.incoming is not None:
            raise CommandLineError(None, "'incoming' and 'loadvm' options are mutually exclusive")
        # qemu_create_default_devices(): -nographic redirects the default serial
        # port and monitor to stdio, which -daemonize cannot keep
        if result.nographic and result.daemonize and not self.nodefaults \
                and (not self.serial_given or self.default_monitor):
            raise CommandLineError(None, "-nographic cannot be used with -daemonize")
        # configure_accelerators()
        if self.accel_names and self.machine_accel is not None:
            raise CommandLineError(None, 'The -accel and "-machine accel=" options are incompatible')
        if self.accel_names:
            result.accelerators = tuple(self.accel_names)
        elif self.machine_accel is not None:
            result.accelerators = tuple(name for name in self.machine_accel.split(":") if name)
        machine_type = self.machine.get("type")
        if machine_type is not None:
            result.machine = MachineOption(
                type=machine_type, options={k: v for k, v in self.machine.items() if k != "type"})
        result.acpi = not (self.no_acpi or self.machine.get("acpi") == "off")
        # mon_init_func() and serial_parse(): chardevs may be defined after their users
        monitors = []
        for pending in self.pending_monitors:
            chardev = self.chardevs.get(pending.chardev_id)
            if chardev is None:
                raise CommandLineError(pending.option, f'chardev "{pending.chardev_id}" not found',
                                       argument=pending.argument)
            monitors.append(Monitor(chardev=chardev, mode=pending.mode, id=pending.id,
                                    pretty=pending.pretty))
        for option, arg, what in self.chardev_refs:
            if arg[len("chardev:"):] not in self.chardevs:
                raise CommandLineError(option, f"could not connect {what} to character backend '{arg}'",
                                       argument=arg)
        result.monitors = tuple(monitors)
        result.chardevs = dict(self.chardevs)
        result.devices = tuple(self.devices)
        result.objects = tuple(self.objects)
        result.blockdevs = tuple(self.blockdevs)
        result.add_fds = tuple(self.add_fds)
        result.unmodelled = tuple(self.unmodelled)
        return result


def parse_command_line(argv: Sequence[str]) -> QemuCommandLine:
    """Parse QEMU's command line (``argv`` without the program name) as ``qemu_init()`` does.

    Raises :class:`CommandLineError` with QEMU's message for anything QEMU
    would refuse while parsing, or right after (``qemu_validate_options()``,
    ``configure_accelerators()``, ``mon_init_func()``).
    """
    return _Parser().parse(list(argv))
