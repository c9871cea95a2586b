"""CPU masks and their text form (``include/linux/cpumask.h``, ``lib/bitmap-str.c``).

The masks Linux keeps (possible, present, enabled, online) are sets of
logical CPU numbers. sysfs prints them with ``cpumap_print_to_pagebuf(true,
...)``, i.e. ``bitmap_print_list_to_buf``: ascending ranges joined by commas
(``0-3,5``), an empty mask as an empty line.
"""

from __future__ import annotations

from collections.abc import Iterable


def format_range_list(cpus: Iterable[int]) -> str:
    """``{0, 1, 2, 3, 5}`` -> ``"0-3,5"`` (``%*pbl``); empty -> ``""``."""
    ordered = sorted(set(cpus))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        start = end = ordered[i]
        while i + 1 < len(ordered) and ordered[i + 1] == end + 1:
            i += 1
            end = ordered[i]
        parts.append(str(start) if start == end else f"{start}-{end}")
        i += 1
    return ",".join(parts)


def parse_range_list(text: str) -> set[int]:
    """The inverse of :func:`format_range_list` (``bitmap_parselist``); ValueError on bad text."""
    out: set[int] = set()
    text = text.strip()
    if not text:
        return out
    for part in text.split(","):
        lo, sep, hi = part.partition("-")
        first, last = int(lo), int(hi) if sep else int(lo)
        if first < 0 or last < first:
            raise ValueError(f"bad CPU range {part!r}")
        out.update(range(first, last + 1))
    return out


class CpuMask:
    """A named set of logical CPUs (``cpu_possible_mask`` ...)."""

    def __init__(self, name: str, cpus: Iterable[int] = ()) -> None:
        self.name = name
        self._cpus: set[int] = set(cpus)

    def set(self, cpu: int, value: bool = True) -> None:
        """``set_cpu_<name>(cpu, value)``."""
        if value:
            self._cpus.add(cpu)
        else:
            self._cpus.discard(cpu)

    def clear(self, cpu: int) -> None:
        self._cpus.discard(cpu)

    def __contains__(self, cpu: object) -> bool:
        return cpu in self._cpus

    def __iter__(self):
        return iter(sorted(self._cpus))

    def __len__(self) -> int:
        return len(self._cpus)

    def as_set(self) -> frozenset[int]:
        return frozenset(self._cpus)

    def __str__(self) -> str:
        return format_range_list(self._cpus)

    def __repr__(self) -> str:
        return f"CpuMask({self.name}: {self})"
