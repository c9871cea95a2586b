"""The VMM that plays firmware: machine, vCPUs, GICv3, PSCI, CPU hotplug registers, GED, tables.

Start from :class:`~vcpu_hotplug.vmm.machine.Machine`::

    from vcpu_hotplug.vmm.machine import Machine, MachineConfig

    machine = Machine(MachineConfig(smp="cpus=2,maxcpus=6"))   # QEMU -smp syntax
    machine.enable(3)        # hotplug: insert event + GED interrupt
    machine.disable(3)       # unplug request: completes when the guest ejects

Modules: :mod:`~vcpu_hotplug.vmm.smp` (``-smp`` rules), :mod:`~vcpu_hotplug.vmm.topology`
(topology ids, MPIDR), :mod:`~vcpu_hotplug.vmm.vcpu` (admin and power state),
:mod:`~vcpu_hotplug.vmm.gic` (GICv3), :mod:`~vcpu_hotplug.vmm.psci` (PSCI 1.1),
:mod:`~vcpu_hotplug.vmm.cpuhp` (the register block), :mod:`~vcpu_hotplug.vmm.ged` (GED),
:mod:`~vcpu_hotplug.vmm.errors` (the :class:`~vcpu_hotplug.vmm.errors.VmmError` family).
The VMM meets a guest only through :mod:`vcpu_hotplug.hw`.
"""
