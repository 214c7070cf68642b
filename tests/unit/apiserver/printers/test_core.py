"""Core printers: cells exactly as kubectl 1.32 shows them for the same objects."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.printers import printer_for
from tests.unit.apiserver.printers._support import NOW, ago

POD = printer_for("", "pods")


def pod(
    *,
    phase: str = "Running",
    containers: int = 1,
    statuses: list[dict[str, Any]] | None = None,
    init: list[dict[str, Any]] | None = None,
    init_statuses: list[dict[str, Any]] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    reason: str | None = None,
    deleting: bool = False,
) -> dict[str, Any]:
    """A pod named ``web`` created five minutes ago."""
    metadata: dict[str, Any] = {
        "name": "web",
        "namespace": "default",
        "creationTimestamp": ago(300),
    }
    if deleting:
        metadata["deletionTimestamp"] = ago(1)
    status: dict[str, Any] = {"phase": phase}
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    if conditions is not None:
        status["conditions"] = conditions
    if reason is not None:
        status["reason"] = reason
    spec: dict[str, Any] = {
        "containers": [{"name": f"c{i}", "image": "nginx"} for i in range(containers)]
    }
    if init is not None:
        spec["initContainers"] = init
    return {"metadata": metadata, "spec": spec, "status": status}


def running(*, ready: bool = True, restarts: int = 0, name: str = "c0") -> dict[str, Any]:
    return {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "state": {"running": {"startedAt": ago(60)}},
    }


def waiting(reason: str, *, restarts: int = 0, finished: float | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": "c0",
        "ready": False,
        "restartCount": restarts,
        "state": {"waiting": {"reason": reason}},
    }
    if finished is not None:
        status["lastState"] = {
            "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(finished)}
        }
    return status


def terminated(
    exit_code: int, reason: str = "", signal: int = 0, name: str = "c0"
) -> dict[str, Any]:
    state: dict[str, Any] = {"exitCode": exit_code}
    if reason:
        state["reason"] = reason
    if signal:
        state["signal"] = signal
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": state}}


INIT2 = [{"name": "i0", "image": "busybox"}, {"name": "i1", "image": "busybox"}]
READY_TRUE = {"type": "Ready", "status": "True"}


@pytest.mark.parametrize(
    ("obj", "ready", "status", "restarts"),
    [
        pytest.param(pod(statuses=[running()]), "1/1", "Running", "0", id="running"),
        pytest.param(
            pod(statuses=[waiting("CrashLoopBackOff", restarts=3, finished=20)]),
            "0/1",
            "CrashLoopBackOff",
            "3 (20s ago)",
            id="crashloop",
        ),
        pytest.param(
            pod(statuses=[waiting("CrashLoopBackOff", restarts=3)]),
            "0/1",
            "CrashLoopBackOff",
            "3",
            id="restarts-without-time",
        ),
        pytest.param(
            pod(phase="Pending", statuses=[waiting("ContainerCreating")]),
            "0/1",
            "ContainerCreating",
            "0",
            id="creating",
        ),
        pytest.param(pod(phase="Pending"), "0/1", "Pending", "0", id="pending-no-status"),
        pytest.param(
            pod(
                phase="Pending",
                init=INIT2,
                init_statuses=[
                    {"name": "i0", "restartCount": 0, "state": {"running": {}}},
                    {
                        "name": "i1",
                        "restartCount": 0,
                        "state": {"waiting": {"reason": "PodInitializing"}},
                    },
                ],
                statuses=[waiting("PodInitializing")],
            ),
            "0/1",
            "Init:0/2",
            "0",
            id="init-0-of-2",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=INIT2,
                init_statuses=[
                    terminated(0, "Completed", name="i0"),
                    {"name": "i1", "restartCount": 0, "state": {"running": {}}},
                ],
            ),
            "0/1",
            "Init:1/2",
            "0",
            id="init-1-of-2",
        ),
        pytest.param(
            pod(phase="Pending", init=INIT2[:1], init_statuses=[terminated(1, "Error", name="i0")]),
            "0/1",
            "Init:Error",
            "0",
            id="init-error",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=INIT2[:1],
                init_statuses=[
                    {
                        "name": "i0",
                        "restartCount": 4,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                        "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(30)}},
                    }
                ],
            ),
            "0/1",
            "Init:CrashLoopBackOff",
            "4 (30s ago)",
            id="init-crashloop",
        ),
        pytest.param(
            pod(phase="Pending", init=INIT2[:1], init_statuses=[terminated(3, name="i0")]),
            "0/1",
            "Init:ExitCode:3",
            "0",
            id="init-exitcode",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=INIT2[:1],
                init_statuses=[terminated(137, signal=9, name="i0")],
            ),
            "0/1",
            "Init:Signal:9",
            "0",
            id="init-signal",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=INIT2[:1],
                init_statuses=[terminated(0, "Completed", name="i0")],
                statuses=[waiting("PodInitializing")],
            ),
            "0/1",
            "PodInitializing",
            "0",
            id="pod-initializing",
        ),
        pytest.param(
            pod(phase="Succeeded", statuses=[terminated(0, "Completed")]),
            "0/1",
            "Completed",
            "0",
            id="completed",
        ),
        pytest.param(
            pod(phase="Failed", statuses=[terminated(1, "Error")]), "0/1", "Error", "0", id="error"
        ),
        pytest.param(
            pod(phase="Failed", statuses=[terminated(137)]),
            "0/1",
            "ExitCode:137",
            "0",
            id="exitcode",
        ),
        pytest.param(pod(phase="Failed", reason="Evicted"), "0/1", "Evicted", "0", id="evicted"),
        pytest.param(
            pod(statuses=[running()], deleting=True), "1/1", "Terminating", "0", id="terminating"
        ),
        pytest.param(
            pod(phase="Succeeded", statuses=[terminated(0, "Completed")], deleting=True),
            "0/1",
            "Completed",
            "0",
            id="deleted-after-success",
        ),
        pytest.param(
            pod(statuses=[running()], deleting=True, reason="NodeLost"),
            "1/1",
            "Unknown",
            "0",
            id="node-lost",
        ),
        pytest.param(
            pod(
                phase="Pending",
                conditions=[
                    {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}
                ],
            ),
            "0/1",
            "SchedulingGated",
            "0",
            id="scheduling-gated",
        ),
        pytest.param(
            pod(
                containers=2,
                statuses=[terminated(0, "Completed", name="c0"), running(name="c1")],
                conditions=[READY_TRUE],
            ),
            "1/2",
            "Running",
            "0",
            id="completed-with-running-ready",
        ),
        pytest.param(
            pod(containers=2, statuses=[terminated(0, "Completed", name="c0"), running(name="c1")]),
            "1/2",
            "NotReady",
            "0",
            id="completed-with-running-not-ready",
        ),
        pytest.param(
            pod(
                containers=2,
                statuses=[waiting("CrashLoopBackOff", restarts=1), running(name="c1", restarts=2)],
            ),
            "1/2",
            "CrashLoopBackOff",
            "3",
            id="first-container-reason-wins",
        ),
        pytest.param(
            pod(
                init=[{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}],
                init_statuses=[
                    {
                        "name": "proxy",
                        "ready": True,
                        "started": True,
                        "restartCount": 2,
                        "state": {"running": {}},
                        "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(600)}},
                    }
                ],
                statuses=[running(restarts=1)],
                conditions=[{"type": "Initialized", "status": "True"}, READY_TRUE],
            ),
            "2/2",
            "Running",
            "3 (10m ago)",
            id="sidecar",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=[{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}],
                init_statuses=[
                    {
                        "name": "proxy",
                        "ready": False,
                        "started": False,
                        "restartCount": 0,
                        "state": {"running": {}},
                    }
                ],
            ),
            "0/2",
            "Init:0/1",
            "0",
            id="sidecar-starting",
        ),
    ],
)
def test_pod_ready_status_restarts(
    obj: dict[str, Any], ready: str, status: str, restarts: str
) -> None:
    """READY, STATUS and RESTARTS follow printPod for each pod state."""
    assert POD.cells(obj, NOW)[:5] == ["web", ready, status, restarts, "5m"]


def test_pod_wide_cells() -> None:
    """-o wide adds IP, NODE, NOMINATED NODE and READINESS GATES."""
    obj = pod(
        statuses=[running()],
        conditions=[READY_TRUE, {"type": "example.com/gate", "status": "True"}],
    )
    obj["spec"].update(
        nodeName="node1",
        readinessGates=[
            {"conditionType": "example.com/gate"},
            {"conditionType": "example.com/other"},
        ],
    )
    obj["status"].update(
        podIP="10.244.0.7",
        podIPs=[{"ip": "10.244.0.7"}, {"ip": "fd00::7"}],
        nominatedNodeName="node2",
    )
    assert POD.cells(obj, NOW) == [
        "web",
        "1/1",
        "Running",
        "0",
        "5m",
        "10.244.0.7",
        "node1",
        "node2",
        "1/2",
    ]


def test_pod_wide_cells_unset() -> None:
    """Unscheduled pods show <none> in every wide column."""
    assert POD.cells(pod(phase="Pending"), NOW)[5:] == ["<none>"] * 4


def test_pod_columns() -> None:
    """Pod columns, their types and wide priorities match upstream."""
    assert [(c.name, c.type, c.format, c.priority) for c in POD.columns] == [
        ("Name", "string", "name", 0),
        ("Ready", "string", "", 0),
        ("Status", "string", "", 0),
        ("Restarts", "string", "", 0),
        ("Age", "string", "", 0),
        ("IP", "string", "", 1),
        ("Node", "string", "", 1),
        ("Nominated Node", "string", "", 1),
        ("Readiness Gates", "string", "", 1),
    ]


@pytest.mark.parametrize(
    ("phase", "conditions"),
    [
        ("Running", []),
        (
            "Succeeded",
            [
                {
                    "type": "Completed",
                    "status": "True",
                    "reason": "Succeeded",
                    "message": "The pod has completed successfully.",
                }
            ],
        ),
        (
            "Failed",
            [
                {
                    "type": "Completed",
                    "status": "True",
                    "reason": "Failed",
                    "message": "The pod failed.",
                }
            ],
        ),
    ],
)
def test_pod_row_conditions(phase: str, conditions: list[dict[str, str]]) -> None:
    """Finished pods carry a Completed row condition."""
    assert POD.conditions(pod(phase=phase)) == conditions


NODE = printer_for("", "nodes")


def node(
    *, ready: str | None = "True", unschedulable: bool = False, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    conditions = [{"type": "MemoryPressure", "status": "False"}]
    if ready is not None:
        conditions.append({"type": "Ready", "status": ready})
    return {
        "metadata": {"name": "n1", "creationTimestamp": ago(3 * 86400), "labels": labels or {}},
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {
            "conditions": conditions,
            "nodeInfo": {
                "kubeletVersion": "v1.32.0",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "kernelVersion": "6.1.0",
                "containerRuntimeVersion": "containerd://1.7.0",
            },
            "addresses": [
                {"type": "Hostname", "address": "n1"},
                {"type": "InternalIP", "address": "172.18.0.2"},
            ],
        },
    }


@pytest.mark.parametrize(
    ("obj", "status", "roles"),
    [
        (node(labels={"node-role.kubernetes.io/control-plane": ""}), "Ready", "control-plane"),
        (
            node(
                ready="False",
                unschedulable=True,
                labels={"node-role.kubernetes.io/control-plane": ""},
            ),
            "NotReady,SchedulingDisabled",
            "control-plane",
        ),
        (node(ready="Unknown"), "NotReady", "<none>"),
        (node(ready=None), "Unknown", "<none>"),
        (
            node(
                labels={
                    "node-role.kubernetes.io/worker": "",
                    "kubernetes.io/role": "infra",
                    "node-role.kubernetes.io/": "",
                }
            ),
            "Ready",
            "infra,worker",
        ),
    ],
)
def test_node_status_and_roles(obj: dict[str, Any], status: str, roles: str) -> None:
    """STATUS comes from the Ready condition plus cordoning; ROLES from role labels."""
    assert NODE.cells(obj, NOW)[:5] == ["n1", status, roles, "3d", "v1.32.0"]


def test_node_wide_cells() -> None:
    """-o wide shows addresses and node info, <none>/<unknown> when missing."""
    assert NODE.cells(node(), NOW)[5:] == [
        "172.18.0.2",
        "<none>",
        "Debian GNU/Linux 12 (bookworm)",
        "6.1.0",
        "containerd://1.7.0",
    ]
    bare = {"metadata": {"name": "n2", "creationTimestamp": ago(10)}}
    assert NODE.cells(bare, NOW) == [
        "n2",
        "Unknown",
        "<none>",
        "10s",
        "",
        "<none>",
        "<none>",
        "<unknown>",
        "<unknown>",
        "<unknown>",
    ]


SERVICE = printer_for("", "services")


def service(spec: dict[str, Any], status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "svc", "creationTimestamp": ago(7200)},
        "spec": spec,
        "status": status or {},
    }


@pytest.mark.parametrize(
    ("obj", "cells"),
    [
        pytest.param(
            service(
                {
                    "type": "ClusterIP",
                    "clusterIP": "10.96.0.10",
                    "clusterIPs": ["10.96.0.10"],
                    "selector": {"app": "web"},
                    "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
                }
            ),
            ["svc", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "120m", "app=web"],
            id="cluster-ip",
        ),
        pytest.param(
            service(
                {
                    "type": "NodePort",
                    "clusterIPs": ["10.96.1.1"],
                    "ports": [
                        {"port": 80, "protocol": "TCP", "nodePort": 30080},
                        {"port": 53, "protocol": "UDP", "nodePort": 30053},
                    ],
                }
            ),
            [
                "svc",
                "NodePort",
                "10.96.1.1",
                "<none>",
                "80:30080/TCP,53:30053/UDP",
                "120m",
                "<none>",
            ],
            id="node-port",
        ),
        pytest.param(
            service(
                {
                    "type": "LoadBalancer",
                    "clusterIPs": ["10.96.1.2"],
                    "ports": [{"port": 80, "protocol": "TCP", "nodePort": 31234}],
                }
            ),
            ["svc", "LoadBalancer", "10.96.1.2", "<pending>", "80:31234/TCP", "120m", "<none>"],
            id="load-balancer-pending",
        ),
        pytest.param(
            service(
                {
                    "type": "LoadBalancer",
                    "clusterIPs": ["10.96.1.2"],
                    "externalIPs": ["192.0.2.9"],
                    "ports": [{"port": 443, "nodePort": 31443}],
                },
                {
                    "loadBalancer": {
                        "ingress": [
                            {"ip": "203.0.113.20"},
                            {"hostname": "lb.example.com"},
                            {"ip": "203.0.113.10"},
                        ]
                    }
                },
            ),
            [
                "svc",
                "LoadBalancer",
                "10.96.1.2",
                "203.0.113.10,203.0.113.20,lb.example.com,192.0.2.9",
                "443:31443/TCP",
                "120m",
                "<none>",
            ],
            id="load-balancer-ingress",
        ),
        pytest.param(
            service({"type": "ExternalName", "externalName": "db.example.com"}),
            ["svc", "ExternalName", "<none>", "db.example.com", "<none>", "120m", "<none>"],
            id="external-name",
        ),
        pytest.param(
            service(
                {
                    "type": "ClusterIP",
                    "clusterIP": "None",
                    "clusterIPs": ["None"],
                    "externalIPs": ["1.2.3.4", "5.6.7.8"],
                    "ports": [{"port": 5432, "protocol": "TCP"}],
                }
            ),
            ["svc", "ClusterIP", "None", "1.2.3.4,5.6.7.8", "5432/TCP", "120m", "<none>"],
            id="headless-with-external-ips",
        ),
    ],
)
def test_service(obj: dict[str, Any], cells: list[Any]) -> None:
    """TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) as kubectl get svc shows them."""
    assert SERVICE.cells(obj, NOW) == cells


ENDPOINTS = printer_for("", "endpoints")


@pytest.mark.parametrize(
    ("subsets", "expected"),
    [
        ([], "<none>"),
        (
            [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 80}]}],
            "10.0.0.1:80,10.0.0.2:80",
        ),
        (
            [{"addresses": [{"ip": f"10.0.0.{i}"} for i in range(1, 6)], "ports": [{"port": 80}]}],
            "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...",
        ),
        (
            [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}, {"port": 443}]}],
            "[fd00::1]:80,[fd00::1]:443",
        ),
        ([{"addresses": [{"ip": "10.0.0.1"}]}], "10.0.0.1"),
        ([{"notReadyAddresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}], ""),
    ],
)
def test_endpoints(subsets: list[dict[str, Any]], expected: str) -> None:
    """ENDPOINTS lists three ip:port pairs then counts the rest."""
    obj = {"metadata": {"name": "svc", "creationTimestamp": ago(30)}, "subsets": subsets}
    assert ENDPOINTS.cells(obj, NOW) == ["svc", expected, "30s"]


@pytest.mark.parametrize(
    ("plural", "obj", "cells"),
    [
        (
            "namespaces",
            {
                "metadata": {"name": "default", "creationTimestamp": ago(86400 * 10)},
                "status": {"phase": "Active"},
            },
            ["default", "Active", "10d"],
        ),
        (
            "configmaps",
            {
                "metadata": {"name": "cfg", "creationTimestamp": ago(5)},
                "data": {"a": "1", "b": "2"},
                "binaryData": {"c": "AA=="},
            },
            ["cfg", 3, "5s"],
        ),
        (
            "configmaps",
            {"metadata": {"name": "kube-root-ca.crt", "creationTimestamp": ago(5)}},
            ["kube-root-ca.crt", 0, "5s"],
        ),
        (
            "secrets",
            {
                "metadata": {"name": "tls", "creationTimestamp": ago(61)},
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": "", "tls.key": ""},
            },
            ["tls", "kubernetes.io/tls", 2, "61s"],
        ),
        (
            "serviceaccounts",
            {"metadata": {"name": "default", "creationTimestamp": ago(3600)}},
            ["default", 0, "60m"],
        ),
        (
            "limitranges",
            {"metadata": {"name": "lr", "creationTimestamp": "2024-05-01T08:30:00Z"}},
            ["lr", "2024-05-01T08:30:00Z"],
        ),
        (
            "resourcequotas",
            {
                "metadata": {"name": "q", "creationTimestamp": ago(60)},
                "status": {
                    "hard": {
                        "requests.cpu": "2",
                        "limits.memory": "2048Mi",
                        "pods": "10",
                        "limits.cpu": "4",
                    },
                    "used": {"requests.cpu": "500m", "limits.memory": "1Gi", "pods": "3"},
                },
            },
            [
                "q",
                "pods: 3/10, requests.cpu: 500m/2",
                "limits.cpu: 0/4, limits.memory: 1Gi/2Gi",
                "60s",
            ],
        ),
        (
            "componentstatuses",
            {
                "metadata": {"name": "etcd-0"},
                "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}],
            },
            ["etcd-0", "Healthy", "ok", ""],
        ),
        (
            "replicationcontrollers",
            {
                "metadata": {"name": "rc", "creationTimestamp": ago(60)},
                "spec": {
                    "replicas": 3,
                    "selector": {"app": "a"},
                    "template": {"spec": {"containers": [{"name": "a", "image": "nginx"}]}},
                },
                "status": {"replicas": 3, "readyReplicas": 2},
            },
            ["rc", 3, 3, 2, "60s", "a", "nginx", "app=a"],
        ),
    ],
)
def test_simple_core_printers(plural: str, obj: dict[str, Any], cells: list[Any]) -> None:
    """Namespaces, config maps, secrets and friends print their upstream cells."""
    assert printer_for("", plural).cells(obj, NOW) == cells


EVENT = printer_for("", "events")


def test_event_cells() -> None:
    """Event rows: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE plus the wide columns."""
    event = {
        "metadata": {"name": "web.17a", "creationTimestamp": ago(120)},
        "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{c0}"},
        "reason": "BackOff",
        "type": "Warning",
        "message": "Back-off restarting failed container\n",
        "source": {"component": "kubelet", "host": "node1"},
        "firstTimestamp": ago(600),
        "lastTimestamp": ago(20),
        "count": 7,
    }
    assert EVENT.cells(event, NOW) == [
        "20s",
        "Warning",
        "BackOff",
        "pod/web",
        "spec.containers{c0}",
        "kubelet, node1",
        "Back-off restarting failed container",
        "10m",
        7,
        "web.17a",
    ]


def test_event_new_api_fields() -> None:
    """Events without legacy timestamps use eventTime, series and reporting fields."""
    event = {
        "metadata": {"name": "e"},
        "involvedObject": {"kind": "Node"},
        "eventTime": "2024-06-01T11:59:00.000000Z",
        "reportingComponent": "scheduler",
        "reason": "Scheduled",
        "type": "Normal",
        "message": "ok",
    }
    assert EVENT.cells(event, NOW) == [
        "60s",
        "Normal",
        "Scheduled",
        "node",
        "",
        "scheduler",
        "ok",
        "60s",
        1,
        "e",
    ]
    event["series"] = {"count": 4, "lastObservedTime": "2024-06-01T11:59:50.000000Z"}
    assert EVENT.cells(event, NOW)[0] == "10s"
    assert EVENT.cells(event, NOW)[8] == 4


def test_event_columns_order() -> None:
    """Event columns put Name last and wide-only."""
    assert [(c.name, c.priority) for c in EVENT.columns] == [
        ("Last Seen", 0),
        ("Type", 0),
        ("Reason", 0),
        ("Object", 0),
        ("Subobject", 1),
        ("Source", 1),
        ("Message", 0),
        ("First Seen", 1),
        ("Count", 1),
        ("Name", 1),
    ]


def test_persistent_volume_and_claim() -> None:
    """PV and PVC rows: capacity, access modes, claim, class and volume mode."""
    pv = {
        "metadata": {"name": "pv1", "creationTimestamp": ago(60)},
        "spec": {
            "capacity": {"storage": "10Gi"},
            "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "standard",
            "claimRef": {"namespace": "default", "name": "data"},
            "volumeMode": "Filesystem",
        },
        "status": {"phase": "Bound"},
    }
    assert printer_for("", "persistentvolumes").cells(pv, NOW) == [
        "pv1",
        "10Gi",
        "RWO,RWX",
        "Retain",
        "Bound",
        "default/data",
        "standard",
        "<unset>",
        "",
        "60s",
        "Filesystem",
    ]
    pvc = {
        "metadata": {"name": "data", "creationTimestamp": ago(60)},
        "spec": {
            "volumeName": "pv1",
            "storageClassName": "standard",
            "resources": {"requests": {"storage": "1Gi"}},
        },
        "status": {
            "phase": "Bound",
            "accessModes": ["ReadWriteOnce"],
            "capacity": {"storage": "10Gi"},
        },
    }
    assert printer_for("", "persistentvolumeclaims").cells(pvc, NOW) == [
        "data",
        "Bound",
        "pv1",
        "10Gi",
        "RWO",
        "standard",
        "<unset>",
        "60s",
        "<unset>",
    ]
    pending = {
        "metadata": {"name": "new", "creationTimestamp": ago(5), "deletionTimestamp": ago(1)},
        "spec": {},
        "status": {"phase": "Pending"},
    }
    assert printer_for("", "persistentvolumeclaims").cells(pending, NOW) == [
        "new",
        "Terminating",
        "",
        "",
        "",
        "",
        "<unset>",
        "5s",
        "<unset>",
    ]
