"""Which class a claim or volume names, and which StorageClass is the default."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.storage.classes import (
    claim_class,
    claim_has_class,
    default_class,
    is_default_class,
    volume_class,
)

Obj = dict[str, Any]

BETA = "volume.beta.kubernetes.io/storage-class"


@pytest.mark.parametrize(
    ("claim", "has_class", "name"),
    [
        ({"spec": {}}, False, ""),
        ({"spec": {"storageClassName": ""}}, True, ""),
        ({"spec": {"storageClassName": "fast"}}, True, "fast"),
        # the beta annotation wins over the field
        (
            {"metadata": {"annotations": {BETA: "gold"}}, "spec": {"storageClassName": "fast"}},
            True,
            "gold",
        ),
    ],
)
def test_claim_class(claim: Obj, has_class: bool, name: str) -> None:
    assert claim_has_class(claim) is has_class
    assert claim_class(claim) == name
    assert volume_class(claim) == name  # volumes follow the same two rules


def _class(name: str, created: str, **annotations: str) -> Obj:
    return {"metadata": {"name": name, "creationTimestamp": created, "annotations": annotations}}


@pytest.mark.parametrize(
    ("annotations", "default"),
    [
        ({"storageclass.kubernetes.io/is-default-class": "true"}, True),
        ({"storageclass.beta.kubernetes.io/is-default-class": "true"}, True),
        ({"storageclass.kubernetes.io/is-default-class": "True"}, False),
        ({}, False),
    ],
)
def test_is_default_class(annotations: dict[str, str], default: bool) -> None:
    assert is_default_class(_class("x", "2025-01-01T00:00:00Z", **annotations)) is default


def test_the_newest_default_class_wins_then_the_first_name() -> None:
    mark = {"storageclass.kubernetes.io/is-default-class": "true"}
    classes = [
        _class("old", "2024-01-01T00:00:00Z", **mark),
        _class("zeta", "2025-06-01T00:00:00Z", **mark),
        _class("alpha", "2025-06-01T00:00:00Z", **mark),
        _class("plain", "2026-01-01T00:00:00Z"),
    ]
    chosen = default_class(classes)
    assert chosen is not None
    assert chosen["metadata"]["name"] == "alpha"
    assert default_class([_class("plain", "2026-01-01T00:00:00Z")]) is None
