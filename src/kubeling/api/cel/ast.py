"""The CEL abstract syntax tree: the handful of node kinds every CEL program is made of.

CEL keeps its AST tiny, and so does this module (the shapes are cel-spec's
``syntax.proto``):

- ``Literal``: ``1``, ``2u``, ``3.0``, ``'s'``, ``b'b'``, ``true``, ``null``;
- ``Ident``: a name, ``self``;
- ``Select``: ``operand.field``; with ``test_only`` it is ``has(operand.field)``,
  with ``optional`` it is ``operand.?field``;
- ``Call``: every operator and function, ``_+_(a, b)``, ``size(x)``, and the
  member form ``target.f(args)``;
- ``ListExpr`` and ``MapExpr``: ``[1, 2]``, ``{'a': 1}``;
- ``Comprehension``: the one loop construct. The macros ``all``, ``exists``,
  ``exists_one``, ``map`` and ``filter`` are rewritten into it by the parser
  (see ``macros``), so the checker and the interpreter know a single loop.

Operators are calls to functions with reserved names, as in cel-go:
``_+_``, ``_-_``, ``_*_``, ``_/_``, ``_%_``, ``-_`` (negation), ``!_``,
``_==_``, ``_!=_``, ``_<_``, ``_<=_``, ``_>_``, ``_>=_``, ``@in``,
``_&&_``, ``_||_``, ``_?_:_``, ``_[_]`` and ``_[?_]`` (optional index).

Nodes are mutable only so that the checker can resolve a namespaced call
(``optional.of(x)`` parses as a member call on ``optional``) in place; the
interpreter treats the checked tree as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Call",
    "Comprehension",
    "Expr",
    "Ident",
    "ListExpr",
    "Literal",
    "MapEntry",
    "MapExpr",
    "Select",
]


@dataclass(eq=False)
class Expr:
    """A node: ``id`` is unique in its tree, ``offset`` is where it starts."""

    id: int
    offset: int


@dataclass(eq=False)
class Literal(Expr):
    """A constant; ``value`` is already a CEL runtime value (``Uint`` for uints)."""

    value: object


@dataclass(eq=False)
class Ident(Expr):
    name: str


@dataclass(eq=False)
class Select(Expr):
    operand: Expr
    field: str
    test_only: bool = False
    optional: bool = False


@dataclass(eq=False)
class Call(Expr):
    function: str
    args: list[Expr]
    target: Expr | None = None


@dataclass(eq=False)
class ListExpr(Expr):
    elements: list[Expr]
    #: Indices of ``[?x]`` elements: optionals that add their value, or nothing.
    optional_indices: frozenset[int] = field(default_factory=frozenset)


@dataclass(eq=False)
class MapEntry:
    offset: int
    key: Expr
    value: Expr
    #: ``{?k: opt}``: the entry exists only when ``opt`` has a value.
    optional: bool = False


@dataclass(eq=False)
class MapExpr(Expr):
    entries: list[MapEntry]


@dataclass(eq=False)
class Comprehension(Expr):
    """``for iter_var in iter_range`` over ``accu_var``, as cel-spec defines it::

    accu_var = accu_init
    for iter_var in iter_range:
        if not loop_condition: break
        accu_var = loop_step
    return result
    """

    iter_var: str
    iter_range: Expr
    accu_var: str
    accu_init: Expr
    loop_condition: Expr
    loop_step: Expr
    result: Expr
