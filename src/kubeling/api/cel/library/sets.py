"""cel-go's sets extension: ``sets.contains``, ``sets.equivalent``, ``sets.intersects``.

Lists are treated as sets of values under CEL equality.

>>> SETS.functions["sets.contains"].overloads[0].impl([1, 2, 3], [3, 1.0])
True
"""

from __future__ import annotations

from typing import Any, Final

from kubeling.api.cel import types as t
from kubeling.api.cel.functions import Library, overload
from kubeling.api.cel.values import equals

__all__ = ["SETS"]

SETS: Final = Library()
_LIST_A = t.list_of(t.param("A"))


def _contains(items: list[Any], wanted: list[Any]) -> bool:
    return all(any(equals(a, b) for a in items) for b in wanted)


SETS.add(
    "sets.contains", overload("list_sets_contains_list", [_LIST_A, _LIST_A], t.BOOL, _contains)
)
SETS.add(
    "sets.equivalent",
    overload(
        "list_sets_equivalent_list",
        [_LIST_A, _LIST_A],
        t.BOOL,
        lambda a, b: _contains(a, b) and _contains(b, a),
    ),
)
SETS.add(
    "sets.intersects",
    overload(
        "list_sets_intersects_list",
        [_LIST_A, _LIST_A],
        t.BOOL,
        lambda a, b: any(equals(x, y) for x in a for y in b),
    ),
)
