"""Discovery: which resources the server serves, with their verbs.

Controllers that act on *every* resource (the garbage collector, the
namespace controller) discover them as client-go's discovery client does:
``/api`` and ``/apis`` for the groups and their preferred versions, then one
resource list per group version. Subresources (``pods/status``) are left out.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from kubeling.client.resources import Resource
from kubeling.client.rest import ApiClient

__all__ = ["DiscoveredResource", "preferred_resources"]


@dataclass(frozen=True, slots=True)
class DiscoveredResource:
    """A served resource at its group's preferred version, and what it supports."""

    resource: Resource
    verbs: frozenset[str]

    def supports(self, *verbs: str) -> bool:
        return all(verb in self.verbs for verb in verbs)


async def preferred_resources(client: ApiClient) -> list[DiscoveredResource]:
    """Every resource of every group, at the group's preferred version."""
    versions: list[tuple[str, str]] = []
    core = await client.request("GET", "/api")
    versions += [("", v) for v in (core or {}).get("versions") or ()][:1]
    groups = await client.request("GET", "/apis")
    for group in (groups or {}).get("groups") or ():
        preferred = (group.get("preferredVersion") or {}).get("version")
        if group.get("name") and preferred:
            versions.append((group["name"], preferred))
    listings = await asyncio.gather(*(_resources_of(client, g, v) for g, v in versions))
    return [found for listing in listings for found in listing]


async def _resources_of(client: ApiClient, group: str, version: str) -> list[DiscoveredResource]:
    path = f"/apis/{group}/{version}" if group else f"/api/{version}"
    listing = await client.request("GET", path)
    out = []
    for entry in (listing or {}).get("resources") or ():
        name = entry.get("name", "")
        if not name or "/" in name:
            continue
        resource = Resource(
            group=group,
            version=version,
            plural=name,
            kind=entry.get("kind", ""),
            namespaced=bool(entry.get("namespaced")),
        )
        out.append(DiscoveredResource(resource, frozenset(entry.get("verbs") or ())))
    return out
