"""Linux releases the guest models, named by release: :class:`GuestKernel`, each with the
:class:`KernelFeatures` that differ on the arm64 vCPU hotplug path.

Three upstream commits make the difference (``git.kernel.org/arm64/c/<id>``):

- ``eed4583bcf9a`` "arm64: Kconfig: Enable HOTPLUG_SMT" (applied to arm64
  ``for-next/smt-control`` on 2025-03-14, merged for **Linux 6.15**): arm64
  gets ``/sys/devices/system/cpu/smt/control`` (``kernel/cpu.c``
  ``control_store`` -> ``cpuhp_smt_enable``/``cpuhp_smt_disable``). Before
  it, ``control`` reads ``notimplemented`` and a write is ``-ENODEV``.
  :attr:`KernelFeatures.hotplug_smt`, modelled in :mod:`.smt`.
- ``f9a82544c717`` "cpu/hotplug: Fix NULL kobject warning in
  cpuhp_smt_enable()" (Fixes: ``eed4583bcf9a``): at boot ``smp_prepare_cpus``
  marks present only CPUs whose MADT GICC is Enabled (``acpi_cpu_is_present``),
  arm64 ``acpi_map_cpu`` sets present and ``acpi_unmap_cpu`` clears it,
  ``Documentation/arch/arm64/cpu-hotplug.rst`` says vCPUs that are not enabled
  at boot are not present until hot-added. Before it every possible CPU is
  present, so ``cpuhp_smt_enable`` (``for_each_present_cpu`` ... ``_cpu_up``)
  reaches a CPU that was never registered: ``topology_add_dev`` calls
  ``sysfs_create_group`` on a NULL kobject, ``WARNING: fs/sysfs/group.c:137``,
  ``-EINVAL`` for the writer. :attr:`KernelFeatures.present_policy`.
- ``18a4e5cf633f`` "arm64: smp: Fix hot-unplug tearing by forcing
  unregistration" (Fixes: ``eba4675008a6e``, which is in 6.11):
  ``arch_unregister_cpu`` no longer returns early when ``_STA`` cannot be
  evaluated or has lost *present* (it only logs "Changing CPU present bit is
  not supported" for the latter) and always calls ``unregister_cpu``.
  Before it ``acpi_processor_post_eject`` carried on regardless and left a
  stale ``cpuN`` device, so a later hot-add of the same CPU found a CPU device
  and skipped ``acpi_processor_hotadd_init`` (no "CPU%d has been hot-added",
  no ``KOBJ_ADD`` for udev to online it). :attr:`KernelFeatures.forced_unregistration`.

Which release carries the two fixes (what the sources show): both were posted
as "[PATCH v4 0/2] arm64: acpi: Fix NULL kobject warning in cpuhp_smt_enable()"
(Jinjie Ruan, 2026-06-10, ``Cc: stable``), applied to arm64
``for-next/fixes`` by Will Deacon on 2026-06-29 (the day after v7.2-rc1),
were in Linus' tree by 2026-07-12 (the kernel.org push of ``stable/linux``
``master``, which mirrors it, on that day lists both), so in v7.2-rc3 (tagged
that Sunday, pushed to linux-next on 2026-07-13), and were released in **Linux
7.2** (tag ``v7.2``, 2026-08-16, mirrored with ``next-20260817``). This comes
from the lore.kernel.org threads (the patches, Will Deacon's "Applied to arm64
(for-next/fixes)") and the kernel.org gitolite push notifications, not from a
kernel tree. Stable backports (other commit ids, same subjects) were queued in
``linux-stable-rc`` for ``linux-7.1.y`` and ``linux-6.18.y`` on 2026-07-21/22
and pushed to ``stable/linux`` ``linux-6.18.y`` on 2026-07-24, so 7.1.y and
6.18.y point releases from late July 2026 behave as 7.2 here (which point
release first carried them was not established). No ``linux-6.12.y``
backport was found; 6.12 has no HOTPLUG_SMT on arm64.

The versions, each the first (or only) release with its behaviour:

====== ============ ============= ==============
name   HOTPLUG_SMT  present mask  unregistration
====== ============ ============= ==============
6.11   no           all possible  early return
6.12   no           all possible  early return   (identical to 6.11 here, as real 6.12.95 runs show)
7.1    yes (6.15+)  all possible  early return   (6.15 to 7.1.0: SMT control without the fixes)
7.2    yes          MADT Enabled  forced
====== ============ ============= ==============

``"2026"``, the name this project used before the release was known, is an
alias of 7.2 (:data:`RELEASE_ALIASES`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class PresentPolicy(enum.Enum):
    """How the guest fills ``cpu_present_mask``.

    Each release in :class:`GuestKernel` names one; ``check --guest-kernel`` and
    ``run --guest-kernel`` pick the release."""

    LINUX_6_11 = "linux-6.11"
    """``smp_prepare_cpus`` marks every possible CPU present; hot-add/eject never change it."""
    FIX_2026 = "fix-2026"
    """``f9a82544c717`` (Linux 7.2): only Enabled GICCs are present at boot; a hot-add sets
    present, an eject clears it."""

    @property
    def sets_present_on_hot_add(self) -> bool:
        """arm64 ``acpi_map_cpu`` sets present (and ``acpi_unmap_cpu`` clears it)."""
        return self is PresentPolicy.FIX_2026

    @property
    def present_only_if_madt_enabled(self) -> bool:
        """``smp_prepare_cpus`` checks ``acpi_cpu_is_present`` (GICC Enabled) before ``set_cpu_present``."""
        return self is PresentPolicy.FIX_2026


@dataclass(frozen=True)
class KernelFeatures:
    """What one Linux release does on the arm64 vCPU hotplug path."""

    present_policy: PresentPolicy
    """``f9a82544c717``: present mask from MADT Enabled and hot-add (FIX_2026) or all possible CPUs."""
    hotplug_smt: bool
    """``eed4583bcf9a`` (6.15): ``CONFIG_HOTPLUG_SMT``, ``smt/control`` writable."""
    forced_unregistration: bool
    """``18a4e5cf633f``: ``arch_unregister_cpu`` always unregisters the CPU device."""


class GuestKernel(enum.Enum):
    """A Linux release the guest models; the value is its ``--guest-kernel`` name."""

    LINUX_6_11 = "6.11"
    LINUX_6_12 = "6.12"
    LINUX_7_1 = "7.1"
    LINUX_7_2 = "7.2"

    @property
    def release(self) -> str:
        """The Linux release, e.g. ``"7.2"``."""
        return self.value

    @property
    def features(self) -> KernelFeatures:
        return _FEATURES[self]

    @property
    def description(self) -> str:
        """One line saying what this version does differently, for reports and ``x-query-guest-cpus``."""
        return _DESCRIPTIONS[self]

    @property
    def present_policy(self) -> PresentPolicy:
        return self.features.present_policy

    @classmethod
    def from_name(cls, name: str) -> "GuestKernel":
        """A release name or alias (``"6.12"``, ``"7.2"``, ``"2026"``); ValueError naming the choices."""
        key = RELEASE_ALIASES.get(name, name)
        for kernel in cls:
            if kernel.value == key:
                return kernel
        raise ValueError(f"unknown guest kernel '{name}' (one of: {', '.join(release_names())})")

    @classmethod
    def for_present_policy(cls, policy: PresentPolicy) -> "GuestKernel":
        """The first release with that present policy (6.11 or 7.2), for callers that name only the policy."""
        return cls.LINUX_7_2 if policy is PresentPolicy.FIX_2026 else cls.LINUX_6_11


_FEATURES: dict[GuestKernel, KernelFeatures] = {
    GuestKernel.LINUX_6_11: KernelFeatures(PresentPolicy.LINUX_6_11, hotplug_smt=False, forced_unregistration=False),
    GuestKernel.LINUX_6_12: KernelFeatures(PresentPolicy.LINUX_6_11, hotplug_smt=False, forced_unregistration=False),
    GuestKernel.LINUX_7_1: KernelFeatures(PresentPolicy.LINUX_6_11, hotplug_smt=True, forced_unregistration=False),
    GuestKernel.LINUX_7_2: KernelFeatures(PresentPolicy.FIX_2026, hotplug_smt=True, forced_unregistration=True),
}

_DESCRIPTIONS: dict[GuestKernel, str] = {
    GuestKernel.LINUX_6_11: "Linux 6.11: every possible CPU present from boot; no SMT control on arm64; "
                            "arch_unregister_cpu keeps a CPU whose _STA failed or lost present",
    GuestKernel.LINUX_6_12: "Linux 6.12: as 6.11 on this path",
    GuestKernel.LINUX_7_1: "Linux 7.1 (6.15 to 7.1.0): as 6.11 plus HOTPLUG_SMT (eed4583bcf9a), so "
                           "smt/control on -> cpuhp_smt_enable warns on never-registered present CPUs",
    GuestKernel.LINUX_7_2: "Linux 7.2: present only for MADT-Enabled or hot-added CPUs (f9a82544c717), "
                           "forced unregistration on eject (18a4e5cf633f), HOTPLUG_SMT",
}

RELEASE_ALIASES: dict[str, str] = {"2026": GuestKernel.LINUX_7_2.value}
"""Older names of a release: ``"2026"`` (the fixes' year, before their release was known) is 7.2."""

DEFAULT_KERNEL = GuestKernel.LINUX_6_11


def release_names(aliases: bool = False) -> list[str]:
    """The ``--guest-kernel`` names, oldest first, then the aliases when asked."""
    names = [k.value for k in GuestKernel]
    return names + list(RELEASE_ALIASES) if aliases else names


__all__ = ["DEFAULT_KERNEL", "GuestKernel", "KernelFeatures", "PresentPolicy", "RELEASE_ALIASES",
           "release_names"]
