"""How many replicas a resource metric asks for: the HPA's ``ReplicaCalculator`` (pure).

Kubernetes 1.32's ``pkg/controller/podautoscaler/replica_calculator.go`` for resource metrics
(``Resource`` and ``ContainerResource``), given the pods the target's selector matches and the
metrics of those pods (milli-units per pod, summed over its containers or one container):

1. **Grouping** (``groupPods``): deleted and failed pods are ignored; pending pods are unready;
   pods without a metric are missing. For CPU, a pod is also unready when it has no Ready
   condition or start time, or, within ``cpu_initialization_period`` (5 min) of its start,
   when it is not Ready or its metric was taken less than one window after its readiness
   changed; after that period, when it is not Ready and never was (its readiness changed
   within ``delay_of_initial_readiness_status``, 30 s, of its start). Ignored and unready
   pods' metrics are dropped.
2. **Utilization**: ``sum(usage) * 100 / sum(requests)`` over the pods with metrics (an
   integer percentage), the ratio to the target, and the average usage. A container without
   a request for the resource is an error (``missing request for cpu in container c of Pod
   p``); sidecars count with the regular containers.
3. **Replicas**: with no unready pods to rebalance and none missing, within ``tolerance``
   (0.1) of the target keeps the current count, else ``ceil(ratio * ready pods)``. Otherwise
   missing pods count as using their full request on a scale-down and nothing on a
   scale-up, unready pods nothing on a scale-up; the ratio is computed again, and a ratio
   within tolerance or one that would change the direction keeps the current count; else
   ``ceil(new ratio * pods counted)`` unless that count moved against the direction.

Target ``averageValue`` metrics (``calcPlainMetricReplicas``) work the same on the average
usage against the target value, without requests.

Failures raise :class:`CalculationError` with upstream's message.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.quantity import QuantityParseError, parse_quantity

__all__ = [
    "CalculationError",
    "PodMetric",
    "ReplicaCalculator",
    "ResourceReplicas",
    "pod_requests",
    "unix_time",
]

Obj = Mapping[str, Any]

#: ``--horizontal-pod-autoscaler-tolerance``.
DEFAULT_TOLERANCE: Final = 0.1
#: ``--horizontal-pod-autoscaler-cpu-initialization-period``.
DEFAULT_CPU_INITIALIZATION_PERIOD: Final = 300.0
#: ``--horizontal-pod-autoscaler-initial-readiness-delay``.
DEFAULT_DELAY_OF_INITIAL_READINESS_STATUS: Final = 30.0


class CalculationError(Exception):
    """No replica count could be computed; the message is upstream's."""


@dataclass(frozen=True, slots=True)
class PodMetric:
    """One pod's usage of a resource in milli-units, when it was sampled and over what window
    (Unix seconds, seconds)."""

    value: int
    timestamp: float
    window: float


@dataclass(frozen=True, slots=True)
class ResourceReplicas:
    """What a metric proposes: the replica count, the utilization (a percentage of the
    requests; 0 for value targets) and the average usage per pod (milli-units)."""

    replicas: int
    utilization: int
    average: int


