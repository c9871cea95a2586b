"""Walk and describe the descriptors of a resource template (ACPI 6.5 section 6.4).

A resource template is a sequence of resource data items ending with an End
Tag (section 6.4.2.9):

* small items (6.4.2): byte 0 bit 7 clear, bits 6:3 the item name, bits 2:0
  the number of data bytes that follow;
* large items (6.4.3): byte 0 bit 7 set, bits 6:0 the item name, then a
  16-bit little-endian length of the data that follows.

:func:`split_resource_template` cuts a buffer into items (None when it is not
a well-formed template) and :func:`describe_item` gives a one-line,
ASL-like summary of the common ones, for the ASL printer's comments.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

_LARGE_BIT = 0x80
_SMALL_NAME_SHIFT = 3
_SMALL_NAME_MASK = 0x0F
_SMALL_LENGTH_MASK = 0x07
_LARGE_NAME_MASK = 0x7F
_LARGE_HEADER = 3


class SmallItem(enum.IntEnum):
    """Small resource item names (section 6.4.2)."""

    IRQ = 0x04
    DMA = 0x05
    START_DEPENDENT = 0x06
    END_DEPENDENT = 0x07
    IO = 0x08
    FIXED_IO = 0x09
    FIXED_DMA = 0x0A
    VENDOR_SHORT = 0x0E
    END_TAG = 0x0F


class LargeItem(enum.IntEnum):
    """Large resource item names (section 6.4.3)."""

    MEMORY24 = 0x01
    GENERIC_REGISTER = 0x02
    VENDOR_LONG = 0x04
    MEMORY32 = 0x05
    MEMORY32_FIXED = 0x06
    DWORD_ADDRESS = 0x07
    WORD_ADDRESS = 0x08
    EXTENDED_INTERRUPT = 0x09
    QWORD_ADDRESS = 0x0A
    EXTENDED_ADDRESS = 0x0B
    GPIO_CONNECTION = 0x0C
    PIN_FUNCTION = 0x0D
    SERIAL_BUS_CONNECTION = 0x0E


@dataclass(frozen=True)
class ResourceItem:
    """One descriptor: where it starts in the template, its whole bytes, its kind."""

    offset: int
    data: bytes
    large: bool
    name: int

    @property
    def payload(self) -> bytes:
        """The item's data after its header (1 byte small, 3 bytes large)."""
        return self.data[_LARGE_HEADER:] if self.large else self.data[1:]


def split_resource_template(data: bytes) -> list[ResourceItem] | None:
    """The items of ``data``, or None unless it is exactly a sequence of items ending with an End Tag."""
    items: list[ResourceItem] = []
    pos = 0
    while pos < len(data):
        tag = data[pos]
        if tag & _LARGE_BIT:
            if pos + _LARGE_HEADER > len(data):
                return None
            size = _LARGE_HEADER + int.from_bytes(data[pos + 1:pos + _LARGE_HEADER], "little")
            name, large = tag & _LARGE_NAME_MASK, True
        else:
            size = 1 + (tag & _SMALL_LENGTH_MASK)
            name, large = (tag >> _SMALL_NAME_SHIFT) & _SMALL_NAME_MASK, False
        if pos + size > len(data):
            return None
        items.append(ResourceItem(pos, bytes(data[pos:pos + size]), large, name))
        pos += size
        if not large and name == SmallItem.END_TAG:
            return items if pos == len(data) else None
    return None


_ADDRESS_KIND = {0: "Memory", 1: "IO", 2: "BusNumber"}
_ADDRESS_WIDTH = {LargeItem.WORD_ADDRESS: ("Word", "<HHHHH", 2), LargeItem.DWORD_ADDRESS: ("DWord", "<IIIII", 4),
                  LargeItem.QWORD_ADDRESS: ("QWord", "<QQQQQ", 8)}
