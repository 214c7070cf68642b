"""Discovery documents: what kubectl reads to learn which resources exist.

Two forms, both generated from the registry (see KUBECTL-CONTRACT.md §2):

- aggregated (``apidiscovery.k8s.io/v2``): one document for ``/api`` and one
  for ``/apis``, sent only when the client asks for it in ``Accept`` and with
  exactly that ``Content-Type`` — kubectl decides how to parse by it;
- legacy: ``APIVersions`` (``/api``), ``APIGroupList`` (``/apis``),
  ``APIGroup`` (``/apis/<group>``) and one ``APIResourceList`` per
  group-version, which ``kubectl auth can-i``, ``drain`` and the Python
  client's DynamicClient fetch directly. Each stored resource carries its
  ``storageVersionHash``, computed from its *storage* version, so versions
  sharing storage (core/v1 and events.k8s.io/v1 Events) show the same hash
  (the aggregated document has no such field).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubeling.apiserver.registry.resource import Resource

__all__ = [
    "AGGREGATED_CONTENT_TYPE",
    "aggregated",
    "api_group",
    "api_group_list",
    "api_resource_list",
    "api_versions",
    "wants_aggregated",
]

AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

Obj = dict[str, Any]


def wants_aggregated(accept: str) -> bool:
    """Whether an Accept header asks for the aggregated (v2 or v2beta1) document."""
    for part in accept.split(","):
        params = {p.strip() for p in part.split(";")[1:]}
        if "g=apidiscovery.k8s.io" in params and "as=APIGroupDiscoveryList" in params:
            return True
    return False


def _gv(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _aggregated_resource(resource: Resource) -> Obj:
    entry: Obj = {
        "resource": resource.plural,
        "responseKind": {
            "group": resource.group,
            "version": resource.version,
            "kind": resource.kind,
        },
        "scope": "Namespaced" if resource.namespaced else "Cluster",
        "singularResource": resource.singular,
        "verbs": sorted(resource.discovery_verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    if resource.subresources:
        entry["subresources"] = [
            {
                "subresource": sub.name,
                "responseKind": {
                    "group": sub.gvk.group,
                    "version": sub.gvk.version,
                    "kind": sub.gvk.kind,
                },
                "verbs": sorted(sub.verbs),
            }
            for sub in resource.subresources
        ]
    return entry


def _by_group(resources: Iterable[Resource]) -> dict[str, dict[str, list[Resource]]]:
    groups: dict[str, dict[str, list[Resource]]] = {}
    for resource in resources:
        groups.setdefault(resource.group, {}).setdefault(resource.version, []).append(resource)
    return groups


def aggregated(resources: Iterable[Resource], *, core: bool) -> Obj:
    """The APIGroupDiscoveryList for ``/api`` (core) or ``/apis`` (every other group)."""
    items = []
    for group, versions in _by_group(resources).items():
        if (group == "") != core:
            continue
        items.append(
            {
                "metadata": {"name": group, "creationTimestamp": None},
                "versions": [
                    {
                        "version": version,
                        "resources": [_aggregated_resource(r) for r in members],
                        "freshness": "Current",
                    }
                    for version, members in versions.items()
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }


def api_versions(server_address: str) -> Obj:
    """The legacy ``/api`` document."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def api_group(group: str, versions: list[str]) -> Obj:
    """The legacy ``/apis/<group>`` document (preferred version first)."""
    entries = [{"groupVersion": _gv(group, v), "version": v} for v in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": entries,
        "preferredVersion": entries[0],
    }


def api_group_list(resources: Iterable[Resource]) -> Obj:
    """The legacy ``/apis`` document."""
    groups = []
    for group, versions in _by_group(resources).items():
        if group:
            doc = api_group(group, list(versions))
            doc.pop("kind")
            doc.pop("apiVersion")
            groups.append(doc)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_resource_list(resources: Iterable[Resource], group: str, version: str) -> Obj | None:
    """The legacy ``APIResourceList`` of one group-version, or None if not served."""
    entries: list[Obj] = []
    for resource in resources:
        if resource.group != group or resource.version != version:
            continue
        entry: Obj = {
            "name": resource.plural,
            "singularName": resource.singular,
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": sorted(resource.discovery_verbs),
        }
        if resource.short_names:
            entry["shortNames"] = list(resource.short_names)
        if resource.categories:
            entry["categories"] = list(resource.categories)
        if resource.storage_version_hash:
            entry["storageVersionHash"] = resource.storage_version_hash
        entries.append(entry)
        for sub in resource.subresources:
            sub_entry: Obj = {
                "name": f"{resource.plural}/{sub.name}",
                "singularName": "",
                "namespaced": resource.namespaced,
                "kind": sub.gvk.kind,
                "verbs": sorted(sub.verbs),
            }
            if (sub.gvk.group, sub.gvk.version) != (group, version):
                sub_entry["group"] = sub.gvk.group
                sub_entry["version"] = sub.gvk.version
            entries.append(sub_entry)
    if not entries:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": _gv(group, version),
        "resources": entries,
    }
