"""PodStrategy: v1 defaults, status on create, validation and update rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.admission.chain import AdmissionChain
from kubeling.apiserver.admission.default_toleration_seconds import DefaultTolerationSeconds
from kubeling.apiserver.admission.interfaces import Attributes
from kubeling.apiserver.admission.lookup import StaticReader
from kubeling.apiserver.admission.priority import SYSTEM_PRIORITY_CLASSES, Priority
from kubeling.apiserver.admission.service_account import ServiceAccount
from kubeling.apiserver.strategies.pods import PodStrategy, image_pull_policy, pod_qos_class

Obj = dict[str, Any]


def _pod(**spec: Any) -> Obj:
    body: Obj = {"containers": [{"name": "web", "image": "nginx", "resources": {}}]}
    body.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "labels": {"run": "web"}},
        "spec": body,
    }


def _created(pod: Obj) -> Obj:
    strategy = PodStrategy()
    strategy.default(pod)
    strategy.prepare_for_create(pod)
    return pod


def _messages(pod: Obj) -> list[str]:
    strategy = PodStrategy()
    strategy.default(pod)
    return [str(e) for e in strategy.validate(pod, namespaced=True)]


async def test_kubectl_run_defaults_match_a_real_cluster() -> None:
    """`kubectl run web --image=nginx` gets what `kubectl get pod -o yaml` shows: the
    defaults, then what the default admission plugins add."""
    pod = _pod()
    strategy = PodStrategy()
    strategy.default(pod)
    accounts = StaticReader([{"metadata": {"name": "default", "namespace": "default"}}])
    attrs = Attributes(
        "CREATE", "", "v1", "pods", "", "", "v1", "Pod", "default", "web", pod, None, UserInfo("u")
    )
    chain = AdmissionChain(
        [
            ServiceAccount(accounts, generate_name=lambda base: base + "x7k2p"),
            Priority(StaticReader(SYSTEM_PRIORITY_CLASSES)),
            DefaultTolerationSeconds(),
        ]
    )
    await chain.admit(attrs)
    strategy.prepare_for_create(pod)
    assert pod["spec"] == {
        "containers": [
            {
                "image": "nginx",
                "imagePullPolicy": "Always",
                "name": "web",
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "volumeMounts": [
                    {
                        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                        "name": "kube-api-access-x7k2p",
                        "readOnly": True,
                    }
                ],
            }
        ],
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": "default",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": [
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "tolerationSeconds": 300,
            },
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "tolerationSeconds": 300,
            },
        ],
        "volumes": [
            {
                "name": "kube-api-access-x7k2p",
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {
                            "configMap": {
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                                "name": "kube-root-ca.crt",
                            }
                        },
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "fieldRef": {
                                            "apiVersion": "v1",
                                            "fieldPath": "metadata.namespace",
                                        },
                                        "path": "namespace",
                                    }
                                ]
                            }
                        },
                    ],
                },
            }
        ],
    }
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("registry.local:5000/nginx", "Always"),
        ("registry.local:5000/nginx:v1", "IfNotPresent"),
        ("nginx@sha256:abc", "IfNotPresent"),
        ("nginx:latest@sha256:abc", "Always"),
    ],
)
def test_image_pull_policy_follows_the_tag(image: str, policy: str) -> None:
    """Untagged or :latest pulls Always; any other tag or a digest IfNotPresent."""
    assert image_pull_policy(image) == policy


def test_nested_defaults() -> None:
    """Ports, probes, env field refs, requests from limits and volume sources are defaulted."""
    container = {
        "name": "web",
        "image": "nginx:1",
        "ports": [{"containerPort": 80}],
        "livenessProbe": {"httpGet": {"port": 80}},
        "env": [{"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
        "resources": {"limits": {"cpu": "1"}},
        "volumeMounts": [{"name": "cfg", "mountPath": "/cfg"}],
    }
    volumes = [
        {"name": "cfg", "configMap": {"name": "c"}},
        {"name": "s", "secret": {"secretName": "s"}},
        {"name": "scratch"},
        {"name": "host", "hostPath": {"path": "/tmp"}},
    ]
    pod = _created(_pod(containers=[container], volumes=volumes))
    got = pod["spec"]["containers"][0]
    assert got["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert got["livenessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert got["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"
    assert got["resources"] == {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}
    assert pod["spec"]["volumes"] == [
        {"name": "cfg", "configMap": {"name": "c", "defaultMode": 420}},
        {"name": "s", "secret": {"secretName": "s", "defaultMode": 420}},
        {"name": "scratch", "emptyDir": {}},
        {"name": "host", "hostPath": {"path": "/tmp", "type": ""}},
    ]
    assert pod["status"]["qosClass"] == "Burstable"


@pytest.mark.parametrize(
    ("resources", "qos"),
    [
        ([{}], "BestEffort"),
        ([{"requests": {"cpu": "100m"}}], "Burstable"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}}], "Guaranteed"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}], "Burstable"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}}, {}], "Burstable"),
        ([{"requests": {"ephemeral-storage": "1Gi"}}], "BestEffort"),
    ],
)
def test_qos_class(resources: list[Obj], qos: str) -> None:
    """QoS counts cpu and memory only; Guaranteed needs limits == requests everywhere."""
    containers = [
        {"name": f"c{i}", "image": "x", "resources": copy.deepcopy(r)}
        for i, r in enumerate(resources)
    ]
    pod = _created(_pod(containers=containers))
    assert pod["status"]["qosClass"] == qos
    assert pod_qos_class(pod["spec"]) == qos


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"containers": []}, "spec.containers: Required value"),
        ({"containers": [{"name": "web"}]}, "spec.containers[0].image: Required value"),
        ({"containers": [{"image": "nginx"}]}, "spec.containers[0].name: Required value"),
        (
            {"containers": [{"name": "a", "image": "x"}, {"name": "a", "image": "x"}]},
            'spec.containers[1].name: Duplicate value: "a"',
        ),
        (
            {"containers": [{"name": "Web", "image": "x"}]},
            'spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must '
            "consist of lower case alphanumeric characters or '-', and must start and end with "
            "an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
            "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
        (
            {"restartPolicy": "Sometimes"},
            'spec.restartPolicy: Unsupported value: "Sometimes": supported values: '
            '"Always", "OnFailure", "Never"',
        ),
        (
            {"dnsPolicy": "Nope"},
            'spec.dnsPolicy: Unsupported value: "Nope": supported values: '
            '"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
        ),
        (
            {"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 70000}]}]},
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: "
            "must be between 1 and 65535, inclusive",
        ),
        (
            {
                "containers": [
                    {
                        "name": "a",
                        "image": "x",
                        "ports": [
                            {"name": "http", "containerPort": 80},
                            {"name": "http", "containerPort": 81},
                        ],
                    }
                ]
            },
            'spec.containers[0].ports[1].name: Duplicate value: "http"',
        ),
        (
            {
                "containers": [
                    {"name": "a", "image": "x", "volumeMounts": [{"name": "x", "mountPath": "/x"}]}
                ]
            },
            'spec.containers[0].volumeMounts[0].name: Not found: "x"',
        ),
        (
            {"volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}]},
            'spec.volumes[1].name: Duplicate value: "v"',
        ),
        (
            {
                "containers": [
                    {
                        "name": "a",
                        "image": "x",
                        "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}},
                    }
                ]
            },
            'spec.containers[0].resources.requests: Invalid value: "2": '
            "must be less than or equal to cpu limit of 1",
        ),
        (
            {"activeDeadlineSeconds": 0},
            "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 4294967295, "
            "inclusive",
        ),
        (
            {"terminationGracePeriodSeconds": -5},
            "spec.terminationGracePeriodSeconds: Invalid value: -5: "
            "must be greater than or equal to 0",
        ),
    ],
)
def test_validation_messages(spec: Obj, message: str) -> None:
    """Each broken rule is reported with Kubernetes' path and wording."""
    assert message in _messages(_pod(**spec))


