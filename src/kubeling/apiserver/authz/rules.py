"""RBAC policy rules and what they match: Kubernetes' ``rbac/v1`` helpers, pure.

A rule allows a request when its verbs, API groups, resources (subresources
written ``pods/log``, any resource's subresource ``*/scale``) and, if it
names any, resource names all match; a non-resource request (``/healthz``)
matches on the verb and the path, where a final ``*`` makes the rule a
prefix (``/apis/*``).

>>> rule = PolicyRule(verbs=("get",), api_groups=("",), resources=("pods/log",))
>>> resource_matches(rule, "pods/log", "log"), resource_matches(rule, "pods", "")
(True, False)
>>> apis = PolicyRule(verbs=("get",), non_resource_urls=("/apis/*",))
>>> non_resource_url_matches(apis, "/apis/apps"), non_resource_url_matches(apis, "/api")
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubeling.apiserver.authz.attributes import Attributes

__all__ = [
    "ALL",
    "PolicyRule",
    "api_group_matches",
    "non_resource_url_matches",
    "resource_matches",
    "resource_name_matches",
    "rule_allows",
    "rules_from_json",
    "verb_matches",
]

#: ``*``: every verb, API group, resource or non-resource URL.
ALL: Final = "*"


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One ``rbac.authorization.k8s.io/v1`` PolicyRule; lists in their written order."""

    verbs: tuple[str, ...] = ()
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, rule: Mapping[str, Any]) -> PolicyRule:
        """A rule from its JSON; values that are not string lists count as empty."""
        return cls(
            verbs=_strings(rule.get("verbs")),
            api_groups=_strings(rule.get("apiGroups")),
            resources=_strings(rule.get("resources")),
            resource_names=_strings(rule.get("resourceNames")),
            non_resource_urls=_strings(rule.get("nonResourceURLs")),
        )

    def to_json(self) -> dict[str, list[str]]:
        """The rule's JSON, empty lists left out (Go's ``omitempty``; ``verbs`` always)."""
        out: dict[str, list[str]] = {}
        for key, values in (
            ("apiGroups", self.api_groups),
            ("resources", self.resources),
            ("resourceNames", self.resource_names),
            ("nonResourceURLs", self.non_resource_urls),
        ):
            if values:
                out[key] = list(values)
        out["verbs"] = list(self.verbs)
        return out


def rules_from_json(rules: Any) -> tuple[PolicyRule, ...]:
    """The rules of a role's ``rules`` list (anything else: none)."""
    if not isinstance(rules, list):
        return ()
    return tuple(PolicyRule.from_json(r) for r in rules if isinstance(r, Mapping))


def verb_matches(rule: PolicyRule, verb: str) -> bool:
    return any(v in (ALL, verb) for v in rule.verbs)


def api_group_matches(rule: PolicyRule, group: str) -> bool:
    return any(g in (ALL, group) for g in rule.api_groups)


def resource_matches(rule: PolicyRule, combined: str, subresource: str) -> bool:
    """``combined`` is ``resource`` or ``resource/subresource``; ``*/sub`` matches
    any resource's ``sub``."""
    for resource in rule.resources:
        if resource in (ALL, combined):
            return True
        if (
            subresource
            and len(resource) == len(subresource) + 2
            and resource.startswith("*/")
            and resource.endswith(subresource)
        ):
            return True
    return False


def resource_name_matches(rule: PolicyRule, name: str) -> bool:
    """A rule without resource names matches every name (and none)."""
    return not rule.resource_names or name in rule.resource_names


def non_resource_url_matches(rule: PolicyRule, path: str) -> bool:
    for url in rule.non_resource_urls:
        if url in (ALL, path):
            return True
        if url.endswith("*") and path.startswith(url.rstrip("*")):
            return True
    return False


def rule_allows(attributes: Attributes, rule: PolicyRule) -> bool:
    """``RuleAllows``: whether ``rule`` grants the request ``attributes`` describe."""
    if not verb_matches(rule, attributes.verb):
        return False
    if not attributes.resource_request:
        return non_resource_url_matches(rule, attributes.path)
    combined = attributes.resource
    if attributes.subresource:
        combined = f"{attributes.resource}/{attributes.subresource}"
    return (
        api_group_matches(rule, attributes.api_group)
        and resource_matches(rule, combined, attributes.subresource)
        and resource_name_matches(rule, attributes.name)
    )
