"""``vcpu-hotplug demo``: the cloud-scaling story as a newcomer sees it, and as data (``--json``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from click.testing import CliRunner

from vcpu_hotplug.cli import main


def run_demo(*args: str):
    result = CliRunner().invoke(main, ["demo", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_demo_shows_three_steps_with_the_guest_view_after_each() -> None:
    result = run_demo()
    assert result.exit_code == 0, result.output
    text = result.output
    titles = re.findall(r"step (\d): ([^─│]+?) ─", text)
    assert [n for n, _ in titles] == ["1", "2", "3"]
    assert "pre-deploy: boot with 2 of 8 vCPUs" in titles[0][1]
    assert "scale to 8 vCPUs" in titles[1][1] and "scale back to 2 vCPUs" in titles[2][1]
    # The guest's view after each step: possible, present, enabled, online.
    views = re.findall(r"│ (\S+) +(\S+) +(\S+) +(\S+) +│\n[^\n]*cost of the step", text)
    assert views == [("0-7", "0-7", "0-1", "0-1"), ("0-7", "0-7", "0-7", "0-7"),
                     ("0-7", "0-7", "0-1", "0-1")]
    assert len(re.findall(r"cost of the step: \d+ VM exits \(\d+ MMIO, \d+ HVC\), [\d.]+ (us|ms) "
                          r"simulated", text)) == 3
    assert "DENIED for vCPU 2-7" in text


def test_demo_shows_the_path_of_a_hot_add_and_of_an_unplug() -> None:
    text = run_demo().output
    plug = text[text.index("path of device_add vcpu2"):text.index("every device_add")]
    for needle in ("-> device_add driver=host-arm-cpu id=vcpu2", "plug vCPU 2 (device_add)",
                   "INTID 41 from ged", "_EVT(0x29)", "cpuhp 1, ged 1",   # one fast next-event read
                   "Notify(\\_SB.C002, 0x1 device check)", "_STA() (x", "register_cpu cpu2",
                   "CPU_ON(target 0x2) from vcpu0 = SUCCESS", "Booted secondary processor",
                   "<- ACPI_DEVICE_OST device=vcpu2"):
        assert needle in plug, needle
    unplug = text[text.index("path of device_del vcpu7"):text.index("every device_del")]
    order = ["-> device_del id=vcpu7", "Notify(\\_SB.C007, 0x3 eject request)", "status 0x84",
             "CPU_OFF from vcpu7", "_EJ0", "unregister_cpu cpu7", "status 0x0 success",
             "<- DEVICE_DELETED device=vcpu7"]
    positions = [unplug.index(needle) for needle in order]
    assert positions == sorted(positions)
    assert "done: scaled 2 -> 8 -> 2 vCPUs; guest online 0-1; quit answered with SHUTDOWN" in text


def test_demo_json_is_the_same_story_as_data() -> None:
    result = run_demo("--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["vm"]["smp"].startswith("cpus=2,maxcpus=8")
    assert data["qmp"]["shutdown"] is True
    steps = data["steps"]
    assert [s["step"] for s in steps] == ["pre-deploy", "workload arrives", "workload leaves"]
    assert [s["guest"]["online"] for s in steps] == [[0, 1], list(range(8)), [0, 1]]
    assert [len(s["changes"]) for s in steps] == [0, 6, 6]
    for step in steps:
        assert step["exits"]["total"] == step["exits"]["mmio"] + step["exits"]["hvc"] > 0
        assert step["sim_ns"] > 0
    add = steps[1]["changes"][0]
    assert add["qmp"]["execute"] == "device_add" and add["online_after"] is True
    assert {"QMP", "VMM", "interrupt", "AML", "Notify", "_OST", "PSCI", "vCPU", "guest",
            "QMP event"} <= {s["stage"] for s in add["steps"]}
    delete = steps[2]["changes"][0]
    assert [e["event"] for e in delete["events"]] == ["ACPI_DEVICE_OST", "DEVICE_DELETED",
                                                     "ACPI_DEVICE_OST"]
    assert data["boot"]["cpu_on"] == {"1": "SUCCESS", **{str(i): "DENIED" for i in range(2, 8)}}


def test_demo_with_the_2026_kernel_and_another_size() -> None:
    data = json.loads(run_demo("--json", "--smp", "cpus=1,maxcpus=3",
                               "--guest-kernel", "2026").output)
    assert data["vm"]["guest_kernel"] == "7.2"  # the release "2026" names
    assert [s["guest"]["present"] for s in data["steps"]] == [[0], [0, 1, 2], [0]]


def test_demo_bad_options_are_one_line() -> None:
    for args, message in ((["--smp", "cpus=3,maxcpus=2"], "error: --smp cpus=3,maxcpus=2: "),
                          (["--guest-kernel", "4.19"], "error: Invalid value for '--guest-kernel'"),
                          (["--nope"], "error: No such option '--nope'")):
        result = CliRunner().invoke(main, ["demo", *args])
        assert result.exit_code != 0
        assert len(result.output.splitlines()) == 1 and result.output.startswith(message), \
            result.output


def test_demo_in_a_real_process() -> None:
    proc = subprocess.run([sys.executable, "-c",
                           "from vcpu_hotplug.cli import main; main(prog_name='vcpu-hotplug')",
                           "demo"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.count("guest's view") == 3
