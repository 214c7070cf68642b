"""The Job controller's pure decisions: indexes, policies, back-off, conditions, pod order."""

from __future__ import annotations

import datetime
import functools
from typing import Any

import pytest

from kubeling.controllers.job.backoff import BackoffStore, finish_time, remaining_backoff
from kubeling.controllers.job.conditions import ensure_condition, new_condition
from kubeling.controllers.job.indexes import (
    Intervals,
    first_pending_indexes,
    generate_name_with_index,
    split_duplicated_indexes,
)
from kubeling.controllers.job.policies import match_pod_failure_policy, match_success_policy
from kubeling.controllers.pods import compare_active_pods

Obj = dict[str, Any]
T0 = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)


def _ts(seconds: float) -> str:
    return (T0 + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pod(name: str, *, index: int | None = None, phase: str = "Running", **extra: Any) -> Obj:
    meta: Obj = {"name": name, "namespace": "ns", "uid": f"uid-{name}"}
    if index is not None:
        meta["annotations"] = {"batch.kubernetes.io/job-completion-index": str(index)}
    meta.update(extra.pop("metadata", {}))
    return {"metadata": meta, "spec": extra.pop("spec", {}), "status": {"phase": phase, **extra}}


# -- indexes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "completions", "spans", "rendered"),
    [
        ("", 5, (), ""),
        ("1", 5, ((1, 1),), "1"),
        ("0,1", 5, ((0, 1),), "0,1"),
        ("0-2,4", 10, ((0, 2), (4, 4)), "0-2,4"),
        ("0-2,3", 10, ((0, 3),), "0-3"),
        ("2-8", 5, ((2, 4),), "2-4"),
        ("1,x,3", 5, ((1, 1), (3, 3)), "1,3"),
        ("6,7", 5, (), ""),
    ],
)
def test_intervals_parse_and_render(
    text: str, completions: int, spans: tuple[tuple[int, int], ...], rendered: str
) -> None:
    """completedIndexes parse leniently and render compressed (pairs listed, runs ranged)."""
    parsed = Intervals.parse(text, completions)
    assert parsed.spans == spans
    assert str(parsed) == rendered


def test_intervals_merge_and_query() -> None:
    merged = Intervals(((0, 1), (5, 6))).with_indexes([2, 4, 9])
    assert merged.spans == ((0, 2), (4, 6), (9, 9))
    assert merged.total() == 7
    assert merged.has(5)
    assert not merged.has(3)
    assert str(merged) == "0-2,4-6,9"


@pytest.mark.parametrize(
    ("count", "completions", "taken", "busy", "expected"),
    [
        (0, 5, (), [], []),
        (3, 5, (), [], [0, 1, 2]),
        (3, 5, ((0, 1),), [3], [2, 4]),
        (2, 10, ((1, 2), (5, 5)), [0, 3], [4, 6]),
        (5, 3, (), [], [0, 1, 2]),
    ],
)
def test_first_pending_indexes(
    count: int,
    completions: int,
    taken: tuple[tuple[int, int], ...],
    busy: list[int],
    expected: list[int],
) -> None:
    assert first_pending_indexes(count, completions, taken=Intervals(taken), busy=busy) == expected


def test_duplicated_and_invalid_indexes_are_removed() -> None:
    """Pods without an index or past completions go; of an index run twice, the pod
    further along (running and ready beats pending) stays."""
    ready = {"type": "Ready", "status": "True", "lastTransitionTime": _ts(0)}
    keeper = _pod("a", index=1, conditions=[ready])
    pods = [
        _pod("b", index=1, phase="Pending"),
        keeper,
        _pod("c", index=0),
        _pod("d"),
        _pod("e", index=7),
    ]
    remove, keep = split_duplicated_indexes(pods, 3)
    assert sorted(p["metadata"]["name"] for p in remove) == ["b", "d", "e"]
    assert sorted(p["metadata"]["name"] for p in keep) == ["a", "c"]


def test_generate_name_with_index_is_cut_to_fit() -> None:
    assert generate_name_with_index("pi", 12) == "pi-12-"
    long = generate_name_with_index("x" * 60, 123)
    assert len(long) == 58
    assert long.endswith("-123-")


