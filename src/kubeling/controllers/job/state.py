"""What one sync of a Job learns about it and its pods (``syncJobCtx`` in Kubernetes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubeling.controllers.job.backoff import BackoffRecord
from kubeling.controllers.job.indexes import Intervals

__all__ = ["SyncState"]

Obj = dict[str, Any]
Pod = Mapping[str, Any]


@dataclass
class SyncState:
    """The Job being synced (a private copy), its pods, and the counts and decisions
    the sync builds up."""

    job: Obj
    pods: list[Pod]
    active_pods: list[Pod]
    ready: int
    terminating: int
    uncounted_succeeded: frozenset[str]
    uncounted_failed: frozenset[str]
    expected_rm_finalizers: frozenset[str]
    succeeded: int = 0
    failed: int = 0
    finished_condition: Obj | None = None
    prev_succeeded_indexes: Intervals = field(default_factory=Intervals)
    succeeded_indexes: Intervals = field(default_factory=Intervals)
    failed_indexes: Intervals | None = None
    delayed_per_index: dict[int, Pod] = field(default_factory=dict)
    backoff_record: BackoffRecord | None = None
