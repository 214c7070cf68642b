"""Admission webhooks against a real webhook server over HTTPS and a real API server.

The test serves webhooks itself (aiohttp, TLS with a serving certificate from
a CA it generates) on 127.0.0.1 and 127.0.0.2. An ``ApiServer`` runs in this
process over a memory store: webhook configurations, namespaces and Services
are written through its registry, and the two plugins, built from that
registry as the API server builds them, are handed the Attributes of a
request, as the resource store hands them over. What goes over the wire is
real: TLS verification against ``caBundle``, timeouts, the AdmissionReview
and the JSON patch.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.admission.interfaces import Attributes, Operation
from kubeling.apiserver.admission.webhook import (
    MutatingAdmissionWebhook,
    ValidatingAdmissionWebhook,
    webhook_plugins,
)
from kubeling.apiserver.admission.webhook.dispatch import WebhookPlugin
from kubeling.apiserver.rest.options import DeleteOptions, WriteOptions
from kubeling.apiserver.server import ApiServer, ApiServerConfig
from kubeling.pki import Pki, ensure_pki, issue_serving_cert
from tests.support.waiting import eventually

W = WriteOptions()
GROUP = "admissionregistration.k8s.io"
SERVICE_IP = "127.0.0.2"
USER = UserInfo("jane", groups=("system:authenticated",))


@dataclass
class WebhookServer:
    """The test's webhook endpoints and what they were sent."""

    ca_pem: bytes
    port: int = 0
    service_port: int = 0
    reviews: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}/{path}"

    def requests(self, path: str) -> list[dict[str, Any]]:
        return [review["request"] for review in self.reviews.get(path, [])]


def _answer(request: dict[str, Any], **response: Any) -> web.Response:
    return web.json_response(
        {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "response": {"uid": request["uid"], "allowed": True, **response},
        }
    )


def _handler(server: WebhookServer) -> Any:
    async def handle(http: web.Request) -> web.Response:
        path = http.match_info["path"]
        review = await http.json()
        server.reviews.setdefault(path, []).append(review)
        request = review["request"]
        obj = request.get("object") or {}
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if path == "mutate":
            operations = [
                {"op": "add", "path": "/metadata/labels/mutated", "value": "yes"}
                if labels
                else {"op": "add", "path": "/metadata/labels", "value": {"mutated": "yes"}}
            ]
            patch = base64.b64encode(json.dumps(operations).encode()).decode()
            return _answer(request, patch=patch, patchType="JSONPatch")
        if path == "validate":
            if labels.get("forbidden") == "true":
                return _answer(
                    request,
                    allowed=False,
                    status={"code": 403, "reason": "Forbidden", "message": "forbidden label"},
                )
            return _answer(request, warnings=["validated by the test webhook"])
        if path == "slow":
            await server.release.wait()
            return _answer(request)
        return web.Response(status=404, text="no such webhook")

    return handle


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return ensure_pki(tmp_path / "pki", server_names=[], server_ips=[])


@pytest.fixture
async def webhook_server(pki: Pki, tmp_path: Path) -> AsyncIterator[WebhookServer]:
    cert, key = issue_serving_cert(
        pki, "webhook", names=["webhook.default.svc"], ips=["127.0.0.1", SERVICE_IP]
    )
    (tmp_path / "webhook.crt").write_bytes(cert)
    (tmp_path / "webhook.key").write_bytes(key)
    tls = pki.serving_ssl_context(tmp_path / "webhook.crt", tmp_path / "webhook.key")
    server = WebhookServer(ca_pem=pki.ca_pem())
    app = web.Application()
    app.router.add_post("/{path}", _handler(server))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    ports = []
    for host in ("127.0.0.1", SERVICE_IP):
        site = web.TCPSite(runner, host, 0, ssl_context=tls)
        await site.start()
        ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    server.port, server.service_port = ports
    try:
        yield server
    finally:
        server.release.set()
        await runner.cleanup()


