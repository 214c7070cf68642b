"""Checks that run on a type-checked expression, before it may run.

Kubernetes turns on these cel-go "AST validators" (since 1.29):

- *homogeneous literals*: every element of a list literal, and every key
  and every value of a map literal, must have the same type, so ``[1, 'a']``
  is ``expected type 'int' but found 'string'``. Literals anywhere inside
  the argument list of ``format`` are exempt, since ``'%s: %d'.format([name,
  count])`` needs mixed lists;
- *literal arguments*: ``duration('1x')``, ``timestamp('2024-13-01...')``
  and an invalid regular expression literal given to ``matches``, ``find``
  or ``findAll`` are evaluated now, and fail the compilation (``invalid
  duration argument``) instead of every evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from kubeling.api.cel.ast import Call, Comprehension, Expr, ListExpr, Literal, MapExpr, Select
from kubeling.api.cel.checker import CheckedExpr
from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.regex import compile_re2
from kubeling.api.cel.source import Issues
from kubeling.api.cel.timeutil import parse_go_duration, parse_timestamp
from kubeling.api.cel.types import CelType

__all__ = ["validate"]

# function name -> (index of the literal argument, counting a receiver; its check)
_LITERAL_CHECKS: Final[dict[str, tuple[int, Callable[[str], object]]]] = {
    "duration": (0, parse_go_duration),
    "timestamp": (0, parse_timestamp),
    "matches": (1, compile_re2),
    "find": (1, compile_re2),
    "findAll": (1, compile_re2),
}
_EXEMPT_FUNCTIONS: Final = frozenset({"format"})


def validate(checked: CheckedExpr, issues: Issues) -> None:
    """Report every literal that breaks one of the checks above."""
    for node, exempt in _walk(checked.expr, exempt=False):
        if isinstance(node, Call):
            _check_literal_argument(node, issues)
        elif isinstance(node, ListExpr) and not exempt:
            elements = [
                _element_type(checked, e, optional=i in node.optional_indices)
                for i, e in enumerate(node.elements)
            ]
            _report_first_mismatch(list(zip(node.elements, elements, strict=True)), issues)
        elif isinstance(node, MapExpr) and not exempt:
            keys = [(e.key, checked.types[e.key.id]) for e in node.entries]
            values = [
                (e.value, _element_type(checked, e.value, optional=e.optional))
                for e in node.entries
            ]
            _report_all_mismatches(keys, issues)
            _report_all_mismatches(values, issues)


def _element_type(checked: CheckedExpr, element: Expr, *, optional: bool) -> CelType:
    t = checked.types[element.id]
    return t.params[0] if optional and t.params else t


def _report_first_mismatch(items: list[tuple[Expr, CelType]], issues: Issues) -> None:
    for node, t in items[1:]:
        if t != items[0][1]:
            issues.report(node.offset, f"expected type '{items[0][1]}' but found '{t}'")
            return


def _report_all_mismatches(items: list[tuple[Expr, CelType]], issues: Issues) -> None:
    for node, t in items[1:]:
        if t != items[0][1]:
            issues.report(node.offset, f"expected type '{items[0][1]}' but found '{t}'")


def _check_literal_argument(call: Call, issues: Issues) -> None:
    if call.function not in _LITERAL_CHECKS:
        return
    index, verify = _LITERAL_CHECKS[call.function]
    args = call.args if call.target is None else [call.target, *call.args]
    if len(args) <= index:
        return
    literal = args[index]
    if isinstance(literal, Literal) and isinstance(literal.value, str):
        try:
            verify(literal.value)
        except EvalError:
            issues.report(literal.offset, f"invalid {call.function} argument")


def _walk(root: Expr, *, exempt: bool) -> Iterator[tuple[Expr, bool]]:
    """Every node, with whether it is a literal nested in an exempt call's arguments.

    Iterative (an explicit stack), so that a long chain such as
    ``a + b + ... + z`` does not need one Python frame per term.
    """
    stack: list[tuple[Expr, bool]] = [(root, exempt)]
    while stack:
        expr, inside = stack.pop()
        yield expr, inside
        children: list[tuple[Expr, bool]] = []
        if isinstance(expr, Select):
            children = [(expr.operand, False)]
        elif isinstance(expr, Call):
            args_exempt = expr.function in _EXEMPT_FUNCTIONS
            if expr.target is not None:
                children.append((expr.target, False))
            children += [(arg, args_exempt) for arg in expr.args]
        elif isinstance(expr, ListExpr):
            children = [(element, inside) for element in expr.elements]
        elif isinstance(expr, MapExpr):
            for entry in expr.entries:
                children += [(entry.key, inside), (entry.value, inside)]
        elif isinstance(expr, Comprehension):
            parts = (expr.iter_range, expr.accu_init, expr.loop_condition, expr.loop_step)
            children = [(part, False) for part in (*parts, expr.result)]
        stack.extend(reversed(children))
