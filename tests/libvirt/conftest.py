"""Fixtures for tests that drive a real, private libvirtd (see daemon.py).

``libvirtd`` gives a freshly started private daemon per test and tears it down
(domains destroyed, processes killed, temp dir removed) afterwards.  When a test
that used it fails, the daemon's log tail is attached to the report.

The daemon needs root, ``libvirtd``/``virsh`` (Debian: libvirt-daemon,
libvirt-daemon-driver-qemu, libvirt-clients) and ``unshare``; without them the
tests skip, or fail when ``CI=true``.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import require
from tests.libvirt.daemon import PrivateLibvirtd, missing_tools


def _require_libvirtd() -> None:
    missing = missing_tools()
    require(not missing, "libvirt (missing: " + ", ".join(missing) + "; apt-get install --no-install-recommends "
            "libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)")
    require(os.geteuid() == 0, "root (a private system libvirtd runs in a mount namespace)")


@pytest.fixture
def libvirtd(request):
    """A running private libvirtd; ``libvirtd.virsh('list', '--all')`` talks to it."""
    _require_libvirtd()
    daemon = PrivateLibvirtd()
    request.node._private_libvirtd = daemon
    with daemon:
        yield daemon


@pytest.fixture
def libvirtd_factory(request):
    """Build private daemons with custom settings: ``libvirtd_factory(qemu_conf_extra=...)`` (not started)."""
    _require_libvirtd()
    made: list[PrivateLibvirtd] = []

    def make(**kwargs) -> PrivateLibvirtd:
        daemon = PrivateLibvirtd(**kwargs)
        made.append(daemon)
        request.node._private_libvirtd = daemon
        return daemon

    yield make
    for daemon in made:
        daemon.cleanup()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    daemon = getattr(item, "_private_libvirtd", None)
    if daemon is not None and report.failed:
        report.sections.append(("libvirtd log", daemon.log_tail(200) or "(empty)"))
