"""Status and the Available/Progressing conditions, with their timing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from kubeling.controllers.deployment import conditions as cond
from kubeling.controllers.deployment.progress import (
    calculate_status,
    deployment_timed_out,
    requeue_after,
    rollout_status,
)
from tests.unit.controllers.deployment.builders import deployment, replica_set

Obj = dict[str, Any]
T0 = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)
STAMP = "2024-05-01T12:00:00Z"
EARLIER = "2024-05-01T11:58:00Z"


def _progressing(reason: str, status: str = "True", *, at: str = EARLIER) -> Obj:
    return cond.new_condition(cond.PROGRESSING, status, reason, "before", at)


def test_calculate_status_sums_the_replica_sets_and_omits_zeros() -> None:
    d = deployment(4, max_surge=1, max_unavailable=1, generation=3, status={"collisionCount": 0})
    old = replica_set("old", 2, available=2)
    new = replica_set("new", 2, available=0)
    status = calculate_status([old, new], new, d, STAMP)
    assert status == {
        "observedGeneration": 3,
        "replicas": 4,
        "updatedReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "unavailableReplicas": 2,
        "collisionCount": 0,
        "conditions": [
            {
                "type": "Available",
                "status": "False",
                "lastUpdateTime": STAMP,
                "lastTransitionTime": STAMP,
                "reason": "MinimumReplicasUnavailable",
                "message": "Deployment does not have minimum availability.",
            }
        ],
    }
    assert "unavailableReplicas" not in calculate_status([replica_set("a", 4)], None, d, STAMP)


def test_the_available_condition_keeps_its_times_while_it_holds() -> None:
    earlier = cond.new_condition(
        cond.AVAILABLE,
        "True",
        cond.MINIMUM_REPLICAS_AVAILABLE,
        "Deployment has minimum availability.",
        EARLIER,
    )
    d = deployment(2, max_unavailable=1, status={"conditions": [earlier]})
    status = calculate_status([replica_set("a", 2)], None, d, STAMP)
    assert status["conditions"] == [earlier]
    assert d["status"]["conditions"] == [earlier]  # the Deployment's own list is not changed


def _rollout(d: Obj, new_available: int, *, now: datetime.datetime = T0) -> Obj:
    new = replica_set("web-new", 2, available=new_available)
    return rollout_status([new], new, d, now)


def test_a_complete_rollout_is_new_replica_set_available() -> None:
    d = deployment(2, status={"conditions": [_progressing(cond.RS_UPDATED)]})
    status = _rollout(d, 2)
    progressing = cond.get_condition(status, cond.PROGRESSING)
    assert progressing == {
        "type": "Progressing",
        "status": "True",
        "lastUpdateTime": STAMP,
        "lastTransitionTime": EARLIER,
        "reason": "NewReplicaSetAvailable",
        "message": 'ReplicaSet "web-new" has successfully progressed.',
    }


def test_progress_refreshes_last_update_time_and_keeps_the_transition() -> None:
    d = deployment(
        3,
        status={
            "replicas": 2,
            "updatedReplicas": 2,
            "availableReplicas": 1,
            "conditions": [_progressing(cond.RS_UPDATED)],
        },
    )
    progressing = cond.get_condition(_rollout(d, 2), cond.PROGRESSING)
    assert progressing is not None
    assert (progressing["reason"], progressing["lastUpdateTime"]) == (cond.RS_UPDATED, STAMP)
    assert progressing["lastTransitionTime"] == EARLIER
    assert progressing["message"] == 'ReplicaSet "web-new" is progressing.'


@pytest.mark.parametrize(("seconds_later", "timed_out"), [(119, False), (120, False), (121, True)])
def test_no_progress_for_the_deadline_times_out(seconds_later: int, timed_out: bool) -> None:
    d = deployment(
        3,
        progressDeadlineSeconds=120,
        status={
            "replicas": 2,
            "updatedReplicas": 2,
            "readyReplicas": 1,
            "availableReplicas": 1,
            "conditions": [_progressing(cond.NEW_RS_CREATED, at=STAMP)],
        },
    )
    now = T0 + datetime.timedelta(seconds=seconds_later)
    progressing = cond.get_condition(_rollout(d, 1, now=now), cond.PROGRESSING)
    assert progressing is not None
    assert (progressing["reason"] == cond.TIMED_OUT) is timed_out
    if timed_out:
        assert progressing["status"] == "False"
        assert progressing["message"] == 'ReplicaSet "web-new" has timed out progressing.'
        assert requeue_after(d, _rollout(d, 1, now=now), now) == 0.0


def test_timing_out_is_final_and_completion_is_not_judged() -> None:
    d = deployment(3, progressDeadlineSeconds=1)
    late = T0 + datetime.timedelta(days=1)
    assert deployment_timed_out(d, {"conditions": [_progressing(cond.TIMED_OUT, "False")]}, T0)
    assert not deployment_timed_out(d, {"conditions": [_progressing(cond.NEW_RS_AVAILABLE)]}, late)
    assert not deployment_timed_out(d, {}, late)
    assert not deployment_timed_out(
        deployment(3, progressDeadlineSeconds=2**31 - 1),
        {"conditions": [_progressing(cond.RS_UPDATED)]},
        late,
    )


def test_without_a_deadline_there_is_no_progressing_condition() -> None:
    d = deployment(2, status={"conditions": [_progressing(cond.RS_UPDATED)]})
    del d["spec"]["progressDeadlineSeconds"]
    assert cond.get_condition(_rollout(d, 0), cond.PROGRESSING) is None


def test_a_finished_rollout_is_left_alone() -> None:
    done = _progressing(cond.NEW_RS_AVAILABLE)
    d = deployment(2, status={"replicas": 2, "updatedReplicas": 2, "conditions": [done]})
    assert cond.get_condition(_rollout(d, 1), cond.PROGRESSING) == done


def test_replica_failures_come_from_the_new_replica_set_first() -> None:
    failure = {
        "type": "ReplicaFailure",
        "status": "True",
        "lastTransitionTime": EARLIER,
        "reason": "FailedCreate",
        "message": "quota",
    }
    new = replica_set("web-new", 2, status={"replicas": 0, "conditions": [failure]})
    status = rollout_status([new], new, deployment(2), T0)
    assert cond.get_condition(status, cond.REPLICA_FAILURE) == {
        **failure,
        "lastUpdateTime": EARLIER,
    }
    assert (
        cond.get_condition(_rollout(deployment(2, status=status), 2), cond.REPLICA_FAILURE) is None
    )


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (None, None),  # no condition yet: nothing to time
        (_progressing(cond.TIMED_OUT, "False", at=STAMP), None),  # already failed
        (_progressing(cond.RS_UPDATED, at=STAMP), 601.0),  # deadline 600 s, + 1 s of skew
        (_progressing(cond.RS_UPDATED, at=EARLIER), 481.0),  # 2 minutes gone already
        (_progressing(cond.RS_UPDATED, at="2024-05-01T11:50:00Z"), 0.0),  # due: now
    ],
)
def test_requeue_after(condition: Obj | None, expected: float | None) -> None:
    d = deployment(3, status={"conditions": [condition] if condition else []})
    new_status = {"replicas": 3, "updatedReplicas": 1, "availableReplicas": 2}
    assert requeue_after(d, new_status, T0) == expected


def test_no_requeue_when_complete_or_without_a_deadline() -> None:
    d = deployment(2, status={"conditions": [_progressing(cond.RS_UPDATED)]})
    complete = {
        "replicas": 2,
        "updatedReplicas": 2,
        "availableReplicas": 2,
        "observedGeneration": 1,
    }
    assert requeue_after(d, complete, T0) is None
    d["spec"]["progressDeadlineSeconds"] = 2**31 - 1
    assert requeue_after(d, {}, T0) is None


def test_set_condition_keeps_an_unchanged_condition_and_the_transition_time() -> None:
    status: Obj = {}
    first = cond.new_condition(cond.PROGRESSING, "True", cond.NEW_RS_CREATED, "a", EARLIER)
    cond.set_condition(status, first)
    cond.set_condition(
        status, cond.new_condition(cond.PROGRESSING, "True", cond.NEW_RS_CREATED, "b", STAMP)
    )
    assert status["conditions"] == [first]  # same status and reason: untouched
    cond.set_condition(
        status, cond.new_condition(cond.PROGRESSING, "True", cond.RS_UPDATED, "c", STAMP)
    )
    (second,) = status["conditions"]
    assert (second["reason"], second["lastUpdateTime"], second["lastTransitionTime"]) == (
        cond.RS_UPDATED,
        STAMP,
        EARLIER,
    )
    cond.set_condition(
        status, cond.new_condition(cond.PROGRESSING, "False", cond.TIMED_OUT, "d", STAMP)
    )
    assert status["conditions"][0]["lastTransitionTime"] == STAMP
    cond.remove_condition(status, cond.PROGRESSING)
    assert status == {}
