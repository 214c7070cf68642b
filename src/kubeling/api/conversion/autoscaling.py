"""autoscaling/v2 HorizontalPodAutoscaler ⇄ autoscaling/v1.

Kubernetes 1.32 stores HorizontalPodAutoscalers as ``autoscaling/v2`` and
serves ``autoscaling/v1`` by conversion (``pkg/apis/autoscaling/v1/
conversion.go``). v1 only knows one CPU utilization target, so:

- v2 → v1: the first ``Resource`` ``cpu`` metric gives
  ``targetCPUUtilizationPercentage`` (when it targets a utilization); every
  other metric is written, in autoscaling/v1's own metric shapes, to the
  ``autoscaling.alpha.kubernetes.io/metrics`` annotation. Every current metric
  goes to ``.../current-metrics`` (the CPU one also gives
  ``currentCPUUtilizationPercentage``), the conditions to ``.../conditions``
  and ``spec.behavior`` to ``.../behavior`` (as Go marshals its internal type:
  ``{"ScaleUp":{"StabilizationWindowSeconds":0,...}}``).
- v1 → v2: the reverse. The annotations' metrics come first, then the CPU
  target; with no metric at all, the 80% CPU utilization default; malformed
  annotations are ignored; the round-trip annotations are dropped.

A v1 read-modify-write of a v2 object therefore loses nothing, as upstream
promises (the CPU metric moves to the end of the list, quantities Go always
writes become ``"0"``, as upstream's do). autoscaling/v2 itself drops the
round-trip annotations on every write (``drop_round_trip_annotations``, used
by the HPA strategy).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from kubeling.api.conversion import Conversion
from kubeling.api.goformat import go_json
from kubeling.api.schema import GroupVersionKind

__all__ = [
    "BEHAVIOR_ANNOTATION",
    "CONDITIONS_ANNOTATION",
    "CURRENT_METRICS_ANNOTATION",
    "DEFAULT_CPU_UTILIZATION",
    "HPA_V1",
    "METRICS_ANNOTATION",
    "ROUND_TRIP_ANNOTATIONS",
    "V1_HPA",
    "V2_HPA",
    "drop_round_trip_annotations",
    "v1_to_v2",
    "v2_to_v1",
]

Obj = dict[str, Any]

V1_HPA: Final = GroupVersionKind("autoscaling", "v1", "HorizontalPodAutoscaler")
V2_HPA: Final = GroupVersionKind("autoscaling", "v2", "HorizontalPodAutoscaler")

METRICS_ANNOTATION: Final = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT_METRICS_ANNOTATION: Final = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS_ANNOTATION: Final = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR_ANNOTATION: Final = "autoscaling.alpha.kubernetes.io/behavior"
ROUND_TRIP_ANNOTATIONS: Final = (
    METRICS_ANNOTATION,
    BEHAVIOR_ANNOTATION,
    CURRENT_METRICS_ANNOTATION,
    CONDITIONS_ANNOTATION,
)
DEFAULT_CPU_UTILIZATION: Final = 80


class _Malformed(Exception):
    """An annotation's JSON does not decode into autoscaling/v1's types."""


# -- reading JSON values -------------------------------------------------------


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A string field (a stored object's or an annotation's); None is ""."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Malformed
    return value


def _int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Malformed
    return value


def _quantity(value: Any) -> Any:
    """A resource.Quantity: a string, or a bare JSON number as Go accepts it."""
    if value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool)):
        return value
    raise _Malformed


def _selector(value: Any) -> Any:
    """A label selector, with ``matchLabels`` sorted as Go marshals a map."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _Malformed
    selector = dict(value)
    if isinstance(selector.get("matchLabels"), Mapping):
        selector["matchLabels"] = dict(sorted(selector["matchLabels"].items()))
    return selector


def _put(out: Obj, key: str, value: Any) -> None:
    """An ``omitempty`` pointer or slice: left out when nil."""
    if value is not None:
        out[key] = value