@pytest.fixture
async def api_server() -> AsyncIterator[ApiServer]:
    # The service range holds 127.0.0.2, where the test's webhook also listens.
    server = ApiServer(ApiServerConfig(datastore="memory://", port=0, service_cidr="127.0.0.0/24"))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class Plugins:
    server: ApiServer
    mutating: MutatingAdmissionWebhook
    validating: ValidatingAdmissionWebhook

    def rest(self, group: str, plural: str) -> Any:
        assert self.server.registry is not None
        rest = self.server.registry.lookup(group, "v1", plural)
        assert rest is not None
        return rest

    async def configure(self, kind: str, *hooks: dict[str, Any], name: str = "test") -> None:
        """Create a webhook configuration and wait until the plugin sees it."""
        plural = f"{kind.lower()}webhookconfigurations"
        await self.rest(GROUP, plural).create(
            "",
            {
                "apiVersion": f"{GROUP}/v1",
                "kind": f"{kind}WebhookConfiguration",
                "metadata": {"name": name},
                "webhooks": list(hooks),
            },
            W,
        )
        plugin: WebhookPlugin = self.mutating if kind == "Mutating" else self.validating
        await eventually(
            lambda: any(w.configuration == name for w in plugin.source.webhooks()),
            within=8,
            what=f"the watch cache to serve webhook configuration {name}",
        )

    async def unconfigure(self, kind: str, name: str = "test") -> None:
        plural = f"{kind.lower()}webhookconfigurations"
        await self.rest(GROUP, plural).delete("", name, DeleteOptions())
        plugin: WebhookPlugin = self.mutating if kind == "Mutating" else self.validating
        await eventually(
            lambda: not plugin.source.webhooks(),
            within=8,
            what=f"the watch cache to drop webhook configuration {name}",
        )


@pytest.fixture
async def plugins(api_server: ApiServer) -> Plugins:
    assert api_server.registry is not None
    mutating, validating = webhook_plugins(api_server.registry)
    return Plugins(api_server, mutating, validating)


def _hook(name: str, client_config: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "clientConfig": client_config,
        "rules": [
            {
                "operations": ["CREATE", "UPDATE"],
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["configmaps"],
            }
        ],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        **fields,
    }


def _url(server: WebhookServer, path: str, ca: bytes | None = None) -> dict[str, Any]:
    return {
        "url": server.url(path),
        "caBundle": base64.b64encode(ca if ca is not None else server.ca_pem).decode(),
    }


def _configmap(name: str = "cm", labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "default"}
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}}


