"""Profiles: which VMM the machine behaves as, ``reference`` (this project's design) or ``qemu-rfc-v5``.

One frozen :class:`Profile` per name, each defined once here, chosen with
``--profile`` on ``vcpu-hotplug run``, ``demo`` and ``tables emit``, and with
``-machine virt,x-profile=NAME`` (or ``VCPU_HOTPLUG_PROFILE``) on the
QEMU-compatible entry point ``vcpu-hotplug-system-aarch64``.

``qemu-rfc-v5`` is what QEMU built from the ``virt-cpuhp-armv8/rfc-v5``
branch of ``salil-mehta/qemu`` (QEMU 9.1.50) does, as its source says and
as the real tables in ``tests/data/qemu-rfc-v5/`` and
``../shared/reference-tables/qemu-rfc-v5/`` show:

- ``hw/arm/virt.c`` ``virt_cpu_unplug_request`` refuses every vCPU that was
  there at boot ("Hot-unplug of cold-booted CPU not supported!", checked
  before the boot-CPU check), :attr:`Profile.unplug_cold_booted`;
- an unplug request stands until the guest ejects: no timeout, a refusal is
  only an ``ACPI_DEVICE_OST`` (never ``DEVICE_UNPLUG_GUEST_ERROR``), a
  repeated ``device_del`` asks the guest again (``hw/acpi/cpu.c``,
  ``system/qdev-monitor.c``), :attr:`Profile.unplug_request_stands`;
- ``hw/acpi/cpu.c`` ``cpu_hotplug_wr`` lets the guest eject any plugged vCPU
  but the first, whether or not management asked for it,
  :attr:`Profile.guest_may_eject` (``reference`` honours an eject only for a
  requested unplug);
- ``hw/arm/virt-acpi-build.c``: MADT revision 4 with 80-byte GICCs and one
  GICR over the whole redistributor region (0xF60000 bytes), FADT minor
  version 3 with hypervisor vendor "QEMU", headers ``BOCHS``/``BXPC``;
  ``hw/acpi/aml-build.c`` ``build_pptt`` keeps the cluster level whenever
  ``-smp`` names ``clusters``; ``hw/acpi/cpu.c`` ``build_cpus_aml``'s DSDT
  (``\\_SB.CPUS.Cnnn``, ``\\_SB.PRES``, the GED), :attr:`Profile.firmware`.

Both profiles share the register block's semantics (QEMU's, in
:mod:`vcpu_hotplug.vmm.cpuhp`; ``reference`` adds the fast path beside
QEMU's registers, :attr:`Profile.cpuhp_fast`, ``qemu-rfc-v5`` has QEMU's 12
bytes exactly), QMP's wire behaviour (QEMU's event and reply
order, greeting, ``oob``) and the version ``query-version`` reports (9.1.50).
Where ``reference`` differs on purpose, session for session, is in the
README ("Profiles") and ``tests/test_profiles_replay.py``: it unplugs
cold-booted vCPUs other than the boot one, and names the boot-vCPU rule for
vCPU 0.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from vcpu_hotplug.acpi.madt import MadtLayout
from vcpu_hotplug.vmm.firmware_tables import DsdtStyle, FirmwareOptions, GicrRanges, PpttClusterLevel
from vcpu_hotplug.vmm.machine import COLD_BOOTED_REFUSAL, MachineConfig


class ProfileName(str, enum.Enum):
    """The ``--profile`` values."""

    REFERENCE = "reference"
    QEMU_RFC_V5 = "qemu-rfc-v5"


COLD_BOOTED_UNPLUG_REFUSAL = COLD_BOOTED_REFUSAL
"""QEMU RFC V5 ``hw/arm/virt.c`` ``virt_cpu_unplug_request`` (GenericError), to the byte."""


@dataclass(frozen=True)
class Profile:
    """Everything that differs between two VMMs this project can be."""

    name: ProfileName
    summary: str
    firmware: FirmwareOptions
    """The tables and AML (the table area's address is left to the machine)."""
    unplug_cold_booted: bool
    """False: ``device_del`` of a vCPU present at boot is refused with :data:`COLD_BOOTED_UNPLUG_REFUSAL`
    (:attr:`vcpu_hotplug.vmm.machine.MachineConfig.unplug_cold_booted`)."""
    unplug_request_stands: bool = False
    """True: an unplug request stands until the guest ejects (no timeout, no DEVICE_UNPLUG_GUEST_ERROR, a
    repeated ``device_del`` asks again), as QEMU's
    (:attr:`vcpu_hotplug.vmm.machine.MachineConfig.unplug_request_stands`)."""
    guest_may_eject: bool = False
    """True: the guest may eject any enabled vCPU but the boot one unasked, as QEMU's register block lets
    it (:attr:`vcpu_hotplug.vmm.machine.MachineConfig.guest_may_eject`)."""

    cpuhp_fast: bool = True
    """True: the register block has the fast path beside QEMU's registers (64 KiB); False: QEMU's 12 bytes
    (:attr:`vcpu_hotplug.vmm.machine.MachineConfig.cpuhp_fast`)."""

    def machine_config(self, **fields) -> MachineConfig:
        """A machine configuration with this profile's rules (``fields``: smp, ram_size, ...)."""
        return MachineConfig(unplug_cold_booted=self.unplug_cold_booted,
                             unplug_request_stands=self.unplug_request_stands, guest_may_eject=self.guest_may_eject,
                             cpuhp_fast=self.cpuhp_fast, **fields)


REFERENCE = Profile(
    name=ProfileName.REFERENCE,
    summary="this project's design: ACPI 6.5 tables, O(1)-per-event AML at \\_SB.Cxxx, "
            "any vCPU but the boot one can be unplugged",
    firmware=FirmwareOptions(),
    unplug_cold_booted=True,
)

QEMU_OEM_ID = "BOCHS"
QEMU_OEM_TABLE_ID = "BXPC"
QEMU_CREATOR_ID = "BXPC"
"""``include/hw/acpi/aml-build.h`` ACPI_BUILD_APPNAME6/APPNAME8, and ``acpi_table_begin``'s creator."""
QEMU_FADT_MINOR_VERSION = 3
"""``build_fadt_rev6``: "ACPI v6.3", .minor_ver = 3."""
QEMU_HYPERVISOR_VENDOR = b"QEMU"
"""``build_fadt``: ``g_array_append_vals(tbl, "QEMU", 4)`` then 4 zero bytes."""

QEMU_RFC_V5 = Profile(
    name=ProfileName.QEMU_RFC_V5,
    summary="QEMU 9.1.50 from the virt-cpuhp-armv8/rfc-v5 branch: its tables and AML byte for byte, "
            "cold-booted vCPUs cannot be unplugged",
    firmware=FirmwareOptions(madt_layout=MadtLayout.ACPI_6_0, oem_id=QEMU_OEM_ID,
                             oem_table_id=QEMU_OEM_TABLE_ID, creator_id=QEMU_CREATOR_ID,
                             gicr_ranges=GicrRanges.MEMMAP, fadt_minor_version=QEMU_FADT_MINOR_VERSION,
                             hypervisor_vendor=QEMU_HYPERVISOR_VENDOR,
                             pptt_cluster_level=PpttClusterLevel.NAMED, dsdt=DsdtStyle.QEMU_RFC_V5),
    unplug_cold_booted=False,
    unplug_request_stands=True,
    guest_may_eject=True,
    cpuhp_fast=False,
)

PROFILES: dict[ProfileName, Profile] = {p.name: p for p in (REFERENCE, QEMU_RFC_V5)}
DEFAULT_PROFILE = ProfileName.REFERENCE
PROFILE_NAMES = tuple(name.value for name in ProfileName)


class ProfileError(ValueError):
    """An unknown profile name."""


def get_profile(name: str | ProfileName | None) -> Profile:
    """The profile called ``name`` (None: the default, ``reference``)."""
    if name is None:
        return PROFILES[DEFAULT_PROFILE]
    try:
        return PROFILES[ProfileName(name)]
    except ValueError:
        raise ProfileError(f"unknown profile {name!r} (expected one of: {', '.join(PROFILE_NAMES)})") from None


__all__ = ["COLD_BOOTED_UNPLUG_REFUSAL", "DEFAULT_PROFILE", "PROFILES", "PROFILE_NAMES", "Profile", "ProfileError",
           "ProfileName", "QEMU_RFC_V5", "REFERENCE", "get_profile"]
