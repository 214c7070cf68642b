"""RBAC rule matching: verbs, groups, resources and subresources, names, URLs."""

from __future__ import annotations

import pytest

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authz.attributes import Attributes
from kubeling.apiserver.authz.rules import PolicyRule, rule_allows, rules_from_json

ALICE = UserInfo("alice")


def _rule(
    verbs: tuple[str, ...],
    groups: tuple[str, ...] = ("",),
    resources: tuple[str, ...] = (),
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


def _request(
    verb: str,
    resource: str,
    *,
    group: str = "",
    subresource: str = "",
    name: str = "",
    namespace: str = "default",
) -> Attributes:
    return Attributes(
        user=ALICE,
        verb=verb,
        resource_request=True,
        api_group=group,
        resource=resource,
        subresource=subresource,
        name=name,
        namespace=namespace,
    )


def _path(verb: str, path: str) -> Attributes:
    return Attributes(user=ALICE, verb=verb, resource_request=False, path=path)


@pytest.mark.parametrize(
    ("rule", "request_", "allowed"),
    [
        # verbs
        (_rule(("get",), resources=("pods",)), _request("get", "pods"), True),
        (_rule(("get",), resources=("pods",)), _request("list", "pods"), False),
        (_rule(("*",), resources=("pods",)), _request("deletecollection", "pods"), True),
        (_rule(("get", "list"), resources=("pods",)), _request("watch", "pods"), False),
        # API groups
        (
            _rule(("get",), resources=("deployments",)),
            _request("get", "deployments", group="apps"),
            False,
        ),
        (
            _rule(("get",), ("apps",), ("deployments",)),
            _request("get", "deployments", group="apps"),
            True,
        ),
        (
            _rule(("get",), ("*",), ("deployments",)),
            _request("get", "deployments", group="apps"),
            True,
        ),
        (_rule(("get",), ("apps",), ("deployments",)), _request("get", "deployments"), False),
        # resources and subresources
        (_rule(("get",), resources=("*",)), _request("get", "secrets"), True),
        (_rule(("get",), resources=("*",)), _request("get", "pods", subresource="log"), True),
        (_rule(("get",), resources=("pods",)), _request("get", "pods", subresource="log"), False),
        (
            _rule(("get",), resources=("pods/log",)),
            _request("get", "pods", subresource="log"),
            True,
        ),
        (_rule(("get",), resources=("pods/log",)), _request("get", "pods"), False),
        (
            _rule(("get",), resources=("pods/log",)),
            _request("get", "pods", subresource="exec"),
            False,
        ),
        (
            _rule(("get",), ("*",), ("*/scale",)),
            _request("get", "deployments", group="apps", subresource="scale"),
            True,
        ),
        (
            _rule(("get",), ("*",), ("*/scale",)),
            _request("get", "deployments", group="apps"),
            False,
        ),
        (
            _rule(("get",), ("*",), ("*/scale",)),
            _request("get", "pods", subresource="status"),
            False,
        ),
        (
            _rule(("get",), ("*",), ("*/status",)),
            _request("get", "pods", subresource="status"),
            True,
        ),
        # resource names
        (
            _rule(("get",), resources=("pods",), names=("web",)),
            _request("get", "pods", name="web"),
            True,
        ),
        (
            _rule(("get",), resources=("pods",), names=("web",)),
            _request("get", "pods", name="db"),
            False,
        ),
        (_rule(("list",), resources=("pods",), names=("web",)), _request("list", "pods"), False),
        (_rule(("get",), resources=("pods",)), _request("get", "pods", name="anything"), True),
        # resource rules never match paths, URL rules never match resources
        (_rule(("get",), urls=("*",)), _request("get", "pods"), False),
        (_rule(("get",), resources=("*",)), _path("get", "/healthz"), False),
        # non-resource URLs: exact, trailing * as prefix, * as everything
        (_rule(("get",), urls=("/healthz",)), _path("get", "/healthz"), True),
        (_rule(("get",), urls=("/healthz",)), _path("get", "/healthz/etcd"), False),
        (_rule(("get",), urls=("/healthz/*",)), _path("get", "/healthz/etcd"), True),
        (_rule(("get",), urls=("/healthz/*",)), _path("get", "/healthz"), False),
        (_rule(("get",), urls=("/apis*",)), _path("get", "/apis/apps/v1"), True),
        (_rule(("get",), urls=("/apis/**",)), _path("get", "/apis/"), True),
        (_rule(("get",), urls=("*",)), _path("get", "/anything"), True),
        (_rule(("get",), urls=("/version",)), _path("post", "/version"), False),
    ],
)
def test_rule_allows(rule: PolicyRule, request_: Attributes, allowed: bool) -> None:
    """Each rule allows exactly what Kubernetes' RuleAllows does."""
    assert rule_allows(request_, rule) is allowed


def test_rules_round_trip_and_ignore_garbage() -> None:
    """Rules read from JSON keep their order; values that are not string lists count
    as empty, so a malformed stored rule allows nothing instead of failing."""
    raw = [
        {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"]},
        {"verbs": ["get"], "nonResourceURLs": ["/x"]},
        {"verbs": "get", "resources": [1, "pods"]},
        "nonsense",
    ]
    rules = rules_from_json(raw)
    assert [r.to_json() for r in rules[:2]] == raw[:2]
    assert rules[2] == PolicyRule(resources=("pods",))
    assert len(rules) == 3
    assert not rule_allows(_request("get", "pods"), rules[2])
    assert rules_from_json(None) == ()
