"""Whether one set of rules covers another: Kubernetes' RBAC ``policy_comparator``.

Used to refuse privilege escalation (a writer must hold every permission a
role it writes grants) and by the bootstrap reconciliation (which rules of
a default role are missing). The servant rules are broken down into atomic
rules (one API group, resource, verb and resource name, or one URL and
verb); each must be covered by one owner rule. A subresource ``pods/log``
is covered by ``pods/log`` or ``*/log``; ``*`` covers everything.

>>> owner = [PolicyRule(verbs=("get", "list"), api_groups=("",), resources=("pods",))]
>>> wanted = [PolicyRule(verbs=("get", "delete"), api_groups=("",), resources=("pods",))]
>>> covered, missing = covers(owner, wanted)
>>> covered, [compact_string(rule) for rule in missing]
(False, ['{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}'])
>>> compact_string(PolicyRule(verbs=("get",), api_groups=("",), resources=("pods",)))
'{APIGroups:[""], Resources:["pods"], Verbs:["get"]}'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kubeling.api.goformat import go_quote
from kubeling.apiserver.authz.rules import ALL, PolicyRule

__all__ = ["breakdown", "compact_rules", "compact_string", "covers", "go_strings"]


def breakdown(rule: PolicyRule) -> list[PolicyRule]:
    """The rule as atomic rules: one per group, resource and verb (and resource
    name), then one per URL and verb."""
    atoms: list[PolicyRule] = []
    for group in rule.api_groups:
        for resource in rule.resources:
            for verb in rule.verbs:
                if rule.resource_names:
                    atoms.extend(
                        PolicyRule(
                            verbs=(verb,),
                            api_groups=(group,),
                            resources=(resource,),
                            resource_names=(name,),
                        )
                        for name in rule.resource_names
                    )
                else:
                    atoms.append(
                        PolicyRule(verbs=(verb,), api_groups=(group,), resources=(resource,))
                    )
    for url in rule.non_resource_urls:
        for verb in rule.verbs:
            atoms.append(PolicyRule(verbs=(verb,), non_resource_urls=(url,)))
    return atoms


def _has_all(owned: Sequence[str], wanted: Sequence[str]) -> bool:
    return set(wanted) <= set(owned)


def _resources_covered(owned: Sequence[str], wanted: Sequence[str]) -> bool:
    if ALL in owned or _has_all(owned, wanted):
        return True
    for resource in wanted:
        if resource in owned:
            continue
        if "/" not in resource:
            return False
        if "*/" + resource.split("/", 1)[1] not in owned:
            return False
    return True


def _url_covered(owner: str, url: str) -> bool:
    return owner == url or (owner.endswith("*") and url.startswith(owner.rstrip("*")))


def _urls_covered(owned: Sequence[str], wanted: Sequence[str]) -> bool:
    return all(any(_url_covered(owner, url) for owner in owned) for url in wanted)


def _rule_covers(owner: PolicyRule, atom: PolicyRule) -> bool:
    """``ruleCovers``: ``atom`` has at most one verb, resource and resource name."""
    if atom.resource_names:
        names = not owner.resource_names or _has_all(owner.resource_names, atom.resource_names)
    else:
        names = not owner.resource_names
    return (
        (ALL in owner.verbs or _has_all(owner.verbs, atom.verbs))
        and (ALL in owner.api_groups or _has_all(owner.api_groups, atom.api_groups))
        and _resources_covered(owner.resources, atom.resources)
        and _urls_covered(owner.non_resource_urls, atom.non_resource_urls)
        and names
    )


def covers(
    owner: Sequence[PolicyRule], servant: Iterable[PolicyRule]
) -> tuple[bool, list[PolicyRule]]:
    """Whether ``owner`` covers every rule of ``servant``, and the atomic rules it does not."""
    uncovered = [
        atom
        for rule in servant
        for atom in breakdown(rule)
        if not any(_rule_covers(o, atom) for o in owner)
    ]
    return not uncovered, uncovered


def compact_rules(rules: Iterable[PolicyRule]) -> list[PolicyRule]:
    """``CompactRules``: simple rules (one group, one resource, at most one name,
    no URLs) on the same resource (and name) merged into one, verbs appended; the
    others first, as they came."""
    compacted: list[PolicyRule] = []
    simple: dict[tuple[str, str, tuple[str, ...]], PolicyRule] = {}
    for rule in rules:
        if (
            len(rule.resource_names) <= 1
            and not rule.non_resource_urls
            and len(rule.api_groups) == 1
            and len(rule.resources) == 1
        ):
            key = (rule.api_groups[0], rule.resources[0], rule.resource_names)
            existing = simple.get(key)
            simple[key] = (
                rule
                if existing is None
                else PolicyRule(
                    verbs=(*existing.verbs, *rule.verbs),
                    api_groups=existing.api_groups,
                    resources=existing.resources,
                    resource_names=existing.resource_names,
                )
            )
        else:
            compacted.append(rule)
    compacted.extend(simple.values())
    return compacted


def go_strings(items: Sequence[str]) -> str:
    """A string slice as Go's ``%q`` prints it: ``["a" "b"]``."""
    return "[" + " ".join(go_quote(item) for item in items) + "]"


def compact_string(rule: PolicyRule) -> str:
    """``CompactString``: ``{APIGroups:[""], Resources:["pods"], Verbs:["get"]}``."""
    parts = [
        f"{label}:{go_strings(values)}"
        for label, values in (
            ("APIGroups", rule.api_groups),
            ("Resources", rule.resources),
            ("NonResourceURLs", rule.non_resource_urls),
            ("ResourceNames", rule.resource_names),
            ("Verbs", rule.verbs),
        )
        if values
    ]
    return "{" + ", ".join(parts) + "}"
