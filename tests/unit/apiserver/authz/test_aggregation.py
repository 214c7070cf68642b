"""Which rules an aggregated ClusterRole gathers."""

from __future__ import annotations

import pytest

from kubeling.api.labels import SelectorParseError
from kubeling.apiserver.authz.aggregation import aggregated_rules
from kubeling.apiserver.authz.policy import Role
from kubeling.apiserver.authz.rules import PolicyRule

GET = PolicyRule(verbs=("get",), api_groups=("",), resources=("pods",))
LIST = PolicyRule(verbs=("list",), api_groups=("",), resources=("pods",))
NODES = PolicyRule(verbs=("get",), api_groups=("",), resources=("nodes",))


def _aggregating(
    name: str, *selectors: dict[str, object], rules: tuple[PolicyRule, ...] = ()
) -> Role:
    return Role(name, rules=rules, aggregation_rule={"clusterRoleSelectors": list(selectors)})


def test_union_in_selector_then_name_order_each_rule_once() -> None:
    view = _aggregating(
        "view",
        {"matchLabels": {"to-view": "true"}},
        {"matchExpressions": [{"key": "extra", "operator": "Exists"}]},
        rules=(NODES,),  # what it had: replaced by what it gathers
    )
    roles = [
        view,
        Role("b", rules=(LIST, GET), labels={"to-view": "true"}),
        Role("a", rules=(GET,), labels={"to-view": "true", "extra": ""}),
        Role("c", rules=(NODES,), labels={"extra": "1"}),
        Role("unlabelled", rules=(PolicyRule(verbs=("*",)),)),
    ]
    assert aggregated_rules(view, roles) == [GET, LIST, NODES]


def test_a_role_never_gathers_itself_and_no_selector_gathers_nothing() -> None:
    selfish = _aggregating("self", {"matchLabels": {"x": "y"}}, rules=(GET,))
    labelled = Role(
        "self", rules=(GET,), labels={"x": "y"}, aggregation_rule=selfish.aggregation_rule
    )
    assert aggregated_rules(labelled, [labelled]) == []
    assert aggregated_rules(_aggregating("none"), [Role("a", rules=(GET,))]) == []
    # an empty selector selects every other role
    everyone = _aggregating("all", {})
    assert aggregated_rules(everyone, [everyone, Role("a", rules=(GET,))]) == [GET]


def test_an_unreadable_selector_fails() -> None:
    broken = _aggregating("x", {"matchExpressions": [{"key": "a", "operator": "Sometimes"}]})
    with pytest.raises(SelectorParseError):
        aggregated_rules(broken, [Role("a", rules=(GET,), labels={"a": "b"})])
