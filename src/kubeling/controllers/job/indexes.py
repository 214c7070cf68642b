"""Completion indexes of Indexed Jobs: which succeeded, which failed, which to run next.

Kubernetes keeps an Indexed Job's finished indexes in ``status.completedIndexes``
(and ``status.failedIndexes``) as a compressed list of intervals, ``1,3-5,7``:
two adjacent numbers are written ``3,4``, three or more as a range. A pod's index
is its ``batch.kubernetes.io/job-completion-index`` annotation; a pod without a
valid one (or with one beyond ``completions``) belongs to no index and is
removed. :class:`Intervals` is ``orderedIntervals`` of ``indexed_job_utils.go``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.controllers.job.util import (
    COMPLETION_INDEX,
    INDEX_FAILURE_COUNT,
    INDEX_IGNORED_FAILURE_COUNT,
)
from kubeling.controllers.pods import compare_active_pods

__all__ = [
    "UNKNOWN_INDEX",
    "Intervals",
    "completion_index",
    "first_pending_indexes",
    "generate_name_with_index",
    "index_failure_counts",
    "indexes_of",
    "split_duplicated_indexes",
]

#: What :func:`completion_index` returns for a pod without a valid index.
UNKNOWN_INDEX: Final = -1
#: Kubernetes' ``names.MaxGeneratedNameLength``: a name of 63 less the 5 random characters.
_MAX_GENERATED_NAME_LENGTH: Final = 58
_MAX_INT32: Final = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Intervals:
    """Sorted, disjoint, non-adjacent closed intervals of indexes."""

    spans: tuple[tuple[int, int], ...] = ()

    @classmethod
    def parse(cls, text: str | None, completions: int) -> Intervals:
        """``parseIndexesFromString``: ``"1,3-5"``; parts that do not parse are skipped,
        parts at or beyond ``completions`` are dropped (or cut short).

        >>> Intervals.parse("0,2-4,7", 5)
        Intervals(spans=((0, 0), (2, 4)))
        """
        spans: list[tuple[int, int]] = []
        for part in (text or "").split(",") if text else ():
            limits = part.split("-")
            first = _atoi(limits[0])
            if first is None:
                continue
            if first >= completions:
                break
            last = first
            if len(limits) > 1:
                parsed = _atoi(limits[1])
                if parsed is None:
                    continue
                last = min(parsed, completions - 1)
            if spans and spans[-1][1] == first - 1:
                spans[-1] = (spans[-1][0], last)
            else:
                spans.append((first, last))
        return cls(tuple(spans))

    def merge(self, other: Intervals) -> Intervals:
        """The union of both (adjacent intervals join)."""
        spans: list[tuple[int, int]] = []
        for first, last in sorted(self.spans + other.spans):
            if spans and first <= spans[-1][1] + 1:
                if last > spans[-1][1]:
                    spans[-1] = (spans[-1][0], last)
            else:
                spans.append((first, last))
        return Intervals(tuple(spans))

    def with_indexes(self, indexes: Iterable[int]) -> Intervals:
        """The union with single ``indexes``."""
        return self.merge(Intervals(tuple((ix, ix) for ix in indexes)))

    def total(self) -> int:
        """How many indexes the intervals hold."""
        return sum(last - first + 1 for first, last in self.spans)

    def has(self, index: int) -> bool:
        return any(first <= index <= last for first, last in self.spans)

    def __str__(self) -> str:
        """``0,2-4,6,7``: pairs are listed, longer runs are ranges."""
        parts = []
        for first, last in self.spans:
            if last == first:
                parts.append(str(first))
            elif last == first + 1:
                parts.append(f"{first},{last}")
            else:
                parts.append(f"{first}-{last}")
        return ",".join(parts)


def _atoi(text: str) -> int | None:
    """Go's ``strconv.Atoi``, None where it fails."""
    stripped = text[1:] if text[:1] in "+-" else text
    if not stripped.isascii() or not stripped.isdigit():
        return None
    return int(text)


def completion_index(pod: Mapping[str, Any]) -> int:
    """The pod's completion index, or :data:`UNKNOWN_INDEX` if absent, bad or negative."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    value = _atoi(str(annotations.get(COMPLETION_INDEX, "")))
    return UNKNOWN_INDEX if value is None or value < 0 else value


def _count(annotations: Mapping[str, Any], key: str) -> int:
    """An index failure counter: 0 when absent, not a number, negative or past int32."""
    value = _atoi(str(annotations.get(key, "")))
    return 0 if value is None or not 0 <= value <= _MAX_INT32 else value


def index_failure_counts(pod: Mapping[str, Any]) -> tuple[int, int]:
    """The index's (counted, ignored) failures before this pod, from its annotations."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    return _count(annotations, INDEX_FAILURE_COUNT), _count(
        annotations, INDEX_IGNORED_FAILURE_COUNT
    )


def indexes_of(pods: Iterable[Mapping[str, Any]]) -> set[int]:
    """The valid completion indexes of ``pods``."""
    return {ix for ix in map(completion_index, pods) if ix != UNKNOWN_INDEX}


def first_pending_indexes(
    count: int, completions: int, *, taken: Intervals, busy: Iterable[int]
) -> list[int]:
    """The ``count`` lowest indexes below ``completions`` neither ``taken`` (succeeded or
    failed) nor ``busy`` (being run by a pod).

    >>> first_pending_indexes(3, 10, taken=Intervals(((0, 1),)), busy=[3])
    [2, 4, 5]
    """
    if count <= 0:
        return []
    blocked = taken.with_indexes(busy)
    result: list[int] = []
    candidate = 0
    for first, last in blocked.spans:
        while candidate < completions and len(result) < count and candidate < first:
            result.append(candidate)
            candidate += 1
        candidate = max(candidate, last + 1)
    while candidate < completions and len(result) < count:
        result.append(candidate)
        candidate += 1
    return result


def split_duplicated_indexes(
    pods: Sequence[Mapping[str, Any]], completions: int
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """``appendDuplicatedIndexPodsForRemoval``: (pods to remove, pods to keep).

    Removed: pods without an index or with one at or beyond ``completions``, and for an
    index run by several pods all but the one furthest along.
    """
    remove: list[Mapping[str, Any]] = []
    keep: list[Mapping[str, Any]] = []
    by_index: dict[int, list[Mapping[str, Any]]] = {}
    for pod in sorted(pods, key=completion_index):
        ix = completion_index(pod)
        if ix == UNKNOWN_INDEX or ix >= completions:
            remove.append(pod)
        else:
            by_index.setdefault(ix, []).append(pod)
    for group in by_index.values():
        if len(group) > 1:
            group = sorted(group, key=functools.cmp_to_key(compare_active_pods))
        remove.extend(group[:-1])
        keep.append(group[-1])
    return remove, keep


def generate_name_with_index(job_name: str, index: int) -> str:
    """``<job>-<index>-``, the job name cut so the whole fits a generated name.

    >>> generate_name_with_index("pi", 3)
    'pi-3-'
    """
    suffix = f"-{index}-"
    prefix = job_name + suffix
    if len(prefix) > _MAX_GENERATED_NAME_LENGTH:
        prefix = prefix[: _MAX_GENERATED_NAME_LENGTH - len(suffix)] + suffix
    return prefix
