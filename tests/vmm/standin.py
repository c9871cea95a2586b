"""A scripted guest stand-in: what firmware-facing code in a guest does, access for access.

:class:`AmlRegisterDriver` replays the exact MMIO accesses of the AML methods
of QEMU's arm64 RFC DSDT (``reference-tables/qemu-rfc-v5/.../DSDT``):
``CSTA``, ``CEJ0``, ``COST`` and the ``CSCN`` scan, with the field access
widths that DSDT declares (``CSEL``/``CDAT`` DWordAcc, flags and ``CCMD``
ByteAcc WriteAsZeros). :meth:`AmlRegisterDriver.handle_next_event` is the
constant-cost handler the "next CPU with event" command allows.
"""

from __future__ import annotations

from vcpu_hotplug.hw.mmio import MmioBus

SEL, FLAGS, CMD, DATA = 0, 4, 5, 8
ENABLED, INSERT, REMOVE, EJECT, FW_EJECT, PRESENT = 1, 2, 4, 8, 16, 32
DEVICE_CHECK, EJECT_REQUEST = 1, 3


class AmlRegisterDriver:
    def __init__(self, bus: MmioBus, base: int) -> None:
        self.bus = bus
        self.base = base
        self.notifies: list[tuple[int, int]] = []

    def _w(self, offset, size, value):
        self.bus.write(self.base + offset, size, value)

    def _r(self, offset, size):
        return self.bus.read(self.base + offset, size)

    def csta(self, cpu: int) -> int:
        self._w(SEL, 4, cpu)
        if self._r(FLAGS, 1) & PRESENT:          # CPRS
            return 0x0F if self._r(FLAGS, 1) & ENABLED else 0x0D   # CPEN
        return 0

    def cej0(self, cpu: int) -> None:
        self._w(SEL, 4, cpu)
        self._w(FLAGS, 1, EJECT)

    def cost(self, cpu: int, source: int, status: int) -> None:
        self._w(SEL, 4, cpu)
        self._w(CMD, 1, 1)
        self._w(DATA, 4, source)
        self._w(CMD, 1, 2)
        self._w(DATA, 4, status)

    def cscn_qemu(self, maxcpus: int) -> None:
        """QEMU's CSCN loop, as in the RFC DSDT (one pass per up to 255 inserts)."""
        local3 = 0
        more = True
        while more:
            more = False
            found = True
            new: list[int] = []
            while found and local3 < maxcpus:
                found = False
                self._w(SEL, 4, local3)
                self._w(CMD, 1, 0)
                if self._r(DATA, 4) < local3:
                    break
                if len(new) == 0xFF:
                    more = True
                    break
                local3 = self._r(DATA, 4)
                if self._r(FLAGS, 1) & INSERT:
                    new.append(local3)
                    found = True
                elif self._r(FLAGS, 1) & REMOVE:
                    self.notifies.append((local3, EJECT_REQUEST))
                    self._w(FLAGS, 1, REMOVE)
                    found = True
                local3 += 1
            for cpu in new:
                self.notifies.append((cpu, DEVICE_CHECK))
                self._w(SEL, 4, cpu)
                self._w(FLAGS, 1, INSERT)

    def handle_next_event(self) -> tuple[int, int] | None:
        """Select the next CPU with an event, notify, acknowledge: 3 or 4 accesses per event."""
        self._w(CMD, 1, 0)
        flags = self._r(FLAGS, 1)
        if not flags & (INSERT | REMOVE):
            return None
        cpu = self._r(DATA, 4)
        if flags & INSERT:
            self._w(FLAGS, 1, INSERT)
            event = (cpu, DEVICE_CHECK)
        else:
            self._w(FLAGS, 1, REMOVE)
            event = (cpu, EJECT_REQUEST)
        self.notifies.append(event)
        return event

    def drain(self) -> list[tuple[int, int]]:
        out = []
        while (event := self.handle_next_event()) is not None:
            out.append(event)
        return out
