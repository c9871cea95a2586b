"""Machine configuration from QEMU's ``-smp`` syntax.

``-smp [cpus=]N[,maxcpus=M][,sockets=S][,clusters=C][,cores=K][,threads=T]``
parsed and completed with the rules of QEMU's ``machine_parse_smp_config()``
(``hw/core/machine-smp.c``, QEMU >= 6.2, which prefers cores over sockets):

- every given value must be greater than zero;
- ``dies``, ``modules``, ``books`` and ``drawers`` are accepted only as 1
  (the arm ``virt`` machine supports clusters but none of those levels);
- missing values are derived: with neither ``cpus`` nor ``maxcpus``, missing
  sockets/cores/threads become 1 and ``maxcpus`` is their product; otherwise
  ``maxcpus`` defaults to ``cpus``, then missing ``cores`` (else ``sockets``,
  else ``threads``) is ``maxcpus`` divided by the other levels;
  ``cpus`` defaults to ``maxcpus``;
- sockets * clusters * cores * threads must equal ``maxcpus``;
- ``1 <= cpus <= maxcpus <= 512`` (512: KVM's ``KVM_MAX_VCPUS`` on arm64 and
  the ``virt`` machine's limit with GICv3).

A bare number is ``cpus`` (QEMU's implied key). Every mistake raises
:class:`~vcpu_hotplug.vmm.errors.ConfigError` naming the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcpu_hotplug.vmm.errors import ConfigError

MAX_VCPUS = 512
"""KVM's limit of vCPUs per VM on arm64 (and QEMU virt's with GICv3)."""

TOPOLOGY_KEYS = ("sockets", "clusters", "cores", "threads")
"""The topology levels the arm ``virt`` machine supports, largest first."""

UNSUPPORTED_LEVELS = ("drawers", "books", "dies", "modules")
"""Levels QEMU knows but ``virt`` does not support: only the value 1 is accepted."""

KEYS = ("cpus", "maxcpus") + TOPOLOGY_KEYS + UNSUPPORTED_LEVELS


@dataclass(frozen=True)
class SmpConfig:
    """A complete, valid ``-smp`` configuration: ``cpus`` enabled of ``maxcpus`` possible."""

    cpus: int
    maxcpus: int
    sockets: int
    clusters: int
    cores: int
    threads: int

    def __post_init__(self) -> None:
        for key in ("cpus", "maxcpus") + TOPOLOGY_KEYS:
            if getattr(self, key) < 1:
                raise ConfigError(key, "CPU topology parameters must be greater than zero")
        if self.sockets * self.clusters * self.cores * self.threads != self.maxcpus:
            raise ConfigError("maxcpus", f"product of the hierarchy must match maxcpus: {self.hierarchy()} "
                                         f"!= maxcpus ({self.maxcpus})")
        if self.maxcpus < self.cpus:
            raise ConfigError("cpus", f"maxcpus must be equal to or greater than cpus: "
                                      f"maxcpus ({self.maxcpus}) < cpus ({self.cpus})")
        if self.maxcpus > MAX_VCPUS:
            raise ConfigError("maxcpus", f"{self.maxcpus} vCPUs exceed the limit of {MAX_VCPUS} (KVM on arm64)")

    def hierarchy(self) -> str:
        """QEMU's way of showing the topology: ``sockets (1) * clusters (1) * cores (4) * threads (1)``."""
        return " * ".join(f"{key} ({getattr(self, key)})" for key in TOPOLOGY_KEYS)

    def to_option(self) -> str:
        """The ``-smp`` string that gives this configuration back."""
        return ",".join(f"{key}={getattr(self, key)}" for key in ("cpus", "maxcpus") + TOPOLOGY_KEYS)

    @classmethod
    def from_values(cls, cpus: int | None = None, maxcpus: int | None = None, sockets: int | None = None,
                    clusters: int | None = None, cores: int | None = None, threads: int | None = None,
                    **other_levels: int | None) -> SmpConfig:
        """Complete a partial configuration with QEMU's rules (None = not given)."""
        given = dict(cpus=cpus, maxcpus=maxcpus, sockets=sockets, clusters=clusters, cores=cores,
                     threads=threads)
        for key in other_levels:
            if key not in UNSUPPORTED_LEVELS:
                raise ConfigError(key, f"unknown -smp parameter (expected one of {', '.join(KEYS)})")
        for key, value in {**given, **other_levels}.items():
            if value is not None and value <= 0:
                raise ConfigError(key, "CPU topology parameters must be greater than zero")
        for key, value in other_levels.items():
            if value is not None and value > 1:
                raise ConfigError(key, f"{key} > 1 not supported by this machine's CPU topology")

        clusters = clusters or 1
        if not cpus and not maxcpus:
            sockets = sockets or 1
            cores = cores or 1
            threads = threads or 1
        else:
            maxcpus = maxcpus or cpus
            assert maxcpus is not None
            if not cores:
                sockets = sockets or 1
                threads = threads or 1
                cores = maxcpus // (sockets * clusters * threads)
            elif not sockets:
                threads = threads or 1
                sockets = maxcpus // (clusters * cores * threads)
            if not threads:
                threads = maxcpus // (sockets * clusters * cores)
        total = sockets * clusters * cores * threads
        maxcpus = maxcpus or total
        cpus = cpus or maxcpus
        if total != maxcpus or total == 0:
            shown = " * ".join(f"{k} ({v})" for k, v in
                               zip(TOPOLOGY_KEYS, (sockets, clusters, cores, threads)))
            raise ConfigError("maxcpus", f"product of the hierarchy must match maxcpus: {shown} "
                                         f"!= maxcpus ({maxcpus})")
        return cls(cpus=cpus, maxcpus=maxcpus, sockets=sockets, clusters=clusters, cores=cores,
                   threads=threads)


def parse_smp(option: str | int) -> SmpConfig:
    """Parse a ``-smp`` argument (``"2,maxcpus=6"``, ``"cpus=2,maxcpus=6,cores=3"``, ``4``)."""
    if isinstance(option, int):
        return SmpConfig.from_values(cpus=option)
    text = option.strip()
    values: dict[str, int] = {}
    if not text:
        return SmpConfig.from_values()
    for position, item in enumerate(text.split(",")):
        item = item.strip()
        if "=" in item:
            key, _, raw = item.partition("=")
            key = key.strip()
        elif position == 0:
            key, raw = "cpus", item
        else:
            raise ConfigError("-smp", f"{item!r}: only the first item may omit its key (cpus)")
        if key not in KEYS:
            raise ConfigError(key, f"unknown -smp parameter (expected one of {', '.join(KEYS)})")
        if key in values:
            raise ConfigError(key, "given more than once")
        raw = raw.strip()
        try:
            value = int(raw, 10)
        except ValueError:
            raise ConfigError(key, f"{raw!r} is not a number") from None
        if value < 0:
            raise ConfigError(key, "CPU topology parameters must be greater than zero")
        values[key] = value
    return SmpConfig.from_values(**values)
