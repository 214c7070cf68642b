"""core/v1 Event ⇄ events.k8s.io/v1 Event.

Both APIs serve one stored object (``/registry/events/<ns>/<name>``, in the
core/v1 form, Kubernetes' storage version for both). Kubernetes converts them
field by field (``pkg/apis/events/v1/conversion.go``): five fields are
renamed, the rest keep their names.

=====================  ===========================
events.k8s.io/v1       core/v1
=====================  ===========================
regarding              involvedObject
note                   message
reportingController    reportingComponent
deprecatedSource       source
deprecatedFirstTimestamp  firstTimestamp
deprecatedLastTimestamp   lastTimestamp
deprecatedCount        count
=====================  ===========================

``eventTime``, ``series``, ``action``, ``reason``, ``related``, ``type`` and
``reportingInstance`` are the same in both. Go always serializes some fields
(struct-typed ones and those without ``omitempty``): core/v1's
``involvedObject``, ``source``, ``firstTimestamp``, ``lastTimestamp``,
``eventTime``, ``reportingComponent`` and ``reportingInstance``, and
events.k8s.io/v1's ``eventTime``, ``regarding``, ``deprecatedSource`` and the
two deprecated timestamps; the converters write those with their zero value
(``{}``, ``null``, ``""``) when missing, as the Go API server's output has them.

Field selectors on events.k8s.io/v1 use its own names for the involved object
(``regarding.name``...) and map onto core's selectable fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.conversion import Conversion
from kubeling.api.schema import GroupVersionKind

__all__ = [
    "CORE_EVENT",
    "EVENTS_V1",
    "EVENTS_V1_EVENT",
    "EVENTS_V1_FIELD_LABELS",
    "core_to_events_v1",
    "events_v1_to_core",
]

Obj = dict[str, Any]

CORE_EVENT: Final = GroupVersionKind("", "v1", "Event")
EVENTS_V1_EVENT: Final = GroupVersionKind("events.k8s.io", "v1", "Event")

EVENTS_V1_FIELD_LABELS: Final[Mapping[str, str]] = {
    "metadata.name": "metadata.name",
    "metadata.namespace": "metadata.namespace",
    "reason": "reason",
    "regarding.kind": "involvedObject.kind",
    "regarding.namespace": "involvedObject.namespace",
    "regarding.name": "involvedObject.name",
    "regarding.uid": "involvedObject.uid",
    "regarding.apiVersion": "involvedObject.apiVersion",
    "regarding.resourceVersion": "involvedObject.resourceVersion",
    "regarding.fieldPath": "involvedObject.fieldPath",
    "reportingController": "reportingComponent",
    "source": "source",
    "type": "type",
}
"""events.k8s.io/v1 field-selector labels → the core/v1 labels they select on."""


def _struct(value: Any) -> Any:
    """A Go struct field: ``{}`` when missing."""
    return {} if value is None else value


def _string(value: Any) -> Any:
    """A Go string without ``omitempty``: ``""`` when missing."""
    return "" if value is None else value


def _put(out: Obj, key: str, value: Any) -> None:
    """An ``omitempty`` field: left out when empty (None, "", 0)."""
    if value is not None and value != "" and value != 0:
        out[key] = value


def _put_pointer(out: Obj, key: str, value: Any) -> None:
    """An ``omitempty`` pointer: left out only when nil."""
    if value is not None:
        out[key] = value


def events_v1_to_core(event: Mapping[str, Any]) -> Obj:
    """``Convert_v1_Event_To_core_Event``: an events.k8s.io/v1 Event as core/v1 stores it.

    >>> events_v1_to_core({"note": "pulled", "regarding": {"kind": "Pod"}})["message"]
    'pulled'
    """
    out: Obj = {
        "apiVersion": CORE_EVENT.api_version,
        "kind": CORE_EVENT.kind,
        "metadata": _struct(event.get("metadata")),
        "involvedObject": _struct(event.get("regarding")),
    }
    _put(out, "reason", event.get("reason"))
    _put(out, "message", event.get("note"))
    out["source"] = _struct(event.get("deprecatedSource"))
    out["firstTimestamp"] = event.get("deprecatedFirstTimestamp")
    out["lastTimestamp"] = event.get("deprecatedLastTimestamp")
    _put(out, "count", event.get("deprecatedCount"))
    _put(out, "type", event.get("type"))
    out["eventTime"] = event.get("eventTime")
    _put_pointer(out, "series", event.get("series"))
    _put(out, "action", event.get("action"))
    _put_pointer(out, "related", event.get("related"))
    out["reportingComponent"] = _string(event.get("reportingController"))
    out["reportingInstance"] = _string(event.get("reportingInstance"))
    return out


def core_to_events_v1(event: Mapping[str, Any]) -> Obj:
    """``Convert_core_Event_To_v1_Event``: a stored core/v1 Event as events.k8s.io/v1 serves it.

    >>> core_to_events_v1({"message": "pulled", "count": 3})["deprecatedCount"]
    3
    """
    out: Obj = {
        "apiVersion": EVENTS_V1_EVENT.api_version,
        "kind": EVENTS_V1_EVENT.kind,
        "metadata": _struct(event.get("metadata")),
        "eventTime": event.get("eventTime"),
    }
    _put_pointer(out, "series", event.get("series"))
    _put(out, "reportingController", event.get("reportingComponent"))
    _put(out, "reportingInstance", event.get("reportingInstance"))
    _put(out, "action", event.get("action"))
    _put(out, "reason", event.get("reason"))
    out["regarding"] = _struct(event.get("involvedObject"))
    _put_pointer(out, "related", event.get("related"))
    _put(out, "note", event.get("message"))
    _put(out, "type", event.get("type"))
    out["deprecatedSource"] = _struct(event.get("source"))
    out["deprecatedFirstTimestamp"] = event.get("firstTimestamp")
    out["deprecatedLastTimestamp"] = event.get("lastTimestamp")
    _put(out, "deprecatedCount", event.get("count"))
    return out


EVENTS_V1: Final = Conversion(
    served=EVENTS_V1_EVENT,
    storage=CORE_EVENT,
    to_storage=events_v1_to_core,
    from_storage=core_to_events_v1,
    field_labels=EVENTS_V1_FIELD_LABELS,
)
"""events.k8s.io/v1 Events, stored as core/v1 Events."""
