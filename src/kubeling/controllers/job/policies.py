"""A Job's pod failure policy and success policy, matched against its pods.

``spec.podFailurePolicy.rules`` are tried in order against a failed pod; the
first rule whose ``onExitCodes`` (a terminated container's non-zero exit code,
app containers before init containers) or ``onPodConditions`` (a pod condition
of that type and status) matches decides: ``FailJob`` fails the whole Job with
a message naming the pod and the rule, ``FailIndex`` fails the pod's index (with
``backoffLimitPerIndex``), ``Ignore`` does not count the failure against any
back-off limit, ``Count`` counts it as usual. No match counts it as usual.

``spec.successPolicy.rules`` (Indexed Jobs) declare the Job succeeded once the
indexes they name succeeded (``succeededIndexes``), or enough of them
(``succeededCount``), or both. These are ``pod_failure_policy.go`` and
``success_policy.go`` of Kubernetes 1.32.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.controllers.job.indexes import Intervals

__all__ = ["FailureMatch", "match_pod_failure_policy", "match_success_policy"]


@dataclass(frozen=True, slots=True)
class FailureMatch:
    """What a failed pod means for its Job under the policy."""

    #: Set when a FailJob rule matched: the reason the Job fails.
    fail_job_message: str | None = None
    #: Whether the failure counts towards the back-off limits (False: an Ignore rule).
    counts: bool = True
    #: The matching rule's action, or None when no rule matched.
    action: str | None = None


_NO_MATCH = FailureMatch()


def match_pod_failure_policy(
    policy: Mapping[str, Any] | None, pod: Mapping[str, Any]
) -> FailureMatch:
    """``matchPodFailurePolicy`` for a failed ``pod``."""
    if not policy:
        return _NO_MATCH
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    name = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
    for index, rule in enumerate(policy.get("rules") or ()):
        action = rule.get("action")
        if rule.get("onExitCodes") is not None:
            container = _matching_container(status, rule["onExitCodes"])
            if container is None:
                continue
            code = container["state"]["terminated"].get("exitCode", 0)
            message = (
                f"Container {container.get('name', '')} for pod {name} failed with exit code "
                f"{code} matching {action} rule at index {index}"
            )
        elif rule.get("onPodConditions") is not None:
            cond = _matching_condition(status, rule["onPodConditions"])
            if cond is None:
                continue
            message = (
                f"Pod {name} has condition {cond.get('type', '')} matching {action} rule at "
                f"index {index}"
            )
        else:
            continue
        if action == "Ignore":
            return FailureMatch(counts=False, action=action)
        if action in ("Count", "FailIndex"):
            return FailureMatch(action=action)
        if action == "FailJob":
            return FailureMatch(fail_job_message=message, action=action)
        # An action this version does not know: the rule is skipped, as in Kubernetes.
    return _NO_MATCH


def _matching_container(
    status: Mapping[str, Any], requirement: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The first terminated container (app, then init) whose non-zero exit code matches."""
    for field in ("containerStatuses", "initContainerStatuses"):
        for container in status.get(field) or ():
            terminated = (container.get("state") or {}).get("terminated")
            if terminated is None:
                continue  # still running or waiting: no exit code yet
            wanted = requirement.get("containerName")
            if wanted is not None and wanted != container.get("name"):
                continue
            code = terminated.get("exitCode", 0)
            if (
                code != 0
                and _operator_matches(code, requirement)
                and isinstance(container, Mapping)
            ):
                return container
    return None


def _operator_matches(code: int, requirement: Mapping[str, Any]) -> bool:
    values = requirement.get("values") or ()
    operator = requirement.get("operator")
    if operator == "In":
        return code in values
    if operator == "NotIn":
        return code not in values
    return False


def _matching_condition(
    status: Mapping[str, Any], patterns: Sequence[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    for cond in status.get("conditions") or ():
        if not isinstance(cond, Mapping):
            continue
        for pattern in patterns:
            wanted = (pattern.get("type"), pattern.get("status", "True"))
            if (cond.get("type"), cond.get("status")) == wanted:
                return cond
    return None


def match_success_policy(
    policy: Mapping[str, Any] | None, completions: int, succeeded: Intervals
) -> str | None:
    """``matchSuccessPolicy``: the message of the first rule the succeeded indexes meet
    (``Matched rules at index N``), or None."""
    if not policy or not succeeded.spans:
        return None
    for index, rule in enumerate(policy.get("rules") or ()):
        count = rule.get("succeededCount")
        if rule.get("succeededIndexes") is not None:
            required = Intervals.parse(str(rule["succeededIndexes"]), completions)
            if not required.spans:
                continue  # nothing parseable: the rule cannot match
            overlap = _overlap(required, succeeded)
            if overlap == required.total() or (count is not None and overlap >= count):
                return f"Matched rules at index {index}"
        elif count is not None and succeeded.total() >= count:
            return f"Matched rules at index {index}"
    return None


def _overlap(first: Intervals, second: Intervals) -> int:
    """How many indexes both hold."""
    total = 0
    for a_first, a_last in first.spans:
        for b_first, b_last in second.spans:
            total += max(0, min(a_last, b_last) - max(a_first, b_first) + 1)
    return total
