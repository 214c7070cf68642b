"""One resource's declaration: everything the generic machinery needs to serve it.

Discovery, OpenAPI, routing, Table output and the REST handlers all read a
``Resource``; nothing about a resource is written down twice. The object's
shape is its ``type`` (an ``api.schema.Object``); what happens on writes is its
strategy (defaulting, validation, status/spec split), kept beside it.
A version that is stored as another one (events.k8s.io/v1 Events are kept as
core/v1 Events) carries its ``conversion``; see ``api/conversion``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

from kubeling.api.conversion import Conversion
from kubeling.api.schema import GroupVersionKind, Object

__all__ = ["ALL_VERBS", "Resource", "Subresource", "storage_version_hash"]

ALL_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)


@dataclass(frozen=True, slots=True)
class Subresource:
    """``pods/status``, ``deployments/scale``, ``pods/log``...

    ``gvk`` is the kind the subresource serves (``autoscaling/v1 Scale`` for
    scale; the parent's kind for status).
    """

    name: str
    gvk: GroupVersionKind
    verbs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resource:
    """A served resource at one group/version."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    type: Object
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[Subresource, ...] = ()
    list_kind: str = field(default="")
    #: The verbs discovery lists, when they are fewer than those served (the
    #: objects of a terminating CRD still take updates, but advertise none).
    advertised_verbs: tuple[str, ...] | None = None

    @property
    def discovery_verbs(self) -> tuple[str, ...]:
        """The verbs discovery lists."""
        return self.verbs if self.advertised_verbs is None else self.advertised_verbs

    #: How this version is kept in the store when it is not kept as it is
    #: served (None: stored as served).
    conversion: Conversion | None = None
    #: False for resources nothing is stored for (reviews, bindings,
    #: componentstatuses): they have no storage version.
    stored: bool = True

    @property
    def gvk(self) -> GroupVersionKind:
        return GroupVersionKind(self.group, self.version, self.kind)

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """``pods`` or ``deployments.apps``: how errors name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def list_kind_name(self) -> str:
        return self.list_kind or f"{self.kind}List"

    @property
    def storage_gvk(self) -> GroupVersionKind:
        """The group, version and kind objects of this resource are stored as."""
        return self.conversion.storage if self.conversion is not None else self.gvk

    @property
    def storage_version_hash(self) -> str:
        """Discovery's ``storageVersionHash``: the same for every version sharing
        storage; empty for resources that are not stored."""
        return storage_version_hash(self.storage_gvk) if self.stored else ""


def storage_version_hash(gvk: GroupVersionKind) -> str:
    """``discovery.StorageVersionHash``: SHA-256 of ``<group>/<version>/<kind>``,
    its first 8 bytes base64-encoded.

    >>> storage_version_hash(GroupVersionKind("", "v1", "Event"))
    'r2yiGXH7wu8='
    """
    digest = hashlib.sha256(f"{gvk.group}/{gvk.version}/{gvk.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()
