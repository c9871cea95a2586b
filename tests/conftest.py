"""Shared fixtures.

Tests that need ``iasl``/``acpiexec`` or ``../shared`` skip on a user's machine
when those are missing, but fail (never skip) when ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REFERENCE_TABLES = SHARED / "reference-tables"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, what: str) -> None:
    """Skip when ``condition`` is false on a user's machine; fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required when CI=true")
    pytest.skip(f"{what} is not available")


@pytest.fixture(scope="session")
def reference_tables() -> Path:
    """The folder of real QEMU tables (../shared/reference-tables)."""
    require(REFERENCE_TABLES.is_dir(), f"{REFERENCE_TABLES}")
    return REFERENCE_TABLES


@pytest.fixture(scope="session")
def iasl() -> str:
    """Path of ACPICA's iasl (Debian package acpica-tools)."""
    path = shutil.which("iasl")
    require(path is not None, "iasl (apt-get install acpica-tools)")
    return path


@pytest.fixture(scope="session")
def acpiexec() -> str:
    """Path of ACPICA's acpiexec (Debian package acpica-tools)."""
    path = shutil.which("acpiexec")
    require(path is not None, "acpiexec (apt-get install acpica-tools)")
    return path
