"""What a namespace uses, as a ResourceQuota counts it: shared by the controller and admission.

Kubernetes' quota evaluators (``pkg/quota/v1/evaluator/core`` and
``apiserver/pkg/quota/v1/generic``), over objects as the API returns them:

- **pods**: ``pods``, ``count/pods``, ``cpu``/``requests.cpu``, ``limits.cpu``, the
  same for ``memory`` and ``ephemeral-storage``, ``hugepages-*`` and
  ``requests.hugepages-*``, and ``requests.<extended resource>``. Amounts are
  the pod's effective requests and limits (:mod:`kubeling.api.podresources`).
  A pod that finished (``Succeeded``/``Failed``), or whose deletion is past
  its grace period twice over, counts only in ``count/pods``.
- **services**: ``services``, ``count/services``, ``services.loadbalancers``, and
  ``services.nodeports`` (one per port of a NodePort or LoadBalancer service;
  with ``allocateLoadBalancerNodePorts: false`` only the ports given a node port).
- **persistentvolumeclaims**: ``persistentvolumeclaims``,
  ``count/persistentvolumeclaims``, ``requests.storage`` (the request, or the
  larger allocated size, rounded up to whole bytes), and per class
  ``<class>.storageclass.storage.k8s.io/requests.storage`` and
  ``.../persistentvolumeclaims``.
- **everything else**: ``count/<resource>.<group>`` (``count/<resource>`` in the
  core group), plus the legacy names ``configmaps``, ``secrets``,
  ``replicationcontrollers`` and ``resourcequotas``.

The ResourceQuota controller sums these over a namespace
(:func:`calculate_usage`); the ResourceQuota admission plugin charges one
object's usage as it is written (:meth:`Evaluator.handles` says on which
operations, :meth:`Evaluator.constraints` what a pod must declare).

Scopes (``spec.scopes`` and ``spec.scopeSelector``) select pods only:
``Terminating`` (``activeDeadlineSeconds`` set), ``NotTerminating``,
``BestEffort`` (QoS class, as the API server recorded it in
``status.qosClass``), ``NotBestEffort``, ``PriorityClass`` (a label-selector
expression over the pod's ``priorityClassName``) and
``CrossNamespacePodAffinity``. Any other evaluator matches no scope, so a
scoped quota counts only pods.

>>> pods = PodEvaluator()
>>> usage = calculate_usage(
...     hard_names=["pods", "requests.cpu", "count/pods"], scopes=[], scope_selector=None,
...     evaluators=[pods],
...     objects_of=lambda gr: [{"spec": {"containers": [
...         {"resources": {"requests": {"cpu": "250m"}}}]}, "status": {}}] * 2)
>>> {name: str(q) for name, q in sorted(usage.items())}
{'count/pods': '2', 'pods': '2', 'requests.cpu': '500m'}
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from kubeling.api import labels
from kubeling.api.groupversion import GroupResource
from kubeling.api.naming import is_qualified_name
from kubeling.api.podresources import ResourceList, add_into, pod_limits, pod_requests
from kubeling.api.quantity import Quantity
from kubeling.api.quota.resources import parse_resource_list
from kubeling.api.storage.classes import claim_class

__all__ = [
    "Evaluator",
    "ObjectCountEvaluator",
    "PersistentVolumeClaimEvaluator",
    "PodEvaluator",
    "ServiceEvaluator",
    "calculate_usage",
    "evaluator_for",
    "in_scopes",
    "object_count_name",
]

Obj = Mapping[str, Any]
Clock = Callable[[], datetime.datetime]

PODS: Final = GroupResource("", "pods")
SERVICES: Final = GroupResource("", "services")
CLAIMS: Final = GroupResource("", "persistentvolumeclaims")
#: Resources counted under their bare plural as well as ``count/...``.
LEGACY_COUNTED: Final = frozenset(
    GroupResource("", plural)
    for plural in ("configmaps", "secrets", "replicationcontrollers", "resourcequotas")
)
STORAGE_CLASS_SUFFIX: Final = ".storageclass.storage.k8s.io/"
_ONE: Final = Quantity(1)
_ZERO: Final = Quantity(0)


def object_count_name(group_resource: GroupResource) -> str:
    """``count/pods``, ``count/deployments.apps``."""
    return f"count/{group_resource}"


def _meta(obj: Obj) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _spec(obj: Obj) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


class Evaluator:
    """How one resource uses quota: which names it tracks, scopes, one object's usage."""

    def __init__(self, group_resource: GroupResource, names: Sequence[str]) -> None:
        self.group_resource = group_resource
        self.names = tuple(names)

    def matching_resources(self, names: Iterable[str]) -> list[str]:
        """The quota resource names, among ``names``, that this evaluator counts."""
        return [name for name in names if name in self.names]

    def matches_scope(self, requirement: Mapping[str, Any], obj: Obj) -> bool:
        """Whether ``obj`` is in a scope (``{"scopeName", "operator", "values"}``)."""
        return False

    def handles(self, operation: str) -> bool:
        """Whether a write with ``operation`` can change usage (``Evaluator.Handles``):
        an object count changes only when objects are created."""
        return operation == "CREATE"

    def constraints(self, required: Iterable[str], obj: Obj) -> str:
        """Why ``obj`` cannot be charged to a quota on ``required`` ("" if it can)."""
        return ""

    def usage(self, obj: Obj) -> ResourceList:
        """What one object uses."""
        return dict.fromkeys(self.names, _ONE)


