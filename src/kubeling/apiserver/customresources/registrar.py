"""Serving custom resources: CRDs become resources in the same registry.

When a CustomResourceDefinition is established, each served version of it is
registered like a built-in resource (discovery, OpenAPI, the generic REST
store, the watch cache, Table output) under the CRD's *accepted* names
(``status.acceptedNames``, which the naming controller decides) with a
strategy built from its structural schema; when the CRD goes away (or stops
serving a version), the resource is unregistered. Objects are stored under
``/registry/<group>/<plural>/...`` in the CRD's storage version, shared by
every version with one watch cache: each version declares the ``None``
conversion (``api/conversion.none_conversion``: versions differ only in their
apiVersion), the same mechanism that serves events.k8s.io Events from core
ones.

A terminating CRD stays served, so that its objects can still be read,
patched (to drop their finalizers) and deleted while the finalizing
controller removes them; creating new ones is refused with 405, and
discovery advertises only delete, deletecollection, get, list and watch.

The served resources are rebuilt (new store, new watch cache) only when the
CRD's uid, spec or accepted names change; a change of its conditions alone
(Terminating) updates them in place, so that watches on its objects live on.

The registrar follows the CRD resource's watch cache, so CRDs created through
any API server sharing the store are picked up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.conversion import none_conversion
from kubeling.api.field import FieldError
from kubeling.api.schema import STRING, Field, GroupVersionKind, Object, Ref
from kubeling.apiserver.customresources import conditions, structural
from kubeling.apiserver.customresources.scale import (
    ScalePaths,
    validate_scale_spec,
    validate_scale_status,
)
from kubeling.apiserver.printers.jsonpath import crd_printer
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.registry.resource import Resource, Subresource
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.rest.strategy import Obj, Strategy

__all__ = [
    "TERMINATING_VERBS",
    "CustomResourceRegistrar",
    "CustomResourceStrategy",
    "ServedCrdVersion",
    "resources_of",
    "storage_prefix",
    "storage_resource",
]

log = logging.getLogger(__name__)

#: The verbs discovery lists for the objects of a terminating CRD.
TERMINATING_VERBS: Final = ("delete", "deletecollection", "get", "list", "watch")


class CustomResourceStrategy(Strategy):
    """Defaults, pruning and validation from one CRD version's schema."""

    tracks_generation = True

    def __init__(
        self,
        schema: Mapping[str, Any],
        *,
        status: bool,
        scale: ScalePaths | None = None,
        group_resource: str = "",
    ) -> None:
        self.schema = schema
        self.has_status_subresource = status
        #: The CRD's ``subresources.scale`` paths (``scale_subresource`` reads them).
        self.scale_paths = scale
        self.group_resource = group_resource
        #: Set while the CRD terminates: no new objects.
        self.terminating = False
        #: The compiled x-kubernetes-validations rules (None when there are none).
        self.rules = structural.RuleSet.compile(schema)

    def admit_create(self) -> None:
        if self.terminating:
            refused = errors.method_not_supported(self.group_resource, "create")
            raise errors.StatusError(
                dataclasses.replace(
                    refused.status,
                    message="create not allowed while custom resource definition is terminating",
                )
            )

    def _scale_errors(self, obj: Mapping[str, Any]) -> list[FieldError]:
        if self.scale_paths is None:
            return []
        return [
            *validate_scale_spec(obj, self.scale_paths),
            *validate_scale_status(obj, self.scale_paths),
        ]

    def unknown_fields(self, obj: Mapping[str, Any]) -> list[str]:
        return structural.unknown_fields(obj, self.schema)

    def default(self, obj: Obj) -> None:
        structural.prune(obj, self.schema)
        structural.default(obj, self.schema)

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        return [
            *self.validate_metadata(obj, namespaced=namespaced),
            *structural.validate(obj, self.schema, rules=self.rules),
            *self._scale_errors(obj),
        ]

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return [
            *self.validate_metadata(new, namespaced=namespaced),
            *structural.validate(new, self.schema, rules=self.rules, old=old),
            *self._scale_errors(new),
        ]

    def validate_status_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        # As upstream: the rules run over the whole object, so ratcheting
        # keeps unchanged spec rules from failing a status write.
        return self.validate_update(new, old, namespaced=namespaced)


