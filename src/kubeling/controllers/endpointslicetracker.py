"""Is the EndpointSlice cache behind the controller's own writes?

The EndpointSlice controller reads slices from its informer, which lags its
own writes by a watch event. Syncing a service on a cache that has not yet
seen the slice just created would create a second one. Kubernetes'
``EndpointSliceTracker`` remembers, per service, the ``metadata.generation``
of every slice it wrote (or that it expects deleted); a sync whose cache
shows an older generation, a slice expected gone, or misses a written slice
is refused as stale and retried later. Its informer handlers also use it to
ignore the echoes of the controller's own writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.controllers.base import Retry
from kubeling.controllers.endpointslicereconciler import SERVICE_NAME_LABEL

__all__ = ["EndpointSliceTracker", "StaleInformerCache"]

_DELETION_EXPECTED: Final = -1


class StaleInformerCache(Retry):
    """The cache has not caught up with this controller's writes yet: retry later."""


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _service_key(slice_: Mapping[str, Any]) -> str:
    labels = _meta(slice_).get("labels") or {}
    return f"{_meta(slice_).get('namespace', '')}/{labels.get(SERVICE_NAME_LABEL, '')}"


def _generation(slice_: Mapping[str, Any]) -> int:
    generation = _meta(slice_).get("generation")
    return generation if isinstance(generation, int) else 0


class EndpointSliceTracker:
    """Expected slice generations by service key, then slice uid (-1: deletion expected)."""

    def __init__(self) -> None:
        self._by_service: dict[str, dict[str, int]] = {}
        self._service_uids: dict[str, str] = {}

    def _of(self, slice_: Mapping[str, Any]) -> dict[str, int] | None:
        return self._by_service.get(_service_key(slice_))

    def has(self, slice_: Mapping[str, Any]) -> bool:
        """Whether a generation (or deletion) is expected for ``slice_``."""
        generations = self._of(slice_)
        return generations is not None and str(_meta(slice_).get("uid")) in generations

    def should_sync(self, slice_: Mapping[str, Any]) -> bool:
        """Whether a change to ``slice_`` is news: not one of our own writes."""
        generations = self._of(slice_)
        if generations is None:
            return True
        expected = generations.get(str(_meta(slice_).get("uid")))
        return expected is None or _generation(slice_) > expected

    def stale_slices(self, service: Mapping[str, Any], slices: Sequence[Mapping[str, Any]]) -> bool:
        """Whether ``slices`` (from the cache) predate writes made for ``service``."""
        key = f"{_meta(service).get('namespace', '')}/{_meta(service).get('name', '')}"
        uid = str(_meta(service).get("uid") or "")
        tracked_uid = self._service_uids.get(key)
        if tracked_uid and uid and tracked_uid != uid:
            self._by_service.pop(key, None)  # writes for a deleted namesake are moot
        self._service_uids[key] = uid
        generations = self._by_service.get(key)
        if not generations:
            return False
        provided = set()
        for slice_ in slices:
            slice_uid = str(_meta(slice_).get("uid"))
            provided.add(slice_uid)
            expected = generations.get(slice_uid)
            if expected is not None and (
                expected == _DELETION_EXPECTED or expected > _generation(slice_)
            ):
                return True
        return any(
            expected != _DELETION_EXPECTED and slice_uid not in provided
            for slice_uid, expected in generations.items()
        )

    def update(self, slice_: Mapping[str, Any]) -> None:
        """Remember the generation of a slice just written."""
        key = _service_key(slice_)
        self._by_service.setdefault(key, {})[str(_meta(slice_).get("uid"))] = _generation(slice_)

    def expect_deletion(self, slice_: Mapping[str, Any]) -> None:
        """Remember that ``slice_`` was just deleted."""
        key = _service_key(slice_)
        self._by_service.setdefault(key, {})[str(_meta(slice_).get("uid"))] = _DELETION_EXPECTED

    def handle_deletion(self, slice_: Mapping[str, Any]) -> bool:
        """Forget a deleted slice; False when its deletion was not expected."""
        generations = self._of(slice_)
        if generations is None:
            return True
        expected = generations.pop(str(_meta(slice_).get("uid")), None)
        return expected is None or expected == _DELETION_EXPECTED

    def delete_service(self, key: str) -> None:
        """Forget a deleted service."""
        self._by_service.pop(key, None)
        self._service_uids.pop(key, None)
