"""The guest model against recorded real-Linux runs (issue 12).

Each transcript under ``tests/data/real-linux/`` is one run of real Linux 6.12.95 (Debian's arm64
backports kernel) under real QEMU RFC V5 (TCG), recorded with the rig in ``../shared/real-linux``
(``tests/data/real-linux/README.md`` says how). :mod:`.replay` builds the project's VM on the same
tables and drives the same QMP commands and guest actions; these tests compare, for every run:

- the masks (possible/present/enabled/online/offline), the ``cpuN`` directories and their ``online``
  files at every step the guest printed;
- the ACPI processor devices (name, path, ``_UID``, ``_STA``, bound CPU) at every step;
- the guest's ``echo 1 > cpuN/online`` results;
- the kernel log lines about CPUs, ACPI processor devices, PSCI and the GIC (text, not timestamps;
  addresses normalised), in order, and the ACPI tables Linux listed;
- the QMP events, and the replies to the commands the rig sent.

Where the model differs from real Linux for a reason that stays, the test is marked with the named
difference in :data:`KNOWN_DIFFERENCES`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from vcpu_hotplug.guest.cpumask import format_range_list

from tests.real_linux.replay import KEEP, MODEL_TABLES, SKIP, linux_path, load, replay, scenarios

SCENARIOS = scenarios()

NOT_MODELLED: dict[str, str] = {
    r"^Linux version ": "the kernel's build banner",
    r"^efi: ": "UEFI's configuration tables (the model is handed the RSDP without UEFI)",
    r"^ACPI: Early table checksum verification disabled$": "ACPICA's early table checksum option",
    r"^ACPI: (SPCR|Use ACPI SPCR)": "the serial console from QEMU's SPCR, a table the model does not read",
    r"^(percpu|pcpu-alloc): ": "the per-CPU memory allocator",
    r"^CPU features: ": "arm64 CPU feature detection",
    r"^Kernel command line: ": "the command line",
    r"^(SLUB|rcu|RCU Tasks \w+): ": "allocator and RCU sizing for nr_cpu_ids",
    r"^ACPI: Core revision ": "the ACPICA release",
    r"^fsl-mc MSI: ": "a bus driver's ITS MSI domain",
    r"^cpuidle: ": "cpuidle governors",
    r"^ACPI: Added _OSI": "ACPICA's _OSI strings",
    r"^ACPI: MCFG table detected": "PCI (MCFG), which the model does not have",
    r"^ledtrig-cpu: ": "the CPU activity LED trigger",
    r"ACPI table found in initrd|^ACPI: Table Upgrade: override|Physical table override":
        "the rig's initrd table upgrade: the model is given the upgraded tables directly",
}
_NOT_MODELLED = re.compile("|".join(f"(?:{p})" for p in NOT_MODELLED))
TABLE_LINE = re.compile(r"^ACPI: ([A-Z0-9]{4}) 0x[0-9A-F]{16} ([0-9A-F]{6}) \((v\d\d [^)]*)\)$")
"""ACPICA's table list line (address differs: the firmware places the tables)."""
_ADDRESSES = [(re.compile(r"@0x[0-9a-f]{8,16}"), "@<addr>"), (re.compile(r"@[0-9a-f]{8}\b"), "@<addr>"),
              (re.compile(r"\(polled \d+ ms\)"), "(polled <n> ms)")]

KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {
}
"""(scenario, aspect) -> why the model still differs from real Linux there (an xfail, strict)."""


def _known(scenario: str, aspect: str):
    reason = KNOWN_DIFFERENCES.get((scenario, aspect))
    return pytest.param(scenario, marks=pytest.mark.xfail(strict=True, reason=reason)) if reason else scenario


def params(aspect: str):
    return [_known(s, aspect) for s in SCENARIOS]


@lru_cache(maxsize=None)
def recorded_and_model(scenario: str):
    transcript = load(scenario)
    run, system = replay(transcript)
    return transcript, run, system


def normalise(line: str) -> str:
    for pattern, repl in _ADDRESSES:
        line = pattern.sub(repl, line)
    return line.rstrip()


def compared_log(lines: list[str]) -> list[str]:
    """The CPU/ACPI processor/PSCI/GIC lines, minus what the model does not model and the table list."""
    return [normalise(line) for line in lines
            if KEEP.search(line) and not SKIP.search(line) and not _NOT_MODELLED.search(line)
            and not TABLE_LINE.match(line)]


def listed_tables(lines: list[str]) -> dict[str, tuple[str, str]]:
    """Signature -> (length, revision and OEM ids) of the tables ACPICA listed (the last one of each)."""
    out = {}
    for line in lines:
        m = TABLE_LINE.match(line)
        if m and m.group(1) in MODEL_TABLES:
            out[m.group(1)] = (m.group(2), re.sub(r"\s+", " ", m.group(3)))
    return out


def test_there_are_transcripts() -> None:
    assert len(SCENARIOS) >= 10, SCENARIOS


@pytest.mark.parametrize("scenario", params("masks"))
def test_masks_and_cpu_directories_at_every_step(scenario: str) -> None:
    transcript, run, _ = recorded_and_model(scenario)
    real = [(s["step"], s["masks"], s["cpu_dirs"], s["cpus"]) for s in transcript["steps"]]
    model = [(s["step"], s["masks"], s["cpu_dirs"], s["cpus"]) for s in run.steps]
    assert model == real


