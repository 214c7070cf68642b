"""Strategies of the smaller built-in groups, and of CustomResourceDefinitions.

Each follows its 1.32 registry strategy and validation package, kept to the
rules clients meet in practice:

- coordination.k8s.io Lease: positive ``leaseDurationSeconds``.
- discovery.k8s.io EndpointSlice: ``addressType`` required, an enum, immutable.
- networking.k8s.io: Ingress (a backend or rules, ``pathType`` required and an
  enum, absolute paths, one service port, wildcard host rules), IngressClass
  (``spec.controller`` required and immutable), NetworkPolicy
  (``policyTypes`` defaulted from the rules).
- rbac.authorization.k8s.io: rules need verbs (and groups and resources, or
  only non-resource URLs); bindings need a valid ``roleRef`` that never
  changes, and valid subjects; names are path segments. Writes are refused
  when they would grant more than their writer holds
  (``authz.escalation``, given to the strategies by the API server).
- scheduling.k8s.io PriorityClass: the ``system-`` prefix and the 1e9 ceiling,
  ``value`` fixed after create.
- storage.k8s.io StorageClass: ``provisioner`` required; ``reclaimPolicy:
  Delete`` and ``volumeBindingMode: Immediate`` by default; the provisioner,
  parameters and policies fixed after create.
- policy PodDisruptionBudget and autoscaling/v2 HorizontalPodAutoscaler: the
  int-or-percent rules; the HPA's ``minReplicas: 1``, CPU-at-80% metric and
  behavior defaults.
- apiextensions.k8s.io CustomResourceDefinition: names (defaulted
  ``singular`` and ``listKind``), ``metadata.name == <plural>.<group>``, one
  storage version, a structural schema per version, immutable group and
  plural, the scale subresource's replica paths. A new CRD's status has only
  ``storedVersions``: the controllers in ``apiserver/customresources`` accept
  its names and establish it. The first delete keeps the CRD, adding the
  ``customresourcecleanup.apiextensions.k8s.io`` finalizer and the
  ``Terminating`` condition; the finalizing controller deletes its objects
  and then releases it. ``x-kubernetes-validations`` rules must compile.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

from kubeling.api import naming
from kubeling.api.conversion.autoscaling import drop_round_trip_annotations
from kubeling.api.field import (
    FieldError,
    FieldPath,
    forbidden,
    invalid,
    not_supported,
    required,
    too_long,
)
from kubeling.api.goformat import go_quote
from kubeling.apiserver.customresources import conditions as crd_conditions
from kubeling.apiserver.customresources.scale import validate_scale_subresource
from kubeling.apiserver.customresources.validation_rule_checks import crd_rule_errors
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import is_valid_port_name, required_one_of
from kubeling.apiserver.strategies.apps import (
    WorkloadStrategy,
    int_or_percent_value,
    validate_int_or_percent,
)
from kubeling.apiserver.strategies.govalues import GoValue, go_int_or_string
from kubeling.apiserver.strategies.podtemplates import (
    as_list,
    as_map,
    child_dict,
    is_int,
    nonnegative,
    selector_errors,
    semantic_equal,
    set_default,
)

__all__ = [
    "ClusterRoleBindingStrategy",
    "ClusterRoleStrategy",
    "CustomResourceDefinitionStrategy",
    "EndpointSliceStrategy",
    "HorizontalPodAutoscalerStrategy",
    "IngressClassStrategy",
    "IngressStrategy",
    "LeaseStrategy",
    "NetworkPolicyStrategy",
    "PodDisruptionBudgetStrategy",
    "PriorityClassStrategy",
    "RoleBindingStrategy",
    "RoleStrategy",
    "StorageClassStrategy",
]

if TYPE_CHECKING:
    from kubeling.apiserver.authz.escalation import EscalationGuard

Obj = dict[str, Any]

_SPEC: Final = FieldPath("spec")
_IMMUTABLE: Final = "field is immutable"


def _spec_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_map(obj.get("spec"))


def _immutable(new: object, old: object, path: FieldPath) -> list[FieldError]:
    if semantic_equal(new, old):
        return []
    return [invalid(path, new, _IMMUTABLE)]


# -- coordination.k8s.io -------------------------------------------------------


class LeaseStrategy(Strategy):
    """coordination.k8s.io/v1 Leases."""

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = _spec_of(obj)
        duration = spec.get("leaseDurationSeconds")
        if is_int(duration) and duration <= 0:
            errs.append(
                invalid(_SPEC.child("leaseDurationSeconds"), duration, "must be greater than 0")
            )
        errs.extend(nonnegative(spec.get("leaseTransitions"), _SPEC.child("leaseTransitions")))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced)


# -- discovery.k8s.io ------------------------------------------------------------

_ADDRESS_TYPES: Final = ("IPv4", "IPv6", "FQDN")


class EndpointSliceStrategy(Strategy):
    """discovery.k8s.io/v1 EndpointSlices."""

    tracks_generation = True

    def spec_changed(self, new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
        keys = ("addressType", "endpoints", "ports")
        old_labels = as_map(old.get("metadata")).get("labels")
        new_labels = as_map(new.get("metadata")).get("labels")
        return any(not semantic_equal(new.get(k), old.get(k)) for k in keys) or (
            not semantic_equal(new_labels, old_labels)
        )

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        address_type = obj.get("addressType", "")
        path = FieldPath("addressType")
        errs.extend(required_one_of(address_type, path, _ADDRESS_TYPES))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        errs.extend(
            _immutable(new.get("addressType"), old.get("addressType"), FieldPath("addressType"))
        )
        return errs


# -- networking.k8s.io -----------------------------------------------------------

_PATH_TYPES: Final = ("Exact", "ImplementationSpecific", "Prefix")
_WILDCARD_FMT: Final = r"\*\." + "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_WILDCARD_RE: Final = re.compile("^" + _WILDCARD_FMT + r"\Z")
_WILDCARD_MSG: Final = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, "
    "which must consist of lower case alphanumeric characters, '-' or '.' and end with an "
    "alphanumeric character"
)


def _backend_errors(backend: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    """``validateIngressBackend``."""
    service, resource = backend.get("service"), backend.get("resource")
    if service is not None and resource is not None:
        return [invalid(path, "", "cannot set both resource and service backends")]
    if resource is not None:
        res = as_map(resource)
        errs: list[FieldError] = []
        if not res.get("kind"):
            errs.append(required(path.child("resource", "kind"), ""))
        if not res.get("name"):
            errs.append(required(path.child("resource", "name"), ""))
        return errs
    if service is None:
        return [invalid(path, "", "resource or service must be specified")]
    svc = as_map(service)
    errs = []
    name = str(svc.get("name") or "")
    if not name:
        errs.append(required(path.child("service", "name"), ""))
    else:
        errs.extend(
            invalid(path.child("service", "name"), name, msg)
            for msg in naming.name_is_dns1035_label(name, prefix=False)
        )
    port = as_map(svc.get("port"))
    port_name, number = str(port.get("name") or ""), port.get("number") or 0
    if port_name and number:
        errs.append(invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        errs.extend(
            invalid(path.child("service", "port", "name"), port_name, msg)
            for msg in is_valid_port_name(port_name)
        )
    elif number:
        if not (is_int(number) and 1 <= number <= 65535):
            errs.append(
                invalid(
                    path.child("service", "port", "number"),
                    number,
                    "must be between 1 and 65535, inclusive",
                )
            )
    else:
        errs.append(required(path, "port name or number is required"))
    return errs


def _host_errors(host: str, path: FieldPath) -> list[FieldError]:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [invalid(path, host, "must be a DNS name, not an IP address")]
    if "*" in host:
        if _WILDCARD_RE.match(host) and len(host) <= naming.DNS1123_SUBDOMAIN_MAX_LENGTH:
            return []
        message = naming.regex_error(_WILDCARD_MSG, _WILDCARD_FMT, "*.example.com")
        return [invalid(path, host, message)]
    return [invalid(path, host, msg) for msg in naming.is_dns1123_subdomain(host)]


class IngressStrategy(WorkloadStrategy):
    """networking.k8s.io/v1 Ingresses."""

    initial_status: ClassVar[Mapping[str, Any]] = {"loadBalancer": {}}

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = _spec_of(obj)
        rules = spec.get("rules")
        default_backend = spec.get("defaultBackend")
        if not rules and default_backend is None:
            errs.append(
                invalid(
                    _SPEC,
                    GoValue("[]networking.IngressRule(nil)") if rules is None else rules,
                    "either `defaultBackend` or `rules` must be specified",
                )
            )
        if isinstance(default_backend, Mapping):
            errs.extend(_backend_errors(default_backend, _SPEC.child("defaultBackend")))
        for i, rule in enumerate(as_list(rules)):
            here = _SPEC.child("rules").index(i)
            host = str(as_map(rule).get("host") or "")
            if host:
                errs.extend(_host_errors(host, here.child("host")))
            http = as_map(rule).get("http")
            if http is None:
                continue
            paths = as_list(as_map(http).get("paths"))
            if not paths:
                errs.append(required(here.child("http", "paths"), ""))
            for j, item in enumerate(paths):
                errs.extend(self._path_errors(as_map(item), here.child("http", "paths").index(j)))
        class_name = spec.get("ingressClassName")
        if class_name is not None:
            errs.extend(
                invalid(_SPEC.child("ingressClassName"), class_name, msg)
                for msg in naming.is_dns1123_subdomain(str(class_name))
            )
        return errs

    @staticmethod
    def _path_errors(item: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
        errs: list[FieldError] = []
        path_type = item.get("pathType")
        text = str(item.get("path") or "")
        if path_type is None:
            errs.append(required(path.child("pathType"), "pathType must be specified"))
        elif path_type in ("Exact", "Prefix"):
            if not text.startswith("/"):
                errs.append(invalid(path.child("path"), text, "must be an absolute path"))
            else:
                for bad in ("//", "/./", "/../", "%2f", "%2F"):
                    if bad in text:
                        errs.append(invalid(path.child("path"), text, f"must not contain '{bad}'"))
                for suffix in ("/..", "/."):
                    if text.endswith(suffix):
                        errs.append(
                            invalid(path.child("path"), text, f"cannot end with '{suffix}'")
                        )
        elif path_type == "ImplementationSpecific":
            if text and not text.startswith("/"):
                errs.append(invalid(path.child("path"), text, "must be an absolute path"))
        else:
            errs.append(not_supported(path.child("pathType"), path_type, list(_PATH_TYPES)))
        errs.extend(_backend_errors(as_map(item.get("backend")), path.child("backend")))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced)


class IngressClassStrategy(Strategy):
    """networking.k8s.io/v1 IngressClasses."""

    tracks_generation = True

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        controller = str(_spec_of(obj).get("controller") or "")
        path = _SPEC.child("controller")
        if not controller:
            errs.append(required(path, ""))
        elif len(controller) > 250:
            errs.append(too_long(path, 250))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        errs.extend(
            _immutable(
                _spec_of(new).get("controller"),
                _spec_of(old).get("controller"),
                _SPEC.child("controller"),
            )
        )
        return errs


class NetworkPolicyStrategy(Strategy):
    """networking.k8s.io/v1 NetworkPolicies."""

    tracks_generation = True

    def default(self, obj: Obj) -> None:
        spec = child_dict(obj, "spec")
        child_dict(spec, "podSelector")
        if not spec.get("policyTypes"):
            types = ["Ingress"]
            if spec.get("egress"):
                types.append("Egress")
            spec["policyTypes"] = types

    def spec_changed(self, new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
        return not semantic_equal(new.get("spec"), old.get("spec"))

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = _spec_of(obj)
        errs.extend(
            selector_errors(
                spec.get("podSelector", {}), _SPEC.child("podSelector"), empty_message=None
            )
        )
        types = as_list(spec.get("policyTypes"))
        for i, kind in enumerate(types):
            if kind not in ("Ingress", "Egress"):
                errs.append(
                    not_supported(_SPEC.child("policyTypes").index(i), kind, ["Ingress", "Egress"])
                )
        if len(types) > 2:
            errs.append(
                invalid(
                    _SPEC.child("policyTypes"), types, "may not specify more than two policyTypes"
                )
            )
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced)


# -- rbac.authorization.k8s.io ---------------------------------------------------

_RBAC_GROUP: Final = "rbac.authorization.k8s.io"


def _rule_errors(rule: Mapping[str, Any], path: FieldPath, *, namespaced: bool) -> list[FieldError]:
    """``ValidatePolicyRule``."""
    errs: list[FieldError] = []
    if not as_list(rule.get("verbs")):
        errs.append(required(path.child("verbs"), "verbs must contain at least one value"))
    urls = as_list(rule.get("nonResourceURLs"))
    if urls:
        if namespaced:
            errs.append(
                invalid(
                    path.child("nonResourceURLs"),
                    _go_strings(urls),
                    "namespaced rules cannot apply to non-resource URLs",
                )
            )
        if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
            errs.append(
                invalid(
                    path.child("nonResourceURLs"),
                    _go_strings(urls),
                    "rules cannot apply to both regular resources and non-resource URLs",
                )
            )
        return errs
    if not as_list(rule.get("apiGroups")):
        errs.append(
            required(path.child("apiGroups"), "resource rules must supply at least one api group")
        )
    if not as_list(rule.get("resources")):
        errs.append(
            required(path.child("resources"), "resource rules must supply at least one resource")
        )
    return errs


def _go_strings(items: list[Any]) -> GoValue:
    return GoValue("[]string{" + ", ".join(go_quote(str(i)) for i in items) + "}")


class RoleStrategy(Strategy):
    """rbac.authorization.k8s.io/v1 Roles."""

    name_validator = staticmethod(naming.path_segment_name)
    namespaced_rules: ClassVar[bool] = True
    resource: ClassVar[str] = "roles"

    def __init__(self, escalation: EscalationGuard | None = None) -> None:
        self._escalation = escalation

    def guard_write(self, new: Mapping[str, Any], old: Mapping[str, Any] | None) -> None:
        if self._escalation is not None:
            self._escalation.check_role(self.resource, new, old)

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        for i, rule in enumerate(as_list(obj.get("rules"))):
            errs.extend(
                _rule_errors(
                    as_map(rule), FieldPath("rules").index(i), namespaced=self.namespaced_rules
                )
            )
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced)


class ClusterRoleStrategy(RoleStrategy):
    """rbac.authorization.k8s.io/v1 ClusterRoles."""

    namespaced_rules: ClassVar[bool] = False
    resource: ClassVar[str] = "clusterroles"


def _go_role_ref(ref: Mapping[str, Any]) -> GoValue:
    return GoValue(
        f"rbac.RoleRef{{APIGroup:{go_quote(str(ref.get('apiGroup', '')))}, "
        f"Kind:{go_quote(str(ref.get('kind', '')))}, Name:{go_quote(str(ref.get('name', '')))}}}"
    )


class RoleBindingStrategy(Strategy):
    """rbac.authorization.k8s.io/v1 RoleBindings."""

    name_validator = staticmethod(naming.path_segment_name)
    role_kinds: ClassVar[tuple[str, ...]] = ("Role", "ClusterRole")
    cluster_scoped: ClassVar[bool] = False
    resource: ClassVar[str] = "rolebindings"

    def __init__(self, escalation: EscalationGuard | None = None) -> None:
        self._escalation = escalation

    def guard_write(self, new: Mapping[str, Any], old: Mapping[str, Any] | None) -> None:
        if self._escalation is not None:
            self._escalation.check_binding(self.resource, new, old)

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        ref = as_map(obj.get("roleRef"))
        path = FieldPath("roleRef")
        if ref.get("apiGroup", "") != _RBAC_GROUP:
            errs.append(
                not_supported(path.child("apiGroup"), ref.get("apiGroup", ""), [_RBAC_GROUP])
            )
        kind = ref.get("kind", "")
        if kind not in self.role_kinds:
            errs.append(not_supported(path.child("kind"), kind, list(self.role_kinds)))
        name = str(ref.get("name") or "")
        if not name:
            errs.append(required(path.child("name"), ""))
        else:
            errs.extend(
                invalid(path.child("name"), name, m)
                for m in naming.path_segment_name(name, prefix=False)
            )
        for i, subject in enumerate(as_list(obj.get("subjects"))):
            errs.extend(self._subject_errors(as_map(subject), FieldPath("subjects").index(i)))
        return errs

    def _subject_errors(self, subject: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
        errs: list[FieldError] = []
        name = str(subject.get("name") or "")
        if not name:
            errs.append(required(path.child("name"), ""))
        kind = subject.get("kind", "")
        group = subject.get("apiGroup", "")
        if kind == "ServiceAccount":
            if name:
                errs.extend(
                    invalid(path.child("name"), name, msg)
                    for msg in naming.name_is_dns_subdomain(name, prefix=False)
                )
            if group:
                errs.append(not_supported(path.child("apiGroup"), group, [""]))
            if self.cluster_scoped and not subject.get("namespace"):
                errs.append(required(path.child("namespace"), ""))
        elif kind in ("User", "Group"):
            if group != _RBAC_GROUP:
                errs.append(not_supported(path.child("apiGroup"), group, [_RBAC_GROUP]))
        else:
            errs.append(
                not_supported(path.child("kind"), kind, ["ServiceAccount", "User", "Group"])
            )
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        new_ref, old_ref = as_map(new.get("roleRef")), as_map(old.get("roleRef"))
        if not semantic_equal(new_ref, old_ref):
            errs.append(
                invalid(FieldPath("roleRef"), _go_role_ref(new_ref), "cannot change roleRef")
            )
        return errs


class ClusterRoleBindingStrategy(RoleBindingStrategy):
    """rbac.authorization.k8s.io/v1 ClusterRoleBindings."""

    role_kinds: ClassVar[tuple[str, ...]] = ("ClusterRole",)
    cluster_scoped: ClassVar[bool] = True
    resource: ClassVar[str] = "clusterrolebindings"


# -- scheduling.k8s.io -----------------------------------------------------------

_SYSTEM_CLASSES: Final = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}
_HIGHEST_USER_PRIORITY: Final = 1_000_000_000
_PREEMPTION: Final = ("PreemptLowerPriority", "Never")


class PriorityClassStrategy(Strategy):
    """scheduling.k8s.io/v1 PriorityClasses."""

    def default(self, obj: Obj) -> None:
        if not obj.get("preemptionPolicy"):
            obj["preemptionPolicy"] = "PreemptLowerPriority"

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        name = str(as_map(obj.get("metadata")).get("name", ""))
        value = obj.get("value", 0)
        if name.startswith("system-"):
            known = _SYSTEM_CLASSES.get(name)
            if known is None or known != value:
                problem = (
                    f"{name} is not a known system priority class"
                    if known is None
                    else f"value of {name} PriorityClass must be {known}"
                )
                errs.append(
                    forbidden(
                        FieldPath("metadata", "name"),
                        "priority class names with 'system-' prefix are reserved for system use "
                        f"only. error: {problem}",
                    )
                )
        elif is_int(value) and value > _HIGHEST_USER_PRIORITY:
            errs.append(
                forbidden(
                    FieldPath("value"),
                    f"maximum allowed value of a user defined priority is {_HIGHEST_USER_PRIORITY}",
                )
            )
        policy = obj.get("preemptionPolicy")
        if policy is not None and policy not in _PREEMPTION:
            errs.append(not_supported(FieldPath("preemptionPolicy"), policy, list(_PREEMPTION)))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate_metadata(new, namespaced=namespaced)
        if new.get("value", 0) != old.get("value", 0):
            errs.append(forbidden(FieldPath("value"), "may not be changed in an update."))
        errs.extend(
            _immutable(
                new.get("preemptionPolicy"),
                old.get("preemptionPolicy"),
                FieldPath("preemptionPolicy"),
            )
        )
        return errs


# -- storage.k8s.io --------------------------------------------------------------


class StorageClassStrategy(Strategy):
    """storage.k8s.io/v1 StorageClasses."""

    def default(self, obj: Obj) -> None:
        if not obj.get("reclaimPolicy"):
            obj["reclaimPolicy"] = "Delete"
        if not obj.get("volumeBindingMode"):
            obj["volumeBindingMode"] = "Immediate"

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        provisioner = str(obj.get("provisioner") or "")
        if not provisioner:
            errs.append(required(FieldPath("provisioner"), ""))
        else:
            errs.extend(
                invalid(FieldPath("provisioner"), provisioner, msg)
                for msg in naming.is_qualified_name(provisioner.lower())
            )
        policy = obj.get("reclaimPolicy", "")
        if policy not in ("Delete", "Retain"):
            errs.append(not_supported(FieldPath("reclaimPolicy"), policy, ["Delete", "Retain"]))
        mode = obj.get("volumeBindingMode", "")
        if mode not in ("Immediate", "WaitForFirstConsumer"):
            errs.append(
                not_supported(
                    FieldPath("volumeBindingMode"), mode, ["Immediate", "WaitForFirstConsumer"]
                )
            )
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        for key in ("parameters", "provisioner", "reclaimPolicy"):
            if not semantic_equal(new.get(key), old.get(key)):
                errs.append(forbidden(FieldPath(key), f"updates to {key} are forbidden."))
        errs.extend(
            _immutable(
                new.get("volumeBindingMode"),
                old.get("volumeBindingMode"),
                FieldPath("volumeBindingMode"),
            )
        )
        return errs


# -- policy ------------------------------------------------------------------------

_EVICTION_POLICIES: Final = ("IfHealthyBudget", "AlwaysAllow")


class PodDisruptionBudgetStrategy(WorkloadStrategy):
    """policy/v1 PodDisruptionBudgets."""

    initial_status: ClassVar[Mapping[str, Any]] = {
        "currentHealthy": 0,
        "desiredHealthy": 0,
        "disruptionsAllowed": 0,
        "expectedPods": 0,
    }

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = _spec_of(obj)
        min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
        if min_available is not None and max_unavailable is not None:
            errs.append(
                invalid(_SPEC, dict(spec), "minAvailable and maxUnavailable cannot be both set")
            )
        for key, value in (("minAvailable", min_available), ("maxUnavailable", max_unavailable)):
            if value is None:
                continue
            path = _SPEC.child(key)
            errs.extend(validate_int_or_percent(value, path))
            if isinstance(value, str) and int_or_percent_value(value) > 100 and value.endswith("%"):
                errs.append(invalid(path, go_int_or_string(value), "must not be greater than 100%"))
        selector = spec.get("selector")
        if selector is not None:
            errs.extend(selector_errors(selector, _SPEC.child("selector"), empty_message=None))
        policy = spec.get("unhealthyPodEvictionPolicy")
        if policy is not None and policy not in _EVICTION_POLICIES:
            errs.append(
                not_supported(
                    _SPEC.child("unhealthyPodEvictionPolicy"), policy, list(_EVICTION_POLICIES)
                )
            )
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced)


# -- autoscaling ---------------------------------------------------------------------


def _scale_rules(rules: object, *, window: int, policies: list[Obj]) -> Obj:
    result: Obj = dict(rules) if isinstance(rules, Mapping) else {}
    set_default(result, "stabilizationWindowSeconds", window)
    set_default(result, "selectPolicy", "Max")
    if result.get("policies") is None:
        result["policies"] = copy.deepcopy(policies)
    return result


class HorizontalPodAutoscalerStrategy(Strategy):
    """HorizontalPodAutoscalers, in their storage version autoscaling/v2 (both
    served versions write through it)."""

    has_status_subresource = True
    initial_status: ClassVar[Mapping[str, Any]] = {"desiredReplicas": 0}

    def default(self, obj: Obj) -> None:
        # autoscaling/v2 keeps nothing in autoscaling/v1's round-trip annotations
        meta = obj.get("metadata")
        if isinstance(meta, dict):
            kept = drop_round_trip_annotations(meta)
            if kept is not meta:
                meta.clear()
                meta.update(kept)
        spec = child_dict(obj, "spec")
        set_default(spec, "minReplicas", 1)
        if not spec.get("metrics"):
            spec["metrics"] = [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 80},
                    },
                }
            ]
        behavior = spec.get("behavior")
        if isinstance(behavior, dict):
            behavior["scaleUp"] = _scale_rules(
                behavior.get("scaleUp"),
                window=0,
                policies=[
                    {"type": "Pods", "value": 4, "periodSeconds": 15},
                    {"type": "Percent", "value": 100, "periodSeconds": 15},
                ],
            )
            behavior["scaleDown"] = _scale_rules(
                behavior.get("scaleDown"),
                window=300,
                policies=[{"type": "Percent", "value": 100, "periodSeconds": 15}],
            )

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        obj["status"] = dict(self.initial_status)

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = _spec_of(obj)
        ref = as_map(spec.get("scaleTargetRef"))
        for key in ("kind", "name"):
            value = str(ref.get(key) or "")
            path = _SPEC.child("scaleTargetRef", key)
            if not value:
                errs.append(required(path, ""))
            else:
                errs.extend(
                    invalid(path, value, msg)
                    for msg in naming.path_segment_name(value, prefix=False)
                )
        min_replicas, max_replicas = spec.get("minReplicas"), spec.get("maxReplicas", 0)
        if is_int(min_replicas) and min_replicas < 1:
            errs.append(
                invalid(
                    _SPEC.child("minReplicas"), min_replicas, "must be greater than or equal to 1"
                )
            )
        if is_int(max_replicas) and max_replicas < 1:
            errs.append(invalid(_SPEC.child("maxReplicas"), max_replicas, "must be greater than 0"))
        if is_int(min_replicas) and is_int(max_replicas) and max_replicas < min_replicas:
            errs.append(
                invalid(
                    _SPEC.child("maxReplicas"),
                    max_replicas,
                    "must be greater than or equal to `minReplicas`",
                )
            )
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced)


# -- apiextensions.k8s.io --------------------------------------------------------------

_CRD_SCOPES: Final = ("Cluster", "Namespaced")


def _dns1035(value: str, path: FieldPath, *, mixed_case: bool = False) -> list[FieldError]:
    errs = naming.is_dns1035_label(value.lower() if mixed_case else value)
    if not errs:
        return []
    text = ",".join(errs)
    if mixed_case:
        text = "may have mixed case, but should otherwise match: " + text
    return [invalid(path, value, text)]


def _names_errors(names: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    """``ValidateCustomResourceDefinitionNames``."""
    errs: list[FieldError] = []
    for key in ("plural", "singular"):
        value = str(names.get(key) or "")
        if value:
            errs.extend(_dns1035(value, path.child(key)))
    for key in ("kind", "listKind"):
        value = str(names.get(key) or "")
        if value:
            errs.extend(_dns1035(value, path.child(key), mixed_case=True))
    for key in ("shortNames", "categories"):
        for i, item in enumerate(as_list(names.get(key))):
            errs.extend(_dns1035(str(item), path.child(key).index(i)))
    kind = names.get("kind")
    if kind and kind == names.get("listKind"):
        errs.append(invalid(path.child("listKind"), kind, "kind and listKind may not be the same"))
    return errs


def _structural_errors(schema: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    """The structural-schema rules that matter most: every node states its type."""
    errs: list[FieldError] = []
    kind = schema.get("type", "")
    if not kind:
        errs.append(required(path.child("type"), "must not be empty at the root"))
    elif kind != "object":
        errs.append(invalid(path.child("type"), kind, "must be object at the root"))
    errs.extend(_node_errors(schema, path))
    return errs


def _untyped_allowed(node: Mapping[str, Any]) -> bool:
    return bool(
        node.get("x-kubernetes-int-or-string") or node.get("x-kubernetes-preserve-unknown-fields")
    )


def _node_errors(node: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for name, child in as_map(node.get("properties")).items():
        here = path.child("properties").key(str(name))
        child_map = as_map(child)
        if not child_map.get("type") and not _untyped_allowed(child_map):
            errs.append(
                required(here.child("type"), "must not be empty for specified object fields")
            )
        errs.extend(_node_errors(child_map, here))
    items = node.get("items")
    if isinstance(items, Mapping):
        here = path.child("items")
        if not items.get("type") and not _untyped_allowed(items):
            errs.append(required(here.child("type"), "must not be empty for specified array items"))
        errs.extend(_node_errors(items, here))
    additional = node.get("additionalProperties")
    if isinstance(additional, Mapping):
        errs.extend(_node_errors(additional, path.child("additionalProperties")))
        if node.get("properties"):
            errs.append(
                forbidden(
                    path.child("additionalProperties"),
                    "additionalProperties and properties are mutual exclusive",
                )
            )
    return errs


def _established(crd: Mapping[str, Any]) -> bool:
    return any(
        as_map(c).get("type") == "Established" and as_map(c).get("status") == "True"
        for c in as_list(as_map(crd.get("status")).get("conditions"))
    )


def _storage_version(spec: Mapping[str, Any]) -> str | None:
    for version in as_list(spec.get("versions")):
        if as_map(version).get("storage") is True:
            return str(as_map(version).get("name", ""))
    return None


class CustomResourceDefinitionStrategy(Strategy):
    """apiextensions.k8s.io/v1 CustomResourceDefinitions."""

    has_status_subresource = True
    tracks_generation = True

    def default(self, obj: Obj) -> None:
        spec = child_dict(obj, "spec")
        names = child_dict(spec, "names")
        kind = str(names.get("kind") or "")
        if not names.get("singular"):
            names["singular"] = kind.lower()
        if not names.get("listKind") and kind:
            names["listKind"] = kind + "List"
        conversion = spec.get("conversion")
        if conversion is None:
            spec["conversion"] = {"strategy": "None"}
        elif isinstance(conversion, dict):
            webhook = as_map(conversion.get("webhook"))
            service = webhook.get("clientConfig") and as_map(
                as_map(webhook.get("clientConfig")).get("service")
            )
            if isinstance(service, dict):
                set_default(service, "port", 443)

    def spec_changed(self, new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
        return not semantic_equal(new.get("spec"), old.get("spec"))

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        storage = _storage_version(_spec_of(obj))
        # The naming and establishing controllers fill in the rest.
        obj["status"] = {
            "acceptedNames": {"plural": "", "kind": ""},
            "storedVersions": [storage] if storage else [],
        }

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        super().prepare_for_update(new, old)
        status = child_dict(new, "status")
        stored = [str(v) for v in as_list(status.get("storedVersions"))]
        storage = _storage_version(_spec_of(new))
        if storage and storage not in stored:
            status["storedVersions"] = [*stored, storage]

    def finalizers_pending(self, obj: Mapping[str, Any]) -> bool:
        # The first delete never removes a CRD: it gets the cleanup finalizer
        # (prepare_for_deletion) and waits for its objects to be deleted.
        meta = as_map(obj.get("metadata"))
        return not meta.get("deletionTimestamp") or bool(meta.get("finalizers"))

    def prepare_for_deletion(self, obj: Obj) -> None:
        meta = child_dict(obj, "metadata")
        finalizers = [str(f) for f in as_list(meta.get("finalizers"))]
        if crd_conditions.CLEANUP_FINALIZER not in finalizers:
            meta["finalizers"] = [*finalizers, crd_conditions.CLEANUP_FINALIZER]
        crd_conditions.set_condition(
            obj,
            crd_conditions.condition(
                crd_conditions.TERMINATING,
                "True",
                "InstanceDeletionPending",
                "CustomResourceDefinition marked for deletion; CustomResource deletion will "
                "begin soon",
            ),
            now=str(meta.get("deletionTimestamp") or ""),
        )

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        spec = _spec_of(obj)
        names = as_map(spec.get("names"))
        errs = self.validate_metadata(obj, namespaced=namespaced)
        name = str(as_map(obj.get("metadata")).get("name") or "")
        if name and name != f"{names.get('plural', '')}.{spec.get('group', '')}":
            errs.append(
                invalid(
                    FieldPath("metadata", "name"), name, 'must be spec.names.plural+"."+spec.group'
                )
            )
        errs.extend(self._spec_errors(spec))
        return errs

    @staticmethod
    def _spec_errors(spec: Mapping[str, Any]) -> list[FieldError]:
        """``ValidateCustomResourceDefinitionSpec`` (v1: schemas required)."""
        errs: list[FieldError] = []
        group = str(spec.get("group") or "")
        if not group:
            errs.append(required(_SPEC.child("group"), ""))
        elif naming.is_dns1123_subdomain(group):
            errs.append(
                invalid(_SPEC.child("group"), group, ",".join(naming.is_dns1123_subdomain(group)))
            )
        elif "." not in group:
            errs.append(
                invalid(_SPEC.child("group"), group, "should be a domain with at least one dot")
            )
        scope = spec.get("scope", "")
        errs.extend(required_one_of(scope, _SPEC.child("scope"), _CRD_SCOPES))
        versions = as_list(spec.get("versions"))
        seen: set[str] = set()
        unique = True
        storage_count = 0
        for i, version in enumerate(versions):
            entry = as_map(version)
            here = _SPEC.child("versions").index(i)
            version_name = str(entry.get("name") or "")
            if version_name in seen:
                unique = False
            seen.add(version_name)
            errs.extend(_dns1035(version_name, here.child("name")))
            if entry.get("storage") is True:
                storage_count += 1
            scale = as_map(entry.get("subresources")).get("scale")
            if isinstance(scale, Mapping):
                errs.extend(validate_scale_subresource(scale, here.child("subresources", "scale")))
            schema = as_map(entry.get("schema")).get("openAPIV3Schema")
            schema_path = here.child("schema", "openAPIV3Schema")
            if not isinstance(schema, Mapping):
                errs.append(required(schema_path, "schemas are required"))
            else:
                errs.extend(_structural_errors(schema, schema_path))
                errs.extend(crd_rule_errors(schema, schema_path))
        if not versions:
            errs.append(required(_SPEC.child("versions"), ""))
        if not unique:
            errs.append(
                invalid(_SPEC.child("versions"), versions, "must contain unique version names")
            )
        if storage_count != 1:
            errs.append(
                invalid(
                    _SPEC.child("versions"),
                    versions,
                    "must have exactly one version marked as storage version",
                )
            )
        names = as_map(spec.get("names"))
        for key in ("plural", "singular", "kind", "listKind"):
            if not names.get(key):
                errs.append(required(_SPEC.child("names", key), ""))
        errs.extend(_names_errors(names, _SPEC.child("names")))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        new_spec, old_spec = _spec_of(new), _spec_of(old)
        new_names, old_names = as_map(new_spec.get("names")), as_map(old_spec.get("names"))
        if _established(old):
            errs.extend(
                _immutable(new_spec.get("scope"), old_spec.get("scope"), _SPEC.child("scope"))
            )
            errs.extend(
                _immutable(
                    new_names.get("kind"), old_names.get("kind"), _SPEC.child("names", "kind")
                )
            )
        errs.extend(_immutable(new_spec.get("group"), old_spec.get("group"), _SPEC.child("group")))
        errs.extend(
            _immutable(
                new_names.get("plural"), old_names.get("plural"), _SPEC.child("names", "plural")
            )
        )
        version_names = {str(as_map(v).get("name")) for v in as_list(new_spec.get("versions"))}
        stored = as_list(as_map(new.get("status")).get("storedVersions"))
        for i, version in enumerate(stored):
            if version not in version_names:
                errs.append(
                    invalid(
                        FieldPath("status", "storedVersions").index(i),
                        version,
                        "must appear in spec.versions",
                    )
                )
        return errs
