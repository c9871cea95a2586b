"""The saved-VM stream: a versioned, checksummed container around the VM state.

Layout (all of it one byte string; a file, a pipe to ``exec:``, the same)::

    VCPUHP-VMSTATE\\n                        magic line
    {"format": 1, "version": "0.1.0", ...}\\n  header: one line of JSON
    <payload-bytes bytes>                     payload (see :mod:`.state_codec`)

Header fields: ``format`` (:data:`STREAM_FORMAT`, bumped whenever the layout
or the meaning of the payload changes), ``version`` (the project's
``__version__``), ``build`` (:func:`~.state_codec.code_fingerprint`: the
payload names functions by their place in this build's source, so a stream
loads only into the build that wrote it), ``payload-bytes``,
``sha256`` (over the ``vm`` section as canonical JSON, a NUL byte and the
payload) and ``vm``: what management sees of the VM (configuration, run
state, QMP device ids), readable without decoding the payload.

QEMU's own stream (``migration/savevm.c``: ``QEMU_VM_FILE_MAGIC``,
``QEMU_VM_FILE_VERSION``, sections per device with ``vmstate`` versions) is
checked the same way before anything is applied: a stream QEMU cannot take
fails the incoming migration and leaves the destination unstarted. Here
every check happens before decoding: each error (:class:`StreamError`) names
the source and what is wrong with it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from vcpu_hotplug import __version__

from .errors import StreamError
from .state_codec import code_fingerprint

MAGIC = b"VCPUHP-VMSTATE\n"
STREAM_FORMAT = 1
"""Version of the layout and of the payload's meaning."""
MAX_HEADER_BYTES = 1 << 20
"""A header line longer than this is not ours."""
HEADER_FIELDS = ("format", "version", "build", "payload-bytes", "sha256", "vm")


@dataclass(frozen=True)
class Stream:
    """A stream's parts: ``vm`` (the management view) and the payload bytes."""

    vm: dict[str, Any]
    payload: bytes
    version: str = __version__
    format: int = STREAM_FORMAT


def _digest(vm: dict[str, Any], payload: bytes) -> str:
    canonical = json.dumps(vm, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical + b"\0" + payload).hexdigest()


def encode(vm: dict[str, Any], payload: bytes) -> bytes:
    """The stream for ``vm`` and ``payload``, stamped with this version and build."""
    header = {"format": STREAM_FORMAT, "version": __version__, "build": code_fingerprint(),
              "payload-bytes": len(payload), "sha256": _digest(vm, payload), "vm": vm}
    return MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def decode(data: bytes, source: str) -> Stream:
    """Check ``data`` (read from ``source``, e.g. ``file '/x'``) and return its parts.

    Raises :class:`StreamError` saying what is wrong: not a saved VM, another
    format, version or build, a truncated or damaged stream.
    """
    where = f"{source}:"
    if not data:
        raise StreamError(f"{where} the stream is empty (nothing was saved, or the save failed)")
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data):
            raise StreamError(f"{where} the stream is truncated ({len(data)} bytes, inside the magic line)")
        raise StreamError(f"{where} not a saved vcpu-hotplug VM (no {MAGIC[:-1].decode()} magic line)")
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + MAX_HEADER_BYTES)
    if end < 0:
        if len(data) < len(MAGIC) + MAX_HEADER_BYTES:
            raise StreamError(f"{where} the stream is truncated ({len(data)} bytes, inside the header)")
        raise StreamError(f"{where} the header is longer than {MAX_HEADER_BYTES} bytes")
    try:
        header = json.loads(data[len(MAGIC):end])
    except (ValueError, UnicodeDecodeError) as exc:
        raise StreamError(f"{where} the header is damaged (not JSON: {exc})") from None
    if not isinstance(header, dict):
        raise StreamError(f"{where} the header is damaged (not a JSON object)")
    missing = [name for name in HEADER_FIELDS if name not in header]
    if missing:
        raise StreamError(f"{where} the header is damaged (no {', '.join(missing)})")
    fmt, version, build = header["format"], header["version"], header["build"]
    if fmt != STREAM_FORMAT or version != __version__:
        raise StreamError(f"{where} saved by vcpu-hotplug {version} (stream format {fmt}); this is "
                          f"vcpu-hotplug {__version__} (stream format {STREAM_FORMAT}), which cannot "
                          "load it: restore it with the version that saved it")
    if build != code_fingerprint():
        raise StreamError(f"{where} saved by another build of vcpu-hotplug {version} (code fingerprint "
                          f"{str(build)[:12]}, this build {code_fingerprint()[:12]}): the state names "
                          "code of the build that saved it; restore it with that build")
    size, digest, vm = header["payload-bytes"], header["sha256"], header["vm"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0 or \
            not isinstance(digest, str) or not isinstance(vm, dict):
        raise StreamError(f"{where} the header is damaged (bad payload-bytes, sha256 or vm)")
    payload = data[end + 1:]
    if len(payload) < size:
        raise StreamError(f"{where} the stream is truncated: the header announces {size} payload bytes, "
                          f"only {len(payload)} follow")
    if len(payload) > size:
        raise StreamError(f"{where} the stream is damaged: {len(payload) - size} bytes follow the "
                          f"{size}-byte payload")
    if _digest(vm, payload) != digest:
        raise StreamError(f"{where} the stream is corrupt: its SHA-256 checksum does not match "
                          "(changed after it was saved)")
    return Stream(vm, payload, version, fmt)


__all__ = ["MAGIC", "STREAM_FORMAT", "Stream", "decode", "encode"]
