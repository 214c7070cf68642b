"""Event validation: the legacy rules for every write, the strict ones through events.k8s.io."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.strategies.events import EventStrategy, StructuredEventStrategy

NEW_STYLE: dict[str, Any] = {
    "metadata": {"name": "web.17a", "namespace": "default"},
    "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
    "eventTime": "2024-06-01T12:00:00.000000Z",
    "reportingComponent": "kubernetes.io/kubelet",
    "reportingInstance": "node-1",
    "action": "Pulling",
    "reason": "Pulled",
    "type": "Normal",
    "message": "pulled",
    "source": {},
    "firstTimestamp": None,
    "lastTimestamp": None,
}


def event(**changes: Any) -> dict[str, Any]:
    obj = {**NEW_STYLE, **changes}
    return {k: v for k, v in obj.items() if v is not ...}


def messages(errs: list[Any]) -> list[str]:
    return [str(e) for e in errs]


@pytest.mark.parametrize(
    ("strategy", "obj", "expected"),
    [
        pytest.param(StructuredEventStrategy(), event(), [], id="structured-ok"),
        pytest.param(EventStrategy(), event(), [], id="core-ok"),
        pytest.param(
            StructuredEventStrategy(),
            event(eventTime=..., type="Info"),
            ["eventTime: Required value", 'type: Invalid value: "": has invalid value: Info'],
            id="structured-needs-event-time-and-type",
        ),
        pytest.param(
            StructuredEventStrategy(),
            event(reportingComponent="", reportingInstance="", action=..., reason=...),
            [
                "reportingController: Required value",
                'reportingController: Invalid value: "": name part must be non-empty',
                'reportingController: Invalid value: "": name part must consist of alphanumeric '
                "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                "reportingInstance: Required value",
                "action: Required value",
                "reason: Required value",
            ],
            id="structured-new-style-fields",
        ),
        pytest.param(
            EventStrategy(),
            event(reportingComponent=""),
            [
                "reportingComponent: Required value",
                'reportingComponent: Invalid value: "": name part must be non-empty',
                'reportingComponent: Invalid value: "": name part must consist of alphanumeric '
                "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ],
            id="core-names-reportingComponent",
        ),
        pytest.param(
            StructuredEventStrategy(),
            event(
                count=3,
                firstTimestamp="2024-06-01T11:00:00Z",
                source={"component": "kubelet"},
                series={"count": 1},
            ),
            [
                'series.count: Invalid value: "": should be at least 2',
                "series.lastObservedTime: Required value",
                'firstTimestamp: Invalid value: "": needs to be unset',
                'count: Invalid value: "": needs to be unset',
                'source: Invalid value: "": needs to be unset',
            ],
            id="structured-no-deprecated-fields",
        ),
        pytest.param(
            EventStrategy(),
            event(count=3, firstTimestamp="2024-06-01T11:00:00Z", source={"component": "k"}),
            [],
            id="core-accepts-the-old-shape",
        ),
        pytest.param(
            EventStrategy(),
            event(eventTime=..., involvedObject={"kind": "Pod", "namespace": "other"}),
            ['involvedObject.namespace: Invalid value: "other": does not match event.namespace'],
            id="old-style-namespace-must-match",
        ),
        pytest.param(
            EventStrategy(),
            event(eventTime=..., involvedObject={"kind": "Node", "name": "n1"}),
            [],
            id="old-style-cluster-object-in-default",
        ),
        pytest.param(
            EventStrategy(),
            event(
                metadata={"name": "e", "namespace": "team"},
                involvedObject={"kind": "Node", "name": "n1"},
            ),
            ['involvedObject.namespace: Invalid value: "": does not match event.namespace'],
            id="new-style-cluster-object-outside-default",
        ),
        pytest.param(
            EventStrategy(),
            event(reason="r" * 129, message="m" * 1025),
            [
                'reason: Invalid value: "": can have at most 128 characters',
                'message: Invalid value: "": can have at most 1024 characters',
            ],
            id="lengths",
        ),
        pytest.param(
            EventStrategy(),
            event(metadata={"name": "Web_1", "namespace": "default"}),
            [],
            id="core-name-is-a-path-segment",
        ),
        pytest.param(
            StructuredEventStrategy(),
            event(metadata={"name": "Web_1", "namespace": "default"}),
            [
                'metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must '
                "consist of lower case alphanumeric characters, '-' or '.', and must start and "
                "end with an alphanumeric character (e.g. 'example.com', regex used for "
                "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ],
            id="structured-name-is-a-subdomain",
        ),
    ],
)
def test_create_validation(
    strategy: EventStrategy, obj: dict[str, Any], expected: list[str]
) -> None:
    """Each rule of pkg/apis/core/validation/events.go, with upstream's message."""
    assert messages(strategy.validate(obj, namespaced=True)) == expected


def test_structured_update_keeps_what_the_event_reports() -> None:
    """Through events.k8s.io an update may change the series, not the report."""
    old = event(series={"count": 2, "lastObservedTime": "2024-06-01T12:01:00.000000Z"})
    bumped = event(series={"count": 3, "lastObservedTime": "2024-06-01T12:02:00.000000Z"})
    assert StructuredEventStrategy().validate_update(bumped, old, namespaced=True) == []
    changed = event(message="other", reportingComponent="kubernetes.io/other", reason="Other")
    assert messages(StructuredEventStrategy().validate_update(changed, old, namespaced=True)) == [
        'reason: Invalid value: "Other": field is immutable',
        'message: Invalid value: "other": field is immutable',
        'reason: Invalid value: "Other": field is immutable',
        'reportingController: Invalid value: "kubernetes.io/other": field is immutable',
    ]
    # the same change through core/v1 is allowed
    assert EventStrategy().validate_update(changed, old, namespaced=True) == []


def test_event_time_compared_at_microseconds() -> None:
    """Sub-microsecond differences in eventTime are not a change."""
    old = event(eventTime="2024-06-01T12:00:00.000001Z")
    new = event(eventTime="2024-06-01T12:00:00.000001000Z")
    assert StructuredEventStrategy().validate_update(new, old, namespaced=True) == []


def test_source_selects_the_reporting_controller_when_no_component() -> None:
    """The `source` field label falls back to reportingComponent, as upstream's."""
    fields = EventStrategy().field_set(event(), namespaced=True)
    assert fields["source"] == "kubernetes.io/kubelet"
    assert fields["reportingComponent"] == "kubernetes.io/kubelet"
