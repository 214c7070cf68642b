"""events.k8s.io/v1: Event, the structured successor of core/v1 Event.

Field numbers come from ``k8s.io/api/events/v1/generated.proto``. Both Event
APIs share one storage (``/registry/events``); the ``deprecated*`` fields here
carry the core/v1 fields that have no new name, so that an Event written
through one API reads back whole through the other. ``eventTime`` is the only
required field and is a MicroTime, like ``series.lastObservedTime``.
"""

from __future__ import annotations

from kubeling.api.schema import (
    INT32,
    MICRO_TIME,
    STRING,
    TIME,
    TYPE_META_TERSE,
    Field,
    Kinds,
    ListOf,
    Object,
    Ref,
)

__all__ = ["Event", "EventList", "EventSeries"]

GROUP = "events.k8s.io"
VERSION = "v1"

_KINDS = Kinds("io.k8s.api.events.v1.", GROUP, VERSION, TYPE_META_TERSE)
_OBJECT_REFERENCE = Ref("io.k8s.api.core.v1.ObjectReference")

EventSeries = Object(
    "io.k8s.api.events.v1.EventSeries",
    "A series of events, i.e. something that was or is happening continuously.",
    [
        Field(
            "count",
            1,
            INT32,
            "Occurrences in this series up to the last heartbeat.",
            required=True,
        ),
        Field(
            "lastObservedTime",
            2,
            MICRO_TIME,
            "When the last Event of the series was seen before the last heartbeat.",
            required=True,
        ),
    ],
)

Event = _KINDS.kind(
    "Event",
    "A report of an event somewhere in the cluster, usually a state change.",
    [
        Field(
            "metadata",
            1,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
            "Standard object's metadata.",
        ),
        Field("eventTime", 2, MICRO_TIME, "When this Event was first observed.", required=True),
        Field("series", 3, EventSeries, "The series this Event belongs to; nil if a singleton."),
        Field("reportingController", 4, STRING, "Name of the controller that emitted the Event."),
        Field("reportingInstance", 5, STRING, "ID of the emitting controller instance."),
        Field("action", 6, STRING, "What action was taken or failed on the regarding object."),
        Field("reason", 7, STRING, "Why the action was taken."),
        Field("regarding", 8, _OBJECT_REFERENCE, "The object this Event is about."),
        Field("related", 9, _OBJECT_REFERENCE, "An optional secondary object."),
        Field("note", 10, STRING, "Human-readable description of the status of this operation."),
        Field("type", 11, STRING, "Type of this event: Normal or Warning."),
        Field(
            "deprecatedSource",
            12,
            Ref("io.k8s.api.core.v1.EventSource"),
            "core/v1 Event source, kept for compatibility.",
        ),
        Field(
            "deprecatedFirstTimestamp",
            13,
            TIME,
            "core/v1 Event firstTimestamp, kept for compatibility.",
        ),
        Field(
            "deprecatedLastTimestamp",
            14,
            TIME,
            "core/v1 Event lastTimestamp, kept for compatibility.",
        ),
        Field("deprecatedCount", 15, INT32, "core/v1 Event count, kept for compatibility."),
    ],
)

EventList = _KINDS.kind(
    "EventList",
    "A list of Events.",
    [
        Field(
            "metadata",
            1,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"),
            "Standard list metadata.",
        ),
        Field("items", 2, ListOf(Event), "The Events.", required=True),
    ],
)
