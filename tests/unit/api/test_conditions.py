"""Status conditions: metav1.Condition lists, pod conditions, the budget's condition."""

from __future__ import annotations

from typing import Any

from kubeling.api.meta.conditions import set_status_condition
from kubeling.api.podconditions import update_pod_condition
from kubeling.api.policy.budget import (
    conditions_are_up_to_date,
    update_disruption_allowed_condition,
)


def test_set_status_condition_adds_then_updates() -> None:
    """A new condition is appended with now; a status change moves lastTransitionTime."""
    conditions: list[dict[str, Any]] = []
    assert set_status_condition(conditions, {"type": "A", "status": "True"}, now="t0")
    assert conditions == [
        {"type": "A", "status": "True", "lastTransitionTime": "t0", "reason": "", "message": ""}
    ]
    assert not set_status_condition(conditions, {"type": "A", "status": "True"}, now="t1")
    assert set_status_condition(
        conditions,
        {"type": "A", "status": "True", "reason": "R", "observedGeneration": 2},
        now="t1",
    )
    assert conditions[0]["lastTransitionTime"] == "t0"
    assert conditions[0]["observedGeneration"] == 2
    assert set_status_condition(conditions, {"type": "A", "status": "False"}, now="t2")
    assert conditions[0]["lastTransitionTime"] == "t2"
    assert "observedGeneration" not in conditions[0]


def test_update_pod_condition_keeps_transition_time_while_status_holds() -> None:
    """Same status: the old transition time stays; changed message still counts as a change."""
    status: dict[str, Any] = {}
    assert update_pod_condition(status, {"type": "DisruptionTarget", "status": "True"}, now="t0")
    assert status["conditions"] == [
        {
            "type": "DisruptionTarget",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": "t0",
        }
    ]
    assert not update_pod_condition(
        status, {"type": "DisruptionTarget", "status": "True"}, now="t1"
    )
    assert update_pod_condition(
        status, {"type": "DisruptionTarget", "status": "True", "message": "m"}, now="t1"
    )
    assert status["conditions"][0]["lastTransitionTime"] == "t0"


def test_disruption_allowed_condition_follows_disruptions_allowed() -> None:
    """Positive: True/SufficientPods; zero: False/InsufficientPods; up to date only then."""
    pdb: dict[str, Any] = {
        "metadata": {"generation": 3},
        "status": {"disruptionsAllowed": 1, "observedGeneration": 3},
    }
    assert not conditions_are_up_to_date(pdb)
    update_disruption_allowed_condition(pdb["status"], now="t0")
    assert pdb["status"]["conditions"] == [
        {
            "type": "DisruptionAllowed",
            "status": "True",
            "observedGeneration": 3,
            "lastTransitionTime": "t0",
            "reason": "SufficientPods",
            "message": "",
        }
    ]
    assert conditions_are_up_to_date(pdb)
    pdb["status"]["disruptionsAllowed"] = 0
    assert not conditions_are_up_to_date(pdb)
    update_disruption_allowed_condition(pdb["status"], now="t1")
    assert pdb["status"]["conditions"][0]["reason"] == "InsufficientPods"
    assert conditions_are_up_to_date(pdb)
    pdb["metadata"]["generation"] = 4
    assert not conditions_are_up_to_date(pdb)
