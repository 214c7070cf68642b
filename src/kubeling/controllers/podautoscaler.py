"""The horizontal pod autoscaler controller (``horizontalpodautoscaling``).

Every HPA is reconciled once per sync period (15 s,
``--horizontal-pod-autoscaler-sync-period``; a new HPA waits one period
first, as upstream's fixed-interval queue makes it), as Kubernetes 1.32's
``pkg/controller/podautoscaler`` does:

1. The target's ``scale`` subresource is read (any resource that has one:
   Deployments, ReplicaSets, StatefulSets, custom resources). Failure:
   ``AbleToScale=False/FailedGetScale`` and a ``FailedGetScale`` event.
   Success: ``AbleToScale=True/SucceededGetScale``.
2. A target scaled to 0 (with ``minReplicas`` > 0) is left alone
   (``ScalingActive=False/ScalingDisabled``). One above ``maxReplicas`` or
   below ``minReplicas`` is rescaled to that bound (``SuccessfulRescale``
   "New size: N; reason: Current number of replicas below
   Spec.MinReplicas"; ``AbleToScale=True/SucceededRescale``) without asking
   for metrics, exactly as upstream does.
3. Otherwise every metric proposes a replica count and the highest wins.
   ``Resource`` and ``ContainerResource`` metrics read the pods' usage from
   the resource metrics API (:mod:`~kubeling.controllers.resourcemetrics`;
   kubeling's API server serves ``metrics.k8s.io`` itself) and compute the
   count as upstream's replica calculator
   (:mod:`~kubeling.controllers.replicacalculator`: usage over requests
   averaged over ready pods, tolerance 0.1); ``currentMetrics`` reports the
   utilization and average value, ``ScalingActive=True/ValidMetricFound``
   which metric decided. ``Pods``, ``Object`` and ``External`` metrics fail
   as on a cluster without a custom or external metrics adapter. When every
   metric fails (or some fail and the rest would scale down), nothing is
   scaled: ``ScalingActive=False`` with the first failure's reason (e.g.
   ``FailedGetResourceMetric``), that event, and
   ``FailedComputeMetricsReplicas``; a failed metric's ``currentMetrics``
   entry is empty, so ``kubectl get hpa`` shows ``cpu: <unknown>/50%``.
4. The proposal is stabilized and limited
   (:mod:`~kubeling.controllers.hpanormalization`: a 5 minute scale-down
   window, the scale-up limit, or the HPA's ``behavior``), which sets
   ``AbleToScale`` (``ReadyForNewScale``, ``ScaleDownStabilized``...) and
   ``ScalingLimited``; a different count is written to the scale
   (``SuccessfulRescale`` "New size: 4; reason: cpu resource utilization
   (percentage of request) above target").

The status (``currentReplicas`` from the scale, ``desiredReplicas``,
``lastScaleTime``, ``currentMetrics``, ``conditions``) is written only when
it changed. Events come from ``horizontal-pod-autoscaler``.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Final

from kubeling.api import errors, labels
from kubeling.api.goformat import go_label_selector
from kubeling.api.groupversion import GroupResource
from kubeling.api.quantity import Quantity, QuantityParseError, parse_quantity
from kubeling.api.timestamps import format_time
from kubeling.client import NORMAL, WARNING, TransportError, object_key, split_key
from kubeling.client.resources import HORIZONTALPODAUTOSCALERS, PODS, Resource
from kubeling.client.rest import NoKindMatchError
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.hpanormalization import Normalizer
from kubeling.controllers.replicacalculator import (
    CalculationError,
    ReplicaCalculator,
    ResourceReplicas,
)
from kubeling.controllers.resourcemetrics import (
    POD_METRICS,
    ApiResourceMetrics,
    MetricsUnavailable,
    ResourceMetricsSource,
)
from kubeling.controllers.scale import get_scale, update_scale

__all__ = [
    "POD_METRICS",
    "HorizontalPodAutoscalerController",
    "HorizontalPodAutoscalerOptions",
    "MetricFailure",
    "MetricProposal",
    "bounds_decision",
    "set_hpa_condition",
]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

_NO_CUSTOM_METRICS: Final = "no custom metrics API (custom.metrics.k8s.io) registered"


@dataclasses.dataclass(frozen=True, slots=True)
class HorizontalPodAutoscalerOptions:
    #: ``--horizontal-pod-autoscaler-sync-period``.
    sync_period: float = 15.0
    #: ``--horizontal-pod-autoscaler-tolerance``.
    tolerance: float = 0.1
    #: ``--horizontal-pod-autoscaler-downscale-stabilization``.
    downscale_stabilization: float = 300.0
    #: ``--horizontal-pod-autoscaler-cpu-initialization-period``.
    cpu_initialization_period: float = 300.0
    #: ``--horizontal-pod-autoscaler-initial-readiness-delay``.
    initial_readiness_delay: float = 30.0


def set_hpa_condition(
    status: dict[str, Any], condition_type: str, value: str, reason: str, message: str, *, now: str
) -> None:
    """Set one HPA condition in place (``setConditionInList``): a new one, or one whose
    status changes, gets ``lastTransitionTime`` now; reason and message always change."""
    conditions = status.get("conditions")
    if not isinstance(conditions, list):
        conditions = status["conditions"] = []
    existing = next((c for c in conditions if c.get("type") == condition_type), None)
    if existing is None:
        existing = {"type": condition_type, "status": ""}
        conditions.append(existing)
    if existing.get("status") != value:
        existing["lastTransitionTime"] = now
    existing.update(status=value, reason=reason, message=message)
    # the wire order Go writes
    ordered = {k: existing[k] for k in ("type", "status", "lastTransitionTime") if k in existing}
    ordered.update(reason=reason, message=message)
    existing.clear()
    existing.update(ordered)


@dataclasses.dataclass(frozen=True, slots=True)
class Bounds:
    """What the replica bounds alone decide (before any metric)."""

    desired: int
    reason: str = ""
    rescale: bool = True
    disabled: bool = False
    #: within bounds: the metrics decide
    metrics: bool = False


def bounds_decision(current: int, min_replicas: int, max_replicas: int) -> Bounds:
    """The first branch of ``reconcileAutoscaler``.

    >>> bounds_decision(1, 2, 5)
    Bounds(desired=2, reason='Current number of replicas below Spec.MinReplicas', rescale=True, disabled=False, metrics=False)
    """  # noqa: E501
    if current == 0 and min_replicas != 0:
        return Bounds(desired=0, rescale=False, disabled=True)
    if current > max_replicas:
        return Bounds(
            desired=max_replicas, reason="Current number of replicas above Spec.MaxReplicas"
        )
    if current < min_replicas:
        return Bounds(
            desired=min_replicas, reason="Current number of replicas below Spec.MinReplicas"
        )
    return Bounds(desired=current, rescale=False, metrics=True)


@dataclasses.dataclass(frozen=True, slots=True)
class MetricFailure:
    """Why one metric gave no replica count: the event/condition reason, the event
    message, and the error as ``computeReplicasForMetric`` wraps it."""

    reason: str
    message: str
    wrapped: str


@dataclasses.dataclass(frozen=True, slots=True)
class MetricProposal:
    """What one metric asks for: a replica count, its ``currentMetrics`` entry, and how
    events and conditions name it (``cpu resource utilization (percentage of request)``)."""

    replicas: int
    status: Obj
    name: str


class HorizontalPodAutoscalerController(Controller):
    name: ClassVar[str] = "horizontalpodautoscaling"
    component: ClassVar[str] = "horizontal-pod-autoscaler"
    #: ``--concurrent-horizontal-pod-autoscaler-syncs``
    workers: ClassVar[int] = 5
    max_retries: ClassVar[int | None] = None

    def __init__(
        self,
        ctx: ControllerContext,
        options: HorizontalPodAutoscalerOptions = HorizontalPodAutoscalerOptions(),
        *,
        clock: Callable[[], float] = time.time,
        metrics: ResourceMetricsSource | None = None,
    ) -> None:
        super().__init__(ctx)
        self.options = options
        self._clock = clock
        self.metrics = metrics if metrics is not None else ApiResourceMetrics(self.client)
        self.calculator = ReplicaCalculator(
            tolerance=options.tolerance,
            cpu_initialization_period=options.cpu_initialization_period,
            delay_of_initial_readiness_status=options.initial_readiness_delay,
        )
        self.normalizer = Normalizer(
            downscale_stabilization=options.downscale_stabilization, clock=clock
        )
        self.hpas_client = self.client.resource(HORIZONTALPODAUTOSCALERS)
        self.pods = self.informers.informer_for(PODS)
        self.hpas = self.informers.informer_for(HORIZONTALPODAUTOSCALERS)
        self.hpas.add_event_handler(
            on_add=self._later, on_update=lambda _old, new: self._later(new)
        )

    def _later(self, hpa: Mapping[str, Any]) -> None:
        # upstream's queue holds every key for one sync period, new ones included
        self.queue.add_after(object_key(hpa), self.options.sync_period)

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        try:
            hpa = self.hpas.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                self.normalizer.forget(key)
                return  # deleted: not requeued
            raise
        try:
            await self.reconcile(hpa)
        except (errors.StatusError, TransportError) as err:
            log.info("horizontal pod autoscaler %s: %s", key, err)
        finally:
            self.queue.add_after(key, self.options.sync_period)

    # -- one reconciliation ------------------------------------------------------------

    def _now(self) -> str:
        return format_time(self._clock())

    async def reconcile(self, cached: Mapping[str, Any]) -> None:
        """``reconcileAutoscaler``: scale bounds now, metrics-based scaling never (no metrics)."""
        hpa = copy.deepcopy(dict(cached))
        original = copy.deepcopy(hpa.get("status") or {})
        status: dict[str, Any] = copy.deepcopy(original)
        hpa["status"] = status
        spec = hpa.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        namespace = str((hpa.get("metadata") or {}).get("namespace") or "")
        reference = f"{ref.get('kind', '')}/{namespace}/{ref.get('name', '')}"

        try:
            resource = await self._target_resource(ref)
            scale = await get_scale(self.client, resource, namespace, str(ref.get("name", "")))
        except (errors.StatusError, NoKindMatchError, ValueError, TransportError) as err:
            message = err.message if isinstance(err, errors.StatusError) else str(err)
            self.recorder.event(hpa, WARNING, "FailedGetScale", message)
            set_hpa_condition(
                status,
                "AbleToScale",
                "False",
                "FailedGetScale",
                f"the HPA controller was unable to get the target's current scale: {message}",
                now=self._now(),
            )
            await self._update_status_if_needed(original, hpa)
            log.info(
                "horizontal pod autoscaler: failed to get the scale of %s: %s", reference, message
            )
            return
        set_hpa_condition(
            status,
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
            now=self._now(),
        )
        current = int((scale.get("spec") or {}).get("replicas") or 0)
        key = object_key(hpa)
        self.normalizer.record_initial(key, current)
        min_replicas = spec.get("minReplicas")
        min_replicas = min_replicas if isinstance(min_replicas, int) else 1
        bounds = bounds_decision(current, min_replicas, int(spec.get("maxReplicas") or 0))
        desired, statuses = bounds.desired, None
        if bounds.disabled:
            set_hpa_condition(
                status,
                "ScalingActive",
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
                now=self._now(),
            )
        elif bounds.metrics:
            statuses, proposal, error = await self._compute_replicas_for_metrics(hpa, scale)
            if proposal is None:
                self._set_status(status, current, int(status.get("desiredReplicas") or 0), statuses)
                await self._update_status_if_needed(original, hpa)
                self.recorder.event(hpa, WARNING, "FailedComputeMetricsReplicas", error)
                return
            reason = ""
            if proposal.replicas > current:
                reason = f"{proposal.name} above target"
            elif proposal.replicas < current:
                reason = "All metrics below target"
            decision = self.normalizer.normalize(
                key, spec, current=current, desired=proposal.replicas, min_replicas=min_replicas
            )
            set_hpa_condition(
                status,
                "AbleToScale",
                "True",
                decision.able_reason,
                decision.able_message,
                now=self._now(),
            )
            set_hpa_condition(
                status,
                "ScalingLimited",
                "True" if decision.limited else "False",
                decision.limited_reason,
                decision.limited_message,
                now=self._now(),
            )
            desired = decision.replicas
            bounds = Bounds(desired=desired, reason=reason, rescale=desired != current)
        if bounds.rescale:
            scaled = copy.deepcopy(scale)
            scaled.setdefault("spec", {})["replicas"] = desired
            try:
                await update_scale(self.client, resource, namespace, scaled)
            except (errors.StatusError, TransportError) as err:
                message = err.message if isinstance(err, errors.StatusError) else str(err)
                self.recorder.event(
                    hpa,
                    WARNING,
                    "FailedRescale",
                    f"New size: {desired}; reason: {bounds.reason}; error: {message}",
                )
                set_hpa_condition(
                    status,
                    "AbleToScale",
                    "False",
                    "FailedUpdateScale",
                    f"the HPA controller was unable to update the target scale: {message}",
                    now=self._now(),
                )
                self._set_status(status, current, int(status.get("desiredReplicas") or 0), statuses)
                await self._update_status_if_needed(original, hpa)
                return
            set_hpa_condition(
                status,
                "AbleToScale",
                "True",
                "SucceededRescale",
                f"the HPA controller was able to update the target scale to {desired}",
                now=self._now(),
            )
            self.recorder.event(
                hpa, NORMAL, "SuccessfulRescale", f"New size: {desired}; reason: {bounds.reason}"
            )
            self.normalizer.record_scale(key, spec, current, desired)
        else:
            desired = current
        self._set_status(status, current, desired, statuses, rescaled=bounds.rescale)
        await self._update_status_if_needed(original, hpa)

    async def _target_resource(self, ref: Mapping[str, Any]) -> Resource:
        api_version, kind = str(ref.get("apiVersion") or ""), str(ref.get("kind") or "")
        if api_version.count("/") > 1:
            raise ValueError(f"unexpected GroupVersion string: {api_version}")
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        try:
            return await self.client.find_resource(api_version or "v1", kind)
        except NoKindMatchError:
            raise NoKindMatchError(f'no matches for kind "{kind}" in group "{group}"') from None

    def _set_status(
        self,
        status: dict[str, Any],
        current: int,
        desired: int,
        metrics: list[Obj] | None,
        *,
        rescaled: bool = False,
    ) -> None:
        """``setStatus``: the fields the controller owns, rebuilt (not observedGeneration)."""
        rebuilt: dict[str, Any] = {}
        if current:
            rebuilt["currentReplicas"] = current
        rebuilt["desiredReplicas"] = desired
        last_scale = self._now() if rescaled else status.get("lastScaleTime")
        if last_scale:
            rebuilt["lastScaleTime"] = last_scale
        rebuilt["currentMetrics"] = metrics
        if status.get("conditions"):
            rebuilt["conditions"] = status["conditions"]
        status.clear()
        status.update(rebuilt)

    async def _update_status_if_needed(self, original: Mapping[str, Any], hpa: Obj) -> None:
        if _same_status(original, hpa.get("status") or {}):
            return
        try:
            await self.hpas_client.update_status(hpa)
        except errors.StatusError as err:
            self.recorder.event(hpa, WARNING, "FailedUpdateStatus", err.message)
            raise

    # -- metrics -------------------------------------------------------------------------

    async def _compute_replicas_for_metrics(
        self, hpa: Obj, scale: Mapping[str, Any]
    ) -> tuple[list[Obj] | None, MetricProposal | None, str]:
        """``computeReplicasForMetrics``: (currentMetrics, the winning proposal or None, the
        error when there is none)."""
        status = hpa["status"]
        selector_text = str((scale.get("status") or {}).get("selector") or "")
        if not selector_text:
            self.recorder.event(hpa, WARNING, "SelectorRequired", "selector is required")
            set_hpa_condition(
                status,
                "ScalingActive",
                "False",
                "InvalidSelector",
                "the HPA target's scale is missing a selector",
                now=self._now(),
            )
            return None, None, "selector is required"
        try:
            selector = labels.parse(selector_text)
        except labels.SelectorParseError as err:
            message = (
                f"couldn't convert selector into a corresponding internal selector object: {err}"
            )
            self.recorder.event(hpa, WARNING, "InvalidSelector", message)
            set_hpa_condition(
                status, "ScalingActive", "False", "InvalidSelector", message, now=self._now()
            )
            return None, None, message
        namespace = str((hpa.get("metadata") or {}).get("namespace") or "")
        metrics: Sequence[Mapping[str, Any]] = (hpa.get("spec") or {}).get("metrics") or []
        current = int((scale.get("spec") or {}).get("replicas") or 0)
        pods = self.pods.lister.list(namespace=namespace, selector=selector)
        # one empty MetricStatus per metric, as upstream's make([]MetricStatus, n)
        statuses: list[Obj] = [{"type": ""} for _ in metrics]
        failures: list[MetricFailure] = []
        best: MetricProposal | None = None
        for index, metric in enumerate(metrics):
            outcome = await self._compute_metric(
                metric, namespace, selector_text, current=current, pods=pods
            )
            if isinstance(outcome, MetricFailure):
                self.recorder.event(hpa, WARNING, outcome.reason, outcome.message)
                failures.append(outcome)
                continue
            statuses[index] = outcome.status
            if best is None or outcome.replicas > best.replicas:
                best = outcome
        if failures and (best is None or best.replicas < current):
            first = failures[0]
            set_hpa_condition(
                status,
                "ScalingActive",
                "False",
                first.reason,
                f"the HPA was unable to compute the replica count: {first.message}",
                now=self._now(),
            )
            error = (
                f"invalid metrics ({len(failures)} invalid out of {len(metrics)}), first error "
                f"is: {first.wrapped}"
            )
            return statuses, None, error
        if best is None:
            return statuses, None, "no metrics to compute a replica count from"
        set_hpa_condition(
            status,
            "ScalingActive",
            "True",
            "ValidMetricFound",
            f"the HPA was able to successfully calculate a replica count from {best.name}",
            now=self._now(),
        )
        return statuses, best, ""

    async def _compute_metric(
        self,
        metric: Mapping[str, Any],
        namespace: str,
        selector: str,
        *,
        current: int,
        pods: Sequence[Mapping[str, Any]],
    ) -> MetricProposal | MetricFailure:
        """One metric's proposal (``computeReplicasForMetric``), or why it has none."""
        kind = str(metric.get("type") or "")
        if kind not in ("Resource", "ContainerResource"):
            return await self._metric_failure(metric, namespace, selector)
        field = "resource" if kind == "Resource" else "containerResource"
        source = metric.get(field) or {}
        name = str(source.get("name") or "")
        container = str(source.get("container") or "") if kind == "ContainerResource" else ""
        target = source.get("target") or {}
        try:
            proposal = await self._resource_proposal(
                name, target, namespace, selector, container=container, current=current, pods=pods
            )
        except (MetricsUnavailable, CalculationError) as err:
            return _resource_failure(kind, name, container, target, str(err))
        replicas, value, metric_name = proposal
        entry: Obj = {"name": name}
        if container:
            entry["container"] = container
        entry["current"] = value
        return MetricProposal(replicas, {"type": kind, field: entry}, metric_name)

    async def _resource_proposal(
        self,
        name: str,
        target: Mapping[str, Any],
        namespace: str,
        selector: str,
        *,
        container: str,
        current: int,
        pods: Sequence[Mapping[str, Any]],
    ) -> tuple[int, Obj, str]:
        """(replicas, the MetricValueStatus, the metric's name) of a resource metric;
        raises with the replica calculator's error."""
        subject = f"{name} container resource" if container else f"{name} resource"
        average_value = target.get("averageValue")
        utilization = target.get("averageUtilization")
        if average_value is None and utilization is None:
            raise CalculationError("")  # the message is the source's, see _resource_failure
        try:
            found, _ = await self.metrics.pod_metrics(
                name, namespace, selector, container=container
            )
        except MetricsUnavailable as err:
            raise MetricsUnavailable(f"unable to get metrics for resource {name}: {err}") from err
        now = self._clock()
        result: ResourceReplicas
        if average_value is not None:
            try:
                target_milli = parse_quantity(str(average_value)).milli_value()
            except QuantityParseError as err:
                raise CalculationError(str(err)) from None
            if target_milli <= 0:
                raise CalculationError(f"invalid target value {average_value}")
            result = self.calculator.raw_resource_replicas(
                current, target_milli, name, pods, found, now=now
            )
            value: Obj = {"averageValue": str(Quantity.from_milli(result.average))}
            return result.replicas, value, subject
        if not isinstance(utilization, int) or utilization <= 0:
            raise CalculationError(f"invalid target utilization {utilization}")
        result = self.calculator.resource_replicas(
            current, utilization, name, pods, found, container=container, now=now
        )
        value = {
            "averageUtilization": result.utilization,
            "averageValue": str(Quantity.from_milli(result.average)),
        }
        return result.replicas, value, f"{subject} utilization (percentage of request)"

    async def _metric_failure(
        self, metric: Mapping[str, Any], namespace: str, selector: str
    ) -> MetricFailure:
        """Why a metric the controller cannot read (Pods, Object, External: no adapter)
        gives no replica count."""
        kind = str(metric.get("type") or "")
        if kind == "Pods":
            name = str(((metric.get("pods") or {}).get("metric") or {}).get("name") or "")
            message = (
                f"unable to get metric {name}: unable to fetch metrics from custom metrics API: "
                f"{_NO_CUSTOM_METRICS}"
            )
            return MetricFailure(
                "FailedGetPodsMetric", message, f"failed to get pods metric value: {message}"
            )
        if kind == "Object":
            name = str(((metric.get("object") or {}).get("metric") or {}).get("name") or "")
            message = (
                f"unable to get metric {name}: unable to fetch metrics from custom metrics API: "
                f"{_NO_CUSTOM_METRICS}"
            )
            return MetricFailure(
                "FailedGetObjectMetric", message, f"failed to get object metric value: {message}"
            )
        if kind == "External":
            source = (metric.get("external") or {}).get("metric") or {}
            name = str(source.get("name") or "")
            missing = errors.generic_server_response(
                404, "GET", GroupResource("external.metrics.k8s.io", name), "", ""
            )
            message = (
                f"unable to get external metric {namespace}/{name}/"
                f"{go_label_selector(source.get('selector'))}: unable to fetch metrics from "
                f"external metrics API: {missing}"
            )
            return MetricFailure(
                "FailedGetExternalMetric",
                message,
                f"failed to get {name} external metric value: {message}",
            )
        message = f'unknown metric source type "{kind}"'
        return MetricFailure("InvalidMetricSourceType", message, message)


def _resource_failure(
    kind: str, name: str, container: str, target: Mapping[str, Any], error: str
) -> MetricFailure:
    """A resource metric's failure as ``computeStatusForResourceMetricGeneric`` words it."""
    if target.get("averageValue") is not None:
        message = f"failed to get {name} usage: {error}"
    elif target.get("averageUtilization") is None:
        message = (
            "invalid resource metric source: neither an average utilization target "
            "nor an average value (usage) target was set"
        )
    else:
        message = f"failed to get {name} utilization: {error}"
    if kind == "Resource":
        return MetricFailure(
            "FailedGetResourceMetric",
            message,
            f"failed to get {name} resource metric value: {message}",
        )
    return MetricFailure(
        "FailedGetContainerResourceMetric",
        message,
        f"failed to get {container} container metric value: {message}",
    )


def _same_status(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """``apiequality.Semantic.DeepEqual`` of two statuses: missing and empty lists alike."""

    def normal(status: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in status.items() if v not in (None, [], {}, 0)}

    return normal(old) == normal(new)
