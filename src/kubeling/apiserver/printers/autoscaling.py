"""Printers of ``autoscaling``: horizontal pod autoscalers.

TARGETS renders each metric as ``current/target`` (``cpu: 40%/80%``,
``<unknown>`` before the controller reports), at most two of them, then
``+ N more...``. It reads ``autoscaling/v2`` objects, the storage version;
``autoscaling/v1`` ones are converted to it first (``Printer.reading``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.apiserver.printers._helpers import (
    creation_timestamp,
    has,
    integer,
    mapping,
    name,
    quantity_string,
    text,
)
from kubeling.apiserver.printers.age import translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS", "format_hpa_metrics"]

_UNKNOWN: Final = "<unknown>"


def _status_part(statuses: Sequence[Any], index: int, key: str) -> Mapping[str, Any] | None:
    if index < len(statuses) and isinstance(statuses[index], Mapping):
        part = statuses[index].get(key)
        if isinstance(part, Mapping):
            return part
    return None


def _value_metric(
    spec: Mapping[str, Any], current: Mapping[str, Any] | None, *, prefix: str = ""
) -> str:
    """``current/target`` for a metric with a value or average-value target."""
    target = mapping(spec, "target")
    current_values = mapping(current, "current") if current is not None else {}
    if has(target, "averageValue"):
        now = _UNKNOWN
        if current is not None and has(current_values, "averageValue"):
            now = quantity_string(current_values["averageValue"])
        suffix = "" if prefix else " (avg)"
        return f"{prefix}{now}/{quantity_string(target['averageValue'])}{suffix}"
    now = quantity_string(current_values.get("value")) if current is not None else _UNKNOWN
    return f"{prefix}{now}/{quantity_string(target.get('value'))}"


def _utilization_metric(spec: Mapping[str, Any], current: Mapping[str, Any] | None) -> str:
    resource = text(spec, "name")
    target = mapping(spec, "target")
    if has(target, "averageValue"):
        return _value_metric(spec, current, prefix=f"{resource}: ")
    now = _UNKNOWN
    if current is not None and has(mapping(current, "current"), "averageUtilization"):
        now = f"{integer(mapping(current, 'current'), 'averageUtilization')}%"
    wanted = "<auto>"
    if has(target, "averageUtilization"):
        wanted = f"{integer(target, 'averageUtilization')}%"
    return f"{resource}: {now}/{wanted}"


def format_hpa_metrics(specs: Sequence[Any], statuses: Sequence[Any]) -> str:
    """``formatHPAMetrics``: the TARGETS cell."""
    if not specs:
        return "<none>"
    rendered: list[str] = []
    for index, metric in enumerate(specs):
        metric_type = text(metric, "type") if isinstance(metric, Mapping) else ""
        if metric_type == "External":
            current = _status_part(statuses, index, "external")
            rendered.append(_value_metric(mapping(metric, "external"), current))
        elif metric_type == "Pods":
            current = _status_part(statuses, index, "pods")
            target = mapping(metric, "pods", "target").get("averageValue")
            now = _UNKNOWN
            if current is not None:
                now = quantity_string(mapping(current, "current").get("averageValue"))
            rendered.append(f"{now}/{quantity_string(target)}")
        elif metric_type == "Object":
            current = _status_part(statuses, index, "object")
            rendered.append(_value_metric(mapping(metric, "object"), current))
        elif metric_type == "Resource":
            current = _status_part(statuses, index, "resource")
            rendered.append(_utilization_metric(mapping(metric, "resource"), current))
        elif metric_type == "ContainerResource":
            current = _status_part(statuses, index, "containerResource")
            rendered.append(_utilization_metric(mapping(metric, "containerResource"), current))
        else:
            rendered.append("<unknown type>")
    limit = 2
    if len(rendered) > limit:
        return f"{', '.join(rendered[:limit])} + {len(rendered) - limit} more..."
    return ", ".join(rendered)


def _hpa_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    specs, statuses = list(spec.get("metrics") or []), list(status.get("currentMetrics") or [])
    target = mapping(spec, "scaleTargetRef")
    return [
        name(obj),
        f"{text(target, 'kind')}/{text(target, 'name')}",
        format_hpa_metrics(specs, statuses),
        str(integer(spec, "minReplicas")) if has(spec, "minReplicas") else "<unset>",
        integer(spec, "maxReplicas"),
        integer(status, "currentReplicas"),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


HORIZONTAL_POD_AUTOSCALER: Final = Printer(
    (
        name_column(),
        Column(
            "Reference",
            "string",
            "scaleTargetRef points to the target resource to scale, "
            "and is used to the pods for which metrics should be collected, as well as to "
            "actually change the replica count.",
        ),
        Column(
            "Targets",
            "string",
            "metrics contains the specifications for which to use to "
            "calculate the desired replica count.",
        ),
        Column(
            "MinPods",
            "string",
            "minReplicas is the lower limit for the number of replicas "
            "to which the autoscaler can scale down.",
        ),
        Column(
            "MaxPods",
            "string",
            "maxReplicas is the upper limit for the number of replicas "
            "to which the autoscaler can scale up.",
        ),
        Column(
            "Replicas",
            "string",
            "currentReplicas is current number of replicas of pods "
            "managed by this autoscaler, as last seen by the autoscaler.",
        ),
        age_column(),
    ),
    _hpa_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {"horizontalpodautoscalers": HORIZONTAL_POD_AUTOSCALER}
"""``autoscaling`` printers by resource plural."""
