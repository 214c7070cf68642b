"""maxSurge and maxUnavailable: how far a rolling update may go above and below.

``maxSurge`` and ``maxUnavailable`` are an int or a percent of
``spec.replicas`` (``intstr.GetScaledValueFromIntOrPercent``): a percent
surge rounds up, a percent unavailability rounds down, so that 25% of 10
gives 3 extra pods but only 2 missing ones. When both resolve to 0 (only
possible by rounding) unavailability becomes 1, or the rollout could never
move (``ResolveFenceposts``). A Deployment without the RollingUpdate strategy
has neither. ``MaxUnavailable`` never exceeds the replicas:

>>> d = {"spec": {"replicas": 10, "strategy": {"type": "RollingUpdate",
...      "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}}}
>>> max_surge(d), max_unavailable(d), min_available(d)
(3, 2, 8)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from kubeling.controllers.deployment.objects import spec, spec_replicas

__all__ = [
    "RECREATE",
    "ROLLING_UPDATE",
    "is_rolling_update",
    "max_surge",
    "max_unavailable",
    "min_available",
    "resolve_fenceposts",
    "scaled_value",
    "strategy_type",
]

ROLLING_UPDATE: Final = "RollingUpdate"
RECREATE: Final = "Recreate"

_GO_INT: Final = re.compile(r"[+-]?[0-9]+\Z")


def scaled_value(value: int | str | None, total: int, *, round_up: bool) -> int:
    """An int as it is, a percent of ``total`` rounded up or down.

    ValueError, with intstr's message, for anything else (validation keeps
    such values out of stored Deployments).

    >>> scaled_value("25%", 10, round_up=True), scaled_value("25%", 10, round_up=False)
    (3, 2)
    """
    if value is None:
        raise ValueError("nil value for IntOrString")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("invalid value for IntOrString: invalid type: neither int nor percentage")
    if isinstance(value, int):
        return value
    if not value.endswith("%"):
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    number = value[:-1]
    if not _GO_INT.match(number):
        raise ValueError(
            f'invalid value for IntOrString: invalid value "{value}": '
            f'strconv.Atoi: parsing "{number}": invalid syntax'
        )
    product = int(number) * total
    return -(-product // 100) if round_up else product // 100


def strategy_type(deployment: Mapping[str, Any]) -> str:
    strategy = spec(deployment).get("strategy")
    return str(strategy.get("type") or "") if isinstance(strategy, Mapping) else ""


def is_rolling_update(deployment: Mapping[str, Any]) -> bool:
    return strategy_type(deployment) == ROLLING_UPDATE


def _rolling_parameters(deployment: Mapping[str, Any]) -> Mapping[str, Any]:
    strategy = spec(deployment).get("strategy")
    rolling = strategy.get("rollingUpdate") if isinstance(strategy, Mapping) else None
    return rolling if isinstance(rolling, Mapping) else {}


def resolve_fenceposts(
    surge: int | str | None, unavailable: int | str | None, desired: int
) -> tuple[int, int]:
    """``(maxSurge, maxUnavailable)`` for ``desired`` replicas; unset counts as 0.

    >>> resolve_fenceposts("1%", "1%", 2)
    (1, 0)
    >>> resolve_fenceposts(0, "1%", 2)
    (0, 1)
    """
    resolved_surge = scaled_value(0 if surge is None else surge, desired, round_up=True)
    resolved_unavailable = scaled_value(
        0 if unavailable is None else unavailable, desired, round_up=False
    )
    if resolved_surge == 0 and resolved_unavailable == 0:
        # Only rounding gets here (validation refuses 0 and 0): allow one
        # unavailable pod, since surging may be blocked by quota.
        resolved_unavailable = 1
    return resolved_surge, resolved_unavailable


def _fenceposts(deployment: Mapping[str, Any]) -> tuple[int, int]:
    rolling = _rolling_parameters(deployment)
    try:
        return resolve_fenceposts(
            rolling.get("maxSurge"), rolling.get("maxUnavailable"), spec_replicas(deployment)
        )
    except ValueError:
        return 0, 0  # refused by validation; Kubernetes ignores the error the same way


def max_surge(deployment: Mapping[str, Any]) -> int:
    """Pods a rolling update may add above ``spec.replicas`` (0 for Recreate)."""
    if not is_rolling_update(deployment):
        return 0
    return _fenceposts(deployment)[0]


def max_unavailable(deployment: Mapping[str, Any]) -> int:
    """Pods a rolling update may take below ``spec.replicas`` (0 for Recreate or 0 replicas)."""
    replicas = spec_replicas(deployment)
    if not is_rolling_update(deployment) or replicas == 0:
        return 0
    return min(_fenceposts(deployment)[1], replicas)


def min_available(deployment: Mapping[str, Any]) -> int:
    """Pods that must stay available during a rolling update (0 for Recreate)."""
    if not is_rolling_update(deployment):
        return 0
    return spec_replicas(deployment) - max_unavailable(deployment)
