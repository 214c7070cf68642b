"""Builders and fakes for the webhook plugin tests: configurations, attributes, a transport."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.admission.interfaces import Attributes, Operation
from kubeling.apiserver.admission.webhook.client import CallError
from kubeling.apiserver.admission.webhook.hooks import Webhook
from kubeling.apiserver.admission.webhook.mutating import MutatingAdmissionWebhook
from kubeling.apiserver.admission.webhook.source import StaticWebhookSource
from kubeling.apiserver.admission.webhook.validating import ValidatingAdmissionWebhook

USER = UserInfo("jane", uid="u-1", groups=("dev", "system:authenticated"))

POD_RULE = {
    "operations": ["CREATE", "UPDATE"],
    "apiGroups": [""],
    "apiVersions": ["v1"],
    "resources": ["pods"],
}


def hook(name: str = "w.example.com", **fields: Any) -> dict[str, Any]:
    """A webhook as a configuration holds it: pods CREATE/UPDATE, URL client, v1 reviews."""
    return {
        "name": name,
        "clientConfig": {"url": f"https://127.0.0.1:1/{name}"},
        "rules": [POD_RULE],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        **fields,
    }


def config(name: str, *hooks: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": name}, "webhooks": list(hooks)}


def pod(name: str = "web", labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "default"}
    if labels is not None:
        meta["labels"] = dict(labels)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }


def attributes(
    *,
    operation: Operation = "CREATE",
    obj: dict[str, Any] | None = None,
    old_obj: dict[str, Any] | None = None,
    namespace: str = "default",
    name: str = "web",
    group: str = "",
    version: str = "v1",
    resource: str = "pods",
    subresource: str = "",
    kind: tuple[str, str, str] = ("", "v1", "Pod"),
    dry_run: bool = False,
) -> Attributes:
    if obj is None and operation in ("CREATE", "UPDATE"):
        obj = pod(name)
    return Attributes(
        operation=operation,
        group=group,
        version=version,
        resource=resource,
        subresource=subresource,
        kind_group=kind[0],
        kind_version=kind[1],
        kind=kind[2],
        namespace=namespace,
        name=name,
        obj=obj,
        old_obj=old_obj,
        user=USER,
        dry_run=dry_run,
        options={"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
    )


Answer = Callable[[Mapping[str, Any]], Any]
"""How a fake webhook answers: the request → a response body (or raises CallError)."""


def allow(**response: Any) -> Answer:
    """An answer echoing the uid, allowed unless ``response`` says otherwise."""

    def answer(request: Mapping[str, Any]) -> Any:
        return {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "response": {"uid": request["uid"], "allowed": True, **response},
        }

    return answer


def deny(status: Mapping[str, Any] | None = None) -> Answer:
    return allow(allowed=False, **({"status": dict(status)} if status is not None else {}))


def patch(*operations: Mapping[str, Any], **response: Any) -> Answer:
    encoded = base64.b64encode(json.dumps(list(operations)).encode()).decode()
    return allow(**{"patch": encoded, "patchType": "JSONPatch", **response})


def unreachable(request: Mapping[str, Any]) -> Any:
    raise CallError(
        'Post "https://127.0.0.1:1/x?timeout=10s": dial tcp 127.0.0.1:1: '
        "connect: connection refused"
    )


@dataclass
class FakeTransport:
    """Answers each webhook by name and records every review it was sent."""

    answers: dict[str, Answer] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def post(self, webhook: Webhook, review: Mapping[str, Any]) -> Any:
        request = review["request"]
        self.calls.append((webhook.name, json.loads(json.dumps(review))))
        return self.answers.get(webhook.name, allow())(request)

    def called(self) -> list[str]:
        return [name for name, _ in self.calls]


async def no_namespaces(name: str) -> Mapping[str, str]:
    raise errors.not_found("namespaces", name)


def namespace_labels(known: Mapping[str, Mapping[str, str]]) -> Any:
    async def labels(name: str) -> Mapping[str, str]:
        if name not in known:
            raise errors.not_found("namespaces", name)
        return known[name]

    return labels


def mutating(
    transport: FakeTransport, *configs: dict[str, Any], namespaces: Any = None
) -> MutatingAdmissionWebhook:
    return MutatingAdmissionWebhook(
        source=StaticWebhookSource(configs, mutating=True),
        namespace_labels=namespaces or namespace_labels({"default": {}}),
        client=transport,
    )


def validating(
    transport: FakeTransport, *configs: dict[str, Any], namespaces: Any = None
) -> ValidatingAdmissionWebhook:
    return ValidatingAdmissionWebhook(
        source=StaticWebhookSource(configs, mutating=False),
        namespace_labels=namespaces or namespace_labels({"default": {}}),
        client=transport,
    )
