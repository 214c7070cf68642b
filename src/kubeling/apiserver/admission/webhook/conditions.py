"""``matchConditions``: CEL expressions that narrow which requests a webhook sees.

Each condition is compiled once, with the variables Kubernetes declares for
webhook match conditions: ``object`` and ``oldObject`` (the objects in the
version the webhook is called with, null when absent) and ``request`` (the
AdmissionRequest the webhook would receive). Evaluation follows
``matchconditions.Matcher``:

1. a condition that evaluates to false skips the webhook, whatever the other
   conditions gave (errors included);
2. otherwise, if a condition failed to evaluate (or to compile), the
   failure policy decides: ``Fail`` refuses the request, ``Ignore`` skips the
   webhook;
3. otherwise the webhook is called.

The ``authorizer`` variable upstream also declares is not offered:
expressions that use it do not compile (see docs/differences.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.api.cel import CelError, Environment, Program, types

__all__ = ["ConditionResult", "MatchConditions", "compile_condition"]

_ENVIRONMENT = Environment({"object": types.DYN, "oldObject": types.DYN, "request": types.DYN})


def compile_condition(expression: str) -> Program:
    """Compile one condition's expression; raises ``CompileError`` (its ``str`` is the message)."""
    return _ENVIRONMENT.compile(expression)


@dataclass(frozen=True, slots=True)
class ConditionResult:
    """Whether to call the webhook, or the error that refuses the request."""

    matches: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Compiled:
    name: str
    expression: str
    program: Program | None
    compile_error: str | None


def _compile(condition: Mapping[str, Any]) -> _Compiled:
    name = str(condition.get("name") or "")
    expression = str(condition.get("expression") or "")
    try:
        return _Compiled(name, expression, compile_condition(expression), None)
    except CelError as err:
        return _Compiled(name, expression, None, f"compilation failed: {err}")


class MatchConditions:
    """A webhook's compiled conditions (none: every request matches)."""

    def __init__(self, conditions: Sequence[Mapping[str, Any]]) -> None:
        self._conditions = tuple(_compile(c) for c in conditions)

    def __bool__(self) -> bool:
        return bool(self._conditions)

    def evaluate(self, variables: Mapping[str, Any], *, fail_closed: bool) -> ConditionResult:
        """Decide for one request; ``fail_closed`` is ``failurePolicy: Fail``.

        >>> conditions = MatchConditions([{"name": "a", "expression": "request.name == 'x'"}])
        >>> conditions.evaluate({"object": None, "oldObject": None, "request": {"name": "y"}},
        ...                     fail_closed=True)
        ConditionResult(matches=False, error=None)
        """
        errors: list[str] = []
        for condition in self._conditions:
            if condition.program is None:
                errors.append(str(condition.compile_error))
                continue
            outcome = condition.program.evaluate(variables)
            if outcome.error is not None:
                errors.append(
                    f"expression '{condition.expression}' resulted in error: {outcome.error}"
                )
            elif outcome.value is False:
                return ConditionResult(matches=False)
            elif outcome.value is not True:
                errors.append(
                    f"expression '{condition.expression}' resulted in error: "
                    "no matching overload: expected a boolean result"
                )
        if errors:
            if not fail_closed:
                return ConditionResult(matches=False)
            message = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
            return ConditionResult(matches=False, error=message)
        return ConditionResult(matches=True)
