"""Optional values (cel-go ``OptionalTypes``): a value that may be absent.

``self.?spec.?replicas`` is ``optional.of(n)`` when the field is set and
``optional.none()`` when it is not; ``.orValue(1)`` then gives a default.
Functions: ``optional.of``, ``optional.ofNonZeroValue``, ``optional.none``,
``hasValue``, ``value``, ``orValue``, ``or``, the optional index
``list[?i]`` / ``map[?k]``, and indexing into an optional (``a.?b[0]``).
(The ``?.`` selection itself is handled by the parser, the checker and the
interpreter.)

>>> OPTIONALS.functions["orValue"].overloads[0].impl(NONE, 5)
5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from kubeling.api.cel import types as t
from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.functions import Library, member, overload
from kubeling.api.cel.values import NONE, Duration, Optional, Timestamp, Uint, map_lookup

__all__ = ["OPTIONALS"]

OPTIONALS: Final = Library()
_A, _K, _V = t.param("A"), t.param("K"), t.param("V")
_OPT_A = t.optional_of(_A)
_ABSENT: Final = object()


def _is_zero(value: Any) -> bool:
    if isinstance(value, bool):
        return not value
    if isinstance(value, Uint):
        return value.value == 0
    if isinstance(value, Duration):
        return value.nanos == 0
    if isinstance(value, Timestamp):
        return value.seconds == 0 and value.nanos == 0
    if value is None:
        return True
    if isinstance(value, int | float | str | bytes | list | dict):
        return not value
    return False


def _value(opt: Optional) -> Any:
    if not opt.has_value:
        raise EvalError("optional.none() dereference")
    return opt.value


def _index_list(items: list[Any], index: int) -> Optional:
    return Optional.of(items[index]) if 0 <= index < len(items) else NONE


def _index_map(mapping: dict[Any, Any], key: Any) -> Optional:
    found = map_lookup(mapping, key, _ABSENT)
    return NONE if found is _ABSENT else Optional.of(found)


OPTIONALS.add("optional.of", overload("optional_of", [_A], _OPT_A, Optional.of))
OPTIONALS.add(
    "optional.ofNonZeroValue",
    overload(
        "optional_ofNonZeroValue",
        [_A],
        _OPT_A,
        lambda v: NONE if _is_zero(v) else Optional.of(v),
    ),
)
OPTIONALS.add("optional.none", overload("optional_none", [], _OPT_A, lambda: NONE))
OPTIONALS.add("hasValue", member("optional_hasValue", [_OPT_A], t.BOOL, lambda o: o.has_value))
OPTIONALS.add("value", member("optional_value", [_OPT_A], _A, _value))
OPTIONALS.add(
    "orValue",
    member("optional_orValue_value", [_OPT_A, _A], _A, lambda o, v: o.value if o.has_value else v),
)
OPTIONALS.add(
    "or",
    member("optional_or_optional", [_OPT_A, _OPT_A], _OPT_A, lambda o, p: o if o.has_value else p),
)
OPTIONALS.add(
    "_[?_]",
    overload("list_optindex_optional_int", [t.list_of(_A), t.INT], _OPT_A, _index_list),
    overload("map_optindex_optional_value", [t.map_of(_K, _V), _K], t.optional_of(_V), _index_map),
)


def _chained(index: Callable[[Any, Any], Optional]) -> Callable[[Optional, Any], Optional]:
    """Indexing an optional list or map: none stays none (``a.?b[0]``)."""

    def chained(container: Optional, key: Any) -> Optional:
        return index(container.value, key) if container.has_value else NONE

    return chained


_OPT_LIST, _OPT_MAP = t.optional_of(t.list_of(_A)), t.optional_of(t.map_of(_K, _V))
for _function, _kind in (("_[?_]", "optindex"), ("_[_]", "index")):
    OPTIONALS.add(
        _function,
        overload(f"optional_list_{_kind}_int", [_OPT_LIST, t.INT], _OPT_A, _chained(_index_list)),
        overload(
            f"optional_map_{_kind}_value", [_OPT_MAP, _K], t.optional_of(_V), _chained(_index_map)
        ),
    )
