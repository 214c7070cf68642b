"""matchConstraints / matchResources: selectors, exclusions, names and matchPolicy."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.policy.matching import Match, MatchError, match_resources
from kubeling.apiserver.admission.rules import ResourceRef
from tests.unit.apiserver.admission.policy.fakes import (
    DEPLOYMENTS_RULE,
    FakeSources,
    attributes,
    deployment,
)

Obj = dict[str, Any]


async def _match(
    constraints: Obj, sources: FakeSources | None = None, **kwargs: Any
) -> Match | None:
    sources = sources or FakeSources()

    async def namespace_labels(name: str) -> dict[str, str]:
        return dict((await sources.namespace(name))["metadata"].get("labels") or {})

    return await match_resources(
        constraints,
        attributes(**kwargs),
        namespace_labels=namespace_labels,
        equivalents=sources.equivalents,
    )


def _rules(*rules: Obj, **more: Any) -> Obj:
    return {"resourceRules": list(rules), "matchPolicy": "Equivalent", **more}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ({}, True),
        ({"matchLabels": {"env": "test"}}, True),
        ({"matchLabels": {"env": "prod"}}, False),
        ({"matchExpressions": [{"key": "env", "operator": "In", "values": ["test", "dev"]}]}, True),
    ],
)
async def test_namespace_selector(selector: Obj, matches: bool) -> None:
    """The request's namespace labels must match the namespace selector."""
    found = await _match(_rules(DEPLOYMENTS_RULE, namespaceSelector=selector))
    assert (found is not None) is matches


async def test_cluster_scoped_objects_pass_any_namespace_selector() -> None:
    """A cluster-scoped object (not a Namespace) always passes the namespace selector."""
    rule = {**DEPLOYMENTS_RULE, "apiGroups": ["*"], "resources": ["*"]}
    constraints = _rules(rule, namespaceSelector={"matchLabels": {"env": "prod"}})
    found = await _match(constraints, namespace="", group="", resource="nodes", kind="Node")
    assert found is not None


async def test_namespace_being_created_is_matched_on_its_new_labels() -> None:
    """A Namespace being created is matched on its own labels (it is not stored yet)."""
    rule = {**DEPLOYMENTS_RULE, "apiGroups": [""], "resources": ["namespaces"]}
    constraints = _rules(rule, namespaceSelector={"matchLabels": {"env": "prod"}})
    ns = {"metadata": {"name": "fresh", "labels": {"env": "prod"}}}
    kwargs: dict[str, Any] = {
        "group": "",
        "resource": "namespaces",
        "kind": "Namespace",
        "namespace": "fresh",
        "name": "fresh",
    }
    assert await _match(constraints, obj=ns, **kwargs) is not None
    ns["metadata"]["labels"] = {"env": "dev"}
    assert await _match(constraints, obj=ns, **kwargs) is None


async def test_missing_namespace_is_an_error_only_when_the_rules_match() -> None:
    """A namespace that does not exist fails the match with its 404 text, if the rules match."""
    constraints = _rules(DEPLOYMENTS_RULE, namespaceSelector={"matchLabels": {"env": "x"}})
    with pytest.raises(MatchError, match='namespaces "gone" not found'):
        await _match(constraints, namespace="gone")
    other = {**DEPLOYMENTS_RULE, "resources": ["pods"]}
    assert (
        await _match(
            _rules(other, namespaceSelector={"matchLabels": {"env": "x"}}), namespace="gone"
        )
        is None
    )


async def test_object_selector_matches_new_or_old_labels() -> None:
    """The object selector passes when the new or the old object's labels match."""
    constraints = _rules(DEPLOYMENTS_RULE, objectSelector={"matchLabels": {"team": "a"}})
    assert await _match(constraints, obj=deployment(team="a")) is not None
    assert await _match(constraints, obj=deployment(team="b")) is None
    found = await _match(
        constraints, operation="UPDATE", obj=deployment(team="b"), old=deployment(team="a")
    )
    assert found is not None


async def test_exclusions_win_and_resource_names_limit() -> None:
    """excludeResourceRules leave requests out; resourceNames limit a rule to names."""
    excluded = _rules(
        DEPLOYMENTS_RULE, excludeResourceRules=[{**DEPLOYMENTS_RULE, "resourceNames": ["web"]}]
    )
    assert await _match(excluded) is None
    assert await _match(excluded, name="api") is not None
    named = _rules({**DEPLOYMENTS_RULE, "resourceNames": ["api"]})
    assert await _match(named) is None
    assert await _match(named, name="api") is not None


async def test_no_resource_rules_match_everything() -> None:
    """A binding's matchResources without rules matches every request."""
    found = await _match({"namespaceSelector": {}, "objectSelector": {}})
    assert found == Match(
        ResourceRef("apps", "v1", "deployments", ""), GroupVersionKind("apps", "v1", "Deployment")
    )


async def test_equivalent_versions_match_under_equivalent_only() -> None:
    """matchPolicy Equivalent matches another version of the resource and reports it."""
    v2 = ResourceRef("autoscaling", "v2", "horizontalpodautoscalers", "")
    v1 = ResourceRef("autoscaling", "v1", "horizontalpodautoscalers", "")
    sources = FakeSources(
        equivalent={
            v2: [
                (v2, GroupVersionKind("autoscaling", "v2", "HorizontalPodAutoscaler")),
                (v1, GroupVersionKind("autoscaling", "v1", "HorizontalPodAutoscaler")),
            ]
        }
    )
    rule = {
        **DEPLOYMENTS_RULE,
        "apiGroups": ["autoscaling"],
        "resources": ["horizontalpodautoscalers"],
    }
    kwargs: dict[str, Any] = {
        "group": "autoscaling",
        "version": "v2",
        "resource": "horizontalpodautoscalers",
        "kind": "HorizontalPodAutoscaler",
    }
    found = await _match(_rules(rule), sources, **kwargs)
    assert found == Match(v1, GroupVersionKind("autoscaling", "v1", "HorizontalPodAutoscaler"))
    assert await _match({**_rules(rule), "matchPolicy": "Exact"}, sources, **kwargs) is None


async def test_bad_selector_is_an_error() -> None:
    """A selector that does not parse fails the match (once the rules match)."""
    bad = {"matchExpressions": [{"key": "a", "operator": "Near", "values": ["x"]}]}
    with pytest.raises(MatchError, match="not a valid label selector operator"):
        await _match(_rules(DEPLOYMENTS_RULE, objectSelector=bad))
