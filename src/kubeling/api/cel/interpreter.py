"""The CEL interpreter: walks a checked tree and computes its value.

Evaluation is a straightforward recursive walk. What makes CEL CEL is how it
treats errors: an error is a value, and most operations are *strict* (an
error argument makes the result that error), but four constructs are not:

- ``a && b`` is ``false`` if either side is ``false``, even if the other side
  is an error; otherwise an error on either side is the result;
- ``a || b`` is ``true`` if either side is ``true``, likewise;
- ``c ? x : y`` only evaluates the branch it takes;
- ``@not_strictly_false(x)`` (in the ``all``/``exists`` loops) treats an
  error as "keep going".

Here an error travels as an ``EvalError`` exception, caught exactly in those
four places. A comprehension's accumulator may *hold* an error (``[0, 1]
.all(x, 1 / x > 0)`` holds ``division by zero`` after the first element and
``false`` after the second), so variables can be bound to an ``EvalError``,
which is raised when the variable is read.

Every step adds to a cost counter, and evaluation stops with
``CostLimitExceeded`` once it passes the limit, so that a rule over a big list
cannot keep the API server busy (Kubernetes does the same with cel-go's cost
tracking; the numbers here are close to cel-go's but not identical).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.cel.ast import (
    Call,
    Comprehension,
    Expr,
    Ident,
    ListExpr,
    Literal,
    MapExpr,
    Select,
)
from kubeling.api.cel.checker import CheckedExpr
from kubeling.api.cel.errors import CostLimitExceeded, EvalError
from kubeling.api.cel.functions import Library, describe_args
from kubeling.api.cel.values import NONE, Optional, map_lookup

__all__ = ["Evaluation", "Outcome", "evaluate", "has_field", "optional_field", "select_field"]

_OPERATOR_PREFIXES: Final = ("_", "@", "-_", "!_")


class Evaluation:
    """One run of a checked expression against variable values."""

    def __init__(
        self,
        checked: CheckedExpr,
        library: Library,
        variables: Mapping[str, Any],
        cost_limit: int | None,
    ) -> None:
        self.checked = checked
        self.library = library
        self.frames: list[dict[str, Any]] = [dict(variables)]
        self.cost = 0
        self.cost_limit = cost_limit

    def charge(self, amount: int) -> None:
        self.cost += amount
        if self.cost_limit is not None and self.cost > self.cost_limit:
            raise CostLimitExceeded()

    def run(self) -> Any:
        return self.eval(self.checked.expr)

    def eval(self, expr: Expr) -> Any:
        if isinstance(expr, Literal):
            return expr.value
        self.charge(1)
        if isinstance(expr, Ident):
            return self.eval_ident(expr)
        if isinstance(expr, Select):
            return self.eval_select(expr)
        if isinstance(expr, Call):
            return self.eval_call(expr)
        if isinstance(expr, ListExpr):
            return self.eval_list(expr)
        if isinstance(expr, MapExpr):
            return self.eval_map(expr)
        if isinstance(expr, Comprehension):
            return self.eval_comprehension(expr)
        raise AssertionError(f"unknown node {expr!r}")

    def eval_ident(self, expr: Ident) -> Any:
        constant = self.checked.type_constants.get(expr.id)
        if constant is not None:
            return constant
        return self.read_variable(expr.name)

    def read_variable(self, name: str) -> Any:
        for frame in reversed(self.frames):
            if name in frame:
                value = frame[name]
                if isinstance(value, EvalError):
                    raise value
                return value
        raise EvalError(f"no such attribute: {name}")

    def eval_select(self, expr: Select) -> Any:
        constant = self.checked.type_constants.get(expr.id)
        if constant is not None:
            return constant
        qualified = self.checked.qualified_idents.get(expr.id)
        if qualified is not None:
            return self.read_variable(qualified)
        operand = self.eval(expr.operand)
        if expr.test_only:
            return has_field(operand, expr.field)
        if isinstance(operand, Optional):
            # optional chaining: once optional, every later selection is too
            if not operand.has_value:
                return NONE
            return optional_field(operand.value, expr.field)
        if expr.optional:
            return optional_field(operand, expr.field)
        return select_field(operand, expr.field)

    def eval_call(self, expr: Call) -> Any:
        name = expr.function
        if name == "_&&_":
            return self.eval_logic(expr, absorbing=False)
        if name == "_||_":
            return self.eval_logic(expr, absorbing=True)
        if name == "_?_:_":
            condition = self.eval(expr.args[0])
            if not isinstance(condition, bool):
                raise EvalError("no such overload")
            return self.eval(expr.args[1] if condition else expr.args[2])
        if name == "@not_strictly_false":
            try:
                value = self.eval(expr.args[0])
            except CostLimitExceeded:
                raise
            except EvalError:
                return True
            return value if isinstance(value, bool) else True
        args = [self.eval(arg) for arg in expr.args]
        if expr.target is not None:
            args.insert(0, self.eval(expr.target))
        return self.invoke(name, args, member=expr.target is not None)

    def invoke(self, name: str, args: list[Any], *, member: bool) -> Any:
        function = self.library.functions.get(name)
        chosen = function.find(args, member=member) if function else None
        if chosen is None:
            if name.startswith(_OPERATOR_PREFIXES) or name == "size":
                raise EvalError("no such overload")
            raise EvalError(f"no such overload: {name}({describe_args(args)})")
        self.charge(sum(len(a) // 10 for a in args if isinstance(a, str | bytes | list | dict)))
        return chosen.impl(*args)

    def eval_logic(self, expr: Call, *, absorbing: bool) -> bool:
        """``&&`` (absorbing false) and ``||`` (absorbing true), commutative on errors."""
        first_error: EvalError | None = None
        for operand in expr.args:
            try:
                value = self.eval(operand)
            except CostLimitExceeded:
                raise
            except EvalError as err:
                first_error = first_error or err
                continue
            if value is absorbing:
                return bool(absorbing)
            if not isinstance(value, bool):
                first_error = first_error or EvalError("no such overload")
        if first_error is not None:
            raise first_error
        return not absorbing

    def eval_list(self, expr: ListExpr) -> list[Any]:
        out = []
        for index, element in enumerate(expr.elements):
            value = self.eval(element)
            if index in expr.optional_indices:
                if not isinstance(value, Optional):
                    raise EvalError("no such overload")
                if value.has_value:
                    out.append(value.value)
            else:
                out.append(value)
        return out

    def eval_map(self, expr: MapExpr) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for entry in expr.entries:
            key = self.eval(entry.key)
            if isinstance(key, float | list | dict) or key is None:
                raise EvalError(f"unsupported key type: {describe_args([key])}")
            value = self.eval(entry.value)
            if entry.optional:
                if not isinstance(value, Optional):
                    raise EvalError("no such overload")
                if not value.has_value:
                    continue
                value = value.value
            if map_lookup(out, key, _ABSENT) is not _ABSENT:
                raise EvalError(f"Failed with repeated key: {_key_text(key)}")
            out[key] = value
        return out

    def eval_comprehension(self, expr: Comprehension) -> Any:
        iter_range = self.eval(expr.iter_range)
        if isinstance(iter_range, list):
            items: list[Any] = list(iter_range)
        elif isinstance(iter_range, dict):
            items = list(iter_range)
        else:
            raise EvalError("no such overload")
        frame: dict[str, Any] = {expr.accu_var: self._value_or_error(expr.accu_init)}
        self.frames.append(frame)
        try:
            for item in items:
                self.charge(1)
                frame[expr.iter_var] = item
                if not self.eval(expr.loop_condition):
                    break
                frame[expr.accu_var] = self._value_or_error(expr.loop_step)
            frame.pop(expr.iter_var, None)
            return self.eval(expr.result)
        finally:
            self.frames.pop()

    def _value_or_error(self, expr: Expr) -> Any:
        try:
            return self.eval(expr)
        except CostLimitExceeded:
            raise
        except EvalError as err:
            return err


_ABSENT: Final = object()


def _key_text(key: Any) -> str:
    return str(key).lower() if isinstance(key, bool) else str(key)


def optional_field(operand: Any, name: str) -> Optional:
    """``operand.?name``: the field's value as an optional, none when absent."""
    if not has_field(operand, name):
        return NONE
    return Optional.of(select_field(operand, name))


