#!/usr/bin/env python3
"""Trim one recorded real-Linux run into the transcript JSON committed under tests/data/real-linux/.

usage: make_transcript.py RUN_DIR SCENARIO VARIANT|qemu TABLES_DIR VERSIONS_JSON OUT_JSON

RUN_DIR       what run_scenario.py wrote: cmdline.txt, orchestrator.log, qmp.jsonl, serial.log, result.json
VARIANT       the table variant fed through the initrd table upgrade (patch_variants.py), or ``qemu``
              for QEMU's own tables (no upgrade)
TABLES_DIR    the APIC/PPTT Linux should have used (the overlay's kernel/firmware/acpi/ or QEMU's dump),
              compared with the bytes the guest printed from /sys/firmware/acpi/tables
VERSIONS_JSON the versions of kernel, QEMU, edk2 and busybox (written when recording; see README.md)

The schema is in tests/data/real-linux/README.md.
"""
import json
import os
import re
import sys

SCHEMA = 1
# kernel log lines kept: CPUs, ACPI processor devices and tables, PSCI, the GIC (as guest-init.sh's KEY),
# plus anything that reports a failure
KEEP = re.compile(r"(?i:acpi|cpu|gic|lpi|psci|smp|hotplug|ged|override|upgrade|taint|mpidr|madt|pptt|processor"
                  r"|redistributor|eject|WARNING|BUG|Oops|Call trace|failed|error)|ITS")
# ...but not the PCI host bridge's (they match "acpi"/"hotplug" and say nothing about CPUs)
SKIP = re.compile(r"PCI|PNP0A08|pnp:|ECAM|Remapped I/O")
OOPS_START = re.compile(r"\] (Unable to handle kernel|Internal error: |------------\[ cut here \]|Kernel panic)")
OOPS_END = re.compile(r"^Rebooting in|^---\[ end trace")
OOPS_KEEP = re.compile(r"^(Unable to handle|Internal error|WARNING|CPU: \d|pc : |lr : |Call trace:|\s+\S+\+0x"
                       r"|---\[ end trace|Kernel panic|Rebooting)")
DMESG = re.compile(r"^\[\s*(\d+\.\d+)\] (.*)$")
RIG_PATH = re.compile(r"/work/rig/")


def parse_serial(text):
    """(uname, steps, log, actions, tables) from the guest's serial output (guest-init.sh)."""
    steps, log, actions, tables = [], [], [], {}
    uname = None
    cur = None
    in_oops = False
    lines = text.replace("\r", "").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("Linux ") and uname is None and "aarch64" in line:
            uname = line.strip()
        m = re.match(r"^--- /sys/firmware/acpi/tables/(APIC|PPTT)$", line)
        if m:
            hexes = []
            i += 1
            while i < len(lines) and re.match(r"^( [0-9a-f]{2})+$", lines[i]):
                hexes.append(lines[i]); i += 1
            tables[m.group(1)] = bytes.fromhex(" ".join(hexes).replace(" ", ""))
            continue
        m = re.match(r"^=== (.+) ===$", line)
        if m:
            cur = {"step": m.group(1), "masks": {}, "cpus": {}, "acpi_processors": []}
            steps.append(cur)
        elif line.startswith("MASKS:") and cur is not None:
            for kv in line[6:].split():
                k, v = kv.split("=", 1)
                cur["masks"][k] = v
        elif line.startswith("cpu dirs:") and cur is not None:
            cur["cpu_dirs"] = line.split(":", 1)[1].split()
        elif re.match(r"^  cpu\d+: online=", line) and cur is not None:
            name, val = line.strip().split(": online=")
            cur["cpus"][name] = val
        elif line.startswith("  ACPI0007:") and cur is not None:
            dev, rest = line.strip().split(": ", 1)
            entry = {"device": dev}
            for kv in re.findall(r"(\w+)=(\S*)", rest):
                entry[kv[0]] = kv[1]
            cur["acpi_processors"].append(entry)
        elif line.startswith(("ONLINE-", "PRE-ONLINE-", "HOTADD-")):
            actions.append({"after_step": len(steps) - 1, "text": line.strip()})
        elif DMESG.match(line) and (in_oops or OOPS_START.search(line)):
            # an oops: its headline, the faulting function, the call trace and the panic; not the
            # register, abort-syndrome and page-table dumps
            m = DMESG.match(line)
            in_oops = not OOPS_END.search(m.group(2))
            if OOPS_KEEP.search(m.group(2)):
                log.append({"t": float(m.group(1)), "after_step": len(steps) - 1, "text": m.group(2)})
        elif DMESG.match(line):
            # the kernel's own console output (loglevel=8: every message, as it happens); the guest's
            # BOOTLOG/DMESG copies of the same lines are filtered by guest-init.sh and not used
            m = DMESG.match(line)
            if KEEP.search(m.group(2)) and not SKIP.search(m.group(2)):
                log.append({"t": float(m.group(1)), "after_step": len(steps) - 1, "text": m.group(2)})
        i += 1
    return uname, steps, log, actions, tables


