"""The cloud-scaling story told end to end, and how to read what happened.

``scaling`` drives a VM as an orchestrator would (the ``qemu.qmp`` client
over a real QMP socket: pre-deploy, scale up, scale down, quit);
``hotplug_path`` reads the path one hotplug took through the layers from the
machine's trace. ``vcpu-hotplug demo`` and the benchmarks use them.
"""
