"""``virsh restore`` of a VM saved in the middle of its life, through stock libvirt (private libvirtd).

The domain runs with 3 of 8 vCPUs (one hot-added by ``setvcpus``), its state is saved by QMP
``migrate`` (sent with ``qemu-monitor-command``: what ``virsh save`` has QEMU do; test_virsh_save.py
runs ``virsh save`` itself, with ``getfd``), and the save image is written as libvirt writes one (``src/qemu/qemu_saveimage.h``:
the ``LibvirtQemudSave`` header, the domain XML, then QEMU's stream). ``virsh restore`` then
starts the emulator with ``-incoming defer``, hands it the image as a descriptor
(``migrate-incoming fd:N``) and sends ``cont``: the domain runs again with the same vCPUs, and
libvirt's own vCPU devices (``vcpuN`` ids) keep working: ``setvcpus`` unplugs and plugs after
the restore. A damaged image fails the restore with the emulator's reason in libvirt's error.

libvirt waits for the incoming migration by its ``MIGRATION`` events and needs ``setup`` before
the reply to ``migrate-incoming``, as QEMU sends it (the QMP server sends a command's own events
first: ``CommandContext.emit_event_now``).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path


from tests.libvirt.test_libvirt_e2e import Domain, domain, start  # noqa: F401 (the domain fixture)
from tests.qmp.test_migrate import setup_event_precedes_reply

#: ``virQEMUSaveHeader`` (src/qemu/qemu_saveimage.h, libvirt 9.0): magic, then version, data_len,
#: was_running, compressed, cookieOffset as native uint32, then 14 unused uint32 (92 bytes in all;
#: cookieOffset took the first of the 15 unused words older versions had).
SAVE_MAGIC = b"LibvirtQemudSave"
SAVE_VERSION = 2
SAVE_UNUSED_WORDS = 14
RAW_FORMAT = 0


def save_image(xml: str, stream: bytes, *, was_running: bool = True) -> bytes:
    """A libvirt save image: header, the domain XML (NUL-terminated), the emulator's stream."""
    data = xml.encode() + b"\0"
    header = SAVE_MAGIC + struct.pack(f"=5I{SAVE_UNUSED_WORDS}I", SAVE_VERSION, len(data), int(was_running),
                                      RAW_FORMAT, 0, *([0] * SAVE_UNUSED_WORDS))
    return header + data + stream


def save_through_qmp(dom: Domain, state: Path) -> str:
    """Save the running domain's state to ``state`` with QMP migrate; returns its migratable XML."""
    xml = dom.virsh("dumpxml", "--migratable", dom.name).stdout
    assert dom.qmp("migrate", uri=f"file:{state}") == {}
    info = dom.qmp("query-migrate")
    assert info["status"] == "completed", dom.diag(f"query-migrate {info}")
    assert dom.qmp("query-status")["status"] == "postmigrate", dom.diag("source after migrate")
    dom.wait_state("paused")  # libvirt saw the STOP of migration_stop_vm
    dom.virsh("destroy", dom.name)
    return xml


def test_virsh_restore_brings_back_the_hot_added_vcpus(domain: Domain, tmp_path: Path) -> None:
    # libvirt checks the job right after migrate-incoming's reply and reports "job 'start' is not
    # active" (qemuMigrationJobCheckStatus) unless MIGRATION setup came first, as QEMU sends it.
    assert setup_event_precedes_reply(tmp_path)
    dom = domain
    start(dom)
    dom.setvcpus_live(3)
    dom.expect(3)
    state = tmp_path / "vm.state"
    xml = save_through_qmp(dom, state)
    image = tmp_path / "vm.save"
    image.write_bytes(save_image(xml, state.read_bytes()))

    dom.virsh("restore", image, timeout=60)
    log = dom.daemon.domain_log(dom.name)
    assert "-incoming defer" in log, dom.diag("libvirt's -incoming")
    expect_restored(dom, vcpus=3)


def expect_restored(dom: Domain, vcpus: int) -> None:
    """The restored domain runs with its ``vcpus``, its incoming migration completed, and libvirt's own
    vCPU devices (``vcpuN`` ids, from the saved XML) still unplug and plug."""
    assert dom.state(reason=True) == "running (restored)", dom.diag("after restore")
    dom.expect(vcpus)
    reply = json.loads(dom.virsh("qemu-monitor-command", dom.name, '{"execute": "query-migrate"}').stdout)
    assert reply["return"] == {"status": "completed"}, dom.diag(f"query-migrate {reply}")
    dom.setvcpus_live(vcpus - 1)
    dom.expect(vcpus - 1)
    dom.setvcpus_live(vcpus + 1)
    dom.expect(vcpus + 1)


def test_virsh_restore_of_a_damaged_image_fails_with_the_reason(domain: Domain, tmp_path: Path) -> None:
    dom = domain
    start(dom)
    state = tmp_path / "vm.state"
    xml = save_through_qmp(dom, state)
    stream = bytearray(state.read_bytes())
    stream[-5] ^= 0xFF
    image = tmp_path / "vm.save"
    image.write_bytes(save_image(xml, bytes(stream)))
    result = dom.virsh("restore", image, timeout=60, check=False)
    assert result.returncode != 0, dom.diag("a damaged image was restored")
    said = result.stdout + result.stderr + dom.daemon.domain_log(dom.name)
    assert "load of migration failed" in said and "SHA-256 checksum does not match" in said, dom.diag(said)
    assert dom.name not in dom.virsh("list").stdout, dom.diag("a domain left running")
