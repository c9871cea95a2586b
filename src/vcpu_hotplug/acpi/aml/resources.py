"""Resource templates for ``_CRS`` (ACPI 6.5 section 6.4, Resource Data Types for ACPI).

A resource template is a Buffer holding resource descriptors and an End Tag.
Only the descriptors the VMM needs are here:

* Extended Interrupt Descriptor (large item 0x09, section 6.4.3.6): ASL
  ``Interrupt(...)``, the GED's ``_CRS``;
* 32-Bit Fixed Memory Range Descriptor (large item 0x06, section 6.4.3.4):
  ASL ``Memory32Fixed(...)``, the register blocks;
* End Tag (small item 0x0F, section 6.4.2.9): its checksum byte is 0 (means
  "treat as valid", what iasl emits) unless asked to compute it, in which case
  the whole template sums to zero.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from vcpu_hotplug.acpi.aml.tree import Buffer, Integer
from vcpu_hotplug.acpi.errors import AmlError


class ResourceTag(enum.IntEnum):
    """First byte of the descriptors built here (section 6.4.1 small, 6.4.3 large)."""

    END_TAG = 0x79
    """Small item 0x0F, length 1: ``0x0F << 3 | 1``."""
    MEMORY32_FIXED = 0x86
    EXTENDED_INTERRUPT = 0x89


class InterruptFlag(enum.IntFlag):
    """Extended Interrupt Descriptor byte 3 (section 6.4.3.6)."""

    CONSUMER = 0x01
    EDGE = 0x02
    ACTIVE_LOW = 0x04
    SHARED = 0x08
    WAKE_CAPABLE = 0x10


MEMORY32_READ_WRITE = 0x01
"""32-Bit Fixed Memory Range information byte: bit 0 set = read/write."""

_LARGE_HEADER = 3
_DWORD = 4
_MAX_INTERRUPTS = 255
_U32_MAX = 0xFFFF_FFFF


class Descriptor:
    """One resource descriptor."""

    def encode(self) -> bytes:
        raise NotImplementedError


def _u32(value: int, what: str) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _U32_MAX:
        raise AmlError(f"{what} must be a 32-bit unsigned integer, not {value!r}")
    return value.to_bytes(_DWORD, "little")


def _large(tag: ResourceTag, payload: bytes) -> bytes:
    return bytes([tag]) + len(payload).to_bytes(2, "little") + payload


@dataclass(frozen=True)
class Interrupt(Descriptor):
    """ASL ``Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive, , ,) {interrupts}``.

    ``resource_source`` (a device path) and its index are optional.
    """

    interrupts: Sequence[int]
    consumer: bool = True
    edge: bool = True
    active_high: bool = True
    shared: bool = False
    wake_capable: bool = False
    resource_source_index: int | None = None
    resource_source: str | None = None

    @property
    def flags(self) -> InterruptFlag:
        flags = InterruptFlag(0)
        for on, bit in ((self.consumer, InterruptFlag.CONSUMER), (self.edge, InterruptFlag.EDGE),
                        (not self.active_high, InterruptFlag.ACTIVE_LOW),
                        (self.shared, InterruptFlag.SHARED),
                        (self.wake_capable, InterruptFlag.WAKE_CAPABLE)):
            if on:
                flags |= bit
        return flags

    def encode(self) -> bytes:
        if not 1 <= len(self.interrupts) <= _MAX_INTERRUPTS:
            raise AmlError(f"Interrupt descriptor needs 1 to {_MAX_INTERRUPTS} interrupts, "
                           f"not {len(self.interrupts)}")
        payload = bytes([self.flags, len(self.interrupts)])
        payload += b"".join(_u32(i, "interrupt number") for i in self.interrupts)
        if self.resource_source_index is not None or self.resource_source is not None:
            payload += bytes([self.resource_source_index or 0])
            payload += (self.resource_source or "").encode("ascii") + b"\x00"
        return _large(ResourceTag.EXTENDED_INTERRUPT, payload)


@dataclass(frozen=True)
class Memory32Fixed(Descriptor):
    """ASL ``Memory32Fixed(ReadWrite, base, length)``."""

    base: int
    length: int
    read_write: bool = True

    def encode(self) -> bytes:
        info = MEMORY32_READ_WRITE if self.read_write else 0
        return _large(ResourceTag.MEMORY32_FIXED, bytes([info]) + _u32(self.base, "Memory32Fixed base")
                      + _u32(self.length, "Memory32Fixed length"))


def end_tag(preceding: bytes, checksum: bool = False) -> bytes:
    """The End Tag for a template whose descriptors are ``preceding``.

    With ``checksum`` the byte makes the template (tag included) sum to zero;
    otherwise it is 0, which section 6.4.2.9 says means the template is valid.
    """
    head = preceding + bytes([ResourceTag.END_TAG])
    return bytes([ResourceTag.END_TAG, (-sum(head)) & 0xFF if checksum else 0])


def resource_template_bytes(*descriptors: Descriptor, checksum: bool = False) -> bytes:
    """The bytes of a resource template: the descriptors, then the End Tag."""
    for d in descriptors:
        if not isinstance(d, Descriptor):
            raise AmlError(f"ResourceTemplate: {d!r} is not a resource descriptor")
    body = b"".join(d.encode() for d in descriptors)
    return body + end_tag(body, checksum)


def ResourceTemplate(*descriptors: Descriptor, checksum: bool = False) -> Buffer:  # noqa: N802 - ASL name
    """ASL ``ResourceTemplate() {descriptors}``: a Buffer term (use as a Name value: ``_CRS``)."""
    data = resource_template_bytes(*descriptors, checksum=checksum)
    return Buffer(0, 0, Integer(0, 0, len(data), None), data, 0)