class ObjectCountEvaluator(Evaluator):
    """One per object: ``count/<resource>.<group>`` (and a legacy bare name)."""

    def __init__(self, group_resource: GroupResource, *, alias: str = "") -> None:
        names = [object_count_name(group_resource)] + ([alias] if alias else [])
        super().__init__(group_resource, names)


# -- pods -------------------------------------------------------------------------------

_POD_NAMES: Final = (
    object_count_name(PODS),
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
)


#: What a pod's containers must each declare when a quota limits it.
_CONSTRAINED: Final = frozenset(
    ("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory")
)


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _is_extended(name: str) -> bool:
    """``helper.IsExtendedResourceName``: a qualified, non-native name."""
    if _is_native(name) or name.startswith("requests."):
        return False
    return not is_qualified_name(f"requests.{name}")


def _parse_time(value: object) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _cross_namespace(terms: Iterable[Mapping[str, Any]]) -> bool:
    return any(bool(t.get("namespaces")) or t.get("namespaceSelector") is not None for t in terms)


def uses_cross_namespace_affinity(pod: Obj) -> bool:
    """Any pod (anti-)affinity term naming namespaces or a namespace selector."""
    affinity = _spec(pod).get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        rules = affinity.get(kind) or {}
        required = rules.get("requiredDuringSchedulingIgnoredDuringExecution") or ()
        preferred = rules.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
        if _cross_namespace(required) or _cross_namespace(
            w.get("podAffinityTerm") or {} for w in preferred
        ):
            return True
    return False


