"""QMP save/restore: ``migrate``, ``query-migrate``, ``migrate-incoming`` and ``-incoming``.

Follows QEMU ``migration/migration.c`` and ``qapi/migration.json``:

- ``migrate`` (``qmp_migrate``): ``uri`` or ``channels``, not both ("need either
  'uri' or 'channels' argument"); the URI is parsed first (an error changes
  nothing); then ``migrate_prepare`` refuses "There's a migration process in
  progress", "Guest is waiting for an incoming migration" (``inmigrate``) and
  "Can't migrate the vm that was paused due to previous migration"
  (``postmigrate``); ``migrate_init`` enters ``setup``. A transport that cannot
  be opened fails the migration (``failed``) and the command. Otherwise the
  command returns ``{}`` and the migration proceeds after the reply:
  ``active``, the vCPUs stop (``STOP`` if they ran: ``migration_stop_vm``),
  the state is saved and written, ``completed``, and the source stays stopped
  in ``postmigrate`` (``migration_iteration_finish``); ``cont`` would run it
  again. A failure after the stop restarts a VM that was running
  (``RESUME``) and leaves ``failed`` with the error in ``query-migrate``.
- ``-incoming URI`` / ``-incoming defer`` + ``migrate-incoming``
  (``qmp_migrate_incoming``): only in ``inmigrate`` ("'-incoming' was not
  specified on the command line") and once ("The incoming migration has
  already been started"); ``setup``, ``active``, the state is checked and
  loaded, then the run state is set *before* ``completed``
  (``process_incoming_migration_bh``): a VM saved running runs at once
  (``RESUME``) with autostart (no ``-S``, or a ``cont`` sent while in
  ``inmigrate``), else stays ``paused``; a VM saved paused or shut down
  keeps that state. A load that fails is ``failed``; with ``exit-on-error``
  (the default, as QEMU 9.1) the process quits, as QEMU exits after "load
  of migration failed".
- ``MIGRATION`` events on every status change, only with the ``events``
  capability on (``migrate_generate_event``).

``fd:NAME`` (``monitor_fd_param``): a URI whose descriptor starts with a
digit is a descriptor number the process holds; any other text names one
passed with ``getfd`` on the same monitor connection (:mod:`.fds`), as
``virsh save`` does (``getfd`` ``migrate`` with the save file, then
``migrate fd:migrate``). The migration takes the descriptor out of the
monitor's table when it opens its channel (``monitor_get_fd``: the caller owns
it) and closes it when the stream is written or the migration fails, so the
name is gone afterwards. An unknown name is refused before anything starts
("File descriptor named 'X' has not been found"; QEMU looks it up in ``setup``
and fails the migration there, with ``setup`` and ``failed`` events).

The device table (``qmp/devices.py``: QOM paths and ids of plugged vCPUs,
pending ``device_del`` s) travels in the stream's ``vm`` section, so a
``device_del`` sent before the save ends on the destination in its
``DEVICE_DELETED`` or ``DEVICE_UNPLUG_GUEST_ERROR``. The run state travels
there too (QEMU's ``globalstate`` section).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from vcpu_hotplug.migration.errors import MigrationError, UriError
from vcpu_hotplug.migration.job import (DEFAULT_PARAMETERS, NULLABLE_PARAMETERS, MigrationJob,
                                        MigrationJobs, MigrationStatus)
from vcpu_hotplug.migration.transport import FdUri, MigrationUri, Outgoing, parse_uri, read_stream

from .backend import RunState
from .devices import CpuDevice, CpuDeviceTable
from .errors import QmpError, invalid_parameter_type, unexpected_parameter
from .fds import has_named, take_named

MIGRATION_EVENT = "MIGRATION"
#: ``-incoming defer``: wait in ``inmigrate`` for ``migrate-incoming``.
INCOMING_DEFER = "defer"
EVENTS_CAPABILITY = "events"
#: Run states a saved VM may be restored into (QEMU's ``globalstate``); anything else is running.
RESTORABLE_STATES = {RunState.RUNNING, RunState.PAUSED, RunState.SHUTDOWN}

EmitEvent = Callable[[str, Optional[dict[str, object]]], None]


def jobs_of(backend: Any) -> MigrationJobs:
    """The backend's migration jobs (created on first use)."""
    jobs = getattr(backend, "migration", None)
    if jobs is None:
        jobs = MigrationJobs()
        backend.migration = jobs
    return jobs