def test_valid_pod_has_no_errors() -> None:
    """A defaulted `kubectl run` pod validates cleanly."""
    assert _messages(_pod()) == []


def _update(old: Obj, change: Any) -> list[str]:
    strategy = PodStrategy()
    new = copy.deepcopy(old)
    change(new)
    strategy.default(new)
    strategy.prepare_for_update(new, old)
    return [str(e) for e in strategy.validate_update(new, old, namespaced=True)]


_FORBIDDEN = (
    "spec: Forbidden: pod updates may not change fields other than "
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def test_update_allows_images_deadline_and_added_tolerations() -> None:
    """Image changes, a shorter deadline and new tolerations pass."""
    old = _created(_pod(activeDeadlineSeconds=100))

    def change(pod: Obj) -> None:
        pod["spec"]["containers"][0]["image"] = "nginx:1.27"
        pod["spec"]["activeDeadlineSeconds"] = 50
        pod["spec"]["tolerations"] = [{"key": "k", "operator": "Exists"}]
        pod["metadata"]["labels"] = {"run": "web", "extra": "yes"}

    assert _update(old, change) == []


def test_update_of_other_fields_is_forbidden() -> None:
    """Changing a port yields the 1.32 Forbidden message followed by a diff."""
    old = _created(
        _pod(containers=[{"name": "web", "image": "x", "ports": [{"containerPort": 80}]}])
    )

    def change(pod: Obj) -> None:
        pod["spec"]["containers"][0]["ports"][0]["containerPort"] = 81

    errors = _update(old, change)
    assert len(errors) == 1
    assert errors[0].startswith(_FORBIDDEN + "\n")
    assert "spec.containers[0].ports[0].containerPort: 80" in errors[0]


@pytest.mark.parametrize(
    ("old_deadline", "new_deadline", "message"),
    [
        (
            10,
            20,
            "spec.activeDeadlineSeconds: Invalid value: 20: "
            "must be less than or equal to previous value",
        ),
        (
            10,
            None,
            'spec.activeDeadlineSeconds: Invalid value: "null": '
            "must not update from a positive integer to nil value",
        ),
    ],
)
def test_deadline_update_rules(old_deadline: int, new_deadline: int | None, message: str) -> None:
    """activeDeadlineSeconds may only shrink and never go back to unset."""
    old = _created(_pod(activeDeadlineSeconds=old_deadline))

    def change(pod: Obj) -> None:
        if new_deadline is None:
            del pod["spec"]["activeDeadlineSeconds"]
        else:
            pod["spec"]["activeDeadlineSeconds"] = new_deadline

    assert message in _update(old, change)


def test_adding_a_container_is_forbidden() -> None:
    """The container count is fixed."""
    old = _created(_pod())

    def change(pod: Obj) -> None:
        pod["spec"]["containers"].append({"name": "b", "image": "x"})

    assert "spec.containers: Forbidden: pod updates may not add or remove containers" in _update(
        old, change
    )


@pytest.mark.parametrize(
    ("node", "phase", "grace", "requested", "seconds"),
    [
        ("", "Pending", 30, None, 0),
        ("n1", "Running", None, None, 30),
        ("n1", "Running", 45, None, 45),
        ("n1", "Running", 45, 5, 5),
        ("n1", "Running", 45, 0, 0),
        ("n1", "Succeeded", 45, None, 0),
        ("n1", "Failed", 45, 10, 0),
        ("n1", "Running", -3, None, 1),
    ],
)
def test_graceful_delete_seconds(
    node: str, phase: str, grace: int | None, requested: int | None, seconds: int
) -> None:
    """Only bound, unfinished pods wait; the request beats the spec's grace period."""
    pod = _pod(nodeName=node)
    if grace is not None:
        pod["spec"]["terminationGracePeriodSeconds"] = grace
    pod["status"] = {"phase": phase}
    assert PodStrategy().graceful_delete_seconds(pod, requested) == seconds


def test_field_set() -> None:
    """The selectable pod fields carry the object's values."""
    pod = _created(_pod(nodeName="n1", hostNetwork=True, serviceAccountName="sa"))
    pod["status"]["podIPs"] = [{"ip": "10.0.0.5"}]
    fields = PodStrategy().field_set(pod, namespaced=True)
    assert fields["spec.nodeName"] == "n1"
    assert fields["spec.hostNetwork"] == "true"
    assert fields["spec.serviceAccountName"] == "sa"
    assert fields["status.phase"] == "Pending"
    assert fields["status.podIP"] == "10.0.0.5"
    assert fields["metadata.namespace"] == "default"
    assert PodStrategy.returns_deleted_object is True
