"""A fake API client for white-box controller tests: it records every write.

Controllers are built over a real :class:`SharedInformerFactory` whose informers
are never started: tests put objects straight into their caches
(:func:`cache`), call ``sync(key)`` and look at what was written.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from kubeling.api import errors
from kubeling.client import ApiClient, EventBroadcaster, Resource, SharedInformerFactory
from kubeling.client.rest import NoKindMatchError
from kubeling.controllers.base import Controller, ControllerContext

__all__ = [
    "Call",
    "FakeClient",
    "RecordingBroadcaster",
    "cache",
    "fake_context",
    "is_waiting",
    "recorded_events",
]

Obj = dict[str, Any]


@dataclass
class Call:
    """One request: the verb, the resource's plural, the name and the body (or options)."""

    verb: str
    resource: str
    name: str
    body: Any = None
    options: dict[str, Any] = field(default_factory=dict)


class FakeResource:
    """A ResourceClient that answers writes plausibly and records them."""

    def __init__(self, client: FakeClient, resource: Resource) -> None:
        self.client = client
        self.resource = resource

    def _record(self, verb: str, name: str, body: Any = None, **options: Any) -> None:
        self.client.calls.append(Call(verb, self.resource.plural, name, body, options))

    async def get(self, name: str, *, namespace: str = "", **_: Any) -> Obj:
        self._record("get", name)
        found = self.client.objects.get((self.resource.plural, namespace, name))
        if found is None:
            raise errors.not_found(self.resource.plural, name)
        return copy.deepcopy(found)

    async def create(self, body: Mapping[str, Any], *, namespace: str = "", **_: Any) -> Obj:
        created = copy.deepcopy(dict(body))
        meta = created.setdefault("metadata", {})
        n = next(self.client.counter)
        if not meta.get("name"):
            meta["name"] = f"{meta.get('generateName', '')}{n:05d}"
        meta.setdefault("namespace", namespace)
        meta["uid"] = f"uid-{meta['name']}"
        meta["resourceVersion"] = str(n)
        self._record("create", meta["name"], copy.deepcopy(created))
        failure = self.client.fail_creates.get(self.resource.plural)
        if failure is not None:
            raise failure
        return created

    async def list(self, *, namespace: str = "", **options: Any) -> Obj:
        self._record("list", "", None, namespace=namespace, **options)
        failure = self.client.fail_lists.get(self.resource.plural)
        if failure is not None:
            raise failure
        items = [
            copy.deepcopy(obj)
            for (plural, ns, _), obj in self.client.objects.items()
            if plural == self.resource.plural and namespace in ("", ns)
        ]
        return {"items": items}

    async def update(self, body: Mapping[str, Any], **options: Any) -> Obj:
        updated = copy.deepcopy(dict(body))
        meta = updated.setdefault("metadata", {})
        meta["resourceVersion"] = str(next(self.client.counter))
        self._record("update", meta.get("name", ""), copy.deepcopy(updated), **options)
        return updated

    async def update_status(self, body: Mapping[str, Any], **_: Any) -> Obj:
        updated = copy.deepcopy(dict(body))
        meta = updated.setdefault("metadata", {})
        meta["resourceVersion"] = str(next(self.client.counter))
        self._record("update_status", meta.get("name", ""), copy.deepcopy(updated))
        return updated

    async def patch(self, name: str, patch: Any, *, namespace: str = "", **options: Any) -> Obj:
        self._record("patch", name, patch, **options)
        return {"metadata": {"name": name, "namespace": namespace}}

    async def delete(self, name: str, *, namespace: str = "", **options: Any) -> Obj:
        self._record("delete", name, None, **options)
        if name in self.client.missing:
            raise errors.not_found(self.resource.plural, name)
        return {"kind": "Status", "status": "Success"}


class FakeClient:
    """Hands out :class:`FakeResource` s sharing one call log."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.counter = itertools.count(100)
        #: Objects ``get`` finds, by (plural, namespace, name).
        self.objects: dict[tuple[str, str, str], Obj] = {}
        #: Names whose delete answers 404.
        self.missing: set[str] = set()
        #: An error every create of that plural raises.
        self.fail_creates: dict[str, Exception] = {}
        #: An error every list of that plural raises.
        self.fail_lists: dict[str, Exception] = {}
        #: What discovery serves: the resources ``find_resource`` knows.
        self.served: list[Resource] = []

    def resource(self, resource: Resource) -> FakeResource:
        return FakeResource(self, resource)

    async def find_resource(self, api_version: str, kind: str) -> Resource:
        for resource in self.served:
            if (resource.api_version, resource.kind) == (api_version, kind):
                return resource
        raise NoKindMatchError(f'no matches for kind "{kind}" in version "{api_version}"')

    async def request(self, method: str, path: str, **_: Any) -> Obj:
        """Discovery of one group version: the served resources, each with ``scale``."""
        listing = []
        for resource in self.served:
            if path == (
                f"/apis/{resource.group}/{resource.version}" if resource.group else "/api/v1"
            ):
                scale = {"kind": "Scale", "group": "autoscaling", "version": "v1"}
                listing.append({"name": f"{resource.plural}/scale", **scale})
        return {"resources": listing}

    def writes(self, verb: str, resource: str = "") -> list[Call]:
        return [c for c in self.calls if c.verb == verb and resource in ("", c.resource)]


class _NoSink:
    async def create(self, body: Any, *, namespace: str = "") -> Any:
        return body

    async def patch(self, *args: Any, **kwargs: Any) -> Any:
        return {}


class RecordingBroadcaster(EventBroadcaster):
    """Keeps the Events recorders queue, instead of writing them."""

    def __init__(self) -> None:
        super().__init__(_NoSink())
        self.recorded: list[Obj] = []

    def enqueue(self, event: Obj) -> None:
        self.recorded.append(event)


def fake_context() -> tuple[ControllerContext, FakeClient]:
    """A controller context over a :class:`FakeClient`."""
    client = FakeClient()
    api = cast(ApiClient, client)
    ctx = ControllerContext(
        client=api,
        informers=SharedInformerFactory(api),
        events=RecordingBroadcaster(),
    )
    return ctx, client


def cache(controller: Controller, resource: Resource, *objects: Mapping[str, Any]) -> None:
    """Put ``objects`` in the controller's informer cache of ``resource``."""
    informer = controller.informers.informer_for(resource)
    for obj in objects:
        informer.indexer.upsert(copy.deepcopy(dict(obj)))


def recorded_events(controller: Controller) -> list[tuple[str, str, str]]:
    """(type, reason, message) of the Events the controller queued."""
    broadcaster = controller.ctx.events
    assert isinstance(broadcaster, RecordingBroadcaster)
    return [(e["type"], e["reason"], e["message"]) for e in broadcaster.recorded]


def is_waiting(controller: Controller, key: str) -> bool:
    """Whether ``key`` is queued for later (``add_after``); white-box, there is no public
    way to ask the work queue."""
    return key in controller.queue._waiting
