"""Framing: QEMU's JSON streamer behaviour and the message shapes of qmp-spec."""

from __future__ import annotations

import json

import pytest

from vcpu_hotplug.qmp.errors import QmpError
from vcpu_hotplug.qmp.protocol import (MAX_NESTING, JsonStreamer, Timestamp, VersionTriple,
                                       encode, event, greeting)


def feed_all(chunks: list[bytes]) -> list[object]:
    streamer = JsonStreamer()
    out: list[object] = []
    for chunk in chunks:
        out.extend(streamer.feed(chunk))
    return out


def test_request_split_across_reads_is_one_message() -> None:
    text = b'{"execute": "query-status", "id": "a{b}"}'
    chunks = [text[i:i + 3] for i in range(0, len(text), 3)]
    assert feed_all(chunks) == [{"execute": "query-status", "id": "a{b}"}]


def test_several_requests_in_one_read_come_out_in_order() -> None:
    data = b'{"execute":"a"}{"execute":"b"}\n  {"execute":"c"}\r\n'
    assert feed_all([data]) == [{"execute": "a"}, {"execute": "b"}, {"execute": "c"}]


def test_braces_and_escaped_quotes_inside_strings_do_not_end_a_message() -> None:
    data = br'{"id": "}\"{", "execute": "x"}'
    assert feed_all([data]) == [{"id": '}"{', "execute": "x"}]


def test_incomplete_input_is_kept_until_the_rest_arrives() -> None:
    streamer = JsonStreamer()
    assert streamer.feed(b'{"execute": ') == []
    assert streamer.pending
    assert streamer.feed(b'"quit"}') == [{"execute": "quit"}]
    assert not streamer.pending


@pytest.mark.parametrize("data, desc", [
    (b'{"execute": }', "JSON parse error, expecting value"),
    (b"{execute: 1}", "JSON parse error, key is not a string in object"),
    (b'{"execute" "x"}', "JSON parse error, missing : in object pair"),
    (b'{"a": 1 "b": 2}', "JSON parse error, expected separator in dict"),
    (b'{"a": 1, "a": 2}', "JSON parse error, duplicate key"),
    (b'{"a": NaN}', "JSON parse error, invalid keyword 'NaN'"),
    (b'{"a": "\xff"}', "JSON parse error, invalid UTF-8 sequence in string"),
])
def test_malformed_values_are_errors_worded_like_qemus_parser(data: bytes, desc: str) -> None:
    [result] = feed_all([data])
    assert isinstance(result, QmpError)
    assert result.to_wire() == {"class": "GenericError", "desc": desc}


def test_stream_recovers_after_a_malformed_value() -> None:
    results = feed_all([b'{"a": ]}{"execute": "ok"}'])
    assert isinstance(results[0], QmpError)
    assert results[-1] == {"execute": "ok"}


def test_top_level_scalars_are_values_too() -> None:
    # QEMU hands them to the dispatcher, which answers "must be a JSON object".
    assert feed_all([b'42 "text" [1, 2]\n']) == [42, "text", [1, 2]]


def test_nesting_beyond_the_limit_is_refused_and_the_stream_carries_on() -> None:
    deep = b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1)
    results = feed_all([deep + b'{"execute": "ok"}'])
    assert [r.desc for r in results if isinstance(r, QmpError)] == [
        "JSON nesting depth limit exceeded"]
    assert results[-1] == {"execute": "ok"}


def test_messages_are_one_json_object_per_line_ending_in_crlf() -> None:
    # monitor/monitor.c monitor_puts_locked writes "\r\n"; libvirt's qemu_monitor_json.c
    # (LINE_ENDING "\r\n") does not see a reply that ends in "\n" alone.
    data = encode({"return": {"text": "a\nb"}})
    assert data.endswith(b"\r\n") and data.count(b"\n") == 1
    assert json.loads(data) == {"return": {"text": "a\nb"}}


def test_event_shape_has_timestamp_seconds_and_microseconds() -> None:
    message = event("DEVICE_DELETED", {"path": "/machine/peripheral/core4"},
                    Timestamp.from_time(1265044230.450486))
    assert message == {"event": "DEVICE_DELETED", "data": {"path": "/machine/peripheral/core4"},
                       "timestamp": {"seconds": 1265044230, "microseconds": 450486}}


def test_greeting_shape() -> None:
    version = {"qemu": {"major": 0, "minor": 1, "micro": 0}, "package": "p"}
    assert greeting(version, []) == {"QMP": {"version": version, "capabilities": []}}


def test_version_triple_from_package_version() -> None:
    assert VersionTriple.parse("0.1.0") == VersionTriple(0, 1, 0)
    assert VersionTriple.parse("2.3") == VersionTriple(2, 3, 0)
