"""Migration URIs: QEMU's ``file:`` and ``exec:`` (the ones ``virsh save`` and a plain save use).

Follows QEMU ``migration/migration.c`` ``migrate_uri_parse``, ``migration/file.c``
and ``migration/exec.c``:

- ``file:PATH[,offset=N]``: the stream is written to (read from) the file at
  byte ``offset`` (default 0; ``file_parse_offset``). The outgoing file is
  created (or truncated) owner-only, mode 0600, as
  ``file_start_outgoing_migration`` opens it (``O_CREAT | O_WRONLY | O_TRUNC``,
  0600);
- ``exec:CMD``: ``/bin/sh -c CMD``; outgoing, the stream goes to the
  command's standard input (``virsh save`` with a compressor pipes it to
  ``gzip -c > FILE`` this way); incoming, it is read from the command's
  standard output (``exec:cat FILE``, ``exec:gzip -dc FILE``). A command
  that exits with a non-zero status fails the migration, naming the status
  and the command's last line of standard error;
- ``fd:N``: a file descriptor the process inherited (what libvirt passes on
  ``virsh restore``: the save file, or a pipe from its decompressor); QEMU's
  ``monitor_fd_param`` takes a number as the descriptor itself and any other
  text as the name of one passed with ``getfd`` over the monitor socket
  (qmp/fds.py; an unknown name: "File descriptor named 'X' has not been
  found"), as ``virsh save`` passes its save file. The descriptor is
  closed when the stream is done, as QEMU's channel closes it;
- anything else QEMU knows (``tcp:``, ``unix:``, ``rdma:``, ``vsock:``) is
  refused with a sentence saying which URIs this VMM takes;
  an unknown scheme gets QEMU's "unknown migration protocol: URI".

I/O here is synchronous and short (the stream is small); an ``exec:``
command that does not finish within :data:`EXEC_TIMEOUT_S` fails the migration.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from .errors import UriError

#: Longest an ``exec:`` command may take to take or give the stream (wall seconds).
EXEC_TIMEOUT_S = 60.0
#: Mode of a file written by ``migrate file:`` (QEMU's 0600).
OUTGOING_FILE_MODE = 0o600
#: The shell ``exec:`` runs its command with (QEMU: ``/bin/sh -c``).
SHELL = ("/bin/sh", "-c")
#: Schemes QEMU has that this VMM does not (there is no second process to stream to).
OTHER_QEMU_SCHEMES = ("tcp:", "unix:", "rdma:", "vsock:")


@dataclass(frozen=True)
class FileUri:
    path: Path
    offset: int = 0

    def __str__(self) -> str:
        return f"file '{self.path}'"


@dataclass(frozen=True)
class ExecUri:
    command: str

    def __str__(self) -> str:
        return f"exec command '{self.command}'"


@dataclass(frozen=True)
class FdUri:
    fd: int

    def __str__(self) -> str:
        return f"file descriptor {self.fd}"


MigrationUri = Union[FileUri, ExecUri, FdUri]


def parse_uri(uri: str) -> MigrationUri:
    """``file:PATH[,offset=N]`` or ``exec:CMD``; :class:`UriError` otherwise."""
    if uri.startswith("exec:"):
        command = uri[len("exec:"):]
        if not command.strip():
            raise UriError("exec: needs a command, e.g. exec:cat > /tmp/vm.state")
        return ExecUri(command)
    if uri.startswith("file:"):
        path, sep, option = uri[len("file:"):].partition(",offset=")
        offset = 0
        if sep:
            try:
                offset = int(option, 0)
            except ValueError:
                raise UriError(f"file URI has bad offset {option}") from None
            if offset < 0:
                raise UriError(f"file URI has bad offset {option}")
        if not path:
            raise UriError("file: needs a path, e.g. file:/tmp/vm.state")
        return FileUri(Path(path), offset)
    if uri.startswith("fd:"):
        name = uri[len("fd:"):]
        if not name.isdigit():
            raise UriError(f"File descriptor named '{name}' has not been found")
        return FdUri(int(name))
    if uri.startswith(OTHER_QEMU_SCHEMES):
        scheme = uri.split(":", 1)[0]
        raise UriError(f"migration over {scheme}: is not supported by this VMM: use file:PATH or exec:CMD")
    raise UriError(f"unknown migration protocol: {uri}")


class Outgoing:
    """An opened destination for the stream (QEMU opens it in ``setup``, before the VM stops)."""

    def __init__(self, uri: MigrationUri) -> None:
        self.uri = uri
        self._fd: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        if isinstance(uri, FileUri):
            try:
                self._fd = os.open(uri.path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, OUTGOING_FILE_MODE)
            except OSError as exc:
                raise UriError(f"Unable to open {uri.path}: {exc.strerror}") from None
        elif isinstance(uri, FdUri):
            _check_fd(uri)
            self._fd = uri.fd
        else:
            try:
                self._proc = subprocess.Popen([*SHELL, uri.command], stdin=subprocess.PIPE,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            except OSError as exc:
                raise UriError(f"{uri} could not be started: {exc.strerror}") from None

    def write(self, data: bytes) -> None:
        """Send the whole stream and close; :class:`UriError` naming the destination when that fails."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                with os.fdopen(fd, "wb") as out:
                    if isinstance(self.uri, FileUri):
                        out.seek(self.uri.offset)
                    out.write(data)
            except OSError as exc:
                raise UriError(f"Unable to write to {self.uri}: {exc.strerror}") from None
            return
        assert self._proc is not None and isinstance(self.uri, ExecUri)
        proc, self._proc = self._proc, None
        try:
            _, err = proc.communicate(data, timeout=EXEC_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise UriError(f"{self.uri} did not finish within {EXEC_TIMEOUT_S:g} s") from None
        _check_exit(self.uri, proc.returncode, err)

    def close(self) -> None:
        """Give up (the migration failed before writing)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._proc is not None:
            self._proc.kill()
            self._proc.communicate()
            self._proc = None


def write_stream(uri: MigrationUri, data: bytes) -> None:
    """Send ``data`` to ``uri``; :class:`UriError` naming it when that fails."""
    Outgoing(uri).write(data)


def read_stream(uri: MigrationUri) -> bytes:
    """Everything ``uri`` gives; :class:`UriError` naming it when that fails."""
    if isinstance(uri, FileUri):
        try:
            with open(uri.path, "rb") as src:
                src.seek(uri.offset)
                return src.read()
        except OSError as exc:
            raise UriError(f"Unable to open {uri.path}: {exc.strerror}") from None
    if isinstance(uri, FdUri):
        _check_fd(uri)
        try:
            with os.fdopen(uri.fd, "rb") as src:
                return src.read()
        except OSError as exc:
            raise UriError(f"Unable to read from {uri}: {exc.strerror}") from None
    return _run(uri, None)


def _check_fd(uri: FdUri) -> None:
    try:
        os.fstat(uri.fd)
    except OSError:
        raise UriError(f"{uri} is not open in this process") from None


def _run(uri: ExecUri, data: bytes | None) -> bytes:
    try:
        done = subprocess.run([*SHELL, uri.command], input=data if data is not None else b"",
                              stdout=subprocess.PIPE if data is None else subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=EXEC_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise UriError(f"{uri} did not finish within {EXEC_TIMEOUT_S:g} s") from None
    except OSError as exc:
        raise UriError(f"{uri} could not be started: {exc.strerror}") from None
    _check_exit(uri, done.returncode, done.stderr)
    return done.stdout if data is None else b""


def _check_exit(uri: ExecUri, status: int, stderr: bytes | None) -> None:
    if status != 0:
        lines = (stderr or b"").decode(errors="replace").strip().splitlines()
        said = f": {lines[-1]}" if lines else ""
        raise UriError(f"{uri} exited with status {status}{said}")


__all__ = ["ExecUri", "FdUri", "FileUri", "MigrationUri", "Outgoing", "parse_uri", "read_stream", "write_stream"]
