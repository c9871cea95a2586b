"""The conformance checker's error family.

:class:`CheckError` means the input cannot be checked at all (no tables, an
unreadable file, bytes that are not an ACPI table); the CLI prints it on one
line and exits non-zero. Problems *in* readable tables are never errors:
they are rule results (:mod:`vcpu_hotplug.check.report`).
"""

from __future__ import annotations


class CheckError(Exception):
    """The input is not a set of ACPI tables the checker can read; the message says why and where."""
