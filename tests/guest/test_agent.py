"""qemu-ga in the guest: what ``virsh guestvcpus`` and ``virsh setvcpus --guest`` get from it.

The agent is driven with decoded requests, as qemu-ga's dispatcher sees
them, against a booted guest; every answer is checked against the guest's
own sysfs and masks. Error texts are qemu-ga's (qga/commands-linux.c,
qapi/qmp-dispatch.c, qapi/qobject-input-visitor.c).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from vcpu_hotplug.guest import Errno, GuestConfig, GuestKnobs, SysfsError
from vcpu_hotplug.guest.agent import QGA_VERSION, GuestAgent, qdict_key_order
from vcpu_hotplug.guest.sysfs import SYSFS_CPU_DIR
from vcpu_hotplug.system import System

SMP = "cpus=2,maxcpus=6"


def build(**knobs: Any) -> System:
    return System.build(SMP, guest=GuestConfig(knobs=GuestKnobs(**knobs)))


def execute(agent: GuestAgent, command: str, arguments: dict | None = None, **extra: Any) -> dict:
    request: dict[str, Any] = {"execute": command, **extra}
    if arguments is not None:
        request["arguments"] = arguments
    return agent.handle(request)


def error(desc: str, cls: str = "GenericError") -> dict[str, Any]:
    return {"error": {"class": cls, "desc": desc}}


def sysfs_view(system: System) -> list[dict[str, Any]]:
    """What ``ls /sys/devices/system/cpu; cat cpuN/online`` shows, as GuestLogicalProcessor entries."""
    out = []
    for entry in system.sysfs.listdir():
        if not (entry.startswith("cpu") and entry[3:].isdigit()):
            continue
        cpu = int(entry[3:])
        try:
            online = system.sysfs.read(f"{SYSFS_CPU_DIR}/{entry}/online").strip() == "1"
            out.append({"logical-id": cpu, "online": online, "can-offline": True})
        except SysfsError as err:
            assert err.errno is Errno.ENOENT
            out.append({"logical-id": cpu, "online": True, "can-offline": False})
    return out


def online_mask(system: System) -> str:
    return system.sysfs.read(f"{SYSFS_CPU_DIR}/online").strip()


def set_vcpus(agent: GuestAgent, *states: tuple[int, bool]) -> dict:
    return execute(agent, "guest-set-vcpus",
                   {"vcpus": [{"logical-id": cpu, "online": online} for cpu, online in states]})


# ------------------------------------------------------------ guest-get-vcpus

def test_get_vcpus_after_boot_matches_the_guests_sysfs() -> None:
    system = build()
    agent = GuestAgent(system.kernel)
    reply = execute(agent, "guest-get-vcpus", id="libvirt-1")
    assert reply == {"return": sysfs_view(system), "id": "libvirt-1"}
    assert reply["return"] == [{"logical-id": 0, "online": True, "can-offline": True},
                               {"logical-id": 1, "online": True, "can-offline": True}]


def test_get_vcpus_shows_a_hot_added_cpu_the_guest_has_not_onlined() -> None:
    system = build(auto_online=False)
    agent = GuestAgent(system.kernel)
    system.enable(3)
    vcpus = execute(agent, "guest-get-vcpus")["return"]
    assert vcpus == sysfs_view(system)
    assert {"logical-id": 3, "online": False, "can-offline": True} in vcpus
    assert [v["logical-id"] for v in vcpus] == [0, 1, 3]   # only the registered cpuN directories


def test_a_cpu_without_an_online_file_is_online_and_cannot_be_offlined() -> None:
    """``transfer_vcpu``: no ``cpuN/online`` (the device has ``offline_disabled``) reads as online,
    ``can-offline`` false; asking to offline it is qemu-ga's "can't be offlined", asking to online it
    is a pretended success."""
    system = build(offline_disabled_cpus={1})
    agent = GuestAgent(system.kernel)
    assert {"logical-id": 1, "online": True, "can-offline": False} in execute(agent, "guest-get-vcpus")["return"]
    assert set_vcpus(agent, (1, False)) == error("logical processor #1 can't be offlined")
    assert set_vcpus(agent, (1, True)) == {"return": 1}
    assert online_mask(system) == "0-1"


# ------------------------------------------------------------ guest-set-vcpus

def test_set_vcpus_onlines_a_hot_added_offline_cpu() -> None:
    system = build(auto_online=False)
    agent = GuestAgent(system.kernel)
    system.enable(4)
    assert online_mask(system) == "0-1"
    assert set_vcpus(agent, (4, True)) == {"return": 1}
    assert online_mask(system) == "0-1,4"
    assert 4 in system.kernel.online
    assert system.guest_view().online == {0, 1, 4}
    assert {"logical-id": 4, "online": True, "can-offline": True} in execute(agent, "guest-get-vcpus")["return"]


def test_set_vcpus_with_the_current_state_writes_nothing_and_counts_it() -> None:
    system = build()
    agent = GuestAgent(system.kernel)
    t0 = system.clock.now_ns()
    assert set_vcpus(agent, (0, True), (1, True)) == {"return": 2}
    assert system.clock.now_ns() == t0   # no write(2) blocked on a CPU coming up
    assert online_mask(system) == "0-1"


def test_set_vcpus_offlines_then_onlines_again() -> None:
    system = build()
    agent = GuestAgent(system.kernel)
    assert set_vcpus(agent, (1, False)) == {"return": 1}
    assert online_mask(system) == "0"
    assert system.sysfs.read(f"{SYSFS_CPU_DIR}/offline").strip() == "1-5"
    assert set_vcpus(agent, (1, True)) == {"return": 1}
    assert online_mask(system) == "0-1"


def test_offlining_the_last_online_cpu_fails_with_qemu_gas_pwrite_error() -> None:
    system = build()
    agent = GuestAgent(system.kernel)
    assert set_vcpus(agent, (1, False)) == {"return": 1}
    reply = execute(agent, "guest-set-vcpus", {"vcpus": [{"logical-id": 0, "online": False}]}, id=9)
    # "%s/%s" on a dirpath that ends in "/": qemu-ga's message has the double slash.
    assert reply == {**error('pwrite("/sys/devices/system/cpu/cpu0//online"): Device or resource busy'),
                     "id": 9}
    assert online_mask(system) == "0"


def test_partial_success_returns_the_count_and_stops_at_the_first_failure() -> None:
    system = build(auto_online=False)
    agent = GuestAgent(system.kernel)
    system.enable(3)
    system.enable(4)
    # cpu3 goes online; cpu5 has no directory, so the call stops there and cpu4 is never touched.
    assert set_vcpus(agent, (3, True), (5, True), (4, True)) == {"return": 1}
    assert online_mask(system) == "0-1,3"
    # Offlining everything: cpu0 and cpu1 go, cpu3 is the last online CPU and refuses.
    assert set_vcpus(agent, (0, False), (1, False), (3, False)) == {"return": 2}
    assert online_mask(system) == "3"


def test_the_first_entry_failing_is_an_error_and_changes_nothing() -> None:
    system = build()
    agent = GuestAgent(system.kernel)
    assert set_vcpus(agent, (7, True), (1, False)) == \
        error('open("/sys/devices/system/cpu/cpu7/"): No such file or directory')
    assert online_mask(system) == "0-1"


def test_sysfs_errnos_become_qemu_gas_strerror_texts() -> None:
    system = build(busy_cpus={1})
    agent = GuestAgent(system.kernel)
    assert set_vcpus(agent, (1, False)) == \
        error('pwrite("/sys/devices/system/cpu/cpu1//online"): Device or resource busy')
    system = build(offline_disabled=True)
    agent = GuestAgent(system.kernel)
    assert set_vcpus(agent, (1, False)) == \
        error('pwrite("/sys/devices/system/cpu/cpu1//online"): Operation not supported')


def test_an_empty_list_processes_nothing() -> None:
    system = build()
    assert execute(GuestAgent(system.kernel), "guest-set-vcpus", {"vcpus": []}) == {"return": 0}


@pytest.mark.parametrize(("arguments", "desc"), [
    ({}, "Parameter 'vcpus' is missing"),
    ({"vcpus": {}}, "Invalid parameter type for 'vcpus', expected: array"),
    ({"vcpus": [1]}, "Invalid parameter type for 'vcpus[0]', expected: object"),
    ({"vcpus": [{"online": True}]}, "Parameter 'vcpus[0].logical-id' is missing"),
    ({"vcpus": [{"logical-id": 1, "online": True}, {"logical-id": 1}]},
     "Parameter 'vcpus[1].online' is missing"),
    ({"vcpus": [{"logical-id": "1", "online": True}]},
     "Invalid parameter type for 'vcpus[0].logical-id', expected: integer"),
    ({"vcpus": [{"logical-id": 1.0, "online": True}]},
     "Invalid parameter type for 'vcpus[0].logical-id', expected: integer"),
    ({"vcpus": [{"logical-id": 1, "online": 0}]},
     "Invalid parameter type for 'vcpus[0].online', expected: boolean"),
    ({"vcpus": [{"logical-id": 1, "online": False, "bogus": 1}]}, "Parameter 'vcpus[0].bogus' is unexpected"),
    ({"vcpus": [], "extra": 1}, "Parameter 'extra' is unexpected"),
])
def test_bad_arguments_are_refused_before_anything_is_written(arguments: dict, desc: str) -> None:
    system = build()
    assert execute(GuestAgent(system.kernel), "guest-set-vcpus", arguments) == error(desc)
    assert online_mask(system) == "0-1"


def test_can_offline_is_ignored_on_input() -> None:
    system = build()
    agent = GuestAgent(system.kernel)
    reply = execute(agent, "guest-set-vcpus",
                    {"vcpus": [{"logical-id": 1, "online": False, "can-offline": False}]})
    assert reply == {"return": 1}
    assert online_mask(system) == "0"


# ------------------------------------------------------------ sync, ping, info

def test_guest_sync_echoes_its_id_and_the_request_id() -> None:
    agent = GuestAgent(build().kernel)
    assert execute(agent, "guest-sync", {"id": 1234567890123}, id="x") == {"return": 1234567890123, "id": "x"}
    assert agent.pop_delimit_response() is False


def test_guest_sync_delimited_asks_for_the_sentinel_once() -> None:
    agent = GuestAgent(build().kernel)
    assert execute(agent, "guest-sync-delimited", {"id": 42}) == {"return": 42}
    assert agent.pop_delimit_response() is True
    assert agent.pop_delimit_response() is False


@pytest.mark.parametrize(("arguments", "desc"), [
    (None, "Parameter 'id' is missing"),
    ({"id": "7"}, "Invalid parameter type for 'id', expected: integer"),
    ({"id": True}, "Invalid parameter type for 'id', expected: integer"),
    ({"id": 1 << 63}, "Invalid parameter type for 'id', expected: integer"),
    ({"id": 1, "x": 2}, "Parameter 'x' is unexpected"),
])
def test_guest_sync_argument_errors(arguments: dict | None, desc: str) -> None:
    agent = GuestAgent(build().kernel)
    assert execute(agent, "guest-sync-delimited", arguments) == error(desc)
    assert agent.pop_delimit_response() is False   # the command never ran


def test_guest_ping_answers_an_empty_object() -> None:
    agent = GuestAgent(build().kernel)
    assert execute(agent, "guest-ping", id=3) == {"return": {}, "id": 3}
    assert execute(agent, "guest-ping", {"a": 1}) == error("Parameter 'a' is unexpected")


def test_guest_info_lists_the_supported_commands() -> None:
    agent = GuestAgent(build().kernel)
    info = execute(agent, "guest-info")["return"]
    assert info["version"] == QGA_VERSION
    names = [c["name"] for c in info["supported_commands"]]
    # qmp_command_info prepends: reverse of the schema's registration order.
    assert names == ["guest-set-vcpus", "guest-get-vcpus", "guest-file-flush", "guest-file-write",
                     "guest-file-read", "guest-file-close", "guest-file-open", "guest-shutdown", "guest-info",
                     "guest-ping", "guest-sync", "guest-sync-delimited"]
    assert all(c == {"name": c["name"], "enabled": True,
                     "success-response": c["name"] != "guest-shutdown"}
               for c in info["supported_commands"])
    # Every listed command is there to answer (none is CommandNotFound).
    arguments = {"guest-sync": {"id": 1}, "guest-sync-delimited": {"id": 1}, "guest-set-vcpus": {"vcpus": []}}
    for name in names:
        if name.startswith("guest-file-"):     # these need a handle or a path: only check that they exist
            assert execute(agent, name)["error"]["class"] == "GenericError", name
        elif name != "guest-shutdown":
            assert "return" in execute(agent, name, arguments.get(name, {})), name


def test_guest_shutdown_powers_the_guest_off_through_psci_without_a_reply() -> None:
    system = build()
    agent = GuestAgent(system.kernel)
    assert agent.handle({"execute": "guest-shutdown", "id": 7}) is None
    assert system.machine.powered_off
    assert system.kernel.halted
    assert "reboot: Power down" in system.kernel.dmesg()
    bad = agent.handle({"execute": "guest-shutdown", "arguments": {"mode": "sideways"}})
    assert bad == {"error": {"class": "GenericError", "desc": "Invalid parameter 'mode'"}}


# ------------------------------------------------------------ dispatch errors

def test_unknown_command_is_command_not_found_with_the_id() -> None:
    agent = GuestAgent(build().kernel)
    assert execute(agent, "guest-exec", {"path": "/bin/true"}, id="libvirt-5") == \
        {**error("The command guest-exec has not been found", "CommandNotFound"), "id": "libvirt-5"}


@pytest.mark.parametrize(("request_", "reply"), [
    ([1, 2], error("QMP input must be a JSON object")),
    ("guest-ping", error("QMP input must be a JSON object")),
    ({}, error("QMP input lacks member 'execute'")),
    ({"id": 4}, {**error("QMP input lacks member 'execute'"), "id": 4}),
    ({"execute": 1}, error("QMP input member 'execute' must be a string")),
    ({"execute": "guest-ping", "arguments": []}, error("QMP input member 'arguments' must be an object")),
    ({"exec-oob": "guest-ping"}, error("QMP input member 'exec-oob' is unexpected")),
    ({"execute": "guest-ping", "foo": 1}, error("QMP input member 'foo' is unexpected")),
])
def test_malformed_requests_get_qmp_dispatchs_errors(request_: object, reply: dict) -> None:
    assert GuestAgent(build().kernel).handle(request_) == reply


def test_parse_errors_are_generic_errors_without_id() -> None:
    agent = GuestAgent(build().kernel)
    assert agent.parse_error("JSON parse error, expecting value") == \
        error("JSON parse error, expecting value")


def test_qdict_key_order_is_qemus() -> None:
    """Orders QEMU really prints: its QMP greeting, events, error replies and qemu-ga's vCPU entries."""
    assert qdict_key_order(["major", "minor", "micro"]) == ["micro", "minor", "major"]
    assert qdict_key_order(["event", "data", "timestamp"]) == ["timestamp", "event", "data"]
    assert qdict_key_order(["error", "id"]) == ["id", "error"]
    assert qdict_key_order(["return", "id"]) == ["return", "id"]
    assert qdict_key_order(["logical-id", "online", "can-offline"]) == ["online", "can-offline", "logical-id"]