def qmp_timeline(run_dir):
    t0 = None
    for line in open(os.path.join(run_dir, "orchestrator.log")):
        m = re.search(r"T0 epoch (\d+\.\d+)", line)
        if m:
            t0 = float(m.group(1)); break
    recs = [json.loads(x) for x in open(os.path.join(run_dir, "qmp.jsonl"))]
    out = []
    for r in recs:
        if "command" in r:
            out.append((r["t_send"], 0, {"send": r["command"]}))
        else:
            msg = r["message"]
            if "event" in msg:
                ts = msg.get("timestamp", {})
                qt = ts.get("seconds", 0) + ts.get("microseconds", 0) / 1e6
                out.append((r["t_recv"], 2, {"event": msg["event"], "data": msg.get("data"), "qemu_t": qt}))
            else:
                out.append((r["t_recv"], 1, {"reply": msg}))
    out.sort(key=lambda x: (x[0], x[1]))
    timeline, last_cmd, pending = [], None, []
    for t, kind, e in out:
        e = dict(e)
        e["t"] = round(t - t0, 4)
        if "send" in e:
            last_cmd = (e["send"]["execute"], t)
            pending.append(e["send"]["execute"])
        elif "reply" in e:
            e["to"] = pending.pop(0) if pending else None
        else:
            qt = e.pop("qemu_t")
            e["qemu_t"] = round(qt - t0, 4)
            if last_cmd:
                e["after"] = {"command": last_cmd[0], "ms": round((qt - last_cmd[1]) * 1000, 1)}
        timeline.append(e)
    return t0, timeline


def timing(timeline):
    """device_add -> its ACPI_DEVICE_OST; device_del -> its OSTs and DEVICE_DELETED (ms, QEMU's event clock).

    An event belongs to the command when it names the same device (or, for the last OST of an eject,
    which QEMU sends after the device is gone, the same slot) and comes before the next
    device_add/device_del of that device; the OST's source must be the command's (1 insert, 3 eject).
    """
    out, slot_of = [], {}
    for e in timeline:       # the slot (CPU index) of each device, from the OSTs that name both
        info = (e.get("data") or {}).get("info", {}) if e.get("event") == "ACPI_DEVICE_OST" else {}
        if "device" in info:
            slot_of.setdefault(info["device"], info.get("slot"))
    for k, e in enumerate(timeline):
        if "send" not in e or e["send"]["execute"] not in ("device_add", "device_del"):
            continue
        cmd = e["send"]["execute"]
        args = e["send"].get("arguments", {})
        dev = args.get("id")
        row = {"command": cmd, "device": dev, "t": e["t"]}
        for f in timeline[k + 1:]:
            if "send" in f and f["send"]["execute"] in ("device_add", "device_del") \
                    and f["send"].get("arguments", {}).get("id") == dev:
                break
            if "event" not in f:
                continue
            data = f.get("data") or {}
            if f["event"] == "ACPI_DEVICE_OST":
                info = data.get("info", {})
                mine = info.get("device") == dev or ("device" not in info and info.get("slot") == slot_of.get(dev))
                if not mine or info.get("source") != (1 if cmd == "device_add" else 3):
                    continue
                key = "ost_ms" if cmd == "device_add" else "ost_%#x_ms" % info.get("status", 0)
            elif f["event"] == "DEVICE_DELETED" and cmd == "device_del" and data.get("device") == dev:
                key = "device_deleted_ms"
            else:
                continue
            row.setdefault(key, round((f["qemu_t"] - e["t"]) * 1000, 1))
        out.append(row)
    return out


