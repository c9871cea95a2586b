"""Stock libvirt drives ``vcpu-hotplug-system-aarch64`` end to end (private libvirtd, see daemon.py).

Each test defines ``domain.xml.in`` (2 of 8 vCPUs, ACPI + dummy UEFI files, a guest
agent channel) on a fresh private libvirtd and checks, after every ``virsh`` step,
both libvirt's view (``vcpucount``, ``vcpuinfo``, ``guestvcpus``, ``domstate``) and
the guest's own masks (``x-query-guest-cpus`` through ``qemu-monitor-command``).
libvirt starts the emulator with ``-smp 1`` and adds vCPU 1 with ``device_add``
during prelaunch, so "2 vCPUs after start" is itself a hotplug.

A failure message carries the virsh output, libvirtd's log tail and the domain
log (the emulator's command line and stderr); the ``libvirtd`` fixture adds a
longer libvirtd log tail to the report.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, require

DOMAIN_XML = Path(__file__).with_name("domain.xml.in")
VIRSH_TIMEOUT = 20.0
#: libvirt gives up on a vCPU unplug after 5 s (qemuDomainRemoveVcpu); a first-try unplug is well below.
UNPLUG_DEADLINE_S = 5.0
SHUTDOWN_TIMEOUT = 20.0
#: How long the guest may take to add and online hot-added vCPUs after libvirt's setvcpus returns. The
#: emulator runs in realtime (its default pace): the guest handles each device_add's notification some
#: 30 ms after the reply and brings the CPU up after that, one vCPU after another, as a real guest does.
GUEST_SETTLE_S = 5.0


def emulator_path() -> Path:
    for candidate in (Path(sys.executable).parent / "vcpu-hotplug-system-aarch64",
                      ROOT / ".venv" / "bin" / "vcpu-hotplug-system-aarch64"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    require(False, "the vcpu-hotplug-system-aarch64 console script (pip install -e .)")
    raise AssertionError("unreachable")


def cpu_list(text: str) -> list[int]:
    """``0-2,5`` -> [0, 1, 2, 5] (libvirt's bitmap format)."""
    out: list[int] = []
    for part in text.strip().split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


class Domain:
    """One domain on a private libvirtd, with checked virsh calls and diagnostics."""

    def __init__(self, daemon, name: str, tmp: Path) -> None:
        self.daemon = daemon
        self.name = name
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "CODE.fd").write_bytes(b"\0" * 4096)
        (tmp / "VARS.fd").write_bytes(b"\0" * 4096)
        xml = DOMAIN_XML.read_text()
        for key, value in (("@NAME@", name), ("@EMULATOR@", str(emulator_path())),
                           ("@LOADER@", str(tmp / "CODE.fd")), ("@NVRAM_TEMPLATE@", str(tmp / "VARS.fd")),
                           ("@NVRAM@", f"/var/lib/libvirt/qemu/nvram/{name}_VARS.fd")):
            xml = xml.replace(key, value)
        self.xml_path = tmp / f"{name}.xml"
        self.xml_path.write_text(xml)

    # -- diagnostics ----------------------------------------------------------

    def diag(self, what: str = "") -> str:
        dom_log = self.daemon.domain_log(self.name).splitlines()[-60:]
        return (f"{what}\n{self.daemon.log_tail(60)}\n"
                f"--- domain log {self.name} (last {len(dom_log)} lines) ---\n" + "\n".join(dom_log))

    # -- virsh ----------------------------------------------------------------

    def virsh(self, *args, timeout: float = VIRSH_TIMEOUT, check: bool = True):
        t0 = time.monotonic()
        r = self.daemon.virsh(*args, check=False, timeout=timeout)
        r.elapsed = time.monotonic() - t0
        if check:
            assert r.returncode == 0, self.diag(
                f"virsh {' '.join(map(str, args))} exited {r.returncode} after {r.elapsed:.2f}s:\n"
                f"{r.stdout}{r.stderr}")
        return r

    def qmp(self, command: str, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        r = self.virsh("qemu-monitor-command", self.name, json.dumps(msg))
        reply = json.loads(r.stdout)
        assert "return" in reply, self.diag(f"{command}: {r.stdout}")
        return reply["return"]

    def guest(self) -> dict:
        """The guest kernel's own masks: possible/present/enabled/online."""
        return self.qmp("x-query-guest-cpus")

    def vcpucount(self) -> dict[tuple[str, str], int]:
        out = self.virsh("vcpucount", self.name).stdout
        counts = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3:
                counts[(parts[0], parts[1])] = int(parts[2])
        return counts

    def live(self) -> int:
        counts = self.vcpucount()
        assert counts.get(("maximum", "live")) == 8, self.diag(f"vcpucount: {counts}")
        return counts[("current", "live")]

    def guestvcpus(self) -> dict[str, list[int]]:
        out = self.virsh("guestvcpus", self.name).stdout
        fields = {}
        for line in out.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = cpu_list(value)
        assert set(fields) >= {"vcpus", "online", "offlinable"}, self.diag(f"guestvcpus:\n{out}")
        return fields

    def vcpuinfo(self) -> list[dict[str, str]]:
        out = self.virsh("vcpuinfo", self.name).stdout
        blocks = []
        for block in out.strip().split("\n\n"):
            fields = {}
            for line in block.splitlines():
                key, sep, value = line.partition(":")
                if sep:
                    fields[key.strip()] = value.strip()
            blocks.append(fields)
        return blocks

    def state(self, reason: bool = False) -> str:
        args = ("domstate", self.name) + (("--reason",) if reason else ())
        return self.virsh(*args).stdout.strip()

    def wait_state(self, wanted: str, timeout: float = SHUTDOWN_TIMEOUT) -> float:
        t0 = time.monotonic()
        while True:
            state = self.state()
            if state == wanted:
                return time.monotonic() - t0
            assert time.monotonic() - t0 < timeout, self.diag(
                f"domain still {state!r}, not {wanted!r}, after {timeout:.0f}s")
            time.sleep(0.1)

    def pid(self) -> int:
        return int((self.daemon.path("/run/libvirt") / "qemu" / f"{self.name}.pid").read_text().strip())

    # -- checks ---------------------------------------------------------------

    def expect(self, live: int, online: list[int] | None = None) -> dict:
        """vcpucount live == ``live``; the guest has vCPUs 0..live-1 enabled and ``online`` online.

        libvirt returns from a hot-add once QEMU has answered ``device_add``; the guest gets there later
        (realtime pacing), and no QMP event says that a CPU came online, so the guest's masks are read
        again, one ``qemu-monitor-command`` after another with no sleep, until they match or
        ``GUEST_SETTLE_S`` passes. An unplug needs no wait: libvirt itself waits for DEVICE_DELETED.
        """
        enabled = list(range(live))
        online = enabled if online is None else online
        got = self.live()
        guest = self.guest()
        deadline = time.monotonic() + GUEST_SETTLE_S
        while ((guest["enabled"], guest["online"]) != (enabled, online)
               and time.monotonic() < deadline):
            guest = self.guest()
        assert got == live, self.diag(f"vcpucount live {got}, expected {live}; guest {guest}")
        assert guest["possible"] == list(range(8)), self.diag(f"guest {guest}")
        assert guest["enabled"] == enabled and guest["online"] == online, self.diag(
            f"guest enabled {guest['enabled']} online {guest['online']}, expected {enabled} / {online}")
        return guest

    def setvcpus_live(self, count: int):
        r = self.virsh("setvcpus", self.name, count, "--live")
        assert r.elapsed < UNPLUG_DEADLINE_S, self.diag(f"setvcpus {count} --live took {r.elapsed:.2f}s")
        return r


@pytest.fixture
def domain(libvirtd, tmp_path, request):
    name = "e2e-" + request.node.name.removeprefix("test_").replace("_", "-")[:40]
    dom = Domain(libvirtd, name, tmp_path)
    dom.virsh("define", dom.xml_path, timeout=60)  # the first define probes the emulator's capabilities
    return dom


def start(dom: Domain) -> None:
    dom.virsh("start", dom.name)
    assert dom.state() == "running", dom.diag("after start")
    # vCPU 1 came from libvirt's prelaunch device_add (argv says -smp 1): it must be online.
    assert "-smp 1,maxcpus=8" in dom.daemon.domain_log(dom.name), dom.diag("libvirt's -smp")
    dom.expect(2)


def test_lifecycle_hotplug_agent_reconnect_shutdown(domain: Domain):
    dom = domain
    start(dom)

    # 2 -> 8: libvirt device_adds vCPUs 2..7 one at a time.
    dom.setvcpus_live(8)
    dom.expect(8)
    info = dom.vcpuinfo()
    assert [int(b["VCPU"]) for b in info] == list(range(8)), dom.diag(f"vcpuinfo {info}")
    ncpu = os.cpu_count() or 1
    for b in info:
        assert b["State"] == "running", dom.diag(f"vcpuinfo {info}")
        assert 0 <= int(b["CPU"]) < ncpu, dom.diag(f"vcpuinfo {info}")
        assert len(b["CPU Affinity"]) == ncpu and set(b["CPU Affinity"]) <= {"y", "-"}, dom.diag(f"vcpuinfo {info}")
    # The thread-id libvirt reads for each vCPU is a real thread of the emulator, named as QEMU names it.
    pid = dom.pid()
    cpus = dom.qmp("query-cpus-fast")
    assert sorted(c["cpu-index"] for c in cpus) == list(range(8)), dom.diag(f"query-cpus-fast {cpus}")
    tids = [c["thread-id"] for c in cpus]
    assert len(set(tids)) == 8, dom.diag(f"query-cpus-fast {cpus}")
    for c in cpus:
        task = Path(f"/proc/{pid}/task/{c['thread-id']}")
        assert task.is_dir(), dom.diag(f"vCPU {c['cpu-index']}: thread {c['thread-id']} is not a task of {pid}")
        assert (task / "comm").read_text().strip() == f"CPU {c['cpu-index']}/TCG", dom.diag(str(task))

    # 8 -> 3: libvirt sends the five device_dels back to back; one call must do it.
    dom.setvcpus_live(3)
    dom.expect(3)
    assert len(dom.vcpuinfo()) == 3, dom.diag("vcpuinfo after 8 -> 3")

    # The guest agent sees what the guest kernel sees.
    gv = dom.guestvcpus()
    assert gv["vcpus"] == [0, 1, 2] and gv["online"] == dom.guest()["online"] == [0, 1, 2], dom.diag(f"{gv}")

    # --guest offlines a CPU inside the guest; the vCPU stays plugged (live 3, enabled 0-2).
    dom.virsh("setvcpus", dom.name, 2, "--guest")
    gv = dom.guestvcpus()
    guest = dom.guest()
    assert len(gv["online"]) == 2 and 0 in gv["online"] and set(gv["online"]) < {0, 1, 2}, dom.diag(f"{gv}")
    assert guest["online"] == gv["online"] and guest["enabled"] == [0, 1, 2], dom.diag(f"{gv} {guest}")
    assert dom.live() == 3, dom.diag("live after --guest 2")
    dom.virsh("setvcpus", dom.name, 3, "--guest")
    assert dom.guestvcpus()["online"] == [0, 1, 2], dom.diag("after --guest 3")
    dom.expect(3)

    # libvirtd dies (SIGKILL) and a new one reconnects to the running emulator by the monitor's path.
    emulator_pid = pid
    dom.daemon.restart()
    listing = dom.virsh("list").stdout
    assert dom.name in listing and "running" in listing, dom.diag(f"list after restart:\n{listing}")
    assert dom.pid() == emulator_pid, dom.diag("a different emulator after the restart")
    dom.expect(3)
    dom.setvcpus_live(4)
    dom.expect(4)
    assert dom.guestvcpus()["online"] == [0, 1, 2, 3], dom.diag("agent after the reconnect")

    # Default shutdown: ACPI power button -> the guest powers off -> SHUTDOWN -> libvirt SIGTERMs.
    dom.virsh("shutdown", dom.name)
    dom.wait_state("shut off")
    assert dom.state(reason=True) == "shut off (shutdown)", dom.diag("domstate --reason")

    # A fresh boot: back to the XML's 2 vCPUs.
    start(dom)
    assert dom.pid() != emulator_pid
    dom.virsh("destroy", dom.name)
    assert dom.state(reason=True) == "shut off (destroyed)", dom.diag("after destroy")

    dom.virsh("undefine", dom.name, "--nvram")
    assert dom.name not in dom.virsh("list", "--all", "--name").stdout.split(), dom.diag("after undefine")


def test_unplug_prelaunch_vcpu_first_try(domain: Domain):
    """vCPU 1, device_added by libvirt before ``cont``, unplugs on the first setvcpus."""
    dom = domain
    start(dom)
    dom.setvcpus_live(1)
    dom.expect(1)
    assert [int(b["VCPU"]) for b in dom.vcpuinfo()] == [0], dom.diag("vcpuinfo after 2 -> 1")
    assert dom.guestvcpus()["online"] == [0], dom.diag("guestvcpus after 2 -> 1")
    # ... and comes back.
    dom.setvcpus_live(2)
    dom.expect(2)


def test_agent_shutdown(domain: Domain):
    """``virsh shutdown --mode agent``: guest-shutdown over the agent channel -> SHUTDOWN -> SIGTERM."""
    dom = domain
    start(dom)
    dom.virsh("shutdown", dom.name, "--mode", "agent")
    dom.wait_state("shut off")
    assert dom.state(reason=True) == "shut off (shutdown)", dom.diag("domstate --reason")
