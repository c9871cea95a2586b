#!/usr/bin/env python3
"""Write W/versions.json, the versions make_transcript.py puts in every transcript.

usage: versions.py W [DATE]   (W: the rig's work directory after ../shared/real-linux/setup.sh;
                               DATE: the recording date, default today, UTC)
"""
import datetime
import glob
import json
import os
import subprocess
import sys


def deb(w, pattern):
    path = glob.glob(os.path.join(w, "debs", pattern))[0]
    field = lambda name: subprocess.check_output(["dpkg-deb", "-f", path, name], text=True).strip()  # noqa: E731
    return {"package": field("Package"), "version": field("Version"), "architecture": field("Architecture")}


def main():
    w = sys.argv[1]
    date = sys.argv[2] if len(sys.argv) > 2 else datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    qemu = os.path.join(w, "qemu")
    versions = {
        "recorded_utc": date,
        "kernel": deb(w, "linux-image-*"),
        "qemu": {"repository": "https://github.com/salil-mehta/qemu", "branch": "virt-cpuhp-armv8/rfc-v5",
                 "commit": subprocess.check_output(["git", "-C", qemu, "rev-parse", "HEAD"], text=True).strip(),
                 "version": open(os.path.join(qemu, "VERSION")).read().strip(), "accel": "tcg (MTTCG)"},
        "edk2": deb(w, "qemu-efi-aarch64*"),
        "busybox": deb(w, "busybox-static*"),
    }
    with open(os.path.join(w, "versions.json"), "w") as f:
        json.dump(versions, f, indent=1)
    print(json.dumps(versions))


if __name__ == "__main__":
    main()