def _zero_quantity(value: Any) -> Any:
    """A non-pointer Quantity: ``"0"`` when unset."""
    quantity = _quantity(value)
    return "0" if quantity is None else quantity


def _reference(value: Any) -> Obj:
    """A CrossVersionObjectReference (the same JSON in v1 and v2)."""
    ref = _map(value)
    out: Obj = {"kind": _text(ref.get("kind")), "name": _text(ref.get("name"))}
    if _text(ref.get("apiVersion")):
        out["apiVersion"] = ref["apiVersion"]
    return out


def _identifier(name: Any, selector: Any) -> Obj:
    """A v2 MetricIdentifier."""
    out: Obj = {"name": _text(name)}
    _put(out, "selector", _selector(selector))
    return out


def _target(kind: str, value: Any, average: Any, utilization: Any) -> Obj:
    """A v2 MetricTarget (or MetricValueStatus when ``kind`` is empty)."""
    out: Obj = {"type": kind} if kind else {}
    _put(out, "value", _quantity(value))
    _put(out, "averageValue", _quantity(average))
    _put(out, "averageUtilization", _int(utilization))
    return out


def _is_cpu(metric: Mapping[str, Any]) -> bool:
    return metric.get("type") == "Resource" and _map(metric.get("resource")).get("name") == "cpu"


def _cpu_utilization_target(metric: Mapping[str, Any]) -> int | None:
    """The averageUtilization a CPU Resource metric targets, or None."""
    if not _is_cpu(metric):
        return None
    return _int(_map(_map(metric.get("resource")).get("target")).get("averageUtilization"))


def _cpu_metric(utilization: int) -> Obj:
    target = {"type": "Utilization", "averageUtilization": utilization}
    return {"type": "Resource", "resource": {"name": "cpu", "target": target}}


# -- metric specs --------------------------------------------------------------


def _spec_to_v1(metric: Mapping[str, Any]) -> Obj:
    """``Convert_autoscaling_MetricSpec_To_v1_MetricSpec``."""
    out: Obj = {"type": _text(metric.get("type"))}
    if metric.get("object") is not None:
        source = _map(metric["object"])
        target, ident = _map(source.get("target")), _map(source.get("metric"))
        obj: Obj = {
            "target": _reference(source.get("describedObject")),
            "metricName": _text(ident.get("name")),
            "targetValue": _zero_quantity(target.get("value")),
        }
        _put(obj, "selector", _selector(ident.get("selector")))
        _put(obj, "averageValue", _quantity(target.get("averageValue")))
        out["object"] = obj
    if metric.get("pods") is not None:
        source = _map(metric["pods"])
        ident = _map(source.get("metric"))
        pods: Obj = {
            "metricName": _text(ident.get("name")),
            "targetAverageValue": _zero_quantity(_map(source.get("target")).get("averageValue")),
        }
        _put(pods, "selector", _selector(ident.get("selector")))
        out["pods"] = pods
    for key in ("resource", "containerResource"):
        if metric.get(key) is not None:
            source = _map(metric[key])
            target = _map(source.get("target"))
            resource: Obj = {"name": _text(source.get("name"))}
            _put(resource, "targetAverageUtilization", _int(target.get("averageUtilization")))
            _put(resource, "targetAverageValue", _quantity(target.get("averageValue")))
            if key == "containerResource":
                resource["container"] = _text(source.get("container"))
            out[key] = resource
    if metric.get("external") is not None:
        source = _map(metric["external"])
        target, ident = _map(source.get("target")), _map(source.get("metric"))
        external: Obj = {"metricName": _text(ident.get("name"))}
        _put(external, "metricSelector", _selector(ident.get("selector")))
        _put(external, "targetValue", _quantity(target.get("value")))
        _put(external, "targetAverageValue", _quantity(target.get("averageValue")))
        out["external"] = external
    return out


