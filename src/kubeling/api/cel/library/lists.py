"""Kubernetes' lists library: ``isSorted``, ``sum``, ``min``, ``max``, ``indexOf``, ``lastIndexOf``.

>>> LISTS.functions["sum"].find([[1, 3]], member=True).impl([1, 3])
4
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, Final

from kubeling.api.cel import types as t
from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.functions import Library, member
from kubeling.api.cel.library.standard import STANDARD
from kubeling.api.cel.types import CelType
from kubeling.api.cel.values import Duration, Uint, compare, equals

__all__ = ["LISTS"]

LISTS: Final = Library()

_COMPARABLE: Final = [
    ("int", t.INT),
    ("uint", t.UINT),
    ("double", t.DOUBLE),
    ("bool", t.BOOL),
    ("duration", t.DURATION),
    ("timestamp", t.TIMESTAMP),
    ("string", t.STRING),
    ("bytes", t.BYTES),
]
_ZEROS: Final[dict[str, Any]] = {"int": 0, "uint": Uint(0), "double": 0.0, "duration": Duration(0)}


def _is_sorted(items: list[Any]) -> bool:
    return all(compare(a, b) <= 0 for a, b in itertools.pairwise(items))


def _extreme(name: str, prefer: int) -> Callable[[list[Any]], Any]:
    def pick(items: list[Any]) -> Any:
        if not items:
            raise EvalError(f"{name} called on empty list")
        best = items[0]
        for item in items[1:]:
            if compare(best, item) == prefer:
                best = item
        return best

    return pick


def _summer(zero: Any) -> Callable[[list[Any]], Any]:
    add = STANDARD.functions["_+_"]

    def total(items: list[Any]) -> Any:
        result = zero
        for item in items:
            chosen = add.find([result, item], member=False)
            if chosen is None:
                raise EvalError("no such overload")
            result = chosen.impl(result, item)
        return result

    return total


def _index_of(items: list[Any], item: Any) -> int:
    return next((i for i, candidate in enumerate(items) if equals(candidate, item)), -1)


def _last_index_of(items: list[Any], item: Any) -> int:
    for index in range(len(items) - 1, -1, -1):
        if equals(items[index], item):
            return index
    return -1


def _list(elem: CelType) -> CelType:
    return t.list_of(elem)


for _name, _type in _COMPARABLE:
    LISTS.add(
        "isSorted", member(f"list_{_name}_is_sorted_bool", [_list(_type)], t.BOOL, _is_sorted)
    )
    LISTS.add("min", member(f"list_{_name}_min_{_name}", [_list(_type)], _type, _extreme("min", 1)))
    LISTS.add(
        "max", member(f"list_{_name}_max_{_name}", [_list(_type)], _type, _extreme("max", -1))
    )
for _name, _zero in _ZEROS.items():
    _type = dict(_COMPARABLE)[_name]
    LISTS.add("sum", member(f"list_{_name}_sum_{_name}", [_list(_type)], _type, _summer(_zero)))

_A = t.param("A")
LISTS.add("indexOf", member("list_a_index_of_int", [t.list_of(_A), _A], t.INT, _index_of))
LISTS.add(
    "lastIndexOf", member("list_a_last_index_of_int", [t.list_of(_A), _A], t.INT, _last_index_of)
)
