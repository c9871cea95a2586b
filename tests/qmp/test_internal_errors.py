"""Errors caught so that the server keeps serving are counted, never kept whole (issue 11).

An exception keeps its traceback and, through it, the frames and buffers of the
code that raised it: 3,000 stored ones cost hundreds of megabytes. The server
keeps one entry per error type (first message, count) in a bounded summary.
"""

from __future__ import annotations

from pathlib import Path

from vcpu_hotplug.qmp.server import MAX_ERROR_TEXT, MAX_SUMMARY_KINDS, OTHER_KIND, Summary

from .client import RawClient, run, running_server
from .fake_backend import FakeCpuBackend

STATUS_OK = {"return": {"status": "running", "running": True}}


def test_a_fault_repeated_3000_times_is_one_counted_entry(tmp_path: Path) -> None:
    async def main() -> None:
        backend = FakeCpuBackend()
        faults = iter(range(10**9))

        def broken() -> None:
            raise RuntimeError(f"machine fault #{next(faults)} " + "x" * 10_000)
        backend.run_pending = broken
        path = tmp_path / "qmp.sock"
        async with running_server(backend, path) as server:
            client = await RawClient.connect_unix(path)
            await client.negotiate()
            for _ in range(3000):
                assert await client.execute("query-status") == STATUS_OK
            [entry] = list(server.internal_errors)
            assert (entry.kind, entry.count) == ("RuntimeError", 3001)
            assert entry.first.startswith("machine fault #0 ") and len(entry.first) == MAX_ERROR_TEXT
            assert str(entry) == entry.first
            await client.close()

    run(main())


def test_a_bug_behind_a_command_is_an_error_reply_and_the_connection_stays(tmp_path: Path) -> None:
    async def main() -> None:
        backend = FakeCpuBackend()

        def broken(*args: object) -> object:
            raise ValueError("a bug")
        path = tmp_path / "qmp.sock"
        async with running_server(backend, path) as server:
            client = await RawClient.connect_unix(path)
            await client.negotiate()
            backend.cpu_slots = broken  # type: ignore[method-assign]
            reply = await client.execute("query-hotpluggable-cpus", id=5)
            assert reply == {"error": {"class": "GenericError", "desc": "Internal error: ValueError"},
                             "id": 5}
            assert await client.execute("query-status") == STATUS_OK
            assert [(e.kind, e.first, e.count) for e in server.internal_errors] == \
                [("ValueError", "a bug", 1)]
            await client.close()

    run(main())


def test_the_summary_is_bounded_in_kinds() -> None:
    summary = Summary()
    assert summary == []
    for n in range(MAX_SUMMARY_KINDS + 50):
        summary.add(f"kind{n}", "detail")
    assert len(summary) == MAX_SUMMARY_KINDS + 1
    assert [e for e in summary if e.kind == OTHER_KIND][0].count == 50
    assert summary.total == MAX_SUMMARY_KINDS + 50
