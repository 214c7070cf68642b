"""Interned JSON: one ``str`` object for every copy of a key or short value in long-lived caches.

``json.loads`` shares the keys within one document only: each of 150,000 pods decoded from its
own watch event carries its own ``"metadata"``, ``"lastTransitionTime"``, ``"True"``,
``"Ready"``, node name and label values, some 50-70 bytes each in CPython. An informer's cache
of pods is mostly such strings; interning them (``sys.intern``) when an object enters a cache
that keeps it halves the cache (see docs/benchmarks.md, Scale). Interned strings are mortal:
one no object refers to any more leaves the interpreter's table, so what is interned is what
the caches hold, not everything ever seen.

Only strings up to :data:`MAX_INTERNED_LENGTH` characters are interned: longer ones (an
annotation's JSON, a certificate) are rarely repeated, and would only grow the table.

>>> a = interned_json(__import__("json").loads('{"status": {"phase": "Running"}}'))
>>> b = interned_json(__import__("json").loads('{"status": {"phase": "Running"}}'))
>>> a == b and a["status"]["phase"] is b["status"]["phase"]
True
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Final, TypeVar

__all__ = ["MAX_INTERNED_LENGTH", "interned_json", "interned_strings"]

T = TypeVar("T")

#: Names are at most 63 characters (253 for a few kinds), label values 63, IPs, times and
#: UIDs less: 64 takes in what repeats across objects.
MAX_INTERNED_LENGTH: Final = 64

_intern = sys.intern


def interned_json(value: T) -> T:
    """A copy of the JSON value ``value`` (new dicts and lists, equal to it) whose keys and
    strings of at most :data:`MAX_INTERNED_LENGTH` characters are interned; other scalars
    are shared. A value nested deeper than the interpreter's recursion limit comes back as
    it is (equal, only not interned)."""
    try:
        return _interned(value)  # type: ignore[no-any-return]
    except RecursionError:
        return value


def _interned(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {_intern(k) if type(k) is str else k: _interned(v) for k, v in value.items()}
    if kind is list:
        return [_interned(v) for v in value]
    return _short_interned(value)


def _short_interned(value: Any) -> Any:
    """``value`` interned if it is a string short enough to be worth it, else itself."""
    if type(value) is str and len(value) <= MAX_INTERNED_LENGTH:
        return _intern(value)
    return value


def interned_strings(values: Mapping[str, str]) -> dict[str, str]:
    """A copy of a flat map of strings (labels, selectable fields) with its keys and short
    values interned."""
    return {_intern(k): _short_interned(v) for k, v in values.items()}
