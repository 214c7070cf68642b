"""Which container's log ``kubectl logs`` means, and reading a CRI log with every option."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest

from kubeling.kubelet.server.container_logs import (
    LogRequest,
    LogUnavailable,
    log_container_id,
    read_log,
    tail_start,
)
from kubeling.kubelet.server.cri_log import LogTimestamp
from tests.support.waiting import eventually


def _pod(**status: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p"}, "status": {"containerStatuses": [{"name": "c", **status}]}}


RUNNING = {"running": {"startedAt": "x"}}
PREVIOUS = {"terminated": {"containerID": "id://old", "exitCode": 1}}


@pytest.mark.parametrize(
    ("pod", "previous", "expected"),
    [
        (_pod(containerID="id://now", state=RUNNING), False, "id://now"),
        (_pod(containerID="id://now", state=RUNNING, lastState=PREVIOUS), True, "id://old"),
        (_pod(state={"terminated": {"containerID": "id://done"}}), False, "id://done"),
        (_pod(state={"terminated": {}}, lastState=PREVIOUS), False, "id://old"),
        (
            _pod(state={"waiting": {"reason": "CrashLoopBackOff"}}, lastState=PREVIOUS),
            False,
            "id://old",
        ),
        (
            {
                "metadata": {"name": "p"},
                "status": {
                    "initContainerStatuses": [
                        {"name": "c", "containerID": "id://init", "state": RUNNING}
                    ]
                },
            },
            False,
            "id://init",
        ),
    ],
)
def test_which_container(pod: dict[str, Any], previous: bool, expected: str) -> None:
    """Running: itself; --previous or stopped: the last terminated one."""
    assert log_container_id(pod, "c", previous=previous) == expected


@pytest.mark.parametrize(
    ("pod", "previous", "message"),
    [
        (_pod(state=RUNNING), False, None),  # running but without an id yet: "" (not an error)
        ({"metadata": {"name": "p"}}, False, 'container "c" in pod "p" is not available'),
        (_pod(state=RUNNING), True, 'previous terminated container "c" in pod "p" not found'),
        (
            _pod(state={"waiting": {"reason": "ContainerCreating"}}),
            False,
            'container "c" in pod "p" is waiting to start: ContainerCreating',
        ),
        (
            _pod(state={"waiting": {"reason": "ErrImagePull"}}),
            False,
            'container "c" in pod "p" is waiting to start: image can\'t be pulled',
        ),
        (
            _pod(state={"waiting": {"reason": "ImagePullBackOff"}}),
            False,
            'container "c" in pod "p" is waiting to start: trying and failing to pull image',
        ),
        (_pod(state={"terminated": {}}), False, 'container "c" in pod "p" is terminated'),
        (
            _pod(state={}, lastState={"terminated": {}}),
            False,
            'container "c" in pod "p" is terminated',
        ),
        (_pod(state={}), False, 'container "c" in pod "p" is waiting to start - no logs yet'),
    ],
)
def test_no_log_to_show(pod: dict[str, Any], previous: bool, message: str | None) -> None:
    """validateContainerLogStatus's reasons, word for word."""
    if message is None:
        assert log_container_id(pod, "c", previous=previous) == ""
        return
    with pytest.raises(LogUnavailable) as caught:
        log_container_id(pod, "c", previous=previous)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("content", "lines", "start"),
    [
        (b"a\nb\nc\n", None, 0),
        (b"a\nb\nc\n", -1, 0),
        (b"a\nb\nc\n", 0, 6),
        (b"a\nb\nc\n", 1, 4),
        (b"a\nb\nc\n", 2, 2),
        (b"a\nb\nc\n", 3, 0),
        (b"a\nb\nc\n", 10, 0),
        (b"a\nb\nc", 1, 2),  # the unfinished last line does not count
        (b"", 5, 0),
        (b"x" * 70000 + b"\n" + b"y\n" * 3, 3, 70001),  # across read blocks
        (b"z\n" + b"x" * 140000 + b"\n", 1, 2),
    ],
)
def test_tail_start(content: bytes, lines: int | None, start: int) -> None:
    """FindTailLineStartIndex: the start of the last N newline-ended lines."""
    assert tail_start(io.BytesIO(content), lines) == start


LOG = (
    b"2024-01-01T00:00:01.000000001Z stdout F one\n"
    b"2024-01-01T00:00:02Z stderr F two\n"
    b"not a CRI line\n"
    b"2024-01-01T00:00:03Z stdout P thr\n"
    b"2024-01-01T00:00:04Z stdout F ee\n"
    b"2024-01-01T01:00:05+01:00 stdout F four\n"
)


async def _read(path: Path, request: LogRequest, running: bool = False) -> bytes:
    out = b""
    async for chunk in read_log(path, request, running=lambda: running, poll_interval=0.01):
        out += chunk
    return out


def _at(text: str) -> LogTimestamp:
    return LogTimestamp.parse(text.encode())