def _state_io(backend: Any) -> Any:
    state_io = getattr(backend, "vm_state", None)
    if state_io is None:
        raise QmpError("This machine cannot be migrated: no guest state to save")
    return state_io


def _set_status(job: MigrationJob, status: MigrationStatus, events_on: bool, emit: EmitEvent) -> None:
    """``migrate_set_state``: the event only with the ``events`` capability."""
    if job.status is status:
        return
    job.status = status
    if events_on:
        emit(MIGRATION_EVENT, {"status": status.value})


def _emit_now(ctx: Any) -> EmitEvent:
    """The emitter for an event QEMU sends before the command's reply (see ``CommandContext``)."""
    return getattr(ctx, "emit_event_now", None) or ctx.emit_event


def _events_on(ctx: Any) -> bool:
    return bool(ctx.identity.migrate_capabilities.get(EVENTS_CAPABILITY, False))


def _uri_argument(args: dict[str, Any]) -> str:
    uri, channels = args.get("uri"), args.get("channels")
    if (uri is None) == (channels is None):
        raise QmpError("need either 'uri' or 'channels' argument")
    if channels is not None:
        raise QmpError("migration 'channels' are not supported by this VMM: give a 'uri' "
                       "(file:PATH or exec:CMD)")
    return uri


FD_SCHEME = "fd:"


@dataclass(frozen=True)
class NamedFdUri:
    """``fd:NAME``: a descriptor the command's monitor holds under NAME (``getfd``)."""

    name: str

    def __str__(self) -> str:
        return f"file descriptor '{self.name}'"


def _parse(uri: str, ctx: Any) -> Union[MigrationUri, NamedFdUri]:
    """The URI, checked before anything starts; ``fd:`` as ``monitor_fd_param`` reads it."""
    if uri.startswith(FD_SCHEME):
        name = uri[len(FD_SCHEME):]
        if not (name[:1].isascii() and name[:1].isdigit()):
            if not has_named(ctx, name):
                raise QmpError(f"File descriptor named '{name}' has not been found")
            return NamedFdUri(name)
        if not (name.isascii() and name.isdigit()):
            raise QmpError(f"Invalid file descriptor number '{name}'")
    try:
        return parse_uri(uri)
    except UriError as exc:
        raise QmpError(str(exc)) from None


def _resolve(uri: Union[MigrationUri, NamedFdUri], ctx: Any) -> MigrationUri:
    """The channel's URI; a named descriptor leaves the monitor's table for the migration
    (``monitor_get_fd``), which closes it when done."""
    if isinstance(uri, NamedFdUri):
        return FdUri(take_named(ctx, uri.name))
    return uri


def _blocking(uri: MigrationUri) -> None:
    """A descriptor is read or written whole in one call here (QEMU's channel waits on it in a
    coroutine instead), so it is made blocking first: ``virsh restore`` of a compressed image hands
    over the read end of its decompressor's pipe non-blocking, and a plain read stops at the 64 KiB
    the pipe holds. A descriptor that is not open is left for the transport to report."""
    if isinstance(uri, FdUri):
        try:
            os.set_blocking(uri.fd, True)
        except OSError:
            pass


# ------------------------------------------------------------------ the device table

def devices_state(devices: CpuDeviceTable) -> dict[str, Any]:
    """The QMP device table as JSON for the stream's ``vm`` section."""
    devices.slots()  # bring the table in line with the machine first
    return {"anon-count": devices._anon_count,
            "list": [{"index": d.index, "driver": d.driver, "qom-path": d.qom_path, "id": d.id,
                      "boot": d.boot, "unplug-pending": d.unplug_pending} for d in devices.devices()]}


def restore_devices(devices: CpuDeviceTable, saved: Any, source: str) -> None:
    """Replace the device table with the saved one (the destination's is the prelaunch one)."""
    try:
        table = {int(d["index"]): CpuDevice(int(d["index"]), str(d["driver"]), str(d["qom-path"]),
                                            None if d["id"] is None else str(d["id"]), bool(d["boot"]),
                                            bool(d["unplug-pending"]))
                 for d in saved["list"]}
        anon = int(saved["anon-count"])
    except (KeyError, TypeError, ValueError):
        raise MigrationError(f"{source}: the stream's device table is damaged") from None
    devices._devices = table
    devices._anon_count = anon


