"""What ``vcpu-hotplug run`` shows while it serves: the vCPUs and the event trace.

Two faces over the same data (:class:`~vcpu_hotplug.vm.VirtualMachine`
rows and the machine's one trace):

- :class:`LiveView`: a ``rich`` live display, redrawn when something changed:
  a header (machine, QMP addresses, simulated time, VM exits), a row per vCPU
  (topology, MPIDR, the VMM's admin state, the guest's state, online), or a
  grid of one glyph per vCPU when there are more than the terminal can hold,
  and the tail of the trace;
- :class:`PlainLog`: one plain line per trace event as it happens, for
  ``--no-tui`` and for output that is not a terminal.

MMIO accesses are counted (they are VM exits) but not listed: the register
traffic of one hotplug is dozens of lines; the interrupts, hypercalls,
Notify, ``_OST`` and the VMM's and guest's log lines tell the story.
"""

from __future__ import annotations

from collections import deque
from typing import Iterable, TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from vcpu_hotplug.guest.cpumask import format_range_list
from vcpu_hotplug.hw.trace import MMIO_KINDS, TraceEvent
from vcpu_hotplug.qmp.backend import BackendEvent
from vcpu_hotplug.vm import GuestState, VcpuRow, VirtualMachine
from vcpu_hotplug.vmm.machine import DeviceDeleted, OstReport, UnplugFailed

#: Trace lines the live view keeps.
TRACE_TAIL = 200
#: Rows left for the header, borders and the trace when sizing the vCPU table.
RESERVED_LINES = 14
#: vCPU glyphs per grid line.
GRID_WIDTH = 64
#: Columns of a log line, as :meth:`TraceEvent.describe` lays them out: time, kind, text.
TIME_WIDTH = 12
KIND_WIDTH = 10
#: The kind column of QMP events in the log.
QMP_KIND = "qmp-event"

_GUEST_STYLE = {
    GuestState.ONLINE: "bold green",
    GuestState.OFFLINE: "yellow",
    GuestState.PRESENT: "dim",
    GuestState.ABSENT: "dim",
    GuestState.NO_GUEST: "dim",
}
_ADMIN_STYLE = {"enabled": "green", "disabled": "dim", "unplugging": "bold magenta"}


def describe_backend_event(event: BackendEvent) -> str:
    """What the QMP server is about to send for a backend event, in a few words."""
    if isinstance(event, DeviceDeleted):
        return f"DEVICE_DELETED vCPU {event.cpu}"
    if isinstance(event, OstReport):
        return (f"ACPI_DEVICE_OST vCPU {event.cpu} source={event.source:#x} "
                f"status={event.status:#x}")
    if isinstance(event, UnplugFailed):
        return f"DEVICE_UNPLUG_GUEST_ERROR vCPU {event.cpu}: {event.reason}"
    return str(event)


def backend_event_line(time_ns: int, event: BackendEvent) -> str:
    """A QMP event as a log line, in the columns of :meth:`TraceEvent.describe`."""
    return f"{time_ns / 1000:{TIME_WIDTH}.3f}us {QMP_KIND:<{KIND_WIDTH}} {describe_backend_event(event)}"


def trace_line(event: TraceEvent) -> str:
    """A trace event as a log line (the trace's own wording)."""
    return event.describe()


def is_listed(event: TraceEvent) -> bool:
    """Trace events worth a line (everything but single MMIO accesses)."""
    return event.kind not in MMIO_KINDS


class PlainLog:
    """``--no-tui``: print each listed trace event and QMP event as a line."""

    def __init__(self, vm: VirtualMachine, out: TextIO) -> None:
        self.vm = vm
        self.out = out

    def attach(self) -> None:
        self.vm.trace.subscribe(self._on_trace)
        self.vm.backend.subscribe(self._on_backend)

    def line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _on_trace(self, event: TraceEvent) -> None:
        if is_listed(event):
            self.line(trace_line(event))

    def _on_backend(self, event: BackendEvent) -> None:
        self.line(backend_event_line(self.vm.now_ns(), event))

    def summary(self) -> str:
        """A state line: the guest's masks and the costs so far."""
        rows = self.vm.vcpu_rows()
        return (f"vcpus: enabled {_ranges(r.index for r in rows if r.admin != 'disabled')} "
                f"online {_ranges(r.index for r in rows if r.online)}; "
                f"simulated {self.vm.now_ns() / 1e6:.3f} ms; VM exits {self.vm.exits().total}")