def _spec_to_v2(metric: Any) -> Obj:
    """``Convert_v1_MetricSpec_To_autoscaling_MetricSpec`` (raises _Malformed)."""
    if not isinstance(metric, Mapping):
        raise _Malformed
    out: Obj = {"type": _text(metric.get("type"))}
    if metric.get("object") is not None:
        source = _map(metric["object"])
        kind = "Value" if source.get("averageValue") is None else "AverageValue"
        out["object"] = {
            "describedObject": _reference(source.get("target")),
            "target": _target(
                kind, _zero_quantity(source.get("targetValue")), source.get("averageValue"), None
            ),
            "metric": _identifier(source.get("metricName"), source.get("selector")),
        }
    if metric.get("pods") is not None:
        source = _map(metric["pods"])
        out["pods"] = {
            "metric": _identifier(source.get("metricName"), source.get("selector")),
            "target": _target(
                "AverageValue", None, _zero_quantity(source.get("targetAverageValue")), None
            ),
        }
    for key in ("resource", "containerResource"):
        if metric.get(key) is not None:
            source = _map(metric[key])
            utilization = source.get("targetAverageUtilization")
            kind = "AverageValue" if utilization is None else "Utilization"
            resource: Obj = {
                "name": _text(source.get("name")),
                "target": _target(kind, None, source.get("targetAverageValue"), utilization),
            }
            if key == "containerResource":
                resource["container"] = _text(source.get("container"))
            out[key] = resource
    if metric.get("external") is not None:
        source = _map(metric["external"])
        kind = "AverageValue" if source.get("targetValue") is None else "Value"
        out["external"] = {
            "metric": _identifier(source.get("metricName"), source.get("metricSelector")),
            "target": _target(
                kind, source.get("targetValue"), source.get("targetAverageValue"), None
            ),
        }
    return out


# -- metric statuses -----------------------------------------------------------


def _status_to_v1(metric: Mapping[str, Any]) -> Obj:
    """``Convert_autoscaling_MetricStatus_To_v1_MetricStatus``."""
    out: Obj = {"type": _text(metric.get("type"))}
    if metric.get("object") is not None:
        source = _map(metric["object"])
        current, ident = _map(source.get("current")), _map(source.get("metric"))
        obj: Obj = {
            "target": _reference(source.get("describedObject")),
            "metricName": _text(ident.get("name")),
            "currentValue": _zero_quantity(current.get("value")),
        }
        _put(obj, "selector", _selector(ident.get("selector")))
        _put(obj, "averageValue", _quantity(current.get("averageValue")))
        out["object"] = obj
    if metric.get("pods") is not None:
        source = _map(metric["pods"])
        ident = _map(source.get("metric"))
        pods: Obj = {
            "metricName": _text(ident.get("name")),
            "currentAverageValue": _zero_quantity(_map(source.get("current")).get("averageValue")),
        }
        _put(pods, "selector", _selector(ident.get("selector")))
        out["pods"] = pods
    for key in ("resource", "containerResource"):
        if metric.get(key) is not None:
            source = _map(metric[key])
            current = _map(source.get("current"))
            resource: Obj = {"name": _text(source.get("name"))}
            _put(resource, "currentAverageUtilization", _int(current.get("averageUtilization")))
            resource["currentAverageValue"] = _zero_quantity(current.get("averageValue"))
            if key == "containerResource":
                resource["container"] = _text(source.get("container"))
            out[key] = resource
    if metric.get("external") is not None:
        source = _map(metric["external"])
        current, ident = _map(source.get("current")), _map(source.get("metric"))
        external: Obj = {"metricName": _text(ident.get("name"))}
        _put(external, "metricSelector", _selector(ident.get("selector")))
        external["currentValue"] = _zero_quantity(current.get("value"))
        _put(external, "currentAverageValue", _quantity(current.get("averageValue")))
        out["external"] = external
    return out


