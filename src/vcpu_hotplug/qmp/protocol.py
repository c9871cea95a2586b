"""QMP wire framing and message shapes.

Follows QEMU ``docs/interop/qmp-spec.rst`` (greeting, success, error and
event messages) and the way QEMU reads and writes them:

- input is a *stream* of JSON values, cut into messages like
  ``qobject/json-streamer.c`` does: a value ends where its braces and
  brackets balance, so a request may arrive split across reads and several
  requests may arrive in one read; whitespace (newlines included) between
  values is ignored;
- a value that does not parse is reported as GenericError
  ``"JSON parse error, <reason>"`` with the reasons of
  ``qobject/json-parser.c``, and the stream carries on with the next value;
- the streamer's limits (``MAX_TOKEN_SIZE``, ``MAX_NESTING``) answer
  ``"JSON token size limit exceeded"`` / ``"JSON nesting depth limit
  exceeded"``;
- output (``monitor/qmp.c`` ``qmp_send_response``) is one JSON object per
  line, ended by ``\r\n`` as ``monitor/monitor.c`` ``monitor_puts_locked``
  writes every newline (libvirt's monitor client splits on ``\r\n`` only).

Numbers QEMU would hold as a non-finite double are refused, on purpose
unlike QEMU: its parser turns an integer beyond ``uint64`` into a double
(``parse_literal`` falls through to ``strtod``), so ``1e400`` or a
5,000-digit integer become ``inf``, and ``qobject/json-writer.c``
``json_writer_double`` prints them with ``%.17g`` ("FIXME: This risks
printing Inf or NaN, which are not valid JSON values"): an ``"id": 1e400``
would be echoed as ``inf``. Here such a value is the parse error ``"JSON
parse error, number out of range"`` and nothing is run, and :func:`encode`
never writes ``NaN``/``Infinity`` (it raises :class:`UnencodableMessage`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator, Union

from .errors import QmpError

#: Largest message accepted, in bytes (QEMU allows 64 MiB; a QMP request is tiny).
MAX_MESSAGE_SIZE = 1 << 20
#: Deepest nesting of objects and arrays (json-streamer.c MAX_NESTING).
MAX_NESTING = 1 << 10

_OPEN = frozenset(b"{[")
_CLOSE = frozenset(b"}]")
_QUOTE = ord('"')
_BACKSLASH = ord("\\")
_WHITESPACE = frozenset(b" \t\r\n")

# Python's json messages mapped to the wording of qobject/json-parser.c.
_PARSER_WORDING = {
    "Expecting value": "expecting value",
    "Expecting property name enclosed in double quotes": "key is not a string in object",
    "Expecting ':' delimiter": "missing : in object pair",
    "Expecting ',' delimiter": "expected separator in dict",
    "Invalid control character at": "invalid control character in string",
    "Invalid \\escape": "invalid escape sequence in string",
    "Invalid \\uXXXX escape": "invalid hex escape sequence in string",
    "Unterminated string starting at": "unterminated string",
    "Extra data": "expecting value",
}
_POSITION = re.compile(r":\s*line \d+ column \d+ \(char \d+\)$")

Message = Union[dict, list, str, int, float, bool, None]


def parse_error(reason: str) -> QmpError:
    """A GenericError worded like QEMU's JSON parser."""
    return QmpError(f"JSON parse error, {reason}")


class _DuplicateKey(Exception):
    pass


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _InvalidKeyword(Exception):
    pass


def _reject_constant(name: str) -> Any:
    """JSON has no NaN or Infinity; QEMU's lexer rejects them as keywords."""
    raise _InvalidKeyword(name)


class _OutOfRange(Exception):
    pass


def _parse_int(literal: str) -> int:
    """An integer literal; one Python cannot convert (``sys.get_int_max_str_digits``) is out of range."""
    try:
        return int(literal)
    except ValueError:
        raise _OutOfRange(literal[:16]) from None


def _parse_float(literal: str) -> float:
    """A number with a fraction or exponent; one that overflows a double is out of range."""
    value = float(literal)
    if not math.isfinite(value):
        raise _OutOfRange(literal[:16])
    return value


