"""Builders for the Deployment controller's unit tests: Deployments and ReplicaSets as JSON."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def deployment(
    replicas: int = 10,
    *,
    max_surge: int | str | None = 0,
    max_unavailable: int | str | None = 0,
    strategy: str = "RollingUpdate",
    name: str = "web",
    generation: int = 1,
    status: Obj | None = None,
    annotations: dict[str, str] | None = None,
    **spec: Any,
) -> Obj:
    """A Deployment as the API serves it after defaulting."""
    strategy_spec: Obj = {"type": strategy}
    if strategy == "RollingUpdate":
        rolling: Obj = {}
        if max_surge is not None:
            rolling["maxSurge"] = max_surge
        if max_unavailable is not None:
            rolling["maxUnavailable"] = max_unavailable
        strategy_spec["rollingUpdate"] = rolling
    meta: Obj = {"name": name, "namespace": "ns", "uid": f"uid-{name}", "generation": generation}
    if annotations is not None:
        meta["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": template("v1", app=name),
            "strategy": strategy_spec,
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            **spec,
        },
        "status": status if status is not None else {},
    }


def template(version: str, **labels: str) -> Obj:
    return {
        "metadata": {"labels": {**labels, "version": version}},
        "spec": {"containers": [{"name": "app", "image": f"example.com/app:{version}"}]},
    }


def replica_set(
    name: str,
    replicas: int,
    *,
    available: int | None = None,
    created: str = "2024-01-01T00:00:00Z",
    annotations: dict[str, str] | None = None,
    version: str = "v1",
    status: Obj | None = None,
    generation: int = 1,
) -> Obj:
    """A ReplicaSet of ``replicas`` (``available`` of them available; all by default)."""
    available = replicas if available is None else available
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": f"uid-{name}",
            "creationTimestamp": created,
            "annotations": dict(annotations or {}),
            "generation": generation,
        },
        "spec": {"replicas": replicas, "template": template(version, app="web")},
        "status": status
        if status is not None
        else {
            "replicas": replicas,
            "availableReplicas": available,
            "readyReplicas": available,
            "observedGeneration": generation,
        },
    }
