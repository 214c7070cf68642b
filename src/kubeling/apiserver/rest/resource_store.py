"""The generic REST store: one code path for every resource's verbs.

Like Kubernetes' ``genericregistry.Store``, this turns get, list, create,
update, patch, delete and deletecollection into store operations, with
optimistic concurrency on ``resourceVersion``, the strategy's defaulting,
validation and spec/status split, graceful deletion with finalizers and
``deletionTimestamp``, and every failure as a Kubernetes ``StatusError``.
It deals in plain JSON dicts; the HTTP layer decodes and encodes around it.

Writes go through ``Store.guaranteed_update``: the update function sees the
current object, so preconditions, no-op detection and the "finalizers
removed from a terminating object" rule are all decided against the value
that is actually replaced.

Every write goes through the admission chain (``apiserver/admission``), as
Kubernetes' handlers and store run it: the mutating phase after defaulting
and before the strategy's preparation, the validating phase after
validation, just before the store write; on updates inside the update
function (new object against the stored one), on deletes against the stored
object once its preconditions hold; dry runs included.
"""

from __future__ import annotations

import builtins
import datetime
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kubeling.api import errors, naming
from kubeling.api.field import forbidden
from kubeling.api.jsoncopy import copy_json
from kubeling.api.managedfields.apply import apply as managed_apply
from kubeling.api.managedfields.errors import ApplyConflict
from kubeling.api.managedfields.update import update as managed_update
from kubeling.api.patch import (
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
)
from kubeling.api.patch.declared import DeclaredPatchMeta
from kubeling.api.schema import GroupVersionKind
from kubeling.api.uids import new_uid
from kubeling.apiserver.admission.chain import AdmissionChain
from kubeling.apiserver.admission.interfaces import CREATE, DELETE, UPDATE, Attributes, Operation
from kubeling.apiserver.codec import dumps
from kubeling.apiserver.registry.resource import Resource
from kubeling.apiserver.rest import objects
from kubeling.apiserver.rest.decoding import check_fields, check_kind
from kubeling.apiserver.rest.options import DeleteOptions, ListOptions, WriteOptions
from kubeling.apiserver.rest.served_version import ServedVersion
from kubeling.apiserver.rest.strategy import StatusStrategy, Strategy
from kubeling.apiserver.watch_cache import CachedObject, Selectable, WatchCache
from kubeling.storage import (
    MAX_KEY_BYTES,
    CompactedError,
    ConflictError,
    InvalidContinueError,
    InvalidKeyError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    ListResult,
    Preconditions,
    Store,
    ValueTooLargeError,
)
from kubeling.storage.keys import check_key, encode_continue

__all__ = ["PATCH_TYPES", "ResourceStore", "WriteResult", "patch_status"]

Obj = dict[str, Any]

PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply",
}

_CONFLICT_MESSAGE = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


@dataclass(frozen=True, slots=True)
class WriteResult:
    """An object as written, and whether the write created it (201 vs 200)."""

    obj: Obj
    created: bool = False


class _NoChange(Exception):
    """Raised inside an update function: the stored object is already right."""


def _meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def selectable(strategy: Strategy, *, namespaced: bool) -> Selectable:
    """What a watch cache keeps for selectors: each stored object's labels and the
    strategy's selectable fields (of the storage version)."""

    def of(obj: Obj) -> tuple[Mapping[str, str], Mapping[str, str]]:
        return _meta(obj).get("labels") or {}, strategy.field_set(obj, namespaced=namespaced)

    return of