def _status_to_v2(metric: Any) -> Obj:
    """``Convert_v1_MetricStatus_To_autoscaling_MetricStatus`` (raises _Malformed)."""
    if not isinstance(metric, Mapping):
        raise _Malformed
    out: Obj = {"type": _text(metric.get("type"))}
    if metric.get("object") is not None:
        source = _map(metric["object"])
        out["object"] = {
            "metric": _identifier(source.get("metricName"), source.get("selector")),
            "current": _target(
                "", _zero_quantity(source.get("currentValue")), source.get("averageValue"), None
            ),
            "describedObject": _reference(source.get("target")),
        }
    if metric.get("pods") is not None:
        source = _map(metric["pods"])
        out["pods"] = {
            "metric": _identifier(source.get("metricName"), source.get("selector")),
            "current": _target("", None, _zero_quantity(source.get("currentAverageValue")), None),
        }
    for key in ("resource", "containerResource"):
        if metric.get(key) is not None:
            source = _map(metric[key])
            resource: Obj = {
                "name": _text(source.get("name")),
                "current": _target(
                    "",
                    None,
                    _zero_quantity(source.get("currentAverageValue")),
                    source.get("currentAverageUtilization"),
                ),
            }
            if key == "containerResource":
                resource["container"] = _text(source.get("container"))
            out[key] = resource
    if metric.get("external") is not None:
        source = _map(metric["external"])
        out["external"] = {
            "metric": _identifier(source.get("metricName"), source.get("metricSelector")),
            "current": _target(
                "",
                _zero_quantity(source.get("currentValue")),
                source.get("currentAverageValue"),
                None,
            ),
        }
    return out


# -- conditions and behavior ----------------------------------------------------


def _condition(condition: Any) -> Obj:
    """A HorizontalPodAutoscalerCondition (the same fields in v1 and v2)."""
    if not isinstance(condition, Mapping):
        raise _Malformed
    out: Obj = {
        "type": _text(condition.get("type")),
        "status": _text(condition.get("status")),
        "lastTransitionTime": condition.get("lastTransitionTime"),
    }
    for key in ("reason", "message"):
        if _text(condition.get(key)):
            out[key] = condition[key]
    return out


def _v2_condition(condition: Any) -> Obj:
    out = _condition(condition)
    if out["lastTransitionTime"] is None:
        del out["lastTransitionTime"]
    return out


def _rules_to_internal(rules: Any) -> Obj | None:
    """HPAScalingRules as Go marshals the internal type (no json tags)."""
    if rules is None:
        return None
    source = _map(rules)
    policies = source.get("policies")
    return {
        "StabilizationWindowSeconds": _int(source.get("stabilizationWindowSeconds")),
        "SelectPolicy": source.get("selectPolicy"),
        "Policies": None
        if policies is None
        else [
            {
                "Type": _text(_map(p).get("type")),
                "Value": _int(_map(p).get("value")) or 0,
                "PeriodSeconds": _int(_map(p).get("periodSeconds")) or 0,
            }
            for p in _list(policies)
        ],
    }


def _field(source: Mapping[str, Any], name: str) -> Any:
    """A JSON key looked up as Go's decoder does: exactly, else ignoring case."""
    if name in source:
        return source[name]
    for key, value in source.items():
        if key.lower() == name.lower():
            return value
    return None


def _rules_from_internal(rules: Any) -> Obj | None:
    if rules is None:
        return None
    if not isinstance(rules, Mapping):
        raise _Malformed
    out: Obj = {}
    _put(out, "stabilizationWindowSeconds", _int(_field(rules, "StabilizationWindowSeconds")))
    if _field(rules, "SelectPolicy") is not None:
        out["selectPolicy"] = _text(_field(rules, "SelectPolicy"))
    policies = _field(rules, "Policies")
    if policies is not None:
        if not isinstance(policies, list):
            raise _Malformed
        out["policies"] = []
        for policy in policies:
            if not isinstance(policy, Mapping):
                raise _Malformed
            out["policies"].append(
                {
                    "type": _text(_field(policy, "Type")),
                    "value": _int(_field(policy, "Value")) or 0,
                    "periodSeconds": _int(_field(policy, "PeriodSeconds")) or 0,
                }
            )
    return out


