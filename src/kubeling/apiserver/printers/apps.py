"""Printers of the ``apps`` group: deployments, replica sets, stateful sets, daemon sets
and controller revisions.

Replica counts are integer cells except where upstream folds them into a
``ready/desired`` string (deployments' and stateful sets' READY). The wide
SELECTOR of a deployment is the bare selector string (empty for no selector,
``<invalid>`` when it does not parse); replica sets and daemon sets use
``FormatLabelSelector`` (``<none>`` when empty).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.labels import SelectorParseError
from kubeling.apiserver.printers._helpers import (
    NONE,
    creation_timestamp,
    format_label_selector,
    format_labels,
    integer,
    label_selector_string,
    layout_container_cells,
    mapping,
    maps,
    name,
    template_containers,
    text,
)
from kubeling.apiserver.printers.age import translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]

_CONTAINERS: Final = Column(
    "Containers", "string", "Names of each container in the template.", priority=1
)
_IMAGES: Final = Column(
    "Images", "string", "Images referenced by each container in the template.", priority=1
)


def _selector_column(description: str) -> Column:
    return Column("Selector", "string", description, priority=1)


def _deployment_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    try:
        selector = label_selector_string(spec.get("selector"))
    except SelectorParseError:
        selector = "<invalid>"
    names, images = layout_container_cells(template_containers(obj, "spec", "template"))
    return [
        name(obj),
        f"{integer(status, 'readyReplicas')}/{integer(spec, 'replicas', 1)}",
        integer(status, "updatedReplicas"),
        integer(status, "availableReplicas"),
        translate_timestamp_since(creation_timestamp(obj), now),
        names,
        images,
        selector,
    ]


DEPLOYMENT: Final = Printer(
    (
        name_column(),
        Column("Ready", "string", "Number of the pod with ready state"),
        Column(
            "Up-to-date",
            "string",
            "Total number of non-terminated pods targeted by this deployment that have the "
            "desired template spec.",
        ),
        Column(
            "Available",
            "string",
            "Total number of available pods (ready for at least minReadySeconds) targeted by "
            "this deployment.",
        ),
        age_column(),
        _CONTAINERS,
        _IMAGES,
        _selector_column("Label selector for pods."),
    ),
    _deployment_row,
)


def _replica_set_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    names, images = layout_container_cells(template_containers(obj, "spec", "template"))
    return [
        name(obj),
        integer(spec, "replicas", 1),
        integer(status, "replicas"),
        integer(status, "readyReplicas"),
        translate_timestamp_since(creation_timestamp(obj), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


REPLICA_SET: Final = Printer(
    (
        name_column(),
        Column("Desired", "integer", "Replicas is the number of desired replicas."),
        Column("Current", "integer", "Replicas is the most recently observed number of replicas."),
        Column("Ready", "integer", "The number of ready replicas for this replica set."),
        age_column(),
        _CONTAINERS,
        _IMAGES,
        _selector_column(
            "Selector is a label query over pods that should match the replica count."
        ),
    ),
    _replica_set_row,
)


def _stateful_set_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    names, images = layout_container_cells(template_containers(obj, "spec", "template"))
    return [
        name(obj),
        f"{integer(status, 'readyReplicas')}/{integer(spec, 'replicas', 1)}",
        translate_timestamp_since(creation_timestamp(obj), now),
        names,
        images,
    ]


STATEFUL_SET: Final = Printer(
    (
        name_column(),
        Column("Ready", "string", "Number of the pod with ready state"),
        age_column(),
        _CONTAINERS,
        _IMAGES,
    ),
    _stateful_set_row,
)


def _daemon_set_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    names, images = layout_container_cells(template_containers(obj, "spec", "template"))
    return [
        name(obj),
        integer(status, "desiredNumberScheduled"),
        integer(status, "currentNumberScheduled"),
        integer(status, "numberReady"),
        integer(status, "updatedNumberScheduled"),
        integer(status, "numberAvailable"),
        format_labels(mapping(spec, "template", "spec", "nodeSelector")),
        translate_timestamp_since(creation_timestamp(obj), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


DAEMON_SET: Final = Printer(
    (
        name_column(),
        Column(
            "Desired",
            "integer",
            "The total number of nodes that should be running the "
            "daemon pod (including nodes correctly running the daemon pod).",
        ),
        Column(
            "Current",
            "integer",
            "The number of nodes that are running at least 1 daemon "
            "pod and are supposed to run the daemon pod.",
        ),
        Column(
            "Ready",
            "integer",
            "The number of nodes that should be running the daemon pod "
            "and have one or more of the daemon pod running and ready.",
        ),
        Column(
            "Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"
        ),
        Column(
            "Available",
            "integer",
            "The number of nodes that should be running the daemon "
            "pod and have one or more of the daemon pod running and available (ready for at "
            "least spec.minReadySeconds)",
        ),
        Column(
            "Node Selector",
            "string",
            "NodeSelector is a selector which must be true for the pod to fit on a node.",
        ),
        age_column(),
        _CONTAINERS,
        _IMAGES,
        _selector_column("A label query over pods that are managed by the daemon set."),
    ),
    _daemon_set_row,
)


def controller_name(obj: Mapping[str, Any]) -> str:
    """``kind.group/name`` of the controlling owner (lowercase kind), or ``<none>``.

    >>> controller_name({"metadata": {"ownerReferences": [{"apiVersion": "apps/v1",
    ...     "kind": "DaemonSet", "name": "fluentd", "controller": True}]}})
    'daemonset.apps/fluentd'
    """
    for owner in maps(mapping(obj, "metadata"), "ownerReferences"):
        if owner.get("controller") is not True:
            continue
        api_version = text(owner, "apiVersion")
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        kind = text(owner, "kind")
        if not kind and not group:
            return text(owner, "name")
        group_kind = f"{kind}.{group}" if group else kind
        return f"{group_kind.lower()}/{text(owner, 'name')}"
    return NONE


def _controller_revision_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        controller_name(obj),
        integer(obj, "revision"),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


CONTROLLER_REVISION: Final = Printer(
    (
        name_column(),
        Column("Controller", "string", "Controller of the object"),
        Column(
            "Revision",
            "string",
            "Revision indicates the revision of the state represented by Data.",
        ),
        age_column(),
    ),
    _controller_revision_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {
    "deployments": DEPLOYMENT,
    "replicasets": REPLICA_SET,
    "statefulsets": STATEFUL_SET,
    "daemonsets": DAEMON_SET,
    "controllerrevisions": CONTROLLER_REVISION,
}
"""``apps`` printers by resource plural."""