class ResourceStore:
    """Serves one Resource from the store, following its Strategy."""

    def __init__(
        self,
        resource: Resource,
        store: Store,
        *,
        strategy: Strategy | None = None,
        storage_prefix: str | None = None,
        admission: AdmissionChain | None = None,
        clock: Callable[[], datetime.datetime] | None = None,
        custom: bool = False,
        printer: Any = None,
        openapi_schema: Mapping[str, Any] | None = None,
        watch_cache: WatchCache | None = None,
    ) -> None:
        self.resource = resource
        #: Where this version meets the stored objects (conversion, selectors).
        self.served = ServedVersion(resource)
        #: A custom resource (CRD): no strategic merge patch, schema from the CRD.
        self.custom = custom
        #: The Table printer, when not the built-in one for the resource.
        self.printer = printer
        self.openapi_schema = openapi_schema
        self.store = store
        self.strategy = strategy or Strategy()
        self.status_strategy = StatusStrategy(self.strategy)
        self.storage_prefix = storage_prefix or f"/registry/{resource.plural}"
        #: The admission chain every write goes through (None: no admission).
        self.admission = admission
        self._clock = clock or (lambda: datetime.datetime.now(datetime.UTC))
        #: Shared by every version stored under the same prefix (the registry's).
        self._watch_cache = watch_cache

    def watch_cache(self) -> WatchCache:
        """This resource's watch cache (of storage-version objects), created on first use."""
        if self._watch_cache is None:
            self._watch_cache = WatchCache(
                self.store,
                self.storage_prefix,
                self.served.storage_typed,
                selectable(self.strategy, namespaced=self.namespaced),
            )
        return self._watch_cache

    # -- helpers -------------------------------------------------------------

    def now(self) -> str:
        """This store's clock as a metav1.Time, for the times a write stamps."""
        return objects.now_rfc3339(self._clock())

    @property
    def namespaced(self) -> bool:
        return self.resource.namespaced

    def key(self, namespace: str, name: str) -> str:
        """The store key of ``name``; 404 if no object could be stored under it.

        Kubernetes' etcd takes any bytes as a key, so that a name or namespace with a
        control character, or too long for a key, is simply not found there; kubeling's
        stores refuse such keys, and the API must answer the same 404 and not fail.
        """
        key = objects.object_key(self.storage_prefix, namespace if self.namespaced else "", name)
        if not _storable(key):
            raise self._not_found(name)
        return key

    def _key_to_create(self, namespace: str, name: str) -> str:
        """The store key of a new object ``name``, or 400 when the store cannot hold it.

        Only a name that the resource's validation lets through and the store cannot
        take comes here (a path segment name of a role, with a control character or
        over the key limit): Kubernetes would store it (docs/differences.md).
        """
        key = objects.object_key(self.storage_prefix, namespace if self.namespaced else "", name)
        if not _storable(key):
            raise errors.bad_request(
                f"Name parameter invalid: {name!r}: may not contain control characters "
                f"or exceed {MAX_KEY_BYTES} bytes with its namespace"
            )
        return key

    def _not_found(self, name: str) -> errors.StatusError:
        return errors.not_found(self.resource.group_resource, name)

    def _conflict(self, name: str, message: str = _CONFLICT_MESSAGE) -> errors.StatusError:
        return errors.conflict(self.resource.group_resource, name, message)

    def _check_type(self, obj: Mapping[str, Any]) -> None:
        check_kind(obj, self.resource.gvk)

    def _typed(self, obj: Obj) -> Obj:
        obj["apiVersion"] = self.resource.gvk.api_version
        obj["kind"] = self.resource.kind
        return obj

    def _encode(self, obj: Mapping[str, Any]) -> bytes:
        value = objects.encode(obj)
        if len(value) > 1536 * 1024:
            raise errors.request_entity_too_large("etcdserver: request is too large")
        return value

    def _invalid(self, obj: Mapping[str, Any], problems: list[Any]) -> errors.StatusError:
        # named by the storage kind, as Kubernetes names its internal kind
        kind = self.served.storage
        return errors.invalid(
            kind.kind if not kind.group else f"{kind.kind}.{kind.group}",
            str(_meta(obj).get("name", "")),
            problems,
        )

    def check_fields(
        self, obj: Obj, options: WriteOptions, *, duplicates: Iterable[str] = ()
    ) -> None:
        """Decode-time checks on a written object, as fieldValidation asks
        (``rest.decoding.check_fields``), with the strategy's own unknown fields."""
        check_fields(
            obj,
            type=self.resource.type,
            gvk=self.resource.gvk,
            options=options,
            duplicates=duplicates,
            more_unknown=self.strategy.unknown_fields,
        )

    def _track(self, old: Obj | None, new: Obj, options: WriteOptions, subresource: str) -> None:
        """Record in ``new``'s managedFields which fields this write's manager set.

        The entries are those the request carried, or the stored object's;
        malformed entries are reset, as Kubernetes does.
        """
        meta = new.setdefault("metadata", {})
        entries = meta.get("managedFields")
        if entries is None and old is not None:
            entries = _meta(old).get("managedFields")
        try:
            meta["managedFields"] = managed_update(
                None if old is None else self.served.outgoing(old),
                self.served.outgoing(new),
                manager=options.field_manager or "unknown",
                managed_fields=list(entries or []),
                type=self.resource.type,
                api_version=self.resource.gvk.api_version,
                now=objects.now_rfc3339(self._clock()),
                subresource=subresource,
            )
        except (ValueError, TypeError, KeyError):
            meta.pop("managedFields", None)
        if not meta.get("managedFields"):
            meta.pop("managedFields", None)

    # -- admission -----------------------------------------------------------

    def admission_attributes(
        self,
        operation: Operation,
        obj: Obj | None,
        old: Obj | None,
        *,
        namespace: str,
        name: str,
        subresource: str = "",
        dry_run: bool = False,
        options: Obj | None = None,
        kind: GroupVersionKind | None = None,
    ) -> Attributes:
        """What admission sees of one write of this resource (``kind``: of ``obj``,
        when not the resource's own, as a Scale's)."""
        assert self.admission is not None
        kind = kind or self.served.storage
        return Attributes(
            operation=operation,
            group=self.resource.group,
            version=self.resource.version,
            resource=self.resource.plural,
            subresource=subresource,
            kind_group=kind.group,
            kind_version=kind.version,
            kind=kind.kind,
            namespace=namespace if self.namespaced else "",
            name=name,
            obj=obj,
            old_obj=old,
            user=self.admission.requesting_user(),
            dry_run=dry_run,
            options=options,
        )

    async def admit_subresource(
        self,
        operation: Operation,
        subresource: str,
        obj: Obj | None,
        old: Obj | None,
        *,
        namespace: str,
        name: str,
        kind: GroupVersionKind,
        dry_run: bool = False,
        options: Obj | None = None,
    ) -> None:
        """Both admission phases for a write to a subresource whose object is its own
        kind (a Binding, an Eviction, a Scale, a pod's exec options); ``obj`` may be
        changed by mutating plugins."""
        if self.admission is None:
            return
        attributes = self.admission_attributes(
            operation,
            obj,
            old,
            namespace=namespace,
            name=name,
            subresource=subresource,
            dry_run=dry_run,
            options=options,
            kind=kind,
        )
        await self.admission.admit(attributes)
        await self.admission.validate(attributes)

    # -- reads ---------------------------------------------------------------

    async def get(self, namespace: str, name: str) -> Obj:
        kv = await self.store.get(self.key(namespace, name))
        if kv is None:
            raise self._not_found(name)
        return self.served.outgoing(objects.decode(kv))

    def matches(self, obj: Mapping[str, Any], options: ListOptions) -> bool:
        """Whether ``obj`` passes the list's label and field selectors."""
        if not options.label_selector.is_empty():
            obj_labels = _meta(obj).get("labels") or {}
            if not options.label_selector.matches(obj_labels):
                return False
        if not options.field_selector.is_empty():
            field_values = self.served.field_set(
                self.strategy.field_set(obj, namespaced=self.namespaced)
            )
            if not options.field_selector.matches(field_values):
                return False
        return True

    def matches_cached(self, cached: CachedObject, options: ListOptions) -> bool:
        """:meth:`matches` for a watch-cache entry, which keeps what selectors read
        (the storage version's fields, seen through this version's labels)."""
        if not options.label_selector.matches(cached.labels):
            return False
        if options.field_selector.is_empty():
            return True
        return options.field_selector.matches(self.served.field_set(cached.fields))

    def check_field_selector(self, options: ListOptions) -> None:
        """400 for a field selector naming a field this resource does not support."""
        if options.field_selector.is_empty():
            return
        probe = {"metadata": {"name": "", "namespace": ""}}
        supported = set(
            self.served.field_set(self.strategy.field_set(probe, namespaced=self.namespaced))
        )
        for term in options.field_selector.terms() or ():
            if term.field not in supported:
                raise errors.bad_request(f"field label not supported: {term.field}")

    async def list(self, namespace: str, options: ListOptions) -> Obj:
        """A List of the objects matching ``options``, paged with limit/continue."""
        self.check_field_selector(options)
        prefix = objects.prefix_for(self.storage_prefix, namespace if self.namespaced else "")
        if not _storable(prefix) or (
            options.resource_version == "0" and not options.continue_token
        ):
            # a namespace no key can name holds nothing: the cache says so (as etcd
            # would list no keys), without a store read the store would refuse
            return await self._list_from_cache(prefix, options)
        revision = 0
        if options.resource_version_match == "Exact":
            revision = int(options.resource_version)
        filtering = not options.label_selector.is_empty() or not options.field_selector.is_empty()
        items: list[Obj] = []
        token = options.continue_token
        remaining: int | None = None
        try:
            while True:
                # With selectors a page may keep few items: read at least 100 keys.
                want = options.limit - len(items) if options.limit else 0
                page = await self.store.list(
                    prefix,
                    revision=revision if token is None else 0,
                    limit=max(want, 100) if want and filtering else want,
                    continue_token=token,
                )
                revision = page.revision
                for kv in page.kvs:
                    obj = objects.decode(kv)
                    if self.matches(obj, options):
                        if options.limit and len(items) >= options.limit:
                            # a filtered page overshot: continue from this key
                            token = _continue_from(page, kv, prefix)
                            break
                        items.append(self.served.outgoing(obj))
                else:
                    token = page.continue_token
                    remaining = page.remaining
                if token is None or (options.limit and len(items) >= options.limit):
                    break
        except CompactedError as err:
            raise errors.resource_expired(
                "The provided continue parameter is too old to display a consistent list "
                "result. You can start a new list without the continue parameter."
                if options.continue_token
                else f"too old resource version: {options.resource_version or revision} "
                f"({err.compact_revision})"
            ) from err
        except InvalidContinueError as err:
            raise errors.bad_request(str(err)) from err
        for item in items:
            item.pop("apiVersion", None)
            item.pop("kind", None)
        metadata: Obj = {"resourceVersion": str(revision)}
        if token:
            metadata["continue"] = token
            if remaining and not filtering:
                metadata["remainingItemCount"] = remaining
        return {
            "kind": self.resource.list_kind_name,
            "apiVersion": self.resource.gvk.api_version,
            "metadata": metadata,
            "items": items,
        }

    async def list_json(self, namespace: str, options: ListOptions) -> bytes | None:
        """A list served from the watch cache, as JSON bytes (what :meth:`list` would
        answer, encoded), or None when the request needs the store (paging, an exact
        revision).

        For ``resourceVersion`` unset (the latest state) and no paging, the
        cache answers once it has caught up with the store's current
        revision, as Kubernetes' consistent reads from cache do; each object
        is encoded once and reused until it changes. ``resourceVersion=0``
        (an informer's first list) is the cache as it is, ``limit`` ignored,
        as :meth:`list` serves it.
        """
        if options.resource_version == "0" and not options.continue_token:
            self.check_field_selector(options)
            prefix = objects.prefix_for(self.storage_prefix, namespace if self.namespaced else "")
            return await self._list_json_from_cache(prefix, options)
        if options.limit or options.continue_token or options.resource_version:
            return None
        self.check_field_selector(options)
        cache = self.watch_cache()
        await cache.ensure_started()
        try:
            await cache.wait_for(await self.store.current_revision())
        except errors.StatusError as err:
            if err.code != 504:
                raise
            return None  # the cache lags: read the store, as Kubernetes falls back to etcd
        prefix = objects.prefix_for(self.storage_prefix, namespace if self.namespaced else "")
        entries, revision = cache.list_entries(prefix)
        filtering = not options.label_selector.is_empty() or not options.field_selector.is_empty()
        items = [
            self.served.encoded(cached)
            for _, cached in entries
            if not filtering or self.matches_cached(cached, options)
        ]
        return self._list_envelope_json(revision, items)

    def _list_envelope_json(self, revision: int, items: builtins.list[bytes]) -> bytes:
        """A List's JSON around items already encoded (as ``codec.dumps`` of the whole)."""
        head = json.dumps(
            {
                "kind": self.resource.list_kind_name,
                "apiVersion": self.resource.gvk.api_version,
                "metadata": {"resourceVersion": str(revision)},
            },
            separators=(",", ":"),
        ).encode()
        return head[:-1] + b',"items":[' + b",".join(items) + b"]}"

    async def _list_from_cache(self, prefix: str, options: ListOptions) -> Obj:
        """resourceVersion=0: any recent state will do, so serve it from memory
        (as Kubernetes does, ignoring limit)."""
        entries, revision = await self._cache_entries(prefix)
        return {
            "kind": self.resource.list_kind_name,
            "apiVersion": self.resource.gvk.api_version,
            "metadata": {"resourceVersion": str(revision)},
            "items": builtins.list(self._cached_list_items(entries, options)),
        }

    async def _list_json_from_cache(self, prefix: str, options: ListOptions) -> bytes:
        """:meth:`_list_from_cache` encoded, one item decoded at a time: decoding every
        item first held them all as dicts at once (about 30 KB a pod, a peak of gigabytes
        when an informer lists 150,000 pods)."""
        entries, revision = await self._cache_entries(prefix)
        items = [dumps(item) for item in self._cached_list_items(entries, options)]
        return self._list_envelope_json(revision, items)

    async def _cache_entries(
        self, prefix: str
    ) -> tuple[builtins.list[tuple[str, CachedObject]], int]:
        cache = self.watch_cache()
        await cache.ensure_started()
        return cache.list_entries(prefix)

    def _cached_list_items(
        self, entries: builtins.list[tuple[str, CachedObject]], options: ListOptions
    ) -> Iterator[Obj]:
        """The matching cached objects as this version serves them in a List (without
        apiVersion and kind), each decoded when it is asked for."""
        for _, cached in entries:
            if self.matches_cached(cached, options):
                item = self.served.outgoing(cached.decode())
                item.pop("apiVersion", None)
                item.pop("kind", None)
                yield item

    # -- create --------------------------------------------------------------

    def _prepare_new(self, obj: Obj, namespace: str) -> Obj:
        if not isinstance(obj, dict):
            raise errors.bad_request("the request body must be a JSON object")
        self._check_type(obj)
        obj = copy_json(obj)
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if self.namespaced:
            body_ns = meta.get("namespace") or ""
            if body_ns and namespace and body_ns != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace "
                    "sent on the request"
                )
            if namespace:
                meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        for server_field in (
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ):
            meta.pop(server_field, None)
        meta["uid"] = new_uid()
        meta["creationTimestamp"] = objects.now_rfc3339(self._clock())
        self._typed(obj)
        return obj

    async def create(
        self,
        namespace: str,
        body: Obj,
        options: WriteOptions,
        *,
        duplicates: Iterable[str] = (),
        track: bool = True,
    ) -> Obj:
        obj = self._prepare_new(body, namespace)
        self.check_fields(obj, options, duplicates=duplicates)
        obj = self.served.incoming(obj)
        meta = obj["metadata"]
        self.strategy.guard_write(obj, None)
        requested = str(meta.get("name") or "")
        generate = not requested and meta.get("generateName")
        if generate:
            # named before the strategy runs: a Job's labels carry its name
            meta["name"] = naming.generate_name(str(meta["generateName"]))
        self.strategy.default(obj)
        attributes = None
        if self.admission is not None:
            # mutating admission sees the defaulted object, as it does once decoded
            attributes = self.admission_attributes(
                CREATE,
                obj,
                None,
                namespace=str(meta.get("namespace") or ""),
                name=requested,
                dry_run=options.dry_run,
                options=options.as_json("CreateOptions"),
            )
            obj = await self._admit(attributes)
            meta = obj.setdefault("metadata", {})
        self.strategy.prepare_for_create(obj)
        if track:
            _meta(obj).pop("managedFields", None)
            self._track(None, obj, options, "")
        for attempt in range(8):
            if generate and attempt:
                meta["name"] = naming.generate_name(str(meta["generateName"]))
            problems = self.strategy.validate(obj, namespaced=self.namespaced)
            if problems:
                raise self._invalid(obj, problems)
            if attributes is not None and not attempt:
                assert self.admission is not None
                await self.admission.validate(attributes)
            key = self._key_to_create(meta.get("namespace", ""), meta["name"])
            if options.dry_run:
                existing = await self.store.get(key)
                if existing is not None:
                    raise errors.already_exists(self.resource.group_resource, meta["name"])
                return self.served.outgoing(obj)
            await self.strategy.allocate(obj)
            try:
                kv = await self.store.create(key, self._encode(obj))
            except KeyExistsError:
                await self.strategy.release(obj)
                if generate and attempt < 7:
                    continue
                raise errors.already_exists(self.resource.group_resource, meta["name"]) from None
            except ValueTooLargeError as err:
                await self.strategy.release(obj)
                raise errors.request_entity_too_large(str(err)) from err
            except BaseException:
                await self.strategy.release(obj)
                raise
            # what was stored is obj itself: no need to decode it again
            obj["metadata"]["resourceVersion"] = str(kv.mod_revision)
            return self.served.outgoing(obj)
        raise AssertionError("unreachable")

    # -- update and patch ----------------------------------------------------

    async def _merge_update(
        self,
        new: Obj,
        old: Obj,
        *,
        subresource: str,
        options: WriteOptions,
        options_kind: str = "UpdateOptions",
        internal: bool = False,
        track: bool = True,
        admit: bool = True,
    ) -> Obj:
        """Apply server rules to an updated object: identity, strategy, admission
        (mutating before the strategy's preparation, validating last), validation.

        ``internal`` is the API server's own write (binding, finalize): no strategy
        rules, no field tracking; ``admit=False`` leaves admission out (a write the
        request's own subresource was admitted for, as a Scale's).
        """
        if not isinstance(new, dict):
            raise errors.bad_request("the request body must be a JSON object")
        self._check_type(new)
        new = copy_json(new)
        old_meta, new_meta = _meta(old), new.setdefault("metadata", {})
        if not isinstance(new_meta, dict):
            raise errors.bad_request("metadata must be an object")
        name = old_meta["name"]
        if new_meta.get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({new_meta.get('name')}) does not match the name on "
                f"the URL ({name})"
            )
        uid = new_meta.get("uid")
        if uid and uid != old_meta.get("uid"):
            raise self._conflict(
                name,
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                f"{old_meta.get('uid')}",
            )
        if self.namespaced:
            new_ns = new_meta.get("namespace") or old_meta.get("namespace")
            if new_ns != old_meta.get("namespace"):
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace "
                    "sent on the request"
                )
        for kept in (
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ):
            if kept in old_meta:
                new_meta[kept] = old_meta[kept]
            else:
                new_meta.pop(kept, None)
        new = self.served.incoming(self._typed(new))
        attributes = None
        if admit and self.admission is not None:
            attributes = self.admission_attributes(
                UPDATE,
                new,
                old,
                namespace=str(old_meta.get("namespace") or ""),
                name=name,
                subresource=subresource,
                dry_run=options.dry_run,
                options=options.as_json(options_kind),
            )
        if internal:
            # the API server's own write (binding, finalize): no strategy rules
            if attributes is not None:
                new = await self._admit(attributes)
        elif subresource == "status":
            if attributes is not None:
                new = await self._admit(attributes)
            self.status_strategy.prepare_for_update(new, old)
            problems = self.status_strategy.validate_update(new, old, namespaced=self.namespaced)
            if problems:
                raise self._invalid(new, problems)
        else:
            self.strategy.guard_write(new, old)
            self.strategy.default(new)
            if attributes is not None:
                new = await self._admit(attributes)
            self.strategy.prepare_for_update(new, old)
            problems = self.strategy.validate_update(new, old, namespaced=self.namespaced)
            if problems:
                raise self._invalid(new, problems)
        if _meta(old).get("deletionTimestamp") and _meta(new).get("finalizers") is not None:
            added = set(_meta(new).get("finalizers") or ()) - set(old_meta.get("finalizers") or ())
            if added:
                raise self._invalid(
                    new,
                    [
                        forbidden(
                            "metadata.finalizers",
                            "no new finalizers can be added if the object is "
                            "being deleted, found new finalizers " + str(sorted(added)),
                        )
                    ],
                )
        if track and not internal:
            self._track(old, new, options, subresource)
        if attributes is not None:
            assert self.admission is not None
            await self.admission.validate(attributes)
        return new

    async def _admit(self, attributes: Attributes) -> Obj:
        """The mutating phase; returns the object to write (a plugin may have
        replaced ``attributes.obj`` rather than changed it)."""
        assert self.admission is not None
        await self.admission.admit(attributes)
        if not isinstance(attributes.obj, dict):
            raise errors.internal_error("admission left no object to write")
        return attributes.obj

    async def _write(
        self,
        namespace: str,
        name: str,
        compute: Callable[[Obj], Awaitable[Obj]],
        *,
        expected_rv: str | None,
        options: WriteOptions,
    ) -> Obj:
        """Read-modify-write ``name`` with ``compute(old) -> new`` under optimistic concurrency."""
        key = self.key(namespace, name)
        preconditions = None
        if expected_rv:
            try:
                preconditions = Preconditions(mod_revision=int(expected_rv))
            except ValueError:
                raise errors.bad_request(f'invalid resource version "{expected_rv}"') from None
        result: dict[str, Obj] = {}

        # What an attempt allocated (a Service's new ports...), kept to undo it
        # if the attempt is retried or the write fails: (new, old).
        held: list[tuple[Obj, Obj]] = []

        async def update(current: KeyValue | None) -> bytes | None:
            if current is None:
                raise self._not_found(name)
            old = objects.decode(current)
            new = await compute(objects.decode(current))  # a second decode: cheaper than a copy
            finished = _meta(new).get("deletionTimestamp") and not self.strategy.finalizers_pending(
                new
            )
            if finished:
                result["delete"] = new
                raise _NoChange
            new_bytes = self._encode(new)
            if new_bytes == objects.encode(old):
                result["obj"] = old
                return None
            if options.dry_run:
                result["obj"] = new
                raise _NoChange
            await self._undo_allocation(held)
            await self.strategy.allocate(new, old)
            held.append((new, old))
            # allocate may fill in fields (an allocated port): write what it decided
            return self._encode(new)

        try:
            kv = await self.store.guaranteed_update(
                key, update, preconditions=preconditions, suggestion=self._suggestion(key)
            )
        except _NoChange:
            await self._undo_allocation(held)
            if "delete" in result and not options.dry_run:
                return await self._finish_deletion(namespace, name, result["delete"])
            return result.get("obj") or result["delete"]
        except BaseException as failure:
            await self._undo_allocation(held)
            if isinstance(failure, ConflictError):
                raise self._conflict(name) from None
            if isinstance(failure, KeyNotFoundError):
                raise self._not_found(name) from None
            if isinstance(failure, ValueTooLargeError):
                raise errors.request_entity_too_large(str(failure)) from failure
            raise
        if held:
            new, old = held[-1]
            await self.strategy.release(old, new=new)
        # nothing was written (no change): the object as it was read. A stale value
        # (an old encryption key) is written again unchanged, at a new revision.
        if "obj" in result and _meta(result["obj"]).get("resourceVersion") == str(kv.mod_revision):
            return result["obj"]
        return objects.decode(kv)

    def _suggestion(self, key: str) -> KeyValue | None:
        """The watch cache's state of ``key`` for a write to start from, saving a read
        of the store (as Kubernetes' ``cachedExistingObject``); the write catches a
        stale one. Its value is the JSON as served, which decodes the same."""
        cached = self._watch_cache.peek(key) if self._watch_cache is not None else None
        if cached is None or not cached.revision:
            return None
        return KeyValue(key, cached.raw, 0, cached.revision, 0)

    async def _undo_allocation(self, held: builtins.list[tuple[Obj, Obj]]) -> None:
        """Release what an abandoned update attempt allocated (keeping the old object's)."""
        while held:
            new, old = held.pop()
            await self.strategy.release(new, new=old)

    async def _finish_deletion(self, namespace: str, name: str, obj: Obj) -> Obj:
        """The last finalizer is gone from a terminating object: delete it."""
        try:
            deleted = await self.store.delete(self.key(namespace, name))
        except KeyNotFoundError:
            raise self._not_found(name) from None
        gone = objects.decode(deleted.prev_kv, revision=deleted.revision)
        await self.strategy.release(gone)
        return gone

    async def update(
        self,
        namespace: str,
        name: str,
        body: Obj,
        options: WriteOptions,
        *,
        subresource: str = "",
        internal: bool = False,
        admit: bool = True,
        duplicates: Iterable[str] = (),
    ) -> Obj:
        """PUT: replace the object (or its status), conditioned on its resourceVersion.

        ``internal`` is for the API server's own subresources (namespaces/finalize)
        that change fields the strategy otherwise guards; ``admit=False`` is for
        writes Kubernetes makes without admission (an eviction's condition, the
        object behind an admitted Scale).
        """
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON object")
        body = copy_json(body)
        if not internal:
            self.check_fields(body, options, duplicates=duplicates)
        expected = _meta(body).get("resourceVersion") or None
        written = await self._write(
            namespace,
            name,
            lambda old: self._merge_update(
                body,
                old,
                subresource=subresource,
                options=options,
                internal=internal,
                admit=admit,
            ),
            expected_rv=expected,
            options=options,
        )
        return self.served.outgoing(written)

    async def update_internal(
        self, namespace: str, name: str, change: Callable[[Obj], Obj], options: WriteOptions
    ) -> Obj:
        """The API server's own read-modify-write of one object (``pods/binding``).

        ``change`` receives a copy of the stored object and returns it changed, or raises
        a ``StatusError`` to refuse; it runs again if a concurrent write wins the race.
        No strategy rules, no field tracking: the caller owns the change.
        """

        async def compute(old: Obj) -> Obj:
            return change(old)

        written = await self._write(namespace, name, compute, expected_rv=None, options=options)
        return self.served.outgoing(written)

    async def patch(
        self,
        namespace: str,
        name: str,
        patch_type: str,
        patch: Any,
        options: WriteOptions,
        *,
        subresource: str = "",
    ) -> WriteResult:
        """PATCH with a JSON, merge, strategic merge or apply patch."""
        if patch_type == "apply":
            return await self._apply(namespace, name, patch, options, subresource=subresource)
        if patch_type == "strategic" and self.custom:
            raise errors.unsupported_media_type(
                [
                    "application/json-patch+json",
                    "application/merge-patch+json",
                    "application/apply-patch+yaml",
                ]
            )

        async def compute(old: Obj) -> Obj:
            view = self.served.outgoing(old)  # the patch is written against this version
            try:
                if patch_type == "json":
                    patched = apply_json_patch(view, patch)
                elif patch_type == "merge":
                    patched = apply_merge_patch(view, patch)
                else:
                    meta = DeclaredPatchMeta(self.resource.type)
                    patched = apply_strategic_merge_patch(view, patch, meta)
            except PatchError as err:
                raise patch_status(err) from err
            if not isinstance(patched, dict):
                raise errors.bad_request("the patched object is not a JSON object")
            self.check_fields(patched, options)
            rv = _meta(patched).get("resourceVersion")
            if rv and rv != _meta(old).get("resourceVersion"):
                raise self._conflict(name)
            return await self._merge_update(
                patched, old, subresource=subresource, options=options, options_kind="PatchOptions"
            )

        obj = await self._write(namespace, name, compute, expected_rv=None, options=options)
        return WriteResult(self.served.outgoing(obj))

    async def _apply(
        self, namespace: str, name: str, body: Any, options: WriteOptions, *, subresource: str
    ) -> WriteResult:
        """Server-side apply: field ownership in managedFields, conflicts, pruning.

        The applied configuration is merged onto the live object (or makes a
        new one); fields another manager owns and the configuration changes
        are a 409 Conflict listing them, unless ``force``; fields this manager
        applied before and no longer applies are removed.
        """
        if not isinstance(body, dict):
            raise errors.bad_request("the apply patch must be a JSON or YAML object")
        if not options.field_manager:
            raise errors.bad_request(
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                "is required for apply patch"
            )
        body_meta = _meta(body)
        if body_meta.get("name") and body_meta["name"] != name:
            raise errors.bad_request(
                f"the name of the object ({body_meta['name']}) does not match the name on the "
                f"URL ({name})"
            )
        applied = copy_json(body)
        _meta(applied).pop("resourceVersion", None)
        self.check_fields(applied, options)

        def run(live: Obj | None) -> Obj:
            try:
                result, _ = managed_apply(
                    None if live is None else self.served.outgoing(live),
                    applied,
                    manager=options.field_manager,
                    managed_fields=list(_meta(live).get("managedFields") or []) if live else [],
                    type=self.resource.type,
                    api_version=self.resource.gvk.api_version,
                    force=options.force,
                    now=objects.now_rfc3339(self._clock()),
                    subresource=subresource,
                )
            except ApplyConflict as conflict:
                raise errors.StatusError(
                    errors.Status(
                        code=409,
                        reason="Conflict",
                        message=str(conflict),
                        details=errors.StatusDetails(
                            name=name,
                            group=self.resource.group,
                            kind=self.resource.plural,
                            causes=tuple(
                                errors.StatusCause(
                                    reason="FieldManagerConflict",
                                    message=cause["message"],
                                    field=cause["field"],
                                )
                                for cause in conflict.causes()
                            ),
                        ),
                    )
                ) from conflict
            except (ValueError, KeyError) as err:
                raise errors.bad_request(f"invalid apply configuration: {err}") from err
            return result

        try:
            await self.get(namespace, name)
        except errors.StatusError as err:
            if err.code != 404 or subresource:
                raise
            created = run(None)
            created.setdefault("metadata", {})["name"] = name
            obj = await self.create(namespace, created, options, track=False)
            return WriteResult(obj, created=True)

        async def compute(old: Obj) -> Obj:
            return await self._merge_update(
                run(old),
                old,
                subresource=subresource,
                options=options,
                options_kind="PatchOptions",
                track=False,
            )

        obj = await self._write(namespace, name, compute, expected_rv=None, options=options)
        return WriteResult(self.served.outgoing(obj))

    # -- delete --------------------------------------------------------------

    async def delete(
        self, namespace: str, name: str, options: DeleteOptions, *, admit: bool = True
    ) -> tuple[Obj, bool]:
        """DELETE: returns (object or Status, whether it is gone now).

        Admission sees the stored object (``old_obj``), both phases, once its
        preconditions hold; ``admit=False`` is for deletes Kubernetes makes
        without it (an admitted eviction's).

        Objects with finalizers (or a Foreground/Orphan policy, recorded as
        the ``foregroundDeletion``/``orphan`` finalizers) and objects whose
        strategy asks for a grace period get ``deletionTimestamp`` and stay
        until their finalizers are removed or their grace period ends.
        """
        key = self.key(namespace, name)
        while True:
            kv = await self.store.get(key)
            if kv is None:
                raise self._not_found(name)
            obj = objects.decode(kv)
            meta = _meta(obj)
            if options.precondition_uid and options.precondition_uid != meta.get("uid"):
                raise self._conflict(
                    name,
                    f"Precondition failed: UID in precondition: {options.precondition_uid}, "
                    f"UID in object meta: {meta.get('uid')}",
                )
            if (
                options.precondition_resource_version
                and options.precondition_resource_version != meta.get("resourceVersion")
            ):
                raise self._conflict(
                    name,
                    "Precondition failed: ResourceVersion in precondition: "
                    f"{options.precondition_resource_version}, ResourceVersion in object meta: "
                    f"{meta.get('resourceVersion')}",
                )
            if admit and self.admission is not None:
                attributes = self.admission_attributes(
                    DELETE,
                    None,
                    obj,
                    namespace=namespace,
                    name=name,
                    dry_run=options.dry_run,
                    options=options.as_json(),
                )
                await self.admission.admit(attributes)
                await self.admission.validate(attributes)
            if meta.get("deletionTimestamp"):
                refused = self.strategy.delete_conflict(obj)
                if refused:
                    raise self._conflict(name, refused)
            finalizers = list(meta.get("finalizers") or [])
            if (
                options.propagation_policy == "Foreground"
                and "foregroundDeletion" not in finalizers
            ):
                finalizers.append("foregroundDeletion")
            if options.propagation_policy == "Orphan" and "orphan" not in finalizers:
                finalizers.append("orphan")
            grace = self.strategy.graceful_delete_seconds(obj, options.grace_period_seconds)
            held = finalizers or self.strategy.finalizers_pending(obj)
            if not held and not grace:
                if options.dry_run:
                    return self.served.outgoing(obj), True
                try:
                    deleted = await self.store.delete(
                        key, preconditions=Preconditions(mod_revision=kv.mod_revision)
                    )
                except ConflictError:
                    continue
                except KeyNotFoundError:
                    raise self._not_found(name) from None
                gone = objects.decode(deleted.prev_kv, revision=deleted.revision)
                await self.strategy.release(gone)
                return self.served.outgoing(self.served.storage_typed(gone)), True
            updated = copy_json(obj)
            umeta = updated["metadata"]
            if not umeta.get("deletionTimestamp"):
                when = self._clock() + datetime.timedelta(seconds=grace or 0)
                umeta["deletionTimestamp"] = objects.now_rfc3339(when)
            previous = umeta.get("deletionGracePeriodSeconds")
            # a repeated delete may only shorten the grace period
            umeta["deletionGracePeriodSeconds"] = (
                min(previous, grace or 0) if isinstance(previous, int) else grace or 0
            )
            if finalizers:
                umeta["finalizers"] = finalizers
            self.strategy.prepare_for_deletion(updated)
            if options.dry_run:
                return self.served.outgoing(updated), False
            try:
                new_kv = await self.store.update(
                    key,
                    self._encode(updated),
                    preconditions=Preconditions(mod_revision=kv.mod_revision),
                )
            except ConflictError:
                continue
            except KeyNotFoundError:
                raise self._not_found(name) from None
            return self.served.outgoing(self.served.storage_typed(objects.decode(new_kv))), False

    async def delete_collection(
        self, namespace: str, list_options: ListOptions, options: DeleteOptions
    ) -> Obj:
        """DELETE on a collection: delete every object the selectors match."""
        listed = await self.list(namespace, list_options)
        deleted = []
        for item in listed["items"]:
            meta = _meta(item)
            try:
                obj, _ = await self.delete(meta.get("namespace", ""), meta["name"], options)
            except errors.StatusError as err:
                if err.code == 404:
                    continue
                raise
            deleted.append(obj)
        listed["items"] = deleted
        return listed


def _storable(key: str) -> bool:
    try:
        check_key(key)
    except InvalidKeyError:
        return False
    return True


def _continue_from(page: ListResult, kv: KeyValue, prefix: str) -> str:
    return encode_continue(page.revision, kv.key, prefix)


def patch_status(err: PatchError) -> errors.StatusError:
    code = int(err.code)
    if code == 422:
        return errors.StatusError(errors.Status(code=422, reason="Invalid", message=str(err)))
    if code == 413:
        return errors.request_entity_too_large(str(err))
    if code == 400:
        return errors.bad_request(str(err))
    return errors.internal_error(str(err))
