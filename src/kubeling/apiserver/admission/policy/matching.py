"""Whether a policy's ``matchConstraints`` (or a binding's ``matchResources``) apply to a request.

Kubernetes' ``policy/matching.Matcher``, in its order:

1. the namespace selector: a cluster-scoped object (other than a Namespace)
   always passes; otherwise the labels of the request's namespace (for a
   Namespace being created or updated, its new labels) must match;
2. the object selector: the new or the old object's labels must match;
3. an ``excludeResourceRules`` rule that matches leaves the request out;
4. one of ``resourceRules`` must match (no rules: everything matches; a rule
   with ``resourceNames`` only for those names). With ``matchPolicy:
   Equivalent`` (the default), a rule also matches when it names another
   version of the same resource (``autoscaling/v1`` for a write through
   ``autoscaling/v2``); the policy then sees that version's
   resource and kind in ``request.resource`` and ``request.kind``.

A selector that does not parse, or a namespace that does not exist, is an
error, raised as :class:`MatchError` only once the rules matched (a policy
that does not apply never fails a request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.api import errors, labels
from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.interfaces import CREATE, UPDATE, Attributes
from kubeling.apiserver.admission.rules import ResourceRef, rule_matches

__all__ = [
    "Equivalents",
    "Match",
    "MatchError",
    "NamespaceLabels",
    "match_resources",
]

#: The labels of a namespace by name; raises a StatusError (404) when there is none.
NamespaceLabels = Callable[[str], Awaitable[Mapping[str, str]]]
#: The other served versions of a resource, with the kind each serves it as.
Equivalents = Callable[[ResourceRef], Sequence[tuple[ResourceRef, GroupVersionKind]]]


class MatchError(Exception):
    """The match could not be decided (a bad selector, a missing namespace)."""


@dataclass(frozen=True, slots=True)
class Match:
    """A matching request, with the resource and kind the policy sees it as."""

    resource: ResourceRef
    kind: GroupVersionKind


def _object_labels(obj: Mapping[str, Any] | None) -> Mapping[str, str] | None:
    if not isinstance(obj, Mapping):
        return None
    meta = obj.get("metadata")
    found = meta.get("labels") if isinstance(meta, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _is_namespace(attributes: Attributes) -> bool:
    return attributes.group == "" and attributes.resource == "namespaces"


async def _namespace_matches(
    selector_spec: object, attributes: Attributes, namespace_labels: NamespaceLabels
) -> tuple[bool, str]:
    """(matches, error); the error is only reported if the rules match too."""
    if not attributes.namespace and not _is_namespace(attributes):
        return True, ""
    try:
        selector = labels.label_selector_as_selector(
            selector_spec if isinstance(selector_spec, Mapping) else {}
        )
    except labels.SelectorParseError as err:
        return False, str(err)
    if selector.is_empty():
        return True, ""
    creating_namespace = _is_namespace(attributes) and not attributes.subresource
    if creating_namespace and attributes.operation in (CREATE, UPDATE):
        return selector.matches(_object_labels(attributes.obj) or {}), ""
    name = attributes.namespace or attributes.name
    try:
        found = await namespace_labels(name)
    except errors.StatusError as err:  # 404: reported as Kubernetes reports it
        return False, str(err)
    return selector.matches(found), ""


def _object_matches(selector_spec: object, attributes: Attributes) -> tuple[bool, str]:
    try:
        selector = labels.label_selector_as_selector(
            selector_spec if isinstance(selector_spec, Mapping) else {}
        )
    except labels.SelectorParseError as err:
        return False, str(err)
    if selector.is_empty():
        return True, ""
    for obj in (attributes.obj, attributes.old_obj):
        found = _object_labels(obj)
        if found is not None and selector.matches(found):
            return True, ""
    return False, ""


def _named_rule_matches(rule: Mapping[str, Any], attributes: Attributes, ref: ResourceRef) -> bool:
    if not rule_matches(rule, attributes, ref):
        return False
    names = rule.get("resourceNames")
    if not names:
        return True
    return attributes.name in names


def _rules_match(
    rules: Sequence[Mapping[str, Any]],
    match_policy: object,
    attributes: Attributes,
    equivalents: Equivalents,
) -> Match | None:
    own = ResourceRef.of(attributes)
    own_kind = GroupVersionKind(attributes.kind_group, attributes.kind_version, attributes.kind)
    for rule in rules:
        if _named_rule_matches(rule, attributes, own):
            return Match(own, own_kind)
    if match_policy != "Equivalent":
        return None
    others = [
        (ref, kind)
        for ref, kind in equivalents(own)
        if (ref.group, ref.version) != (own.group, own.version)
    ]
    for rule in rules:
        for ref, kind in others:
            if _named_rule_matches(rule, attributes, ref):
                return Match(ref, kind)
    return None


def _rule_list(constraints: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = constraints.get(key)
    if not isinstance(value, list):
        return []
    return [rule for rule in value if isinstance(rule, Mapping)]


async def match_resources(
    constraints: Mapping[str, Any],
    attributes: Attributes,
    *,
    namespace_labels: NamespaceLabels,
    equivalents: Equivalents,
) -> Match | None:
    """The match of ``constraints`` (a MatchResources) for the request, or None.

    Raises :class:`MatchError` when a selector is bad or the namespace is
    missing and the request would otherwise match.
    """
    ns_ok, ns_error = await _namespace_matches(
        constraints.get("namespaceSelector"), attributes, namespace_labels
    )
    if not ns_ok and not ns_error:
        return None
    obj_ok, obj_error = _object_matches(constraints.get("objectSelector"), attributes)
    if not obj_ok and not obj_error:
        return None
    match_policy = constraints.get("matchPolicy", "Equivalent")
    excluded = _rule_list(constraints, "excludeResourceRules")
    if excluded and _rules_match(excluded, match_policy, attributes, equivalents):
        return None
    rules = _rule_list(constraints, "resourceRules")
    if not rules:
        found: Match | None = Match(
            ResourceRef.of(attributes),
            GroupVersionKind(attributes.kind_group, attributes.kind_version, attributes.kind),
        )
    else:
        found = _rules_match(rules, match_policy, attributes, equivalents)
    if found is None:
        return None
    if ns_error or obj_error:
        raise MatchError(ns_error or obj_error)
    return found
