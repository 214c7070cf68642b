"""The webhook client's failures that need no network: service resolution, CA bundles,
HTTP error answers."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import pytest

from kubeling.apiserver.admission.webhook.client import (
    CallError,
    ClientSetupError,
    WebhookClient,
    _http_error,
)
from kubeling.apiserver.admission.webhook.hooks import webhooks_of

SERVICES: dict[tuple[str, str], dict[str, Any]] = {
    ("default", "headless"): {"spec": {"clusterIP": "None", "ports": [{"port": 443}]}},
    ("default", "web"): {"spec": {"clusterIP": "127.96.0.20", "ports": [{"port": 8443}]}},
}


async def _services(namespace: str, name: str) -> Mapping[str, Any] | None:
    return SERVICES.get((namespace, name))


def _webhook(client_config: dict[str, Any]) -> Any:
    [webhook] = webhooks_of(
        [{"metadata": {"name": "c"}, "webhooks": [{"name": "w.example.com",
                                                   "clientConfig": client_config}]}],
        mutating=False,
    )  # fmt: skip
    return webhook


@pytest.mark.parametrize(
    ("service", "message"),
    [
        ({"namespace": "default", "name": "gone"},
         'Post "https://gone.default.svc:443?timeout=10s": service "gone" not found'),
        ({"namespace": "default", "name": "headless", "path": "/v"},
         'Post "https://headless.default.svc:443/v?timeout=10s": cannot route to service with '
         'ClusterIP "None"'),
        ({"namespace": "default", "name": "web", "port": 443, "path": "/v"},
         'Post "https://web.default.svc:443/v?timeout=10s": no service port 443 found for '
         'service "web"'),
    ],
)  # fmt: skip
async def test_service_resolution_failures(service: dict[str, Any], message: str) -> None:
    """kube-apiserver's ClusterIP resolver's errors, after the URL client-go shows."""
    client = WebhookClient(services=_services)
    with pytest.raises(CallError) as caught:
        await client.post(_webhook({"service": service}), {})
    assert str(caught.value) == message


async def test_unusable_ca_bundle() -> None:
    """A caBundle that is not PEM: no client can be made."""
    bundle = base64.b64encode(b"not a certificate").decode()
    with pytest.raises(ClientSetupError) as caught:
        await WebhookClient().post(
            _webhook({"url": "https://127.0.0.1:1/", "caBundle": bundle}), {}
        )
    assert (
        str(caught.value) == "unable to load root certificates: unable to parse bytes as PEM block"
    )


@pytest.mark.parametrize(
    ("code", "body", "message"),
    [
        (404, b"404 page not found", "the server could not find the requested resource"),
        (500, b"oops", 'an error on the server ("oops") has prevented the request from succeeding'),
        (500, b'{"kind": "Status", "message": "webhook broke", "code": 500}', "webhook broke"),
        (401, b"", "the server has asked for the client to provide credentials"),
    ],
)
def test_http_errors(code: int, body: bytes, message: str) -> None:
    """client-go's error for a non-2xx answer: the webhook's Status, or the generic text."""
    assert _http_error(code, body) == message
