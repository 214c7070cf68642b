"""Fakes for controller unit tests: an API client that records writes and answers
from tables, a recorder that keeps Events, and a context to build controllers on."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from kubeling.api import errors
from kubeling.client import ApiClient, EventBroadcaster, SharedInformerFactory
from kubeling.client.resources import Resource
from kubeling.controllers.base import ControllerContext

Obj = dict[str, Any]


@dataclass
class Call:
    verb: str
    resource: str
    name: str
    namespace: str
    body: Any = None
    subresource: str = ""


@dataclass
class FakeApi:
    """Answers ``get``/``list`` from ``objects`` (plural -> key -> object) and records
    every call; ``fail`` maps a verb to the StatusError it raises."""

    objects: dict[str, dict[str, Obj]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    fail: dict[str, errors.StatusError] = field(default_factory=dict)
    answer_list: Callable[[Resource], Obj] | None = None

    def writes(self, verb: str = "") -> list[Call]:
        return [
            c for c in self.calls if c.verb != "get" and c.verb != "list" and verb in ("", c.verb)
        ]


class FakeResourceClient:
    def __init__(self, api: FakeApi, resource: Resource) -> None:
        self.api, self.resource = api, resource

    def _record(self, verb: str, name: str, namespace: str, body: Any, subresource: str) -> None:
        self.api.calls.append(Call(verb, self.resource.plural, name, namespace, body, subresource))
        if verb in self.api.fail:
            raise self.api.fail[verb]

    async def get(self, name: str, *, namespace: str = "", subresource: str = "", **_: Any) -> Obj:
        self._record("get", name, namespace, None, subresource)
        key = f"{namespace}/{name}" if namespace else name
        found = self.api.objects.get(self.resource.plural, {}).get(key)
        if found is None:
            raise errors.not_found(self.resource.group_resource, name)
        return copy.deepcopy(found)

    async def list(self, *, namespace: str = "", **_: Any) -> Obj:
        self._record("list", "", namespace, None, "")
        if self.api.answer_list is not None:
            return self.api.answer_list(self.resource)
        return {"items": list(self.api.objects.get(self.resource.plural, {}).values())}

    async def patch(
        self, name: str, patch: object, *, namespace: str = "", subresource: str = "", **_: Any
    ) -> Obj:
        self._record("patch", name, namespace, patch, subresource)
        return {}

    async def update(
        self, body: Mapping[str, Any], *, namespace: str = "", subresource: str = "", **_: Any
    ) -> Obj:
        self._record("update", str(body["metadata"]["name"]), namespace, body, subresource)
        return copy.deepcopy(dict(body))

    async def update_status(self, body: Mapping[str, Any], **kwargs: Any) -> Obj:
        return await self.update(body, subresource="status", **kwargs)

    async def delete(self, name: str, *, namespace: str = "", **_: Any) -> Obj:
        self._record("delete", name, namespace, None, "")
        return {}

    async def create(
        self,
        body: Mapping[str, Any],
        *,
        namespace: str = "",
        name: str = "",
        subresource: str = "",
        **_: Any,
    ) -> Obj:
        self._record("create", name, namespace, body, subresource)
        return copy.deepcopy(dict(body))


class FakeApiClient:
    def __init__(self, api: FakeApi) -> None:
        self.api = api

    def resource(self, resource: Resource) -> FakeResourceClient:
        return FakeResourceClient(self.api, resource)

    async def find_resource(self, api_version: str, kind: str) -> Resource:
        from kubeling.client.resources import DEPLOYMENTS, REPLICASETS, STATEFULSETS
        from kubeling.client.rest import NoKindMatchError

        for resource in (DEPLOYMENTS, REPLICASETS, STATEFULSETS):
            if (resource.api_version, resource.kind) == (api_version, kind):
                return resource
        raise NoKindMatchError(f'no matches for kind "{kind}" in version "{api_version}"')

    async def request(self, method: str, path: str, **_: Any) -> Any:
        """Discovery: the apps workloads, each with a scale subresource."""
        scale = {"kind": "Scale", "group": "autoscaling", "version": "v1"}
        plurals = ("deployments", "replicasets", "statefulsets") if path == "/apis/apps/v1" else ()
        return {"resources": [{"name": f"{p}/scale", **scale} for p in plurals]}


class _Sink:
    async def create(self, body: Any, *, namespace: str = "") -> Any:
        return body

    async def patch(self, *args: Any, **kwargs: Any) -> Any:
        return {}


class Recorder:
    """Keeps (type, reason, message, involved object name) of every Event."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str, str]] = []

    def event(
        self, obj: Mapping[str, Any], event_type: str, reason: str, message: str, **_: Any
    ) -> None:
        name = str((obj.get("metadata") or {}).get("name", ""))
        self.events.append((event_type, reason, message, name))

    def reasons(self) -> list[str]:
        return [reason for _, reason, _, _ in self.events]


def context(api: FakeApi) -> ControllerContext:
    """A ControllerContext over ``api``: informers are real caches that never run."""
    client = cast(ApiClient, FakeApiClient(api))
    return ControllerContext(
        client=client,
        informers=SharedInformerFactory(client),
        events=EventBroadcaster(_Sink()),
    )
