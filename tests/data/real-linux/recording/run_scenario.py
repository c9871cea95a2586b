#!/usr/bin/env python3
"""Boot a real arm64 kernel under QEMU (TCG), hot-add a vCPU over QMP, let
the guest online it, then device_del it; record everything.

usage: run_scenario.py --qemu BIN --bios QEMU_EFI.fd --kernel VMLINUZ
                       --initrd INITRD --out DIR [--smp cpus=2,maxcpus=4]
                       [--core 2] [--boot-timeout 600] [--append EXTRA]
Writes DIR/{cmdline.txt,orchestrator.log,serial.log,qemu.stderr}.
Guest markers (guest-init.sh): READY-FOR-HOTPLUG, STAGE3-DONE.
"""
import argparse, json, os, queue, socket, subprocess, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--qemu", required=True); ap.add_argument("--bios", required=True)
ap.add_argument("--kernel", required=True); ap.add_argument("--initrd", required=True)
ap.add_argument("--out", required=True); ap.add_argument("--smp", default="cpus=2,maxcpus=4")
ap.add_argument("--core", default="2", help="core-id(s) to hot-add, comma separated (added back to back); "
                "socket-id:core-id where -smp has sockets")
ap.add_argument("--replug", action="store_true", help="after the unplug, device_add the same core(s) again and wait for the guest")
ap.add_argument("--boot-timeout", type=int, default=600)
ap.add_argument("--append", default="")
ap.add_argument("--no-unplug", action="store_true")
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
QMP = os.path.join(a.out, "qmp.sock"); SER = os.path.join(a.out, "serial.log")
for p in (QMP, SER):
    if os.path.exists(p): os.unlink(p)
append = ("console=ttyAMA0 earlycon=pl011,mmio32,0x9000000 acpi=force rdinit=/init "
          "loglevel=8 panic=1 " + a.append).strip()
argv = [a.qemu, "-machine", "virt,gic-version=3", "-accel", "tcg", "-cpu", "cortex-a57",
        "-m", "1G", "-smp", a.smp, "-bios", a.bios, "-kernel", a.kernel, "-initrd", a.initrd,
        "-append", append, "-nodefaults", "-display", "none", "-monitor", "none",
        "-no-reboot", "-serial", "file:" + SER, "-qmp", "unix:%s,server=on,wait=off" % QMP]
open(os.path.join(a.out, "cmdline.txt"), "w").write(" ".join(
    "'%s'" % x if " " in x else x for x in argv) + "\n")
logf = open(os.path.join(a.out, "orchestrator.log"), "w")
T0 = time.time()
def log(*x):
    s = "[%9.3f] %s" % (time.time() - T0, " ".join(str(y) for y in x))
    logf.write(s + "\n"); logf.flush(); print(s, flush=True)
log("CMD", " ".join(argv))
log("T0 epoch %.6f" % T0)
# every QMP message in arrival order, with host epoch times (finer than the log's):
# {"t_send", "t_reply", "execute"/"arguments", "reply"} or {"t_recv", "event"...}
qmpl = open(os.path.join(a.out, "qmp.jsonl"), "w")
qmp_lock = threading.Lock()
def qmp_record(obj):
    with qmp_lock:
        qmpl.write(json.dumps(obj) + "\n"); qmpl.flush()
p = subprocess.Popen(argv, stdout=open(os.path.join(a.out, "qemu.stdout"), "w"),
                     stderr=open(os.path.join(a.out, "qemu.stderr"), "w"))
log("qemu pid", p.pid)
for _ in range(200):
    if os.path.exists(QMP): break
    time.sleep(0.1)
s = socket.socket(socket.AF_UNIX); s.connect(QMP); f = s.makefile("rw")
replies = queue.Queue(); events = []
def reader():
    try:
        for line in f:
            r = json.loads(line)
            if "event" in r:
                qmp_record({"t_recv": time.time(), "message": r})
                events.append(r); log("EVENT", json.dumps(r))
            else:
                qmp_record({"t_recv": time.time(), "message": r})
                replies.put(r)
    except (OSError, ValueError):
        pass
