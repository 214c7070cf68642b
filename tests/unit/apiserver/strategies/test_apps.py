"""apps/v1 strategies: defaults, generation, and upstream's validation messages."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeling.apiserver.strategies.apps import (
    ControllerRevisionStrategy,
    DaemonSetStrategy,
    DeploymentStrategy,
    ReplicaSetStrategy,
    StatefulSetStrategy,
)

Obj = dict[str, Any]


def _workload(**spec: Any) -> Obj:
    body: Obj = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
        },
    }
    body.update(spec)
    return {"metadata": {"name": "web", "namespace": "default", "uid": "u-1"}, "spec": body}


def _created(strategy: Any, obj: Obj) -> Obj:
    strategy.default(obj)
    strategy.prepare_for_create(obj)
    return obj


def _messages(strategy: Any, obj: Obj) -> list[str]:
    return [str(e) for e in strategy.validate(obj, namespaced=True)]


def test_deployment_defaults_match_kubectl_create_deployment() -> None:
    """`kubectl create deployment web --image=nginx` comes back with these defaults."""
    obj = _created(DeploymentStrategy(), _workload(replicas=1))
    spec = obj["spec"]
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    assert (spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 600)
    assert spec["template"]["metadata"] == {"creationTimestamp": None, "labels": {"app": "web"}}
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Always"
    assert pod["dnsPolicy"] == "ClusterFirst"
    assert pod["schedulerName"] == "default-scheduler"
    assert pod["terminationGracePeriodSeconds"] == 30
    assert pod["securityContext"] == {}
    assert "enableServiceLinks" not in pod
    assert pod["containers"][0]["imagePullPolicy"] == "Always"
    assert pod["containers"][0]["terminationMessagePath"] == "/dev/termination-log"
    assert obj["status"] == {}
    assert obj["metadata"]["generation"] == 1
    assert _messages(DeploymentStrategy(), obj) == []


def test_template_keeps_pod_only_defaults_out() -> None:
    """Requests from limits are a Pod default, not a template one."""
    obj = _workload()
    container = obj["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"limits": {"cpu": "1"}}
    _created(DeploymentStrategy(), obj)
    assert container["resources"] == {"limits": {"cpu": "1"}}


@pytest.mark.parametrize(
    ("strategy", "replicas"),
    [(DeploymentStrategy(), 1), (ReplicaSetStrategy(), 1), (StatefulSetStrategy(), 1)],
)
def test_replicas_default_to_one(strategy: Any, replicas: int) -> None:
    """Deployments, ReplicaSets and StatefulSets default to one replica."""
    assert _created(strategy, _workload())["spec"]["replicas"] == replicas


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"template": {"metadata": {"labels": {"app": "x"}}, "spec": {}}},
            'spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: '
            "`selector` does not match template `labels`",
        ),
        (
            {
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0},
                }
            },
            "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, "
            'IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
        ),
        (
            {"strategy": {"type": "Recreate", "rollingUpdate": {}}},
            "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is "
            "'Recreate'",
        ),
        ({"replicas": -1}, "spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        (
            {"selector": {}},
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for "
            "deployment",
        ),
        (
            {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "150%"}}},
            "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, "
            'IntVal:0, StrVal:"150%"}: must not be greater than 100%',
        ),
        (
            {"progressDeadlineSeconds": 5, "minReadySeconds": 10},
            "spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds",
        ),
    ],
)
def test_deployment_validation_messages(change: Obj, expected: str) -> None:
    """Each invalid Deployment gets upstream's exact message."""
    obj = _workload()
    obj["spec"].update(change)
    _created(DeploymentStrategy(), obj)
    assert expected in _messages(DeploymentStrategy(), obj)