_ADDRESS_FIXED_HEADER = 3  # resource type, general flags, type-specific flags
_CONSUMER = 0x01
_EDGE = 0x02
_ACTIVE_LOW = 0x04
_SHARED = 0x08
_DECODE16 = 0x01
_READ_WRITE = 0x01
_IRQ_MASK_BYTES = 2
_BITS_PER_BYTE = 8


def _bits(mask: int) -> str:
    return ", ".join(str(i) for i in range(mask.bit_length()) if mask >> i & 1)


def describe_item(item: ResourceItem) -> str:
    """A one-line summary (ASL macro name and main values); generic for unknown items."""
    p = item.payload
    try:
        if not item.large:
            return _describe_small(item.name, p)
        return _describe_large(item.name, p)
    except (struct.error, IndexError):
        return f"{'Large' if item.large else 'Small'} item 0x{item.name:02X} (malformed, {len(item.data)} bytes)"


def _describe_small(name: int, p: bytes) -> str:
    if name == SmallItem.END_TAG:
        return "EndTag"
    if name == SmallItem.IRQ:
        mask = int.from_bytes(p[:_IRQ_MASK_BYTES], "little")
        return f"{'IRQ' if len(p) > _IRQ_MASK_BYTES else 'IRQNoFlags'} () {{{_bits(mask)}}}"
    if name == SmallItem.DMA:
        return f"DMA () {{{_bits(p[0])}}}"
    if name == SmallItem.IO:
        decode = "Decode16" if p[0] & _DECODE16 else "Decode10"
        low, high = struct.unpack_from("<HH", p, 1)
        return f"IO ({decode}, 0x{low:04X}, 0x{high:04X}, 0x{p[5]:02X}, 0x{p[6]:02X})"
    if name == SmallItem.FIXED_IO:
        (base,) = struct.unpack_from("<H", p, 0)
        return f"FixedIO (0x{base:04X}, 0x{p[2]:02X})"
    if name in (SmallItem.START_DEPENDENT, SmallItem.END_DEPENDENT):
        return "StartDependentFn" if name == SmallItem.START_DEPENDENT else "EndDependentFn"
    return f"Small item 0x{name:02X} ({len(p)} data bytes)"


def _describe_large(name: int, p: bytes) -> str:
    if name == LargeItem.MEMORY32_FIXED:
        base, length = struct.unpack_from("<II", p, 1)
        access = "ReadWrite" if p[0] & _READ_WRITE else "ReadOnly"
        return f"Memory32Fixed ({access}, 0x{base:08X}, 0x{length:08X})"
    if name == LargeItem.EXTENDED_INTERRUPT:
        flags, count = p[0], p[1]
        numbers = struct.unpack_from(f"<{count}I", p, 2)
        return ("Interrupt ("
                + ", ".join(("ResourceConsumer" if flags & _CONSUMER else "ResourceProducer",
                             "Edge" if flags & _EDGE else "Level",
                             "ActiveLow" if flags & _ACTIVE_LOW else "ActiveHigh",
                             "Shared" if flags & _SHARED else "Exclusive"))
                + ") {" + ", ".join(f"0x{n:08X}" for n in numbers) + "}")
    if name in _ADDRESS_WIDTH:
        width, fmt, size = _ADDRESS_WIDTH[name]
        kind = _ADDRESS_KIND.get(p[0], f"Space 0x{p[0]:02X}")
        granularity, low, high, translation, length = struct.unpack_from(fmt, p, _ADDRESS_FIXED_HEADER)
        digits = 2 * size
        return (f"{width}{kind} (0x{low:0{digits}X} - 0x{high:0{digits}X}, length 0x{length:0{digits}X}, "
                f"translation 0x{translation:0{digits}X})")
    try:
        label = LargeItem(name).name.replace("_", " ").title().replace(" ", "")
    except ValueError:
        label = f"Large item 0x{name:02X}"
    return f"{label} ({len(p)} data bytes)"
