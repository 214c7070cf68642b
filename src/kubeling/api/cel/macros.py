"""CEL macros: calls the parser rewrites into other expressions.

Macros look like functions but are expanded at parse time, so the rest of
the pipeline never sees them. ``has(a.b)`` becomes a presence test (a
``Select`` with ``test_only``); the five list/map macros become one
``Comprehension`` each (``@result`` is the accumulator; its ``@`` keeps it
apart from any name a user can write)::

    e.all(x, p)        init true;  while @not_strictly_false(@result): @result = @result && p
    e.exists(x, p)     init false; while @not_strictly_false(!@result): @result = @result || p
    e.exists_one(x, p) init 0;     @result = p ? @result + 1 : @result;   result @result == 1
    e.map(x, t)        init [];    @result = @result + [t]
    e.map(x, p, t)     init [];    @result = p ? @result + [t] : @result
    e.filter(x, p)     init [];    @result = p ? @result + [x] : @result

Because ``all`` and ``exists`` step with ``&&`` and ``||``, they absorb
errors the way those operators do: ``[1, 0].all(x, 1 / x > 0)`` is ``false``
(the division by zero does not matter once one element is false), and the
loop stops early as soon as the result cannot change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from kubeling.api.cel.ast import Call, Comprehension, Expr, Ident, ListExpr, Literal, Select

__all__ = ["ACCUMULATOR", "MacroError", "expand_global", "expand_member"]

ACCUMULATOR: Final = "@result"


class MacroError(Exception):
    """A macro call with arguments it cannot use; ``offset`` says where."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


class _Builder:
    """Makes new nodes at one offset with fresh ids."""

    def __init__(self, offset: int, next_id: Callable[[], int]) -> None:
        self.offset = offset
        self.next_id = next_id

    def literal(self, value: object) -> Literal:
        return Literal(self.next_id(), self.offset, value)

    def ident(self, name: str) -> Ident:
        return Ident(self.next_id(), self.offset, name)

    def call(self, function: str, *args: Expr) -> Call:
        return Call(self.next_id(), self.offset, function, list(args))

    def accu(self) -> Ident:
        return self.ident(ACCUMULATOR)

    def comprehension(
        self,
        iter_var: str,
        iter_range: Expr,
        init: Expr,
        condition: Expr,
        step: Expr,
        result: Expr,
    ) -> Comprehension:
        return Comprehension(
            self.next_id(),
            self.offset,
            iter_var,
            iter_range,
            ACCUMULATOR,
            init,
            condition,
            step,
            result,
        )


def expand_global(
    name: str, args: list[Expr], offset: int, next_id: Callable[[], int]
) -> Expr | None:
    """The expansion of a global macro call, or None when it is no macro."""
    if name != "has" or len(args) != 1:
        return None
    arg = args[0]
    if not isinstance(arg, Select) or arg.test_only or arg.optional:
        raise MacroError(arg.offset, "invalid argument to has() macro")
    return Select(next_id(), offset, arg.operand, arg.field, test_only=True)


def _iter_var(arg: Expr) -> str:
    if not isinstance(arg, Ident):
        raise MacroError(arg.offset, "argument must be a simple name")
    return arg.name


def expand_member(
    name: str, target: Expr, args: list[Expr], offset: int, next_id: Callable[[], int]
) -> Expr | None:
    """The expansion of ``target.name(args)``, or None when it is no macro."""
    arity = len(args)
    if (name, arity) not in {
        ("all", 2),
        ("exists", 2),
        ("exists_one", 2),
        ("map", 2),
        ("map", 3),
        ("filter", 2),
    }:
        return None
    var = _iter_var(args[0])
    b = _Builder(offset, next_id)
    if name == "all":
        return b.comprehension(
            var,
            target,
            b.literal(True),
            b.call("@not_strictly_false", b.accu()),
            b.call("_&&_", b.accu(), args[1]),
            b.accu(),
        )
    if name == "exists":
        return b.comprehension(
            var,
            target,
            b.literal(False),
            b.call("@not_strictly_false", b.call("!_", b.accu())),
            b.call("_||_", b.accu(), args[1]),
            b.accu(),
        )
    if name == "exists_one":
        return b.comprehension(
            var,
            target,
            b.literal(0),
            b.literal(True),
            b.call("_?_:_", args[1], b.call("_+_", b.accu(), b.literal(1)), b.accu()),
            b.call("_==_", b.accu(), b.literal(1)),
        )
    empty = ListExpr(next_id(), offset, [])
    if name == "map":
        transform = args[-1]
        appended = b.call("_+_", b.accu(), ListExpr(next_id(), offset, [transform]))
        step: Expr = appended
        if arity == 3:
            step = b.call("_?_:_", args[1], appended, b.accu())
        return b.comprehension(var, target, empty, b.literal(True), step, b.accu())
    # filter
    kept = b.call("_+_", b.accu(), ListExpr(next_id(), offset, [b.ident(var)]))
    step = b.call("_?_:_", args[1], kept, b.accu())
    return b.comprehension(var, target, empty, b.literal(True), step, b.accu())
