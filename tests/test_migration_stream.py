"""The saved-VM stream: refused with a clear error when it is not ours, from another version or build,
truncated or corrupt; and a hostile payload cannot run code.

Each error names the source (the file, the exec command) and what is wrong, before anything is
applied to the destination.
"""

from __future__ import annotations

import ast
import hashlib
import json
import pickle
import re
from pathlib import Path

import pytest

from vcpu_hotplug import __version__
from vcpu_hotplug.migration import stream
from vcpu_hotplug.migration.errors import PayloadError, StreamError
from vcpu_hotplug.migration.state_codec import (HOST_MODULES, SIMULATION_MODULES, SIMULATION_PACKAGES,
                                                code_fingerprint)
from vcpu_hotplug.migration.vm_state import load_system, save_system
from vcpu_hotplug.system import System

SRC = Path(__file__).resolve().parent.parent / "src"
SOURCE = "file '/tmp/vm.state'"


@pytest.fixture(scope="module")
def saved() -> bytes:
    system = System.build("cpus=2,maxcpus=4")
    system.machine.enable(2)  # mid hot-add: the GED interrupt is pending
    return stream.encode({"machine": {"smp": "x"}}, save_system(system))


def _header(data: bytes) -> tuple[dict, bytes]:
    end = data.index(b"\n", len(stream.MAGIC))
    return json.loads(data[len(stream.MAGIC):end]), data[end + 1:]


def _with_header(header: dict, payload: bytes) -> bytes:
    return stream.MAGIC + json.dumps(header).encode() + b"\n" + payload


def test_a_good_stream_decodes_and_restores_the_vm_mid_hot_add(saved: bytes) -> None:
    decoded = stream.decode(saved, SOURCE)
    assert decoded.version == __version__ and decoded.format == stream.STREAM_FORMAT
    system = load_system(decoded.payload)
    system.run_until_idle()
    assert system.guest_view().online == {0, 1, 2}


@pytest.mark.parametrize("cut", [0, 5, len(stream.MAGIC) + 10, -1, -1000])
def test_a_truncated_stream_says_so_and_where(saved: bytes, cut: int) -> None:
    data = saved[:cut] if cut > 0 else saved[:len(saved) + cut] if cut < 0 else b""
    with pytest.raises(StreamError) as caught:
        stream.decode(data, SOURCE)
    text = str(caught.value)
    assert text.startswith(SOURCE + ":")
    assert ("truncated" in text) or ("empty" in text)
    if cut < 0:
        header, payload = _header(saved)
        assert f"announces {header['payload-bytes']} payload bytes, only {len(payload) + cut} follow" in text


def test_a_flipped_payload_byte_fails_the_checksum(saved: bytes) -> None:
    damaged = bytearray(saved)
    damaged[-100] ^= 0x40
    with pytest.raises(StreamError, match=r"corrupt: its SHA-256 checksum does not match"):
        stream.decode(bytes(damaged), SOURCE)


def test_a_changed_vm_section_fails_the_checksum_too(saved: bytes) -> None:
    header, payload = _header(saved)
    header["vm"]["machine"]["smp"] = "cpus=8"
    with pytest.raises(StreamError, match="checksum does not match"):
        stream.decode(_with_header(header, payload), SOURCE)


def test_bytes_after_the_payload_are_damage(saved: bytes) -> None:
    with pytest.raises(StreamError, match="3 bytes follow the .*-byte payload"):
        stream.decode(saved + b"xyz", SOURCE)


def test_another_version_is_refused_naming_both(saved: bytes) -> None:
    header, payload = _header(saved)
    header["version"] = "0.0.1"
    with pytest.raises(StreamError) as caught:
        stream.decode(_with_header(header, payload), SOURCE)
    assert str(caught.value) == (
        f"{SOURCE}: saved by vcpu-hotplug 0.0.1 (stream format {stream.STREAM_FORMAT}); this is "
        f"vcpu-hotplug {__version__} (stream format {stream.STREAM_FORMAT}), which cannot load it: "
        "restore it with the version that saved it")


def test_another_stream_format_is_refused(saved: bytes) -> None:
    header, payload = _header(saved)
    header["format"] = stream.STREAM_FORMAT + 1
    with pytest.raises(StreamError, match=f"stream format {stream.STREAM_FORMAT + 1}"):
        stream.decode(_with_header(header, payload), SOURCE)


