"""The slice tracker tells the controller's own writes from news, and a stale cache."""

from __future__ import annotations

from typing import Any

from kubeling.controllers.endpointslicetracker import EndpointSliceTracker

Obj = dict[str, Any]
SERVICE = {"metadata": {"name": "web", "namespace": "ns", "uid": "svc-1"}}


def slice_(uid: str, generation: int) -> Obj:
    return {
        "metadata": {
            "name": f"web-{uid}",
            "namespace": "ns",
            "uid": uid,
            "generation": generation,
            "labels": {"kubernetes.io/service-name": "web"},
        }
    }


def test_own_writes_are_not_news() -> None:
    """A slice at the generation we wrote is our echo; a later one is news."""
    tracker = EndpointSliceTracker()
    assert tracker.should_sync(slice_("a", 1))
    tracker.update(slice_("a", 2))
    assert not tracker.should_sync(slice_("a", 2))
    assert tracker.should_sync(slice_("a", 3))


def test_a_cache_behind_our_writes_is_stale() -> None:
    """Older generation, a slice expected gone, or a written slice missing: stale."""
    tracker = EndpointSliceTracker()
    assert not tracker.stale_slices(SERVICE, [])
    tracker.update(slice_("a", 2))
    assert tracker.stale_slices(SERVICE, [slice_("a", 1)])
    assert tracker.stale_slices(SERVICE, [])  # the created slice is not cached yet
    assert not tracker.stale_slices(SERVICE, [slice_("a", 2)])
    tracker.expect_deletion(slice_("a", 2))
    assert tracker.stale_slices(SERVICE, [slice_("a", 2)])
    assert not tracker.stale_slices(SERVICE, [])


def test_deletions_expected_or_not() -> None:
    """Our deletion is forgotten quietly; someone else's is reported."""
    tracker = EndpointSliceTracker()
    tracker.update(slice_("a", 1))
    tracker.update(slice_("b", 1))
    tracker.expect_deletion(slice_("a", 1))
    assert tracker.has(slice_("a", 1))
    assert tracker.handle_deletion(slice_("a", 1))
    assert not tracker.handle_deletion(slice_("b", 1))
    assert not tracker.has(slice_("b", 1))


def test_a_recreated_service_starts_afresh() -> None:
    """Writes made for a deleted namesake (another uid) do not make the cache stale."""
    tracker = EndpointSliceTracker()
    assert not tracker.stale_slices(SERVICE, [])
    tracker.update(slice_("a", 1))
    recreated = {"metadata": {**SERVICE["metadata"], "uid": "svc-2"}}
    assert not tracker.stale_slices(recreated, [])
