"""A migration's status as QEMU reports it: ``MigrationStatus``, ``query-migrate``, ``MIGRATION``.

Follows QEMU ``qapi/migration.json`` (``MigrationStatus``, ``MigrationInfo``,
``MigrationStats``, the ``MIGRATION`` event) and ``migration/migration.c``:

- an outgoing migration goes ``setup`` -> ``active`` -> ``completed`` (or
  ``failed``); ``fill_source_migration_info`` reports ``total-time``,
  ``setup-time``, ``downtime`` and ``ram`` statistics once active or completed,
  only ``status`` in setup and failed, and ``error-desc`` whenever an error
  was set (``migrate_set_error``);
- an incoming one goes ``setup`` -> ``active`` -> ``completed`` (or
  ``failed``); ``fill_destination_migration_info`` reports the status only;
  here a failed incoming migration also gives its ``error-desc``;
- ``query-migrate`` before any migration is ``{}`` (``MIGRATION_STATUS_NONE``);
- ``migrate_set_state`` emits ``MIGRATION {"status": ...}`` on every change,
  only when the ``events`` capability is on (``migrate_generate_event``).

Times are host wall-clock milliseconds, as QEMU's ``QEMU_CLOCK_REALTIME``.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

#: ``MigrationStats.page-size``: the stream is counted in pages of this size, as QEMU's RAM.
PAGE_SIZE = 4096


class MigrationStatus(str, enum.Enum):
    """``MigrationStatus`` (qapi/migration.json), the values this VMM reaches."""

    NONE = "none"
    SETUP = "setup"
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass
class MigrationJob:
    """One direction's migration: its status, times, bytes and error."""

    clock_ms: Callable[[], float] = field(default=lambda: time.time() * 1000.0)
    status: MigrationStatus = MigrationStatus.NONE
    error: Optional[str] = None
    start_ms: float = 0.0
    setup_ms: float = 0.0
    downtime_start_ms: float = 0.0
    downtime_ms: float = 0.0
    end_ms: float = 0.0
    transferred: int = 0

    def begin(self) -> None:
        """``migrate_init``: a new migration, every figure reset."""
        self.error = None
        self.transferred = 0
        self.start_ms = self.clock_ms()
        self.setup_ms = self.downtime_ms = self.downtime_start_ms = self.end_ms = 0.0

    def activated(self) -> None:
        self.setup_ms = self.clock_ms() - self.start_ms

    def vm_stopped(self) -> None:
        self.downtime_start_ms = self.clock_ms()

    def finished(self, transferred: int) -> None:
        now = self.clock_ms()
        self.transferred = transferred
        self.end_ms = now
        if self.downtime_start_ms:
            self.downtime_ms = now - self.downtime_start_ms

    @property
    def running(self) -> bool:
        """``migration_is_running``: in setup or active."""
        return self.status in (MigrationStatus.SETUP, MigrationStatus.ACTIVE)

    def ram_stats(self) -> dict[str, object]:
        """``MigrationStats`` with the stream counted as RAM pages sent in one pass."""
        pages = -(-self.transferred // PAGE_SIZE)
        total_s = max(self.end_ms - self.start_ms, 1.0) / 1000.0
        return {
            "transferred": self.transferred, "remaining": 0, "total": self.transferred,
            "duplicate": 0, "normal": pages, "normal-bytes": self.transferred,
            "dirty-pages-rate": 0, "mbps": round(self.transferred * 8 / 1e6 / total_s, 3),
            "dirty-sync-count": 1, "postcopy-requests": 0, "page-size": PAGE_SIZE,
            "multifd-bytes": 0, "pages-per-second": round(pages / total_s),
            "precopy-bytes": self.transferred, "downtime-bytes": 0, "postcopy-bytes": 0,
            "dirty-sync-missed-zero-copy": 0,
        }

    def source_info(self) -> dict[str, object]:
        """``query-migrate`` of the source (``fill_source_migration_info``)."""
        if self.status is MigrationStatus.NONE:
            return {}
        info: dict[str, object] = {"status": self.status.value}
        if self.status in (MigrationStatus.ACTIVE, MigrationStatus.COMPLETED):
            end = self.end_ms if self.status is MigrationStatus.COMPLETED else self.clock_ms()
            info["total-time"] = round(end - self.start_ms)
            info["setup-time"] = round(self.setup_ms)
            if self.status is MigrationStatus.COMPLETED:
                info["downtime"] = round(self.downtime_ms)
            else:
                info["expected-downtime"] = 0
            info["ram"] = self.ram_stats()
        if self.error is not None:
            info["error-desc"] = self.error
        return info

    def destination_info(self) -> dict[str, object]:
        """``query-migrate`` of the destination (``fill_destination_migration_info``)."""
        if self.status is MigrationStatus.NONE:
            return {}
        info: dict[str, object] = {"status": self.status.value}
        if self.error is not None:
            info["error-desc"] = self.error
        return info


#: ``MigrationParameters`` (qapi/migration.json, QEMU 9.1) with QEMU's defaults
#: (migration/options.c ``migration_properties``); ``query-migrate-parameters`` reports them and
#: ``migrate-set-parameters`` changes them (remembered; none changes how this VMM saves).
DEFAULT_PARAMETERS: dict[str, object] = {
    "announce-initial": 50, "announce-max": 550, "announce-rounds": 5, "announce-step": 100,
    "throttle-trigger-threshold": 50, "cpu-throttle-initial": 20, "cpu-throttle-increment": 10,
    "cpu-throttle-tailslow": False, "tls-creds": "", "tls-hostname": "", "tls-authz": "",
    "max-bandwidth": 128 << 20, "avail-switchover-bandwidth": 0, "downtime-limit": 300,
    "x-checkpoint-delay": 20000, "multifd-channels": 2, "xbzrle-cache-size": 64 << 20,
    "max-postcopy-bandwidth": 0, "max-cpu-throttle": 99, "multifd-compression": "none",
    "multifd-zlib-level": 1, "multifd-zstd-level": 1, "x-vcpu-dirty-limit-period": 1000,
    "vcpu-dirty-limit": 1, "mode": "normal", "zero-page-detection": "multifd",
}
#: ``StrOrNull`` members of ``MigrateSetParameters``: a null resets them to "".
NULLABLE_PARAMETERS = frozenset({"tls-creds", "tls-hostname", "tls-authz"})


@dataclass
class MigrationJobs:
    """The VM's outgoing and incoming migration (QEMU's ``current_migration``, ``current_incoming``)."""

    outgoing: MigrationJob = field(default_factory=MigrationJob)
    incoming: MigrationJob = field(default_factory=MigrationJob)
    incoming_started: bool = False
    """``migrate-incoming`` (or ``-incoming URI``) was used: QEMU allows it once."""
    parameters: dict[str, object] = field(default_factory=lambda: dict(DEFAULT_PARAMETERS))
    on_incoming_failure: list[Callable[[str], None]] = field(default_factory=list)
    """Host callbacks told why a load failed, before the process ends (QEMU's ``error_report``
    "load of migration failed" reaches its log before it exits: libvirt quotes that log)."""

    def query(self) -> dict[str, object]:
        """``qmp_query_migrate``: the destination's status, overridden by the source's when it has one."""
        info = self.incoming.destination_info()
        info.update(self.outgoing.source_info())
        return info


__all__ = ["DEFAULT_PARAMETERS", "NULLABLE_PARAMETERS", "MigrationJob", "MigrationJobs", "MigrationStatus", "PAGE_SIZE"]