# -- active pod order ---------------------------------------------------------------------------


def test_active_pods_order_deletes_least_progressed_first() -> None:
    """Unassigned, then pending, then not ready, then ready recently, then most restarts,
    then newest."""

    def ready(since: float) -> Obj:
        return {"type": "Ready", "status": "True", "lastTransitionTime": _ts(since)}

    unassigned = _pod("unassigned", phase="Pending")
    pending = _pod("pending", phase="Pending", spec={"nodeName": "n"})
    not_ready = _pod("not-ready", spec={"nodeName": "n"})
    ready_recently = _pod("ready-recently", spec={"nodeName": "n"}, conditions=[ready(50)])
    ready_long = _pod("ready-long", spec={"nodeName": "n"}, conditions=[ready(10)])
    shuffled = [ready_long, not_ready, unassigned, ready_recently, pending]
    ordered = sorted(shuffled, key=functools.cmp_to_key(compare_active_pods))
    assert [p["metadata"]["name"] for p in ordered] == [
        "unassigned",
        "pending",
        "not-ready",
        "ready-recently",
        "ready-long",
    ]
    restarts = _pod("restarts", spec={"nodeName": "n"}, containerStatuses=[{"restartCount": 3}])
    newer = _pod("newer", spec={"nodeName": "n"}, metadata={"creationTimestamp": _ts(20)})
    older = _pod("older", spec={"nodeName": "n"}, metadata={"creationTimestamp": _ts(10)})
    ordered = sorted([older, newer, restarts], key=functools.cmp_to_key(compare_active_pods))
    assert [p["metadata"]["name"] for p in ordered] == ["restarts", "newer", "older"]


# -- pod failure policy ----------------------------------------------------------------------

_POLICY = {
    "rules": [
        {
            "action": "FailJob",
            "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]},
        },
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
        {"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [3]}},
        {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [0, 1]}},
    ]
}


def _failed(*codes: tuple[str, int], init: tuple[str, int] | None = None, **extra: Any) -> Obj:
    def status(name: str, code: int) -> Obj:
        return {"name": name, "state": {"terminated": {"exitCode": code}}}

    pod = _pod("p", phase="Failed", containerStatuses=[status(n, c) for n, c in codes], **extra)
    if init is not None:
        pod["status"]["initContainerStatuses"] = [status(*init)]
    return pod


@pytest.mark.parametrize(
    ("pod", "message", "counts", "action"),
    [
        (
            _failed(("main", 42)),
            "Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 0",
            True,
            "FailJob",
        ),
        (_failed(("side", 42)), None, True, "Count"),  # the rule names another container
        (
            _failed(
                ("main", 1),
                conditions=[{"type": "DisruptionTarget", "status": "True"}],
            ),
            None,
            False,
            "Ignore",
        ),
        (_failed(("main", 3)), None, True, "FailIndex"),
        (_failed(("main", 1)), None, True, None),  # no rule matches: counted
        (_failed(("main", 0), init=("setup", 42)), None, True, "Count"),  # NotIn [0,1]
    ],
)
def test_pod_failure_policy_rules(
    pod: Obj, message: str | None, counts: bool, action: str | None
) -> None:
    """Rules apply in order; exit code 0 never matches; app containers before init ones."""
    match = match_pod_failure_policy(_POLICY, pod)
    assert (match.fail_job_message, match.counts, match.action) == (message, counts, action)


def test_pod_condition_fail_job_message() -> None:
    policy = {"rules": [{"action": "FailJob", "onPodConditions": [{"type": "ConfigIssue"}]}]}
    pod = _failed(("main", 1), conditions=[{"type": "ConfigIssue", "status": "True"}])
    assert match_pod_failure_policy(policy, pod).fail_job_message == (
        "Pod ns/p has condition ConfigIssue matching FailJob rule at index 0"
    )


