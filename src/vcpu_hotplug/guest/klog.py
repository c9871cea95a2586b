"""The kernel log (``kernel/printk/printk.c``), as data.

Each record has the simulated time it was logged, a console log level
(``include/linux/kern_levels.h``) and the message text exactly as Linux
formats it, including the subsystem prefix of the file's ``pr_fmt`` (``psci:
``, ``GICv3: ``, ``ACPI: ``) or of ``dev_*()`` (``processor cpu4: ``).
:meth:`KernelLog.dmesg` renders ``[    1.234567] text`` lines like
``dmesg``. Every record also goes to the hardware trace as a ``GUEST_LOG``
line, so the trace shows what the guest said between boundary crossings.

Debug records (``pr_debug``, ``dev_dbg``, ``acpi_handle_debug``) exist only
with dynamic debug, as on a stock kernel (``CONFIG_DYNAMIC_DEBUG``, every
call site off by default): with ``dyndbg`` off (the default) they are
neither stored nor traced, exactly as a disabled call site prints nothing;
with ``dyndbg`` on (the ``dyndbg=`` boot parameter enabling the files
modelled here) they are kept with level DEBUG, in dmesg but below the
console level.

The log is a ring, as printk's is: it keeps the newest records whose text
fits in ``log_buf_len`` bytes (the ``log_buf_len=`` boot parameter;
``CONFIG_LOG_BUF_SHIFT=17``, 128 KiB, by default) and the oldest fall off,
counted in :attr:`KernelLog.dropped`. Linux's ring also holds a record header
per message; here only the text is counted.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from vcpu_hotplug.hw.clock import NS_PER_S, NS_PER_US
from vcpu_hotplug.hw.trace import Trace, TraceKind


class LogLevel(enum.IntEnum):
    """``KERN_EMERG`` .. ``KERN_DEBUG``."""

    EMERG = 0
    ALERT = 1
    CRIT = 2
    ERR = 3
    WARNING = 4
    NOTICE = 5
    INFO = 6
    DEBUG = 7


@dataclass(frozen=True)
class LogRecord:
    """One printk record."""

    time_ns: int
    level: LogLevel
    text: str

    def format(self) -> str:
        """``[%5lu.%06lu] text``, as dmesg prints it."""
        seconds, rest = divmod(self.time_ns, NS_PER_S)
        return f"[{seconds:5d}.{rest // NS_PER_US:06d}] {self.text}"


LOG_BUF_LEN = 1 << 17
"""Bytes of message text the ring keeps: ``1 << CONFIG_LOG_BUF_SHIFT`` (17 in the arm64 defconfig)."""

TRACEPOINT_PREFIX = "trace: "
"""Trace-only guest lines (ACPI method calls, CPU registration) start with this; they are not dmesg."""


class KernelLog:
    """The printk ring buffer of one guest: the newest records within ``log_buf_len`` bytes of text."""

    def __init__(self, now: Callable[[], int], trace: Trace | None = None,
                 log_buf_len: int = LOG_BUF_LEN, dyndbg: bool = False) -> None:
        if log_buf_len <= 0:
            raise ValueError(f"log_buf_len must be positive, not {log_buf_len}")
        self._now = now
        self.trace = trace
        self.log_buf_len = log_buf_len
        self.dyndbg = dyndbg
        """Dynamic debug on: ``pr_debug``/``dev_dbg`` records are logged (off: they print nothing)."""
        self._ring: deque[LogRecord] = deque()
        self._size = 0
        self.dropped = 0
        """Records that fell off the ring."""
        self._once: set[str] = set()

    @property
    def records(self) -> list[LogRecord]:
        """The records still in the ring, oldest first (a copy)."""
        return list(self._ring)

    @property
    def size(self) -> int:
        """Bytes of text held (at most ``log_buf_len``, unless one record alone is longer)."""
        return self._size

    def log(self, level: LogLevel, text: str, cpu: int | None = None) -> LogRecord | None:
        """Log ``text`` at ``level``; a DEBUG record without :attr:`dyndbg` is dropped (None)."""
        if level is LogLevel.DEBUG and not self.dyndbg:
            return None
        record = LogRecord(self._now(), level, text)
        ring = self._ring
        ring.append(record)
        self._size += len(text)
        while self._size > self.log_buf_len and len(ring) > 1:
            self._size -= len(ring.popleft().text)
            self.dropped += 1
        if self.trace is not None:
            self.trace.log(TraceKind.GUEST_LOG, text, cpu)
        return record

    def emerg(self, text: str) -> LogRecord | None:
        return self.log(LogLevel.EMERG, text)

    def crit(self, text: str) -> LogRecord | None:
        return self.log(LogLevel.CRIT, text)

    def err(self, text: str) -> LogRecord | None:
        return self.log(LogLevel.ERR, text)

    def warn(self, text: str) -> LogRecord | None:
        return self.log(LogLevel.WARNING, text)

    def notice(self, text: str) -> LogRecord | None:
        return self.log(LogLevel.NOTICE, text)

    def info(self, text: str) -> LogRecord | None:
        return self.log(LogLevel.INFO, text)

    def debug(self, text: str) -> LogRecord | None:
        """``pr_debug``/``dev_dbg``: logged only with :attr:`dyndbg`."""
        return self.log(LogLevel.DEBUG, text)

    def once(self, key: str, level: LogLevel, text: str) -> LogRecord | None:
        """``pr_*_once``: log ``text`` only the first time ``key`` is seen."""
        if key in self._once:
            return None
        self._once.add(key)
        return self.log(level, text)

    def tracepoint(self, text: str, cpu: int | None = None) -> None:
        """A trace-only line (not part of dmesg)."""
        if self.trace is not None:
            self.trace.log(TraceKind.GUEST_LOG, TRACEPOINT_PREFIX + text, cpu)

    def lines(self, max_level: LogLevel = LogLevel.DEBUG) -> list[str]:
        """Message texts at ``max_level`` or more important."""
        return [r.text for r in self._ring if r.level <= max_level]

    def dmesg(self, max_level: LogLevel = LogLevel.DEBUG) -> str:
        """The log as ``dmesg`` prints it."""
        return "\n".join(r.format() for r in self._ring if r.level <= max_level)

    def contains(self, text: str) -> bool:
        """True when some record's text contains ``text``."""
        return any(text in r.text for r in self._ring)
