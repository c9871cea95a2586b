"""``vcpu-hotplug run`` as a user starts it: a subprocess serving QMP, driven by ``qemu.qmp``.

The server process is polled for its socket (bounded by ``STARTUP_TIMEOUT``),
never slept on. Option errors are checked in-process with click's runner
(fast) and once in a real process (no traceback reaches the terminal).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest
from click.testing import CliRunner
from qemu.qmp import QMPClient

from vcpu_hotplug.cli import main

#: Wall-clock bound for the server to boot and listen (a Python start-up plus a tiny boot).
STARTUP_TIMEOUT = 15.0
#: Bound on each QMP exchange and on the process exiting after quit.
TIMEOUT = 10.0
POLL_INTERVAL = 0.02


def command() -> list[str]:
    script = shutil.which("vcpu-hotplug", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script]
    return [sys.executable, "-c",
            "from vcpu_hotplug.cli import main; main(prog_name='vcpu-hotplug')"]


class Server:
    """A ``vcpu-hotplug run`` child process with its output in files."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.stdout_path = tmp_path / "run.out"
        self.stderr_path = tmp_path / "run.err"
        self._out = self.stdout_path.open("wb")
        self._err = self.stderr_path.open("wb")
        self.proc = subprocess.Popen([*command(), "run", "--no-tui", *args],
                                     stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def wait_until(self, condition, what: str) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not condition():
            if self.proc.poll() is not None:
                raise AssertionError(f"run exited ({self.proc.returncode}) before {what}:\n"
                                     f"{self.stdout}\n{self.stderr}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {STARTUP_TIMEOUT} s:\n{self.stdout}")
            time.sleep(POLL_INTERVAL)

    def wait_for_socket(self, path: Path) -> None:
        self.wait_until(lambda: path.exists() and stat.S_ISSOCK(path.lstat().st_mode),
                        f"socket at {path}")

    def wait_for_tcp_port(self) -> int:
        found: list[int] = []

        def listening() -> bool:
            match = re.search(r"QMP on tcp:127\.0\.0\.1:(\d+)", self.stdout)
            if match:
                found.append(int(match.group(1)))
            return bool(match)
        self.wait_until(listening, "TCP address line")
        return found[0]

    def wait(self) -> int:
        try:
            return self.proc.wait(TIMEOUT)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(TIMEOUT)
        self._out.close()
        self._err.close()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.close()


def start(servers: list[Server], tmp_path: Path, *args: str) -> Server:
    server = Server(tmp_path, *args)
    servers.append(server)
    return server


async def next_event(listener, name: str) -> dict:
    while True:
        event = await asyncio.wait_for(listener.get(), TIMEOUT)
        if event["event"] == name:
            return event


async def execute(client: QMPClient, cmd: str, arguments: Optional[dict] = None) -> object:
    return await asyncio.wait_for(client.execute(cmd, arguments), TIMEOUT)


async def quit_server(client: QMPClient) -> None:
    await execute(client, "quit")
    try:
        await asyncio.wait_for(client.disconnect(), TIMEOUT)
    except EOFError:
        pass  # the server hangs up after quit, as QEMU does


def test_run_on_a_unix_socket_plugs_and_unplugs_and_quits(tmp_path: Path,
                                                          servers: list[Server]) -> None:
    path = tmp_path / "qmp.sock"
    # Instant: the guest's view is checked right after each event (no event says a CPU went online).
    server = start(servers, tmp_path, "--smp", "cpus=2,maxcpus=8", "--qmp", f"unix:{path},server",
                   "--guest-dyndbg", "--pace", "instant")
    server.wait_for_socket(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    async def drive() -> None:
        client = QMPClient("test-run")
        await asyncio.wait_for(client.connect(str(path)), TIMEOUT)  # negotiates
        slots = await execute(client, "query-hotpluggable-cpus")
        assert len(slots) == 8 and sum("qom-path" in s for s in slots) == 2
        with client.listener(("ACPI_DEVICE_OST", "DEVICE_DELETED")) as listener:
            await execute(client, "device_add",
                          {"driver": "host-arm-cpu", "id": "cpu5", "core-id": 5})
            ost = await next_event(listener, "ACPI_DEVICE_OST")
            assert ost["data"]["info"]["device"] == "cpu5"
            assert ost["data"]["info"]["source"] == 1 and ost["data"]["info"]["status"] == 0
            view = await execute(client, "x-query-guest-cpus")
            assert view["online"] == [0, 1, 5]
            await execute(client, "device_del", {"id": "cpu5"})
            ejecting = await next_event(listener, "ACPI_DEVICE_OST")
            assert ejecting["data"]["info"]["status"] == 0x84
            deleted = await next_event(listener, "DEVICE_DELETED")
            assert deleted["data"] == {"device": "cpu5", "path": "/machine/peripheral/cpu5"}
            done = await next_event(listener, "ACPI_DEVICE_OST")
            assert (done["data"]["info"]["source"], done["data"]["info"]["status"]) == (3, 0)
        view = await execute(client, "x-query-guest-cpus")
        assert view["online"] == [0, 1] and view["enabled"] == [0, 1]
        assert any("CPU5: shutdown" in line for line in view["log"])    # pr_debug: --guest-dyndbg
        await quit_server(client)

    asyncio.run(drive())
    assert server.wait() == 0
    assert not path.exists()
    out = server.stdout
    assert "QMP on unix:" in out and "Notify(\\_SB.C005, 0x3)" in out
    assert "qmp-event  DEVICE_DELETED vCPU 5" in out
    assert out.rstrip().splitlines()[-1].startswith("stopped (quit); vcpus: enabled 0-1 online 0-1")
    assert server.stderr == ""


def test_run_on_tcp_loopback_with_a_free_port(tmp_path: Path, servers: list[Server]) -> None:
    server = start(servers, tmp_path, "--smp", "2", "--qmp", "tcp:127.0.0.1:0,server")
    port = server.wait_for_tcp_port()

    async def drive() -> None:
        client = QMPClient("test-run-tcp")
        await asyncio.wait_for(client.connect(("127.0.0.1", port)), TIMEOUT)
        assert await execute(client, "query-status") == {"status": "running", "running": True}
        cpus = await execute(client, "query-cpus-fast")
        assert [c["cpu-index"] for c in cpus] == [0, 1]
        await quit_server(client)

    asyncio.run(drive())
    assert server.wait() == 0
    assert server.stderr == ""


def test_sigterm_stops_the_server_cleanly(tmp_path: Path, servers: list[Server]) -> None:
    path = tmp_path / "qmp.sock"
    server = start(servers, tmp_path, "--qmp", f"unix:{path},server")
    server.wait_for_socket(path)
    server.proc.send_signal(signal.SIGTERM)
    assert server.wait() == 0
    assert not path.exists()
    assert "stopped (SIGTERM)" in server.stdout
    assert server.stderr == ""


def test_a_socket_in_use_is_refused_and_a_file_is_never_replaced(tmp_path: Path,
                                                               servers: list[Server]) -> None:
    path = tmp_path / "qmp.sock"
    server = start(servers, tmp_path, "--qmp", f"unix:{path},server")
    server.wait_for_socket(path)
    result = CliRunner().invoke(main, ["run", "--qmp", f"unix:{path},server"])
    assert result.exit_code == 1
    assert result.output == f"error: QMP socket '{path}' is in use by another process\n"

    regular = tmp_path / "file"
    regular.write_text("keep me")
    result = CliRunner().invoke(main, ["run", "--qmp", f"unix:{regular},server"])
    assert result.exit_code == 1
    assert "a file is in the way" in result.output
    assert regular.read_text() == "keep me"


@pytest.mark.parametrize("args, message", [
    ([], "nothing to serve"),
    (["--qmp", "stdio,server"], "Invalid QMP address 'stdio,server'"),
    (["--qmp", "unix:/tmp/x.sock"], "must be a listening one"),
    (["--qmp", "unix:/tmp/x.sock,server,bogus"], "Invalid QMP option 'bogus'"),
    (["--qmp", "tcp:127.0.0.1:x,server"], "Invalid QMP address"),
    (["--smp", "cpus=9,maxcpus=8", "--qmp", "unix:/tmp/x.sock,server"], "--smp cpus=9,maxcpus=8: "),
    (["--smp", "lots", "--qmp", "unix:/tmp/x.sock,server"], "--smp lots: "),
    (["--cpu-type", "cortex-a15", "--qmp", "unix:/tmp/x.sock,server"],
     "not a hot-pluggable 64-bit Arm CPU"),
    (["--busy-cpus", "3-1", "--qmp", "unix:/tmp/x.sock,server"], "goes backwards"),
    (["--busy-cpus", "x", "--qmp", "unix:/tmp/x.sock,server"], "is not a CPU number"),
    (["--busy-cpus", "99", "--qmp", "unix:/tmp/x.sock,server"], "busy CPU 99 does not exist"),
    (["--guest-kernel", "5.0"], "Invalid value for '--guest-kernel'"),
    (["--slow-online", "-1"], "Invalid value for '--slow-online'"),
    (["--no-such-option"], "No such option '--no-such-option'"),
])
def test_bad_options_are_one_line_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["run", *args])
    assert result.exit_code != 0
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and message in lines[0], lines[0]
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_bad_option_in_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([*command(), "run", "--smp", "cpus=0", "--qmp",
                           f"unix:{tmp_path / 'q.sock'},server"],
                          capture_output=True, text=True, timeout=STARTUP_TIMEOUT)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("error: --smp cpus=0")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "q.sock").exists()