# ------------------------------------------------------------------ outgoing

def migrate(ctx: Any, args: dict[str, Any]) -> object:
    """``migrate``: save the whole VM to ``uri`` (see the module for the sequence)."""
    uri = _parse(_uri_argument(args), ctx)
    if args.get("resume"):
        raise QmpError("Cannot resume if there is no paused migration")
    backend = ctx.backend
    jobs = jobs_of(backend)
    job = jobs.outgoing
    if job.running:
        raise QmpError("There's a migration process in progress")
    state = backend.status()
    if state is RunState.INMIGRATE:
        raise QmpError("Guest is waiting for an incoming migration")
    if state is RunState.POSTMIGRATE:
        raise QmpError("Can't migrate the vm that was paused due to previous migration")
    if state is RunState.PRELAUNCH:
        raise QmpError("The VM has not started yet (prelaunch): there is no state to save; "
                       "start it with cont first")
    state_io = _state_io(backend)
    events = _events_on(ctx)
    job.begin()
    _set_status(job, MigrationStatus.SETUP, events, _emit_now(ctx))  # migrate_init, before the reply
    try:
        channel = _resolve(uri, ctx)
        _blocking(channel)
        outgoing = Outgoing(channel)
    except UriError as exc:  # migrate_fd_error: failed, and the command fails
        job.error = str(exc)
        _set_status(job, MigrationStatus.FAILED, events, ctx.emit_event)
        raise QmpError(str(exc)) from None
    _set_status(job, MigrationStatus.ACTIVE, events, ctx.emit_event)
    job.activated()
    was_running = state is RunState.RUNNING
    if was_running:
        backend.pause()  # migration_stop_vm: the vCPUs stop before the device state is saved
        ctx.emit_event("STOP", None)
    job.vm_stopped()
    try:
        data = state_io.save({"run-state": state.value, "devices": devices_state(ctx.devices)})
        outgoing.write(data)
    except MigrationError as exc:
        outgoing.close()
        job.error = str(exc)
        job.finished(0)
        _set_status(job, MigrationStatus.FAILED, events, ctx.emit_event)
        if was_running:
            backend.resume()
            ctx.emit_event("RESUME", None)
        return {}
    job.finished(len(data))
    backend.finish_outgoing()
    _set_status(job, MigrationStatus.COMPLETED, events, ctx.emit_event)
    return {}


def query_migrate(ctx: Any, args: dict[str, Any]) -> object:
    """``query-migrate`` (``qmp_query_migrate``)."""
    return jobs_of(ctx.backend).query()


# ------------------------------------------------------------------ parameters

def query_migrate_parameters(ctx: Any, args: dict[str, Any]) -> object:
    """``query-migrate-parameters``: every ``MigrationParameters`` member."""
    return dict(jobs_of(ctx.backend).parameters)


def migrate_set_parameters(ctx: Any, args: dict[str, Any]) -> object:
    """``migrate-set-parameters``: checked whole (types as the QAPI visitor checks them), then
    remembered; ``block-bitmap-mapping`` is accepted and not reported."""
    wanted: dict[str, object] = {}
    for name, value in args.items():
        if name == "block-bitmap-mapping":
            if not isinstance(value, list):
                raise invalid_parameter_type(name, "array")
            continue
        default = DEFAULT_PARAMETERS.get(name)
        if default is None:
            raise unexpected_parameter(name)
        if value is None and name in NULLABLE_PARAMETERS:
            value = ""
        if isinstance(default, bool):
            ok, kind = isinstance(value, bool), "boolean"
        elif isinstance(default, int):
            ok, kind = isinstance(value, int) and not isinstance(value, bool) and value >= 0, "integer"
        else:
            ok, kind = isinstance(value, str), "string"
        if not ok:
            raise invalid_parameter_type(name, kind)
        wanted[name] = value
    jobs_of(ctx.backend).parameters.update(wanted)
    return {}


# ------------------------------------------------------------------ incoming

