"""The order in which a cycle walks the nodes: zones interleaved (upstream ``nodeTree``).

Nodes are grouped by zone (``topology.kubernetes.io/region`` and ``.../zone``, or the
deprecated ``failure-domain.beta.kubernetes.io`` labels), zones in the order they were
first seen, nodes in each zone in the order they were added. The list takes the first
node of every zone, then the second of every zone, and so on, so that a cycle which
stops after a percentage of the nodes still sees every zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["NodeTree", "zone_key"]

_REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
_ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")


def _first(labels: Mapping[str, str], keys: tuple[str, str]) -> str:
    for key in keys:
        value = labels.get(key)
        if value:
            return value
    return ""


def zone_key(node: Mapping[str, Any]) -> str:
    """The node's zone identity (upstream ``utilnode.GetZoneKey``); ``""`` without labels.

    >>> zone_key({"metadata": {"labels": {"topology.kubernetes.io/zone": "a"}}})
    ':\\x00:a'
    """
    labels: Mapping[str, str] = (node.get("metadata") or {}).get("labels") or {}
    region = _first(labels, _REGION_LABELS)
    zone = _first(labels, _ZONE_LABELS)
    if not region and not zone:
        return ""
    return f"{region}:\x00:{zone}"


class NodeTree:
    """Node names grouped by zone, listed zone-interleaved."""

    def __init__(self) -> None:
        """An empty tree."""
        self._zones: list[str] = []
        self._tree: dict[str, list[str]] = {}
        self._zone_of: dict[str, str] = {}

    def add(self, node: Mapping[str, Any]) -> None:
        """Add a node (a node already present is left where it is)."""
        name = str((node.get("metadata") or {}).get("name", ""))
        if name in self._zone_of:
            return
        zone = zone_key(node)
        if zone not in self._tree:
            self._zones.append(zone)
            self._tree[zone] = []
        self._tree[zone].append(name)
        self._zone_of[name] = zone

    def remove(self, name: str) -> None:
        """Remove a node by name."""
        zone = self._zone_of.pop(name, None)
        if zone is None:
            return
        names = self._tree[zone]
        names.remove(name)
        if not names:
            del self._tree[zone]
            self._zones.remove(zone)

    def update(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        """Move a node whose zone changed; returns whether the order changed."""
        name = str((new.get("metadata") or {}).get("name", ""))
        if self._zone_of.get(name) == zone_key(new) and name in self._zone_of:
            return False
        self.remove(str((old.get("metadata") or {}).get("name", "")))
        self.add(new)
        return True

    def __len__(self) -> int:
        return len(self._zone_of)

    def list(self) -> list[str]:
        """Every node name, zones interleaved.

        >>> tree = NodeTree()
        >>> for name, zone in [("a1", "a"), ("a2", "a"), ("b1", "b")]:
        ...     tree.add({"metadata": {"name": name,
        ...               "labels": {"topology.kubernetes.io/zone": zone}}})
        >>> tree.list()
        ['a1', 'b1', 'a2']
        """
        names: list[str] = []
        depth = 0
        while len(names) < len(self._zone_of):
            for zone in self._zones:
                members = self._tree[zone]
                if depth < len(members):
                    names.append(members[depth])
            depth += 1
        return names
