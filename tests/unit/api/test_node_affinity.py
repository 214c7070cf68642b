"""Node selection and taints as component-helpers/scheduling/corev1 decides them."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.intstr import IntOrStringError, scaled_value
from kubeling.api.node_affinity import (
    matches_node_selector,
    matches_required_node_affinity,
)
from kubeling.api.taints import find_untolerated_taint, tolerates, toleration_matches

HDD = {"key": "disk", "operator": "In", "values": ["hdd"]}
NODE = {"metadata": {"name": "n1", "labels": {"zone": "a", "cpus": "8", "disk": "ssd"}}}


def _expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        out["values"] = list(values)
    return out


@pytest.mark.parametrize(
    ("term", "matches"),
    [
        ({"matchExpressions": [_expr("zone", "In", "a", "b")]}, True),
        ({"matchExpressions": [_expr("zone", "NotIn", "a")]}, False),
        ({"matchExpressions": [_expr("gpu", "NotIn", "x")]}, True),  # absent key
        ({"matchExpressions": [_expr("disk", "Exists")]}, True),
        ({"matchExpressions": [_expr("disk", "DoesNotExist")]}, False),
        ({"matchExpressions": [_expr("cpus", "Gt", "4")]}, True),
        ({"matchExpressions": [_expr("cpus", "Lt", "4")]}, False),
        ({"matchExpressions": [_expr("cpus", "Gt", "four")]}, False),  # does not parse
        ({"matchExpressions": [_expr("zone", "Equals", "a")]}, False),  # unknown operator
        ({"matchFields": [_expr("metadata.name", "In", "n1")]}, True),
        ({"matchFields": [_expr("metadata.name", "NotIn", "n1")]}, False),
        ({"matchFields": [_expr("metadata.name", "In", "n1", "n2")]}, False),  # one value only
        ({"matchFields": [_expr("metadata.name", "Exists")]}, False),
        ({"matchFields": [_expr("spec.unknown", "NotIn", "x")]}, True),
        (
            {
                "matchExpressions": [_expr("zone", "In", "a")],
                "matchFields": [_expr("metadata.name", "In", "n2")],
            },
            False,  # a term ANDs its parts
        ),
        ({}, False),  # an empty term selects nothing
    ],
)
def test_one_term(term: dict[str, Any], matches: bool) -> None:
    """Each operator, on labels and on the node's name."""
    assert matches_node_selector({"nodeSelectorTerms": [term]}, NODE) is matches


def test_terms_are_ored_and_a_bad_term_does_not_spoil_the_others() -> None:
    """A term that does not parse selects nothing, the other terms still count."""
    bad = {"matchExpressions": [_expr("cpus", "Gt", "x")]}
    good = {"matchExpressions": [_expr("zone", "In", "a")]}
    assert matches_node_selector({"nodeSelectorTerms": [bad, good]}, NODE)
    assert not matches_node_selector({"nodeSelectorTerms": [bad]}, NODE)
    assert not matches_node_selector({"nodeSelectorTerms": []}, NODE)


@pytest.mark.parametrize(
    ("spec", "matches"),
    [
        ({}, True),
        ({"nodeSelector": {"zone": "a"}}, True),
        ({"nodeSelector": {"zone": "b"}}, False),
        ({"nodeSelector": {"zone": "a", "gpu": "yes"}}, False),
        (
            {
                "nodeSelector": {"zone": "a"},
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [_expr("disk", "In", "hdd")]}
                            ]
                        }
                    }
                },
            },
            False,  # both must hold
        ),
        (
            {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}},
            True,  # preferences do not restrict
        ),
    ],
)
def test_required_node_affinity(spec: dict[str, Any], matches: bool) -> None:
    """nodeSelector and the required node affinity together."""
    assert matches_required_node_affinity(spec, NODE) is matches


@pytest.mark.parametrize(
    ("toleration", "taint", "tolerated"),
    [
        ({"key": "k", "operator": "Exists"}, {"key": "k", "effect": "NoSchedule"}, True),
        ({"operator": "Exists"}, {"key": "any", "value": "v", "effect": "NoExecute"}, True),
        ({"key": "k", "value": "v"}, {"key": "k", "value": "v", "effect": "NoSchedule"}, True),
        ({"key": "k", "value": "v"}, {"key": "k", "value": "w", "effect": "NoSchedule"}, False),
        (
            {"key": "k", "operator": "Equal", "value": "v", "effect": "NoExecute"},
            {"key": "k", "value": "v", "effect": "NoSchedule"},
            False,  # another effect
        ),
        ({"key": "k", "operator": "Bogus"}, {"key": "k"}, False),
        ({"key": "j", "operator": "Exists"}, {"key": "k"}, False),
    ],
)
def test_tolerations(toleration: dict[str, Any], taint: dict[str, Any], tolerated: bool) -> None:
    """Key, value, effect and operator as Toleration.ToleratesTaint reads them."""
    assert tolerates(toleration, taint) is tolerated


def test_the_first_untolerated_taint_of_the_filtered_ones() -> None:
    """Taints the filter leaves out do not count; the node's order decides which is named."""
    taints = [
        {"key": "soft", "effect": "PreferNoSchedule"},
        {"key": "a", "effect": "NoSchedule"},
        {"key": "b", "effect": "NoExecute"},
    ]
    hard = ("NoSchedule", "NoExecute")
    assert find_untolerated_taint(taints, [], hard) == taints[1]
    tolerations = [{"key": "a", "operator": "Exists"}]
    assert find_untolerated_taint(taints, tolerations, hard) == taints[2]
    assert find_untolerated_taint(taints[:1], [], hard) is None


def test_the_same_toleration_whatever_its_seconds() -> None:
    """MatchToleration ignores tolerationSeconds."""
    a = {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}
    assert toleration_matches(a, {"key": "k", "operator": "Exists", "effect": "NoExecute"})
    assert not toleration_matches(a, {"key": "k", "operator": "Exists"})


@pytest.mark.parametrize(
    ("value", "total", "round_up", "expected"),
    [
        (3, 10, True, 3),
        ("25%", 10, True, 3),
        ("25%", 10, False, 2),
        ("100%", 7, False, 7),
        ("0%", 7, True, 0),
        ("1%", 1, True, 1),
    ],
)
def test_scaled_values(value: object, total: int, round_up: bool, expected: int) -> None:
    """Integers are themselves; percentages scale and round as asked."""
    assert scaled_value(value, total, round_up=round_up) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "nil value for IntOrString"),
        ("25", "invalid value for IntOrString: invalid type: string is not a percentage"),
        (
            "x%",
            'invalid value for IntOrString: invalid value "x%": strconv.Atoi: parsing "x": '
            "invalid syntax",
        ),
        (" 5%", 'invalid value " 5%"'),
        (2.5, "neither int nor percentage"),
    ],
)
def test_bad_scaled_values(value: object, message: str) -> None:
    """Upstream's messages for what is neither an integer nor a percentage."""
    with pytest.raises(IntOrStringError, match=message.replace("(", r"\(")):
        scaled_value(value, 10, round_up=True)