def migrate_incoming(ctx: Any, args: dict[str, Any]) -> object:
    """``migrate-incoming``: load the state a ``-incoming defer`` VM waits for."""
    uri_text = _uri_argument(args)
    jobs = jobs_of(ctx.backend)
    if jobs.incoming_started:
        raise QmpError("The incoming migration has already been started")
    if ctx.backend.status() is not RunState.INMIGRATE:
        raise QmpError("'-incoming' was not specified on the command line")
    uri = _resolve(_parse(uri_text, ctx), ctx)
    exit_on_error = args.get("exit-on-error", True)
    jobs.incoming_started = True
    failure = load_incoming(ctx.backend, ctx.devices, uri, events=_events_on(ctx), emit=ctx.emit_event,
                            emit_setup=_emit_now(ctx))
    if failure is not None and exit_on_error:
        ctx.request_quit()
    return {}


def incoming_failure(backend: Any) -> Optional[str]:
    """Why the incoming migration failed (the process should exit with it), or None."""
    jobs = getattr(backend, "migration", None)
    if jobs is None or jobs.incoming.status is not MigrationStatus.FAILED:
        return None
    return jobs.incoming.error


def migrate_cancel(ctx: Any, args: dict[str, Any]) -> object:
    """``migrate_cancel``: a migration here runs within its ``migrate`` command, so none is ever
    running when another command arrives; as QEMU's with no migration running, nothing happens."""
    return {}


def wait_for_incoming(backend: Any, *, autostart: bool) -> None:
    """Put a VM built stopped (``VmSpec.start_paused``, with migration enabled) in ``inmigrate``:
    QEMU's ``-incoming``. ``autostart`` is QEMU's (no ``-S``): run once loaded if saved running."""
    _state_io(backend)
    backend.begin_incoming()
    backend.autostart = autostart


def load_incoming(backend: Any, devices: CpuDeviceTable, uri: MigrationUri, *, events: bool,
                  emit: EmitEvent, emit_setup: Optional[EmitEvent] = None) -> Optional[str]:
    """Read, check and load the saved VM from ``uri`` into a VM waiting in ``inmigrate``.

    Returns None when loaded (the VM is then running, paused or shut down as
    the module says), else the error text (the VM stays in ``inmigrate`` and
    the job ``failed``). ``emit_setup`` sends the ``setup`` event (QEMU sends it before
    ``migrate-incoming`` returns: ``qemu_start_incoming_migration``); ``emit`` the others.
    """
    jobs = jobs_of(backend)
    jobs.incoming_started = True
    job = jobs.incoming
    job.begin()
    _set_status(job, MigrationStatus.SETUP, events, emit_setup or emit)
    _set_status(job, MigrationStatus.ACTIVE, events, emit)
    source = str(uri)
    try:
        state_io = _state_io(backend)
        _blocking(uri)
        data = read_stream(uri)
        section = state_io.check(data, source)
        saved_state = _saved_run_state(section.vm.get("run-state"), source)
        state_io.load(data, source)
        if "devices" in section.vm:
            restore_devices(devices, section.vm["devices"], source)
    except (MigrationError, QmpError) as exc:
        job.error = f"load of migration failed: {exc}"
        job.finished(0)
        _set_status(job, MigrationStatus.FAILED, events, emit)
        for callback in list(jobs.on_incoming_failure):
            callback(job.error)
        return job.error
    job.finished(len(data))
    if saved_state is RunState.RUNNING:
        if backend.autostart:
            backend.finish_incoming(RunState.RUNNING)
            emit("RESUME", None)
        else:
            backend.finish_incoming(RunState.PAUSED)
    else:
        backend.finish_incoming(saved_state)
    _set_status(job, MigrationStatus.COMPLETED, events, emit)
    return None


def _saved_run_state(value: Any, source: str) -> RunState:
    try:
        state = RunState(value)
    except ValueError:
        raise MigrationError(f"{source}: the stream's run state {value!r} is not one QEMU has") from None
    # prelaunch/postmigrate at save: the guest had run (or not) as the state says; treat as paused.
    return state if state in RESTORABLE_STATES else RunState.PAUSED


__all__ = ["INCOMING_DEFER", "devices_state", "incoming_failure", "jobs_of", "load_incoming", "migrate",
           "migrate_cancel", "migrate_incoming", "migrate_set_parameters", "query_migrate", "query_migrate_parameters",
           "wait_for_incoming"]