def storage_prefix(crd: Mapping[str, Any]) -> str:
    """Where a CRD's objects live, shared by all its versions: ``/registry/<group>/<plural>``."""
    spec = crd.get("spec") or {}
    return f"/registry/{spec.get('group', '')}/{(spec.get('names') or {}).get('plural', '')}"


def _placeholder(group: str, version: str, kind: str) -> Object:
    """The declared type of a custom kind: typed metadata, anything else goes."""
    return Object(
        f"{'.'.join(reversed(group.split('.')))}.{version}.{kind}",
        f"{kind} is a custom resource of {group}.",
        [
            Field("apiVersion", 0, STRING),
            Field("kind", 0, STRING),
            Field("metadata", 0, Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
        ],
        gvk=GroupVersionKind(group, version, kind),
        preserve_unknown=True,
    )


def storage_resource(crd: Mapping[str, Any]) -> Resource | None:
    """The CRD's storage version as a Resource, served or not (for cleaning up)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group", ""), names.get("plural", ""), names.get("kind", "")
    version = next(
        (str(v.get("name", "")) for v in spec.get("versions") or [] if v.get("storage")), ""
    )
    if not (group and plural and kind and version):
        return None
    return Resource(
        group=group,
        version=version,
        kind=kind,
        plural=plural,
        singular=names.get("singular") or kind.lower(),
        namespaced=spec.get("scope") == "Namespaced",
        type=_placeholder(group, version, kind),
    )


@dataclass(frozen=True, slots=True)
class ServedCrdVersion:
    """One served version of an established CRD, ready to register."""

    resource: Resource
    schema: Mapping[str, Any]
    printer: Any
    scale: ScalePaths | None
    terminating: bool


def resources_of(crd: Mapping[str, Any]) -> list[ServedCrdVersion]:
    """Each served version of an established CRD, under its accepted names.

    As the apiextensions server does, a CRD is served once ``Established``
    (and while it terminates, when creating new objects is refused and
    discovery lists only delete, get, list and watch).
    """
    if not conditions.is_true(crd, conditions.ESTABLISHED):
        return []
    spec = crd.get("spec") or {}
    accepted = (crd.get("status") or {}).get("acceptedNames") or {}
    group, plural = spec.get("group", ""), (spec.get("names") or {}).get("plural", "")
    kind = accepted.get("kind", "")
    if not (group and plural and kind):
        return []
    terminating = conditions.is_true(crd, conditions.TERMINATING)
    stored = [v.get("name", "") for v in spec.get("versions") or [] if v.get("storage")]
    storage = GroupVersionKind(group, stored[0] if stored else "", kind)
    out = []
    for version in spec.get("versions") or []:
        if not version.get("served"):
            continue
        name = version.get("name", "")
        schema = (version.get("schema") or {}).get("openAPIV3Schema") or {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
        }
        sub = version.get("subresources") or {}
        subresources = []
        if "status" in sub:
            subresources.append(
                Subresource(
                    "status", GroupVersionKind(group, name, kind), ("get", "patch", "update")
                )
            )
        if "scale" in sub:
            subresources.append(
                Subresource(
                    "scale",
                    GroupVersionKind("autoscaling", "v1", "Scale"),
                    ("get", "patch", "update"),
                )
            )
        resource = Resource(
            group=group,
            version=name,
            kind=kind,
            plural=plural,
            singular=accepted.get("singular") or kind.lower(),
            namespaced=spec.get("scope") == "Namespaced",
            type=_placeholder(group, name, kind),
            short_names=tuple(accepted.get("shortNames") or ()),
            categories=tuple(accepted.get("categories") or ()),
            subresources=tuple(subresources),
            list_kind=accepted.get("listKind") or f"{kind}List",
            advertised_verbs=TERMINATING_VERBS if terminating else None,
            conversion=none_conversion(storage, GroupVersionKind(group, name, kind)),
        )
        out.append(
            ServedCrdVersion(
                resource,
                schema,
                crd_printer(version.get("additionalPrinterColumns")),
                ScalePaths.of(sub),
                terminating,
            )
        )
    return out


def _fingerprint(crd: Mapping[str, Any]) -> str:
    """What the served resources are built from: a change means rebuilding them
    (their stores and watch caches), as the apiextensions server rebuilds its
    storage when the spec or the accepted names change."""
    return json.dumps(
        [
            (crd.get("metadata") or {}).get("uid"),
            crd.get("spec"),
            (crd.get("status") or {}).get("acceptedNames"),
        ],
        sort_keys=True,
    )


class CustomResourceRegistrar:
    """Keeps the registry's custom resources in step with the stored CRDs."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        # (group, version, plural) -> the fingerprint of the CRD it was built from
        self._served: dict[tuple[str, str, str], str] = {}
        self._task: asyncio.Task[None] | None = None

    def _crds(self) -> ResourceStore:
        crds = self.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert crds is not None
        return crds

    async def sync(self) -> int:
        """Register every served version of every established CRD; drop the rest.

        Returns the CRD cache's revision the decision was made at.
        """
        crds = self._crds()
        cache = crds.watch_cache()
        await cache.ensure_started()
        objs, revision = cache.list_objects("/")
        wanted: dict[tuple[str, str, str], tuple[ServedCrdVersion, str]] = {}
        for crd in objs:
            fingerprint = _fingerprint(crd)
            for served in resources_of(crd):
                resource = served.resource
                wanted[(resource.group, resource.version, resource.plural)] = (
                    served,
                    fingerprint,
                )
        for key in list(self._served):
            if key not in wanted:
                self.registry.remove(*key)
                self._served.pop(key)
                log.info("stopped serving custom resource %s/%s %s", *key)
        for key, (served, fingerprint) in wanted.items():
            current = self.registry.lookup(*key)
            if self._served.get(key) == fingerprint and current is not None:
                self._refresh(current, served)
                continue
            await self._serve(key, served, fingerprint)
        # caches no version serves from any more (CRD gone, storage version changed)
        for retired in self.registry.retired_caches():
            await retired.stop()
        return revision

    def _refresh(self, rest: ResourceStore, served: ServedCrdVersion) -> None:
        """Same spec and names: only whether the CRD terminates may have changed."""
        if isinstance(rest.strategy, CustomResourceStrategy):
            rest.strategy.terminating = served.terminating
        if rest.resource != served.resource:
            self.registry.redeclare(served.resource)

    async def _serve(
        self, key: tuple[str, str, str], served: ServedCrdVersion, fingerprint: str
    ) -> None:
        resource = served.resource
        strategy = CustomResourceStrategy(
            served.schema,
            status=any(s.name == "status" for s in resource.subresources),
            scale=served.scale,
            group_resource=resource.group_resource,
        )
        strategy.terminating = served.terminating
        rest = self.registry.add(
            resource,
            strategy,
            storage_prefix=f"/registry/{resource.group}/{resource.plural}",
            custom=True,
            printer=served.printer,
            openapi_schema=served.schema,
        )
        await rest.watch_cache().ensure_started()
        self._served[key] = fingerprint
        log.info(
            "serving custom resource %s/%s %s", resource.group, resource.version, resource.plural
        )

    async def start(self) -> None:
        revision = await self.sync()
        self._task = asyncio.get_running_loop().create_task(
            self._follow(revision), name="crd-registrar"
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self, revision: int) -> None:
        cache = self._crds().watch_cache()
        while True:
            try:
                watcher, replay = await cache.watch("/", revision)
            except errors.StatusError:  # 410: the buffer moved on; look at it all again
                revision = await self.sync()
                continue
            try:
                changed = any(e.is_change for e in replay)
                while True:
                    if changed:
                        try:
                            revision = await self.sync()
                        except Exception:  # logged; the next CRD event retries
                            log.exception("serving custom resources failed")
                    event = await watcher.next()
                    if event is None:
                        break
                    changed = event.is_change
            finally:
                watcher.close()
