"""Which webhooks a request reaches: selectors, equivalents, conditions, dry runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.webhook.equivalents import GroupVersionResource
from kubeling.apiserver.admission.webhook.mutating import MutatingAdmissionWebhook
from kubeling.apiserver.admission.webhook.source import StaticWebhookSource
from tests.unit.apiserver.admission.webhook.builders import (
    FakeTransport,
    attributes,
    config,
    hook,
    namespace_labels,
    pod,
    validating,
)

NAMESPACES = namespace_labels({"default": {}, "prod": {"env": "prod"}})


async def _reached(hooks: list[dict[str, Any]], attrs: Any) -> list[str]:
    transport = FakeTransport()
    plugin = validating(transport, config("c", *hooks), namespaces=NAMESPACES)
    await plugin.validate(attrs)
    return transport.called()


ENV_PROD = {"matchLabels": {"env": "prod"}}


@pytest.mark.parametrize(
    ("webhook", "attrs", "reached"),
    [
        (hook(namespaceSelector=ENV_PROD), attributes(namespace="prod"), True),
        (hook(namespaceSelector=ENV_PROD), attributes(namespace="default"), False),
        (hook(namespaceSelector={"matchExpressions": [
            {"key": "env", "operator": "NotIn", "values": ["prod"]}]}),
         attributes(namespace="default"), True),
        # cluster-scoped objects are never exempted by a namespace selector
        (hook(namespaceSelector=ENV_PROD, rules=[{**hook()["rules"][0], "resources": ["nodes"]}]),
         attributes(namespace="", resource="nodes", kind=("", "v1", "Node")), True),
        # a Namespace is matched by the labels it is created with
        (hook(namespaceSelector=ENV_PROD,
              rules=[{**hook()["rules"][0], "resources": ["namespaces"]}]),
         attributes(namespace="", name="new", resource="namespaces", kind=("", "v1", "Namespace"),
                    obj={"metadata": {"name": "new", "labels": {"env": "prod"}}}), True),
        (hook(namespaceSelector=ENV_PROD,
              rules=[{**hook()["rules"][0], "resources": ["namespaces"]}]),
         attributes(namespace="", name="new", resource="namespaces", kind=("", "v1", "Namespace"),
                    obj={"metadata": {"name": "new"}}), False),
        # object selector: new or old object
        (hook(objectSelector={"matchLabels": {"app": "web"}}),
         attributes(obj=pod(labels={"app": "web"})), True),
        (hook(objectSelector={"matchLabels": {"app": "web"}}),
         attributes(obj=pod(labels={"app": "db"})), False),
        (hook(objectSelector={"matchLabels": {"app": "web"}}),
         attributes(operation="UPDATE", obj=pod(labels={}), old_obj=pod(labels={"app": "web"})),
         True),
        (hook(objectSelector={"matchLabels": {"app": "web"}}, rules=[
            {**hook()["rules"][0], "operations": ["DELETE"]}]),
         attributes(operation="DELETE", obj=None, old_obj=pod(labels={"app": "web"})), True),
        # an object without metadata (connect options) matches no object selector
        (hook(objectSelector={"matchLabels": {"app": "web"}}, rules=[
            {**hook()["rules"][0], "operations": ["CONNECT"], "resources": ["pods/exec"]}]),
         attributes(operation="CONNECT", subresource="exec", obj={"kind": "PodExecOptions"}),
         False),
        (hook(objectSelector={}, rules=[
            {**hook()["rules"][0], "operations": ["CONNECT"], "resources": ["pods/exec"]}]),
         attributes(operation="CONNECT", subresource="exec", obj={"kind": "PodExecOptions"}),
         True),
        # match conditions see the object, the old object and the request
        (hook(matchConditions=[{"name": "a", "expression": "request.userInfo.username == 'jane'"}]),
         attributes(), True),
        (hook(matchConditions=[{"name": "a", "expression": "object.metadata.name != 'web'"}]),
         attributes(), False),
    ],
)  # fmt: skip
async def test_selectors_and_conditions(webhook: dict[str, Any], attrs: Any, reached: bool) -> None:
    """namespaceSelector, objectSelector and matchConditions decide with the rules."""
    assert await _reached([webhook], attrs) == (["w.example.com"] if reached else [])


async def test_missing_namespace_is_404_only_for_matching_rules() -> None:
    """A namespace that does not exist fails the request only if the rules match."""
    selector = {"namespaceSelector": ENV_PROD}
    deleted = attributes(namespace="gone", operation="DELETE", obj=None)
    assert await _reached([hook(**selector)], deleted) == []
    with pytest.raises(errors.StatusError) as caught:
        await _reached([hook(**selector)], attributes(namespace="gone"))
    assert caught.value.code == 404
    assert caught.value.message == 'namespaces "gone" not found'


async def test_match_condition_error_fails_closed_with_403() -> None:
    """An evaluation error under failurePolicy Fail refuses the request (403)."""
    broken = {"matchConditions": [{"name": "a", "expression": "object.spec.nope == 1"}]}
    with pytest.raises(errors.StatusError) as caught:
        await _reached([hook(**broken)], attributes())
    assert caught.value.code == 403
    assert caught.value.message == (
        "pods \"web\" is forbidden: expression 'object.spec.nope == 1' resulted in error: "
        "no such key: nope"
    )
    assert await _reached([hook(failurePolicy="Ignore", **broken)], attributes()) == []


async def test_exempt_resources_are_not_handled() -> None:
    """The plugins do not take part in writes of webhook configurations."""
    plugin = validating(FakeTransport())
    attrs = attributes(
        group="admissionregistration.k8s.io",
        resource="validatingwebhookconfigurations",
        namespace="",
        kind=("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration"),
    )
    assert not plugin.handles(attrs)
    assert plugin.handles(attributes())


class _AppsEquivalents:
    """apps/v1 and a pretend apps/v1beta2 deployments, sharing storage."""

    V1 = GroupVersionResource("apps", "v1", "deployments")
    BETA = GroupVersionResource("apps", "v1beta2", "deployments")

    def equivalents(self, resource: GroupVersionResource) -> list[GroupVersionResource]:
        return [self.V1, self.BETA] if resource in (self.V1, self.BETA) else [resource]

    def kind_for(self, resource: GroupVersionResource, subresource: str) -> GroupVersionKind:
        return GroupVersionKind(resource.group, resource.version, "Deployment")

    def convert(
        self, obj: Mapping[str, Any], *, source: GroupVersionResource, target: GroupVersionResource
    ) -> dict[str, Any]:
        return {**obj, "apiVersion": f"{target.group}/{target.version}"}


@pytest.mark.parametrize(("policy", "reached"), [("Equivalent", True), ("Exact", False)])
async def test_match_policy(policy: str, reached: bool) -> None:
    """A webhook for apps/v1 deployments sees an apps/v1beta2 request only under Equivalent,
    and then with the object converted to apps/v1."""
    transport = FakeTransport()
    rule = {"operations": ["CREATE"], "apiGroups": ["apps"], "apiVersions": ["v1"],
            "resources": ["deployments"]}  # fmt: skip
    plugin = MutatingAdmissionWebhook(
        source=StaticWebhookSource(
            [config("c", hook(rules=[rule], matchPolicy=policy))], mutating=True
        ),
        namespace_labels=NAMESPACES,
        client=transport,
        equivalents=_AppsEquivalents(),
    )
    attrs = attributes(
        group="apps",
        version="v1beta2",
        resource="deployments",
        kind=("apps", "v1beta2", "Deployment"),
        obj={"apiVersion": "apps/v1beta2", "kind": "Deployment", "metadata": {"name": "web"}},
    )
    await plugin.admit(attrs)
    assert transport.called() == (["w.example.com"] if reached else [])
    if reached:
        request = transport.calls[0][1]["request"]
        assert request["kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
        assert request["resource"]["version"] == "v1"
        assert request["requestKind"]["version"] == "v1beta2"
        assert request["requestResource"]["version"] == "v1beta2"
        assert request["object"]["apiVersion"] == "apps/v1"


@pytest.mark.parametrize(
    ("side_effects", "outcome"),
    [("None", "called"), ("NoneOnDryRun", "called"), ("Some", 400), ("Unknown", 400)],
)
async def test_dry_run_and_side_effects(side_effects: str, outcome: object) -> None:
    """A dry run reaches only webhooks without side effects; others refuse it (400)."""
    transport = FakeTransport()
    plugin = validating(transport, config("c", hook(sideEffects=side_effects)))
    if outcome == "called":
        await plugin.validate(attributes(dry_run=True))
        assert transport.calls[0][1]["request"]["dryRun"] is True
        return
    with pytest.raises(errors.StatusError) as caught:
        await plugin.validate(attributes(dry_run=True))
    assert caught.value.code == outcome
    assert caught.value.message == 'admission webhook "w.example.com" does not support dry run'
    assert transport.calls == []


async def test_review_sent() -> None:
    """The request names the resource, the user and the objects; every call has its uid."""
    transport = FakeTransport()
    plugin = validating(transport, config("c", hook("a.example.com"), hook("b.example.com")))
    await plugin.validate(attributes(operation="UPDATE", old_obj=pod(labels={"x": "y"})))
    reviews = [review for _, review in transport.calls]
    assert {r["apiVersion"] for r in reviews} == {"admission.k8s.io/v1"}
    request = reviews[0]["request"]
    assert request["operation"] == "UPDATE"
    assert request["namespace"] == "default"
    assert request["name"] == "web"
    assert request["userInfo"] == {
        "username": "jane",
        "uid": "u-1",
        "groups": ["dev", "system:authenticated"],
    }
    assert request["oldObject"]["metadata"]["labels"] == {"x": "y"}
    assert request["options"] == {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}
    assert reviews[0]["request"]["uid"] != reviews[1]["request"]["uid"]


async def test_v1beta1_only_webhook_gets_v1beta1() -> None:
    transport = FakeTransport()
    plugin = validating(transport, config("c", hook(admissionReviewVersions=["v1beta1"])))
    await plugin.validate(attributes())
    assert transport.calls[0][1]["apiVersion"] == "admission.k8s.io/v1beta1"
