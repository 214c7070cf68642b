"""core/v1 ⇄ events.k8s.io/v1 Event conversion: tables of both forms, and round trips."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeling.api.conversion.events import (
    EVENTS_V1,
    EVENTS_V1_FIELD_LABELS,
    core_to_events_v1,
    events_v1_to_core,
)

META = {"name": "web.17a", "namespace": "default"}

# (events.k8s.io/v1 form, core/v1 form): each converts to the other, exactly.
PAIRS = [
    pytest.param(
        {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": META,
            "eventTime": "2024-06-01T12:00:00.000000Z",
            "series": {"count": 3, "lastObservedTime": "2024-06-01T12:05:00.000000Z"},
            "reportingController": "kubernetes.io/kubelet",
            "reportingInstance": "node-1",
            "action": "Pulling",
            "reason": "Pulled",
            "regarding": {"kind": "Pod", "namespace": "default", "name": "web", "uid": "u1"},
            "related": {"kind": "Node", "name": "node-1"},
            "note": "Successfully pulled image",
            "type": "Normal",
            "deprecatedSource": {"component": "kubelet", "host": "node-1"},
            "deprecatedFirstTimestamp": "2024-06-01T11:00:00Z",
            "deprecatedLastTimestamp": "2024-06-01T12:00:00Z",
            "deprecatedCount": 7,
        },
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": META,
            "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web", "uid": "u1"},
            "reason": "Pulled",
            "message": "Successfully pulled image",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": "2024-06-01T11:00:00Z",
            "lastTimestamp": "2024-06-01T12:00:00Z",
            "count": 7,
            "type": "Normal",
            "eventTime": "2024-06-01T12:00:00.000000Z",
            "series": {"count": 3, "lastObservedTime": "2024-06-01T12:05:00.000000Z"},
            "action": "Pulling",
            "related": {"kind": "Node", "name": "node-1"},
            "reportingComponent": "kubernetes.io/kubelet",
            "reportingInstance": "node-1",
        },
        id="every-field",
    ),
    pytest.param(
        {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": META,
            "eventTime": None,
            "reason": "Scheduled",
            "regarding": {"kind": "Pod", "name": "web"},
            "note": "assigned default/web to node-1",
            "type": "Normal",
            "deprecatedSource": {"component": "default-scheduler"},
            "deprecatedFirstTimestamp": "2024-06-01T11:00:00Z",
            "deprecatedLastTimestamp": "2024-06-01T11:00:00Z",
            "deprecatedCount": 1,
        },
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": META,
            "involvedObject": {"kind": "Pod", "name": "web"},
            "reason": "Scheduled",
            "message": "assigned default/web to node-1",
            "source": {"component": "default-scheduler"},
            "firstTimestamp": "2024-06-01T11:00:00Z",
            "lastTimestamp": "2024-06-01T11:00:00Z",
            "count": 1,
            "type": "Normal",
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        },
        id="old-style-core-event",
    ),
    pytest.param(
        {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {},
            "eventTime": None,
            "regarding": {},
            "deprecatedSource": {},
            "deprecatedFirstTimestamp": None,
            "deprecatedLastTimestamp": None,
        },
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {},
            "involvedObject": {},
            "source": {},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        },
        id="zero-values",
    ),
]


@pytest.mark.parametrize(("events", "core"), PAIRS)
def test_events_v1_to_core(events: dict[str, Any], core: dict[str, Any]) -> None:
    """Each events.k8s.io/v1 field lands in its core/v1 field."""
    assert events_v1_to_core(events) == core


@pytest.mark.parametrize(("events", "core"), PAIRS)
def test_core_to_events_v1(events: dict[str, Any], core: dict[str, Any]) -> None:
    """Each core/v1 field lands in its events.k8s.io/v1 field."""
    assert core_to_events_v1(core) == events


@pytest.mark.parametrize(
    "sparse",
    [
        {"metadata": {"name": "a"}},
        {"note": "n", "deprecatedCount": 0, "reportingController": ""},
        {"regarding": {"kind": "Node", "name": "n1"}, "type": "Warning", "action": "Drain"},
        {"series": {"count": 2, "lastObservedTime": "2024-06-01T12:05:00.000000Z"}},
    ],
)
def test_sparse_objects_round_trip_to_their_go_form(sparse: dict[str, Any]) -> None:
    """events → core → events gives the object as Go serializes it, and stays there."""
    once = core_to_events_v1(events_v1_to_core(sparse))
    assert core_to_events_v1(events_v1_to_core(once)) == once
    for key, value in sparse.items():
        if value not in ("", 0, None):
            assert once[key] == value


def test_converters_never_change_their_input() -> None:
    """Conversion is pure: the input object is left as it was."""
    for events, core in ((p.values[0], p.values[1]) for p in PAIRS):
        before_events, before_core = copy.deepcopy(events), copy.deepcopy(core)
        events_v1_to_core(events)
        core_to_events_v1(core)
        assert (events, core) == (before_events, before_core)


def test_declaration_maps_field_labels_onto_core_fields() -> None:
    """events.k8s.io selects on regarding.* and reportingController, stored as core fields."""
    assert EVENTS_V1.storage.api_version == "v1"
    assert EVENTS_V1.served.api_version == "events.k8s.io/v1"
    assert EVENTS_V1.field_labels is EVENTS_V1_FIELD_LABELS
    assert EVENTS_V1_FIELD_LABELS["regarding.name"] == "involvedObject.name"
    assert EVENTS_V1_FIELD_LABELS["reportingController"] == "reportingComponent"
    assert "involvedObject.name" not in EVENTS_V1_FIELD_LABELS
