"""Evaluating one policy for one binding and one param: Kubernetes' ``validating.validator``.

Sans-IO: the caller gives the compiled policy and the values of the CEL
variables, and gets back one decision per validation plus the audit
annotations; what a binding does with a failed validation (Deny, Warn,
Audit) is the plugin's business.

In order:

1. ``matchConditions``: any ``false`` skips the policy (no decisions); else
   any error becomes one decision, Deny under failurePolicy Fail and Admit
   under Ignore, with the errors as its message;
2. ``variables`` are evaluated in order (Kubernetes evaluates them lazily;
   here each is evaluated once, and an error is kept and only surfaces in
   the expressions that read it);
3. each validation: ``true`` admits; an error is a failurePolicy decision
   (``expression '<e>' resulted in error: <err>``); anything else denies with
   its reason (Invalid when unset) and a message: the messageExpression's
   result (trimmed, unless empty, multi-line or over 5000 bytes), else
   ``message``, else ``failed expression: <expression>``;
4. ``auditAnnotations``: a non-empty string is published, ``null`` or an
   empty string is not, an error is a failurePolicy error.

All the expressions of one evaluation share Kubernetes' runtime cost
budget; running out is one failurePolicy decision.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api.cel import EvalError
from kubeling.apiserver.admission.policy.expressions import (
    CompiledExpression,
    CompiledPolicyExpressions,
)

__all__ = [
    "RUNTIME_COST_BUDGET",
    "Action",
    "AuditAnnotation",
    "Decision",
    "ValidateResult",
    "validate",
]

#: ``celconfig.RuntimeCELCostBudget``: what one evaluation of a policy may cost.
RUNTIME_COST_BUDGET: Final = 10_000_000
#: ``celconfig.MaxEvaluatedMessageExpressionSizeBytes``.
MAX_MESSAGE_BYTES: Final = 5 * 1024
_OUT_OF_BUDGET: Final = (
    "validation failed due to running out of cost budget, no further validation rules will be run"
)


class Action(enum.StrEnum):
    """What a decision asks for."""

    ADMIT = "admit"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one validation (or one error standing for them all)."""

    action: Action
    #: True when the decision comes from an error (failurePolicy applied).
    error: bool = False
    message: str = ""
    #: The StatusReason of a denial; empty for errors (Invalid is then used).
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AuditAnnotation:
    """One ``auditAnnotations[i]`` result: a value to publish, or an error."""

    key: str
    value: str = ""
    error: str = ""


@dataclass(slots=True)
class ValidateResult:
    """Every decision of one evaluation, and the audit annotations it produced."""

    decisions: list[Decision] = field(default_factory=list)
    audit_annotations: list[AuditAnnotation] = field(default_factory=list)


class _Budget:
    def __init__(self, total: int) -> None:
        self.remaining = total

    def run(self, expr: CompiledExpression, variables: Mapping[str, Any]) -> tuple[Any, str]:
        """(value, error message); raises _OutOfBudget when the budget is spent."""
        assert expr.program is not None
        outcome = expr.program.evaluate(variables, cost_limit=self.remaining)
        self.remaining -= outcome.cost
        if self.remaining < 0:
            raise _OutOfBudget()
        if outcome.error is not None:
            return None, f"expression '{expr.text}' resulted in error: {outcome.error.message}"
        return outcome.value, ""


class _OutOfBudget(Exception):
    pass


def _error_decision(fail: bool, message: str) -> Decision:
    return Decision(Action.DENY if fail else Action.ADMIT, error=True, message=message)


def _aggregate(messages: list[str]) -> str:
    """``utilerrors.NewAggregate(errs).Error()``: one message, or ``[a, b]``."""
    return messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"


def _with_variables(
    compiled: CompiledPolicyExpressions, base: Mapping[str, Any], budget: _Budget
) -> dict[str, Any]:
    if not compiled.variables:
        return dict(base)
    values: dict[str, Any] = {}
    env = {**base, "variables": values}
    for name, expr in compiled.variables:
        if expr.program is None:
            values[name] = EvalError(expr.error or "variable has no expression")
            continue
        value, error = budget.run(expr, env)
        values[name] = EvalError(error) if error else value
    return env


def _message(
    validation_message: str,
    expression_text: str,
    message_expr: CompiledExpression | None,
    env: Mapping[str, Any],
    budget: _Budget,
) -> str:
    message = ""
    if message_expr is not None and message_expr.program is not None:
        value, error = budget.run(message_expr, env)
        if not error and isinstance(value, str):
            message = value.strip()
            if len(message.encode()) > MAX_MESSAGE_BYTES or "\n" in message:
                message = ""
    if not message and validation_message:
        message = validation_message.strip()
    if not message:
        message = f"failed expression: {expression_text.strip()}"
    return message


def _audit_annotations(
    compiled: CompiledPolicyExpressions, env: Mapping[str, Any], budget: _Budget, fail: bool
) -> list[AuditAnnotation]:
    found: list[AuditAnnotation] = []
    for key, expr in compiled.audit_annotations:
        if expr.program is None:
            continue
        value, error = budget.run(expr, env)
        if error:
            if fail:
                found.append(AuditAnnotation(key, error=error))
        elif isinstance(value, str):
            if value.strip():
                found.append(AuditAnnotation(key, value=value.strip()))
        elif value is not None:
            found.append(
                AuditAnnotation(
                    key,
                    error=f"valueExpression '{expr.text}' resulted in unsupported return type: "
                    f"{type(value).__name__}. Return type must be either string or null.",
                )
            )
    return found


def validate(
    compiled: CompiledPolicyExpressions,
    variables: Mapping[str, Any],
    *,
    fail: bool,
    budget: int = RUNTIME_COST_BUDGET,
) -> ValidateResult:
    """Evaluate a policy with ``variables`` (object, oldObject, request, params,
    namespaceObject); ``fail`` is failurePolicy Fail."""
    spend = _Budget(budget)
    try:
        errors: list[str] = []
        for _, condition in compiled.match_conditions:
            if condition.program is None:
                continue
            value, error = spend.run(condition, variables)
            if error:
                errors.append(error)
            elif value is False:
                return ValidateResult()
        if errors:
            return ValidateResult([_error_decision(fail, _aggregate(errors))])
        env = _with_variables(compiled, variables, spend)
        decisions: list[Decision] = []
        for validation in compiled.validations:
            expr = validation.expression
            if expr.program is None:
                decisions.append(_error_decision(fail, expr.error or "no expression"))
                continue
            value, error = spend.run(expr, env)
            if error:
                decisions.append(_error_decision(fail, error))
            elif value is True:
                decisions.append(Decision(Action.ADMIT))
            else:
                message = _message(
                    validation.message, expr.text, validation.message_expression, env, spend
                )
                decisions.append(
                    Decision(Action.DENY, message=message, reason=validation.reason or "Invalid")
                )
        annotations = _audit_annotations(compiled, env, spend, fail)
    except _OutOfBudget:
        return ValidateResult([_error_decision(fail, _OUT_OF_BUDGET)])
    return ValidateResult(decisions, annotations)
