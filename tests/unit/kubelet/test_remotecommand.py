"""One exec/attach session: client events to the process, output to the client, the Status."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from kubeling.httpstream import channels
from kubeling.kubelet.server.remotecommand import (
    ClientEvent,
    Resize,
    StdinClosed,
    StdinData,
    exit_status,
    first_event,
    pump,
)


class _Transport:
    """Scripted client events; records what the server sends."""

    def __init__(self, events: Sequence[ClientEvent], *, leave: bool = False) -> None:
        self._events: asyncio.Queue[ClientEvent | None] = asyncio.Queue()
        for event in events:
            self._events.put_nowait(event)
        if leave:
            self._events.put_nowait(None)
        self.sent: list[tuple[int, bytes]] = []
        self.final: Mapping[str, Any] | None = None

    async def send(self, channel: int, data: bytes) -> None:
        self.sent.append((channel, data))

    async def receive(self) -> ClientEvent | None:
        return await self._events.get()

    async def finish(self, status: Mapping[str, Any]) -> None:
        self.final = status


class _Process:
    """A fake process: echoes stdin to stdout in upper case, exits with ``code`` on EOF."""

    def __init__(self, code: int | None, *, tty: bool = False) -> None:
        self.stdout: asyncio.StreamReader | None = asyncio.StreamReader()
        self.stderr: asyncio.StreamReader | None = None if tty else asyncio.StreamReader()
        self.code = code
        self.sizes: list[tuple[int, int]] = []
        self.closed = False
        self._done = asyncio.Event()

    async def write_stdin(self, data: bytes) -> None:
        assert self.stdout is not None
        self.stdout.feed_data(data.upper())

    async def close_stdin(self) -> None:
        assert self.stdout is not None
        if self.stderr is not None:
            self.stderr.feed_data(b"bye")
            self.stderr.feed_eof()
        self.stdout.feed_eof()
        self._done.set()

    def resize(self, width: int, height: int) -> None:
        self.sizes.append((width, height))

    async def wait(self) -> int | None:
        await self._done.wait()
        return self.code

    async def close(self) -> None:
        self.closed = True


async def test_exec_session_to_its_exit_code() -> None:
    """stdin goes in, stdout and stderr come out before the final NonZeroExitCode Status."""
    transport = _Transport([StdinData(b"hi"), StdinData(b" there"), StdinClosed()])
    process = _Process(3)
    await asyncio.wait_for(pump(transport, process, tty=False), 5)
    out = b"".join(data for channel, data in transport.sent if channel == channels.STDOUT)
    err = b"".join(data for channel, data in transport.sent if channel == channels.STDERR)
    assert (out, err) == (b"HI THERE", b"bye")
    assert transport.final == channels.exit_code_status(3)
    assert not process.closed


async def test_resizes_reach_a_tty_only() -> None:
    """Resize events resize the terminal with a TTY, and are ignored without."""
    events: list[ClientEvent] = [Resize(80, 24), Resize(100, 30), StdinClosed()]
    tty = _Process(0, tty=True)
    await asyncio.wait_for(pump(_Transport(events), tty, tty=True), 5)
    assert tty.sizes == [(80, 24), (100, 30)]
    plain = _Process(0)
    transport = _Transport(events)
    await asyncio.wait_for(pump(transport, plain, tty=False), 5)
    assert plain.sizes == []
    assert transport.final == channels.success_status()


async def test_first_event_is_the_clients_first_message_or_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A TTY exec reads kubectl's terminal size before starting the command; a client that
    sends nothing within the wait gets None (and the default size)."""
    assert await first_event(_Transport([Resize(111, 33), StdinClosed()])) == Resize(111, 33)
    monkeypatch.setattr("kubeling.kubelet.server.remotecommand.FIRST_EVENT_WAIT", 0.05)
    assert await first_event(_Transport([])) is None


async def test_a_first_event_read_before_the_start_is_not_lost() -> None:
    """Stdin read while waiting for the terminal size reaches the process first."""
    transport = _Transport([StdinData(b" two"), StdinClosed()])
    process = _Process(0, tty=True)
    await asyncio.wait_for(pump(transport, process, tty=True, first=StdinData(b"one")), 5)
    out = b"".join(data for channel, data in transport.sent if channel == channels.STDOUT)
    assert out == b"ONE TWO"


async def test_client_leaving_closes_the_process() -> None:
    """If the client goes away first, the process is told (exec kills, attach detaches) and no
    Status is sent."""
    transport = _Transport([StdinData(b"x")], leave=True)
    process = _Process(0)
    await asyncio.wait_for(pump(transport, process, tty=False), 5)
    assert process.closed
    assert transport.final is None


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (None, {"metadata": {}, "status": "Success"}),
        (0, {"metadata": {}, "status": "Success"}),
        (1, channels.exit_code_status(1)),
        (255, channels.exit_code_status(255)),
        (-9, channels.exit_code_status(137)),
        (-15, channels.exit_code_status(143)),
        (256, channels.exit_code_status(255)),
    ],
)
def test_exit_status(code: int | None, status: dict[str, Any]) -> None:
    """Exit codes as runtimes report them: signal N is 128+N; codes fit in a byte."""
    assert exit_status(code) == status
