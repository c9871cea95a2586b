"""QMP against the real VMM ``Machine`` through ``MachineBackend``.

The guest side is ``RegisterLevelGuestStub``: on the GED interrupt it drives
the CPU hotplug register block exactly as QEMU's CPU hotplug AML does
(``CSCN``: "next CPU with event", read flags, clear the event, ``_OST``,
eject; docs/specs/acpi_cpu_hotplug.rst), so every QMP event here comes from
the machine's real register block and observers. The Linux model replaces
it when the wiring lands.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from vcpu_hotplug.acpi.notify import OstEvent, OstStatus
from vcpu_hotplug.arm.gic import GicdReg
from vcpu_hotplug.qmp.backend import CpuBackend
from vcpu_hotplug.qmp.errors import BackendError
from vcpu_hotplug.qmp.machine_backend import MachineBackend
from vcpu_hotplug.qmp.server import QmpServer, UnixAddress
from vcpu_hotplug.vmm.cpuhp import CpuhpCommand, CpuhpFlag, CpuhpReg
from vcpu_hotplug.vmm.ged import GedEvent
from vcpu_hotplug.vmm.machine import GED_INTID, Machine, MachineConfig

from .client import TIMEOUT, RawClient, run

BITS_PER_ENABLE_REG = 32
ENABLE_REG_BYTES = 4


class RegisterLevelGuestStub:
    """Answers GED CPU-hotplug interrupts through MMIO, like QEMU's AML ``CSCN`` method."""

    def __init__(self, machine: Machine, refuse: set[int] | None = None) -> None:
        self.bus = machine.hw.bus
        self.cpuhp = machine.memmap.cpuhp[0]
        self.ged = machine.memmap.ged[0]
        self.refuse = refuse if refuse is not None else set()
        gicd = machine.memmap.gic_dist[0]
        self.bus.write(gicd + GicdReg.ISENABLER + GED_INTID // BITS_PER_ENABLE_REG * ENABLE_REG_BYTES,
                       4, 1 << (GED_INTID % BITS_PER_ENABLE_REG))
        machine.hw.irq.register(GED_INTID, self._interrupt)

    def _interrupt(self, intid: int) -> None:
        if self.bus.read(self.ged, 4) & GedEvent.CPU_HOTPLUG:
            self._scan()

    def _ost(self, index: int, source: int, status: int) -> None:
        self.bus.write(self.cpuhp + CpuhpReg.SELECTOR, 4, index)
        self.bus.write(self.cpuhp + CpuhpReg.COMMAND, 1, CpuhpCommand.OST_EVENT)
        self.bus.write(self.cpuhp + CpuhpReg.COMMAND_DATA, 4, source)
        self.bus.write(self.cpuhp + CpuhpReg.COMMAND, 1, CpuhpCommand.OST_STATUS)
        self.bus.write(self.cpuhp + CpuhpReg.COMMAND_DATA, 4, status)

    def _scan(self) -> None:
        while True:
            self.bus.write(self.cpuhp + CpuhpReg.COMMAND, 1, CpuhpCommand.NEXT_CPU_WITH_EVENT)
            index = self.bus.read(self.cpuhp + CpuhpReg.COMMAND_DATA, 4)
            self.bus.write(self.cpuhp + CpuhpReg.SELECTOR, 4, index)
            flags = self.bus.read(self.cpuhp + CpuhpReg.FLAGS, 1)
            if flags & CpuhpFlag.INSERT:
                self.bus.write(self.cpuhp + CpuhpReg.FLAGS, 1, CpuhpFlag.INSERT)
                self._ost(index, OstEvent.DEVICE_CHECK, OstStatus.SUCCESS)
            elif flags & CpuhpFlag.REMOVE:
                self.bus.write(self.cpuhp + CpuhpReg.FLAGS, 1, CpuhpFlag.REMOVE)
                if index in self.refuse:
                    self._ost(index, OstEvent.EJECT_REQUEST, OstStatus.DEVICE_BUSY)
                    continue
                self._ost(index, OstEvent.EJECT_REQUEST, OstStatus.EJECT_IN_PROGRESS)
                self.bus.write(self.cpuhp + CpuhpReg.SELECTOR, 4, index)
                self.bus.write(self.cpuhp + CpuhpReg.FLAGS, 1, CpuhpFlag.EJECT)
                self._ost(index, OstEvent.EJECT_REQUEST, OstStatus.SUCCESS)
            else:
                return


def make_machine(smp: str = "cpus=2,maxcpus=6") -> Machine:
    return Machine(MachineConfig(smp=smp))


def test_machine_backend_is_a_cpu_backend() -> None:
    backend = MachineBackend(make_machine("cpus=2,maxcpus=4,sockets=1,clusters=2,cores=2"))
    assert isinstance(backend, CpuBackend)
    slots = backend.cpu_slots()
    assert [(s.cluster_id, s.core_id, s.plugged) for s in slots] == [
        (0, 0, True), (0, 1, True), (1, 0, False), (1, 1, False)]
    assert slots[2].arch_id == backend.machine.vcpus[2].mpidr


def test_machine_refusals_become_backend_errors() -> None:
    backend = MachineBackend(make_machine())
    with pytest.raises(BackendError, match="boot vCPU"):
        backend.unplug(0)
    with pytest.raises(BackendError, match="already enabled"):
        backend.plug(1)
    with pytest.raises(BackendError, match="No guest"):
        backend.guest_cpus()


async def connected(machine: Machine, path: Path) -> tuple[QmpServer, RawClient]:
    server = QmpServer(MachineBackend(machine))
    await asyncio.wait_for(server.start(UnixAddress(path)), TIMEOUT)
    client = await RawClient.connect_unix(path)
    await client.negotiate()
    return server, client


