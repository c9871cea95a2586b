"""Guest kernel versions named by Linux release (``--guest-kernel``), and who names them.

The table is :mod:`vcpu_hotplug.guest.releases`: 6.11 and 6.12 behave the
same on the hotplug path, 7.1 adds HOTPLUG_SMT (from 6.15) without the 2026
fixes, 7.2 is the first release with them; ``2026`` is 7.2's older name.
``x-query-guest-cpus`` says which release the guest models.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from vcpu_hotplug.cli import main as cli
from vcpu_hotplug.guest import GuestConfig, GuestKernel, PresentPolicy
from vcpu_hotplug.guest.releases import RELEASE_ALIASES, release_names
from vcpu_hotplug.vm import GUEST_KERNELS, VmSpec, build_vm, guest_kernel_name

from tests.cli.test_run import TIMEOUT, Server, execute, quit_server, servers, start  # noqa: F401 (fixture)
from tests.qmp.client import RawClient, run, running_server


def test_each_release_has_the_fixes_it_carries() -> None:
    table = {k.release: (k.features.hotplug_smt, k.present_policy, k.features.forced_unregistration)
             for k in GuestKernel}
    assert table == {
        "6.11": (False, PresentPolicy.LINUX_6_11, False),
        "6.12": (False, PresentPolicy.LINUX_6_11, False),
        "7.1": (True, PresentPolicy.LINUX_6_11, False),
        "7.2": (True, PresentPolicy.FIX_2026, True),
    }
    assert GuestKernel.LINUX_6_11.features == GuestKernel.LINUX_6_12.features
    for kernel in GuestKernel:
        assert kernel.description.startswith(f"Linux {kernel.release}")


def test_names_and_the_2026_alias() -> None:
    assert release_names() == ["6.11", "6.12", "7.1", "7.2"]
    assert RELEASE_ALIASES == {"2026": "7.2"}
    assert sorted(GUEST_KERNELS) == ["2026", "6.11", "6.12", "7.1", "7.2"]
    assert GUEST_KERNELS["2026"] is GUEST_KERNELS["7.2"] is GuestKernel.from_name("2026")
    with pytest.raises(ValueError, match=r"unknown guest kernel '6\.13' \(one of: 6\.11, 6\.12, 7\.1, 7\.2\)"):
        GuestKernel.from_name("6.13")
    assert guest_kernel_name(GuestKernel.LINUX_7_1) == "7.1"


def test_a_present_policy_alone_still_names_its_first_release() -> None:
    assert GuestConfig(present_policy=PresentPolicy.FIX_2026).kernel is GuestKernel.LINUX_7_2
    assert GuestConfig(present_policy=PresentPolicy.LINUX_6_11).kernel is GuestKernel.LINUX_6_11
    assert GuestConfig(kernel=GuestKernel.LINUX_7_1).present_policy is PresentPolicy.LINUX_6_11
    with pytest.raises(TypeError, match="kernel="):
        GuestConfig(present_policy=GuestKernel.LINUX_7_2)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["6.12", "7.1", "2026"])
def test_x_query_guest_cpus_names_the_kernel_it_models(tmp_path: Path, name: str) -> None:
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=4", guest=GuestConfig(kernel=GUEST_KERNELS[name])))
    kernel = GuestKernel.from_name(name)

    async def main() -> dict:
        async with running_server(vm.backend, tmp_path / "qmp.sock"):
            client = await RawClient.connect_unix(tmp_path / "qmp.sock")
            try:
                await client.negotiate()
                return await client.execute("x-query-guest-cpus")
            finally:
                await client.close()

    reply = run(main())
    assert reply["return"]["kernel"] == {"release": kernel.release, "description": kernel.description}
    assert reply["return"]["present"] == ([0, 1] if kernel is GuestKernel.LINUX_7_2 else [0, 1, 2, 3])


def test_run_refuses_an_unknown_kernel_and_lists_the_releases() -> None:
    result = CliRunner().invoke(cli, ["run", "--guest-kernel", "6.13"])
    assert result.exit_code == 2
    assert "'6.11', '6.12', '7.1', '7.2', '2026'" in result.output


def test_the_demo_report_names_the_release_not_just_its_present_policy() -> None:
    import json
    result = CliRunner().invoke(cli, ["demo", "--json", "--smp", "cpus=2,maxcpus=4", "--guest-kernel", "6.12"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["vm"]["guest_kernel"] == "6.12"


def test_run_guest_kernel_7_1_shows_the_smt_warning_through_qga_and_qmp(tmp_path: Path,
                                                                        servers: list[Server]) -> None:
    """The user's path: ``run --guest-kernel 7.1`` on a VM with threads, smt/control written through
    the guest agent (guest-file-*), the warning read back with x-query-guest-cpus, which names 7.1."""
    import asyncio
    import base64
    import json

    from qemu.qmp import QMPClient

    qmp_path, qga_path = tmp_path / "qmp.sock", tmp_path / "qga.sock"
    server = start(servers, tmp_path, "--qmp", f"unix:{qmp_path},server", "--qga", f"unix:{qga_path},server",
                   "--smp", "cpus=4,maxcpus=8,threads=2", "--guest-kernel", "7.1", "--pace", "instant")
    server.wait_for_socket(qmp_path)
    server.wait_for_socket(qga_path)

    async def body() -> None:
        client = QMPClient("test")
        await asyncio.wait_for(client.connect(str(qmp_path)), TIMEOUT)
        reader, writer = await asyncio.open_unix_connection(str(qga_path))

        async def agent(command: str, **arguments: object) -> dict:
            writer.write(json.dumps({"execute": command, "arguments": arguments}).encode() + b"\n")
            await writer.drain()
            return json.loads(await asyncio.wait_for(reader.readline(), TIMEOUT))

        async def echo(text: str) -> dict:
            handle = (await agent("guest-file-open", path="/sys/devices/system/cpu/smt/control", mode="w"))["return"]
            await agent("guest-file-write", handle=handle, **{"buf-b64": base64.b64encode(text.encode()).decode()})
            return await agent("guest-file-close", handle=handle)

        assert await echo("off\n") == {"return": {}}
        assert await echo("on\n") == {"error": {"class": "GenericError",
                                                "desc": "failed to close handle: Invalid argument"}}
        view = await execute(client, "x-query-guest-cpus")
        assert view["kernel"]["release"] == "7.1"  # type: ignore[index]
        tail = view["log"]  # type: ignore[index]     # the newest 20 records: the end of the splat
        assert tail[-1].endswith("] ---[ end trace 0000000000000000 ]---")
        assert any(line.endswith(" cpuhp_smt_enable+0xbc/0x114") for line in tail)
        assert view["online"] == [0, 1, 2, 3]  # type: ignore[index]
        writer.close()
        await quit_server(client)
    asyncio.run(body())
    assert server.wait() == 0