@pytest.mark.parametrize("scenario", params("acpi"))
def test_acpi_processor_devices_at_every_step(scenario: str) -> None:
    transcript, run, _ = recorded_and_model(scenario)

    def view(steps, fix_path):
        return [(s["step"], [(p["device"], fix_path(p["path"]), p["uid"], p["status"], p["physical_node"])
                             for p in s["acpi_processors"]]) for s in steps]
    assert view(run.steps, str) == view(transcript["steps"], linux_path)


@pytest.mark.parametrize("scenario", params("actions"))
def test_onlining_from_the_guest_gives_the_same_results(scenario: str) -> None:
    transcript, run, _ = recorded_and_model(scenario)
    real = [re.sub(r" after \d+s$| \(no change .*\)$", "", a["text"]) for a in transcript["guest_actions"]]
    assert run.guest_actions == real


@pytest.mark.parametrize("scenario", params("log"))
def test_kernel_log_lines_about_cpus_acpi_psci_and_the_gic(scenario: str) -> None:
    transcript, run, _ = recorded_and_model(scenario)
    assert compared_log(run.kernel_log) == compared_log([e["text"] for e in transcript["kernel_log"]])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_model_reads_the_tables_linux_listed(scenario: str) -> None:
    transcript, run, _ = recorded_and_model(scenario)
    real = listed_tables([e["text"] for e in transcript["kernel_log"]])
    assert set(real) == set(MODEL_TABLES)
    assert listed_tables(run.kernel_log) == real


@pytest.mark.parametrize("scenario", params("events"))
def test_qmp_events(scenario: str) -> None:
    transcript, run, _ = recorded_and_model(scenario)
    # SHUTDOWN answers the rig's final quit, which the replay does not send (the server, not the
    # command table, emits it)
    real = [(q["event"], q["data"]) for q in transcript["qmp"] if "event" in q and q["event"] != "SHUTDOWN"]
    assert [(e["event"], e["data"]) for e in run.events] == real


@pytest.mark.parametrize("scenario", params("replies"))
def test_qmp_replies(scenario: str) -> None:
    transcript, run, _ = recorded_and_model(scenario)

    def without_thread_ids(command: str, reply: dict) -> dict:
        if command == "query-cpus-fast" and "return" in reply:
            return {"return": [{k: v for k, v in cpu.items() if k != "thread-id"} for cpu in reply["return"]]}
        return reply
    real = [(q["to"], without_thread_ids(q["to"], q["reply"])) for q in transcript["qmp"]
            if "reply" in q and q["to"] not in ("qmp_capabilities", "quit")]
    model = [(command, without_thread_ids(command, reply)) for command, reply in run.replies]
    assert model == real


@pytest.mark.parametrize("scenario", params("masks"))
def test_x_query_guest_cpus_ends_where_real_linux_ended(scenario: str) -> None:
    """What a management client reads over QMP (``x-query-guest-cpus``) is the last state real Linux printed,
    and its log tail is the model's kernel log; a guest that panicked before its first report shows it."""
    transcript, run, _ = recorded_and_model(scenario)
    view = run.guest_cpus
    if not transcript["steps"]:
        # real Linux panicked at boot: the view ends with the panic, only the boot CPU came up
        assert transcript["panic"].startswith(view["log"][-1].split("] ", 1)[1])
        assert transcript["panic"].startswith(f"Kernel panic - not syncing: {view['panic']}")
        assert (view["online"], view["enabled"]) == ([0], [])
        return
    last = transcript["steps"][-1]["masks"]
    assert {name: format_range_list(view[name]) for name in ("possible", "present", "enabled", "online")} == \
        {name: last[name] for name in ("possible", "present", "enabled", "online")}
    tail = [re.sub(r"^\[\s*\d+\.\d+\] ", "", line) for line in view["log"]]
    assert tail == run.kernel_log[-len(tail):]
    assert view.get("kernel", {}).get("release", "6.12") == "6.12"


OOPS_LINE = re.compile(r"^(Unable to handle kernel|Internal error: |Kernel panic - not syncing: )")
PANIC_TIMEOUT_LINE = re.compile(r"^Rebooting in \d+ seconds\.\.$")


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if load(s).get("panic")])
def test_oops_and_panic_line_for_line(scenario: str) -> None:
    """A run that died: the model prints the same Oops (headline, ESR, ``CPU:`` line, pc, lr, every frame of
    the call trace, end marker) and the same panic, and stops there. The rig booted with ``panic=1``, whose
    "Rebooting in 1 seconds.." the model prints too with ``panic_timeout_s=1`` (tests/guest/test_gicr_walk.py);
    the replay boots with the default 0, since the reset that follows needs the VMM's ``-no-reboot`` to end."""
    transcript, run, system = recorded_and_model(scenario)
    real = [e["text"] for e in transcript["kernel_log"]]
    real = real[next(i for i, line in enumerate(real) if OOPS_LINE.match(line)):]
    model = run.kernel_log[next(i for i, line in enumerate(run.kernel_log) if OOPS_LINE.match(line)):]
    assert model == [line for line in real if not PANIC_TIMEOUT_LINE.match(line)]
    assert transcript["panic"].startswith(model[-1])
    assert system.kernel.panicked and not system.kernel.booted
