"""Whether an admission rule applies to a request: Kubernetes' ``rules.Matcher``.

A rule (``RuleWithOperations``, as webhooks and admission policies write
them) names operations, API groups, versions, resources and a scope; it
matches a request when all five do (Kubernetes'
``admission/plugin/webhook/predicates/rules``):

- operations: one of them, or ``*``;
- apiGroups / apiVersions: one of them, or ``*``;
- resources: ``pods`` matches the resource without a subresource,
  ``pods/status`` that subresource, ``pods/*`` the resource and all its
  subresources, ``*`` every resource but no subresource, ``*/*`` everything,
  ``*/status`` that subresource of every resource;
- scope: ``*`` (the default), ``Namespaced`` (a namespaced object: not a
  Namespace itself) or ``Cluster`` (a cluster-scoped object, Namespaces
  included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.apiserver.admission.interfaces import Attributes

__all__ = ["ResourceRef", "rule_matches"]


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """The group, version, resource and subresource a rule is matched against
    (the request's own, or an equivalent one under matchPolicy Equivalent)."""

    group: str
    version: str
    resource: str
    subresource: str

    @classmethod
    def of(cls, attributes: Attributes) -> ResourceRef:
        return cls(
            attributes.group, attributes.version, attributes.resource, attributes.subresource
        )


def _strings(rule: Mapping[str, Any], key: str) -> Sequence[str]:
    value = rule.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else ()


def _any(values: Sequence[str], wanted: str) -> bool:
    return any(value in ("*", wanted) for value in values)


def _resource_matches(resources: Sequence[str], ref: ResourceRef) -> bool:
    for entry in resources:
        resource, _, subresource = entry.partition("/")
        if resource in ("*", ref.resource) and subresource in ("*", ref.subresource):
            return True
    return False


def _scope_matches(scope: object, attributes: Attributes, ref: ResourceRef) -> bool:
    is_namespace = ref.group == "" and ref.resource == "namespaces"
    if scope in (None, "*"):
        return True
    if scope == "Namespaced":
        return not is_namespace and bool(attributes.namespace)
    if scope == "Cluster":
        return is_namespace or not attributes.namespace
    return False


def rule_matches(
    rule: Mapping[str, Any], attributes: Attributes, ref: ResourceRef | None = None
) -> bool:
    """Whether ``rule`` applies to the request (against ``ref`` if given).

    >>> from kubeling.api.authentication.user import UserInfo
    >>> a = Attributes("CREATE", "apps", "v1", "deployments", "", "apps", "v1", "Deployment",
    ...                "ns", "web", {}, None, UserInfo("u"))
    >>> rule_matches({"operations": ["CREATE"], "apiGroups": ["apps"], "apiVersions": ["*"],
    ...               "resources": ["deployments"]}, a)
    True
    >>> rule_matches({"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"],
    ...               "resources": ["*"], "scope": "Cluster"}, a)
    False
    """
    ref = ref or ResourceRef.of(attributes)
    return (
        _scope_matches(rule.get("scope"), attributes, ref)
        and _any(_strings(rule, "operations"), attributes.operation)
        and _any(_strings(rule, "apiGroups"), ref.group)
        and _any(_strings(rule, "apiVersions"), ref.version)
        and _resource_matches(_strings(rule, "resources"), ref)
    )
