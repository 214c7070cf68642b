"""matchConditions: false skips, errors follow the failure policy."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.admission.webhook.conditions import ConditionResult, MatchConditions

VARIABLES: dict[str, Any] = {
    "object": {"metadata": {"name": "web", "labels": {"tier": "db"}}},
    "oldObject": None,
    "request": {"operation": "CREATE", "userInfo": {"username": "jane"}},
}

TRUE = {"name": "t", "expression": "request.operation == 'CREATE'"}
FALSE = {"name": "f", "expression": "object.metadata.labels['tier'] == 'web'"}
ERROR = {"name": "e", "expression": "object.spec.replicas > 1"}
NOT_BOOL = {"name": "n", "expression": "object.metadata.name"}
BAD = {"name": "b", "expression": "object.("}


@pytest.mark.parametrize(
    ("conditions", "fail_closed", "result"),
    [
        ([], True, ConditionResult(True)),
        ([TRUE], True, ConditionResult(True)),
        ([TRUE, FALSE], True, ConditionResult(False)),
        # false wins over errors, whatever the policy
        ([ERROR, FALSE], True, ConditionResult(False)),
        ([ERROR, TRUE], False, ConditionResult(False)),
        ([ERROR, TRUE], True, ConditionResult(
            False, "expression 'object.spec.replicas > 1' resulted in error: no such key: spec")),
        ([NOT_BOOL], False, ConditionResult(False)),
        ([BAD], False, ConditionResult(False)),
    ],
)  # fmt: skip
def test_evaluate(
    conditions: list[dict[str, str]], fail_closed: bool, result: ConditionResult
) -> None:
    """Upstream's matcher: any false skips; else an error fails or skips by policy."""
    assert MatchConditions(conditions).evaluate(VARIABLES, fail_closed=fail_closed) == result


def test_compile_error_fails_closed() -> None:
    """A condition that does not compile (stored before validation) is an error."""
    result = MatchConditions([BAD]).evaluate(VARIABLES, fail_closed=True)
    assert result.error is not None
    assert result.error.startswith("compilation failed: ")


def test_several_errors_are_listed() -> None:
    result = MatchConditions([ERROR, NOT_BOOL]).evaluate(VARIABLES, fail_closed=True)
    assert result.error is not None
    assert result.error.startswith("[expression 'object.spec.replicas > 1'")
