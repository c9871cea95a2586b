"""Generic Timer Description Table, signature ``GTDT`` (ACPI 6.5 section 5.2.25).

=======  ====  ==========================================
offset   size  field
=======  ====  ==========================================
36       8     CntControlBase Physical Address
44       4     Reserved
48       4     Secure EL1 Timer GSIV
52       4     Secure EL1 Timer Flags
56       4     Non-Secure EL1 Timer GSIV
60       4     Non-Secure EL1 Timer Flags
64       4     Virtual EL1 Timer GSIV
68       4     Virtual EL1 Timer Flags
72       4     EL2 Timer GSIV
76       4     EL2 Timer Flags
80       8     CntReadBase Physical Address
88       4     Platform Timer Count
92       4     Platform Timer Offset
96       4     Virtual EL2 Timer GSIV (revision 3, ACPI 6.3)
100      4     Virtual EL2 Timer Flags (revision 3)
=======  ====  ==========================================

Revision 2 ends at 96, revision 3 at 104. Platform timer structures (GT
Block, SBSA watchdog) follow and are kept raw in ``platform_timers``.
Revision 1 (ACPI 5.0) has another layout and later revisions are unknown:
both are :class:`TableError` (lenient: a revision above 3 is read as 3).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.fields import spec_field
from vcpu_hotplug.acpi.header import HEADER_LENGTH, REVISION_OFFSET, SdtHeader, SystemTable, split_table

GTDT_SIGNATURE = "GTDT"
GTDT_REVISION = 3
GTDT_MIN_REVISION = 2
_REV2 = struct.Struct("<QIIIIIIIIIQII")
_REV3_TAIL = struct.Struct("<II")


class TimerFlags(enum.IntFlag):
    """Timer Flags (Table 5.122)."""

    EDGE_TRIGGERED = 1 << 0
    ACTIVE_LOW = 1 << 1
    ALWAYS_ON_CAPABLE = 1 << 2


@dataclass
class Gtdt(SystemTable):
    """The GTDT timer fields; platform timer structures raw."""

    header: SdtHeader
    cnt_control_base: int = spec_field("CntControlBase Physical Address", hex=True)
    reserved: int = spec_field("Reserved")
    secure_el1_timer_gsiv: int = spec_field("Secure EL1 Timer GSIV")
    secure_el1_timer_flags: TimerFlags = spec_field("Secure EL1 Timer Flags", TimerFlags(0))
    non_secure_el1_timer_gsiv: int = spec_field("Non-Secure EL1 Timer GSIV")
    non_secure_el1_timer_flags: TimerFlags = spec_field("Non-Secure EL1 Timer Flags", TimerFlags(0))
    virtual_el1_timer_gsiv: int = spec_field("Virtual EL1 Timer GSIV")
    virtual_el1_timer_flags: TimerFlags = spec_field("Virtual EL1 Timer Flags", TimerFlags(0))
    el2_timer_gsiv: int = spec_field("EL2 Timer GSIV")
    el2_timer_flags: TimerFlags = spec_field("EL2 Timer Flags", TimerFlags(0))
    cnt_read_base: int = spec_field("CntReadBase Physical Address", hex=True)
    platform_timer_count: int = spec_field("Platform Timer Count")
    platform_timer_offset: int = spec_field("Platform Timer Offset", hex=True)
    virtual_el2_timer_gsiv: int | None = spec_field("Virtual EL2 Timer GSIV")
    virtual_el2_timer_flags: TimerFlags | None = spec_field("Virtual EL2 Timer Flags", TimerFlags(0))
    platform_timers: bytes = spec_field("Platform Timer Structures", b"")

    SIGNATURE = GTDT_SIGNATURE

    @classmethod
    def new(cls, **fields) -> "Gtdt":
        return cls(header=SdtHeader(GTDT_SIGNATURE, revision=GTDT_REVISION), **fields)

    @classmethod
    def decode(cls, data: bytes, *, lenient: bool = False) -> "Gtdt":
        header, body = split_table(data, GTDT_SIGNATURE, lenient=lenient)
        rev = header.revision
        if rev < GTDT_MIN_REVISION or (rev > GTDT_REVISION and not lenient):
            raise TableError(GTDT_SIGNATURE, REVISION_OFFSET,
                             f"unknown GTDT revision {rev} (this decoder knows {GTDT_MIN_REVISION} "
                             f"and {GTDT_REVISION}; the layout depends on it)")
        need = _REV2.size + (_REV3_TAIL.size if rev >= GTDT_REVISION else 0)
        if len(body) < need:
            raise TableError(GTDT_SIGNATURE, HEADER_LENGTH + len(body),
                             f"truncated: a revision {rev} GTDT needs {HEADER_LENGTH + need} bytes, "
                             f"has {HEADER_LENGTH + len(body)}")
        v = list(_REV2.unpack_from(body))
        for i in (3, 5, 7, 9):
            v[i] = TimerFlags(v[i])
        gtdt = cls(header, *v, virtual_el2_timer_gsiv=None, virtual_el2_timer_flags=None)
        if rev >= GTDT_REVISION:
            gsiv, flags = _REV3_TAIL.unpack_from(body, _REV2.size)
            gtdt.virtual_el2_timer_gsiv, gtdt.virtual_el2_timer_flags = gsiv, TimerFlags(flags)
        gtdt.platform_timers = bytes(body[need:])
        return gtdt

    def encode_body(self) -> bytes:
        out = _REV2.pack(self.cnt_control_base, self.reserved, self.secure_el1_timer_gsiv,
                         int(self.secure_el1_timer_flags), self.non_secure_el1_timer_gsiv,
                         int(self.non_secure_el1_timer_flags), self.virtual_el1_timer_gsiv,
                         int(self.virtual_el1_timer_flags), self.el2_timer_gsiv,
                         int(self.el2_timer_flags), self.cnt_read_base, self.platform_timer_count,
                         self.platform_timer_offset)
        if self.virtual_el2_timer_gsiv is not None:
            out += _REV3_TAIL.pack(self.virtual_el2_timer_gsiv, int(self.virtual_el2_timer_flags or 0))
        return out + self.platform_timers
