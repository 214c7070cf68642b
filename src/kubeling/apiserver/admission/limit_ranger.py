"""The LimitRanger admission plugin (``plugin/pkg/admission/limitranger``).

It reads the LimitRanges of the object's namespace and, for pods created
(not updated: their containers' resources are immutable) and claims created
or updated (never a subresource, never an object being deleted):

- mutating: every container and init container gets, for each resource it
  does not set, the ``default`` limit and ``defaultRequest`` of each
  ``Container`` limit; the pod is then annotated ``kubernetes.io/limit-ranger:
  LimitRanger plugin set: cpu, memory request for container web; ...``;
- validating: ``min``, ``max`` and ``maxLimitRequestRatio`` of ``Container``
  limits per container, of ``Pod`` limits over the whole pod (its effective
  requests and limits, sidecars and init containers counted as the scheduler
  counts them), and ``min``/``max`` of ``PersistentVolumeClaim`` limits on a
  claim's storage request, all with Kubernetes' messages, one 403 for all of
  them (``pods "x" is forbidden: minimum cpu usage per Container is 100m, but
  request is 50m``).

Values are compared in milli-units when they fit (as upstream does), so
``100m`` and ``0.1`` are the same amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.podresources import ResourceList, pod_limits, pod_requests, resource_list
from kubeling.api.quantity import Quantity
from kubeling.apiserver.admission.errors import aggregate, forbidden
from kubeling.apiserver.admission.interfaces import CREATE, UPDATE, AdmissionPlugin, Attributes
from kubeling.apiserver.admission.lookup import ObjectReader

__all__ = [
    "LIMIT_RANGER_ANNOTATION",
    "NAME",
    "LimitRanger",
    "mutate_pod",
    "validate_claim",
    "validate_pod",
]

NAME: Final = "LimitRanger"
LIMIT_RANGER_ANNOTATION: Final = "kubernetes.io/limit-ranger"
CONTAINER: Final = "Container"
POD: Final = "Pod"
CLAIM: Final = "PersistentVolumeClaim"
#: ``resource.MaxMilliValue``: past it, values are compared in whole units.
_MAX_MILLI_VALUE: Final = (2**63 - 1) // 1000

Obj = dict[str, Any]


def _limits_of(limit_range: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    limits = (limit_range.get("spec") or {}).get("limits")
    return (
        [item for item in limits if isinstance(item, Mapping)] if isinstance(limits, list) else []
    )


def _containers(spec: Mapping[str, Any], field: str) -> list[Obj]:
    items = spec.get(field)
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


# -- defaults -------------------------------------------------------------------


def _container_defaults(limit_range: Mapping[str, Any]) -> tuple[Obj, Obj]:
    """(default requests, default limits) of the range's Container limits."""
    requests: Obj = {}
    limits: Obj = {}
    for limit in _limits_of(limit_range):
        if limit.get("type") == CONTAINER:
            requests.update(limit.get("defaultRequest") or {})
            limits.update(limit.get("default") or {})
    return requests, limits