def _attributes(
    obj: dict[str, Any] | None,
    *,
    operation: Operation = "CREATE",
    namespace: str = "default",
    group: str = "",
    version: str = "v1",
    resource: str = "configmaps",
    kind: tuple[str, str, str] = ("", "v1", "ConfigMap"),
) -> Attributes:
    meta = (obj or {}).get("metadata") or {}
    return Attributes(
        operation=operation,
        group=group,
        version=version,
        resource=resource,
        subresource="",
        kind_group=kind[0],
        kind_version=kind[1],
        kind=kind[2],
        namespace=namespace,
        name=meta.get("name", ""),
        obj=obj,
        old_obj=None,
        user=USER,
        options={"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
    )


async def test_mutating_webhook_patches_the_object(
    plugins: Plugins, webhook_server: WebhookServer
) -> None:
    """The webhook's JSON patch, sent over HTTPS, changes the object being admitted."""
    await plugins.configure("Mutating", _hook("mutate.example.com", _url(webhook_server, "mutate")))
    attrs = _attributes(_configmap())
    await plugins.mutating.admit(attrs)
    assert attrs.obj is not None
    assert attrs.obj["metadata"]["labels"] == {"mutated": "yes"}
    [request] = webhook_server.requests("mutate")
    assert request["kind"] == {"group": "", "version": "v1", "kind": "ConfigMap"}
    assert request["resource"] == {"group": "", "version": "v1", "resource": "configmaps"}
    assert request["operation"] == "CREATE"
    assert request["userInfo"]["username"] == "jane"
    assert request["object"]["data"] == {"k": "v"}


async def test_validating_webhook_rejects(plugins: Plugins, webhook_server: WebhookServer) -> None:
    """A denial carries the webhook's code and message; an allowed request passes."""
    await plugins.configure(
        "Validating", _hook("validate.example.com", _url(webhook_server, "validate"))
    )
    await plugins.validating.validate(_attributes(_configmap()))
    with pytest.raises(errors.StatusError) as caught:
        await plugins.validating.validate(_attributes(_configmap(labels={"forbidden": "true"})))
    assert (caught.value.code, caught.value.reason) == (403, "Forbidden")
    assert caught.value.message == (
        'admission webhook "validate.example.com" denied the request: forbidden label'
    )


@pytest.mark.parametrize("policy", ["Fail", "Ignore"])
async def test_webhook_down(plugins: Plugins, webhook_server: WebhookServer, policy: str) -> None:
    """Nothing listens: Fail refuses the request (500), Ignore lets it through."""
    # A port that was just free: bind, note it, close.
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    url = f"https://127.0.0.1:{port}/validate"
    await plugins.configure(
        "Validating",
        _hook(
            "down.example.com",
            {"url": url, "caBundle": base64.b64encode(webhook_server.ca_pem).decode()},
            failurePolicy=policy,
        ),
    )
    attrs = _attributes(_configmap())
    if policy == "Ignore":
        await plugins.validating.validate(attrs)
        return
    with pytest.raises(errors.StatusError) as caught:
        await plugins.validating.validate(attrs)
    assert (caught.value.code, caught.value.reason) == (500, "InternalError")
    assert caught.value.message == (
        'Internal error occurred: failed calling webhook "down.example.com": failed to call '
        f'webhook: Post "{url}?timeout=10s": dial tcp 127.0.0.1:{port}: connect: '
        "connection refused"
    )


async def test_untrusted_certificate_is_a_call_failure(
    plugins: Plugins, webhook_server: WebhookServer, tmp_path: Path
) -> None:
    """A caBundle the webhook's certificate does not chain to fails the call."""
    other_ca = ensure_pki(tmp_path / "other", server_names=[], server_ips=[]).ca_pem()
    await plugins.configure(
        "Mutating",
        _hook("mutate.example.com", _url(webhook_server, "mutate", ca=other_ca)),
    )
    with pytest.raises(errors.StatusError) as caught:
        await plugins.mutating.admit(_attributes(_configmap()))
    assert caught.value.code == 500
    assert caught.value.message.endswith(
        f'Post "{webhook_server.url("mutate")}?timeout=10s": tls: failed to verify certificate: '
        "x509: certificate signed by unknown authority"
    )
    assert webhook_server.requests("mutate") == []


async def test_timeout(plugins: Plugins, webhook_server: WebhookServer) -> None:
    """A webhook slower than timeoutSeconds is a call failure: the deadline passed."""
    await plugins.configure(
        "Validating",
        _hook("slow.example.com", _url(webhook_server, "slow"), timeoutSeconds=1),
    )
    with pytest.raises(errors.StatusError) as caught:
        await plugins.validating.validate(_attributes(_configmap()))
    assert caught.value.message.endswith(
        f'Post "{webhook_server.url("slow")}?timeout=1s": context deadline exceeded'
    )


async def test_service_reference(plugins: Plugins, webhook_server: WebhookServer) -> None:
    """clientConfig.service: the Service's ClusterIP and port, the name <svc>.<ns>.svc."""
    await plugins.rest("", "services").create(
        "default",
        {
            "metadata": {"name": "webhook", "namespace": "default"},
            "spec": {
                "clusterIP": SERVICE_IP,
                "ports": [{"port": webhook_server.service_port, "protocol": "TCP"}],
            },
        },
        W,
    )
    service = {
        "service": {
            "namespace": "default",
            "name": "webhook",
            "path": "/mutate",
            "port": webhook_server.service_port,
        },
        "caBundle": base64.b64encode(webhook_server.ca_pem).decode(),
    }
    await plugins.configure("Mutating", _hook("mutate.example.com", service))
    attrs = _attributes(_configmap())
    await plugins.mutating.admit(attrs)
    assert attrs.obj is not None
    assert attrs.obj["metadata"]["labels"] == {"mutated": "yes"}


async def test_missing_service_port(plugins: Plugins, webhook_server: WebhookServer) -> None:
    """The default port 443 is not one of the Service's ports: a call failure."""
    await plugins.rest("", "services").create(
        "default",
        {
            "metadata": {"name": "webhook", "namespace": "default"},
            "spec": {"ports": [{"port": 8443, "protocol": "TCP"}]},
        },
        W,
    )
    service = {
        "service": {"namespace": "default", "name": "webhook", "path": "/mutate"},
        "caBundle": base64.b64encode(webhook_server.ca_pem).decode(),
    }
    await plugins.configure("Mutating", _hook("mutate.example.com", service))
    with pytest.raises(errors.StatusError) as caught:
        await plugins.mutating.admit(_attributes(_configmap()))
    assert caught.value.message.endswith(
        'failed to call webhook: Post "https://webhook.default.svc:443/mutate?timeout=10s": '
        'no service port 443 found for service "webhook"'
    )


async def test_namespace_selector_reads_namespace_labels(
    plugins: Plugins, webhook_server: WebhookServer
) -> None:
    """Only requests in namespaces labelled as the selector asks reach the webhook."""
    namespaces = plugins.rest("", "namespaces")
    await namespaces.create("", {"metadata": {"name": "prod", "labels": {"env": "prod"}}}, W)
    await plugins.configure(
        "Mutating",
        _hook(
            "mutate.example.com",
            _url(webhook_server, "mutate"),
            namespaceSelector={"matchLabels": {"env": "prod"}},
        ),
    )
    in_default = _attributes(_configmap())
    await plugins.mutating.admit(in_default)
    assert in_default.obj is not None
    assert "labels" not in in_default.obj["metadata"]
    prod = _configmap()
    prod["metadata"]["namespace"] = "prod"
    in_prod = _attributes(prod, namespace="prod")
    await plugins.mutating.admit(in_prod)
    assert prod["metadata"]["labels"] == {"mutated": "yes"}


async def test_configuration_changes_are_picked_up(
    plugins: Plugins, webhook_server: WebhookServer
) -> None:
    """Deleting the configuration stops the calls; no restart needed."""
    await plugins.configure(
        "Validating", _hook("validate.example.com", _url(webhook_server, "validate"))
    )
    await plugins.validating.validate(_attributes(_configmap()))
    await plugins.unconfigure("Validating")
    await plugins.validating.validate(_attributes(_configmap()))
    assert len(webhook_server.requests("validate")) == 1


async def test_equivalent_version_gets_the_converted_object(
    plugins: Plugins, webhook_server: WebhookServer
) -> None:
    """A webhook for autoscaling/v2 HPAs sees a v1 request, with the object in v2,
    and its patch lands on the v1 object."""
    rule = {
        "operations": ["CREATE"],
        "apiGroups": ["autoscaling"],
        "apiVersions": ["v2"],
        "resources": ["horizontalpodautoscalers"],
    }
    await plugins.configure(
        "Mutating", _hook("mutate.example.com", _url(webhook_server, "mutate"), rules=[rule])
    )
    hpa = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "maxReplicas": 3,
            "targetCPUUtilizationPercentage": 50,
        },
    }
    attrs = _attributes(
        hpa,
        group="autoscaling",
        resource="horizontalpodautoscalers",
        kind=("autoscaling", "v1", "HorizontalPodAutoscaler"),
    )
    await plugins.mutating.admit(attrs)
    [request] = webhook_server.requests("mutate")
    assert request["kind"]["version"] == "v2"
    assert request["requestKind"]["version"] == "v1"
    assert request["object"]["apiVersion"] == "autoscaling/v2"
    assert request["object"]["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 50
    assert hpa["apiVersion"] == "autoscaling/v1"
    assert hpa["metadata"]["labels"] == {"mutated": "yes"}
    assert hpa["spec"]["targetCPUUtilizationPercentage"] == 50


async def test_http_error_from_the_webhook(plugins: Plugins, webhook_server: WebhookServer) -> None:
    """An HTTP error reads as client-go reports it; under Ignore the request goes on."""
    await plugins.configure(
        "Validating",
        _hook("missing.example.com", _url(webhook_server, "missing")),
        _hook("ignored.example.com", _url(webhook_server, "missing"), failurePolicy="Ignore"),
    )
    with pytest.raises(errors.StatusError) as caught:
        await plugins.validating.validate(_attributes(_configmap()))
    assert caught.value.message == (
        'Internal error occurred: failed calling webhook "missing.example.com": failed to call '
        "webhook: the server could not find the requested resource"
    )
