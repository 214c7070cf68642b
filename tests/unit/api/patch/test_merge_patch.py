"""RFC 7386 merge patch as evanphx's MergePatch applies it, and patch creation."""

from __future__ import annotations

import copy
from http import HTTPStatus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubeling.api.patch import JSON, JSONObject, PatchError, apply_merge_patch, create_merge_patch

CASES: list[tuple[str, JSON, JSON, JSON]] = [
    (
        "add a label",
        {"metadata": {"labels": {"a": "1"}}},
        {"metadata": {"labels": {"b": "2"}}},
        {"metadata": {"labels": {"a": "1", "b": "2"}}},
    ),
    ("null deletes", {"a": 1, "b": 2}, {"a": None}, {"b": 2}),
    ("null for a missing key is a no-op", {"b": 2}, {"a": None}, {"b": 2}),
    ("arrays replace", {"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
    ("scalar replaces object", {"a": {"b": 1}}, {"a": 1}, {"a": 1}),
    ("object replaces scalar, nulls pruned", {"a": 1}, {"a": {"b": None, "c": 1}}, {"a": {"c": 1}}),
    (
        "new value has nested nulls pruned",
        {},
        {"a": {"b": {"c": None}, "d": [None, {"e": None}]}},
        {"a": {"b": {}, "d": [{}]}},
    ),
    (
        "nested merge",
        {"a": {"b": {"c": 1, "d": 2}}},
        {"a": {"b": {"c": 3}}},
        {"a": {"b": {"c": 3, "d": 2}}},
    ),
    ("array replacing an object keeps its nulls", {"a": {"b": 1}}, {"a": [None]}, {"a": [None]}),
    ("empty patch", {"a": 1}, {}, {"a": 1}),
    ("array patch replaces the document", {"a": 1}, [1, None], [1]),
]


@pytest.mark.parametrize(("name", "doc", "patch", "expected"), CASES, ids=[c[0] for c in CASES])
def test_apply(name: str, doc: JSON, patch: JSON, expected: JSON) -> None:
    """Merge patches follow RFC 7386 with evanphx's null pruning."""
    assert apply_merge_patch(doc, patch) == expected


@pytest.mark.parametrize("patch", [None, "x", 1, True])
def test_null_or_scalar_patch_is_400(patch: JSON) -> None:
    """A null or scalar patch is 'Invalid JSON Patch' (400), as in Kubernetes."""
    with pytest.raises(PatchError) as caught:
        apply_merge_patch({"a": 1}, patch)
    assert caught.value.code == HTTPStatus.BAD_REQUEST
    assert caught.value.message == "Invalid JSON Patch"


def test_input_not_mutated() -> None:
    """Neither the document nor the patch is changed."""
    doc: JSON = {"a": {"b": 1}}
    patch: JSON = {"a": {"c": {"d": None}}}
    doc_before, patch_before = copy.deepcopy(doc), copy.deepcopy(patch)
    apply_merge_patch(doc, patch)
    assert (doc, patch) == (doc_before, patch_before)


CREATE_CASES: list[tuple[str, JSONObject, JSONObject, JSONObject]] = [
    ("no change", {"a": 1}, {"a": 1}, {}),
    (
        "label added and removed",
        {"labels": {"a": "1"}},
        {"labels": {"b": "2"}},
        {"labels": {"b": "2", "a": None}},
    ),
    ("array changed is sent whole", {"l": [1, 2]}, {"l": [1]}, {"l": [1]}),
    ("type change", {"a": {"b": 1}}, {"a": "x"}, {"a": "x"}),
]


@pytest.mark.parametrize(
    ("name", "original", "modified", "expected"), CREATE_CASES, ids=[c[0] for c in CREATE_CASES]
)
def test_create(
    name: str, original: JSONObject, modified: JSONObject, expected: JSONObject
) -> None:
    """create_merge_patch yields the minimal patch."""
    assert create_merge_patch(original, modified) == expected


_KEYS = st.sampled_from(["a", "b", "c", "d"])
_SCALARS = st.one_of(st.booleans(), st.integers(-5, 5), st.text("xyz", max_size=3))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=10,
)
_DOCS = st.dictionaries(_KEYS, _VALUES, max_size=4)


@given(original=_DOCS, modified=_DOCS)
def test_round_trip(original: JSONObject, modified: JSONObject) -> None:
    """Applying create_merge_patch(original, modified) to original yields modified."""
    assert apply_merge_patch(original, create_merge_patch(original, modified)) == modified
