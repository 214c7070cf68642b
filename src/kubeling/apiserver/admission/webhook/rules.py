"""Whether a webhook's rule covers a request (``predicates/rules`` upstream), pure.

A rule matches when every part does:

1. *scope*: ``*`` (or unset) any; ``Namespaced`` a request with a namespace
   that is not about a Namespace itself; ``Cluster`` a request without a
   namespace, or about a Namespace (namespaces are cluster-scoped);
2. *operations*: the request's operation is listed, or ``*`` is;
3. *apiGroups* and *apiVersions*: the resource's group and version are
   listed, or ``*`` is;
4. *resources*: an entry ``res`` or ``res/sub`` where ``res`` is the resource
   or ``*`` and ``sub`` is the subresource (none for a plain ``res``) or ``*``:
   ``pods`` matches only the pods themselves, ``pods/status`` their status,
   ``pods/*`` both and every other subresource, ``*/*`` everything, ``*``
   every resource but no subresource.

The admission configuration resources themselves are never sent to webhooks
(:func:`is_exempt`), so that a broken webhook cannot lock its own fix out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from kubeling.apiserver.admission.webhook.hooks import Rule

__all__ = ["RequestResource", "is_exempt", "rule_matches", "rules_match"]

_ADMISSION_GROUP: Final = "admissionregistration.k8s.io"
_EXEMPT: Final = frozenset(
    {
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
        "validatingadmissionpolicies",
        "validatingadmissionpolicybindings",
        "mutatingadmissionpolicies",
        "mutatingadmissionpolicybindings",
    }
)


@dataclass(frozen=True, slots=True)
class RequestResource:
    """The parts of a request a rule looks at (the resource may be an equivalent one)."""

    operation: str
    group: str
    version: str
    resource: str
    subresource: str
    namespace: str


def is_exempt(group: str, resource: str) -> bool:
    """Webhooks never see writes to webhook configurations and admission policies.

    >>> is_exempt("admissionregistration.k8s.io", "validatingwebhookconfigurations")
    True
    """
    return group == _ADMISSION_GROUP and resource in _EXEMPT


def _listed(items: Sequence[str], requested: str) -> bool:
    return "*" in items or requested in items


def _scope(rule: Rule, request: RequestResource) -> bool:
    if rule.scope in ("", "*"):
        return True
    is_namespace = (
        request.group == "" and request.version == "v1" and (request.resource == "namespaces")
    )
    if rule.scope == "Namespaced":
        return not is_namespace and request.namespace != ""
    if rule.scope == "Cluster":
        return is_namespace or request.namespace == ""
    return False


def _resource(rule: Rule, request: RequestResource) -> bool:
    for entry in rule.resources:
        resource, _, subresource = entry.partition("/")
        if resource in ("*", request.resource) and subresource in ("*", request.subresource):
            return True
    return False


def rule_matches(rule: Rule, request: RequestResource) -> bool:
    """Whether ``rule`` covers ``request`` (see the module notes).

    >>> rule = Rule(("CREATE",), ("apps",), ("v1",), ("deployments/*",))
    >>> rule_matches(rule, RequestResource("CREATE", "apps", "v1", "deployments", "scale", "d"))
    True
    >>> rule_matches(rule, RequestResource("UPDATE", "apps", "v1", "deployments", "", "d"))
    False
    """
    return (
        _scope(rule, request)
        and _listed(rule.operations, request.operation)
        and _listed(rule.api_groups, request.group)
        and _listed(rule.api_versions, request.version)
        and _resource(rule, request)
    )


def rules_match(rules: Sequence[Rule], request: RequestResource) -> bool:
    """Whether any of ``rules`` covers ``request``."""
    return any(rule_matches(rule, request) for rule in rules)
