"""The ``scale`` subresource of any workload, found by apiVersion and kind.

Controllers that act on "whatever owns these pods" (the disruption
controller) or "whatever this HPA targets" read and write ``autoscaling/v1
Scale`` objects: the resource is found through discovery (a RESTMapper), so
built-in workloads and custom resources with a scale subresource are treated
alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubeling.client import ApiClient
from kubeling.client.resources import Resource

__all__ = ["get_scale", "implements_scale", "update_scale"]

Obj = dict[str, Any]

#: The Scale kinds the scale client understands (``scale.NewScaleConverter``).
_SCALE_VERSIONS = frozenset({("autoscaling", "v1"), ("extensions", "v1beta1")})


async def get_scale(client: ApiClient, resource: Resource, namespace: str, name: str) -> Obj:
    """``GET <resource>/<name>/scale`` (404 StatusError if the object, or its scale, is missing)."""
    return await client.resource(resource).get(name, namespace=namespace, subresource="scale")


async def update_scale(
    client: ApiClient, resource: Resource, namespace: str, scale: Mapping[str, Any]
) -> Obj:
    """``PUT <resource>/<name>/scale`` with ``scale`` (its resourceVersion, if set, must hold)."""
    return await client.resource(resource).update(scale, namespace=namespace, subresource="scale")


async def implements_scale(client: ApiClient, resource: Resource) -> bool:
    """Whether discovery lists ``<plural>/scale`` as an ``autoscaling/v1 Scale``."""
    path = f"/apis/{resource.group}/{resource.version}" if resource.group else "/api/v1"
    listing = await client.request("GET", path)
    for entry in (listing or {}).get("resources") or ():
        if entry.get("name") != f"{resource.plural}/scale":
            continue
        # an entry without group/version is in the listing's own
        group = entry.get("group") or resource.group
        version = entry.get("version") or resource.version
        if entry.get("kind") == "Scale" and (group, version) in _SCALE_VERSIONS:
            return True
    return False