def test_missing_selector_reports_both_errors() -> None:
    """A nil selector selects nothing: required, and the template no longer matches."""
    obj = _workload()
    del obj["spec"]["selector"]
    _created(DeploymentStrategy(), obj)
    assert _messages(DeploymentStrategy(), obj)[:2] == [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`",
    ]


def test_deployment_selector_is_immutable() -> None:
    """apps/v1 rejects a changed selector with the Go rendering of the new one."""
    strategy = DeploymentStrategy()
    old = _created(strategy, _workload())
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "web", "tier": "fe"}}
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "fe"
    assert [str(e) for e in strategy.validate_update(new, old, namespaced=True)] == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", '
        '"tier":"fe"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable'
    ]


@pytest.mark.parametrize(
    ("mutate", "generation"),
    [
        (lambda o: o["spec"].update(replicas=3), 2),
        (lambda o: o["metadata"].update(annotations={"a": "b"}), 2),
        (lambda o: o["metadata"].update(labels={"a": "b"}), 1),
        (lambda o: o.update(status={"replicas": 5}), 1),
    ],
)
def test_deployment_generation(mutate: Any, generation: int) -> None:
    """Spec and annotation changes bump generation; labels and status do not."""
    strategy = DeploymentStrategy()
    old = _created(strategy, _workload())
    new = copy.deepcopy(old)
    mutate(new)
    strategy.default(new)
    strategy.prepare_for_update(new, old)
    assert new["metadata"]["generation"] == generation
    assert new["status"] == old["status"]


def test_replicaset_status_and_field_selector() -> None:
    """A new ReplicaSet has `status.replicas: 0`, selectable by field."""
    strategy = ReplicaSetStrategy()
    obj = _created(strategy, _workload())
    assert obj["status"] == {"replicas": 0}
    assert strategy.field_set(obj, namespaced=True)["status.replicas"] == "0"
    assert _messages(strategy, obj) == []


def test_statefulset_defaults() -> None:
    """StatefulSets get the 1.32 ordering, update and retention defaults."""
    obj = _workload(volumeClaimTemplates=[{"metadata": {"name": "data"}, "spec": {}}])
    obj = _created(StatefulSetStrategy(), obj)
    spec = obj["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    claim = spec["volumeClaimTemplates"][0]
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["status"] == {"phase": "Pending"}
    assert obj["status"] == {"availableReplicas": 0, "replicas": 0}
    assert _messages(StatefulSetStrategy(), obj) == []


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("replicas", 5, True),
        ("minReadySeconds", 3, True),
        ("ordinals", {"start": 2}, True),
        (
            "persistentVolumeClaimRetentionPolicy",
            {"whenDeleted": "Delete", "whenScaled": "Retain"},
            True,
        ),
        ("serviceName", "other", False),
        ("podManagementPolicy", "Parallel", False),
    ],
)
def test_statefulset_update_rules(field: str, value: Any, allowed: bool) -> None:
    """Only the fields named in the 1.32 message may change."""
    strategy = StatefulSetStrategy()
    old = _created(strategy, _workload(serviceName="web"))
    new = copy.deepcopy(old)
    new["spec"][field] = value
    messages = [str(e) for e in strategy.validate_update(new, old, namespaced=True)]
    forbidden = (
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', "
        "'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
        "'minReadySeconds' are forbidden"
    )
    assert (forbidden not in messages) is allowed


def test_statefulset_validation_messages() -> None:
    """Bad policies get upstream's messages."""
    obj = _created(StatefulSetStrategy(), _workload())
    obj["spec"]["podManagementPolicy"] = "Sometimes"
    obj["spec"]["persistentVolumeClaimRetentionPolicy"]["whenScaled"] = "Keep"
    obj["spec"]["selector"] = {}
    assert _messages(StatefulSetStrategy(), obj) == [
        "spec.podManagementPolicy: Invalid value: \"Sometimes\": must be 'OrderedReady' or "
        "'Parallel'",
        'spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: "Keep": '
        'supported values: "Retain", "Delete"',
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for "
        "statefulset",
    ]


def test_daemonset_defaults_and_template_generation() -> None:
    """DaemonSets default to RollingUpdate 1/0 and count template generations."""
    strategy = DaemonSetStrategy()
    old = _created(strategy, _workload())
    assert old["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert old["spec"]["revisionHistoryLimit"] == 10
    assert old["metadata"]["annotations"] == {"deprecated.daemonset.template.generation": "1"}
    assert _messages(strategy, old) == []
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    strategy.prepare_for_update(new, old)
    assert new["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    assert new["metadata"]["generation"] == 2


@pytest.mark.parametrize(
    ("rolling", "expected"),
    [
        (
            {"maxUnavailable": 0, "maxSurge": 0},
            "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when "
            "maxSurge is 0",
        ),
        (
            {"maxUnavailable": 1, "maxSurge": 1},
            "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, "
            'IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
        ),
    ],
)
def test_daemonset_rolling_update_rules(rolling: Obj, expected: str) -> None:
    """Exactly one of maxUnavailable and maxSurge is non-zero."""
    obj = _workload(updateStrategy={"type": "RollingUpdate", "rollingUpdate": rolling})
    assert expected in _messages(DaemonSetStrategy(), _created(DaemonSetStrategy(), obj))


def test_controller_revision_is_immutable() -> None:
    """ControllerRevision data is mandatory and never changes; the number may (a rollback
    renumbers the revision it goes back to), but not below zero."""
    strategy = ControllerRevisionStrategy()
    obj = {"metadata": {"name": "r", "namespace": "d"}, "revision": 1}
    assert _messages(strategy, obj) == ["data: Required value: data is mandatory"]
    old = dict(obj, data={"a": 1})
    new = dict(obj, data={"a": 2}, revision=2)
    assert [str(e) for e in strategy.validate_update(new, old, namespaced=True)] == [
        'data: Invalid value: {"a":2}: field is immutable',
    ]
    assert strategy.validate_update(dict(old, revision=3), old, namespaced=True) == []
    assert [
        str(e) for e in strategy.validate_update(dict(old, revision=-1), old, namespaced=True)
    ] == ["revision: Invalid value: -1: must be greater than or equal to 0"]
