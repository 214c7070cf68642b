"""``kubectl logs`` on the node: which container's log, and reading it with every option.

:func:`log_container_id` is the kubelet's ``validateContainerLogStatus``: from the pod status it
reports, the id of the container whose log is meant (the running one; the last terminated one
for ``--previous`` or once it stopped), or the reason there is none (``is waiting to start``...).

:func:`read_log` is ``kuberuntime/logs.ReadLogs``:

- ``tailLines`` picks where to start: the beginning of the last N *file* lines (an unfinished
  last line does not count), and without ``follow`` stops after N entries;
- ``sinceTime``/``sinceSeconds`` skip entries written earlier (they still count for the tail);
- ``timestamps`` prefixes each entry's content with its timestamp (nine fraction digits), so a
  partial line gets a timestamp in the middle of what it continues, as upstream;
- ``limitBytes`` cuts the output at that many bytes (prefixes included);
- ``follow`` keeps reading while the container runs, polling the file; once the container is not
  running it reads to the end and stops. A log file replaced under the same path (rotation) is
  read to its end, then the new file from its start.

Lines that do not parse are skipped (upstream logs them); both streams go to one output, in file
order.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from kubeling.api.goformat import go_quote
from kubeling.kubelet.server.cri_log import LogTimestamp, parse_line

__all__ = ["LogRequest", "LogUnavailable", "log_container_id", "read_log", "tail_start"]

_BLOCK = 64 * 1024


class LogUnavailable(Exception):
    """There is no log to show; ``str(err)`` is the kubelet's message (a 400 to the client)."""


def _statuses(pod: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    status = pod.get("status") or {}
    return [s for s in status.get(key) or [] if isinstance(s, Mapping)]


def log_container_id(pod: Mapping[str, Any], container: str, *, previous: bool) -> str:
    """The id of the container whose log is wanted (``validateContainerLogStatus``)."""
    pod_name = str((pod.get("metadata") or {}).get("name", ""))
    where = f"{go_quote(container)} in pod {go_quote(pod_name)}"
    status = next(
        (
            s
            for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")
            for s in _statuses(pod, key)
            if s.get("name") == container
        ),
        None,
    )
    if status is None:
        raise LogUnavailable(f"container {where} is not available")
    state = status.get("state") or {}
    last_terminated = (status.get("lastState") or {}).get("terminated")
    last_id = str(last_terminated.get("containerID") or "") if last_terminated is not None else ""
    if previous:
        if not last_id:
            raise LogUnavailable(f"previous terminated container {where} not found")
        return last_id
    if state.get("running") is not None:
        return str(status.get("containerID") or "")
    terminated = state.get("terminated")
    if terminated is not None:
        if terminated.get("containerID"):
            return str(terminated["containerID"])
        # The next container did not start: the last one's log.
        if last_id:
            return last_id
        raise LogUnavailable(f"container {where} is terminated")
    if last_terminated is not None:
        if not last_id:
            raise LogUnavailable(f"container {where} is terminated")
        return last_id
    waiting = state.get("waiting")
    if waiting is not None:
        reason = str(waiting.get("reason") or "")
        if reason == "ErrImagePull":
            raise LogUnavailable(f"container {where} is waiting to start: image can't be pulled")
        if reason == "ImagePullBackOff":
            raise LogUnavailable(
                f"container {where} is waiting to start: trying and failing to pull image"
            )
        raise LogUnavailable(f"container {where} is waiting to start: {reason}")
    raise LogUnavailable(f"container {where} is waiting to start - no logs yet")


@dataclass(frozen=True, slots=True)
class LogRequest:
    """The log options as the reader applies them (``kuberuntime/logs.LogOptions``)."""

    tail_lines: int | None = None
    limit_bytes: int | None = None
    since: LogTimestamp | None = None
    follow: bool = False
    timestamps: bool = False


def tail_start(file: BinaryIO, lines: int | None) -> int:
    """Where the last ``lines`` newline-ended lines of ``file`` start (``FindTailLineStartIndex``).

    None or a negative count means the whole file. An unfinished last line is not counted, so it
    comes after the start it returns.
    """
    if lines is None or lines < 0:
        return 0
    size = file.seek(0, os.SEEK_END)
    counted, right, left = 0, size, size
    block = b""
    while right > 0 and counted <= lines:
        left = max(0, right - _BLOCK)
        file.seek(left)
        block = file.read(right - left)
        counted += block.count(b"\n")
        right = left
    # Too many lines in the last block read: skip from its start to the right one.
    while counted > lines:
        index = block.index(b"\n") + 1
        block = block[index:]
        left += index
        counted -= 1
    return left


class _Output:
    """Formats entries and counts the bytes left (``logWriter``)."""

    def __init__(self, request: LogRequest) -> None:
        self.request = request
        self.remaining = request.limit_bytes if request.limit_bytes is not None else -1

    def render(self, raw: bytes) -> bytes | None:
        """The bytes to send for one file line; None if skipped."""
        try:
            line = parse_line(raw)
        except ValueError:
            return None  # not a CRI line: skipped, as upstream skips a line it cannot parse
        if self.request.since is not None and line.timestamp < self.request.since:
            return b""
        out = line.content
        if self.request.timestamps:
            out = line.timestamp.format().encode() + b" " + out
        if self.remaining >= 0:
            out = out[: self.remaining]
            self.remaining -= len(out)
        return out

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0


def _same_file(path: Path, opened: os.stat_result) -> bool:
    try:
        current = path.stat()
    except OSError:
        return True  # gone for now: keep the one we have
    return (current.st_dev, current.st_ino) == (opened.st_dev, opened.st_ino)


async def read_log(
    path: Path,
    request: LogRequest,
    *,
    running: Callable[[], bool],
    poll_interval: float = 0.2,
) -> AsyncGenerator[bytes, None]:
    """The log's output, chunk by chunk, as the options say (see the module notes)."""
    output = _Output(request)
    file = path.open("rb")
    try:
        file.seek(tail_start(file, request.tail_lines))
        limited = request.tail_lines is not None and request.tail_lines >= 0 and not request.follow
        left = request.tail_lines or 0
        pending = b""
        final_pass = False
        while True:
            block = file.read(_BLOCK)
            if block:
                pending += block
                *lines, pending = pending.split(b"\n")
                chunk = bytearray()
                for line in lines:
                    if limited and left <= 0:
                        break
                    rendered = output.render(line + b"\n")
                    if rendered is None:
                        continue
                    chunk += rendered
                    left -= 1
                    if output.exhausted:
                        break
                if chunk:
                    yield bytes(chunk)
                if output.exhausted or (limited and left <= 0):
                    return
                await asyncio.sleep(0)  # a large file: let others run between blocks
                continue
            # End of file.
            if not request.follow:
                if pending and not (limited and left <= 0):
                    rendered = output.render(pending)
                    if rendered:
                        yield rendered
                return
            if not _same_file(path, os.fstat(file.fileno())):
                # Rotated: the old file is read to its end; go on with the new one.
                file.close()
                file = path.open("rb")
                pending = b""
                continue
            if final_pass:
                return
            if not running():
                final_pass = True  # read what was written before it stopped, then stop
                continue
            await asyncio.sleep(poll_interval)
    finally:
        file.close()