def has_field(operand: Any, name: str) -> bool:
    """``has(operand.name)``: whether a map or object has the key."""
    if isinstance(operand, dict):
        return map_lookup(operand, name, _ABSENT) is not _ABSENT
    raise EvalError("no such overload")


def select_field(operand: Any, name: str) -> Any:
    """``operand.name`` on a map or an object."""
    if isinstance(operand, dict):
        value = map_lookup(operand, name, _ABSENT)
        if value is _ABSENT:
            raise EvalError(f"no such key: {name}")
        if isinstance(value, EvalError):
            raise value
        return value
    raise EvalError("no such overload")


@dataclass(frozen=True)
class Outcome:
    """What an evaluation produced: a value or an error, and what it cost."""

    value: Any
    error: EvalError | None
    cost: int


def evaluate(
    checked: CheckedExpr,
    library: Library,
    variables: Mapping[str, Any],
    *,
    cost_limit: int | None = None,
) -> Outcome:
    """Run a checked expression with the given variable values."""
    run = Evaluation(checked, library, variables, cost_limit)
    try:
        return Outcome(run.run(), None, run.cost)
    except EvalError as err:
        return Outcome(None, err, run.cost)
    except RecursionError:
        return Outcome(None, EvalError("max recursion depth exceeded"), run.cost)
