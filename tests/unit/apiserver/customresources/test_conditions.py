"""CRD conditions: set, find and compare as apihelpers does."""

from __future__ import annotations

from typing import Any

from kubeling.apiserver.customresources import conditions


def test_set_condition_keeps_time_unless_status_flips() -> None:
    """The transition time moves only when the status changes."""
    crd: dict[str, Any] = {"metadata": {"name": "x"}}
    first = conditions.condition("Terminating", "True", "InstanceDeletionPending", "soon")
    conditions.set_condition(crd, first, now="T1")
    progress = conditions.condition("Terminating", "True", "InstanceDeletionInProgress", "now")
    conditions.set_condition(crd, progress, now="T2")
    assert crd["status"]["conditions"] == [
        {
            "type": "Terminating",
            "status": "True",
            "lastTransitionTime": "T1",
            "reason": "InstanceDeletionInProgress",
            "message": "now",
        }
    ]
    done = conditions.condition("Terminating", "False", "InstanceDeletionCompleted", "done")
    conditions.set_condition(crd, done, now="T3")
    found = conditions.find(crd, "Terminating")
    assert found is not None
    assert (found["status"], found["lastTransitionTime"]) == ("False", "T3")
    assert not conditions.is_true(crd, "Terminating")
    assert not conditions.is_true(crd, "Established")


def test_equivalent_ignores_time() -> None:
    """Two conditions that differ only in their time are the same."""
    a = conditions.condition("NamesAccepted", "True", "NoConflicts", "no conflicts found")
    assert conditions.equivalent(a, {**a, "lastTransitionTime": "T"})
    assert not conditions.equivalent(a, {**a, "status": "False"})
    assert not conditions.equivalent(a, None)
    assert conditions.equivalent(None, None)
