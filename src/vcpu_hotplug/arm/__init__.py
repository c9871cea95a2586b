"""Arm architecture values, each defined once: PSCI, SMCCC, MPIDR, GICv3 registers, MIDR.

The leaf layer of the project (DESIGN.md section 2): it knows the Arm
specifications only and imports nothing of the project, so the VMM
(:mod:`vcpu_hotplug.vmm`) and the guest model (:mod:`vcpu_hotplug.guest`)
both take their Arm values from here without knowing each other.

- :mod:`.psci`: PSCI function ids, return codes, ``AFFINITY_INFO`` and
  ``MIGRATE_INFO_TYPE`` results, version and ``power_state`` layout (Arm DEN0022D.b);
- :mod:`.smccc`: the SMC Calling Convention's ``SMCCC_VERSION`` call and
  calling-convention bits (Arm DEN0028);
- :mod:`.mpidr`: the ``MPIDR_EL1`` layout (Arm ARM DDI 0487, D23.2);
- :mod:`.gic`: GICv3 distributor and redistributor register offsets and
  fields (Arm IHI 0069);
- :mod:`.midr`: the ``MIDR_EL1`` layout and the CPU models the project reports.
"""
