"""apps and batch printers: deployments, replica sets, stateful sets, daemon sets, jobs."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.printers import printer_for
from tests.unit.apiserver.printers._support import NOW, ago

TEMPLATE = {
    "spec": {
        "containers": [
            {"name": "web", "image": "nginx:1.27"},
            {"name": "log", "image": "fluentbit"},
        ]
    }
}


def test_deployment() -> None:
    """READY ready/desired, UP-TO-DATE, AVAILABLE, then wide CONTAINERS IMAGES SELECTOR."""
    obj = {
        "metadata": {"name": "web", "creationTimestamp": ago(90)},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    assert printer_for("apps", "deployments").cells(obj, NOW) == [
        "web",
        "2/3",
        3,
        2,
        "90s",
        "web,log",
        "nginx:1.27,fluentbit",
        "app=web",
    ]


def test_deployment_without_status() -> None:
    """A fresh deployment reads 0/N with zero counts."""
    obj = {
        "metadata": {"name": "web", "creationTimestamp": ago(1)},
        "spec": {"replicas": 1, "selector": {}, "template": {"spec": {"containers": []}}},
    }
    assert printer_for("apps", "deployments").cells(obj, NOW) == [
        "web",
        "0/1",
        0,
        0,
        "1s",
        "",
        "",
        "",
    ]


def test_replica_set() -> None:
    """DESIRED, CURRENT, READY are integers; SELECTOR uses FormatLabelSelector."""
    obj = {
        "metadata": {"name": "web-7d9", "creationTimestamp": ago(600)},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web", "pod-template-hash": "7d9"}},
            "template": TEMPLATE,
        },
        "status": {"replicas": 2, "readyReplicas": 1},
    }
    assert printer_for("apps", "replicasets").cells(obj, NOW) == [
        "web-7d9",
        2,
        2,
        1,
        "10m",
        "web,log",
        "nginx:1.27,fluentbit",
        "app=web,pod-template-hash=7d9",
    ]


def test_stateful_set_and_daemon_set() -> None:
    """StatefulSet READY is ready/desired; DaemonSet shows five counts and NODE SELECTOR."""
    sts = {
        "metadata": {"name": "db", "creationTimestamp": ago(30)},
        "spec": {"replicas": 3, "template": TEMPLATE},
        "status": {"readyReplicas": 3},
    }
    assert printer_for("apps", "statefulsets").cells(sts, NOW) == [
        "db",
        "3/3",
        "30s",
        "web,log",
        "nginx:1.27,fluentbit",
    ]
    ds = {
        "metadata": {"name": "proxy", "creationTimestamp": ago(30)},
        "spec": {
            "selector": {"matchLabels": {"k8s-app": "proxy"}},
            "template": {
                "spec": {
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [{"name": "p", "image": "kube-proxy"}],
                }
            },
        },
        "status": {
            "desiredNumberScheduled": 3,
            "currentNumberScheduled": 3,
            "numberReady": 2,
            "updatedNumberScheduled": 3,
            "numberAvailable": 2,
        },
    }
    assert printer_for("apps", "daemonsets").cells(ds, NOW) == [
        "proxy",
        3,
        3,
        2,
        3,
        2,
        "kubernetes.io/os=linux",
        "30s",
        "p",
        "kube-proxy",
        "k8s-app=proxy",
    ]


def test_controller_revision() -> None:
    """CONTROLLER is kind.group/name of the controlling owner."""
    obj = {
        "metadata": {
            "name": "proxy-5b",
            "creationTimestamp": ago(30),
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "proxy", "controller": True}
            ],
        },
        "revision": 2,
    }
    assert printer_for("apps", "controllerrevisions").cells(obj, NOW) == [
        "proxy-5b",
        "daemonset.apps/proxy",
        2,
        "30s",
    ]
    orphan = {"metadata": {"name": "x", "creationTimestamp": ago(30)}, "revision": 1}
    assert printer_for("apps", "controllerrevisions").cells(orphan, NOW)[1] == "<none>"


JOB = printer_for("batch", "jobs")


def job(
    *,
    conditions: list[dict[str, str]] | None = None,
    deleting: bool = False,
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "pi", "creationTimestamp": ago(400)}
    if deleting:
        metadata["deletionTimestamp"] = ago(1)
    return {
        "metadata": metadata,
        "spec": {
            "completions": 1,
            "parallelism": 1,
            "template": TEMPLATE,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}},
            **(spec or {}),
        },
        "status": {"conditions": conditions or [], **(status or {})},
    }


@pytest.mark.parametrize(
    ("obj", "status"),
    [
        (job(), "Running"),
        (job(conditions=[{"type": "Complete", "status": "True"}]), "Complete"),
        (job(conditions=[{"type": "Failed", "status": "True"}]), "Failed"),
        (job(conditions=[{"type": "Suspended", "status": "True"}]), "Suspended"),
        (job(conditions=[{"type": "Suspended", "status": "False"}]), "Running"),
        (job(conditions=[{"type": "FailureTarget", "status": "True"}]), "FailureTarget"),
        (job(conditions=[{"type": "Suspended", "status": "True"}], deleting=True), "Terminating"),
        (job(conditions=[{"type": "Complete", "status": "True"}], deleting=True), "Complete"),
    ],
)
def test_job_status(obj: dict[str, Any], status: str) -> None:
    """STATUS picks Complete, Failed, Terminating, Suspended, FailureTarget, Running in order."""
    assert JOB.cells(obj, NOW)[1] == status


@pytest.mark.parametrize(
    ("spec", "status", "completions", "duration"),
    [
        ({}, {}, "0/1", ""),
        ({"completions": 5}, {"succeeded": 2, "startTime": ago(125)}, "2/5", "2m5s"),
        ({"completions": None, "parallelism": 3}, {"succeeded": 0}, "0/1 of 3", ""),
        ({"completions": None, "parallelism": 1}, {"succeeded": 1}, "1/1", ""),
        ({}, {"succeeded": 1, "startTime": ago(300), "completionTime": ago(290)}, "1/1", "10s"),
    ],
)
def test_job_completions_and_duration(
    spec: dict[str, Any], status: dict[str, Any], completions: str, duration: str
) -> None:
    """COMPLETIONS and DURATION follow printJob."""
    cells = JOB.cells(job(spec=spec, status=status), NOW)
    assert cells[2:5] == [completions, duration, "6m40s"]
    assert cells[5:] == ["web,log", "nginx:1.27,fluentbit", "batch.kubernetes.io/controller-uid=u1"]


def test_cron_job() -> None:
    """SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE."""
    obj: dict[str, Any] = {
        "metadata": {"name": "hello", "creationTimestamp": ago(7200)},
        "spec": {
            "schedule": "*/5 * * * *",
            "suspend": False,
            "jobTemplate": {"spec": {"template": TEMPLATE}},
        },
        "status": {"active": [{"name": "hello-1"}], "lastScheduleTime": ago(50)},
    }
    assert printer_for("batch", "cronjobs").cells(obj, NOW) == [
        "hello",
        "*/5 * * * *",
        "<none>",
        "False",
        1,
        "50s",
        "120m",
        "web,log",
        "nginx:1.27,fluentbit",
        "<none>",
    ]
    obj["spec"].update(timeZone="Etc/UTC")
    del obj["spec"]["suspend"]
    obj["status"] = {}
    assert printer_for("batch", "cronjobs").cells(obj, NOW)[2:6] == [
        "Etc/UTC",
        "<unset>",
        0,
        "<none>",
    ]