log("greeting", f.readline().strip())
threading.Thread(target=reader, daemon=True).start()
def qmp(cmd, **args):
    msg = {"execute": cmd}
    if args: msg["arguments"] = args
    t_send = time.time()
    try:
        f.write(json.dumps(msg) + "\n"); f.flush()
        r = replies.get(timeout=60)
    except (OSError, queue.Empty) as e:
        r = {"error": {"class": "rig", "desc": "no answer: %r; qemu returncode=%r" % (e, p.poll())}}
    qmp_record({"t_send": t_send, "t_reply": time.time(), "command": msg, "reply": r})
    log("QMP", json.dumps(msg), "->", json.dumps(r)); return r
def serial():
    return open(SER, errors="replace").read() if os.path.exists(SER) else ""
def wait_serial(marker, timeout):
    t = time.time()
    while time.time() - t < timeout:
        if marker in serial(): return True
        if p.poll() is not None: return False
        time.sleep(1)
    return False
def wait_event(name, timeout):
    t = time.time()
    while time.time() - t < timeout:
        if any(e["event"] == name for e in events): return True
        time.sleep(1)
    return False
qmp("qmp_capabilities")
hp = qmp("query-hotpluggable-cpus"); qmp("query-cpus-fast")
ok = wait_serial("READY-FOR-HOTPLUG", a.boot_timeout)
log("ready marker:", ok, "(boot took %.1fs)" % (time.time() - T0))
result = {"ready": ok, "boot_s": round(time.time() - T0, 1)}
def wait_deleted(n, timeout):
    t = time.time()
    while time.time() - t < timeout:
        if sum(e["event"] == "DEVICE_DELETED" for e in events) >= n: return True
        time.sleep(1)
    return False
def slot_matches(props, spec):
    """spec: a core-id ("2"), or socket-id:core-id ("1:0") for -smp shapes with sockets"""
    if ":" in spec:
        socket, core = (int(x) for x in spec.split(":"))
        return props.get("socket-id") == socket and props.get("core-id") == core
    return props.get("core-id") == int(spec)
def dev_id(spec):
    return "cpu" + spec.replace(":", "-")
def plug(cores, tag):
    for core in cores:
        slot = [c for c in hp["return"] if slot_matches(c["props"], core)]
        if not slot:
            log("no slot with core-id", core); continue
        args = dict(slot[0]["props"]); args.pop("node-id", None)
        result.setdefault("device_add" + tag, []).append(
            qmp("device_add", driver=slot[0]["type"], id=dev_id(core), **args))
    qmp("query-cpus-fast")
if ok:
    cores = a.core.split(",")
    t1 = time.time()
    plug(cores, "")
    done = wait_serial("STAGE3-DONE", 300)
    log("done marker:", done, "(%.1fs after device_add)" % (time.time() - t1))
    result["stage3_done"] = done
    if done and not a.no_unplug:
        t2 = time.time()
        for core in cores:
            result.setdefault("device_del", []).append(qmp("device_del", id=dev_id(core)))
        deleted = wait_deleted(len(cores), 60)
        log("DEVICE_DELETED x%d seen:" % len(cores), deleted, "(%.1fs after device_del)" % (time.time() - t2))
        result["device_deleted"] = deleted
        time.sleep(8)   # let the guest print its state change
        qmp("query-hotpluggable-cpus"); qmp("query-cpus-fast")
        if a.replug and deleted:
            n0 = open(SER, errors="replace").read().count("=== STATE-CHANGE ===")
            plug(cores, "_replug")
            t3 = time.time()
            while time.time() - t3 < 60:
                if open(SER, errors="replace").read().count("=== STATE-CHANGE ===") > n0: break
                time.sleep(1)
            time.sleep(6)
            qmp("query-cpus-fast")
result["ost_events"] = [e["data"]["info"] for e in events if e["event"] == "ACPI_DEVICE_OST"]
if p.poll() is None:
    qmp("quit")
else:
    log("QEMU ALREADY EXITED with returncode", p.returncode, "(negative = killed by that signal)")
try:
    p.wait(timeout=30)
except subprocess.TimeoutExpired:
    p.kill(); p.wait()
log("qemu exit", p.returncode)
result["qemu_rc"] = p.returncode; result["wall_s"] = round(time.time() - T0, 1)
json.dump(result, open(os.path.join(a.out, "result.json"), "w"), indent=1)
log("RESULT", json.dumps(result))
