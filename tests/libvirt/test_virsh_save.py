"""``virsh save`` and ``virsh restore`` through stock libvirt (private libvirtd), both ways for real.

``virsh save`` (libvirt 9.0 ``qemuMigrationSrcToFile`` -> ``qemuMonitorMigrateToFd``) stops the
domain, writes the save image's header and XML itself, then sends the emulator the file's
descriptor over the monitor socket (``SCM_RIGHTS``) with ``getfd {"fdname": "migrate"}`` and asks
for ``migrate {"uri": "fd:migrate"}``; it waits for the ``MIGRATION`` events and ``query-migrate``
to say ``completed`` and kills the emulator: the domain is "shut off (saved)". With
``save_image_format = "gzip"`` in qemu.conf the descriptor is a pipe into ``gzip``, and
``virsh restore`` reads the image back through ``gzip -dc`` (a pipe again, ``migrate-incoming
fd:N``). Each test saves a domain with a hot-added vCPU (3 of 8) and checks, after the restore, the
vCPUs libvirt and the guest see and that libvirt's vCPU devices still unplug and plug;
``virsh managedsave`` + ``virsh start`` take the same path.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

from tests.libvirt.test_libvirt_e2e import Domain, domain, start  # noqa: F401 (the domain fixture)
from tests.libvirt.test_virsh_restore import SAVE_MAGIC, SAVE_VERSION, expect_restored

#: ``virQEMUSaveFormat`` (src/qemu/qemu_saveimage.h): the header's ``compressed`` word.
RAW_FORMAT, GZIP_FORMAT = 0, 1
#: A command in libvirtd's debug log (``qemuMonitorSend``: ``QEMU_MONITOR_SEND_MSG: mon=0x...
#: msg={...}`` and, on the next line, `` fd=N``, the descriptor sent with it or -1).
SENT = re.compile(r"QEMU_MONITOR_SEND_MSG: mon=\S+ msg=(\{.*?\})\r?\n fd=(-?\d+)")


def header(image: Path) -> tuple[int, int, int, int]:
    """version, data_len, was_running, compressed of a libvirt save image."""
    raw = image.read_bytes()[:len(SAVE_MAGIC) + 16]
    assert raw[:len(SAVE_MAGIC)] == SAVE_MAGIC, raw
    return struct.unpack("=4I", raw[len(SAVE_MAGIC):])


def save_and_restore(dom: Domain, image: Path, *, fmt: int) -> None:
    """Save the running domain (3 vCPUs), check the image and the saved state, restore it."""
    dom.virsh("save", dom.name, image, timeout=60)
    assert dom.state(reason=True) == "shut off (saved)", dom.diag("after save")
    version, xml_len, was_running, compressed = header(image)
    assert (version, was_running, compressed) == (SAVE_VERSION, 1, fmt), dom.diag(f"header {header(image)}")
    assert xml_len > 0 and image.stat().st_size > 92 + xml_len, dom.diag(f"image of {image.stat().st_size} bytes")

    dom.virsh("restore", image, timeout=60)
    expect_restored(dom, vcpus=3)


def test_virsh_save_then_restore_keeps_the_hot_added_vcpu(domain: Domain, tmp_path: Path) -> None:
    dom = domain
    start(dom)
    dom.setvcpus_live(3)
    dom.expect(3)
    save_and_restore(dom, tmp_path / "vm.save", fmt=RAW_FORMAT)
    # The restored domain saves again: virsh managedsave (the same getfd + migrate fd:migrate, to
    # libvirt's own file), and virsh start restores it.
    dom.setvcpus_live(3)
    dom.expect(3)
    dom.virsh("managedsave", dom.name, timeout=60)
    assert dom.state(reason=True) == "shut off (saved)", dom.diag("after managedsave")
    assert re.search(r"Managed save:\s+yes", dom.virsh("dominfo", dom.name).stdout), dom.diag("dominfo")
    dom.virsh("start", dom.name, timeout=60)
    assert dom.state(reason=True) == "running (restored)", dom.diag("start after managedsave")
    dom.expect(3)


def test_virsh_save_compressed_hands_over_a_pipe_with_getfd(libvirtd_factory, tmp_path: Path) -> None:
    daemon = libvirtd_factory(qemu_conf_extra='save_image_format = "gzip"\n', log_level=1)
    with daemon:
        dom = Domain(daemon, "e2e-save-gzip", tmp_path)
        dom.virsh("define", dom.xml_path, timeout=60)
        start(dom)
        dom.setvcpus_live(3)
        dom.expect(3)
        save_and_restore(dom, tmp_path / "vm.save", fmt=GZIP_FORMAT)

        sent = [(json.loads(msg), int(fd)) for msg, fd in SENT.findall(daemon.log_path.read_text())]
        commands = [(m["execute"], m.get("arguments"), fd) for m, fd in sent]
        getfd = [c for c in commands if c[0] == "getfd"]
        assert len(getfd) == 1 and getfd[0][1] == {"fdname": "migrate"} and getfd[0][2] >= 0, \
            dom.diag(f"getfd sent: {getfd}")
        names = [c[0] for c in commands]
        at = names.index("getfd")
        assert names[at + 1] == "migrate" and commands[at + 1][1]["uri"] == "fd:migrate", \
            dom.diag(f"after getfd: {commands[at:at + 3]}")
        assert "closefd" not in names, dom.diag("libvirt closed the descriptor: its migrate failed")
        assert not {"add-fd", "query-fdsets"} & set(names), dom.diag("libvirt used fd sets")
        # The restore hands the gunzip pipe over as an inherited descriptor instead.
        incoming = [c[1] for c in commands if c[0] == "migrate-incoming"]
        assert len(incoming) == 1 and re.fullmatch(r"fd:\d+", incoming[0]["uri"]), dom.diag(f"{incoming}")
