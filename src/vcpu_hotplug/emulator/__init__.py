"""A QEMU-compatible emulator entry point, so that stock libvirt can drive the VM.

libvirt starts and probes ``qemu-system-aarch64`` by its command line and
QMP; this package reads that command line (``cmdline``), answers the probe
and the domain's monitor, and serves the guest agent channel.
"""