def test_tcp_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([*command(), "run", "--no-tui", "--qmp",
                               f"tcp:127.0.0.1:{port},server"],
                              capture_output=True, text=True, timeout=STARTUP_TIMEOUT,
                              env={**os.environ})
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: Cannot listen on 127.0.0.1:{port}")
    assert len(proc.stderr.splitlines()) == 1


def test_internal_errors_are_reported_as_warnings_after_serving(tmp_path: Path, capsys) -> None:
    from vcpu_hotplug.cli.run import serve_vm
    from vcpu_hotplug.qmp.pacing import Pace
    from vcpu_hotplug.qmp.server import UnixAddress
    from vcpu_hotplug.vm import VmSpec, build_vm

    vm = build_vm(VmSpec(smp="cpus=1,maxcpus=2"))

    def broken_settle() -> None:
        raise RuntimeError("the guest model fell over")
    vm.backend._settle = broken_settle
    path = tmp_path / "qmp.sock"

    async def drive() -> None:
        serving = asyncio.ensure_future(serve_vm(vm, [UnixAddress(path)], None, "1", pace=Pace.INSTANT))
        deadline = time.monotonic() + TIMEOUT
        while not path.exists():
            assert time.monotonic() < deadline and not serving.done()
            await asyncio.sleep(POLL_INTERVAL)
        client = QMPClient("test-internal")
        await asyncio.wait_for(client.connect(str(path)), TIMEOUT)
        assert await execute(client, "device_add", {"driver": "host-arm-cpu", "core-id": 1}) == {}
        assert await execute(client, "query-status") == {"status": "running", "running": True}
        await quit_server(client)
        await asyncio.wait_for(serving, TIMEOUT)

    asyncio.run(drive())
    err = capsys.readouterr().err
    # Instant: settled after each of qmp_capabilities, device_add and query-status: one line, counted.
    assert err == ("warning: internal error while serving (3 times): RuntimeError: "
                   "the guest model fell over\n")


