"""Smoke test of the private libvirtd harness (runs in CI, which installs libvirt)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def test_private_daemon_answers_and_leaves_nothing(libvirtd):
    r = libvirtd.virsh("uri")
    assert r.stdout.strip() == libvirtd.uri

    # `virsh version` needs a qemu-system-<host arch> for the hypervisor line; the library
    # lines come first either way (no QEMU is installed on purpose).
    r = libvirtd.virsh("version", check=False)
    assert "Using library: libvirt" in r.stdout, r.stdout + r.stderr

    assert libvirtd.virsh("list", "--all").stdout.strip() == ""

    # Private state: the daemon writes under its temp dir, never the host's paths.
    assert (libvirtd.path("/run/libvirt") / "qemu").is_dir()
    assert libvirtd.log_path.exists()
    for fixed in ("/run/libvirt", "/var/lib/libvirt", "/var/cache/libvirt", "/var/log/libvirt"):
        assert not (Path(fixed) / "qemu").exists() or Path(fixed).is_mount(), fixed


def test_restart_keeps_state_and_cleanup_removes_everything(libvirtd_factory):
    daemon = libvirtd_factory()
    with daemon:
        first_pid = daemon.pid
        t = time.monotonic()
        daemon.restart()
        assert time.monotonic() - t < 10
        assert daemon.pid != first_pid
        assert daemon.virsh("uri").stdout.strip() == daemon.uri
        assert daemon.namespaces  # a namespace number may be reused once nothing holds the old one
        root = daemon.root
    assert not root.exists()
    assert daemon.namespace_pids() == []
    assert not daemon.running
    assert first_pid is not None and not os.path.exists(f"/proc/{first_pid}/ns")