def _behavior_from_annotation(raw: Any) -> Obj | None:
    value = _decode(raw)
    if not isinstance(value, Mapping):
        raise _Malformed
    behavior: Obj = {}
    _put(behavior, "scaleUp", _rules_from_internal(_field(value, "ScaleUp")))
    _put(behavior, "scaleDown", _rules_from_internal(_field(value, "ScaleDown")))
    return behavior or None


def _decode(raw: Any) -> Any:
    if not isinstance(raw, str):
        raise _Malformed
    try:
        return json.loads(raw)
    except ValueError:
        raise _Malformed from None


def _from_annotation(raw: Any, item: Callable[[Any], Obj]) -> list[Obj]:
    value = _decode(raw)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Malformed
    return [item(entry) for entry in value]


def _annotated(
    annotations: Mapping[str, Any], key: str, parse: Callable[[Any], Any]
) -> tuple[bool, Any]:
    """(found, value) of a well-formed round-trip annotation; malformed ones are ignored."""
    if key not in annotations:
        return False, None
    try:
        return True, parse(annotations[key])
    except _Malformed:
        return False, None


# -- objects ----------------------------------------------------------------------


def drop_round_trip_annotations(metadata: Mapping[str, Any]) -> Mapping[str, Any]:
    """``metadata`` without the round-trip annotations (the same object when it has none).

    >>> drop_round_trip_annotations({"annotations": {METRICS_ANNOTATION: "[]"}})
    {}
    """
    annotations = _map(metadata.get("annotations"))
    if not any(key in annotations for key in ROUND_TRIP_ANNOTATIONS):
        return metadata
    kept = {k: v for k, v in annotations.items() if k not in ROUND_TRIP_ANNOTATIONS}
    out = {k: v for k, v in metadata.items() if k != "annotations"}
    if kept:
        out["annotations"] = kept
    return out


def v2_to_v1(hpa: Mapping[str, Any]) -> Obj:
    """``Convert_autoscaling_HorizontalPodAutoscaler_To_v1_HorizontalPodAutoscaler``.

    >>> v1 = v2_to_v1({"spec": {"maxReplicas": 3, "metrics": [_cpu_metric(50)]}})
    >>> v1["spec"]["targetCPUUtilizationPercentage"], v1["status"]
    (50, {'currentReplicas': 0, 'desiredReplicas': 0})
    """
    spec, status = _map(hpa.get("spec")), _map(hpa.get("status"))
    metrics = [_map(m) for m in _list(spec.get("metrics"))]
    v1_spec: Obj = {"scaleTargetRef": _reference(spec.get("scaleTargetRef"))}
    _put(v1_spec, "minReplicas", spec.get("minReplicas"))
    v1_spec["maxReplicas"] = spec.get("maxReplicas") or 0
    for metric in metrics:
        if _is_cpu(metric):
            _put(v1_spec, "targetCPUUtilizationPercentage", _cpu_utilization_target(metric))
            break
    v1_status: Obj = {}
    _put(v1_status, "observedGeneration", status.get("observedGeneration"))
    _put(v1_status, "lastScaleTime", status.get("lastScaleTime"))
    v1_status["currentReplicas"] = status.get("currentReplicas") or 0
    v1_status["desiredReplicas"] = status.get("desiredReplicas") or 0
    current = [_map(m) for m in _list(status.get("currentMetrics"))]
    for metric in current:  # no break: the last CPU utilization wins, as upstream
        if _is_cpu(metric):
            utilization = _map(_map(metric.get("resource")).get("current"))
            _put(
                v1_status, "currentCPUUtilizationPercentage", utilization.get("averageUtilization")
            )

    added: dict[str, str] = {}
    others = [_spec_to_v1(m) for m in metrics if _cpu_utilization_target(m) is None]
    if others:
        added[METRICS_ANNOTATION] = go_json(others, sort_keys=False)
    if current:
        statuses = [_status_to_v1(m) for m in current]
        added[CURRENT_METRICS_ANNOTATION] = go_json(statuses, sort_keys=False)
    if spec.get("behavior") is not None:
        behavior = _map(spec["behavior"])
        internal = {
            "ScaleUp": _rules_to_internal(behavior.get("scaleUp")),
            "ScaleDown": _rules_to_internal(behavior.get("scaleDown")),
        }
        added[BEHAVIOR_ANNOTATION] = go_json(internal, sort_keys=False)
    conditions = _list(status.get("conditions"))
    if conditions:
        added[CONDITIONS_ANNOTATION] = go_json([_condition(c) for c in conditions], sort_keys=False)
    metadata = drop_round_trip_annotations(_map(hpa.get("metadata")))
    if added:
        annotations = {**_map(metadata.get("annotations")), **added}
        metadata = {**metadata, "annotations": dict(sorted(annotations.items()))}
    return {
        "apiVersion": V1_HPA.api_version,
        "kind": V1_HPA.kind,
        "metadata": metadata,
        "spec": v1_spec,
        "status": v1_status,
    }