def test_plug_and_unplug_through_the_real_register_block(tmp_path: Path) -> None:
    machine = make_machine()
    RegisterLevelGuestStub(machine)

    async def main() -> None:
        server, client = await connected(machine, tmp_path / "qmp.sock")
        try:
            assert await client.execute("device_add", {"driver": "host-arm-cpu", "id": "core4",
                                                       "core-id": 4}) == {"return": {}}
            assert machine.vcpus[4].enabled
            # The guest reacted inside enable(); its events still follow the reply.
            assert client.events == []
            ost = await client.wait_event("ACPI_DEVICE_OST")
            assert ost["data"]["info"] == {"device": "core4", "slot": "4", "slot-type": "CPU",
                                           "source": OstEvent.DEVICE_CHECK, "status": 0}
            cpus = (await client.execute("query-cpus-fast"))["return"]
            assert [c["cpu-index"] for c in cpus] == [0, 1, 4]

            assert await client.execute("device_del", {"id": "core4"}) == {"return": {}}
            assert client.events == []
            statuses = [(await client.wait_event("ACPI_DEVICE_OST"))["data"]["info"]["status"]
                        for _ in range(2)]
            assert statuses == [OstStatus.EJECT_IN_PROGRESS, OstStatus.SUCCESS]
            deleted = await client.wait_event("DEVICE_DELETED")
            assert deleted["data"] == {"device": "core4", "path": "/machine/peripheral/core4"}
            assert not machine.vcpus[4].enabled
            slots = (await client.execute("query-hotpluggable-cpus"))["return"]
            assert [s.get("qom-path") for s in slots] == [
                None, None, None, None, "/machine/unattached/device[1]",
                "/machine/unattached/device[0]"]
        finally:
            await client.close()
            await server.close()
        assert server.internal_errors == []

    run(main())


def test_guest_refusal_and_boot_cpu_protection_on_the_real_machine(tmp_path: Path) -> None:
    machine = make_machine()
    RegisterLevelGuestStub(machine, refuse={1})

    async def main() -> None:
        server, client = await connected(machine, tmp_path / "qmp.sock")
        try:
            assert await client.execute("device_del", {"id": "/machine/unattached/device[0]"}) \
                == {"error": {"class": "GenericError",
                              "desc": "Boot CPU(id0=0:0:0:0) hot-unplug not supported"}}
            path = "/machine/unattached/device[1]"
            assert await client.execute("device_del", {"id": path}) == {"return": {}}
            failed = await client.wait_event("DEVICE_UNPLUG_GUEST_ERROR")
            assert failed["data"] == {"path": path}
            assert machine.vcpus[1].enabled
            assert machine.pending_unplugs() == []
        finally:
            await client.close()
            await server.close()

    run(main())


def test_without_a_guest_an_unplug_times_out_in_simulated_time(tmp_path: Path) -> None:
    machine = make_machine()

    async def main() -> None:
        server, client = await connected(machine, tmp_path / "qmp.sock")
        try:
            assert await client.execute("device_add", {"driver": "host-arm-cpu",
                                                       "core-id": 3}) == {"return": {}}
            assert await client.execute("device_del", {"id": "/machine/peripheral-anon/device[0]"}) \
                == {"return": {}}
            failed = await client.wait_event("DEVICE_UNPLUG_GUEST_ERROR")
            assert failed["data"]["path"] == "/machine/peripheral-anon/device[0]"
            assert machine.clock.now_ns() == machine.config.unplug_timeout_ns
            cpus = (await client.execute("query-cpus-fast"))["return"]
            assert [c["cpu-index"] for c in cpus] == [0, 1, 3]
        finally:
            await client.close()
            await server.close()

    run(main())


def test_x_set_vcpus_resizes_the_real_machine(tmp_path: Path) -> None:
    machine = make_machine("cpus=1,maxcpus=64")
    RegisterLevelGuestStub(machine)

    async def main() -> None:
        server, client = await connected(machine, tmp_path / "qmp.sock")
        try:
            assert await client.execute("x-set-vcpus", {"count": 64}) == {"return": {}}
            assert machine.vcpus.enabled() == list(range(64))
            assert await client.execute("x-set-vcpus", {"count": 1}) == {"return": {}}
            for _ in range(63):
                await client.wait_event("DEVICE_DELETED")
            assert machine.vcpus.enabled() == [0]
            cpus = (await client.execute("query-cpus-fast"))["return"]
            assert [c["cpu-index"] for c in cpus] == [0]
        finally:
            await client.close()
            await server.close()
        assert server.internal_errors == []

    run(main())


def test_qemu_qmp_client_against_the_real_machine(tmp_path: Path) -> None:
    qmp = pytest.importorskip("qemu.qmp")
    machine = make_machine()
    RegisterLevelGuestStub(machine)

    async def main() -> None:
        path = tmp_path / "qmp.sock"
        server = QmpServer(MachineBackend(machine))
        await server.start(UnixAddress(path))
        client = qmp.QMPClient("orchestrator")
        await asyncio.wait_for(client.connect(str(path)), TIMEOUT)
        try:
            with client.listener("DEVICE_DELETED") as listener:
                await asyncio.wait_for(client.execute(
                    "device_add", {"driver": "host-arm-cpu", "id": "core5", "core-id": 5}),
                    TIMEOUT)
                assert machine.vcpus[5].enabled
                await asyncio.wait_for(client.execute("device_del", {"id": "core5"}), TIMEOUT)
                deleted = await asyncio.wait_for(listener.get(), TIMEOUT)
            assert deleted["data"]["device"] == "core5"
            assert not machine.vcpus[5].enabled
        finally:
            await asyncio.wait_for(client.disconnect(), TIMEOUT)
            await server.close()

    run(main())
