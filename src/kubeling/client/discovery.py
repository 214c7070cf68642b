"""Which resources the server serves: client-go's ``ServerPreferredResources``.

Legacy discovery, as client-go's discovery client reads it: ``/api`` and its
versions, ``/apis`` (every group with its versions in priority order and its
preferred one), then one ``APIResourceList`` per group/version, fetched
concurrently. Each group/resource is reported once, at the group's preferred
version when that version serves it (else at the first version that does);
subresources (``pods/status``) are left out. CRDs' resources are included like
any other.

A group/version whose list cannot be read does not fail the whole discovery:
it is reported in :attr:`Discovery.failed` (client-go's
``ErrGroupDiscoveryFailed``) next to everything that could be read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.api.errors import StatusError
from kubeling.client.resources import Resource
from kubeling.client.rest import ApiClient, TransportError

__all__ = ["APIResource", "Discovery", "server_preferred_resources"]


@dataclass(frozen=True, slots=True)
class APIResource:
    """One served resource and the verbs discovery lists for it."""

    resource: Resource
    verbs: frozenset[str]


@dataclass(frozen=True, slots=True)
class Discovery:
    """What discovery found, and the group/versions it could not read (``"apps/v1"``
    → the error's message)."""

    resources: tuple[APIResource, ...]
    failed: Mapping[str, str]

    def failure_message(self) -> str:
        """``ErrGroupDiscoveryFailed``'s message ("" when nothing failed)."""
        if not self.failed:
            return ""
        parts = sorted(f"{gv}: {message}" for gv, message in self.failed.items())
        return f"unable to retrieve the complete list of server APIs: {', '.join(parts)}"


@dataclass(frozen=True, slots=True)
class _GroupVersions:
    group: str
    versions: tuple[str, ...]
    preferred: str


async def _groups(client: ApiClient) -> list[_GroupVersions]:
    core = await client.request("GET", "/api") or {}
    groups = [
        _GroupVersions(
            group="",
            versions=tuple(str(v) for v in core.get("versions") or ()),
            preferred=str((core.get("versions") or ["v1"])[0]),
        )
    ]
    listing = await client.request("GET", "/apis") or {}
    for group in listing.get("groups") or ():
        versions = tuple(
            str(v.get("version", "")) for v in group.get("versions") or () if isinstance(v, Mapping)
        )
        preferred = str((group.get("preferredVersion") or {}).get("version") or "")
        groups.append(_GroupVersions(str(group.get("name", "")), versions, preferred))
    return groups


async def _resource_list(client: ApiClient, group: str, version: str) -> Any:
    path = f"/apis/{group}/{version}" if group else f"/api/{version}"
    return await client.request("GET", path)


async def server_preferred_resources(
    client: ApiClient, *, namespaced: bool | None = None
) -> Discovery:
    """Every resource the server serves at its preferred version; only namespaced
    (``True``) or cluster-scoped (``False``) ones when asked.

    Reading ``/api`` or ``/apis`` themselves failing raises (nothing is known);
    a group/version failing is reported in the result.
    """
    groups = await _groups(client)
    wanted = [(g, v) for g in groups for v in g.versions]
    lists = await asyncio.gather(
        *(_resource_list(client, g.group, v) for g, v in wanted), return_exceptions=True
    )
    fetched: dict[tuple[str, str], Any] = {}
    failed: dict[str, str] = {}
    for (group, version), result in zip(wanted, lists, strict=True):
        if isinstance(result, (StatusError, TransportError)):
            failed[f"{group.group}/{version}" if group.group else version] = str(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            fetched[(group.group, version)] = result or {}
    found: dict[tuple[str, str], APIResource] = {}
    for group in groups:
        for version in group.versions:
            listing = fetched.get((group.group, version))
            if listing is None:
                continue
            for entry in _entries(listing):
                plural = str(entry.get("name", ""))
                if not plural or "/" in plural:
                    continue  # a subresource
                key = (group.group, plural)
                if key in found and version != group.preferred:
                    continue  # only the preferred version overrides an earlier one
                found[key] = APIResource(
                    resource=Resource(
                        group=group.group,
                        version=version,
                        plural=plural,
                        kind=str(entry.get("kind", "")),
                        namespaced=bool(entry.get("namespaced")),
                    ),
                    verbs=frozenset(str(v) for v in entry.get("verbs") or ()),
                )
    resources = tuple(
        r for r in found.values() if namespaced is None or r.resource.namespaced == namespaced
    )
    return Discovery(resources=resources, failed=failed)


def _entries(listing: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    return [e for e in listing.get("resources") or () if isinstance(e, Mapping)]
