"""ValidatingAdmissionPolicy against a real API server: policies, bindings, params and
namespaces stored through the server and read by the plugin from its watch caches.

The plugin is called directly (the admission chain is wired into the resource store
separately); everything it reads comes from the running server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.admission.interfaces import Attributes
from kubeling.apiserver.admission.policy import (
    RegistrySources,
    ValidatingAdmissionPolicyPlugin,
)
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.server import ApiServer, ApiServerConfig
from kubeling.apiserver.warnings import collect_warnings
from tests.support.waiting import eventually

Obj = dict[str, Any]
W = WriteOptions()
ADMISSION = "admissionregistration.k8s.io"

POLICY: Obj = {
    "apiVersion": f"{ADMISSION}/v1",
    "kind": "ValidatingAdmissionPolicy",
    "metadata": {"name": "replica-limit"},
    "spec": {
        "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": ["apps"],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["deployments"],
                }
            ]
        },
        "validations": [
            {
                "expression": "object.spec.replicas <= int(params.data.maxReplicas)",
                "messageExpression": "'at most ' + params.data.maxReplicas + ' replicas in ' + "
                "namespaceObject.metadata.name",
                "reason": "Forbidden",
            }
        ],
    },
}


def _binding(name: str, actions: list[str], env: str) -> Obj:
    return {
        "apiVersion": f"{ADMISSION}/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {
            "policyName": "replica-limit",
            "validationActions": actions,
            "paramRef": {"name": "limits", "parameterNotFoundAction": "Deny"},
            "matchResources": {"namespaceSelector": {"matchLabels": {"env": env}}},
        },
    }


class Cluster:
    """A running API server and what the tests write through it."""

    def __init__(self, server: ApiServer) -> None:
        assert server.registry is not None
        assert server.authorization is not None
        self.registry = server.registry
        self.plugin = ValidatingAdmissionPolicyPlugin(
            RegistrySources(server.registry), authorizer=server.authorization.authorizer
        )

    def rest(self, group: str, plural: str) -> ResourceStore:
        rest = self.registry.lookup(group, "v1", plural)
        assert rest is not None
        return rest

    async def namespace(self, name: str, env: str) -> None:
        await self.rest("", "namespaces").create(
            "", {"metadata": {"name": name, "labels": {"env": env}}}, W
        )
        await self.rest("", "configmaps").create(
            name,
            {"metadata": {"name": "limits", "namespace": name}, "data": {"maxReplicas": "3"}},
            W,
        )

    async def admit(
        self, namespace: str, replicas: int, user: UserInfo | None = None
    ) -> Attributes:
        """Run the plugin on a Deployment create; the Attributes show what it recorded."""
        attributes = Attributes(
            operation="CREATE",
            group="apps",
            version="v1",
            resource="deployments",
            subresource="",
            kind_group="apps",
            kind_version="v1",
            kind="Deployment",
            namespace=namespace,
            name="web",
            obj={
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web", "namespace": namespace},
                "spec": {"replicas": replicas},
            },
            old_obj=None,
            user=user or UserInfo("jane"),
        )
        await self.plugin.validate(attributes)
        return attributes


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    server = ApiServer(ApiServerConfig(datastore="memory://", port=0))
    await server.start()
    try:
        yield Cluster(server)
    finally:
        await server.stop()


async def test_policy_enforced_through_bindings_and_params(cluster: Cluster) -> None:
    """Deny in prod, Warn in test, by namespace labels, with params from a ConfigMap."""
    await cluster.namespace("prod", "prod")
    await cluster.namespace("test", "test")
    await cluster.rest(ADMISSION, "validatingadmissionpolicies").create("", POLICY, W)
    bindings = cluster.rest(ADMISSION, "validatingadmissionpolicybindings")
    await bindings.create("", _binding("prod-deny", ["Deny"], "prod"), W)
    await bindings.create("", _binding("test-warn", ["Warn"], "test"), W)

    async def enforced() -> bool:
        try:
            await cluster.admit("prod", 5)
        except errors.StatusError:
            return True
        return False

    await eventually(enforced, within=4, what="the policy to be enforced")
    with pytest.raises(errors.StatusError) as denied:
        await cluster.admit("prod", 5)
    assert denied.value.code == 403
    assert denied.value.message == (
        "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'replica-limit' "
        "with binding 'prod-deny' denied request: at most 3 replicas in prod"
    )
    await cluster.admit("prod", 3)

    warnings = collect_warnings()
    await cluster.admit("test", 5)
    assert warnings == [
        "Validation failed for ValidatingAdmissionPolicy 'replica-limit' with binding "
        "'test-warn': at most 3 replicas in test"
    ]

    # a changed param is read from the cache at the next request
    configmaps = cluster.rest("", "configmaps")
    stored = await configmaps.get("prod", "limits")
    stored["data"]["maxReplicas"] = "10"
    await configmaps.update("prod", "limits", stored, W)

    async def relaxed() -> bool:
        try:
            await cluster.admit("prod", 5)
        except errors.StatusError:
            return False
        return True

    await eventually(relaxed, within=4, what="the new param to be used")


async def test_invalid_policies_are_refused_with_422(cluster: Cluster) -> None:
    """A policy whose CEL does not compile is not stored (422 Invalid)."""
    bad = {**POLICY, "spec": {**POLICY["spec"], "validations": [{"expression": "object.spec <"}]}}
    policies = cluster.rest(ADMISSION, "validatingadmissionpolicies")
    with pytest.raises(errors.StatusError) as refused:
        await policies.create("", bad, W)
    assert refused.value.code == 422
    assert refused.value.message.startswith(
        'ValidatingAdmissionPolicy.admissionregistration.k8s.io "replica-limit" is invalid: '
        'spec.validations[0].expression: Invalid value: "object.spec <": compilation failed: '
    )
    with pytest.raises(errors.StatusError) as missing:
        await policies.get("", "replica-limit")
    assert missing.value.code == 404


async def test_authorizer_reads_rbac(cluster: Cluster) -> None:
    """``authorizer`` checks are answered by the server's RBAC: only users who may delete
    deployments may create big ones."""
    await cluster.namespace("prod", "prod")
    policy = {
        **POLICY,
        "spec": {
            "matchConstraints": POLICY["spec"]["matchConstraints"],
            "validations": [
                {
                    "expression": "object.spec.replicas <= 3 || "
                    "authorizer.requestResource.check('delete').allowed()",
                    "message": "only deployment admins may run more than 3 replicas",
                }
            ],
        },
    }
    await cluster.rest(ADMISSION, "validatingadmissionpolicies").create("", policy, W)
    binding = {
        "apiVersion": f"{ADMISSION}/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "admins-only"},
        "spec": {"policyName": "replica-limit", "validationActions": ["Deny"]},
    }
    await cluster.rest(ADMISSION, "validatingadmissionpolicybindings").create("", binding, W)

    async def enforced() -> bool:
        try:
            await cluster.admit("prod", 5)
        except errors.StatusError:
            return True
        return False

    await eventually(enforced, within=4, what="the policy to be enforced")
    admin = UserInfo("root", groups=("system:masters", "system:authenticated"))
    await cluster.admit("prod", 5, admin)
    with pytest.raises(errors.StatusError) as denied:
        await cluster.admit("prod", 5)
    assert denied.value.message.endswith(
        "denied request: only deployment admins may run more than 3 replicas"
    )