def main():
    run_dir, scenario, variant, tables_dir, versions_json, out = sys.argv[1:]
    ser = open(os.path.join(run_dir, "serial.log"), errors="replace").read()
    uname, steps, log, actions, seen = parse_serial(ser)
    t0, qmp = qmp_timeline(run_dir)
    argv = open(os.path.join(run_dir, "cmdline.txt")).read().strip()
    res = json.load(open(os.path.join(run_dir, "result.json")))
    versions = json.load(open(versions_json))
    versions["uname"] = uname
    match = {}
    for sig in ("APIC", "PPTT"):
        for n in (sig, sig + ".aml", sig + ".dat"):
            p = os.path.join(tables_dir, n)
            if os.path.exists(p):
                match[sig] = (open(p, "rb").read() == seen.get(sig))
                break
    tables = {"variant": variant,
              "source": "QEMU RFC V5's own tables (no upgrade)" if variant == "qemu" else
              "the project's tables (vcpu-hotplug tables emit --smp cpus=2,maxcpus=4) as initrd table "
              "upgrades of QEMU's APIC, PPTT and DSDT (recording/patch_variants.py)",
              "in_guest_apic_pptt_identical": match}
    if variant != "qemu":
        tables["files"] = "tables/%s/" % variant
        tables["changes"] = open(os.path.join(tables_dir, "..", "..", "..", "CHANGES.txt")).read().splitlines()
    smp = re.search(r"-smp (\S+)", argv).group(1)
    cmd = RIG_PATH.sub("<rig>/", argv)
    kernel_cmdline = re.search(r"-append '([^']*)'", argv).group(1)
    cores = re.findall(r'"core-id": (\d+)', json.dumps([e["send"] for e in qmp if "send" in e
                                                            and e["send"]["execute"] == "device_add"]))
    tr = {"schema": SCHEMA, "scenario": scenario, "recorded_utc": versions.pop("recorded_utc"),
          "versions": versions, "command_line": cmd, "kernel_cmdline": kernel_cmdline, "smp": smp,
          "cpu_type": "cortex-a57-arm-cpu", "tables": tables,
          "flow": {"device_add_cores": sorted(set(int(c) for c in cores)),
                   "replug": "device_add_replug" in res,
                   "guest": "busybox /init (recording/guest-init.sh): no udev; onlines with echo 1 > cpuN/online"},
          "result": {k: v for k, v in res.items() if k in ("ready", "boot_s", "stage3_done", "device_deleted",
                                                             "qemu_rc", "wall_s")},
          "steps": steps, "guest_actions": actions, "kernel_log": log, "qmp": qmp, "timing": timing(qmp)}
    if "Kernel panic" in ser:
        tr["panic"] = ser[ser.index("Kernel panic"):][:400]
    with open(out, "w") as f:
        json.dump(tr, f, indent=1)
        f.write("\n")
    print("%s: %d steps, %d log lines, %d qmp entries, tables match %s, %d bytes"
          % (scenario, len(steps), len(log), len(qmp), match, os.path.getsize(out)))


if __name__ == "__main__":
    main()