def test_another_build_of_the_same_version_is_refused(saved: bytes) -> None:
    header, payload = _header(saved)
    header["build"] = "0" * 64
    with pytest.raises(StreamError, match=r"another build of vcpu-hotplug .* \(code fingerprint 000000000000"):
        stream.decode(_with_header(header, payload), SOURCE)


@pytest.mark.parametrize("data, says", [
    (b"QFI\xfb\x00\x00\x00\x03", "not a saved vcpu-hotplug VM"),    # QEMU's own stream magic
    (stream.MAGIC + b"{not json\n", "header is damaged (not JSON"),
    (stream.MAGIC + b"[1, 2]\n", "header is damaged (not a JSON object)"),
    (stream.MAGIC + b'{"format": 1}\n', "header is damaged (no version, build, payload-bytes, sha256, vm)"),
])
def test_not_a_stream_of_ours(data: bytes, says: str) -> None:
    with pytest.raises(StreamError) as caught:
        stream.decode(data, SOURCE)
    assert says in str(caught.value) and str(caught.value).startswith(SOURCE)


# ---------------------------------------------------------------- hostile payloads

class _Reduce:
    """Pickles as a call of ``func(*args)``: what a hostile file would contain."""

    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple:
        return (self.func, self.args)


def _hostile_stream(payload: bytes) -> bytes:
    """A well-formed stream (right version, build and checksum) around a hostile payload."""
    vm: dict = {}
    digest = hashlib.sha256(json.dumps(vm, sort_keys=True, separators=(",", ":")).encode() + b"\0" +
                            payload).hexdigest()
    header = {"format": stream.STREAM_FORMAT, "version": __version__, "build": code_fingerprint(),
              "payload-bytes": len(payload), "sha256": digest, "vm": vm}
    return _with_header(header, payload)


@pytest.mark.parametrize("payload, names", [
    (pickle.dumps(_Reduce(__import__("os").system, "touch /tmp/pwned")), "posix.system"),
    (pickle.dumps(_Reduce(eval, "1+1")), "builtins.eval"),
    (pickle.dumps(_Reduce(getattr, System, "__init__")), "builtins.getattr"),
    (b"\x80\x04csubprocess\ncall\n.", "subprocess.call"),
    (b"\x80\x04cvcpu_hotplug.cli.run\nRunError\n.", "vcpu_hotplug.cli.run.RunError"),
    (b"\x80\x04cvcpu_hotplug.acpi.tableio\nread_tables\n.", "vcpu_hotplug.acpi.tableio.read_tables"),
    (b"\x80\x04cvcpu_hotplug.system\nSystem.__init__.__globals__\n.", "not a public definition"),
    (b"\x80\x04coperator\nattrgetter\n.", "operator.attrgetter"),
])
def test_a_hostile_payload_is_refused_before_anything_runs(payload: bytes, names: str, tmp_path: Path) -> None:
    decoded = stream.decode(_hostile_stream(payload), SOURCE)  # checksum right: only the codec stands
    with pytest.raises(PayloadError) as caught:
        load_system(decoded.payload)
    assert names in str(caught.value)
    assert not Path("/tmp/pwned").exists()


def test_a_bound_method_is_rebuilt_only_for_methods_simulation_code_defines() -> None:
    from vcpu_hotplug.migration.state_codec import bound_method, rebuild_function
    from vcpu_hotplug.hw.clock import SimClock
    clock = SimClock()
    assert bound_method(clock, "now_ns")() == 0
    for name in ("__class__", "__init_subclass__", "__reduce_ex__", "_queue", "no_such"):
        with pytest.raises(PayloadError):
            bound_method(clock, name)
    with pytest.raises(PayloadError, match="not simulation code"):
        rebuild_function("os", "system", 1, (1, 0), None, None, 0)
    with pytest.raises(PayloadError, match="no function"):
        rebuild_function("vcpu_hotplug.system", "nothing", 1, (1, 0), None, None, 0)


def test_garbage_payload_is_a_payload_error_not_a_crash() -> None:
    for garbage in (b"", b"\x80\x05garbage", pickle.dumps([1, 2, 3]), pickle.dumps({"system": {}})):
        with pytest.raises(PayloadError):
            load_system(garbage)


