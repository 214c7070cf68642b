"""Reads of one object under way at once share one request; later reads ask again."""

from __future__ import annotations

import asyncio

import pytest

from kubeling.kubelet.shared_reads import SharedReads


class Api:
    """Counts reads; each waits at ``gate``; ``fail`` makes the next one raise."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, str]] = []
        self.gate = asyncio.Event()
        self.fail = False

    async def read(self, namespace: str, name: str) -> str:
        self.reads.append((namespace, name))
        await self.gate.wait()
        if self.fail:
            raise LookupError(name)
        return f"{namespace}/{name}#{len(self.reads)}"


async def test_reads_under_way_at_once_share_one_request() -> None:
    api = Api()
    read = SharedReads(api.read)
    waiting = [asyncio.create_task(read("ns", "ca")) for _ in range(5)]
    other = asyncio.create_task(read("ns", "other"))
    await asyncio.sleep(0)
    api.gate.set()
    assert await asyncio.gather(*waiting) == ["ns/ca#1"] * 5
    assert await other == "ns/other#2"
    assert await read("ns", "ca") == "ns/ca#3"  # the answer came: a new read asks again
    assert api.reads == [("ns", "ca"), ("ns", "other"), ("ns", "ca")]


async def test_an_error_reaches_every_reader_and_one_giving_up_stops_no_other() -> None:
    api = Api()
    read = SharedReads(api.read)
    first, second = asyncio.create_task(read("ns", "ca")), asyncio.create_task(read("ns", "ca"))
    await asyncio.sleep(0)
    first.cancel()
    api.fail = True
    api.gate.set()
    with pytest.raises(LookupError):
        await second
    assert first.cancelled()
    assert api.reads == [("ns", "ca")]