# ------------------------------------------------------------ guest-file-* on sysfs

def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_guest_file_reads_a_sysfs_file_from_the_first_handle() -> None:
    agent = GuestAgent(build().kernel)
    handle = execute(agent, "guest-file-open", {"path": "/sys/devices/system/cpu/online"})["return"]
    assert handle == 1000                                      # QGA_PSTATE_DEFAULT_FD_COUNTER
    first = execute(agent, "guest-file-read", {"handle": handle})["return"]
    assert base64.b64decode(first["buf-b64"]) == b"0-1\n" and first["count"] == 4 and first["eof"] is True
    assert execute(agent, "guest-file-read", {"handle": handle})["return"]["count"] == 0
    assert execute(agent, "guest-file-close", {"handle": handle}) == {"return": {}}
    assert execute(agent, "guest-file-close", {"handle": handle})["error"]["desc"] == \
        "handle '1000' has not been found"


def test_guest_file_open_errors_as_qemu_ga_words_them() -> None:
    agent = GuestAgent(build().kernel)
    assert execute(agent, "guest-file-open", {"path": "/etc/hostname"})["error"]["desc"] == \
        "failed to open file '/etc/hostname' (mode: 'r'): No such file or directory"
    assert execute(agent, "guest-file-open", {"path": "/sys/devices/system/cpu/online", "mode": "w"}
                   )["error"]["desc"] == \
        "failed to open file '/sys/devices/system/cpu/online' (mode: 'w'): Permission denied"
    assert execute(agent, "guest-file-open", {"path": "/sys/devices/system/cpu/online", "mode": "x"}
                   )["error"]["desc"] == "invalid file open mode 'x'"


def test_a_cpu_goes_offline_when_the_agent_closes_what_it_wrote() -> None:
    """fwrite only buffers: the sysfs store (and its error) comes at flush or close."""
    system = build()
    agent = GuestAgent(system.kernel)
    path = "/sys/devices/system/cpu/cpu1/online"
    handle = execute(agent, "guest-file-open", {"path": path, "mode": "w"})["return"]
    assert execute(agent, "guest-file-write", {"handle": handle, "buf-b64": _b64("0\n")})["return"] == \
        {"count": 2, "eof": False}
    assert system.sysfs.read(path) == "1\n"
    assert execute(agent, "guest-file-close", {"handle": handle}) == {"return": {}}
    assert system.sysfs.read(path) == "0\n"
    handle = execute(agent, "guest-file-open", {"path": path, "mode": "w"})["return"]
    execute(agent, "guest-file-write", {"handle": handle, "buf-b64": _b64("maybe")})
    assert execute(agent, "guest-file-flush", {"handle": handle})["error"]["desc"] == \
        "failed to flush file: Invalid argument"
    assert execute(agent, "guest-file-write", {"handle": handle, "buf-b64": "%%"})["error"]["desc"] == \
        "Base64 data contains invalid characters"
