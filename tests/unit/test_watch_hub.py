"""The in-process watch fan-out: replay, live events, bounded buffers, progress."""

from __future__ import annotations

import asyncio

import pytest

from kubeling.storage.errors import CompactedError, WatchClosedError
from kubeling.storage.interface import EventType, KeyValue, WatchEvent
from kubeling.storage.watch_hub import WatchHub


def _event(revision: int, key: str) -> WatchEvent:
    kv = KeyValue(key, str(revision).encode(), revision, revision, 1)
    return WatchEvent(EventType.ADDED, key, revision, kv, None)


class _History:
    """A history reader over a list, recording its calls."""

    def __init__(self, events: list[WatchEvent], compacted: int = 0) -> None:
        self.events = events
        self.compacted = compacted
        self.calls: list[tuple[int, int]] = []

    async def __call__(self, key: str, prefix: bool, first: int, last: int) -> list[WatchEvent]:
        self.calls.append((first, last))
        if first < self.compacted:
            raise CompactedError(first, self.compacted)
        return [
            e
            for e in self.events
            if first <= e.revision <= last and (e.key.startswith(key) if prefix else e.key == key)
        ]


async def _take(watcher: object, n: int) -> list[WatchEvent]:
    out = []
    for _ in range(n):
        out.append(await asyncio.wait_for(watcher.__anext__(), 1))  # type: ignore[attr-defined]
    return out


async def test_replay_then_live_without_gap_or_duplicate() -> None:
    """A past start replays history up to registration, then live events follow."""
    history = _History([_event(r, f"/k/{r}") for r in range(2, 6)])
    hub = WatchHub(revision=5, history=history)
    watcher = await hub.watch("/k/", prefix=True, start_revision=3, progress_notify=False)
    hub.publish([_event(6, "/k/6"), _event(7, "/other")])
    events = await _take(watcher, 4)
    assert [e.revision for e in events] == [3, 4, 5, 6]
    assert history.calls == [(3, 5)]
    await watcher.close()


async def test_key_watch_filters_other_keys() -> None:
    """A single-key watch sees only that key, not keys sharing its prefix."""
    hub = WatchHub(revision=1, history=_History([]))
    watcher = await hub.watch("/k/a", prefix=False, start_revision=0, progress_notify=False)
    hub.publish([_event(2, "/k/ab"), _event(3, "/k/a")])
    assert [e.revision for e in await _take(watcher, 1)] == [3]


async def test_a_commit_of_other_keys_does_not_wake_the_watcher() -> None:
    """Every commit is offered to every watcher; only those it concerns wake up."""
    hub = WatchHub(revision=1, history=_History([]))
    watcher = await hub.watch("/pods/", prefix=True, start_revision=0, progress_notify=False)
    waiting = asyncio.ensure_future(watcher.__anext__())
    await asyncio.sleep(0)
    wakeup = watcher._wakeup  # type: ignore[attr-defined]
    hub.publish([_event(2, "/events/e1")])
    assert not wakeup.is_set()
    hub.publish([_event(3, "/pods/p1")])
    assert wakeup.is_set()
    assert (await asyncio.wait_for(waiting, 1)).revision == 3
    await watcher.close()


async def test_overflow_closes_with_resume_revision_after_kept_events() -> None:
    """A full buffer delivers what it kept, then WatchClosedError at the first dropped revision."""
    hub = WatchHub(revision=1, history=_History([]), buffer_size=3)
    watcher = await hub.watch("/k/", prefix=True, start_revision=0, progress_notify=False)
    hub.publish([_event(r, f"/k/{r}") for r in range(2, 8)])
    assert [e.revision for e in await _take(watcher, 3)] == [2, 3, 4]
    with pytest.raises(WatchClosedError) as info:
        await watcher.__anext__()
    assert info.value.resume_revision == 5
    assert hub.statistics()["watchers"] == 0


async def test_request_progress_arrives_after_pending_events() -> None:
    """PROGRESS carries the hub revision and comes after every queued event."""
    hub = WatchHub(revision=1, history=_History([]))
    watcher = await hub.watch("/k/", prefix=True, start_revision=0, progress_notify=False)
    hub.publish([_event(2, "/k/a"), _event(3, "/x")])
    await watcher.request_progress()
    first, second = await _take(watcher, 2)
    assert first.revision == 2
    assert second.type is EventType.PROGRESS
    assert second.revision == 3


async def test_periodic_progress_only_when_idle() -> None:
    """With progress_notify an idle watcher gets PROGRESS events on its own."""
    hub = WatchHub(revision=4, history=_History([]), progress_interval=0.01)
    watcher = await hub.watch("/k/", prefix=True, start_revision=0, progress_notify=True)
    (event,) = await _take(watcher, 1)
    assert event.type is EventType.PROGRESS
    assert event.revision == 4
    await watcher.close()


async def test_compacted_history_unregisters_and_raises() -> None:
    """A start below the compacted revision raises and leaves no watcher behind."""
    hub = WatchHub(revision=9, history=_History([], compacted=5))
    with pytest.raises(CompactedError):
        await hub.watch("/k/", prefix=True, start_revision=2, progress_notify=False)
    assert hub.statistics()["watchers"] == 0


async def test_close_ends_watchers_and_user_close_stops_iteration() -> None:
    """Hub close raises WatchClosedError in watchers; a closed watcher just ends."""
    hub = WatchHub(revision=3, history=_History([]))
    ended = await hub.watch("/k/", prefix=True, start_revision=0, progress_notify=False)
    closed = await hub.watch("/k/", prefix=True, start_revision=0, progress_notify=False)
    await closed.close()
    with pytest.raises(StopAsyncIteration):
        await closed.__anext__()
    hub.close()
    with pytest.raises(WatchClosedError) as info:
        await ended.__anext__()
    assert info.value.resume_revision == 4