def decode_value(raw: bytes) -> Message:
    """Parse one complete JSON value; raise QmpError worded as QEMU's parser."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise parse_error("invalid UTF-8 sequence in string") from None
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates,
                          parse_constant=_reject_constant, parse_int=_parse_int,
                          parse_float=_parse_float)
    except _OutOfRange:
        raise parse_error("number out of range") from None
    except _InvalidKeyword as exc:
        raise parse_error(f"invalid keyword '{exc.args[0]}'") from None
    except _DuplicateKey:
        raise parse_error("duplicate key") from None
    except json.JSONDecodeError as exc:
        reason = _POSITION.sub("", exc.msg).strip()
        wording = _PARSER_WORDING.get(reason)
        if wording is None:
            wording = next((v for k, v in _PARSER_WORDING.items() if reason.startswith(k)),
                           reason[:1].lower() + reason[1:])
        raise parse_error(wording) from None
    except RecursionError:
        raise QmpError("JSON nesting depth limit exceeded") from None
    except ValueError as exc:  # anything else json refuses is still the client's bad JSON
        raise parse_error("invalid value") from None


class JsonStreamer:
    """Cuts a byte stream into JSON values, as QEMU's json-streamer does.

    :meth:`feed` returns, in order, each complete value (decoded) or a
    :class:`QmpError` for a value that could not be parsed. Incomplete input
    is kept for the next call.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._depth = 0
        self._in_string = False
        self._escape = False
        self._skip_rest = False  # after a limit error, drop input until the value ends

    @property
    def pending(self) -> bool:
        """True when part of a value is buffered."""
        return bool(self._buf) or self._depth > 0

    def feed(self, data: bytes) -> list[Union[Message, QmpError]]:
        return list(self._feed(data))

    def _reset(self) -> None:
        self._buf.clear()
        self._depth = 0
        self._in_string = False
        self._escape = False

    def _emit(self) -> Union[Message, QmpError]:
        raw = bytes(self._buf)
        skipped = self._skip_rest
        self._reset()
        self._skip_rest = False
        if skipped:
            return _LIMIT_SKIPPED
        try:
            return decode_value(raw)
        except QmpError as err:
            return err

    def _feed(self, data: bytes) -> Iterator[Union[Message, QmpError]]:
        for byte in data:
            if self._in_string:
                self._append(byte)
                if self._escape:
                    self._escape = False
                elif byte == _BACKSLASH:
                    self._escape = True
                elif byte == _QUOTE:
                    self._in_string = False
                    if self._depth == 0:
                        yield from self._emit_value()
                yield from self._check_limits()
                continue
            if byte in _WHITESPACE:
                if self._depth == 0:
                    if self._scalar_pending:  # a bare scalar at top level ends here
                        yield from self._emit_value()
                    continue
                self._append(byte)
                continue
            if self._depth == 0 and self._scalar_pending and (byte in _OPEN or byte in _CLOSE
                                                              or byte == _QUOTE):
                yield from self._emit_value()  # the scalar before this token
            if byte in _OPEN:
                self._depth += 1
                self._append(byte)
            elif byte in _CLOSE:
                self._depth -= 1
                self._append(byte)
                if self._depth <= 0:
                    yield from self._emit_value()
                    continue
            elif byte == _QUOTE:
                self._in_string = True
                self._append(byte)
            else:
                self._append(byte)
            yield from self._check_limits()

    @property
    def _scalar_pending(self) -> bool:
        """At top level, outside a string: part of a bare scalar was read (or skipped, over the limit)."""
        return bool(self._buf) or self._skip_rest

    def _append(self, byte: int) -> None:
        if not self._skip_rest:
            self._buf.append(byte)

    def _emit_value(self) -> Iterator[Union[Message, QmpError]]:
        value = self._emit()
        if value is not _LIMIT_SKIPPED:
            yield value

    def _check_limits(self) -> Iterator[QmpError]:
        if self._skip_rest:
            return
        if self._depth > MAX_NESTING:
            self._skip_rest = True
            self._buf.clear()
            yield QmpError("JSON nesting depth limit exceeded")
        elif len(self._buf) > MAX_MESSAGE_SIZE:
            self._skip_rest = True
            self._buf.clear()
            yield QmpError("JSON token size limit exceeded")


_LIMIT_SKIPPED: Any = object()


#: What ends every line the monitor writes.
LINE_ENDING = b"\r\n"


class UnencodableMessage(QmpError):
    """A message held a value JSON cannot express (NaN or an infinity)."""


#: One encoder for every message (``json.dumps`` with options builds a new one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=True, allow_nan=False)


def encode(message: dict) -> bytes:
    """One message on one line, as QEMU writes it (non-pretty mode); never NaN or Infinity."""
    try:
        text = _ENCODER.encode(message)
    except ValueError as exc:
        raise UnencodableMessage(f"The reply could not be written as JSON: {exc}") from None
    return text.encode("ascii") + LINE_ENDING


@dataclass(frozen=True)
class Timestamp:
    """An event's ``timestamp`` member: host wall-clock time (qmp-spec "Asynchronous events")."""

    seconds: int
    microseconds: int

    @classmethod
    def from_time(cls, now: float) -> "Timestamp":
        micros = int(round(now * 1_000_000))
        return cls(micros // 1_000_000, micros % 1_000_000)

    def to_wire(self) -> dict[str, int]:
        return {"seconds": self.seconds, "microseconds": self.microseconds}


@dataclass(frozen=True)
class VersionTriple:
    """``VersionInfo.qemu`` (qapi/control.json)."""

    major: int
    minor: int
    micro: int

    @classmethod
    def parse(cls, version: str) -> "VersionTriple":
        parts = [int(p) for p in re.findall(r"\d+", version)[:3]]
        parts += [0] * (3 - len(parts))
        return cls(*parts)


def version_info(version: VersionTriple, package: str) -> dict[str, object]:
    """``VersionInfo``: ``{"qemu": {"major", "minor", "micro"}, "package"}``."""
    return {"qemu": {"major": version.major, "minor": version.minor, "micro": version.micro},
            "package": package}


def greeting(version: dict[str, object], capabilities: list[str]) -> dict[str, object]:
    """The server greeting (qmp-spec "Server Greeting")."""
    return {"QMP": {"version": version, "capabilities": list(capabilities)}}


def success(result: object, request_id: Any = None, has_id: bool = False) -> dict[str, object]:
    reply: dict[str, object] = {"return": result}
    if has_id:
        reply["id"] = request_id
    return reply


def failure(error: QmpError, request_id: Any = None, has_id: bool = False) -> dict[str, object]:
    reply: dict[str, object] = {"error": error.to_wire()}
    if has_id:
        reply["id"] = request_id
    return reply


def event(name: str, data: dict[str, object] | None, timestamp: Timestamp) -> dict[str, object]:
    """An asynchronous event (qmp-spec "Asynchronous events"); ``data`` omitted when None."""
    message: dict[str, object] = {"event": name}
    if data is not None:
        message["data"] = data
    message["timestamp"] = timestamp.to_wire()
    return message
