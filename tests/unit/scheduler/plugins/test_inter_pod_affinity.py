"""InterPodAffinity: required affinity/anti-affinity, existing pods' anti-affinity, scores."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.scheduler.framework.objects import ObjectKind
from kubeling.scheduler.framework.status import Code
from kubeling.scheduler.plugins.inter_pod_affinity import (
    ERR_REASON_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
)

from ..fakes import HOSTNAME, ZONE, Harness, make_node, make_pod

NODES = [
    make_node("n1", labels={ZONE: "a"}),
    make_node("n2", labels={ZONE: "a"}),
    make_node("n3", labels={ZONE: "b"}),
    make_node("n4"),
]
DB = make_pod("db", labels={"app": "db"}, node_name="n1")


def _term(app: str, key: str = ZONE, **extra: Any) -> dict[str, Any]:
    return {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key, **extra}


def _pod(kind: str, *terms: dict[str, Any], labels: dict[str, str] | None = None) -> dict[str, Any]:
    affinity = {kind: {"requiredDuringSchedulingIgnoredDuringExecution": list(terms)}}
    return make_pod("p", labels=labels or {"app": "web"}, spec={"affinity": affinity})


def _reasons(statuses: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    return {name: status.reasons for name, status in statuses.items()}


AFFINITY = (ERR_REASON_AFFINITY_RULES_NOT_MATCH,)
ANTI = (ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,)
EXISTING = (ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,)


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        (_pod("podAffinity", _term("db")), {"n1": (), "n2": (), "n3": AFFINITY, "n4": AFFINITY}),
        (
            _pod("podAffinity", _term("db", HOSTNAME)),
            {"n1": (), "n2": AFFINITY, "n3": AFFINITY, "n4": AFFINITY},
        ),
        (_pod("podAntiAffinity", _term("db")), {"n1": ANTI, "n2": ANTI, "n3": (), "n4": ()}),
        # The first pod of a self-affine group may go wherever the key exists.
        (_pod("podAffinity", _term("web")), {"n1": (), "n2": (), "n3": (), "n4": AFFINITY}),
        # Another namespace's db does not count.
        (
            _pod("podAffinity", _term("db", namespaces=["other"])),
            {"n1": AFFINITY, "n2": AFFINITY, "n3": AFFINITY, "n4": AFFINITY},
        ),
        # An empty namespace selector means every namespace.
        (
            _pod("podAffinity", _term("db", namespaces=["other"], namespaceSelector={})),
            {"n1": (), "n2": (), "n3": AFFINITY, "n4": AFFINITY},
        ),
    ],
)
def test_filter_incoming_terms(pod: dict[str, Any], expected: dict[str, tuple[str, ...]]) -> None:
    """Affinity is unresolvable, anti-affinity Unschedulable."""
    statuses = Harness(nodes=NODES, pods=[DB]).filter("InterPodAffinity", pod)
    assert _reasons(statuses) == expected
    for status in statuses.values():
        if status.reasons == AFFINITY:
            assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        elif status.reasons:
            assert status.code is Code.UNSCHEDULABLE


def test_namespace_selector_reads_namespace_labels() -> None:
    """A namespaceSelector matches the labels of the Namespace objects fed in."""
    prod = {"metadata": {"name": "prod", "labels": {"env": "prod"}}}
    db = make_pod("db", namespace="prod", labels={"app": "db"}, node_name="n3")
    pod = _pod("podAffinity", _term("db", namespaceSelector={"matchLabels": {"env": "prod"}}))
    harness = Harness(nodes=NODES, pods=[db], objects=[(ObjectKind.NAMESPACES, prod)])
    assert _reasons(harness.filter("InterPodAffinity", pod)) == {
        "n1": AFFINITY,
        "n2": AFFINITY,
        "n3": (),
        "n4": AFFINITY,
    }


def test_existing_pods_anti_affinity() -> None:
    """A placed pod's required anti-affinity keeps matching pods out of its domain."""
    loner = make_pod(
        "loner",
        node_name="n3",
        spec={
            "affinity": {
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [_term("web", HOSTNAME)]
                }
            }
        },
    )
    harness = Harness(nodes=NODES, pods=[loner])
    assert _reasons(harness.filter("InterPodAffinity", make_pod("p", labels={"app": "web"}))) == {
        "n1": (),
        "n2": (),
        "n3": EXISTING,
        "n4": (),
    }
    # A pod the term does not select is not affected, and the filter is skipped entirely.
    assert _reasons(harness.filter("InterPodAffinity", make_pod("p", labels={"app": "api"}))) == {
        "n1": (),
        "n2": (),
        "n3": (),
        "n4": (),
    }


def test_score_preferred_terms() -> None:
    """Preferred affinity adds its weight per matching pod's domain; normalized linearly."""
    affinity = {
        "podAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 10, "podAffinityTerm": _term("db")}
            ]
        }
    }
    pod = make_pod("p", labels={"app": "web"}, spec={"affinity": affinity})
    assert Harness(nodes=NODES, pods=[DB]).score("InterPodAffinity", pod) == {
        "n1": 100,
        "n2": 100,
        "n3": 0,
        "n4": 0,
    }
    anti = {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 10, "podAffinityTerm": _term("db")}
            ]
        }
    }
    pod = make_pod("p", labels={"app": "web"}, spec={"affinity": anti})
    assert Harness(nodes=NODES, pods=[DB]).score("InterPodAffinity", pod) == {
        "n1": 0,
        "n2": 0,
        "n3": 100,
        "n4": 100,
    }


def test_score_existing_pods_terms() -> None:
    """An existing pod's required affinity to the incoming pod adds hardPodAffinityWeight."""
    friend = make_pod(
        "friend",
        node_name="n3",
        spec={
            "affinity": {
                "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [_term("web")]}
            }
        },
    )
    scores = Harness(nodes=NODES, pods=[friend]).score(
        "InterPodAffinity", make_pod("p", labels={"app": "web"})
    )
    assert scores == {"n1": 0, "n2": 0, "n3": 100, "n4": 0}
    # Nothing to score: PreScore skips.
    assert Harness(nodes=NODES, pods=[DB]).score("InterPodAffinity", make_pod("p")) == {}
