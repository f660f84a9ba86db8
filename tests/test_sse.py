"""The wire (liveblog/sse.py): frames, chunks, keep-alive, the retry field and the headers."""

from __future__ import annotations

import random

from liveblog import sse


def test_a_frame_carries_id_kind_and_one_line_of_json():
    assert sse.frame(42, "update", '{"a":1}') == b'id: 42\nevent: update\ndata: {"a":1}\n\n'


def test_a_chunk_is_the_frame_behind_its_length_in_hex():
    raw = sse.frame(7, "delete", '{"id":7,"story":"s"}')
    chunk = sse.chunked(raw)
    size, _, rest = chunk.partition(b"\r\n")
    assert int(size, 16) == len(raw)
    assert rest == raw + b"\r\n"


def test_the_keepalive_is_a_comment_a_client_ignores():
    assert sse.KEEPALIVE.startswith(b":") and sse.KEEPALIVE.endswith(b"\n\n")


def test_each_stream_is_told_its_own_reconnection_wait_within_the_range():
    rng = random.Random(1)
    waits = []
    for _ in range(200):
        field = sse.retry(rng)
        assert field.startswith(b"retry: ") and field.endswith(b"\n\n")
        waits.append(int(field[len(b"retry: "):-2]))
    assert all(sse.RETRY_MIN_MS <= w <= sse.RETRY_MAX_MS for w in waits)
    # Spread over the range, not one instant: the reconnections after a restart.
    assert max(waits) - min(waits) > (sse.RETRY_MAX_MS - sse.RETRY_MIN_MS) * 0.8


def test_the_stream_headers_are_the_specs():
    headers = dict(sse.HEADERS)
    assert headers[b"content-type"].startswith(b"text/event-stream")
    assert headers[b"cache-control"] == b"no-cache"
    assert headers[b"x-accel-buffering"] == b"no"
    assert headers[b"access-control-allow-origin"] == b"*"
    assert b"content-type" not in dict(sse.NO_CONTENT_HEADERS)
