"""Kubernetes' regex library: ``find`` and ``findAll`` (RE2 patterns, see ``cel.regex``).

>>> REGEXES.functions["find"].find(["abc 123", "[0-9]+"], member=True).impl("abc 123", "[0-9]+")
'123'
"""

from __future__ import annotations

from typing import Final

from kubeling.api.cel import types as t
from kubeling.api.cel.functions import Library, member
from kubeling.api.cel.regex import compile_re2

__all__ = ["REGEXES"]

REGEXES: Final = Library()


def _find(text: str, pattern: str) -> str:
    match = compile_re2(pattern).search(text)
    return match.group() if match else ""


def _find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    if limit == 0:
        return []
    found = [m.group() for m in compile_re2(pattern).finditer(text)]
    return found if limit < 0 else found[:limit]


REGEXES.add("find", member("string_find_string", [t.STRING, t.STRING], t.STRING, _find))
REGEXES.add(
    "findAll",
    member("string_find_all_string", [t.STRING, t.STRING], t.list_of(t.STRING), _find_all),
    member(
        "string_find_all_string_int",
        [t.STRING, t.STRING, t.INT],
        t.list_of(t.STRING),
        _find_all,
    ),
)
