"""The kernel log is a ring of ``log_buf_len`` bytes of text, as printk's is (issue 11).

A VM that plugs and unplugs for weeks logs about ten records per cycle; the
log keeps the newest that fit and counts the rest, and every reader
(``records``, ``dmesg()``, ``lines()``, ``contains()``) sees the same newest
records.
"""

from __future__ import annotations

import pytest

from vcpu_hotplug.guest import GuestConfig
from vcpu_hotplug.guest.klog import LOG_BUF_LEN, KernelLog, LogLevel
from vcpu_hotplug.system import System


def test_the_ring_keeps_the_newest_records_within_log_buf_len() -> None:
    now = [0]
    klog = KernelLog(lambda: now[0], log_buf_len=100)
    for n in range(50):
        now[0] = n * 1000
        klog.info(f"message {n:02d}")  # 10 bytes each
    assert klog.size == 100 and klog.dropped == 40
    assert [r.text for r in klog.records] == [f"message {n:02d}" for n in range(40, 50)]
    assert klog.records[-3:] == klog.records[7:]  # a list, sliceable as before
    assert klog.dmesg().splitlines()[0] == "[    0.000040] message 40"
    assert klog.lines(LogLevel.INFO)[-1] == "message 49"
    assert klog.contains("message 45") and not klog.contains("message 39")


def test_a_record_longer_than_the_ring_is_kept_alone() -> None:
    klog = KernelLog(lambda: 0, log_buf_len=8)
    klog.info("short")
    klog.err("x" * 20)
    assert [r.text for r in klog.records] == ["x" * 20] and klog.dropped == 1


def test_default_is_128_kib_like_config_log_buf_shift_17() -> None:
    assert LOG_BUF_LEN == 128 * 1024
    assert GuestConfig().log_buf_len == LOG_BUF_LEN
    with pytest.raises(ValueError):
        KernelLog(lambda: 0, log_buf_len=0)


def test_a_guest_plugging_for_long_keeps_at_most_128_kib_of_log() -> None:
    system = System.build("cpus=1,maxcpus=4")
    klog = system.kernel.klog
    banner = klog.records[0]
    for _ in range(1500):
        system.enable(2)
        system.disable(2)
    assert klog.size <= LOG_BUF_LEN
    assert klog.dropped > 0
    assert klog.records[0] != banner and klog.records[0].time_ns > banner.time_ns
    assert any("CPU2" in line for line in klog.dmesg().splitlines()[-20:])


def test_the_guest_config_sets_the_ring_size() -> None:
    """GuestConfig.log_buf_len reaches the booted kernel's log (the log_buf_len= boot parameter)."""
    from vcpu_hotplug.guest import GuestConfig
    from vcpu_hotplug.system import System
    system = System.build("cpus=2,maxcpus=4", guest=GuestConfig(log_buf_len=4096))
    for _ in range(20):
        system.enable(3)
        system.disable(3)
    text = sum(len(record.text) for record in system.kernel.klog.records)
    assert text <= 4096 and system.kernel.klog.dropped > 0
