"""A Job's status conditions as the Job controller writes them.

Kubernetes 1.32 finishes a Job in two steps (the ``JobManagedBy`` and
``JobPodReplacementPolicy`` gates are on): first an interim condition,
``SuccessCriteriaMet`` or ``FailureTarget``, while the pods are still being
stopped and counted; then, once no pod is left terminating or uncounted, the
terminal ``Complete`` or ``Failed`` with the same reason and message. The
reasons are ``CompletionsReached`` and ``SuccessPolicy`` for success,
``BackoffLimitExceeded``, ``DeadlineExceeded``, ``PodFailurePolicy``,
``MaxFailedIndexesExceeded`` and ``FailedIndexes`` for failure.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api.timestamps import format_time

__all__ = [
    "COMPLETIONS_REACHED",
    "COMPLETIONS_REACHED_MESSAGE",
    "ensure_condition",
    "find_condition",
    "new_condition",
    "true_condition",
]

COMPLETIONS_REACHED: Final = "CompletionsReached"
COMPLETIONS_REACHED_MESSAGE: Final = "Reached expected number of succeeded pods"

Obj = dict[str, Any]


def new_condition(type: str, status: str, reason: str, message: str, now: datetime.datetime) -> Obj:
    """A JobCondition probed and changed ``now`` (empty reason and message are omitted)."""
    cond: Obj = {
        "type": type,
        "status": status,
        "lastProbeTime": format_time(now),
        "lastTransitionTime": format_time(now),
    }
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def find_condition(conditions: Sequence[Mapping[str, Any]], type: str) -> Mapping[str, Any] | None:
    for cond in conditions:
        if cond.get("type") == type:
            return cond
    return None


def true_condition(job: Mapping[str, Any], type: str) -> Mapping[str, Any] | None:
    """The Job's condition of ``type`` if its status is ``True``."""
    cond = find_condition((job.get("status") or {}).get("conditions") or (), type)
    return cond if cond is not None and cond.get("status") == "True" else None


def ensure_condition(
    conditions: list[Obj],
    type: str,
    status: str,
    reason: str,
    message: str,
    now: datetime.datetime,
) -> bool:
    """``ensureJobConditionStatus``: set the condition of ``type`` in place; True if changed.

    A condition that differs in status, reason or message is replaced (new times); a
    missing one is appended unless its status would be ``False`` (from nothing to False
    says nothing).
    """
    for index, cond in enumerate(conditions):
        if cond.get("type") != type:
            continue
        if (cond.get("status"), cond.get("reason", ""), cond.get("message", "")) == (
            status,
            reason,
            message,
        ):
            return False
        conditions[index] = new_condition(type, status, reason, message, now)
        return True
    if status == "False":
        return False
    conditions.append(new_condition(type, status, reason, message, now))
    return True
