#!/usr/bin/env python3
"""libvirt's overhead on a vCPU resize: ``virsh setvcpus --live`` against the same resize over raw QMP.

Two measurements in one run, on the same machine and the same emulator
(``vcpu-hotplug-system-aarch64``, this project's QEMU-compatible entry point):

1. **libvirt**: a private libvirtd (``tests/libvirt/daemon.py``) defines and
   starts ``tests/libvirt/domain.xml.in`` (2 of 8 vCPUs); each repetition
   times the wall clock of ``virsh setvcpus DOMAIN 8 --live`` (libvirt
   device_adds vCPUs 2..7, refreshing its vCPU info after each) and of
   ``virsh setvcpus DOMAIN 2 --live`` (device_del of vCPUs 7..2, waiting for
   each ``DEVICE_DELETED``). The figure includes virsh's own start-up and
   connection, so the wall time of a no-op ``virsh vcpucount`` is printed too.
2. **QMP**: the emulator started directly (``-smp 2,maxcpus=8 -qmp
   unix:PATH,server=on,wait=off``), driven by ``qemu.qmp``'s ``QMPClient``:
   ``device_add`` of vCPUs 2..7 (each reply awaited), then ``device_del`` of
   vCPUs 7..2, each followed by its ``DEVICE_DELETED``.

Both paths run the emulator with ``VCPU_HOTPLUG_PACE=instant`` (libvirt passes it with
``<qemu:env>``): the guest answers at once, so the figures are libvirt's and the
emulator's cost, not the guest's realtime latencies (README "Pacing").

After each resize both paths check the guest's own masks with
``x-query-guest-cpus`` (outside the timed part). One warm-up round per path
is not counted. Prints median, min and max per direction and the ratio
libvirt / QMP.

Needs root and libvirt (libvirt-daemon, libvirt-daemon-driver-qemu,
libvirt-clients), as the tests in tests/libvirt do. Run on purpose:
``.venv/bin/python benchmarks/libvirt_setvcpus.py [--reps N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qemu.qmp import EventListener, QMPClient  # noqa: E402

from tests.libvirt.daemon import PrivateLibvirtd, missing_tools  # noqa: E402

LOW, HIGH, MAXCPUS = 2, 8, 8
#: The emulator's pace variable (emulator/main.py PACE_ENV) and libvirt's namespace for passing it.
PACE_ENV = "VCPU_HOTPLUG_PACE"
QEMU_XML_NAMESPACE = "http://libvirt.org/schemas/domain/qemu/1.0"
TIMEOUT_S = 30.0
NAME = "bench"


def emulator_path() -> Path:
    for candidate in (Path(sys.executable).parent / "vcpu-hotplug-system-aarch64",
                      ROOT / ".venv" / "bin" / "vcpu-hotplug-system-aarch64"):
        if candidate.is_file():
            return candidate
    sys.exit("vcpu-hotplug-system-aarch64 not found (make test, or pip install -e .)")


def summary(times: list[float]) -> str:
    return (f"median {statistics.median(times) * 1e3:8.1f} ms   "
            f"min {min(times) * 1e3:8.1f}   max {max(times) * 1e3:8.1f}")


# -- libvirt ------------------------------------------------------------------

def run_libvirt(reps: int, work: Path) -> dict[str, list[float]]:
    (work / "CODE.fd").write_bytes(b"\0" * 4096)
    (work / "VARS.fd").write_bytes(b"\0" * 4096)
    xml = (ROOT / "tests/libvirt/domain.xml.in").read_text()
    for key, value in (("@NAME@", NAME), ("@EMULATOR@", str(emulator_path())),
                       ("@LOADER@", str(work / "CODE.fd")), ("@NVRAM_TEMPLATE@", str(work / "VARS.fd")),
                       ("@NVRAM@", f"/var/lib/libvirt/qemu/nvram/{NAME}_VARS.fd")):
        xml = xml.replace(key, value)
    xml = xml.replace("<domain type='qemu'>",
                      f"<domain type='qemu' xmlns:qemu='{QEMU_XML_NAMESPACE}'>", 1)
    xml = xml.replace("</domain>", f"  <qemu:commandline><qemu:env name='{PACE_ENV}' value='instant'/>"
                                   "</qemu:commandline>\n</domain>", 1)
    (work / "bench.xml").write_text(xml)

    times: dict[str, list[float]] = {"up": [], "down": [], "virsh no-op": []}
    with PrivateLibvirtd() as d:
        def virsh(*args) -> tuple[float, str]:
            t0 = time.perf_counter()
            r = d.virsh(*args, timeout=TIMEOUT_S)  # raises with libvirtd's log tail on failure
            return time.perf_counter() - t0, r.stdout

        def guest_enabled() -> list[int]:
            _, out = virsh("qemu-monitor-command", NAME, '{"execute":"x-query-guest-cpus"}')
            g = json.loads(out)["return"]
            assert g["enabled"] == g["online"], g
            return g["enabled"]

        try:
            virsh("define", work / "bench.xml")
            virsh("start", NAME)
            assert guest_enabled() == list(range(LOW)), "start"
            for rep in range(reps + 1):  # round 0 is the warm-up
                up, _ = virsh("setvcpus", NAME, HIGH, "--live")
                assert guest_enabled() == list(range(HIGH)), "2 -> 8"
                down, _ = virsh("setvcpus", NAME, LOW, "--live")
                assert guest_enabled() == list(range(LOW)), "8 -> 2"
                noop, _ = virsh("vcpucount", NAME)
                if rep:
                    times["up"].append(up)
                    times["down"].append(down)
                    times["virsh no-op"].append(noop)
        except BaseException:
            print(d.log_tail(40), file=sys.stderr)
            print(d.domain_log(NAME)[-3000:], file=sys.stderr)
            raise
    return times


# -- QMP straight to the emulator --------------------------------------------

async def qmp_resize(reps: int, work: Path) -> dict[str, list[float]]:
    sock = work / "qmp.sock"
    log = open(work / "emulator.log", "wb")
    proc = subprocess.Popen(
        [str(emulator_path()), "-machine", "virt,gic-version=3", "-accel", "tcg", "-cpu", "cortex-a57",
         "-m", "512", "-smp", f"{LOW},maxcpus={MAXCPUS}", "-display", "none", "-nodefaults",
         "-qmp", f"unix:{sock},server=on,wait=off"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, PACE_ENV: "instant"})
    times: dict[str, list[float]] = {"up": [], "down": []}
    client = QMPClient("libvirt-setvcpus-bench")
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("emulator did not listen: " + (work / "emulator.log").read_text())
            await asyncio.sleep(0.02)
        await asyncio.wait_for(client.connect(str(sock)), TIMEOUT_S)

        async def guest_enabled() -> list[int]:
            g = await client.execute("x-query-guest-cpus")
            assert g["enabled"] == g["online"], g
            return g["enabled"]

        # Wait for the guest to have booted its 2 vCPUs.
        while await guest_enabled() != list(range(LOW)):
            if time.monotonic() > deadline:
                raise RuntimeError("guest did not boot")
            await asyncio.sleep(0.05)
        slots = {c["props"]["core-id"]: c for c in await client.execute("query-hotpluggable-cpus")}
        extra = list(range(LOW, HIGH))

        deleted = EventListener("DEVICE_DELETED")
        with client.listen(deleted):
            for rep in range(reps + 1):  # round 0 is the warm-up
                t0 = time.perf_counter()
                for i in extra:
                    await asyncio.wait_for(client.execute(
                        "device_add", {"driver": slots[i]["type"], "id": f"vcpu{i}", **slots[i]["props"]}),
                        TIMEOUT_S)
                up = time.perf_counter() - t0
                assert await guest_enabled() == list(range(HIGH)), "2 -> 8"

                t0 = time.perf_counter()
                for i in reversed(extra):
                    await asyncio.wait_for(client.execute("device_del", {"id": f"vcpu{i}"}), TIMEOUT_S)
                    while True:
                        event = await asyncio.wait_for(deleted.get(), TIMEOUT_S)
                        if event["data"].get("device") == f"vcpu{i}":
                            break
                down = time.perf_counter() - t0
                assert await guest_enabled() == list(range(LOW)), "8 -> 2"
                if rep:
                    times["up"].append(up)
                    times["down"].append(down)
        return times
    finally:
        try:
            await asyncio.wait_for(client.disconnect(), 5)
        except Exception:
            pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="timed 2 -> 8 -> 2 rounds per path (default 5)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0 or missing_tools():
        sys.exit(f"needs root and libvirt (missing: {', '.join(missing_tools()) or 'root'})")

    virsh_version = subprocess.run(["virsh", "--version"], capture_output=True, text=True).stdout.strip()
    libvirtd_version = subprocess.run(["libvirtd", "--version"], capture_output=True, text=True).stdout.strip()
    emu_version = subprocess.run([str(emulator_path()), "-version"], capture_output=True, text=True).stdout
    print(f"machine: {platform.machine()}, nproc {os.cpu_count()}, Linux {platform.release()}, "
          f"Python {platform.python_version()}")
    print(f"libvirt: virsh {virsh_version}; {libvirtd_version}")
    print(f"emulator: {emu_version.splitlines()[0] if emu_version else '?'}")
    print(f"resize {LOW} -> {HIGH} -> {LOW} vCPUs (maxcpus {MAXCPUS}), {args.reps} timed rounds + 1 warm-up\n")

    work = Path(tempfile.mkdtemp(prefix="libvirt-bench-"))
    try:
        lv = run_libvirt(args.reps, work)
        qmp = asyncio.run(qmp_resize(args.reps, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = [(f"virsh setvcpus {HIGH} --live", lv["up"]), (f"virsh setvcpus {LOW} --live", lv["down"]),
            ("virsh vcpucount (no-op)", lv["virsh no-op"]),
            (f"QMP device_add x{HIGH - LOW}", qmp["up"]),
            (f"QMP device_del+DELETED x{HIGH - LOW}", qmp["down"])]
    for label, times in rows:
        print(f"{label:34s} {summary(times)}")
    print()
    for direction, label in (("up", f"{LOW} -> {HIGH}"), ("down", f"{HIGH} -> {LOW}")):
        m_lv, m_q = statistics.median(lv[direction]), statistics.median(qmp[direction])
        print(f"{label}: libvirt / QMP = {m_lv / m_q:5.1f}x  (libvirt adds {(m_lv - m_q) * 1e3:.1f} ms, "
              f"of which ~{statistics.median(lv['virsh no-op']) * 1e3:.1f} ms is virsh's start-up and connection)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
