"""``copy_json`` copies JSON trees as ``copy.deepcopy`` does."""

from __future__ import annotations

import copy
import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kubeling.api.jsoncopy import copy_json

_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner)),
    max_leaves=30,
)


def _containers(value: Any) -> list[Any]:
    """Every dict and list in ``value``, itself included."""
    if isinstance(value, dict):
        return [value, *(c for v in value.values() for c in _containers(v))]
    if isinstance(value, list):
        return [value, *(c for v in value for c in _containers(v))]
    return []


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_equal_to_deepcopy_and_shares_no_container(value: Any) -> None:
    copied = copy_json(value)
    assert copied == copy.deepcopy(value) == value
    originals = {id(c) for c in _containers(value)}
    assert not any(id(c) in originals for c in _containers(copied))


def test_changing_the_copy_leaves_the_original() -> None:
    pod: dict[str, Any] = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c"}]},
    }
    copied = copy_json(pod)
    copied["metadata"]["labels"]["app"] = "db"
    copied["spec"]["containers"].append({"name": "d"})
    assert pod == {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c"}]}}


def test_other_types_are_deep_copied() -> None:
    """A tuple or a set inside is copied by ``copy.deepcopy``: nothing mutable is shared."""
    inner = {"a": [1]}
    value: dict[str, Any] = {"t": (inner,), "s": {1, 2}, "d": datetime.date(2026, 1, 1)}
    copied = copy_json(value)
    assert copied == value
    assert copied["t"][0] is not inner
    assert copied["s"] is not value["s"]
