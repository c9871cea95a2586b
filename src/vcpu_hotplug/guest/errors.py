"""The guest layer's error family.

Two kinds of failure leave the guest model:

- :class:`BootError`: the firmware hand-off cannot be used at all (no RSDP at
  the address, no MADT); Linux would panic or fall back to devicetree.
- :class:`SysfsError`: a write to a sysfs attribute fails the way ``write(2)``
  fails in Linux, with the kernel's ``errno`` (``echo 1 > cpu4/online`` gives
  ``EPERM`` when firmware says ``DENIED``).

Everything the kernel merely *logs* (MADT errors, refusals) is data in the
kernel log, not an exception. Every error is a :class:`GuestError`.
"""

from __future__ import annotations

import enum
import errno as _errno


class Errno(enum.IntEnum):
    """The Linux errno values the CPU hotplug paths return (``include/uapi/asm-generic/errno-base.h``)."""

    EPERM = _errno.EPERM
    ENOENT = _errno.ENOENT
    EIO = _errno.EIO
    EACCES = _errno.EACCES
    EBUSY = _errno.EBUSY
    ENODEV = _errno.ENODEV
    EINVAL = _errno.EINVAL
    ETIMEDOUT = _errno.ETIMEDOUT
    EOPNOTSUPP = _errno.EOPNOTSUPP

    @property
    def strerror(self) -> str:
        """The C library's message (``Operation not permitted``)."""
        import os
        return os.strerror(int(self))


class GuestError(Exception):
    """Base of every error raised by :mod:`vcpu_hotplug.guest`."""


class BootError(GuestError):
    """The guest cannot boot from what firmware handed over."""


class SysfsError(GuestError):
    """A sysfs read or write failed; ``errno`` is what ``write(2)`` would set."""

    def __init__(self, path: str, errno: Errno, detail: str = "") -> None:
        self.path = path
        self.errno = Errno(errno)
        self.detail = detail
        extra = f" ({detail})" if detail else ""
        super().__init__(f"{path}: {self.errno.name}: {self.errno.strerror}{extra}")
