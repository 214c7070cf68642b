"""``compare`` and ``FieldSet.prefixes`` equal their definitions over sets of paths.

The definitions are spelled out here, path by path (each value looked up from
the root with ``get_value``); the module computes the same sets in fewer steps.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubeling.api.apps.v1 import Deployment
from kubeling.api.managedfields.fieldpath import (
    Comparison,
    FieldSet,
    compare,
    from_object,
    get_value,
)
from kubeling.api.schema import Object
from tests.unit.api.managedfields.strategies import OBJECTS, VALUES

Pod: Object = importlib.import_module("kubeling.api.core.v1.pod").Pod


def _defined_prefixes(fs: FieldSet) -> frozenset[tuple[str, ...]]:
    return frozenset(path[:n] for path in fs.paths for n in range(1, len(path)))


def _defined_compare(old: Any, new: Any, type: Object) -> Comparison:
    old_set = from_object(old, type) if old is not None else FieldSet()
    new_set = from_object(new, type)
    with_children = _defined_prefixes(new_set)
    modified = frozenset(
        p
        for p in old_set.paths & new_set.paths
        if p not in with_children and get_value(old, p) != get_value(new, p)
    )
    return Comparison(
        added=new_set.difference(old_set),
        removed=old_set.difference(new_set),
        modified=FieldSet(modified),
    )


def _overlay(base: Any, change: Any) -> Any:
    """``change`` laid over ``base`` key by key: a new object sharing most of ``base``'s paths."""
    if isinstance(base, dict) and isinstance(change, dict):
        out = dict(base)
        for key, value in change.items():
            out[key] = _overlay(base.get(key), value)
        return out
    return change


@settings(max_examples=400, deadline=None)
@given(OBJECTS, st.dictionaries(st.sampled_from(["metadata", "spec", "status"]), VALUES))
def test_compare_matches_its_definition(old: dict[str, Any], change: dict[str, Any]) -> None:
    new = _overlay(old, change)
    for type in (Pod, Deployment):
        assert compare(old, new, type) == _defined_compare(old, new, type)
        assert compare(None, new, type) == _defined_compare(None, new, type)