def test_qga_serves_the_guest_agent_that_onlines_a_hot_added_cpu(tmp_path: Path,
                                                                  servers: list[Server]) -> None:
    """run --qga: a guest without udev (--no-auto-online) gets its hot-added CPU online through
    qemu-ga's guest-set-vcpus, as virsh setvcpus --guest does."""
    qmp_path, qga_path = tmp_path / "qmp.sock", tmp_path / "qga.sock"
    server = start(servers, tmp_path, "--qmp", f"unix:{qmp_path},server", "--qga",
                   f"unix:{qga_path},server", "--smp", "cpus=1,maxcpus=3", "--no-auto-online")
    server.wait_for_socket(qmp_path)
    server.wait_for_socket(qga_path)

    async def body() -> None:
        client = QMPClient("test")
        await asyncio.wait_for(client.connect(str(qmp_path)), TIMEOUT)
        with client.listener(("ACPI_DEVICE_OST",)) as listener:  # the guest has added the CPU
            await execute(client, "device_add", {"driver": "host-arm-cpu", "id": "cpu2",
                                                 "core-id": 2})
            await next_event(listener, "ACPI_DEVICE_OST")
        reader, writer = await asyncio.open_unix_connection(str(qga_path))

        async def agent(request: dict) -> dict:
            writer.write(json.dumps(request).encode() + b"\n")
            await writer.drain()
            return json.loads(await asyncio.wait_for(reader.readline(), TIMEOUT))
        assert await agent({"execute": "guest-sync", "arguments": {"id": 5}}) == {"return": 5}
        vcpus = (await agent({"execute": "guest-get-vcpus"}))["return"]
        assert sorted((v["logical-id"], v["online"]) for v in vcpus) == [(0, True), (2, False)]
        assert await agent({"execute": "guest-set-vcpus",
                            "arguments": {"vcpus": [{"logical-id": 2, "online": True}]}}) == \
            {"return": 1}
        masks = await execute(client, "x-query-guest-cpus")
        assert masks["online"] == [0, 2]  # type: ignore[index]
        writer.close()
        await quit_server(client)
    asyncio.run(body())
    assert server.wait() == 0
    assert not qga_path.exists()
