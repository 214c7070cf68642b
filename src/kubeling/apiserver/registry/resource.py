"""One resource's declaration: everything the generic machinery needs to serve it.

Discovery, OpenAPI, routing, Table output and the REST handlers all read a
``Resource``; nothing about a resource is written down twice. The object's
shape is its ``type`` (an ``api.schema.Object``); what happens on writes is its
strategy (defaulting, validation, status/spec split), kept beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubeling.api.schema import GroupVersionKind, Object

__all__ = ["ALL_VERBS", "Resource", "Subresource"]

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
