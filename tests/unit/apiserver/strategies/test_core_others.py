"""The smaller core strategies, and the map core_strategies builds."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.strategies import core_strategies
from kubeling.apiserver.strategies.events import EventStrategy
from kubeling.apiserver.strategies.nodes import NodeStrategy
from kubeling.apiserver.strategies.persistentvolumeclaims import PersistentVolumeClaimStrategy
from kubeling.apiserver.strategies.persistentvolumes import PersistentVolumeStrategy
from kubeling.apiserver.strategies.replicationcontrollers import ReplicationControllerStrategy
from kubeling.storage.memory import MemoryStore

Obj = dict[str, Any]


def test_core_strategies_cover_the_core_resources() -> None:
    """One strategy per core plural."""
    strategies = core_strategies(MemoryStore())
    assert set(strategies) == {
        "pods",
        "services",
        "namespaces",
        "nodes",
        "secrets",
        "configmaps",
        "serviceaccounts",
        "events",
        "endpoints",
        "persistentvolumes",
        "persistentvolumeclaims",
        "limitranges",
        "resourcequotas",
        "replicationcontrollers",
    }
    assert strategies["pods"].has_status_subresource
    assert strategies["replicationcontrollers"].tracks_generation


@pytest.mark.parametrize(
    ("taints", "message"),
    [
        ([{"key": "k"}], "spec.taints[0].effect: Required value"),
        (
            [{"key": "k", "effect": "Never"}],
            'spec.taints[0].effect: Unsupported value: "Never": supported values: '
            '"NoSchedule", "PreferNoSchedule", "NoExecute"',
        ),
    ],
)
def test_node_taints(taints: list[Obj], message: str) -> None:
    """Taints need a known effect."""
    node = {"metadata": {"name": "n1"}, "spec": {"taints": taints}}
    assert message in [str(e) for e in NodeStrategy().validate(node, namespaced=False)]


def test_node_keeps_status_on_create_and_selects_unschedulable() -> None:
    """Kubelets register nodes with status; spec.unschedulable is selectable."""
    strategy = NodeStrategy()
    node: Obj = {
        "metadata": {"name": "n1"},
        "spec": {"unschedulable": True},
        "status": {"capacity": {"cpu": "2"}},
    }
    strategy.default(node)
    strategy.prepare_for_create(node)
    assert node["status"] == {"capacity": {"cpu": "2"}, "allocatable": {"cpu": "2"}}
    assert strategy.field_set(node, namespaced=False)["spec.unschedulable"] == "true"


def test_event_field_set() -> None:
    """Events select on their involved object, reason, source and type."""
    event = {
        "metadata": {"name": "e", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reason": "Scheduled",
        "source": {"component": "default-scheduler"},
        "type": "Normal",
    }
    fields = EventStrategy().field_set(event, namespaced=True)
    assert fields["involvedObject.kind"] == "Pod"
    assert fields["involvedObject.name"] == "web"
    assert fields["source"] == "default-scheduler"
    assert fields["reason"] == "Scheduled"


def test_persistent_volume_defaults_and_status() -> None:
    """Retain, Filesystem, and Pending with a transition time."""
    strategy = PersistentVolumeStrategy(clock=lambda: "2025-01-01T00:00:00Z")
    pv: Obj = {
        "metadata": {"name": "pv"},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "hostPath": {"path": "/x"},
        },
    }
    strategy.default(pv)
    strategy.prepare_for_create(pv)
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["volumeMode"] == "Filesystem"
    assert pv["status"] == {"phase": "Pending", "lastPhaseTransitionTime": "2025-01-01T00:00:00Z"}
    assert strategy.validate(pv, namespaced=False) == []


def test_persistent_volume_claim_rules() -> None:
    """Claims need access modes and storage; only requests change later."""
    strategy = PersistentVolumeClaimStrategy()
    pvc: Obj = {"metadata": {"name": "c", "namespace": "default"}, "spec": {}}
    strategy.default(pvc)
    strategy.prepare_for_create(pvc)
    assert pvc["status"] == {"phase": "Pending"}
    errors = [str(e) for e in strategy.validate(pvc, namespaced=True)]
    assert "spec.accessModes: Required value: at least 1 access mode is required" in errors
    assert "spec.resources[storage]: Required value" in errors
    old: Obj = {
        "metadata": {"name": "c", "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    new: Obj = {
        "metadata": {"name": "c", "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "2Gi"}}},
    }
    assert [str(e) for e in strategy.validate_update(new, old, namespaced=True)] == [
        "spec: Forbidden: spec is immutable after creation except resources.requests "
        "for bound claims"
    ]


def test_replication_controller_defaults() -> None:
    """replicas 1, selector and labels from the template, pod defaults in the template."""
    strategy = ReplicationControllerStrategy()
    rc: Obj = {
        "metadata": {"name": "rc", "namespace": "default"},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            }
        },
    }
    strategy.default(rc)
    strategy.prepare_for_create(rc)
    assert rc["spec"]["replicas"] == 1
    assert rc["spec"]["selector"] == {"app": "web"}
    assert rc["metadata"]["labels"] == {"app": "web"}
    assert rc["metadata"]["generation"] == 1
    assert rc["status"] == {"replicas": 0}
    assert rc["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert strategy.validate(rc, namespaced=True) == []


def test_replication_controller_selector_must_match_template() -> None:
    """A selector the template labels do not satisfy is refused, the labels printed as Go does."""
    rc: Obj = {
        "metadata": {"name": "rc", "namespace": "default"},
        "spec": {
            "selector": {"app": "db"},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }
    strategy = ReplicationControllerStrategy()
    strategy.default(rc)
    assert [str(e) for e in strategy.validate(rc, namespaced=True)] == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`"
    ]


def _claim(**spec: Any) -> Obj:
    return {
        "metadata": {"name": "c", "namespace": "default"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
            **spec,
        },
    }


@pytest.mark.parametrize(
    ("old_class", "new_class", "allowed"),
    [
        (None, "local-path", True),  # the retroactive default class
        (None, "", False),
        ("fast", "slow", False),
        ("", "fast", False),
    ],
)
def test_a_claims_class_may_only_be_given_once(
    old_class: str | None, new_class: str, allowed: bool
) -> None:
    strategy = PersistentVolumeClaimStrategy()
    old = _claim() if old_class is None else _claim(storageClassName=old_class)
    new = _claim(storageClassName=new_class)
    problems = strategy.validate_update(new, old, namespaced=True)
    assert (problems == []) is allowed


@pytest.mark.parametrize(
    ("old_status", "new_status", "expected_time"),
    [
        # a new phase gets a new time
        ({"phase": "Pending", "lastPhaseTransitionTime": "T0"}, {"phase": "Available"}, "NOW"),
        (
            {"phase": "Pending", "lastPhaseTransitionTime": "T0"},
            {"phase": "Available", "lastPhaseTransitionTime": "T0"},
            "NOW",
        ),
        # unless the writer chose one
        (
            {"phase": "Pending", "lastPhaseTransitionTime": "T0"},
            {"phase": "Available", "lastPhaseTransitionTime": "T1"},
            "T1",
        ),
        # the same phase keeps its time
        ({"phase": "Bound", "lastPhaseTransitionTime": "T0"}, {"phase": "Bound"}, "T0"),
    ],
)
def test_persistent_volume_phase_transition_time(
    old_status: Obj, new_status: Obj, expected_time: str
) -> None:
    strategy = PersistentVolumeStrategy(clock=lambda: "NOW")
    old: Obj = {"metadata": {"name": "pv"}, "status": old_status}
    new: Obj = {"metadata": {"name": "pv"}, "status": dict(new_status)}
    strategy.prepare_for_status_update(new, old)
    assert new["status"]["lastPhaseTransitionTime"] == expected_time
