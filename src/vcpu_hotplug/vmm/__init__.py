"""The VMM that plays firmware: machine, vCPUs, GICv3, PSCI, CPU hotplug registers, GED, tables."""
