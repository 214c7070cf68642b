"""From the metrics' replica count to the one the HPA sets: stabilization and rate limits.

Kubernetes 1.32's ``normalizeDesiredReplicas`` and ``normalizeDesiredReplicasWithBehaviors``
(``horizontal.go``), with the per-HPA memory they need (recommendations, scale events), kept
by :class:`Normalizer` and keyed by the HPA's ``namespace/name``:

- **Without** ``spec.behavior``: the highest recommendation of the last 5 minutes
  (``--horizontal-pod-autoscaler-downscale-stabilization``) is taken, so scaling down waits
  (``AbleToScale`` ``ScaleDownStabilized``, else ``ReadyForNewScale``); then the count is kept
  within ``minReplicas``, ``maxReplicas`` and a scale-up limit of ``max(2 * current, 4)``
  (``ScalingLimited`` ``TooFewReplicas``/``TooManyReplicas``/``ScaleUpLimit`` True when it
  applied, ``DesiredWithinRange`` False otherwise).
- **With** a behavior: each direction's ``stabilizationWindowSeconds`` (scale-up: the lowest
  recommendation of its window, ``ScaleUpStabilized``; scale-down: the highest,
  ``ScaleDownStabilized``), then its policies limit the change over their ``periodSeconds``
  given the scale events of that period (``Pods``: that many; ``Percent``: that share,
  rounded up for scale-up, down for scale-down), ``selectPolicy`` ``Max`` (the biggest
  change), ``Min`` or ``Disabled``; the bounds apply after (``ScaleUpLimit`` /
  ``ScaleDownLimit`` when a policy limited it).

Missing behavior fields get the API's defaults (scale-up: no window, 4 pods or 100 % per
15 s, Max; scale-down: the controller's 300 s window, 100 % per 15 s, Max).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["Decision", "Normalizer", "convert_with_rules"]

Obj = Mapping[str, Any]

SCALE_UP_LIMIT_FACTOR: Final = 2.0
SCALE_UP_LIMIT_MINIMUM: Final = 4.0
#: ``--horizontal-pod-autoscaler-downscale-stabilization``.
DEFAULT_DOWNSCALE_STABILIZATION: Final = 300.0

_STABILIZED_DOWN = (
    "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the highest recent "
    "recommendation",
)
_STABILIZED_UP = (
    "ScaleUpStabilized",
    "recent recommendations were lower than current one, applying the lowest recent recommendation",
)
_READY = ("ReadyForNewScale", "recommended size matches current size")
_WITHIN = ("DesiredWithinRange", "the desired count is within the acceptable range")
_TOO_FEW = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
_TOO_MANY = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
_UP_LIMIT = (
    "ScaleUpLimit",
    "the desired replica count is increasing faster than the maximum scale rate",
)
_DOWN_LIMIT = (
    "ScaleDownLimit",
    "the desired replica count is decreasing faster than the maximum scale rate",
)


@dataclass(frozen=True, slots=True)
class Decision:
    """The replica count to set, with the AbleToScale (True) and ScalingLimited conditions."""

    replicas: int
    able_reason: str
    able_message: str
    limited: bool
    limited_reason: str
    limited_message: str


def convert_with_rules(
    current: int, desired: int, min_replicas: int, max_replicas: int
) -> tuple[int, str, str]:
    """``convertDesiredReplicasWithRules``: bounds and the scale-up limit.

    >>> convert_with_rules(2, 10, 1, 20)[:2]
    (4, 'ScaleUpLimit')
    >>> convert_with_rules(2, 0, 1, 20)[:2]
    (1, 'TooFewReplicas')
    """
    scale_up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
    if max_replicas > scale_up_limit:
        maximum, limit = scale_up_limit, _UP_LIMIT
    else:
        maximum, limit = max_replicas, _TOO_MANY
    if desired < min_replicas:
        return min_replicas, *_TOO_FEW
    if desired > maximum:
        return maximum, *limit
    return desired, *_WITHIN


@dataclass(frozen=True, slots=True)
class _Policy:
    kind: str
    value: int
    period: int


@dataclass(frozen=True, slots=True)
class _Rules:
    window: int
    select: str
    policies: tuple[_Policy, ...]


def _rules(raw: Obj | None, *, up: bool, downscale_window: float) -> _Rules:
    raw = raw or {}
    window = raw.get("stabilizationWindowSeconds")
    if not isinstance(window, int):
        window = 0 if up else int(downscale_window)
    policies = tuple(
        _Policy(
            str(p.get("type") or ""), int(p.get("value") or 0), int(p.get("periodSeconds") or 0)
        )
        for p in raw.get("policies") or []
        if isinstance(p, Mapping)
    )
    if not policies:
        policies = (
            (_Policy("Pods", 4, 15), _Policy("Percent", 100, 15))
            if up
            else (_Policy("Percent", 100, 15),)
        )
    return _Rules(window, str(raw.get("selectPolicy") or "Max"), policies)


@dataclass
class _Memory:
    #: (when, recommendation)
    recommendations: list[tuple[float, int]] = field(default_factory=list)
    #: (when, replicas added) and (when, replicas removed)
    ups: list[tuple[float, int]] = field(default_factory=list)
    downs: list[tuple[float, int]] = field(default_factory=list)


class Normalizer:
    """The per-HPA memory and the normalization (see the module docstring)."""

    def __init__(
        self,
        *,
        downscale_stabilization: float = DEFAULT_DOWNSCALE_STABILIZATION,
        clock: Callable[[], float],
    ) -> None:
        self.downscale_stabilization = downscale_stabilization
        self._clock = clock
        self._memory: dict[str, _Memory] = {}

    def forget(self, key: str) -> None:
        """The HPA is gone."""
        self._memory.pop(key, None)

    def record_initial(self, key: str, current: int) -> None:
        """``recordInitialRecommendation``: the first count seen is the first recommendation."""
        memory = self._memory.setdefault(key, _Memory())
        if not memory.recommendations:
            memory.recommendations.append((self._clock(), current))

    def normalize(
        self,
        key: str,
        spec: Obj,
        *,
        current: int,
        desired: int,
        min_replicas: int,
    ) -> Decision:
        """The count to set for a metrics-proposed ``desired`` (see the module docstring)."""
        behavior = spec.get("behavior")
        max_replicas = int(spec.get("maxReplicas") or 0)
        if not isinstance(behavior, Mapping):
            stabilized = self._stabilize(key, desired)
            able = _STABILIZED_DOWN if stabilized != desired else _READY
            replicas, reason, message = convert_with_rules(
                current, stabilized, min_replicas, max_replicas
            )
        else:
            up = _rules(
                behavior.get("scaleUp"), up=True, downscale_window=self.downscale_stabilization
            )
            down = _rules(
                behavior.get("scaleDown"), up=False, downscale_window=self.downscale_stabilization
            )
            stabilized, able = self._stabilize_with_behaviors(key, current, desired, up, down)
            if stabilized == desired:
                able = _READY
            replicas, reason, message = self._convert_with_rates(
                key, current, stabilized, min_replicas, max_replicas, up, down
            )
        return Decision(
            replicas=replicas,
            able_reason=able[0],
            able_message=able[1],
            limited=replicas != stabilized,
            limited_reason=reason,
            limited_message=message,
        )

    def record_scale(self, key: str, spec: Obj, previous: int, new: int) -> None:
        """``storeScaleEvent``: remember a rescale for the behavior's rate limits."""
        if not isinstance(spec.get("behavior"), Mapping):
            return
        behavior = spec["behavior"]
        rising = new > previous
        rules = _rules(
            behavior.get("scaleUp" if rising else "scaleDown"),
            up=rising,
            downscale_window=self.downscale_stabilization,
        )
        memory = self._memory.setdefault(key, _Memory())
        now = self._clock()
        # events older than the longest policy period no longer limit anything
        longest = max((p.period for p in rules.policies), default=0)
        events = memory.ups if rising else memory.downs
        events[:] = [(when, change) for when, change in events if when > now - longest]
        events.append((now, abs(new - previous)))

    # -- without behavior --------------------------------------------------------------

    def _stabilize(self, key: str, desired: int) -> int:
        """``stabilizeRecommendation``: the highest recommendation within the window, after
        recording this one (in place of one that aged out, if any)."""
        memory = self._memory.setdefault(key, _Memory())
        now = self._clock()
        cutoff = now - self.downscale_stabilization
        highest = desired
        old = -1
        for index, (when, recommendation) in enumerate(memory.recommendations):
            if when < cutoff:
                old = index
            elif recommendation > highest:
                highest = recommendation
        self._record(memory, old, now, desired)
        return highest

    @staticmethod
    def _record(memory: _Memory, old: int, now: float, desired: int) -> None:
        if old >= 0:
            memory.recommendations[old] = (now, desired)
        else:
            memory.recommendations.append((now, desired))

    # -- with behavior -------------------------------------------------------------------

    def _stabilize_with_behaviors(
        self, key: str, current: int, desired: int, up: _Rules, down: _Rules
    ) -> tuple[int, tuple[str, str]]:
        memory = self._memory.setdefault(key, _Memory())
        now = self._clock()
        if desired >= current:
            window, better, why = up.window, min, _STABILIZED_UP
        else:
            window, better, why = down.window, max, _STABILIZED_DOWN
        obsolete = now - max(up.window, down.window)
        cutoff = now - window
        recommendation = desired
        old = -1
        for index, (when, past) in enumerate(memory.recommendations):
            if when > cutoff:
                recommendation = better(past, recommendation)
            if when < obsolete:
                old = index
        self._record(memory, old, now, desired)
        return recommendation, why

    def _convert_with_rates(
        self,
        key: str,
        current: int,
        desired: int,
        min_replicas: int,
        max_replicas: int,
        up: _Rules,
        down: _Rules,
    ) -> tuple[int, str, str]:
        """``convertDesiredReplicasWithBehaviorRate``."""
        memory = self._memory.setdefault(key, _Memory())
        now = self._clock()
        if desired > current:
            limit = max(_scale_up_limit(current, memory.ups, up, now), current)
            if max_replicas > limit:
                maximum, why = limit, _UP_LIMIT
            else:
                maximum, why = max_replicas, _TOO_MANY
            if desired > maximum:
                return maximum, *why
        elif desired < current:
            limit = min(_scale_down_limit(current, memory.downs, down, now), current)
            if min_replicas < limit:
                minimum, why = limit, _DOWN_LIMIT
            else:
                minimum, why = min_replicas, _TOO_FEW
            if desired < minimum:
                return minimum, *why
        return desired, *_WITHIN


