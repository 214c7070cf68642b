"""RFC 6902 JSON patch, including the evanphx v4 leniencies Kubernetes inherits."""

from __future__ import annotations

import copy
from http import HTTPStatus

import pytest

from kubeling.api.patch import (
    JSON,
    MAX_OPERATIONS,
    PatchError,
    apply_json_patch,
    apply_merge_patch,
)

DOC: JSON = {
    "metadata": {"name": "web", "labels": {"app": "web", "a/b": "slash", "m~n": "tilde"}},
    "spec": {"replicas": 1, "containers": [{"name": "a"}, {"name": "b"}]},
}

# (name, patch, change): the expected result is DOC with ``change`` merge-patched in.
APPLY_CASES: list[tuple[str, JSON, JSON]] = [
    (
        "add member",
        [{"op": "add", "path": "/metadata/labels/tier", "value": "fe"}],
        {"metadata": {"labels": {"tier": "fe"}}},
    ),
    (
        "add replaces an existing member",
        [{"op": "add", "path": "/spec/replicas", "value": 3}],
        {"spec": {"replicas": 3}},
    ),
    (
        "append with dash",
        [{"op": "add", "path": "/spec/containers/-", "value": {"name": "c"}}],
        {"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}},
    ),
    (
        "insert at index",
        [{"op": "add", "path": "/spec/containers/1", "value": {"name": "c"}}],
        {"spec": {"containers": [{"name": "a"}, {"name": "c"}, {"name": "b"}]}},
    ),
    (
        "insert at end index",
        [{"op": "add", "path": "/spec/containers/2", "value": {"name": "c"}}],
        {"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}},
    ),
    (
        "negative index counts from the end",
        [{"op": "remove", "path": "/spec/containers/-1"}],
        {"spec": {"containers": [{"name": "a"}]}},
    ),
    (
        "remove member",
        [{"op": "remove", "path": "/metadata/labels/app"}],
        {"metadata": {"labels": {"app": None}}},
    ),
    (
        "tilde-one escapes a slash",
        [{"op": "remove", "path": "/metadata/labels/a~1b"}],
        {"metadata": {"labels": {"a/b": None}}},
    ),
    (
        "tilde-zero escapes a tilde",
        [{"op": "replace", "path": "/metadata/labels/m~0n", "value": "x"}],
        {"metadata": {"labels": {"m~n": "x"}}},
    ),
    (
        "replace array item",
        [{"op": "replace", "path": "/spec/containers/0", "value": {"name": "z"}}],
        {"spec": {"containers": [{"name": "z"}, {"name": "b"}]}},
    ),
    (
        "replace of a missing member adds it (evanphx v4)",
        [{"op": "replace", "path": "/spec/paused", "value": True}],
        {"spec": {"paused": True}},
    ),
    (
        "move a member",
        [{"op": "move", "from": "/metadata/labels/app", "path": "/metadata/labels/name"}],
        {"metadata": {"labels": {"app": None, "name": "web"}}},
    ),
    (
        "move array item",
        [{"op": "move", "from": "/spec/containers/0", "path": "/spec/containers/-"}],
        {"spec": {"containers": [{"name": "b"}, {"name": "a"}]}},
    ),
    (
        "copy deep-copies",
        [
            {"op": "copy", "from": "/spec/containers/0", "path": "/spec/first"},
            {"op": "add", "path": "/spec/first/image", "value": "x"},
        ],
        {"spec": {"first": {"name": "a", "image": "x"}}},
    ),
    (
        "test passes then add",
        [
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "add", "path": "/spec/replicas", "value": 2},
        ],
        {"spec": {"replicas": 2}},
    ),
    (
        "test of a missing member against null passes",
        [{"op": "test", "path": "/spec/nothing", "value": None}],
        {},
    ),
    (
        "test compares objects deeply",
        [{"op": "test", "path": "/spec/containers/1", "value": {"name": "b"}}],
        {},
    ),
    ("null patch is empty", None, {}),
]


@pytest.mark.parametrize(("name", "patch", "change"), APPLY_CASES, ids=[c[0] for c in APPLY_CASES])
def test_apply(name: str, patch: JSON, change: JSON) -> None:
    """Each patch changes the document exactly as the merge-patch-shaped ``change`` says."""
    assert apply_json_patch(DOC, patch) == apply_merge_patch(DOC, change)


@pytest.mark.parametrize(
    "patch",
    [
        [{"op": "copy", "from": "/spec/nothing", "path": "/spec/x"}],
        [{"op": "add", "path": "/spec/x"}],
    ],
    ids=["copy from a missing member", "add without value"],
)
def test_null_leniencies(patch: JSON) -> None:
    """evanphx v4 stores null for a missing copy source or a missing add value."""
    result = apply_json_patch(DOC, patch)
    assert isinstance(result, dict)
    spec = result["spec"]
    assert isinstance(spec, dict)
    assert "x" in spec
    assert spec["x"] is None


def test_replace_whole_document() -> None:
    """The empty path replaces the whole document (evanphx v4)."""
    assert apply_json_patch(DOC, [{"op": "replace", "path": "", "value": {"x": 1}}]) == {"x": 1}


def test_remove_then_exact_document() -> None:
    """A patch yields exactly the expected whole document."""
    patch: JSON = [
        {"op": "remove", "path": "/metadata"},
        {"op": "replace", "path": "/spec", "value": {"replicas": 2}},
    ]
    assert apply_json_patch(DOC, patch) == {"spec": {"replicas": 2}}


def test_input_not_mutated() -> None:
    """Applying never changes the caller's document or patch."""
    before = copy.deepcopy(DOC)
    patch: JSON = [{"op": "add", "path": "/spec/containers/-", "value": {"name": "c"}}]
    patch_before = copy.deepcopy(patch)
    apply_json_patch(DOC, patch)
    assert before == DOC
    assert patch == patch_before


FAIL_CASES: list[tuple[str, JSON, str]] = [
    (
        "remove missing member",
        [{"op": "remove", "path": "/spec/nothing"}],
        "error in remove for path: '/spec/nothing': Unable to remove nonexistent key: nothing: "
        "missing value",
    ),
    (
        "add under missing parent",
        [{"op": "add", "path": "/status/phase", "value": "x"}],
        'add operation does not apply: doc is missing path: "/status/phase": missing value',
    ),
    (
        "add past the end",
        [{"op": "add", "path": "/spec/containers/3", "value": {}}],
        "error in add for path: '/spec/containers/3': Unable to access invalid index: 3: "
        "invalid index referenced",
    ),
    (
        "add with a non-numeric index",
        [{"op": "add", "path": "/spec/containers/x", "value": {}}],
        "value was not a proper array index: 'x'",
    ),
    (
        "replace past the end",
        [{"op": "replace", "path": "/spec/containers/5", "value": {}}],
        "replace operation does not apply: doc is missing key: /spec/containers/5: missing value",
    ),
    (
        "failed test",
        [{"op": "test", "path": "/spec/replicas", "value": 2}],
        "testing value /spec/replicas failed: test failed",
    ),
    (
        "test distinguishes 1 from 1.0",
        [{"op": "test", "path": "/spec/replicas", "value": 1.0}],
        "testing value /spec/replicas failed: test failed",
    ),
    (
        "test distinguishes true from 1",
        [{"op": "test", "path": "/spec/replicas", "value": True}],
        "testing value /spec/replicas failed: test failed",
    ),
    ("unknown op", [{"op": "frobnicate", "path": "/a"}], "Unexpected kind: frobnicate"),
    ("missing op", [{"path": "/a"}], "Unexpected kind: unknown"),
    ("missing path", [{"op": "add", "value": 1}], "add operation failed to decode path"),
    (
        "move from a missing member",
        [{"op": "move", "from": "/spec/nothing", "path": "/spec/x"}],
        "error in move for path: 'nothing': Unable to remove nonexistent key",
    ),
    (
        "root add is not supported",
        [{"op": "add", "path": "", "value": {}}],
        'add operation does not apply: doc is missing path: ""',
    ),
    (
        "path through a scalar",
        [{"op": "add", "path": "/spec/replicas/x", "value": 1}],
        "doc is missing path",
    ),
]


@pytest.mark.parametrize(("name", "patch", "message"), FAIL_CASES, ids=[c[0] for c in FAIL_CASES])
def test_operation_failures_are_422(name: str, patch: JSON, message: str) -> None:
    """An operation that does not apply is a 422 with evanphx's message."""
    with pytest.raises(PatchError) as caught:
        apply_json_patch(DOC, patch)
    assert caught.value.code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"op": "add"}, "cannot unmarshal object into Go value of type jsonpatch.Patch"),
        ("x", "cannot unmarshal string into Go value of type jsonpatch.Patch"),
        (["add"], "cannot unmarshal string into Go value of type jsonpatch.Operation"),
        ([1], "cannot unmarshal number into Go value of type jsonpatch.Operation"),
    ],
)
def test_malformed_documents_are_400(patch: JSON, message: str) -> None:
    """A patch that is not an array of objects is a 400."""
    with pytest.raises(PatchError) as caught:
        apply_json_patch(DOC, patch)
    assert caught.value.code == HTTPStatus.BAD_REQUEST
    assert message in caught.value.message


def test_too_many_operations_is_413() -> None:
    """More than MAX_OPERATIONS operations is rejected before applying."""
    patch: JSON = [{"op": "test", "path": "/spec", "value": None}] * (MAX_OPERATIONS + 1)
    with pytest.raises(PatchError) as caught:
        apply_json_patch(DOC, patch)
    assert caught.value.code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_failure_leaves_no_partial_result() -> None:
    """A failing later operation discards earlier ones (the caller's document is untouched)."""
    before = copy.deepcopy(DOC)
    patch: JSON = [
        {"op": "add", "path": "/spec/replicas", "value": 9},
        {"op": "remove", "path": "/nope"},
    ]
    with pytest.raises(PatchError):
        apply_json_patch(DOC, patch)
    assert before == DOC