@pytest.mark.parametrize(
    ("request_", "output"),
    [
        (LogRequest(), b"one\ntwo\nthree\nfour\n"),
        (LogRequest(tail_lines=1), b"four\n"),
        (LogRequest(tail_lines=2), b"ee\nfour\n"),  # file lines, not logical lines
        (LogRequest(tail_lines=0), b""),
        (LogRequest(tail_lines=100), b"one\ntwo\nthree\nfour\n"),
        (
            LogRequest(timestamps=True),
            b"2024-01-01T00:00:01.000000001Z one\n"
            b"2024-01-01T00:00:02.000000000Z two\n"
            b"2024-01-01T00:00:03.000000000Z thr"
            b"2024-01-01T00:00:04.000000000Z ee\n"
            b"2024-01-01T01:00:05.000000000+01:00 four\n",
        ),
        (LogRequest(since=_at("2024-01-01T00:00:02Z")), b"two\nthree\nfour\n"),
        (LogRequest(since=_at("2024-01-01T00:00:04.5Z")), b"four\n"),
        (LogRequest(since=_at("2025-01-01T00:00:00Z")), b""),
        (LogRequest(since=_at("2024-01-01T00:00:03.5Z"), tail_lines=3), b"ee\nfour\n"),
        (LogRequest(limit_bytes=6), b"one\ntw"),
        (LogRequest(limit_bytes=1000), b"one\ntwo\nthree\nfour\n"),
        (LogRequest(limit_bytes=35, timestamps=True), b"2024-01-01T00:00:01.000000001Z one\n"),
        (LogRequest(limit_bytes=3, tail_lines=1), b"fou"),
    ],
    ids=repr,
)
async def test_read_with_options(tmp_path: Path, request_: LogRequest, output: bytes) -> None:
    """tailLines, sinceTime, timestamps, limitBytes alone and together; both streams; a
    partial line continued; a line that does not parse skipped."""
    path = tmp_path / "c.log"
    path.write_bytes(LOG)
    assert await _read(path, request_) == output


async def test_unfinished_last_line_is_shown_without_follow(tmp_path: Path) -> None:
    """Without follow the reader stops at the end, unfinished line included."""
    path = tmp_path / "c.log"
    path.write_bytes(b"2024-01-01T00:00:01Z stdout F one\n2024-01-01T00:00:02Z stdout F tw")
    assert await _read(path, LogRequest()) == b"one\ntw"


async def test_follow_reads_new_lines_until_the_container_stops(tmp_path: Path) -> None:
    """follow: what is written later arrives; once the container stops, the rest is read and
    the stream ends (an unfinished line is not shown)."""
    path = tmp_path / "c.log"
    path.write_bytes(b"2024-01-01T00:00:01Z stdout F old\n")
    running = True
    received: list[bytes] = []

    async def follow() -> None:
        reader = read_log(
            path, LogRequest(follow=True, tail_lines=0), running=lambda: running, poll_interval=0.01
        )
        async for chunk in reader:
            received.append(chunk)

    task = asyncio.create_task(follow())
    await asyncio.sleep(0.05)
    with path.open("ab") as log:
        log.write(b"2024-01-01T00:00:02Z stdout F new")
        log.flush()
        await asyncio.sleep(0.05)
        assert received == []  # an unfinished line waits for its end
        log.write(b"\n2024-01-01T00:00:03Z stderr F more\n2024-01-01T00:00:04Z stdout F unfini")
    await eventually(
        lambda: b"".join(received) == b"new\nmore\n", within=10, what="the two finished lines"
    )
    running = False
    await asyncio.wait_for(task, 5)
    assert b"".join(received) == b"new\nmore\n"


async def test_follow_with_limit_bytes_stops_at_the_limit(tmp_path: Path) -> None:
    """limitBytes ends a followed log too, even while the container runs."""
    path = tmp_path / "c.log"
    path.write_bytes(b"2024-01-01T00:00:01Z stdout F 12345\n2024-01-01T00:00:01Z stdout F 678\n")
    out = await asyncio.wait_for(
        _read(path, LogRequest(follow=True, limit_bytes=8), running=True), 5
    )
    assert out == b"12345\n67"


async def test_follow_goes_on_in_a_rotated_file(tmp_path: Path) -> None:
    """A log file replaced under the same path: the old one read to its end, then the new."""
    path = tmp_path / "c.log"
    path.write_bytes(b"2024-01-01T00:00:01Z stdout F first\n")
    running = True
    received: list[bytes] = []

    async def follow() -> None:
        async for chunk in read_log(
            path, LogRequest(follow=True), running=lambda: running, poll_interval=0.01
        ):
            received.append(chunk)

    task = asyncio.create_task(follow())
    await eventually(lambda: b"".join(received) == b"first\n", within=10, what="the first line")
    with path.open("ab") as old:
        old.write(b"2024-01-01T00:00:02Z stdout F last of the old file\n")
    path.rename(tmp_path / "c.log.1")
    path.write_bytes(b"2024-01-01T00:00:03Z stdout F in the new file\n")
    await eventually(
        lambda: b"in the new file" in b"".join(received),
        within=10,
        what="the line of the rotated-in file",
    )
    running = False
    await asyncio.wait_for(task, 5)
    assert b"".join(received) == b"first\nlast of the old file\nin the new file\n"
