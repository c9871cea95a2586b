"""SMC Calling Convention values (Arm DEN0028, SMCCC), the conduit PSCI calls travel on."""

from __future__ import annotations

SMCCC_VERSION_FUNC_ID = 0x8000_0000
"""``SMCCC_VERSION`` (DEN0028, "SMCCC_VERSION"); Linux ``ARM_SMCCC_VERSION_FUNC_ID``."""

SMCCC_VERSION_1_0 = 0x1_0000
"""SMCCC 1.0: what a caller assumes when ``SMCCC_VERSION`` is not implemented."""

SMCCC_VERSION_1_1 = 0x1_0001

SMC32_MASK = 0xFFFF_FFFF
"""SMC32/HVC32 calls pass 32-bit values (the W registers)."""
