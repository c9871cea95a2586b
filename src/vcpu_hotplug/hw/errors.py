"""The hardware layer's error family.

A guest access that real hardware would answer with an external abort (an
unmapped physical address, an access size the device does not decode) raises
a :class:`BusError` naming the address; a misuse of the simulated clock or of
guest memory raises its own subclass. Every error is a :class:`HwError`.
"""

from __future__ import annotations


class HwError(Exception):
    """Base of every error raised by :mod:`vcpu_hotplug.hw`."""


class BusError(HwError):
    """An MMIO access that no device decodes, or that a device rejects.

    ``address`` is the guest physical address of the access, ``size`` its
    width in bytes, ``reason`` a short sentence.
    """

    def __init__(self, address: int, size: int, reason: str) -> None:
        self.address = address
        self.size = size
        self.reason = reason
        super().__init__(f"MMIO {size}-byte access at {address:#x}: {reason}")


class AccessRejected(HwError):
    """Raised by a device for an access it does not decode (unaligned, bad width).

    The bus turns it into a :class:`BusError` carrying the guest address.
    """


class MappingError(HwError):
    """A device cannot be mapped where asked (overlap, zero size, bad name)."""


class GuestMemoryError(HwError):
    """A guest memory access outside the physical address space."""

    def __init__(self, address: int, length: int, reason: str) -> None:
        self.address = address
        self.length = length
        self.reason = reason
        super().__init__(f"guest memory [{address:#x}, +{length:#x}): {reason}")


class ClockError(HwError):
    """A misuse of the simulated clock (negative delay, a runaway event loop)."""


class HypercallError(HwError):
    """A hypercall conduit misuse (no firmware registered twice, bad register values)."""


class IrqError(HwError):
    """An interrupt line misuse (bad INTID, handler registered twice)."""
