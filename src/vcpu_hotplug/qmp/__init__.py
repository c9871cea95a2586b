"""QMP management plane: QEMU's monitor protocol for vCPU hotplug.

Follows QEMU ``docs/interop/qmp-spec.rst`` and the QAPI schemas cited in each
module. The server drives any :class:`~vcpu_hotplug.qmp.backend.CpuBackend`;
``machine_backend`` adapts the VMM's ``Machine`` to it, ``system_backend``
builds a VM with the Linux guest model booted on it (``build_vm``),
``hotplug_path`` reads the path of a hotplug from the machine's trace, and
``scaling`` runs the cloud-scaling story with the ``qemu.qmp`` client.
"""

from .backend import (BackendEvent, CpuBackend, CpuSlot, DeviceDeleted, GuestCpuView,
                      OstReported, RunState, UnplugFailed)
from .errors import BackendError, ErrorClass, QmpError
from .server import (QmpAddress, QmpServer, ServerError, TcpAddress, UnixAddress,
                     parse_qmp_address, serve)

__all__ = [
    "BackendError", "BackendEvent", "CpuBackend", "CpuSlot", "DeviceDeleted", "ErrorClass",
    "GuestCpuView", "OstReported", "QmpAddress", "QmpError", "QmpServer", "RunState",
    "ServerError", "TcpAddress", "UnixAddress", "UnplugFailed", "parse_qmp_address", "serve",
]