@pytest.mark.parametrize(
    ("rules", "succeeded", "expected"),
    [
        ([{"succeededIndexes": "0,2"}], ((0, 0), (2, 2)), "Matched rules at index 0"),
        ([{"succeededIndexes": "0-3"}], ((0, 2),), None),
        ([{"succeededIndexes": "0-3", "succeededCount": 2}], ((1, 2),), "Matched rules at index 0"),
        ([{"succeededCount": 5}, {"succeededCount": 2}], ((0, 1),), "Matched rules at index 1"),
        ([{"succeededIndexes": "x"}], ((0, 1),), None),
        ([{"succeededCount": 1}], (), None),
    ],
)
def test_success_policy(
    rules: list[Obj], succeeded: tuple[tuple[int, int], ...], expected: str | None
) -> None:
    assert match_success_policy({"rules": rules}, 10, Intervals(succeeded)) == expected


# -- back-off --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "elapsed", "remaining"),
    [
        (0, 0, 0),
        (1, 0, 10),
        (1, 4, 6),
        (2, 0, 20),
        (3, 5, 35),
        (6, 0, 320),
        (7, 0, 600),  # 640 capped at 10 minutes
        (20, 100, 500),
        (1, 30, 0),
    ],
)
def test_pod_failure_backoff(failures: int, elapsed: int, remaining: int) -> None:
    """10 s doubling per failure after the first, at most 600 s, less the time passed."""
    now = T0 + datetime.timedelta(seconds=elapsed)
    got = remaining_backoff(now, failures, T0, base=10.0, cap=600.0)
    assert got == datetime.timedelta(seconds=remaining)


def test_backoff_record_counts_failures_after_the_last_success() -> None:
    def finished(name: str, phase: str, at: float) -> Obj:
        state = {
            "terminated": {"exitCode": 0 if phase == "Succeeded" else 1, "finishedAt": _ts(at)}
        }
        return _pod(name, phase=phase, containerStatuses=[{"name": "main", "state": state}])

    store = BackoffStore()
    first = store.new_record("ns/j", [], [finished("a", "Failed", 1), finished("b", "Failed", 3)])
    assert (first.failures_after_last_success, first.last_failure_time) == (
        2,
        T0 + datetime.timedelta(seconds=3),
    )
    store.update(first)
    mixed = store.new_record(
        "ns/j",
        [finished("c", "Succeeded", 5)],
        [finished("d", "Failed", 4), finished("e", "Failed", 7)],
    )
    assert (mixed.failures_after_last_success, mixed.last_failure_time) == (
        1,
        T0 + datetime.timedelta(seconds=7),
    )
    assert (
        store.new_record("ns/j", [finished("f", "Succeeded", 9)], []).failures_after_last_success
        == 0
    )


def test_finish_time_sources() -> None:
    """Containers' finishedAt, else when Ready turned False, else deletion less grace."""
    finished = {"name": "m", "state": {"terminated": {"finishedAt": _ts(9)}}}
    running = {"name": "m", "state": {"running": {}}}
    ready_false = {"type": "Ready", "status": "False", "lastTransitionTime": _ts(5)}
    assert finish_time(_pod("a", containerStatuses=[finished])) == T0 + datetime.timedelta(
        seconds=9
    )
    assert finish_time(
        _pod("b", containerStatuses=[running], conditions=[ready_false])
    ) == T0 + datetime.timedelta(seconds=5)
    deleted = _pod("c", metadata={"deletionTimestamp": _ts(30), "deletionGracePeriodSeconds": 30})
    assert finish_time(deleted) == T0
    assert finish_time(
        _pod("d", metadata={"creationTimestamp": _ts(2)})
    ) == T0 + datetime.timedelta(seconds=2)


# -- conditions ------------------------------------------------------------------------------


def test_ensure_condition() -> None:
    """Appended when new (never as False), replaced when it changes, untouched otherwise."""
    conditions: list[Obj] = []
    assert not ensure_condition(conditions, "Suspended", "False", "JobResumed", "Job resumed", T0)
    assert conditions == []
    assert ensure_condition(conditions, "Suspended", "True", "JobSuspended", "Job suspended", T0)
    assert not ensure_condition(
        conditions, "Suspended", "True", "JobSuspended", "Job suspended", T0
    )
    later = T0 + datetime.timedelta(seconds=5)
    assert ensure_condition(conditions, "Suspended", "False", "JobResumed", "Job resumed", later)
    assert conditions == [new_condition("Suspended", "False", "JobResumed", "Job resumed", later)]
    assert conditions[0]["lastTransitionTime"] == "2024-05-01T12:00:05Z"