@settings(max_examples=200, deadline=None)
@given(OBJECTS, OBJECTS)
def test_compare_of_unrelated_objects_matches_its_definition(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    assert compare(old, new, Pod) == _defined_compare(old, new, Pod)


@settings(max_examples=300, deadline=None)
@given(OBJECTS)
def test_prefixes_are_every_proper_prefix_of_a_member(obj: dict[str, Any]) -> None:
    fs = from_object(obj, Pod)
    assert fs.prefixes() == _defined_prefixes(fs)


def test_items_named_alike_are_compared_as_get_value_finds_them() -> None:
    """Two conditions of one type: the first is the one looked at, as ``get_value`` does."""
    old = {"status": {"conditions": [{"type": "A", "status": "x"}, {"type": "A", "status": "y"}]}}
    new = {"status": {"conditions": [{"type": "A", "status": "x"}, {"type": "A", "status": "z"}]}}
    assert compare(old, new, Pod) == _defined_compare(old, new, Pod)
    assert not compare(old, new, Pod).modified


def test_a_changed_condition_is_modified() -> None:
    old = {"status": {"conditions": [{"type": "Ready", "status": "False"}]}}
    new = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert compare(old, new, Pod).modified == FieldSet.of(
        [("f:status", "f:conditions", 'k:{"type":"Ready"}', "f:status")]
    )


# -- status writes: the walk that passes over equal fields, against the full computation ----

_update = importlib.import_module("kubeling.api.managedfields.update")


def _conditions(ready: str, when: str) -> list[dict[str, Any]]:
    return [
        {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": when}
        for kind, status in (
            ("PodReadyToStartContainers", ready),
            ("Initialized", "True"),
            ("Ready", ready),
            ("ContainersReady", ready),
            ("PodScheduled", "True"),
        )
    ]


def _container(state: dict[str, Any], *, ready: bool, restarts: int = 0) -> dict[str, Any]:
    return {
        "name": "sleep",
        "state": state,
        "lastState": {} if not restarts else {"terminated": {"exitCode": 1, "reason": "Error"}},
        "ready": ready,
        "restartCount": restarts,
        "image": "busybox",
        "imageID": "",
        "started": ready,
    }


def _pod(status: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns", "uid": "u", "labels": {"app": "a"}, **meta},
        "spec": {
            "nodeName": "n",
            "containers": [{"name": "sleep", "image": "busybox", "command": ["sleep", "1"]}],
        },
        "status": status,
    }


def _ported(pod: dict[str, Any], port: Any) -> dict[str, Any]:
    """``pod`` with a port named by ``port`` (compared through the main resource)."""
    pod["spec"]["containers"][0]["ports"] = [{"containerPort": port, "protocol": "TCP"}]
    return pod


_PENDING = {
    "phase": "Pending",
    "conditions": _conditions("False", "2026-01-01T00:00:00Z"),
    "hostIP": "10.0.0.1",
    "hostIPs": [{"ip": "10.0.0.1"}],
    "startTime": "2026-01-01T00:00:00Z",
    "containerStatuses": [
        _container({"waiting": {"reason": "ContainerCreating"}}, ready=False),
    ],
    "qosClass": "BestEffort",
}
_RUNNING = {
    **_PENDING,
    "phase": "Running",
    "conditions": _conditions("True", "2026-01-01T00:00:01Z"),
    "podIP": "10.0.0.1",
    "podIPs": [{"ip": "10.0.0.1"}],
    "containerStatuses": [
        _container({"running": {"startedAt": "2026-01-01T00:00:01Z"}}, ready=True),
    ],
}
_RESTARTED = {
    **_RUNNING,
    "containerStatuses": [
        _container({"running": {"startedAt": "2026-01-01T00:01:00Z"}}, ready=True, restarts=1)
    ],
}

# (old, new): what a kubelet and others write through pods/status.
STATUS_WRITES = [
    pytest.param(_pod({"phase": "Pending", "qosClass": "BestEffort"}), _pod(_PENDING), id="first"),
    pytest.param(_pod(_PENDING), _pod(_RUNNING), id="running"),
    pytest.param(_pod(_RUNNING), _pod(_RESTARTED), id="restarted"),
    pytest.param(_pod(_RUNNING), _pod(_RUNNING), id="unchanged"),
    pytest.param(
        _pod(_RUNNING),
        _pod({**_RUNNING, "conditions": _RUNNING["conditions"][1:], "podIPs": []}),
        id="items-removed",
    ),
    pytest.param(
        _pod(_RUNNING),
        _pod({**_RUNNING, "message": "m", "nominatedNodeName": None}, annotations={"x": "y"}),
        id="fields-added",
    ),
    pytest.param(_pod(_RUNNING), _pod({"phase": "Failed"}), id="most-removed"),
    pytest.param(
        _pod({**_RUNNING, "podIPs": [{"ip": 1}]}),
        _pod({**_RUNNING, "podIPs": [{"ip": True}]}),
        id="key-1-to-true",
    ),
    pytest.param(
        _ported(_pod({"phase": "Running", "x": {"y": [0.0]}, "resize": 1}), 0.0),
        _ported(_pod({"phase": "Running", "x": {"y": [-0.0]}, "resize": 1.0}), -0.0),
        id="zero-to-negative-zero",
    ),
    pytest.param(
        _pod({"phase": "Running", "conditions": [{"type": "A", "status": "x"}] * 2}),
        _pod({"phase": "Running", "conditions": [{"type": "A", "status": "y"}] * 2}),
        id="items-named-alike",
    ),
    pytest.param(
        _pod({"phase": "Running", "x": float("nan")}),
        _pod({"phase": "Running", "x": float("nan")}),
        id="nan",
    ),
]


@pytest.mark.parametrize(("old", "new"), STATUS_WRITES)
def test_status_write_comparison_matches_its_definition(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    for subresource in ("status", ""):
        before, after = _update._view(old, subresource), _update._view(new, subresource)
        assert compare(before, after, Pod) == _defined_compare(before, after, Pod)


@pytest.mark.parametrize(("old", "new"), STATUS_WRITES)
def test_status_write_managed_fields_match_the_full_computation(
    old: dict[str, Any], new: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The managedFields a status write leaves, with the fast comparison and the memos, are
    those of the comparison by definition (every member of both objects, path by path)."""
    created = _update.update(
        None, old, manager="creator", managed_fields=[], type=Pod, api_version="v1", now="t0"
    )
    kubelet = _update.update(
        {**old, "status": {}},
        old,
        manager="kubelet",
        managed_fields=created,
        type=Pod,
        api_version="v1",
        now="t1",
        subresource="status",
    )

    def write() -> list[dict[str, Any]]:
        return _update.update(  # type: ignore[no-any-return]
            old,
            new,
            manager="kubelet",
            managed_fields=kubelet,
            type=Pod,
            api_version="v1",
            now="t2",
            subresource="status",
        )

    fast = write()
    again = write()  # the memos answer now
    monkeypatch.setattr(_update, "compare", _defined_compare)
    assert fast == again == write()
    assert fast is not again
    assert all(a["fieldsV1"] is not b["fieldsV1"] for a, b in zip(fast, again, strict=True))
