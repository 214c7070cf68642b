"""``apiequality.Semantic.DeepEqual`` for API objects as JSON.

Go's semantic equality treats a nil and an empty slice or map alike, and a JSON
field left out decodes to that same zero value; so on decoded JSON, absent,
``null``, ``[]`` and ``{}`` are one value. The API server's strategies use it
to tell whether an update changed anything, the controllers to tell whether
the object they computed differs from the one they read.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["semantic_equal"]


def _semantic(value: object) -> object:
    if isinstance(value, Mapping):
        kept = {k: _semantic(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def semantic_equal(a: object, b: object) -> bool:
    """``apiequality.Semantic.DeepEqual`` on JSON: nil, empty and absent are one.

    >>> semantic_equal({"a": [], "b": None}, {}), semantic_equal({"a": 1}, {"a": 2})
    (True, False)
    """
    return _semantic(a) == _semantic(b)
