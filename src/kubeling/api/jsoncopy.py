"""Deep copies of JSON values: what ``copy.deepcopy`` gives, a few times faster.

API objects are trees of dicts, lists and immutable scalars (str, int, float,
bool, None), and the API server copies them on every write (a patch's target,
a status write's kept fields). ``copy.deepcopy`` pays for generality those
trees never need: a memo of every node, a dispatch per value, reductions.

>>> pod = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c"}]}}
>>> copy_json(pod) == pod and copy_json(pod)["spec"] is not pod["spec"]
True

Two differences, neither of which JSON data can show: a subtree that appears
twice in ``value`` becomes two copies (``deepcopy`` keeps one, shared), and a
value of any other type is handed to ``copy.deepcopy``.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

__all__ = ["copy_json"]

T = TypeVar("T")

_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


def copy_json(value: T) -> T:
    """A deep copy of ``value``: new dicts and lists all the way down, scalars shared."""
    return _copy(value)  # type: ignore[no-any-return]


def _copy(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _IMMUTABLE else _copy(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _IMMUTABLE else _copy(v) for v in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)
