"""``vcpu-hotplug run`` at exit: one line per internal error type and per server notice."""

from __future__ import annotations

from types import SimpleNamespace

from vcpu_hotplug.cli.run import report_server_summaries
from vcpu_hotplug.qmp.server import NOTICE_EVENTS_DROPPED, NOTICE_REFUSED, Summary


def test_errors_and_notices_are_one_counted_line_each(capsys) -> None:
    errors, notices = Summary(), Summary()
    for n in range(3):
        errors.add_error(RuntimeError(f"fault {n}"))
    notices.add(NOTICE_REFUSED, "limit 16 reached")
    notices.add(NOTICE_EVENTS_DROPPED, "client #3 left 1048576 bytes unread; its oldest events "
                                       "are dropped")
    notices.add(NOTICE_REFUSED, "limit 16 reached")
    report_server_summaries(SimpleNamespace(internal_errors=errors, notices=notices))  # type: ignore[arg-type]
    assert capsys.readouterr().err.splitlines() == [
        "warning: internal error while serving (3 times): RuntimeError: fault 0",
        "note: connection refused (too many clients) (2 times): limit 16 reached",
        "note: events dropped (client not reading): client #3 left 1048576 bytes unread; "
        "its oldest events are dropped",
    ]
