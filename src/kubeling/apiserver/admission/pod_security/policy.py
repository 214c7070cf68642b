"""Evaluating a pod against a level and version: the checks that apply, and their verdict.

``policy.Evaluator`` upstream: privileged checks nothing; baseline runs the
baseline checks; restricted runs the baseline checks that restricted does not
replace, then the restricted ones. A version newer than the newest this
server knows (and ``latest``) evaluates as the newest: v1.32.

The verdict reads as upstream writes it: ``host namespaces (hostNetwork=true),
privileged (container "c" must not set securityContext.privileged=true)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from kubeling.apiserver.admission.pod_security import baseline, restricted
from kubeling.apiserver.admission.pod_security.check import Check, Violation
from kubeling.apiserver.admission.pod_security.levels import BASELINE, PRIVILEGED, LevelVersion

__all__ = ["NEWEST_MINOR", "evaluate", "forbidden_detail", "forbidden_reason"]

#: The newest policy version this server has checks for (its own release).
NEWEST_MINOR: Final = 32

_BASELINE: Final = tuple(c for c in baseline.CHECKS if not c.overlap)
_OVERLAPPING: Final = tuple(c for c in baseline.CHECKS if c.overlap)


def _run(
    checks: Iterable[Check], minor: int, meta: Mapping[str, Any], spec: Mapping[str, Any]
) -> Iterator[Violation]:
    for check in checks:
        fn = check.at(minor)
        violation = fn(meta, spec) if fn is not None else None
        if violation is not None:
            yield violation


def evaluate(
    level_version: LevelVersion, meta: Mapping[str, Any], spec: Mapping[str, Any]
) -> list[Violation]:
    """Every violation of ``level_version`` by a pod with this metadata and spec."""
    if level_version.level == PRIVILEGED:
        return []
    minor = level_version.version.minor
    minor = NEWEST_MINOR if minor is None else min(minor, NEWEST_MINOR)
    more = _OVERLAPPING if level_version.level == BASELINE else restricted.CHECKS
    return list(_run(_BASELINE + more, minor, meta, spec))


def forbidden_reason(violations: Iterable[Violation]) -> str:
    """``host namespaces, privileged``: the reasons only (for a namespace's pods)."""
    return ", ".join(v.reason for v in violations)


def forbidden_detail(violations: Iterable[Violation]) -> str:
    """``host namespaces (hostNetwork=true), privileged (...)``: reasons with details."""
    return ", ".join(f"{v.reason} ({v.detail})" if v.detail else v.reason for v in violations)