class LiveView:
    """The ``rich`` live display; call :meth:`refresh` often, it redraws only on change."""

    def __init__(self, vm: VirtualMachine, console: Console, title: str,
                 addresses: Iterable[str]) -> None:
        self.vm = vm
        self.console = console
        self.title = title
        self.addresses = list(addresses)
        self.lines: deque[str] = deque(maxlen=TRACE_TAIL)
        self._dirty = True
        self._live = None

    def attach(self) -> None:
        self.vm.trace.subscribe(self._on_trace)
        self.vm.backend.subscribe(self._on_backend)

    def note(self, text: str) -> None:
        self.lines.append(text)
        self._dirty = True

    def _on_trace(self, event: TraceEvent) -> None:
        if is_listed(event):
            self.lines.append(trace_line(event))
        self._dirty = True  # an MMIO access moves the exit counter of the header

    def _on_backend(self, event: BackendEvent) -> None:
        self.lines.append(backend_event_line(self.vm.now_ns(), event))
        self._dirty = True

    def __enter__(self) -> "LiveView":
        from rich.live import Live
        self._live = Live(self.render(), console=self.console, auto_refresh=False,
                          screen=False, redirect_stdout=False, redirect_stderr=False)
        self._live.__enter__()
        self._dirty = False
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self.render(), refresh=True)
            self._live.__exit__(None, None, None)
            self._live = None

    def refresh(self) -> None:
        if self._live is not None and self._dirty:
            self._dirty = False
            self._live.update(self.render(), refresh=True)

    # ----------------------------------------------------------- rendering

    def render(self) -> Group:
        rows = self.vm.vcpu_rows()
        height = self.console.size.height
        budget = max(4, height - RESERVED_LINES)
        trace_lines = max(3, min(12, height - RESERVED_LINES - min(len(rows), budget)))
        vcpus = _vcpu_table(rows) if len(rows) <= budget else _vcpu_grid(rows)
        exits = self.vm.exits()
        header = Text.assemble(
            (self.title, "bold"), "  ",
            ("QMP ", "dim"), ", ".join(self.addresses), "  ",
            ("simulated ", "dim"), f"{self.vm.now_ns() / 1e6:.3f} ms", "  ",
            ("VM exits ", "dim"), f"{exits.total} (MMIO {exits.mmio}, HVC {exits.hvc})")
        tail = list(self.lines)[-trace_lines:]
        trace = Text("\n".join(tail) if tail else "(no events yet)", no_wrap=True,
                     overflow="ellipsis")
        return Group(header, vcpus, Panel(trace, title="trace", title_align="left"),
                     Text("quit over QMP or Ctrl-C to stop", style="dim"))


def _vcpu_table(rows: list[VcpuRow]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("vCPU", "socket:cluster:core:thread", "MPIDR", "admin (VMM)", "guest", "online"):
        table.add_column(name)
    for row in rows:
        table.add_row(str(row.index), ":".join(str(i) for i in row.topology),
                      f"{row.mpidr:#x}",
                      Text(row.admin, style=_ADMIN_STYLE.get(row.admin, "")),
                      Text(row.guest.value, style=_GUEST_STYLE[row.guest]),
                      Text("yes" if row.online else "no",
                           style="bold green" if row.online else "dim"))
    return table


_GLYPH = {GuestState.ONLINE: "#", GuestState.OFFLINE: "o", GuestState.PRESENT: ".",
          GuestState.ABSENT: " ", GuestState.NO_GUEST: "?"}


def _vcpu_grid(rows: list[VcpuRow]) -> Text:
    text = Text()
    for start in range(0, len(rows), GRID_WIDTH):
        text.append(f"{start:4d} ", style="dim")
        for row in rows[start:start + GRID_WIDTH]:
            glyph = "x" if row.admin == "unplugging" else _GLYPH[row.guest]
            style = _ADMIN_STYLE["unplugging"] if row.admin == "unplugging" else _GUEST_STYLE[row.guest]
            text.append(glyph, style=style)
        text.append("\n")
    text.append("# online  o registered, offline  . present  x unplugging", style="dim")
    return text


def _ranges(indices: Iterable[int]) -> str:
    return format_range_list(indices) or "-"


def terminal_supports_live(console: Console) -> bool:
    """A live display needs a real, capable terminal."""
    return console.is_terminal and not console.is_dumb_terminal


__all__ = ["LiveView", "PlainLog", "backend_event_line", "describe_backend_event",
           "terminal_supports_live", "trace_line"]
