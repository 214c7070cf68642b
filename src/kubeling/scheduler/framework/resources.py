"""Resource amounts as the scheduler counts them: integers, summed per node.

CPU is counted in millicores, everything else in whole units (upstream's
``framework.Resource``). A pod's request follows the formula of the sidecar KEP
(upstream ``resourcehelper.PodRequests``):

* regular containers run together, so their requests add up;
* an init container runs alone, next to the restartable (sidecar) init containers
  started before it, so the pod needs at least ``that init container + sidecars so far``;
* sidecars keep running, so they are also added to the regular containers' sum;
* the pod asks for the larger of the two, per resource, plus its ``overhead``.

For *scoring* only, a container that does not request CPU or memory counts as asking
for 100m and 200Mi (``schedutil.DefaultMilliCPURequest``/``DefaultMemoryRequest``), so
that best-effort pods still spread out.

Quantities are parsed with ``kubeling.api.quantity``. The API server validates every
quantity a pod or node carries, so a value that does not parse cannot arrive from it;
should one arrive anyway it counts as zero rather than failing the whole cycle.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api.naming import is_qualified_name
from kubeling.api.quantity import QuantityParseError, parse_quantity

__all__ = [
    "CPU",
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "EPHEMERAL_STORAGE",
    "MEMORY",
    "PODS",
    "Resource",
    "amount",
    "is_scalar_resource_name",
    "pod_requests",
]

CPU: Final = "cpu"
MEMORY: Final = "memory"
EPHEMERAL_STORAGE: Final = "ephemeral-storage"
PODS: Final = "pods"
DEFAULT_MILLI_CPU_REQUEST: Final = 100
DEFAULT_MEMORY_REQUEST: Final = 200 * 1024 * 1024

_NON_MISSING: Final[Mapping[str, int]] = {
    CPU: DEFAULT_MILLI_CPU_REQUEST,
    MEMORY: DEFAULT_MEMORY_REQUEST,
}


def amount(name: str, value: object) -> int:
    """A quantity as the scheduler counts it: millicores for CPU, units otherwise.

    >>> amount("cpu", "1500m"), amount("memory", "1Gi"), amount("cpu", "bogus")
    (1500, 1073741824, 0)
    """
    return _amount(name == CPU, str(value))


@functools.lru_cache(maxsize=4096)
def _amount(milli: bool, text: str) -> int:
    # Memoized: every pod event parses its requests again, and they repeat endlessly.
    try:
        quantity = parse_quantity(text)
    except QuantityParseError:
        return 0
    return quantity.milli_value() if milli else quantity.value()


def is_scalar_resource_name(name: str) -> bool:
    """Extended, hugepages, prefixed native or attachable-volumes resources.

    >>> [is_scalar_resource_name(n) for n in ("cpu", "example.com/gpu", "hugepages-2Mi")]
    [False, True, True]
    """
    if name.startswith(("hugepages-", "attachable-volumes-")):
        return True
    if "kubernetes.io/" in name:
        return True
    if "/" not in name or name.startswith("requests."):
        return False
    return not is_qualified_name("requests." + name)


@dataclass(slots=True)
class Resource:
    """A vector of resource amounts (upstream ``framework.Resource``)."""

    milli_cpu: int = 0
    memory: int = 0
    ephemeral_storage: int = 0
    allowed_pod_number: int = 0
    scalar: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_amounts(cls, amounts: Mapping[str, int]) -> Resource:
        """A resource from already converted amounts (see ``pod_requests``)."""
        resource = cls()
        resource.add_amounts(amounts)
        return resource

    @classmethod
    def from_list(cls, resource_list: Mapping[str, Any] | None) -> Resource:
        """A resource from a ``ResourceList`` (``{"cpu": "2", "pods": "110"}``)."""
        return cls.from_amounts(
            {name: amount(name, value) for name, value in (resource_list or {}).items()}
        )

    def add_amounts(self, amounts: Mapping[str, int]) -> None:
        """Add converted amounts; unknown non-scalar names are ignored, as upstream."""
        for name, value in amounts.items():
            if name == CPU:
                self.milli_cpu += value
            elif name == MEMORY:
                self.memory += value
            elif name == EPHEMERAL_STORAGE:
                self.ephemeral_storage += value
            elif name == PODS:
                self.allowed_pod_number += value
            elif is_scalar_resource_name(name):
                self.scalar[name] = self.scalar.get(name, 0) + value

    def add(self, other: Resource, sign: int = 1) -> None:
        """Add (or, with ``sign=-1``, subtract) another vector in place."""
        self.milli_cpu += sign * other.milli_cpu
        self.memory += sign * other.memory
        self.ephemeral_storage += sign * other.ephemeral_storage
        for name, value in other.scalar.items():
            self.scalar[name] = self.scalar.get(name, 0) + sign * value

    def get(self, name: str) -> int:
        """The amount of one resource by name."""
        if name == CPU:
            return self.milli_cpu
        if name == MEMORY:
            return self.memory
        if name == EPHEMERAL_STORAGE:
            return self.ephemeral_storage
        if name == PODS:
            return self.allowed_pod_number
        return self.scalar.get(name, 0)

    def is_zero(self) -> bool:
        """True when nothing but (possibly) a pod count is requested."""
        return not (
            self.milli_cpu or self.memory or self.ephemeral_storage or any(self.scalar.values())
        )

    def clone(self) -> Resource:
        """An independent copy."""
        return Resource(
            self.milli_cpu,
            self.memory,
            self.ephemeral_storage,
            self.allowed_pod_number,
            dict(self.scalar),
        )


def _container_requests(
    container: Mapping[str, Any], non_missing: Mapping[str, int] | None
) -> dict[str, int]:
    requests: Mapping[str, Any] = (container.get("resources") or {}).get("requests") or {}
    amounts = {name: amount(name, value) for name, value in requests.items()}
    if non_missing:
        for name, value in non_missing.items():
            # An explicit request, even zero, is kept; only a missing one is defaulted.
            if name not in amounts:
                amounts[name] = value
    return amounts


def _add_into(total: dict[str, int], amounts: Mapping[str, int]) -> None:
    for name, value in amounts.items():
        total[name] = total.get(name, 0) + value


def _max_into(total: dict[str, int], amounts: Mapping[str, int]) -> None:
    for name, value in amounts.items():
        total[name] = max(total.get(name, value), value)


def pod_requests(spec: Mapping[str, Any], *, non_zero: bool = False) -> dict[str, int]:
    """The pod's effective requests by resource name (see the module docstring).

    ``non_zero`` defaults missing CPU/memory container requests as scoring does.

    >>> spec = {
    ...     "initContainers": [{"resources": {"requests": {"cpu": "2"}}}],
    ...     "containers": [{"resources": {"requests": {"cpu": "500m"}}}, {}],
    ...     "overhead": {"cpu": "100m"},
    ... }
    >>> pod_requests(spec), pod_requests(spec, non_zero=True)["cpu"]
    ({'cpu': 2100}, 2100)
    """
    non_missing = _NON_MISSING if non_zero else None
    total: dict[str, int] = {}
    containers: Iterable[Mapping[str, Any]] = spec.get("containers") or ()
    for container in containers:
        _add_into(total, _container_requests(container, non_missing))
    sidecars: dict[str, int] = {}
    init_peak: dict[str, int] = {}
    init_containers: Iterable[Mapping[str, Any]] = spec.get("initContainers") or ()
    for container in init_containers:
        amounts = _container_requests(container, non_missing)
        if container.get("restartPolicy") == "Always":
            _add_into(total, amounts)
            _add_into(sidecars, amounts)
            running = dict(sidecars)
        else:
            running = dict(amounts)
            _add_into(running, sidecars)
        _max_into(init_peak, running)
    _max_into(total, init_peak)
    overhead: Mapping[str, Any] = spec.get("overhead") or {}
    _add_into(total, {name: amount(name, value) for name, value in overhead.items()})
    return total
