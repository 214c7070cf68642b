"""Room on the Python stack for walking deeply nested expressions.

The parser, the checker and the interpreter are recursive, like the grammar
they follow. CEL allows an expression to nest 250 levels deep (as cel-go
does), and each level costs a dozen Python frames in the parser: more than
Python's default limit of 1000. While a CEL expression is compiled or run,
the limit is raised; pure Python frames do not use the C stack (Python
3.11+), so this is safe. Anything deeper still is caught and reported as a
CEL error by the callers.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

__all__ = ["deep_recursion"]

_LIMIT: Final = 10_000


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Raise the recursion limit for the duration of the block."""
    previous = sys.getrecursionlimit()
    if previous < _LIMIT:
        sys.setrecursionlimit(_LIMIT)
    try:
        yield
    finally:
        if previous < _LIMIT:
            sys.setrecursionlimit(previous)
