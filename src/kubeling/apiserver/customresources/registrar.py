"""Serving custom resources: CRDs become resources in the same registry.

When a CustomResourceDefinition is established, each served version of it is
registered like a built-in resource (discovery, OpenAPI, the generic REST
store, the watch cache, Table output) with a strategy built from its
structural schema; when the CRD goes away (or stops serving a version), the
resource is unregistered. Objects are stored under
``/registry/<group>/<plural>/...``, shared by every version (conversion
strategy ``None``: versions differ only in their apiVersion).

The registrar follows the CRD resource's watch cache, so CRDs created through
any API server sharing the store are picked up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from kubeling.api.field import FieldError
from kubeling.api.schema import STRING, Field, GroupVersionKind, Object, Ref
from kubeling.apiserver.customresources import structural
from kubeling.apiserver.printers.jsonpath import crd_printer
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.registry.resource import Resource, Subresource
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.rest.strategy import Obj, Strategy

__all__ = ["CustomResourceRegistrar", "CustomResourceStrategy", "resources_of"]

log = logging.getLogger(__name__)


class CustomResourceStrategy(Strategy):
    """Defaults, pruning and validation from one CRD version's schema."""

    tracks_generation = True

    def __init__(self, schema: Mapping[str, Any], *, status: bool) -> None:
        self.schema = schema
        self.has_status_subresource = status
        #: The compiled x-kubernetes-validations rules (None when there are none).
        self.rules = structural.RuleSet.compile(schema)

    def unknown_fields(self, obj: Mapping[str, Any]) -> list[str]:
        return structural.unknown_fields(obj, self.schema)

    def default(self, obj: Obj) -> None:
        structural.prune(obj, self.schema)
        structural.default(obj, self.schema)

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        return [
            *self.validate_metadata(obj, namespaced=namespaced),
            *structural.validate(obj, self.schema, rules=self.rules),
        ]

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return [
            *self.validate_metadata(new, namespaced=namespaced),
            *structural.validate(new, self.schema, rules=self.rules, old=old),
        ]

    def validate_status_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        # As upstream: the rules run over the whole object, so ratcheting
        # keeps unchanged spec rules from failing a status write.
        return self.validate_update(new, old, namespaced=namespaced)


def _condition(crd: Mapping[str, Any], kind: str) -> bool:
    for condition in (crd.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return bool(condition.get("status") == "True")
    return False


def resources_of(crd: Mapping[str, Any]) -> list[tuple[Resource, Mapping[str, Any], Any]]:
    """(Resource, schema, printer) for each served version of an established CRD."""
    if not _condition(crd, "Established") or (crd.get("metadata") or {}).get("deletionTimestamp"):
        return []
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group", ""), names.get("plural", ""), names.get("kind", "")
    if not (group and plural and kind):
        return []
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
        placeholder = Object(
            f"{'.'.join(reversed(group.split('.')))}.{name}.{kind}",
            f"{kind} is a custom resource of {group}.",
            [
                Field("apiVersion", 0, STRING),
                Field("kind", 0, STRING),
                Field("metadata", 0, Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")),
            ],
            gvk=GroupVersionKind(group, name, kind),
            preserve_unknown=True,
        )
        resource = Resource(
            group=group,
            version=name,
            kind=kind,
            plural=plural,
            singular=names.get("singular") or kind.lower(),
            namespaced=spec.get("scope") == "Namespaced",
            type=placeholder,
            short_names=tuple(names.get("shortNames") or ()),
            categories=tuple(names.get("categories") or ()),
            subresources=tuple(subresources),
            list_kind=names.get("listKind") or f"{kind}List",
        )
        out.append((resource, schema, crd_printer(version.get("additionalPrinterColumns"))))
    return out


class CustomResourceRegistrar:
    """Keeps the registry's custom resources in step with the stored CRDs."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._served: dict[tuple[str, str, str], str] = {}  # (g, v, plural) -> CRD resourceVersion
        self._task: asyncio.Task[None] | None = None

    def _crds(self) -> ResourceStore:
        crds = self.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert crds is not None
        return crds

    async def sync(self) -> None:
        """Register every served version of every established CRD; drop the rest."""
        crds = self._crds()
        cache = crds.watch_cache()
        await cache.ensure_started()
        objs, _ = cache.list_objects("/")
        wanted: dict[tuple[str, str, str], tuple[Resource, Mapping[str, Any], Any, str]] = {}
        for crd in objs:
            rv = str((crd.get("metadata") or {}).get("resourceVersion", ""))
            for resource, schema, printer in resources_of(crd):
                wanted[(resource.group, resource.version, resource.plural)] = (
                    resource,
                    schema,
                    printer,
                    rv,
                )
        for key in list(self._served):
            if key not in wanted:
                rest = self.registry.lookup(*key)
                self.registry.remove(*key)
                self._served.pop(key)
                if rest is not None:
                    await rest.watch_cache().stop()
        for key, (resource, schema, printer, rv) in wanted.items():
            if self._served.get(key) == rv:
                continue
            old = self.registry.lookup(*key)
            status = any(s.name == "status" for s in resource.subresources)
            rest = self.registry.add(
                resource,
                CustomResourceStrategy(schema, status=status),
                storage_prefix=f"/registry/{resource.group}/{resource.plural}",
                custom=True,
                printer=printer,
                openapi_schema=schema,
            )
            if old is not None:
                await old.watch_cache().stop()
            await rest.watch_cache().ensure_started()
            self._served[key] = rv
            log.info(
                "serving custom resource %s/%s %s",
                resource.group,
                resource.version,
                resource.plural,
            )

    async def start(self) -> None:
        await self.sync()
        self._task = asyncio.get_running_loop().create_task(self._follow(), name="crd-registrar")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        cache = self._crds().watch_cache()
        while True:
            watcher, _ = await cache.watch("/", cache.revision)
            try:
                while (event := await watcher.next()) is not None:
                    if event.type != "BOOKMARK":
                        await self.sync()
            finally:
                watcher.close()
