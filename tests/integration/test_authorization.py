"""Authorization in a real API server over HTTPS, users being client certificates.

An ``ApiServer`` runs in this process on a sqlite store with the cluster PKI;
aiohttp clients present certificates the test mints with the cluster CA.
This tier checks what kubectl does not show: the Status bodies, writes by
update, patch, apply and dry run, the default policy after a restart, and
aggregation both ways.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kubeling.apiserver.server import ApiServer, ApiServerConfig
from kubeling.pki import Pki, ensure_pki, issue_client_cert
from tests.support.waiting import eventually

Obj = dict[str, Any]

RBAC = "/apis/rbac.authorization.k8s.io/v1"


@dataclass
class Cluster:
    server: ApiServer
    pki: Pki
    tmp: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server.port}"

    def session(self, user: str | None, *groups: str) -> aiohttp.ClientSession:
        """A client as ``user`` in ``groups`` (the admin: ``system:masters``; None: anonymous)."""
        if user is None:
            context = ssl.create_default_context(cafile=self.pki.ca_cert)
        elif user == "admin":
            context = self.pki.client_ssl_context(self.pki.admin_cert, self.pki.admin_key)
        else:
            cert, key = issue_client_cert(self.pki, user, groups)
            cert_path, key_path = self.tmp / f"{user}.crt", self.tmp / f"{user}.key"
            cert_path.write_bytes(cert)
            key_path.write_bytes(key)
            context = self.pki.client_ssl_context(cert_path, key_path)
        return aiohttp.ClientSession(base_url=self.url, connector=aiohttp.TCPConnector(ssl=context))


async def _start(tmp: Path) -> Cluster:
    pki = await asyncio.to_thread(ensure_pki, tmp / "pki", server_names=[], server_ips=[])
    server = ApiServer(
        ApiServerConfig(
            datastore=f"sqlite:///{tmp / 'state.db'}", port=0, ssl_context=pki.server_ssl_context()
        )
    )
    await server.start()
    return Cluster(server, pki, tmp)


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    running = await _start(tmp_path)
    try:
        yield running
    finally:
        await running.server.stop()


async def _json(response: aiohttp.ClientResponse) -> Obj:
    body: Obj = json.loads(await response.read())
    return body


async def test_a_denied_request_is_kubernetes_403_status(cluster: Cluster) -> None:
    async with cluster.session("nobody", "team") as nobody:
        response = await nobody.get("/api/v1/namespaces/default/secrets/token")
        assert response.status == 403
        assert await _json(response) == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": 'secrets "token" is forbidden: User "nobody" cannot get resource '
            '"secrets" in API group "" in the namespace "default"',
            "reason": "Forbidden",
            "details": {"name": "token", "kind": "secrets"},
            "code": 403,
        }
        metrics = await nobody.get("/metrics")
        assert metrics.status == 403
        assert (await _json(metrics))["message"] == (
            'forbidden: User "nobody" cannot get path "/metrics"'
        )
        # an unknown resource is forbidden before it is found missing, as upstream
        unknown = await nobody.get("/apis/example.com/v1/widgets")
        assert unknown.status == 403
        for allowed in ("/version", "/healthz", "/api", "/apis/apps/v1", "/openapi/v2"):
            assert (await nobody.get(allowed)).status == 200, allowed


async def test_anonymous_requests_see_only_public_information(cluster: Cluster) -> None:
    async with cluster.session(None) as anonymous:
        assert (await anonymous.get("/healthz")).status == 200
        assert (await anonymous.get("/version")).status == 200
        # system:discovery is bound to system:authenticated only
        refused = await anonymous.get("/api")
        assert refused.status == 403
        assert (await _json(refused))["message"] == (
            'forbidden: User "system:anonymous" cannot get path "/api"'
        )


async def test_escalation_is_refused_on_every_kind_of_write(cluster: Cluster) -> None:
    """A namespace admin writing a Role that grants nodes: create, update, patch, apply and
    dry runs are all refused; changing only owner references is not."""
    async with cluster.session("admin") as admin, cluster.session("lead", "leads") as lead:
        assert (
            await admin.post("/api/v1/namespaces", json={"metadata": {"name": "t"}})
        ).status == 201
        binding = {
            "metadata": {"name": "leads-admin"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "admin",
            },
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "leads"}
            ],
        }
        assert (await admin.post(f"{RBAC}/namespaces/t/rolebindings", json=binding)).status == 201
        roles = f"{RBAC}/namespaces/t/roles"
        mine = {
            "metadata": {"name": "r"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
        }

        async def created() -> bool:
            return (await lead.post(roles, json=mine)).status == 201

        await eventually(created, within=10, what="the admin binding to allow creating roles")
        nodes = [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}]
        refusal = (
            'roles.rbac.authorization.k8s.io "r" is forbidden: user "lead" (groups=["leads" '
            '"system:authenticated"]) is attempting to grant RBAC permissions not currently '
            'held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}'
        )
        current = await _json(await lead.get(f"{roles}/r"))
        attempts = [
            lead.put(f"{roles}/r", json={**current, "rules": nodes}),
            lead.patch(
                f"{roles}/r",
                data=json.dumps({"rules": nodes}),
                headers={"Content-Type": "application/merge-patch+json"},
            ),
            lead.patch(
                f"{roles}/r",
                params={"fieldManager": "lead", "force": "true"},
                data=json.dumps(
                    {
                        "apiVersion": "rbac.authorization.k8s.io/v1",
                        "kind": "Role",
                        "metadata": {"name": "r"},
                        "rules": nodes,
                    }
                ),
                headers={"Content-Type": "application/apply-patch+yaml"},
            ),
            lead.patch(
                f"{roles}/r",
                params={"dryRun": "All"},
                data=json.dumps({"rules": nodes}),
                headers={"Content-Type": "application/merge-patch+json"},
            ),
        ]
        for attempt in attempts:
            response = await attempt
            assert response.status == 403
            assert (await _json(response))["message"] == refusal
        created_too = await lead.post(
            roles, params={"dryRun": "All"}, json={"metadata": {"name": "n"}, "rules": nodes}
        )
        assert created_too.status == 403
        assert (await _json(await lead.get(f"{roles}/r")))["rules"] == mine["rules"]

        # someone with only "update roles" may still change owner references
        only = {
            "metadata": {"name": "update-roles"},
            "rules": [
                {
                    "apiGroups": ["rbac.authorization.k8s.io"],
                    "resources": ["roles"],
                    "verbs": ["get", "patch"],
                }
            ],
        }
        assert (await admin.post(roles, json=only)).status == 201
        gc_binding = {
            "metadata": {"name": "gc"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "update-roles",
            },
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "gc"}],
        }
        assert (
            await admin.post(f"{RBAC}/namespaces/t/rolebindings", json=gc_binding)
        ).status == 201
        async with cluster.session("gc") as gc:
            owner = {"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "1"}

            async def gc_patch(labels: bool = False) -> int:
                meta: Obj = {"ownerReferences": [owner]}
                if labels:
                    meta["labels"] = {"x": "y"}
                response = await gc.patch(
                    f"{roles}/r",
                    data=json.dumps({"metadata": meta}),
                    headers={"Content-Type": "application/merge-patch+json"},
                )
                return response.status

            await eventually(lambda: _is(gc_patch(), 200), within=10, what="the gc binding")
            assert await gc_patch(labels=True) == 403


async def _is(status: Awaitable[int], wanted: int) -> bool:
    return await status == wanted


async def test_the_default_policy_is_reconciled_at_each_start(tmp_path: Path) -> None:
    """Missing default rules and subjects come back after a restart; what an administrator
    added stays; an object with autoupdate "false" is left as it is."""
    cluster = await _start(tmp_path)
    try:
        async with cluster.session("admin") as admin:
            basic = await _json(await admin.get(f"{RBAC}/clusterroles/system:basic-user"))
            assert len(basic["rules"]) == 2
            basic["rules"] = [
                *basic["rules"][:1],
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]},
            ]
            assert (
                await admin.put(f"{RBAC}/clusterroles/system:basic-user", json=basic)
            ).status == 200
            discovery = await _json(await admin.get(f"{RBAC}/clusterroles/system:discovery"))
            discovery["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"] = (
                "false"
            )
            discovery["rules"] = [{"nonResourceURLs": ["/version"], "verbs": ["get"]}]
            assert (
                await admin.put(f"{RBAC}/clusterroles/system:discovery", json=discovery)
            ).status == 200
            assert (
                await admin.delete(f"{RBAC}/clusterrolebindings/system:monitoring")
            ).status == 200
            viewers = await _json(
                await admin.get(f"{RBAC}/clusterrolebindings/system:public-info-viewer")
            )
            viewers["subjects"] = [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "x"}
            ]
            assert (
                await admin.put(
                    f"{RBAC}/clusterrolebindings/system:public-info-viewer", json=viewers
                )
            ).status == 200
    finally:
        await cluster.server.stop()
    cluster = await _start(tmp_path)
    try:
        async with cluster.session("admin") as admin:
            basic = await _json(await admin.get(f"{RBAC}/clusterroles/system:basic-user"))
            assert basic["rules"][1] == {
                "apiGroups": [""],
                "resources": ["configmaps"],
                "verbs": ["get"],
            }
            assert {
                "apiGroups": ["authentication.k8s.io"],
                "resources": ["selfsubjectreviews"],
                "verbs": ["create"],
            } in basic["rules"]
            discovery = await _json(await admin.get(f"{RBAC}/clusterroles/system:discovery"))
            assert discovery["rules"] == [{"nonResourceURLs": ["/version"], "verbs": ["get"]}]
            monitoring = await admin.get(f"{RBAC}/clusterrolebindings/system:monitoring")
            assert monitoring.status == 200
            viewers = await _json(
                await admin.get(f"{RBAC}/clusterrolebindings/system:public-info-viewer")
            )
            assert [s["name"] for s in viewers["subjects"]] == [
                "x",
                "system:authenticated",
                "system:unauthenticated",
            ]
        async with cluster.session("nobody") as nobody:
            # discovery is down to /version for everyone: the administrator said so
            assert (await nobody.get("/api")).status == 403
    finally:
        await cluster.server.stop()


async def test_aggregation_follows_labelled_roles_both_ways(cluster: Cluster) -> None:
    rule = {"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get"]}
    widget_viewer = {
        "metadata": {
            "name": "widget-viewer",
            "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        },
        "rules": [rule],
    }
    async with cluster.session("admin") as admin:

        async def in_role(name: str) -> bool:
            role = await _json(await admin.get(f"{RBAC}/clusterroles/{name}"))
            return rule in (role.get("rules") or [])

        assert (await admin.post(f"{RBAC}/clusterroles", json=widget_viewer)).status == 201
        for name in ("view", "edit", "admin"):
            await eventually(
                lambda name=name: in_role(name), within=10, what=f"{name} to gather widgets"
            )
        assert (await admin.delete(f"{RBAC}/clusterroles/widget-viewer")).status == 200
        for name in ("view", "edit", "admin"):

            async def gone(name: str = name) -> bool:
                return not await in_role(name)

            await eventually(gone, within=10, what=f"{name} to drop widgets")
