"""Save and restore of a whole VM, as QEMU's migration does it (``migrate``, ``-incoming``).

- :mod:`.stream`: the saved-VM stream (magic, versioned header, SHA-256, payload);
- :mod:`.state_codec`: the payload: the simulation's object graph, pickled with
  code references instead of code and loaded by an unpickler that admits
  only simulation classes;
- :mod:`.vm_state`: what is saved (the ``System``: VMM, clock, guest) and
  how a destination VM is filled with it;
- :mod:`.transport`: QEMU's ``file:`` and ``exec:`` migration URIs;
- :mod:`.job`: the migration's status as QEMU reports it (``MigrationStatus``,
  ``query-migrate``, the ``MIGRATION`` event).

The QMP commands are in :mod:`vcpu_hotplug.qmp.migration`.
"""

from .errors import MigrationError, PayloadError, StateMismatch, StreamError, UriError

__all__ = ["MigrationError", "PayloadError", "StateMismatch", "StreamError", "UriError"]