def test_a_host_callback_left_on_the_vm_is_refused_at_save_not_carried() -> None:
    system = System.build("cpus=1,maxcpus=2")
    system.machine.psci.on_cpu_off.append(print)          # a host builtin on a simulation hook
    with pytest.raises(PayloadError, match="builtin"):
        save_system(system)
    system.machine.psci.on_cpu_off[-1] = lambda *a: None  # a closure of this test module
    with pytest.raises(PayloadError, match="not simulation code"):
        save_system(system)


def test_host_attachments_are_stripped_and_the_destinations_kept() -> None:
    """Observers, trace listeners and host faults are the destination's, not the source's."""
    source = System.build("cpus=1,maxcpus=3")
    seen: list = []
    source.machine.observers.device_deleted.append(seen.append)   # a host callback: not state
    source.trace.subscribe(seen.append)
    payload = save_system(source)
    destination = System.build("cpus=1,maxcpus=3", boot=False)
    mine: list = []
    destination.machine.observers.ost.append(mine.append)
    restored = load_system(payload, into=destination)
    assert restored is destination
    assert restored.machine.observers.ost == [mine.append] and restored.machine.observers.device_deleted == []
    restored.enable(2)
    assert mine and not seen


# ---------------------------------------------------------------- what the unpickler admits

HOST_IMPORTS = ("subprocess", "socket", "shutil", "pathlib", "ctypes", "importlib", "pickle", "marshal",
                "multiprocessing", "threading", "asyncio", "urllib", "http")
HOST_CALLS = frozenset({"open", "eval", "exec", "__import__", "compile", "breakpoint", "input"})


def _admitted_sources() -> list[Path]:
    root = SRC / "vcpu_hotplug"
    out = []
    for path in sorted(root.rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        if name in HOST_MODULES:
            continue
        if name in SIMULATION_MODULES or any(name == p or name.startswith(p + ".") for p in SIMULATION_PACKAGES):
            out.append(path)
    return out


def test_the_code_a_payload_may_name_never_touches_the_host() -> None:
    """Admitted modules import nothing that reaches files, processes or sockets, and call no
    open/eval/exec: the worst a hostile payload can do is simulate (``os`` only for ``strerror``)."""
    sources = _admitted_sources()
    assert len(sources) > 50
    for path in sources:
        text = path.read_text()
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for name in names:
                    top = name.split(".")[0]
                    assert top not in HOST_IMPORTS, f"{path}: imports {name}"
                    if top == "os":
                        uses = set(re.findall(r"\bos\.(\w+)", text))
                        assert uses <= {"strerror", "PathLike"}, f"{path}: uses os.{uses}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in HOST_CALLS, f"{path}:{node.lineno}: calls {node.func.id}()"


def test_the_vmm_state_the_issue_names_survives_a_round_trip() -> None:
    """Admin states, the register block's pending events and selector, the GED's latched event,
    PSCI power states, the clock and its queue: each the same after a save and a restore."""
    system = System.build("cpus=2,maxcpus=6")
    system.enable(3)                      # settled: vCPU 3 enabled and on
    machine = system.machine
    machine.enable(4)                     # in flight: insert event pending, GED latched, IRQ raised
    machine.disable(3)                    # in flight: remove event pending, unplug timeout queued
    machine.cpuhp.selector = 5            # as a guest's AML leaves it between two accesses
    restored = load_system(stream.decode(stream.encode({}, save_system(system)), SOURCE).payload)
    mine, theirs = machine, restored.machine
    assert [(v.admin, v.power) for v in theirs.vcpus] == [(v.admin, v.power) for v in mine.vcpus]
    assert theirs.cpuhp.selector == 5 and theirs.cpuhp.pending_events() == mine.cpuhp.pending_events()
    assert [theirs.cpuhp.flags(i) for i in range(6)] == [mine.cpuhp.flags(i) for i in range(6)]
    assert (theirs.ged.selector, theirs.ged.raised) == (mine.ged.selector, mine.ged.raised) != (0, 0)
    assert restored.clock.now_ns() == system.clock.now_ns()
    assert [(e.when_ns, e.label) for e in sorted(restored.clock._queue) if not e.cancelled] == \
        [(e.when_ns, e.label) for e in sorted(system.clock._queue) if not e.cancelled]
    assert restored.clock.pending() == system.clock.pending() > 0
    # and both finish the same way
    system.run_until_idle()
    restored.run_until_idle()
    assert restored.guest_view() == system.guest_view()
    assert restored.guest_view().online == {0, 1, 4}
