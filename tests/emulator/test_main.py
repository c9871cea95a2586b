"""The QEMU-compatible entry point: what it accepts, refuses, and how it serves (probe and domain)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vcpu_hotplug.emulator.cmdline import parse_command_line
from vcpu_hotplug.emulator.main import EmulatorError, plan

EMULATOR = shutil.which("vcpu-hotplug-system-aarch64", path=os.path.dirname(sys.executable))
TIMEOUT = 20

LIBVIRT_START = (
    "-name guest=arm,debug-threads=on -S -machine virt-9.1,usb=off,gic-version=3,"
    "dump-guest-core=off,memory-backend=mach-virt.ram -accel tcg -cpu cortex-a57 -m 512 "
    "-overcommit mem-lock=off -smp 1,maxcpus=8,sockets=8,cores=1,threads=1 "
    "-uuid 02684850-ca06-4fef-bfb5-ddea45216a12 -display none -no-user-config -nodefaults "
    "-rtc base=utc -no-shutdown -boot strict=on -msg timestamp=on").split()


def plan_of(args: list[str]):
    return plan(parse_command_line(args))


def test_libvirts_domain_command_line_builds_a_prelaunch_vm() -> None:
    result = plan_of(LIBVIRT_START)
    assert result.spec is not None
    assert result.spec.start_paused and result.spec.cpu_type == "cortex-a57-arm-cpu"
    assert result.spec.smp == "1,maxcpus=8,sockets=8,cores=1,threads=1"
    assert result.spec.ram_size == 512 << 20
    assert result.identity.name == "arm" and result.identity.uuid.startswith("02684850")


def test_no_reboot_and_no_shutdown_are_the_reboot_and_shutdown_actions() -> None:
    """system/runstate.c: -no-reboot is ``set-action reboot=shutdown``, -no-shutdown ``shutdown=pause``."""
    assert plan_of(LIBVIRT_START).identity.actions["reboot"] == "reset"
    assert plan_of(LIBVIRT_START).identity.actions["shutdown"] == "pause"
    actions = plan_of(LIBVIRT_START + ["-no-reboot"]).identity.actions
    assert actions["reboot"] == "shutdown" and actions["shutdown"] == "pause"
    bare = plan_of(["-machine", "virt"]).identity.actions
    assert bare["reboot"] == "reset" and bare["shutdown"] == "poweroff"


def test_the_probe_has_no_vm() -> None:
    result = plan_of("-S -no-user-config -nodefaults -nographic -machine none,accel=kvm:tcg "
                     "-qmp unix:/tmp/x.sock,server=on,wait=off".split())
    assert result.spec is None and result.identity.machine == "none"
    assert [c.path for c in result.monitors] == ["/tmp/x.sock"]


@pytest.mark.parametrize("args, message, hint", [
    (["-smp", "2"], "No machine specified", "Use -machine help"),
    (["-machine", "q35"], 'unsupported machine type: "q35"', "Use -machine help"),
    (["-machine", "virt", "-accel", "kvm"], "accelerator kvm is not available", None),
    (["-machine", "virt,gic-version=2"], "gic-version=2: this VM has a GICv3", "<gic version='3'/>"),
    (["-machine", "virt", "-cpu", "cortex-a15"], "not a hot-pluggable 64-bit Arm CPU", None),
    (["-machine", "virt", "-smp", "4,maxcpus=2"], "-smp 4,maxcpus=2:", None),
    (["-machine", "virt", "-smp", "1,maxcpus=4", "-no-acpi"],
     "vCPU hotplug on arm64 needs ACPI", "<acpi/>"),
    (["-machine", "virt", "-incoming", "tcp:0:4444"], "-incoming tcp:0:4444: migration over tcp: is not "
     "supported by this VMM: use file:PATH or exec:CMD", None),
    (["-machine", "virt", "-incoming", "fd:migrate"], "File descriptor named 'migrate' has not been found", None),
    (["-machine", "virt", "-chardev", "pty,id=m", "-mon", "chardev=m,mode=control"],
     "the monitor must be a socket chardev", None),
    (["-machine", "virt", "-chardev", "socket,id=m,path=/tmp/m", "-mon", "chardev=m,mode=readline"],
     "only QMP monitors", None),
])
def test_what_the_vm_cannot_be_is_refused_with_a_reason(args: list[str], message: str,
                                                         hint: str | None) -> None:
    with pytest.raises(EmulatorError, match=None) as info:
        plan_of(args)
    assert message in str(info.value)
    if hint is not None:
        assert info.value.hint is not None and hint in info.value.hint


def test_incoming_builds_the_vm_stopped_to_wait_for_its_state() -> None:
    deferred = plan_of(["-machine", "virt", "-smp", "2,maxcpus=4", "-incoming", "defer"])
    assert deferred.spec is not None and deferred.spec.start_paused and deferred.incoming is None
    from_file = plan_of(["-machine", "virt", "-incoming", "file:/tmp/vm.state"])
    assert from_file.spec is not None and from_file.spec.start_paused
    assert str(from_file.incoming) == "file '/tmp/vm.state'"


def test_no_acpi_without_hotplug_boots() -> None:
    result = plan_of(["-machine", "virt", "-smp", "2", "-no-acpi"])
    assert result.spec is not None and result.spec.smp == "2"


# ----------------------------------------------------------------- the process

needs_script = pytest.mark.skipif(EMULATOR is None, reason="console script not installed")


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    assert EMULATOR is not None
    return subprocess.run([EMULATOR, *args], capture_output=True, text=True, timeout=TIMEOUT, **kw)


@needs_script
def test_an_unknown_option_is_one_line_in_qemus_form_and_exit_1() -> None:
    done = _run(["-machine", "virt", "-foo"])
    assert done.returncode == 1
    assert done.stderr == "vcpu-hotplug-system-aarch64: -foo: invalid option\n"


@needs_script
def test_version_names_the_qemu_release_and_the_project() -> None:
    done = _run(["-version"])
    assert done.returncode == 0 and done.stdout.startswith("QEMU emulator version 9.1.50 (vcpu-hotplug ")


class Qmp:
    """A blocking QMP client for a socket path (enough to check what a process serves)."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rwb")
        self.greeting = json.loads(self.file.readline())
        self.events: list[dict] = []

    def execute(self, name: str, **arguments: object) -> dict:
        message: dict[str, object] = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.file.write(json.dumps(message).encode() + b"\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "event" in reply:
                self.events.append(reply)
                continue
            return reply

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@needs_script
def test_the_probe_daemonizes_writes_the_pidfile_and_ends_on_sigterm(tmp_path: Path) -> None:
    monitor, pidfile = tmp_path / "qmp.monitor", tmp_path / "qmp.pid"
    done = _run(["-S", "-no-user-config", "-nodefaults", "-nographic", "-machine",
                 "none,accel=kvm:tcg", "-qmp", f"unix:{monitor},server=on,wait=off",
                 "-pidfile", str(pidfile), "-daemonize"])
    assert done.returncode == 0, done.stderr
    pid = int(pidfile.read_text())
    try:
        client = Qmp(monitor)  # listening before the parent exited
        assert client.greeting["QMP"]["version"]["qemu"] == {"major": 9, "minor": 1, "micro": 50}
        assert client.execute("qmp_capabilities") == {"return": {}}
        assert client.execute("query-target") == {"return": {"arch": "aarch64"}}
        machines = client.execute("query-machines")["return"]
        virt = next(m for m in machines if m.get("alias") == "virt")
        assert virt["hotpluggable-cpus"] is True and virt["name"] == "virt-9.1"
        client.close()
    finally:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + TIMEOUT
    while pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pidfile.exists() and not monitor.exists()


@needs_script
def test_a_domain_serves_on_inherited_fds_boots_at_cont_and_answers_the_agent(tmp_path: Path) -> None:
    """libvirt's way: -S, listening sockets passed as fd=N, device_add in prelaunch, then cont."""
    mon_path, qga_path = tmp_path / "monitor.sock", tmp_path / "qga.sock"
    mon, qga = socket.socket(socket.AF_UNIX), socket.socket(socket.AF_UNIX)
    mon.bind(str(mon_path)); mon.listen()  # noqa: E702
    qga.bind(str(qga_path)); qga.listen()  # noqa: E702
    args = [*LIBVIRT_START,
            "-chardev", f"socket,id=charmonitor,fd={mon.fileno()},server=on,wait=off",
            "-mon", "chardev=charmonitor,id=monitor,mode=control",
            "-device", "virtio-serial-pci,id=virtio-serial0,bus=pci.1,addr=0x0",
            "-chardev", f"socket,id=charchannel0,fd={qga.fileno()},server=on,wait=off",
            "-device", "virtserialport,bus=virtio-serial0.0,nr=1,chardev=charchannel0,"
                       "id=channel0,name=org.qemu.guest_agent.0"]
    assert EMULATOR is not None
    proc = subprocess.Popen([EMULATOR, *args], pass_fds=(mon.fileno(), qga.fileno()),
                            stderr=subprocess.PIPE, text=True)
    mon.close(); qga.close()  # noqa: E702
    try:
        client = Qmp(mon_path)
        client.execute("qmp_capabilities")
        assert client.execute("query-status")["return"]["status"] == "prelaunch"
        chardevs = {c["label"]: c for c in client.execute("query-chardev")["return"]}
        assert chardevs["charmonitor"]["filename"] == f"disconnected:unix:{mon_path},server=on"
        assert chardevs["charchannel0"]["frontend-open"] is False  # no guest agent before boot
        assert client.execute("device_add", driver="cortex-a57-arm-cpu", id="vcpu1",
                              **{"socket-id": 1, "cluster-id": 0, "core-id": 0,
                                 "thread-id": 0}) == {"return": {}}
        cpus = client.execute("query-cpus-fast")["return"]
        assert [c["qom-path"] for c in cpus] == ["/machine/unattached/device[0]",
                                                 "/machine/peripheral/vcpu1"]
        tids = {int(t) for t in os.listdir(f"/proc/{proc.pid}/task")}
        assert all(c["thread-id"] in tids for c in cpus)  # real threads of the emulator
        assert client.execute("cont") == {"return": {}}
        assert client.execute("query-status")["return"]["status"] == "running"
        names = [e["event"] for e in client.events]
        assert "RESUME" in names and "VSERPORT_CHANGE" in names
        guest = client.execute("x-query-guest-cpus")["return"]
        assert guest["online"] == [0, 1] and guest["enabled"] == [0, 1]

        agent = socket.socket(socket.AF_UNIX)
        agent.settimeout(TIMEOUT)
        agent.connect(str(qga_path))
        stream = agent.makefile("rwb")
        stream.write(b'{"execute":"guest-sync","arguments":{"id":42}}\n{"execute":"guest-get-vcpus"}\n')
        stream.flush()
        assert json.loads(stream.readline()) == {"return": 42}
        vcpus = json.loads(stream.readline())["return"]
        assert sorted((v["logical-id"], v["online"]) for v in vcpus) == [(0, True), (1, True)]
        agent.close()

        # The vCPU cold-plugged in prelaunch unplugs on the first try.
        assert client.execute("device_del", id="vcpu1") == {"return": {}}
        deadline = time.monotonic() + TIMEOUT
        while not any(e["event"] == "DEVICE_DELETED" for e in client.events):
            assert time.monotonic() < deadline, client.events
            client.execute("query-status")
        assert not any(e["event"] == "DEVICE_UNPLUG_GUEST_ERROR" for e in client.events)
        assert client.execute("x-query-guest-cpus")["return"]["online"] == [0]
        client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
    assert "terminating on signal 15" in err


def test_what_is_accepted_but_not_modelled_is_listed_for_the_log() -> None:
    args = [*LIBVIRT_START, "-object", "secret,id=masterKey0,format=raw,file=/x",
            "-object", "memory-backend-ram,id=mach-virt.ram,size=536870912",
            "-blockdev", '{"driver":"file","filename":"/c.fd","node-name":"p0"}',
            "-blockdev", '{"driver":"file","filename":"/v.fd","node-name":"p1"}',
            "-device", "pcie-root-port,port=8,chassis=1,id=pci.1,bus=pcie.0,addr=0x1"]
    from vcpu_hotplug.emulator.main import unmodelled_summary
    summary = unmodelled_summary(parse_command_line(args))
    assert "-object secret" in summary and "-blockdev x2" in summary
    assert "-device pcie-root-port" in summary and "-rtc" in summary
    assert not any("memory-backend-ram" in item for item in summary)  # the VM's RAM is modelled
