"""Whether one set of rules covers another (escalation checks, reconciliation)."""

from __future__ import annotations

import pytest

from kubeling.apiserver.authz.coverage import breakdown, compact_rules, compact_string, covers
from kubeling.apiserver.authz.rules import PolicyRule


def _r(
    verbs: tuple[str, ...],
    resources: tuple[str, ...] = (),
    groups: tuple[str, ...] = ("",),
    names: tuple[str, ...] = (),
    urls: tuple[str, ...] = (),
) -> PolicyRule:
    return PolicyRule(
        verbs=verbs,
        api_groups=groups if resources else (),
        resources=resources,
        resource_names=names,
        non_resource_urls=urls,
    )


EVERYTHING = [_r(("*",), ("*",), ("*",)), _r(("*",), urls=("*",))]


@pytest.mark.parametrize(
    ("owner", "servant", "covered"),
    [
        (EVERYTHING, [_r(("escalate",), ("clusterroles",), ("rbac.authorization.k8s.io",))], True),
        (EVERYTHING, [_r(("get",), urls=("/anything",))], True),
        ([_r(("get", "list"), ("pods",))], [_r(("get",), ("pods",))], True),
        ([_r(("get",), ("pods",))], [_r(("get", "list"), ("pods",))], False),
        ([_r(("get",), ("pods",))], [_r(("get",), ("pods",), ("apps",))], False),
        ([_r(("get",), ("pods",), ("*",))], [_r(("get",), ("pods",), ("apps",))], True),
        # subresources: exact, or */sub; a resource does not cover its subresources
        ([_r(("get",), ("pods",))], [_r(("get",), ("pods/log",))], False),
        ([_r(("get",), ("*/log",))], [_r(("get",), ("pods/log",))], True),
        ([_r(("get",), ("*/log",))], [_r(("get",), ("pods",))], False),
        # resource names: none covers any; a list covers its own
        ([_r(("get",), ("pods",))], [_r(("get",), ("pods",), names=("a",))], True),
        (
            [_r(("get",), ("pods",), names=("a", "b"))],
            [_r(("get",), ("pods",), names=("a",))],
            True,
        ),
        ([_r(("get",), ("pods",), names=("a",))], [_r(("get",), ("pods",), names=("c",))], False),
        ([_r(("get",), ("pods",), names=("a",))], [_r(("get",), ("pods",))], False),
        # URLs: prefix with a trailing *
        ([_r(("get",), urls=("/healthz/*",))], [_r(("get",), urls=("/healthz/etcd",))], True),
        ([_r(("get",), urls=("/healthz",))], [_r(("get",), urls=("/healthz/etcd",))], False),
        # the union of several owner rules covers a rule none covers alone
        (
            [_r(("get",), ("pods",)), _r(("list",), ("pods",))],
            [_r(("get", "list"), ("pods",))],
            True,
        ),
        ([], [], True),
    ],
)
def test_covers(owner: list[PolicyRule], servant: list[PolicyRule], covered: bool) -> None:
    assert covers(owner, servant)[0] is covered


def test_breakdown_is_atomic() -> None:
    rule = _r(("get", "list"), ("pods", "secrets"), ("", "apps"), names=("a",))
    atoms = breakdown(rule)
    assert len(atoms) == 8
    assert all(
        len(a.verbs) == len(a.api_groups) == len(a.resources) == len(a.resource_names) == 1
        for a in atoms
    )
    assert breakdown(_r(("get", "post"), urls=("/a", "/b"))) == [
        _r(("get",), urls=("/a",)),
        _r(("post",), urls=("/a",)),
        _r(("get",), urls=("/b",)),
        _r(("post",), urls=("/b",)),
    ]


def test_missing_rules_compact_into_kubernetes_strings() -> None:
    """What an escalation refusal lists: one line per resource (and name), verbs merged."""
    _, missing = covers([], [_r(("get", "list"), ("nodes", "pods")), _r(("get",), urls=("/x",))])
    lines = sorted({compact_string(r) for r in compact_rules(missing)})
    assert lines == [
        '{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}',
        '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}',
        '{NonResourceURLs:["/x"], Verbs:["get"]}',
    ]
    named = compact_string(_r(("get",), ("pods",), names=("a",)))
    assert named == '{APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}'
