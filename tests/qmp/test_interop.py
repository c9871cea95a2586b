"""Interop with the real QMP client library orchestrators use: ``qemu.qmp``.

The library negotiates on connect, matches replies by the ``id`` it sends,
parses the greeting and errors with its own models and routes events to
listeners: each of those fails loudly if our wire format strays from QEMU's.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

qmp = pytest.importorskip("qemu.qmp")
from qemu.qmp import ExecuteError, QMPClient  # noqa: E402

from .client import TIMEOUT, run, running_server  # noqa: E402
from .fake_backend import OST_SOURCE_EJECT_REQUEST, FakeCpuBackend, Topology  # noqa: E402


async def next_event(listener: object, name: str) -> dict:
    while True:
        event = await asyncio.wait_for(listener.get(), TIMEOUT)  # type: ignore[attr-defined]
        if event["event"] == name:
            return event


def test_qemu_qmp_client_negotiates_queries_plugs_and_unplugs(tmp_path: Path) -> None:
    async def main() -> None:
        path = tmp_path / "qmp.sock"
        async with running_server(FakeCpuBackend(Topology(cores=6), boot_cpus=4), path):
            client = QMPClient("vcpu-hotplug-test")
            await asyncio.wait_for(client.connect(str(path)), TIMEOUT)
            try:
                assert client.greeting is not None
                status = await asyncio.wait_for(client.execute("query-status"), TIMEOUT)
                assert status == {"status": "running", "running": True}
                slots = await asyncio.wait_for(client.execute("query-hotpluggable-cpus"), TIMEOUT)
                free = [s for s in slots if "qom-path" not in s]
                assert [s["props"]["core-id"] for s in free] == [5, 4]

                with client.listener(("DEVICE_DELETED", "ACPI_DEVICE_OST")) as listener:
                    # The RFC's own example: device_add host-arm-cpu,id=core4,core-id=4
                    await asyncio.wait_for(client.execute(
                        "device_add", {"driver": "host-arm-cpu", "id": "core4", "core-id": 4}),
                        TIMEOUT)
                    plugged = await next_event(listener, "ACPI_DEVICE_OST")
                    assert plugged["data"]["info"]["device"] == "core4"
                    cpus = await asyncio.wait_for(client.execute("query-cpus-fast"), TIMEOUT)
                    assert cpus[-1]["qom-path"] == "/machine/peripheral/core4"

                    await asyncio.wait_for(client.execute("device_del", {"id": "core4"}),
                                           TIMEOUT)
                    ost = await next_event(listener, "ACPI_DEVICE_OST")
                    assert ost["data"]["info"]["source"] == OST_SOURCE_EJECT_REQUEST
                    deleted = await next_event(listener, "DEVICE_DELETED")
                    assert deleted["data"] == {"device": "core4",
                                               "path": "/machine/peripheral/core4"}
                    assert set(deleted["timestamp"]) == {"seconds", "microseconds"}

                with pytest.raises(ExecuteError) as caught:
                    await asyncio.wait_for(client.execute("device_del", {"id": "core4"}),
                                           TIMEOUT)
                assert caught.value.error_class == "DeviceNotFound"
                assert str(caught.value) == "Device 'core4' not found"
                # The session is still usable after the error.
                cpus = await asyncio.wait_for(client.execute("query-cpus-fast"), TIMEOUT)
                assert len(cpus) == 4
            finally:
                await asyncio.wait_for(client.disconnect(), TIMEOUT)

    run(main())


def test_qemu_qmp_client_sees_quit_as_shutdown(tmp_path: Path) -> None:
    async def main() -> None:
        path = tmp_path / "qmp.sock"
        async with running_server(FakeCpuBackend(), path) as server:
            client = QMPClient("vcpu-hotplug-test")
            await asyncio.wait_for(client.connect(str(path)), TIMEOUT)
            with client.listener("SHUTDOWN") as listener:
                await asyncio.wait_for(client.execute("quit"), TIMEOUT)
                # SHUTDOWN came before the reply, as from QEMU: it is queued already.
                assert not listener.empty()
                shutdown = await next_event(listener, "SHUTDOWN")
            assert shutdown["data"] == {"guest": False, "reason": "host-qmp-quit"}
            await asyncio.wait_for(server.wait_closed(), TIMEOUT)
            # As with QEMU, the server hangs up after quit: the library reports that EOF.
            with contextlib.suppress(EOFError):
                await asyncio.wait_for(client.disconnect(), TIMEOUT)

    run(main())


def test_qemu_qmp_client_enables_the_offered_oob_and_sees_exec_oob_refused(tmp_path: Path) -> None:
    """The library enables ``oob`` when the greeting offers it (``QMPClient._negotiate``), as it
    does with QEMU; in-band commands then run as before and ``exec-oob`` gets QEMU's refusal."""
    async def main() -> None:
        path = tmp_path / "qmp.sock"
        async with running_server(FakeCpuBackend(), path):
            client = QMPClient("vcpu-hotplug-test")
            await asyncio.wait_for(client.connect(str(path)), TIMEOUT)
            try:
                assert client.greeting is not None
                assert client.greeting.QMP.capabilities == ["oob"]
                with pytest.raises(ExecuteError) as caught:
                    await asyncio.wait_for(client.execute("query-status", oob=True), TIMEOUT)
                assert caught.value.error_class == "GenericError"
                assert str(caught.value) == "The command query-status does not support OOB"
                status = await asyncio.wait_for(client.execute("query-status"), TIMEOUT)
                assert status == {"status": "running", "running": True}
            finally:
                await asyncio.wait_for(client.disconnect(), TIMEOUT)

    run(main())
