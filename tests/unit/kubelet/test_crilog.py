"""The CRI log format: timestamps, records, line splitting, parsing and rotation."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeling.kubelet.runtime.crilog import (
    FULL,
    MAX_LINE,
    PARTIAL,
    LineSplitter,
    LogRecord,
    RotatingLogWriter,
    format_record,
    format_timestamp,
    parse_record,
    rotated_files,
)

T = 1_475_713_029_669_794_202  # 2016-10-06T00:17:09.669794202Z


@pytest.mark.parametrize(
    ("nanos", "text"),
    [
        (T, "2016-10-06T00:17:09.669794202Z"),
        (1_475_713_029_669_794_000, "2016-10-06T00:17:09.669794Z"),
        (1_475_713_029_000_000_001, "2016-10-06T00:17:09.000000001Z"),
        (1_475_713_029_000_000_000, "2016-10-06T00:17:09Z"),
        (0, "1970-01-01T00:00:00Z"),
    ],
)
def test_timestamps_are_go_rfc3339nano(nanos: int, text: str) -> None:
    assert format_timestamp(nanos) == text


@pytest.mark.parametrize(
    ("stream", "tag", "content", "line"),
    [
        ("stdout", FULL, b"hello", b"2016-10-06T00:17:09.669794202Z stdout F hello\n"),
        ("stderr", PARTIAL, b"a b  c", b"2016-10-06T00:17:09.669794202Z stderr P a b  c\n"),
        ("stdout", FULL, b"", b"2016-10-06T00:17:09.669794202Z stdout F \n"),
        ("stdout", FULL, b"\xff\x00", b"2016-10-06T00:17:09.669794202Z stdout F \xff\x00\n"),
    ],
)
def test_records_round_trip(stream: str, tag: str, content: bytes, line: bytes) -> None:
    assert format_record(T, stream, tag, content) == line
    assert parse_record(line) == LogRecord(
        "2016-10-06T00:17:09.669794202Z", stream, tag == PARTIAL, content
    )


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"2016-10-06T00:17:09Z stdout",
        b"2016-10-06T00:17:09Z stdin F x",
        b"2016-10-06T00:17:09Z stdout X x",
    ],
)
def test_malformed_records_are_refused(line: bytes) -> None:
    with pytest.raises(ValueError, match="CRI log record"):
        parse_record(line)


def test_multiple_tags_are_accepted() -> None:
    assert parse_record(b"2016-10-06T00:17:09Z stdout F:P x").partial


@pytest.mark.parametrize(
    ("chunks", "records", "flushed"),
    [
        ([b"a\nb\n"], [(FULL, b"a"), (FULL, b"b")], []),
        ([b"a", b"b", b"\n"], [(FULL, b"ab")], []),
        ([b"crlf\r\n"], [(FULL, b"crlf")], []),
        ([b"\n\n"], [(FULL, b""), (FULL, b"")], []),
        ([b"abc"], [], [(PARTIAL, b"abc")]),
        ([b"x" * 10 + b"\n"], [(PARTIAL, b"x" * 4), (PARTIAL, b"x" * 4), (FULL, b"xx")], []),
        ([b"x" * 9], [(PARTIAL, b"x" * 4), (PARTIAL, b"x" * 4)], [(PARTIAL, b"x")]),
        ([b"x" * 8 + b"\n"], [(PARTIAL, b"x" * 4), (FULL, b"x" * 4)], []),
        ([b"x" * 8, b"\n"], [(PARTIAL, b"x" * 4), (FULL, b"x" * 4)], []),
    ],
)
def test_line_splitting(
    chunks: list[bytes], records: list[tuple[str, bytes]], flushed: list[tuple[str, bytes]]
) -> None:
    splitter = LineSplitter(max_line=4)
    got = [record for chunk in chunks for record in splitter.feed(chunk)]
    assert got == records
    assert splitter.flush() == flushed
    assert splitter.flush() == []


def test_the_default_line_limit_is_containerds() -> None:
    splitter = LineSplitter()
    records = splitter.feed(b"y" * (MAX_LINE + 1) + b"\n")
    assert [(tag, len(content)) for tag, content in records] == [(PARTIAL, MAX_LINE), (FULL, 1)]


def test_rotation_keeps_the_newest_files(tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    writer = RotatingLogWriter(path, max_bytes=100, max_files=3)
    for n in range(20):
        writer.write("stdout", FULL, f"line {n:02d} ".encode() * 3, nanos=T)
    writer.close()
    rotated = rotated_files(path)
    assert len(rotated) == 2  # max_files counts the current file
    assert all(f.stat().st_size >= 100 for f in rotated)
    lines = [parse_record(line) for f in [*rotated, path] for line in f.read_bytes().splitlines()]
    assert lines[-1].content.startswith(b"line 19")
    numbers = [int(r.content.split()[1]) for r in lines]
    assert numbers == sorted(numbers)


def test_a_writer_appends_to_an_existing_log(tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    path.write_bytes(format_record(T, "stdout", FULL, b"before"))
    writer = RotatingLogWriter(path, max_bytes=0)
    writer.write("stderr", FULL, b"after", nanos=T)
    writer.close()
    assert [parse_record(line).content for line in path.read_bytes().splitlines()] == [
        b"before",
        b"after",
    ]