def _changed_within(period: int, events: list[tuple[float, int]], now: float) -> int:
    """``getReplicasChangePerPeriod``."""
    cutoff = now - period
    return sum(change for when, change in events if when > cutoff)


def _scale_up_limit(
    current: int, events: list[tuple[float, int]], rules: _Rules, now: float
) -> int:
    """``calculateScaleUpLimitWithScalingRules``."""
    if rules.select == "Disabled":
        return current
    pick = min if rules.select == "Min" else max
    result: int | None = None
    for policy in rules.policies:
        start = current - _changed_within(policy.period, events, now)
        if policy.kind == "Pods":
            proposed = start + policy.value
        else:
            proposed = math.ceil(start * (1 + policy.value / 100))
        result = proposed if result is None else pick(result, proposed)
    return current if result is None else result


def _scale_down_limit(
    current: int, events: list[tuple[float, int]], rules: _Rules, now: float
) -> int:
    """``calculateScaleDownLimitWithBehaviors``."""
    if rules.select == "Disabled":
        return current
    pick = max if rules.select == "Min" else min
    result: int | None = None
    for policy in rules.policies:
        start = current + _changed_within(policy.period, events, now)
        if policy.kind == "Pods":
            proposed = start - policy.value
        else:
            proposed = int(start * (1 - policy.value / 100))
        result = proposed if result is None else pick(result, proposed)
    return current if result is None else result