def unix_time(value: Any) -> float | None:
    """A ``metav1.Time`` as Unix seconds; None if absent or not a time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _containers(pod: Obj) -> list[Obj]:
    """The regular containers and the sidecars (restartable init containers)."""
    spec = pod.get("spec") or {}
    containers = [c for c in spec.get("containers") or [] if isinstance(c, Mapping)]
    containers += [
        c
        for c in spec.get("initContainers") or []
        if isinstance(c, Mapping) and c.get("restartPolicy") == "Always"
    ]
    return containers


def pod_requests(pods: Sequence[Obj], resource: str, container: str = "") -> dict[str, int]:
    """Each pod's request for ``resource`` in milli-units (``calculatePodRequests``).

    >>> pod = {"metadata": {"name": "p"}, "spec": {"containers": [
    ...     {"name": "a", "resources": {"requests": {"cpu": "250m"}}}]}}
    >>> pod_requests([pod], "cpu")
    {'p': 250}
    """
    requests: dict[str, int] = {}
    for pod in pods:
        name = str((pod.get("metadata") or {}).get("name") or "")
        total = 0
        for spec in _containers(pod):
            if container and spec.get("name") != container:
                continue
            raw = ((spec.get("resources") or {}).get("requests") or {}).get(resource)
            if raw is None:
                raise CalculationError(
                    f"missing request for {resource} in container {spec.get('name', '')} "
                    f"of Pod {name}"
                )
            try:
                total += parse_quantity(str(raw)).milli_value()
            except QuantityParseError as err:
                raise CalculationError(str(err)) from None
        requests[name] = total
    return requests


def _ready_condition(pod: Obj) -> Obj | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(condition, Mapping) and condition.get("type") == "Ready":
            return condition
    return None


@dataclass(frozen=True, slots=True)
class _Groups:
    ready: int
    unready: frozenset[str]
    missing: frozenset[str]
    ignored: frozenset[str]


class ReplicaCalculator:
    """Replica counts from resource metrics (see the module docstring)."""

    def __init__(
        self,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        cpu_initialization_period: float = DEFAULT_CPU_INITIALIZATION_PERIOD,
        delay_of_initial_readiness_status: float = DEFAULT_DELAY_OF_INITIAL_READINESS_STATUS,
    ) -> None:
        self.tolerance = tolerance
        self.cpu_initialization_period = cpu_initialization_period
        self.delay_of_initial_readiness_status = delay_of_initial_readiness_status

    def _group(
        self, pods: Sequence[Obj], metrics: Mapping[str, PodMetric], resource: str, now: float
    ) -> _Groups:
        ready = 0
        unready: set[str] = set()
        missing: set[str] = set()
        ignored: set[str] = set()
        for pod in pods:
            meta, status = pod.get("metadata") or {}, pod.get("status") or {}
            name = str(meta.get("name") or "")
            phase = status.get("phase")
            if meta.get("deletionTimestamp") or phase == "Failed":
                ignored.add(name)
                continue
            if phase == "Pending":
                unready.add(name)
                continue
            metric = metrics.get(name)
            if metric is None:
                missing.add(name)
                continue
            if resource == "cpu" and self._cpu_unready(pod, metric, now):
                unready.add(name)
                continue
            ready += 1
        return _Groups(ready, frozenset(unready), frozenset(missing), frozenset(ignored))

    def _cpu_unready(self, pod: Obj, metric: PodMetric, now: float) -> bool:
        condition = _ready_condition(pod)
        started = unix_time((pod.get("status") or {}).get("startTime"))
        if condition is None or started is None:
            return True
        transition = unix_time(condition.get("lastTransitionTime")) or 0.0
        not_ready = condition.get("status") == "False"
        if started + self.cpu_initialization_period > now:
            # still initializing: unready, or no full window sampled since readiness changed
            return not_ready or metric.timestamp < transition + metric.window
        # unready and never ready since it started
        return not_ready and started + self.delay_of_initial_readiness_status > transition

    def resource_replicas(
        self,
        current: int,
        target_utilization: int,
        resource: str,
        pods: Sequence[Obj],
        metrics: Mapping[str, PodMetric],
        *,
        container: str = "",
        now: float,
    ) -> ResourceReplicas:
        """``GetResourceReplicas``: a target utilization (percent of the requests)."""
        if not pods:
            raise CalculationError("no pods returned by selector while calculating replica count")
        usage = {name: m.value for name, m in metrics.items()}
        groups = self._group(pods, metrics, resource, now)
        for name in groups.ignored | groups.unready:
            usage.pop(name, None)
        requests = pod_requests(pods, resource, container)
        if not usage:
            raise CalculationError(
                "did not receive metrics for targeted pods (pods might be unready)"
            )
        ratio, utilization, average = _utilization_ratio(usage, requests, target_utilization)
        scale_up_with_unready = bool(groups.unready) and ratio > 1.0
        if not scale_up_with_unready and not groups.missing:
            if abs(1.0 - ratio) <= self.tolerance:
                return ResourceReplicas(current, utilization, average)
            return ResourceReplicas(math.ceil(ratio * groups.ready), utilization, average)
        if groups.missing:
            if ratio < 1.0:
                usage.update({name: requests.get(name, 0) for name in groups.missing})
            elif ratio > 1.0:
                usage.update(dict.fromkeys(groups.missing, 0))
        if scale_up_with_unready:
            usage.update(dict.fromkeys(groups.unready, 0))
        new_ratio, _, _ = _utilization_ratio(usage, requests, target_utilization)
        counted = len(usage)
        return ResourceReplicas(
            self._rebalanced(current, ratio, new_ratio, counted), utilization, average
        )

    def raw_resource_replicas(
        self,
        current: int,
        target_milli: int,
        resource: str,
        pods: Sequence[Obj],
        metrics: Mapping[str, PodMetric],
        *,
        now: float,
    ) -> ResourceReplicas:
        """``GetRawResourceReplicas``: a target average value (milli-units per pod)."""
        if not pods:
            raise CalculationError("no pods returned by selector while calculating replica count")
        usage = {name: m.value for name, m in metrics.items()}
        groups = self._group(pods, metrics, resource, now)
        for name in groups.ignored | groups.unready:
            usage.pop(name, None)
        if not usage:
            raise CalculationError(
                "did not receive metrics for targeted pods (pods might be unready)"
            )
        average = sum(usage.values()) // len(usage)
        ratio = average / target_milli
        scale_up_with_unready = bool(groups.unready) and ratio > 1.0
        if not scale_up_with_unready and not groups.missing:
            if abs(1.0 - ratio) <= self.tolerance:
                return ResourceReplicas(current, 0, average)
            return ResourceReplicas(math.ceil(ratio * groups.ready), 0, average)
        if groups.missing:
            fill = target_milli if ratio < 1.0 else 0
            usage.update(dict.fromkeys(groups.missing, fill))
        if scale_up_with_unready:
            usage.update(dict.fromkeys(groups.unready, 0))
        new_ratio = (sum(usage.values()) // len(usage)) / target_milli
        return ResourceReplicas(self._rebalanced(current, ratio, new_ratio, len(usage)), 0, average)

    def _rebalanced(self, current: int, ratio: float, new_ratio: float, counted: int) -> int:
        """The count once missing and unready pods are accounted for: the current one if the
        change is within tolerance or would reverse the direction."""
        if (
            abs(1.0 - new_ratio) <= self.tolerance
            or (ratio < 1.0 < new_ratio)
            or (ratio > 1.0 > new_ratio)
        ):
            return current
        replicas = math.ceil(new_ratio * counted)
        if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
            return current
        return replicas


def _utilization_ratio(
    usage: Mapping[str, int], requests: Mapping[str, int], target: int
) -> tuple[float, int, int]:
    """``GetResourceUtilizationRatio``: (ratio to the target, utilization %, average usage)."""
    total = requested = entries = 0
    for name, value in usage.items():
        if name not in requests:
            continue  # a metric of a pod not listed: as upstream, left out
        total += value
        requested += requests[name]
        entries += 1
    if requested == 0:
        raise CalculationError("no metrics returned matched known pods")
    utilization = total * 100 // requested
    return utilization / target, utilization, total // entries
