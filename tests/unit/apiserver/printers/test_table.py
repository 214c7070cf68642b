"""The meta.k8s.io/v1 Table: shape, metadata and includeObject."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.errors import StatusError
from kubeling.apiserver.printers import list_table, object_table, printer_for
from tests.unit.apiserver.printers._support import NOW, ago

CONFIG_MAPS = printer_for("", "configmaps")
CM: dict[str, Any] = {
    "kind": "ConfigMap",
    "apiVersion": "v1",
    "metadata": {
        "name": "cfg",
        "namespace": "default",
        "resourceVersion": "1006",
        "uid": "u-1",
        "labels": {"app": "web"},
        "creationTimestamp": ago(9),
        "managedFields": [{"manager": "kubectl"}],
    },
    "data": {"k": "v"},
}


def test_list_table_shape() -> None:
    """A list becomes a Table with column definitions, cells and partial metadata."""
    table = list_table(CONFIG_MAPS, [CM], {"resourceVersion": "1010"}, now=NOW)
    assert table == {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": "1010"},
        "columnDefinitions": CONFIG_MAPS.column_definitions(),
        "rows": [
            {
                "cells": ["cfg", 1, "9s"],
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": CM["metadata"],
                },
            }
        ],
    }
    assert table["columnDefinitions"][0] == {
        "name": "Name",
        "type": "string",
        "format": "name",
        "description": table["columnDefinitions"][0]["description"],
        "priority": 0,
    }


def test_list_table_paging_metadata() -> None:
    """continue and remainingItemCount are copied only when set."""
    table = list_table(
        CONFIG_MAPS,
        [],
        {"resourceVersion": "5", "continue": "tok", "remainingItemCount": 3},
        now=NOW,
    )
    assert table["metadata"] == {"resourceVersion": "5", "continue": "tok", "remainingItemCount": 3}
    assert table["rows"] == []
    assert list_table(CONFIG_MAPS, [], {"continue": ""}, now=NOW)["metadata"] == {}


@pytest.mark.parametrize(
    ("include_object", "expected"),
    [
        (
            "Metadata",
            {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": CM["metadata"],
            },
        ),
        (
            "",
            {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": CM["metadata"],
            },
        ),
        ("Object", CM),
        ("None", None),
    ],
)
def test_include_object(include_object: str, expected: Any) -> None:
    """includeObject picks partial metadata, the full object, or null."""
    table = object_table(CONFIG_MAPS, CM, now=NOW, include_object=include_object)
    assert table["rows"][0]["object"] == expected
    assert table["metadata"] == {"resourceVersion": "1006"}


def test_include_object_fills_type_of_list_items() -> None:
    """Full row objects get apiVersion and kind when list items lack them."""
    item = {key: value for key, value in CM.items() if key not in ("kind", "apiVersion")}
    table = list_table(
        CONFIG_MAPS, [item], now=NOW, include_object="Object", object_type=("v1", "ConfigMap")
    )
    assert table["rows"][0]["object"]["kind"] == "ConfigMap"
    assert table["rows"][0]["object"]["apiVersion"] == "v1"
    assert "kind" not in item


def test_row_objects_are_copies() -> None:
    """Mutating a row object never touches the stored object."""
    table = object_table(CONFIG_MAPS, CM, now=NOW)
    table["rows"][0]["object"]["metadata"]["labels"]["app"] = "changed"
    assert CM["metadata"]["labels"]["app"] == "web"


def test_unrecognized_include_object_is_bad_request() -> None:
    """An unknown includeObject value is a 400, with upstream's message."""
    with pytest.raises(StatusError) as caught:
        object_table(CONFIG_MAPS, CM, now=NOW, include_object="Everything")
    assert caught.value.status.code == 400
    assert caught.value.status.message == 'unrecognized includeObject value: "Everything"'


def test_watch_event_without_column_definitions() -> None:
    """Later watch events carry a null columnDefinitions."""
    table = object_table(CONFIG_MAPS, CM, now=NOW, column_definitions=False)
    assert table["columnDefinitions"] is None
    assert table["rows"][0]["cells"] == ["cfg", 1, "9s"]


def test_pod_row_conditions_in_table() -> None:
    """A succeeded pod's row carries its Completed condition; others have none."""
    pods = printer_for("", "pods")
    done = {
        "metadata": {"name": "job-x", "creationTimestamp": ago(60)},
        "spec": {"containers": [{"name": "c"}]},
        "status": {"phase": "Succeeded"},
    }
    running = {
        "metadata": {"name": "web", "creationTimestamp": ago(60)},
        "spec": {"containers": [{"name": "c"}]},
        "status": {"phase": "Running"},
    }
    rows = list_table(pods, [done, running], now=NOW, include_object="None")["rows"]
    assert rows[0]["conditions"][0]["reason"] == "Succeeded"
    assert "conditions" not in rows[1]
    assert rows[1]["object"] is None


def test_v1beta1_table() -> None:
    """A v1beta1 Table request gets v1beta1 kinds throughout."""
    table = object_table(CONFIG_MAPS, CM, now=NOW, group_version="meta.k8s.io/v1beta1")
    assert table["apiVersion"] == "meta.k8s.io/v1beta1"
    assert table["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"
