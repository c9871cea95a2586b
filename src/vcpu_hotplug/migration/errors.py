"""Errors of save/restore (one family: :class:`MigrationError`).

QEMU reports a failed migration as a ``GenericError`` with a sentence
(``migration/migration.c`` ``migrate_set_error``; ``query-migrate``'s
``error-desc``); these carry that sentence, naming the file or command and
what is wrong with it.
"""

from __future__ import annotations


class MigrationError(Exception):
    """Save or restore failed; the message says where and why."""


class StreamError(MigrationError):
    """A state stream that cannot be loaded: not ours, another version or build, truncated, corrupt."""


class PayloadError(StreamError):
    """The payload inside a well-formed stream does not decode into simulation state."""


class UriError(MigrationError):
    """A migration URI this VMM does not support or cannot open."""


class StateMismatch(MigrationError):
    """The stream's VM does not fit the destination's configuration (QEMU: same machine required)."""
