"""JSONPath for CRD printer columns, and the CRD printer built from them."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.printers import (
    JSONPath,
    JSONPathError,
    crd_printer,
    crd_printer_for_version,
)
from kubeling.apiserver.printers.jsonpath import go_text
from tests.unit.apiserver.printers._support import NOW, ago

DOC: dict[str, Any] = {
    "metadata": {"name": "w", "labels": {"app": "web", "app.kubernetes.io/name": "widget"}},
    "spec": {
        "replicas": 3,
        "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}],
        "ratio": 0.5,
        "paused": False,
        "tags": ["a", "b", "c"],
        "empty": None,
    },
    "status": {
        "conditions": [
            {"type": "Synced", "status": "False"},
            {"type": "Ready", "status": "True", "lastTransitionTime": ago(90)},
        ]
    },
}


@pytest.mark.parametrize(
    ("path", "found"),
    [
        (".spec.replicas", [3]),
        ("$.spec.replicas", [3]),
        (".metadata.labels.app", ["web"]),
        (r".metadata.labels.app\.kubernetes\.io/name", ["widget"]),
        (".metadata.labels.missing", []),
        (".nothing.at.all", []),
        ('.status.conditions[?(@.type=="Ready")].status', ["True"]),
        (".status.conditions[?(@.type == 'Ready')].status", ["True"]),
        ('.status.conditions[?(@.type!="Ready")].type', ["Synced"]),
        (".status.conditions[?(@.lastTransitionTime)].type", ["Ready"]),
        (".spec.ports[?(@.port>100)].name", ["https"]),
        (".spec.ports[?(@.port<=80)].name", ["http"]),
        (".spec.ports[0].port", [80]),
        (".spec.ports[-1].name", ["https"]),
        (".spec.tags[1:]", ["b", "c"]),
        (".spec.tags[0:2]", ["a", "b"]),
        (".spec.tags[0,2]", ["a", "c"]),
        (".spec.tags[*]", ["a", "b", "c"]),
        (".spec.ports[*].port", [80, 443]),
        ("['spec']['replicas']", [3]),
        ("..port", [80, 443]),
        (".spec.empty", [None]),
    ],
)
def test_find(path: str, found: list[Any]) -> None:
    """Paths select the same values as client-go's jsonpath with missing keys allowed."""
    assert JSONPath(path).find(DOC) == found


@pytest.mark.parametrize(
    "path",
    [
        ".spec.tags[5]",
        ".spec.replicas[0]",
        '.spec.ports[?(@.port=="80")].name',
        ".spec.ports[?(@.missing==1)]",
        ".spec.replicas[?(@.x)]",
        "range",
    ],
)
def test_find_errors(path: str) -> None:
    """Out-of-range indexes, non-lists, mixed-kind comparisons and range are errors."""
    with pytest.raises(JSONPathError):
        JSONPath(path).find(DOC)


@pytest.mark.parametrize("path", [".spec[", ".spec.ports[?(@.port==80", ".a[x]", ".a{"])
def test_parse_errors(path: str) -> None:
    """Malformed paths do not parse."""
    with pytest.raises(JSONPathError):
        JSONPath(path)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("s", "s"),
        (3, "3"),
        (0.5, "0.5"),
        (3.0, "3"),
        (1e6, "1e+06"),
        (123456.0, "123456"),
        (True, "true"),
        (None, "<no value>"),
        (["a", 1], '["a",1]'),
        ({"b": "<", "a": 1}, '{"a":1,"b":"\\u003c"}'),
    ],
)
def test_go_text(value: Any, text: str) -> None:
    """String columns print values as jsonpath does: JSON for objects, Go %v for scalars."""
    assert go_text(value) == text


COLUMNS: list[dict[str, Any]] = [
    {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
    {
        "name": "Ready",
        "type": "string",
        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
    },
    {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"},
    {"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused"},
    {"name": "Since", "type": "date", "jsonPath": ".status.conditions[1].lastTransitionTime"},
    {"name": "Tags", "type": "string", "jsonPath": ".spec.tags", "priority": 1},
    {
        "name": "Missing",
        "type": "string",
        "jsonPath": ".spec.nope",
        "format": "byte",
        "description": "not there",
    },
    {"name": "WrongType", "type": "integer", "jsonPath": ".metadata.name"},
    {"name": "Broken", "type": "integer", "jsonPath": ".spec.tags[9]"},
]


def test_crd_printer_cells_and_columns() -> None:
    """Cells convert per column type; NAME comes first; priority, format, description pass."""
    printer = crd_printer(COLUMNS)
    assert printer.cells(DOC, NOW) == [
        "w",
        3,
        "True",
        0.5,
        False,
        "90s",
        '["a","b","c"]',
        None,
        None,
        None,
    ]
    definitions = printer.column_definitions()
    assert (definitions[0]["name"], definitions[0]["format"]) == ("Name", "name")
    assert definitions[1] == {
        "name": "Replicas",
        "type": "integer",
        "format": "",
        "description": "Custom resource definition column (in JSONPath format): .spec.replicas",
        "priority": 0,
    }
    assert definitions[6]["priority"] == 1
    assert (definitions[7]["format"], definitions[7]["description"]) == ("byte", "not there")


@pytest.mark.parametrize(
    ("column_type", "value", "cell"),
    [
        ("integer", 2.9, 2),
        ("integer", "3", None),
        ("integer", True, None),
        ("number", 2, 2.0),
        ("boolean", "true", None),
        ("date", "not-a-date", "<invalid>"),
        ("date", "", "<unknown>"),
        ("date", 5, None),
        ("string", 7, "7"),
        ("unknown", 1, None),
    ],
)
def test_crd_cell_types(column_type: str, value: Any, cell: Any) -> None:
    """Values of the wrong JSON type become null cells, as cellForJSONValue does."""
    printer = crd_printer([{"name": "C", "type": column_type, "jsonPath": ".v"}])
    assert printer.cells({"metadata": {"name": "n"}, "v": value}, NOW) == ["n", cell]


def test_crd_printer_default_columns() -> None:
    """A version without columns prints NAME and AGE (a date column)."""
    printer = crd_printer(None)
    assert [(c.name, c.type) for c in printer.columns] == [("Name", "string"), ("Age", "date")]
    assert printer.cells({"metadata": {"name": "w", "creationTimestamp": ago(4000)}}, NOW) == [
        "w",
        "66m",
    ]


def test_crd_printer_stops_at_unparsable_column() -> None:
    """Columns after the first invalid path are dropped, as upstream falls back."""
    printer = crd_printer(
        [COLUMNS[0], {"name": "Bad", "type": "string", "jsonPath": ".a["}, COLUMNS[2]]
    )
    assert [c.name for c in printer.columns] == ["Name", "Replicas"]


def test_crd_printer_for_version() -> None:
    """The served version's additionalPrinterColumns are used."""
    crd = {
        "spec": {
            "versions": [
                {"name": "v1alpha1"},
                {"name": "v1", "additionalPrinterColumns": COLUMNS[:1]},
            ]
        }
    }
    assert [c.name for c in crd_printer_for_version(crd, "v1").columns] == ["Name", "Replicas"]
    assert [c.name for c in crd_printer_for_version(crd, "v1alpha1").columns] == ["Name", "Age"]
