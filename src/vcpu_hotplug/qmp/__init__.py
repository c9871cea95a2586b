"""QMP management plane: QEMU's monitor protocol for vCPU hotplug.

Follows QEMU ``docs/interop/qmp-spec.rst`` and the QAPI schemas cited in each
module. The package holds the protocol only:

- ``protocol``: wire framing and message shapes;
- ``commands``: the command table, argument validation and dispatch;
- ``server``: the asyncio server (greeting, negotiation, events);
- ``devices``: vCPUs as QEMU devices (ids, QOM paths, ``device_add``/``device_del``),
  and the translation of machine events into QMP events;
- ``backend``: the interface the server drives (:class:`CpuBackend`), and
  ``machine_backend`` its adapter onto the VMM's ``Machine``.

A VM to serve is built by :mod:`vcpu_hotplug.vm`; the scaling story that
drives it as a client lives in :mod:`vcpu_hotplug.story`.
"""

from .backend import BackendEvent, CpuBackend, HotpluggableCpu, GuestCpuView, RunState
from .errors import BackendError, ErrorClass, QmpError
from .server import (QmpAddress, QmpServer, ServerError, TcpAddress, UnixAddress,
                     parse_qmp_address, serve)

__all__ = [
    "BackendError", "BackendEvent", "CpuBackend", "HotpluggableCpu", "ErrorClass", "GuestCpuView",
    "QmpAddress", "QmpError", "QmpServer", "RunState", "ServerError", "TcpAddress", "UnixAddress",
    "parse_qmp_address", "serve",
]
