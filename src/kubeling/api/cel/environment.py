"""Compiling CEL: an environment (variables and functions) turns text into a program.

>>> from kubeling.api.cel import types
>>> env = Environment({"self": types.INT})
>>> program = env.compile("self % 2 == 0 ? 'even' : 'odd'")
>>> str(program.result_type), program.evaluate({"self": 7}).value
('string', 'odd')

Compilation is parse, then type-check, then the checks Kubernetes adds on
checked expressions (``validators``: homogeneous literals, literal
arguments of ``duration``, ``timestamp`` and the regex functions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubeling.api.cel import validators
from kubeling.api.cel.checker import CheckedExpr, check
from kubeling.api.cel.errors import CompileError
from kubeling.api.cel.functions import Library
from kubeling.api.cel.interpreter import Outcome, evaluate
from kubeling.api.cel.library import KUBERNETES
from kubeling.api.cel.parser import parse
from kubeling.api.cel.recursion import deep_recursion
from kubeling.api.cel.source import Issues, Source
from kubeling.api.cel.types import CelType

__all__ = ["Environment", "Program"]


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
        with deep_recursion():
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
            with deep_recursion():
                expr = parse(text, source)
                issues = Issues(source)
                checked = check(expr, self.variables, self.library, issues)
                if not issues:
                    validators.validate(checked, issues)
        except RecursionError:
            issues = Issues(source)
            issues.report(0, "expression recursion limit exceeded")
            raise CompileError(issues) from None
        if issues:
            raise CompileError(issues)
        return Program(source, checked, self.library)
