"""The QMP layer's error family, with QEMU's error classes.

Follows QEMU ``qapi/error.json`` (``QapiErrorClass``) and
``docs/interop/qmp-spec.rst`` section "Error": an error reply is
``{"error": {"class": CLASS, "desc": TEXT}}`` where ``desc`` is a sentence a
person can act on. The wording of the messages built here follows the QEMU
sources that produce them (cited at each helper).
"""

from __future__ import annotations

from enum import Enum


class ErrorClass(str, Enum):
    """QEMU's ``QapiErrorClass`` (qapi/error.json)."""

    GENERIC_ERROR = "GenericError"
    COMMAND_NOT_FOUND = "CommandNotFound"
    DEVICE_NOT_ACTIVE = "DeviceNotActive"
    DEVICE_NOT_FOUND = "DeviceNotFound"
    KVM_MISSING_CAP = "KVMMissingCap"


class QmpError(Exception):
    """Base of every error raised by :mod:`vcpu_hotplug.qmp`.

    Carries the wire ``class`` and ``desc`` of a QMP error reply.
    """

    def __init__(self, desc: str, error_class: ErrorClass = ErrorClass.GENERIC_ERROR) -> None:
        super().__init__(desc)
        self.desc = desc
        self.error_class = error_class

    def to_wire(self) -> dict[str, str]:
        """The ``error`` member of a reply: ``{"class": ..., "desc": ...}``."""
        return {"class": self.error_class.value, "desc": self.desc}


class BackendError(QmpError):
    """A machine operation was refused; ``desc`` says why, for the user.

    Raised by implementations of :class:`vcpu_hotplug.qmp.backend.CpuBackend`
    (QEMU reports such refusals, e.g. from a hotplug handler, as GenericError).
    """


# Messages of qapi/qobject-input-visitor.c (QERR_MISSING_PARAMETER,
# QERR_INVALID_PARAMETER_TYPE, qobject_input_check_struct) and
# include/qapi/qmp/qerror.h (QERR_INVALID_PARAMETER_VALUE).

def missing_parameter(name: str) -> QmpError:
    return QmpError(f"Parameter '{name}' is missing")


def invalid_parameter_type(name: str, expected: str) -> QmpError:
    return QmpError(f"Invalid parameter type for '{name}', expected: {expected}")


def unexpected_parameter(name: str) -> QmpError:
    return QmpError(f"Parameter '{name}' is unexpected")


def invalid_parameter_value(name: str, expected: str) -> QmpError:
    return QmpError(f"Parameter '{name}' expects {expected}")


def enum_value_rejected(name: str, value: str) -> QmpError:
    """qapi/qapi-visit-core.c input_type_enum."""
    return QmpError(f"Parameter '{name}' does not accept value '{value}'")


def device_not_found(name: str) -> QmpError:
    """system/qdev-monitor.c find_device_state."""
    return QmpError(f"Device '{name}' not found", ErrorClass.DEVICE_NOT_FOUND)
