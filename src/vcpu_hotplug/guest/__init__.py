"""A model of the Linux arm64 kernel (6.11 and later) as far as CPU hotplug goes."""