def v1_to_v2(hpa: Mapping[str, Any]) -> Obj:
    """``Convert_v1_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler``.

    >>> v1_to_v2({"spec": {"maxReplicas": 3}})["spec"]["metrics"] == [_cpu_metric(80)]
    True
    """
    spec, status = _map(hpa.get("spec")), _map(hpa.get("status"))
    metadata = _map(hpa.get("metadata"))
    annotations = _map(metadata.get("annotations"))
    v2_spec: Obj = {"scaleTargetRef": _reference(spec.get("scaleTargetRef"))}
    _put(v2_spec, "minReplicas", spec.get("minReplicas"))
    v2_spec["maxReplicas"] = spec.get("maxReplicas") or 0
    metrics: list[Obj] = []
    if spec.get("targetCPUUtilizationPercentage") is not None:
        metrics.append(_cpu_metric(spec["targetCPUUtilizationPercentage"]))
    found, others = _annotated(
        annotations, METRICS_ANNOTATION, lambda raw: _from_annotation(raw, _spec_to_v2)
    )
    if found:
        # the annotation's metrics first, then the one the CPU target gave
        metrics = [*others, *metrics]
    found, behavior = _annotated(annotations, BEHAVIOR_ANNOTATION, _behavior_from_annotation)
    if found and behavior is not None:
        v2_spec["behavior"] = behavior

    v2_status: Obj = {}
    _put(v2_status, "observedGeneration", status.get("observedGeneration"))
    _put(v2_status, "lastScaleTime", status.get("lastScaleTime"))
    if status.get("currentReplicas"):
        v2_status["currentReplicas"] = status["currentReplicas"]
    v2_status["desiredReplicas"] = status.get("desiredReplicas") or 0
    current: list[Obj] = []
    if status.get("currentCPUUtilizationPercentage") is not None:
        utilization = {"averageUtilization": status["currentCPUUtilizationPercentage"]}
        current.append({"type": "Resource", "resource": {"name": "cpu", "current": utilization}})
    found, annotated = _annotated(
        annotations, CURRENT_METRICS_ANNOTATION, lambda raw: _from_annotation(raw, _status_to_v2)
    )
    if found:
        current = annotated  # they say more than the CPU percentage
    if current:
        v2_status["currentMetrics"] = current
    # v1 once defaulted this in the controller; with every metric known, it is explicit here
    v2_spec["metrics"] = metrics or [_cpu_metric(DEFAULT_CPU_UTILIZATION)]
    found, conditions = _annotated(
        annotations, CONDITIONS_ANNOTATION, lambda raw: _from_annotation(raw, _v2_condition)
    )
    if found and conditions:
        v2_status["conditions"] = conditions
    return {
        "apiVersion": V2_HPA.api_version,
        "kind": V2_HPA.kind,
        "metadata": drop_round_trip_annotations(metadata),
        "spec": v2_spec,
        "status": v2_status,
    }


HPA_V1: Final = Conversion(
    served=V1_HPA,
    storage=V2_HPA,
    to_storage=v1_to_v2,
    from_storage=v2_to_v1,
)
"""autoscaling/v1 HorizontalPodAutoscalers, stored as autoscaling/v2."""
