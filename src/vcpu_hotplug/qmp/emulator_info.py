"""What this VM says about itself as a QEMU system emulator: machines, CPU models, QOM types.

Management software (libvirt's capability probe, ``src/qemu/qemu_capabilities.c``
``virQEMUCapsInitQMPMonitor``) learns an emulator from these answers. Each
one is true of this VM, in the shape QEMU's QAPI schema gives it:

- ``query-machines`` (qapi/machine.json ``MachineInfo``): the arm64 ``virt``
  machine of the vCPU hotplug series, versioned as the release it reproduces
  (:data:`QEMU_VERSION`), aliased ``virt``, ``hotpluggable-cpus: true``
  because this VM does hotplug vCPUs (upstream QEMU says false), at most
  :data:`VIRT_MAX_CPUS` (KVM's limit); and ``none``, the probe machine;
- ``query-cpu-definitions`` (``CpuDefinitionInfo``): the 64-bit CPU models a
  vCPU can be hot-plugged as (:data:`~vcpu_hotplug.qmp.devices.AARCH64_CPU_MODELS`);
- ``qom-list-types`` (qapi/qom.json ``ObjectTypeInfo``): the QOM types the
  VM accepts on its command line, with their parents; ``tcg-accel`` because
  the VM is an emulation (there is no KVM here: ``query-kvm`` says so);
- ``query-gic-capabilities`` (qapi/misc-target.json ``GICCapability``):
  GICv3 (and v2) emulated, none in a kernel;
- ``query-migrate-capabilities`` (qapi/migration.json ``MigrationCapability``):
  the capability names, all off until ``migrate-set-capabilities``;
- ``query-command-line-options`` (qapi/misc.json ``CommandLineOptionInfo``):
  the options the emulator's command line takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .devices import AARCH64_CPU_MODELS, ARM_CPU_TYPE_SUFFIX

#: The QEMU release whose behaviour the VM reproduces: the arm64 vCPU hotplug RFC V5 branch
#: (salil-mehta/qemu ``virt-cpuhp-armv8/rfc-v5``) reports 9.1.50.
QEMU_VERSION = "9.1.50"
#: ``query-target`` (qapi/machine.json ``SysEmuTarget``).
TARGET_ARCH = "aarch64"
#: The versioned machine type and its alias (hw/arm/virt.c ``DEFINE_VIRT_MACHINE_AS_LATEST``).
VIRT_MACHINE = "virt-9.1"
VIRT_ALIAS = "virt"
#: The machine libvirt probes with (``-machine none``).
NONE_MACHINE = "none"
#: KVM's KVM_MAX_VCPUS on arm64, the ``cpu-max`` of ``virt`` with GICv3.
VIRT_MAX_CPUS = 512
#: ``MachineInfo.default-ram-id`` of ``virt`` (hw/arm/virt.c ``mc->default_ram_id``).
VIRT_DEFAULT_RAM_ID = "mach-virt.ram"


@dataclass(frozen=True)
class MachineInfo:
    """One ``MachineInfo`` of ``query-machines``."""

    name: str
    alias: str | None
    cpu_max: int
    hotpluggable_cpus: bool
    default_cpu_type: str | None = None
    default_ram_id: str | None = None
    acpi: bool = False

    def to_wire(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name}
        if self.alias is not None:
            out["alias"] = self.alias
        out.update({"cpu-max": self.cpu_max, "hotpluggable-cpus": self.hotpluggable_cpus,
                    "numa-mem-supported": self.name != NONE_MACHINE, "deprecated": False,
                    "acpi": self.acpi})
        if self.default_cpu_type is not None:
            out["default-cpu-type"] = self.default_cpu_type
        if self.default_ram_id is not None:
            out["default-ram-id"] = self.default_ram_id
        return out


def machines(default_cpu_type: str) -> list[MachineInfo]:
    """``query-machines``: ``virt`` (hotpluggable vCPUs) and ``none``."""
    return [
        MachineInfo(VIRT_MACHINE, VIRT_ALIAS, VIRT_MAX_CPUS, True, default_cpu_type,
                    VIRT_DEFAULT_RAM_ID, acpi=True),
        MachineInfo(NONE_MACHINE, None, 1, False),
    ]


def is_virt_machine(name: str) -> bool:
    """``virt``, ``virt-9.1`` or any ``virt-X.Y``: all name the one machine this VM is."""
    if name == VIRT_ALIAS:
        return True
    prefix = VIRT_ALIAS + "-"
    version = name[len(prefix):].split(".") if name.startswith(prefix) else []
    return len(version) == 2 and all(part.isdigit() for part in version)


def cpu_definitions() -> list[dict[str, object]]:
    """``query-cpu-definitions``: every hot-pluggable 64-bit model, all usable under TCG."""
    return [{"name": model, "typename": model + ARM_CPU_TYPE_SUFFIX, "unavailable-features": [],
             "static": False, "migration-safe": False, "deprecated": False}
            for model in AARCH64_CPU_MODELS if model != "host"]


#: QOM types and their parents (``qom-list-types``). Only what the VM takes on its command line
#: or shows in its composition tree; libvirt checks for a device type here before using it.
#: ``gpex-pcihost`` is virt's PCIe host bridge: libvirt places the guest agent's virtio-serial
#: controller behind it (the VM models the agent channel itself, not the PCI transport); the
#: ``-non-transitional`` virtio type tells libvirt the controller can sit on a PCIe root port
#: (without it libvirt wants a DMI-to-PCI bridge for a legacy slot).
QOM_TYPES: dict[str, str] = {
    "gpex-pcihost": "pcie-host-bridge",
    "virtio-serial-pci-non-transitional": "virtio-serial-pci-base",
    "tcg-accel": "accel",
    "virt-9.1-machine": "virt-machine",
    "virt-machine": "machine",
    "none-machine": "machine",
    "memory-backend-ram": "memory-backend",
    "memory-backend-file": "memory-backend",
    "memory-backend-memfd": "memory-backend",
    "memory-backend": "object",
    "secret": "secret_common",
    "virtio-serial-pci": "virtio-pci",
    "virtio-serial-device": "virtio-device",
    "virtserialport": "virtio-serial-port",
    "virtconsole": "virtserialport",
    "pcie-root-port": "pcie-root-port-base",
    "pl011": "sys-bus-device",
    "acpi-ged": "sys-bus-device",
    "arm-gicv3": "arm-gicv3-common",
    **{model + ARM_CPU_TYPE_SUFFIX: "arm-cpu" for model in AARCH64_CPU_MODELS},
}


def qom_types(implements: str | None, abstract: bool) -> list[dict[str, str]]:
    """``qom-list-types``: every type, or those that are ``implements`` or derive from it."""
    def ancestors(name: str) -> list[str]:
        chain = [name]
        while chain[-1] in QOM_TYPES:
            chain.append(QOM_TYPES[chain[-1]])
        return chain
    out = []
    for name, parent in QOM_TYPES.items():
        if implements is not None and implements not in ancestors(name):
            continue
        out.append({"name": name, "parent": parent})
    return out


#: ``query-gic-capabilities``: both GIC versions emulated, none accelerated in a kernel.
GIC_CAPABILITIES = ({"version": 3, "emulated": True, "kernel": False},
                    {"version": 2, "emulated": True, "kernel": False})

#: ``MigrationCapability`` names (qapi/migration.json, QEMU 9.1).
MIGRATION_CAPABILITIES = (
    "xbzrle", "rdma-pin-all", "auto-converge", "zero-blocks", "events", "postcopy-ram",
    "x-colo", "release-ram", "return-path", "pause-before-switchover", "multifd",
    "dirty-bitmaps", "postcopy-blocktime", "late-block-activate", "x-ignore-shared",
    "validate-uuid", "background-snapshot", "zero-copy-send", "postcopy-preempt",
    "switchover-ack", "dirty-limit", "mapped-ram",
)

#: ``query-command-line-options``: the QemuOpts groups the command line takes, with the
#: parameters of those whose parameters management checks (name -> QAPI ``CommandLineParameterType``).
COMMAND_LINE_OPTIONS: dict[str, dict[str, str]] = {
    "accel": {"accel": "string", "thread": "string"},
    "add-fd": {"fd": "number", "set": "number", "opaque": "string"},
    "boot-opts": {"strict": "boolean"},
    "chardev": {"backend": "string", "path": "string", "fd": "string", "server": "boolean",
                "wait": "boolean", "logfile": "string", "logappend": "boolean"},
    "device": {}, "drive": {}, "name": {"guest": "string", "debug-threads": "boolean"},
    "machine": {"type": "string", "accel": "string", "gic-version": "string",
                "usb": "boolean", "dump-guest-core": "boolean", "memory-backend": "string",
                "pflash0": "string", "pflash1": "string", "acpi": "string"},
    "memory": {"size": "size", "maxmem": "size", "slots": "number"},
    "mon": {"chardev": "string", "mode": "string", "pretty": "boolean"},
    "msg": {"timestamp": "boolean"}, "object": {}, "overcommit": {"mem-lock": "string"},
    "rtc": {"base": "string", "clock": "string", "driftfix": "string"},
    "sandbox": {"enable": "boolean", "obsolete": "string", "elevateprivileges": "string",
                "spawn": "string", "resourcecontrol": "string"},
    "smp-opts": {"cpus": "number", "maxcpus": "number", "sockets": "number",
                 "clusters": "number", "cores": "number", "threads": "number"},
}


def command_line_options(option: str | None) -> list[dict[str, object]]:
    """``query-command-line-options [option]``; an unknown ``option`` is QEMU's error."""
    names = [option] if option is not None else list(COMMAND_LINE_OPTIONS)
    if option is not None and option not in COMMAND_LINE_OPTIONS:
        raise KeyError(option)
    return [{"option": name, "parameters": [{"name": p, "type": t}
                                            for p, t in COMMAND_LINE_OPTIONS[name].items()]}
            for name in names]