def mutate_pod(pod: Obj, limit_range: Mapping[str, Any]) -> None:
    """Apply one LimitRange's container defaults to ``pod`` and annotate it
    (``PodMutateLimitFunc``)."""
    requests, limits = _container_defaults(limit_range)
    spec = pod.get("spec")
    if not isinstance(spec, dict) or not (requests or limits):
        return
    notes: list[str] = []
    for field, what in (("containers", "container"), ("initContainers", "init container")):
        for container in _containers(spec, field):
            resources = container.get("resources")
            if not isinstance(resources, dict):
                resources = container["resources"] = {}
            set_requests = _fill(resources, "requests", requests)
            set_limits = _fill(resources, "limits", limits)
            name = container.get("name", "")
            if set_requests:
                notes.append(f"{', '.join(set_requests)} request for {what} {name}")
            if set_limits:
                notes.append(f"{', '.join(set_limits)} limit for {what} {name}")
    if notes:
        meta = pod.setdefault("metadata", {})
        annotations = meta.get("annotations")
        if not isinstance(annotations, dict):
            annotations = meta["annotations"] = {}
        annotations[LIMIT_RANGER_ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


def _fill(resources: Obj, field: str, defaults: Mapping[str, Any]) -> list[str]:
    """Set the defaults ``resources[field]`` lacks; their sorted names."""
    current = resources.get(field)
    if not isinstance(current, dict):
        current = {}
    missing = sorted(name for name in defaults if name not in current)
    if missing:
        resources[field] = {**current, **{name: defaults[name] for name in missing}}
    return missing


# -- constraints ----------------------------------------------------------------


def _comparable(*quantities: Quantity | None) -> list[int]:
    """The values at a common precision: milli-units unless one would overflow."""
    values = [q.value() if q is not None else 0 for q in quantities]
    if all(v <= _MAX_MILLI_VALUE for v in values):
        return [q.milli_value() if q is not None else 0 for q in quantities]
    return values


def _min(
    kind: str, name: str, enforced: Quantity, req: ResourceList, lim: ResourceList
) -> str | None:
    request, limit = req.get(name), lim.get(name)
    observed_req, observed_lim, floor = _comparable(request, limit, enforced)
    if request is None:
        return f"minimum {name} usage per {kind} is {enforced}.  No request is specified"
    if observed_req < floor:
        return f"minimum {name} usage per {kind} is {enforced}, but request is {request}"
    if limit is not None and observed_lim < floor:
        return f"minimum {name} usage per {kind} is {enforced}, but limit is {limit}"
    return None


def _max(
    kind: str, name: str, enforced: Quantity, req: ResourceList, lim: ResourceList
) -> str | None:
    request, limit = req.get(name), lim.get(name)
    observed_req, observed_lim, ceiling = _comparable(request, limit, enforced)
    if limit is None:
        return f"maximum {name} usage per {kind} is {enforced}.  No limit is specified"
    if observed_lim > ceiling:
        return f"maximum {name} usage per {kind} is {enforced}, but limit is {limit}"
    if request is not None and observed_req > ceiling:
        return f"maximum {name} usage per {kind} is {enforced}, but request is {request}"
    return None


def _max_request(kind: str, name: str, enforced: Quantity, req: ResourceList) -> str | None:
    """``max`` where only a request is set (a claim's storage)."""
    request = req.get(name)
    observed_req, _, ceiling = _comparable(request, None, enforced)
    if request is None:
        return f"maximum {name} usage per {kind} is {enforced}.  No request is specified"
    if observed_req > ceiling:
        return f"maximum {name} usage per {kind} is {enforced}, but request is {request}"
    return None


def _ratio(
    kind: str, name: str, enforced: Quantity, req: ResourceList, lim: ResourceList
) -> str | None:
    request, limit = req.get(name), lim.get(name)
    observed_req, observed_lim, _ = _comparable(request, limit, enforced)
    if request is None or observed_req == 0:
        return (
            f"{name} max limit to request ratio per {kind} is {enforced}, but no request is "
            "specified or request is 0"
        )
    if limit is None or observed_lim == 0:
        return (
            f"{name} max limit to request ratio per {kind} is {enforced}, but no limit is "
            "specified or limit is 0"
        )
    observed = observed_lim / observed_req
    shown = observed
    allowed = float(enforced.value())
    if enforced.value() <= _MAX_MILLI_VALUE:
        observed *= 1000
        allowed = float(enforced.milli_value())
    if observed > allowed:
        return (
            f"{name} max limit to request ratio per {kind} is {enforced}, but provided ratio "
            f"is {shown:f}"
        )
    return None


def _check(kind: str, limit: Mapping[str, Any], req: ResourceList, lim: ResourceList) -> list[str]:
    problems: list[str] = []
    for field, check in (("min", _min), ("max", _max), ("maxLimitRequestRatio", _ratio)):
        for name, enforced in sorted(resource_list(limit.get(field)).items()):
            problem = check(kind, name, enforced, req, lim)
            if problem:
                problems.append(problem)
    return problems


def _container_amounts(container: Mapping[str, Any]) -> tuple[ResourceList, ResourceList]:
    resources = container.get("resources") or {}
    if not isinstance(resources, Mapping):
        return {}, {}
    return resource_list(resources.get("requests")), resource_list(resources.get("limits"))


def validate_pod(pod: Mapping[str, Any], limit_range: Mapping[str, Any]) -> list[str]:
    """Every way ``pod`` breaks one LimitRange (``PodValidateLimitFunc``)."""
    spec = pod.get("spec")
    if not isinstance(spec, Mapping):
        return []
    problems: list[str] = []
    for limit in _limits_of(limit_range):
        if limit.get("type") == CONTAINER:
            for field in ("containers", "initContainers"):
                for container in _containers(spec, field):
                    req, lim = _container_amounts(container)
                    problems.extend(_check(CONTAINER, limit, req, lim))
        elif limit.get("type") == POD:
            # the pod's own amounts, without its overhead
            without_overhead = {k: v for k, v in spec.items() if k != "overhead"}
            problems.extend(
                _check(POD, limit, pod_requests(without_overhead), pod_limits(without_overhead))
            )
    return problems


def validate_claim(claim: Mapping[str, Any], limit_range: Mapping[str, Any]) -> list[str]:
    """Every way ``claim``'s requests break one LimitRange
    (``PersistentVolumeClaimValidateLimitFunc``)."""
    spec = claim.get("spec")
    resources = spec.get("resources") if isinstance(spec, Mapping) else None
    requests = resource_list(resources.get("requests") if isinstance(resources, Mapping) else None)
    problems: list[str] = []
    for limit in _limits_of(limit_range):
        if limit.get("type") != CLAIM:
            continue
        for name, enforced in sorted(resource_list(limit.get("min")).items()):
            problem = _min(CLAIM, name, enforced, requests, {})
            if problem:
                problems.append(problem)
        for name, enforced in sorted(resource_list(limit.get("max")).items()):
            problem = _max_request(CLAIM, name, enforced, requests)
            if problem:
                problems.append(problem)
    return problems


class LimitRanger(AdmissionPlugin):
    """Container defaults, and min/max/ratio limits of pods and claims."""

    name = NAME
    operations = frozenset({CREATE, UPDATE})

    def __init__(self, limit_ranges: ObjectReader) -> None:
        self._ranges = limit_ranges

    def handles(self, attributes: Attributes) -> bool:
        if attributes.subresource or attributes.group or attributes.obj is None:
            return False
        if attributes.resource == "pods":
            return attributes.operation == CREATE
        return attributes.resource == "persistentvolumeclaims" and attributes.operation in (
            CREATE,
            UPDATE,
        )

    async def _ranges_for(self, attributes: Attributes) -> list[Obj]:
        old = attributes.old_obj
        if old is not None and (old.get("metadata") or {}).get("deletionTimestamp"):
            return []  # objects being deleted are left alone
        return await self._ranges.list(attributes.namespace)

    async def admit(self, attributes: Attributes) -> None:
        if attributes.resource != "pods":
            return
        assert attributes.obj is not None
        for limit_range in await self._ranges_for(attributes):
            mutate_pod(attributes.obj, limit_range)

    async def validate(self, attributes: Attributes) -> None:
        obj = attributes.obj
        assert obj is not None
        check = validate_pod if attributes.resource == "pods" else validate_claim
        for limit_range in await self._ranges_for(attributes):
            problems = check(obj, limit_range)
            if problems:
                raise forbidden(attributes, aggregate(problems))