class PodEvaluator(Evaluator):
    """Pods: object count, compute resources while not finished, and pod scopes."""

    def __init__(self, now: Clock | None = None) -> None:
        super().__init__(PODS, _POD_NAMES)
        self._now = now or (lambda: datetime.datetime.now(datetime.UTC))

    def matching_resources(self, names: Iterable[str]) -> list[str]:
        return [
            name
            for name in names
            if name in self.names
            or name.startswith(("hugepages-", "requests.hugepages-"))
            or (not _is_native(name) and name.startswith("requests."))
        ]

    def is_charged(self, pod: Obj) -> bool:
        """``QuotaV1Pod``: not finished, and not stuck terminating past its grace."""
        if (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
            return False
        meta = _meta(pod)
        deleted = _parse_time(meta.get("deletionTimestamp"))
        grace = meta.get("deletionGracePeriodSeconds")
        return not (
            deleted is not None
            and isinstance(grace, int)
            and self._now() > deleted + datetime.timedelta(seconds=grace)
        )

    def matches_scope(self, requirement: Mapping[str, Any], obj: Obj) -> bool:
        scope = requirement.get("scopeName")
        spec = _spec(obj)
        if scope in ("Terminating", "NotTerminating"):
            deadline = spec.get("activeDeadlineSeconds")
            terminating = isinstance(deadline, int) and deadline >= 0
            return terminating if scope == "Terminating" else not terminating
        if scope in ("BestEffort", "NotBestEffort"):
            best_effort = (obj.get("status") or {}).get("qosClass") == "BestEffort"
            return best_effort if scope == "BestEffort" else not best_effort
        if scope == "PriorityClass":
            name = str(spec.get("priorityClassName") or "")
            if requirement.get("operator") == "Exists":
                return bool(name)
            return _scope_selector(requirement).matches({"PriorityClass": name} if name else {})
        if scope == "CrossNamespacePodAffinity":
            return uses_cross_namespace_affinity(obj)
        return False

    def constraints(self, required: Iterable[str], obj: Obj) -> str:
        """A quota on cpu or memory needs every container to declare it (upstream keeps
        this for backward compatibility): ``must specify limits.cpu for: a,b``."""
        wanted = set(required) & _CONSTRAINED
        missing: dict[str, set[str]] = {}
        spec = _spec(obj)
        for kind in ("containers", "initContainers"):
            for container in spec.get(kind) or ():
                if not isinstance(container, Mapping):
                    continue
                resources = container.get("resources")
                resources = resources if isinstance(resources, Mapping) else {}
                declared = _compute_usage(
                    parse_resource_list(resources.get("requests")),
                    parse_resource_list(resources.get("limits")),
                )
                for name in wanted - set(declared):
                    missing.setdefault(name, set()).add(str(container.get("name") or ""))
        return "; ".join(
            f"must specify {name} for: {','.join(sorted(containers))}"
            for name, containers in sorted(missing.items())
        )

    def usage(self, obj: Obj) -> ResourceList:
        result: ResourceList = {object_count_name(PODS): _ONE}
        if not self.is_charged(obj):
            return result
        add_into(result, _compute_usage(pod_requests(_spec(obj)), pod_limits(_spec(obj))))
        return result


def _compute_usage(requests: ResourceList, limits: ResourceList) -> ResourceList:
    """``podComputeUsageHelper``."""
    result: ResourceList = {"pods": _ONE}
    for name in ("cpu", "memory", "ephemeral-storage"):
        if name in requests:
            result[name] = requests[name]
            result[f"requests.{name}"] = requests[name]
        if name in limits:
            result[f"limits.{name}"] = limits[name]
    for name, amount in requests.items():
        if name.startswith("hugepages-"):
            result[name] = amount
            result[f"requests.{name}"] = amount
        if _is_extended(name):
            result[f"requests.{name}"] = amount
    return result


def _scope_selector(requirement: Mapping[str, Any]) -> labels.Selector:
    """A scope selector expression as a label selector over ``{scopeName: value}``."""
    expression = {
        "key": str(requirement.get("scopeName") or ""),
        "operator": requirement.get("operator"),
        "values": list(requirement.get("values") or ()),
    }
    try:
        return labels.label_selector_as_selector({"matchExpressions": [expression]})
    except labels.SelectorParseError:
        return labels.nothing()


# -- services ---------------------------------------------------------------------------


class ServiceEvaluator(Evaluator):
    """Services: object count, load balancers, node ports."""

    def __init__(self) -> None:
        super().__init__(
            SERVICES,
            (
                object_count_name(SERVICES),
                "services",
                "services.nodeports",
                "services.loadbalancers",
            ),
        )

    def handles(self, operation: str) -> bool:
        # a service's type (and so its node ports and load balancers) can change
        return operation in ("CREATE", "UPDATE")

    def usage(self, obj: Obj) -> ResourceList:
        spec = _spec(obj)
        ports = [p for p in spec.get("ports") or () if isinstance(p, Mapping)]
        result: ResourceList = {
            object_count_name(SERVICES): _ONE,
            "services": _ONE,
            "services.loadbalancers": _ZERO,
            "services.nodeports": _ZERO,
        }
        kind = spec.get("type")
        if kind == "NodePort":
            result["services.nodeports"] = Quantity(len(ports))
        elif kind == "LoadBalancer":
            if spec.get("allocateLoadBalancerNodePorts") is False:
                result["services.nodeports"] = Quantity(sum(1 for p in ports if p.get("nodePort")))
            else:
                result["services.nodeports"] = Quantity(len(ports))
            result["services.loadbalancers"] = _ONE
        return result


def service_quota_type(service: Obj) -> str:
    """The type that matters to quota: ``NodePort``, ``LoadBalancer`` or ``""``."""
    kind = _spec(service).get("type")
    return str(kind) if kind in ("NodePort", "LoadBalancer") else ""


# -- persistent volume claims -----------------------------------------------------------


def _round_up_bytes(amount: Quantity) -> Quantity:
    whole = amount.value()
    return amount if Quantity(whole).cmp(amount) == 0 else Quantity(whole, 0, amount.format)


def claim_storage(claim: Obj) -> Quantity | None:
    """The storage a claim is charged: its request, or its larger allocated size."""
    requests = parse_resource_list((_spec(claim).get("resources") or {}).get("requests"))
    if "storage" not in requests:
        return None
    result = _round_up_bytes(requests["storage"])
    allocated = parse_resource_list((claim.get("status") or {}).get("allocatedResources"))
    if "storage" in allocated and allocated["storage"].cmp(result) > 0:
        result = _round_up_bytes(allocated["storage"])
    return result


def allocated_storage(claim: Obj) -> str | None:
    """``status.allocatedResources.storage`` as written (its change replenishes quota)."""
    allocated = (claim.get("status") or {}).get("allocatedResources") or {}
    value = allocated.get("storage") if isinstance(allocated, Mapping) else None
    return None if value is None else str(value)


class PersistentVolumeClaimEvaluator(Evaluator):
    """Claims: count, storage, and both per StorageClass."""

    def __init__(self) -> None:
        super().__init__(
            CLAIMS, (object_count_name(CLAIMS), "persistentvolumeclaims", "requests.storage")
        )

    def matching_resources(self, names: Iterable[str]) -> list[str]:
        by_class = tuple(
            STORAGE_CLASS_SUFFIX + name for name in ("persistentvolumeclaims", "requests.storage")
        )
        return [name for name in names if name in self.names or name.endswith(by_class)]

    def handles(self, operation: str) -> bool:
        # a claim's request can grow (volume expansion)
        return operation in ("CREATE", "UPDATE")

    def usage(self, obj: Obj) -> ResourceList:
        result: ResourceList = {
            "persistentvolumeclaims": _ONE,
            object_count_name(CLAIMS): _ONE,
        }
        storage_class = claim_class(obj)
        if storage_class:
            result[f"{storage_class}{STORAGE_CLASS_SUFFIX}persistentvolumeclaims"] = _ONE
        storage = claim_storage(obj)
        if storage is not None:
            result["requests.storage"] = storage
            if storage_class:
                result[f"{storage_class}{STORAGE_CLASS_SUFFIX}requests.storage"] = storage
        return result


# -- putting it together ----------------------------------------------------------------


def evaluator_for(group_resource: GroupResource, *, now: Clock | None = None) -> Evaluator:
    """The evaluator of a resource: a dedicated one, or an object count."""
    if group_resource == PODS:
        return PodEvaluator(now)
    if group_resource == SERVICES:
        return ServiceEvaluator()
    if group_resource == CLAIMS:
        return PersistentVolumeClaimEvaluator()
    alias = group_resource.resource if group_resource in LEGACY_COUNTED else ""
    return ObjectCountEvaluator(group_resource, alias=alias)


def in_scopes(
    evaluator: Evaluator,
    obj: Obj,
    scopes: Sequence[str],
    scope_selector: Mapping[str, Any] | None,
) -> bool:
    """Whether ``obj`` is in every scope of a quota (``spec.scopes`` and the
    ``spec.scopeSelector`` expressions); a quota without scopes takes everything."""
    for scope in scopes:
        if not evaluator.matches_scope({"scopeName": scope, "operator": "Exists"}, obj):
            return False
    for requirement in (scope_selector or {}).get("matchExpressions") or ():
        if not evaluator.matches_scope(requirement, obj):
            return False
    return True


def calculate_usage(
    *,
    hard_names: Iterable[str],
    scopes: Sequence[str],
    scope_selector: Mapping[str, Any] | None,
    evaluators: Iterable[Evaluator],
    objects_of: Callable[[GroupResource], Iterable[Obj]],
) -> ResourceList:
    """What the namespace's objects use of every hard name some evaluator counts.

    ``objects_of`` gives the namespace's objects of a resource. Every counted
    name is present, zero when nothing uses it (``quota.CalculateUsage``).
    """
    hard = list(hard_names)
    evaluators = list(evaluators)
    matched = [name for name in hard if any(e.matching_resources([name]) for e in evaluators)]
    used: ResourceList = {}
    for evaluator in evaluators:
        names = evaluator.matching_resources(matched)
        if not names:
            continue
        stats: ResourceList = dict.fromkeys(names, _ZERO)
        for obj in objects_of(evaluator.group_resource):
            if in_scopes(evaluator, obj, scopes, scope_selector):
                add_into(stats, evaluator.usage(obj))
        add_into(used, stats)
    return {name: amount for name, amount in used.items() if name in matched}
