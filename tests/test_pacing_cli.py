"""``--pace`` as users meet it: ``vcpu-hotplug run`` is realtime unless told otherwise, ``--pace instant``
keeps events right after the reply, and the QEMU-compatible emulator takes its pace from the environment.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from vcpu_hotplug.cli import main
from vcpu_hotplug.emulator.main import PACE_ENV, PACE_FACTOR_ENV, EmulatorError, pace_from_environment
from vcpu_hotplug.qmp.pacing import Pace

from .cli.test_run import Server
from .emulator.test_main import EMULATOR, needs_script
from .test_pacing import ADD, wire_order

SETTLE_S = 0.5
"""Quiet time after the last reply that ends a wire recording (far above the hot-add latency)."""


@pytest.fixture
def servers():
    started: list[Server] = []
    yield started
    for server in started:
        server.close()


def served_order(tmp_path: Path, servers: list[Server], *pace: str) -> list[str]:
    path = tmp_path / "qmp.sock"
    server = Server(tmp_path, "--smp", "cpus=2,maxcpus=4", "--qmp", f"unix:{path},server", *pace)
    servers.append(server)
    server.wait_for_socket(path)
    return asyncio.run(wire_order(path, [("device_add", ADD), ("query-status", None),
                                         ("query-cpus-fast", None)], SETTLE_S))


def test_run_is_realtime_by_default(tmp_path: Path, servers: list[Server]) -> None:
    assert served_order(tmp_path, servers) == ["reply device_add", "reply query-status",
                                               "reply query-cpus-fast", "ACPI_DEVICE_OST"]


def test_run_pace_instant_sends_the_event_before_the_next_reply(tmp_path: Path, servers: list[Server]) -> None:
    assert served_order(tmp_path, servers, "--pace", "instant") == [
        "reply device_add", "ACPI_DEVICE_OST", "reply query-status", "reply query-cpus-fast"]


@pytest.mark.parametrize("args, message", [
    (["--pace", "slow"], "'slow' is not one of 'realtime', 'instant'"),
    (["--pace-factor", "0"], "--pace-factor"),
    (["--pace-factor", "fast"], "'fast' is not a valid float"),
])
def test_bad_pace_options_are_one_line_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["run", "--qmp", "unix:/nonexistent/q.sock,server", *args])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_the_emulator_reads_its_pace_from_the_environment() -> None:
    assert pace_from_environment({}) == (Pace.REALTIME, 1.0)
    assert pace_from_environment({PACE_ENV: "instant"}) == (Pace.INSTANT, 1.0)
    assert pace_from_environment({PACE_ENV: "realtime", PACE_FACTOR_ENV: "0.25"}) == (Pace.REALTIME, 0.25)
    for bad in ({PACE_ENV: "slow"}, {PACE_FACTOR_ENV: "-1"}, {PACE_FACTOR_ENV: "nan"}, {PACE_FACTOR_ENV: "x"}):
        with pytest.raises(EmulatorError, match=next(iter(bad))):
            pace_from_environment(bad)


@needs_script
def test_a_bad_pace_in_the_environment_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    assert EMULATOR is not None
    monkeypatch.setenv(PACE_ENV, "slow")
    proc = subprocess.run([EMULATOR, "-machine", "virt", "-smp", "1,maxcpus=2", "-display", "none"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f"vcpu-hotplug-system-aarch64: {PACE_ENV}=slow: not a pace "
                                   "(realtime or instant)")
