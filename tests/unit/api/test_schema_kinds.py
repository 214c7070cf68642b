"""schema.Kinds and schema.list_kind: the TypeMeta and List shape every built-in kind shares."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import kubeling.api
from kubeling.api.schema import (
    DEFINITIONS,
    INT32,
    STRING,
    TYPE_META_TERSE,
    Field,
    GroupVersionKind,
    Kinds,
    ListOf,
    Object,
    list_kind,
    resolve,
)

for _module in pkgutil.walk_packages(kubeling.api.__path__, "kubeling.api."):
    importlib.import_module(_module.name)

LISTS = sorted(
    (
        obj
        for obj in DEFINITIONS.values()
        if obj.gvk and obj.name.endswith("List") and obj.get("items")
    ),
    key=lambda obj: obj.name,
)
# A list whose items are not one kind: core/v1 List holds any object.
ANY_KIND = {"io.k8s.api.core.v1.List"}


def test_kinds_put_type_meta_first_and_set_the_gvk() -> None:
    """A kind starts with the group's apiVersion and kind (proto 0) and carries its GVK."""
    kinds = Kinds("io.k8s.test.kinds.v1.", "kinds.test", "v1", TYPE_META_TERSE)
    gadget = kinds.kind("Gadget", "A gadget.", [Field("size", 2, INT32, "Size.")])
    assert gadget.name == "io.k8s.test.kinds.v1.Gadget"
    assert gadget.gvk == GroupVersionKind("kinds.test", "v1", "Gadget")
    assert [(f.json, f.proto, f.doc) for f in gadget.fields[:2]] == [
        ("apiVersion", 0, "Versioned schema of this object."),
        ("kind", 0, "REST resource this object represents, in CamelCase."),
    ]
    assert DEFINITIONS[gadget.name] is gadget


def test_list_kind_of_a_type_that_is_not_a_kind_is_refused() -> None:
    """Only a top-level kind (one with a GVK) has a List."""
    part = Object("io.k8s.test.kinds.v1.Part", "A part.", [Field("name", 1, STRING)])
    with pytest.raises(ValueError, match="not a top-level kind"):
        list_kind(part, "A list of parts.", "The parts.")


@pytest.mark.parametrize("declared", LISTS, ids=lambda obj: obj.name)
def test_every_list_has_the_list_shape_of_its_item(declared: Object) -> None:
    """TypeMeta as the item's, ListMeta at 1, the required items at 2, named <Item>List."""
    items = declared.field("items")
    assert (items.proto, items.required) == (2, True)
    assert declared.field("metadata").proto == 1
    assert resolve(declared.field("metadata").type).name.endswith("meta.v1.ListMeta")
    if declared.name in ANY_KIND:
        return
    assert isinstance(items.type, ListOf)
    item = resolve(items.type.item)
    assert isinstance(item, Object)
    assert item.gvk is not None
    assert declared.gvk is not None
    assert declared.name == item.name + "List"
    assert declared.gvk.kind == item.gvk.kind + "List"
    assert declared.fields[:2] == (item.field("apiVersion"), item.field("kind"))
