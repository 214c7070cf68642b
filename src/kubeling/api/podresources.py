"""What a pod requests and limits, summed over its containers, as exact quantities.

Kubernetes' ``pkg/api/v1/resource`` (``PodRequests``/``PodLimits``), which
ResourceQuota, LimitRange and the kubelet share. With sidecars (init
containers with ``restartPolicy: Always``):

* regular containers run together: their amounts add up;
* a sidecar keeps running, so it is added to that sum too;
* an ordinary init container runs alone next to the sidecars started before
  it, so the pod needs at least ``that container + those sidecars``;
* the pod's amount is the larger of the two, per resource;
* ``spec.overhead`` is added to every request, and to a limit only where the
  pod has one.

Quantities keep their format as upstream's ``Quantity.Add`` does (the first
non-zero operand's), so ``100Mi`` + ``200Mi`` is ``300Mi``. A value that does not
parse (the API server never stores one) is left out.

>>> spec = {"containers": [{"resources": {"requests": {"cpu": "250m"}}},
...                        {"resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}}],
...         "initContainers": [{"resources": {"requests": {"cpu": "1"}}}]}
>>> {name: str(q) for name, q in pod_requests(spec).items()}
{'cpu': '1', 'memory': '64Mi'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubeling.api.quantity import Quantity, QuantityParseError, parse_quantity

__all__ = ["ResourceList", "add_into", "pod_limits", "pod_requests", "resource_list"]

ResourceList = dict[str, Quantity]


def resource_list(raw: object) -> ResourceList:
    """A ``ResourceList`` as decoded JSON (``{"cpu": "1"}``) parsed; bad values left out."""
    out: ResourceList = {}
    if not isinstance(raw, Mapping):
        return out
    for name, value in raw.items():
        try:
            out[str(name)] = parse_quantity(str(value))
        except QuantityParseError:
            continue
    return out


def add_into(total: ResourceList, amounts: Mapping[str, Quantity]) -> None:
    """``total += amounts``, per resource (upstream ``addResourceList``)."""
    for name, value in amounts.items():
        total[name] = total[name] + value if name in total else value


def _max_into(total: ResourceList, amounts: Mapping[str, Quantity]) -> None:
    for name, value in amounts.items():
        if name not in total or value.cmp(total[name]) > 0:
            total[name] = value


def _container_amounts(container: object, field: str) -> ResourceList:
    if not isinstance(container, Mapping):
        return {}
    resources = container.get("resources")
    return resource_list(resources.get(field) if isinstance(resources, Mapping) else None)


def _aggregate(spec: Mapping[str, Any], field: str) -> ResourceList:
    total: ResourceList = {}
    for container in spec.get("containers") or ():
        add_into(total, _container_amounts(container, field))
    sidecars: ResourceList = {}
    init_floor: ResourceList = {}
    for container in spec.get("initContainers") or ():
        amounts = _container_amounts(container, field)
        if isinstance(container, Mapping) and container.get("restartPolicy") == "Always":
            add_into(total, amounts)
            add_into(sidecars, amounts)
            needed = dict(sidecars)
        else:
            needed = dict(amounts)
            add_into(needed, sidecars)
        _max_into(init_floor, needed)
    _max_into(total, init_floor)
    return total


def pod_requests(spec: Mapping[str, Any]) -> ResourceList:
    """The pod's effective requests by resource name, overhead included."""
    total = _aggregate(spec, "requests")
    add_into(total, resource_list(spec.get("overhead")))
    return total


def pod_limits(spec: Mapping[str, Any]) -> ResourceList:
    """The pod's effective limits; overhead is added only to resources it limits."""
    total = _aggregate(spec, "limits")
    for name, value in resource_list(spec.get("overhead")).items():
        if name in total:
            total[name] = total[name] + value
    return total
