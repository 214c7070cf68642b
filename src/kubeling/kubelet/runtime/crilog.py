"""Container logs in the CRI log format, written with rotation and read back.

Every line a container prints becomes one record, as containerd writes them and as the
kubelet (``kubectl logs``) reads them::

    2016-10-06T00:17:09.669794202Z stdout F log line
    2016-10-06T00:17:09.669794202Z stderr P a line longer than 16 KiB, first part

- the timestamp is RFC 3339 with nanoseconds, UTC, trailing zeros dropped (Go's
  ``time.RFC3339Nano``);
- the stream is ``stdout`` or ``stderr``;
- the tag is ``F`` for the end of a line and ``P`` for a part of one: a line longer than
  :data:`MAX_LINE` is cut into ``P`` records and a final ``F``, and output left without a
  newline when the stream closes is written as ``P`` (containerd does the same);
- the content is the line without its ``\\n`` (or ``\\r\\n``).

Rotation is by size: when the current file passes ``max_bytes`` it is renamed to
``<path>.<YYYYmmdd-HHMMSS>`` (the kubelet's suffix) and a new one is opened; only the newest
``max_files - 1`` rotated files are kept.

This module uses the standard library only: the container shim (a separate, minimal
interpreter, :mod:`kubeling.kubelet.runtime.shim`) imports it by file, the kubelet as
``kubeling.kubelet.runtime.crilog``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "FULL",
    "MAX_LINE",
    "PARTIAL",
    "LineSplitter",
    "LogRecord",
    "RotatingLogWriter",
    "format_record",
    "format_timestamp",
    "parse_record",
    "rotated_files",
]

FULL: Final = "F"
PARTIAL: Final = "P"
#: containerd's default ``max_container_log_line_size``.
MAX_LINE: Final = 16 * 1024
STREAMS: Final = ("stdout", "stderr")


def format_timestamp(nanos: int) -> str:
    """Go's ``time.RFC3339Nano`` of a Unix time in nanoseconds, in UTC.

    >>> format_timestamp(1_475_713_029_669_794_202)
    '2016-10-06T00:17:09.669794202Z'
    >>> format_timestamp(1_475_713_029_500_000_000)
    '2016-10-06T00:17:09.5Z'
    >>> format_timestamp(1_475_713_029_000_000_000)
    '2016-10-06T00:17:09Z'
    """
    seconds, fraction = divmod(nanos, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if fraction:
        stamp += "." + f"{fraction:09d}".rstrip("0")
    return stamp + "Z"


def format_record(nanos: int, stream: str, tag: str, content: bytes) -> bytes:
    """One record: ``<timestamp> <stream> <tag> <content>\\n``.

    >>> format_record(1_475_713_029_000_000_000, "stdout", "F", b"hi")
    b'2016-10-06T00:17:09Z stdout F hi\\n'
    """
    return f"{format_timestamp(nanos)} {stream} {tag} ".encode() + content + b"\n"


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One parsed record."""

    timestamp: str
    stream: str
    partial: bool
    content: bytes


def parse_record(line: bytes) -> LogRecord:
    """Parse one record (with or without its trailing newline); ValueError if malformed.

    >>> parse_record(b"2016-10-06T00:17:09.5Z stderr P abc def\\n")
    LogRecord(timestamp='2016-10-06T00:17:09.5Z', stream='stderr', partial=True, content=b'abc def')
    """
    if line.endswith(b"\n"):
        line = line[:-1]
    parts = line.split(b" ", 3)
    if len(parts) < 3:
        raise ValueError(f"not a CRI log record: {line[:80]!r}")
    timestamp, stream, tags = (p.decode("ascii", "replace") for p in parts[:3])
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r} in CRI log record")
    # Tags are ":"-separated; only P and F exist today.
    tag_set = tags.split(":")
    if not tag_set or any(tag not in (FULL, PARTIAL) for tag in tag_set):
        raise ValueError(f"unknown tag {tags!r} in CRI log record")
    content = parts[3] if len(parts) == 4 else b""
    return LogRecord(timestamp, stream, PARTIAL in tag_set, content)


class LineSplitter:
    """Cuts one stream's output into records: ``feed`` bytes, get ``(tag, content)`` pairs.

    >>> splitter = LineSplitter(max_line=4)
    >>> splitter.feed(b"ab\\r\\ncdefgh")
    [('F', b'ab'), ('P', b'cdef')]
    >>> splitter.feed(b"\\nxy")
    [('F', b'gh')]
    >>> splitter.flush()
    [('P', b'xy')]
    """

    def __init__(self, *, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._pending = b""

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        records: list[tuple[str, bytes]] = []
        buffer = self._pending + data
        start = 0
        while True:
            newline = buffer.find(b"\n", start)
            if newline < 0:
                break
            line = buffer[start:newline]
            if line.endswith(b"\r"):
                line = line[:-1]
            records.extend(self._cut(line))
            start = newline + 1
        rest = buffer[start:]
        while len(rest) > self.max_line:
            records.append((PARTIAL, rest[: self.max_line]))
            rest = rest[self.max_line :]
        self._pending = rest
        return records

    def flush(self) -> list[tuple[str, bytes]]:
        """The output left without a newline, as a partial record (when the stream ends)."""
        rest, self._pending = self._pending, b""
        return [(PARTIAL, rest)] if rest else []

    def _cut(self, line: bytes) -> list[tuple[str, bytes]]:
        """A complete line: parts of ``max_line`` bytes, the last one ``F``."""
        records = []
        while len(line) > self.max_line:
            records.append((PARTIAL, line[: self.max_line]))
            line = line[self.max_line :]
        records.append((FULL, line))
        return records


def rotated_files(path: Path) -> list[Path]:
    """The rotated files of the log at ``path``, oldest first."""
    prefix = path.name + "."
    try:
        names = [name for name in os.listdir(path.parent) if name.startswith(prefix)]
    except FileNotFoundError:
        return []
    return [path.parent / name for name in sorted(names, key=lambda n: _age(path, n))]


def _age(path: Path, name: str) -> tuple[str, int]:
    """Sort key of a rotated file: ``<log>.<stamp>``, or ``<log>.<stamp>.<n>`` for the n-th
    further rotation within the same second."""
    stamp, _, n = name[len(path.name) + 1 :].partition(".")
    return stamp, int(n) if n.isdigit() else 0


class RotatingLogWriter:
    """Appends records to ``path``, rotating it past ``max_bytes`` (0: never)."""

    def __init__(self, path: Path, *, max_bytes: int = 10 * 1024 * 1024, max_files: int = 5):
        self.path = path
        self.max_bytes = max_bytes
        self.max_files = max(max_files, 2)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._size = os.fstat(self._fd).st_size

    def write(self, stream: str, tag: str, content: bytes, *, nanos: int | None = None) -> None:
        record = format_record(time.time_ns() if nanos is None else nanos, stream, tag, content)
        view = memoryview(record)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._size += len(record)
        if self.max_bytes and self._size >= self.max_bytes:
            self.rotate()

    def rotate(self) -> None:
        """Move the current file aside and start a new one; drop the oldest rotated files."""
        os.close(self._fd)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        same_second = [
            n for s, n in (_age(self.path, f.name) for f in rotated_files(self.path)) if s == stamp
        ]
        name = f"{self.path.name}.{stamp}"
        if same_second:
            name += f".{max(same_second) + 1}"
        os.rename(self.path, self.path.with_name(name))
        for old in rotated_files(self.path)[: -(self.max_files - 1)]:
            old.unlink(missing_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._size = 0

    def close(self) -> None:
        os.close(self._fd)
