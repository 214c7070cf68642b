"""Compiling CEL: an environment (variables and functions) turns text into a program.

>>> from kubeling.api.cel import types
>>> env = Environment({"self": types.INT})
>>> program = env.compile("self % 2 == 0 ? 'even' : 'odd'")
>>> str(program.result_type), program.evaluate({"self": 7}).value
('string', 'odd')

Compilation is parse, then type-check, then the checks Kubernetes adds since
1.29 on literal arguments: ``duration('1x')``, ``timestamp('...')`` and a
regular expression literal given to ``matches``, ``find`` or ``findAll`` are
evaluated at compile time, and a bad one is a compile error (``invalid
duration argument``) rather than a runtime one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.cel.ast import Call, Comprehension, Expr, ListExpr, Literal, MapExpr, Select
from kubeling.api.cel.checker import CheckedExpr, check
from kubeling.api.cel.errors import CompileError, EvalError
from kubeling.api.cel.functions import Library
from kubeling.api.cel.interpreter import Outcome, evaluate
from kubeling.api.cel.library import KUBERNETES
from kubeling.api.cel.parser import parse
from kubeling.api.cel.regex import compile_re2
from kubeling.api.cel.source import Issues, Source
from kubeling.api.cel.timeutil import parse_go_duration, parse_timestamp
from kubeling.api.cel.types import CelType

__all__ = ["Environment", "Program"]

# function name -> (index of the literal argument, its check)
_LITERAL_CHECKS: Final[dict[str, tuple[int, Callable[[str], object]]]] = {
    "duration": (0, parse_go_duration),
    "timestamp": (0, parse_timestamp),
    "matches": (1, compile_re2),
    "find": (1, compile_re2),
    "findAll": (1, compile_re2),
}


@dataclass(frozen=True)
class Program:
    """A compiled expression, ready to run any number of times."""

    source: Source
    checked: CheckedExpr
    library: Library

    @property
    def result_type(self) -> CelType:
        return self.checked.result

    def references(self, name: str) -> bool:
        """Whether the expression uses the variable ``name`` (e.g. ``oldSelf``)."""
        return name in self.checked.references

    def evaluate(self, variables: Mapping[str, Any], *, cost_limit: int | None = None) -> Outcome:
        """Run with the given variable values; errors come back in the outcome."""
        return evaluate(self.checked, self.library, variables, cost_limit=cost_limit)


class Environment:
    """Declared variables and the function library a program may use."""

    def __init__(self, variables: Mapping[str, CelType], library: Library = KUBERNETES) -> None:
        self.variables = dict(variables)
        self.library = library

    def compile(self, text: str) -> Program:
        """Parse and type-check ``text``; raises ``CompileError`` with every problem."""
        source = Source(text)
        try:
            expr = parse(text, source)
            issues = Issues(source)
            checked = check(expr, self.variables, self.library, issues)
        except RecursionError:
            issues = Issues(source)
            issues.report(0, "expression recursion limit exceeded")
            raise CompileError(issues) from None
        if not issues:
            _check_literal_arguments(expr, issues)
        if issues:
            raise CompileError(issues)
        return Program(source, checked, self.library)


def _check_literal_arguments(expr: Expr, issues: Issues) -> None:
    for node in _walk(expr):
        if not isinstance(node, Call) or node.function not in _LITERAL_CHECKS:
            continue
        index, verify = _LITERAL_CHECKS[node.function]
        args = node.args if node.target is None else [node.target, *node.args]
        if len(args) <= index:
            continue
        literal = args[index]
        if isinstance(literal, Literal) and isinstance(literal.value, str):
            try:
                verify(literal.value)
            except EvalError:
                issues.report(literal.offset, f"invalid {node.function} argument")


def _walk(expr: Expr) -> Iterator[Expr]:
    yield expr
    children: list[Expr] = []
    if isinstance(expr, Select):
        children = [expr.operand]
    elif isinstance(expr, Call):
        children = [*([expr.target] if expr.target else []), *expr.args]
    elif isinstance(expr, ListExpr):
        children = list(expr.elements)
    elif isinstance(expr, MapExpr):
        children = [e for entry in expr.entries for e in (entry.key, entry.value)]
    elif isinstance(expr, Comprehension):
        children = [
            expr.iter_range,
            expr.accu_init,
            expr.loop_condition,
            expr.loop_step,
            expr.result,
        ]
    for child in children:
        yield from _walk(child)
