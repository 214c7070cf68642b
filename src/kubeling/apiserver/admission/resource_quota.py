"""The ResourceQuota admission plugin: refuse what would exceed a quota, charge what fits.

Kubernetes' ``plugin/pkg/admission/resourcequota``. On a create (and on an
update that can change usage: a service's type, a claim's storage request) of
any namespaced object, every ResourceQuota of the namespace that counts one of
its resources and whose scopes take it is checked:

- a pod that omits cpu or memory on a container while a quota limits them is
  refused: ``failed quota: q: must specify limits.cpu for: c``;
- a quota whose ``status.used`` lacks one of its resources (the controller
  has not counted it yet) refuses: ``status unknown for quota: q, resources: pods``;
- usage past ``status.hard`` is refused: ``exceeded quota: q, requested:
  pods=1, used: pods=2, limited: pods=2``.

Every refusal is a 403 on the object. What fits is *charged* before the object
is stored: the quota's ``status.used`` is written through the store with its
``resourceVersion`` as a precondition. A conflicting write (the controller, or
another API server) re-reads the quotas that failed and checks again, up to
three times, then gives up with the conflict, as upstream does. Within one
API server the writes of a namespace take turns (upstream queues them per
namespace), so concurrent creates never pass a quota's hard limit, and the
freshly written quota is remembered until the watch cache catches up with it
(upstream's ``updatedQuotas``). A dry run is checked but not charged. The
ResourceQuota controller later recalculates usage from what exists, which
also returns what was charged for writes that then failed.

Usage comes from :mod:`kubeling.api.quota.usage`, the evaluators the
controller sums with.

Built from the API server's registry (one instance per server, so that its
namespace turns are shared by every request)::

    ResourceQuotaAdmission(StoreQuotas(registry.lookup("", "v1", "resourcequotas")))

It must see the object as it will be stored: after defaulting and the
strategy's ``prepare_for_create`` (a pod's ``status.qosClass`` decides the
BestEffort scopes), as Kubernetes' validating admission does.

Scope of the port: no ``AdmissionConfiguration`` (``limitedResources``), as
kube-apiserver runs without one by default; pods are charged on create only
(in-place resize is off by default in 1.32).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from kubeling.api import errors
from kubeling.api.groupversion import GroupResource
from kubeling.api.podresources import ResourceList
from kubeling.api.quota.resources import (
    add,
    is_negative,
    less_than_or_equal,
    mask,
    parse_resource_list,
    pretty_names,
    pretty_print,
    remove_zeros,
    subtract_non_negative,
)
from kubeling.api.quota.usage import Evaluator, evaluator_for, in_scopes
from kubeling.apiserver.admission.interfaces import CREATE, UPDATE, AdmissionPlugin, Attributes
from kubeling.apiserver.admission.readers import ReadableStore, cached_lister
from kubeling.apiserver.admission.refusals import forbidden
from kubeling.apiserver.rest.options import WriteOptions

__all__ = [
    "IGNORED_RESOURCES",
    "QuotaStore",
    "ResourceQuotaAdmission",
    "StoreQuotas",
    "charge",
]

Obj = dict[str, Any]
Clock = Callable[[], datetime.datetime]

#: Resources quota admission never looks at (``install.DefaultIgnoredResources``).
IGNORED_RESOURCES: Final = frozenset({GroupResource("", "events")})
#: Re-checks after a conflicting status write (upstream's ``numRetries``).
RETRIES: Final = 3
#: How long a write may wait for its namespace's turn.
EVALUATION_TIMEOUT: Final = 10.0
#: The field manager of the quota status writes (the API server's loopback client).
FIELD_MANAGER: Final = "kube-apiserver"


class QuotaStore(Protocol):
    """How the plugin reads and writes ResourceQuotas (upstream's ``QuotaAccessor``)."""

    async def list_quotas(self, namespace: str) -> list[Obj]:
        """The namespace's quotas, possibly a little stale (a cache)."""
        ...

    async def get_quota(self, namespace: str, name: str) -> Obj | None:
        """One quota as stored now; None if it is gone."""
        ...

    async def update_status(self, quota: Obj) -> Obj:
        """Write ``quota``'s status if its ``resourceVersion`` is current (409 if not)."""
        ...


class _StatusWriter(ReadableStore, Protocol):
    async def update(
        self,
        namespace: str,
        name: str,
        body: Obj,
        options: WriteOptions,
        *,
        subresource: str = "",
    ) -> Obj: ...


class StoreQuotas:
    """:class:`QuotaStore` over the API server's ``resourcequotas`` store: lists from its
    watch cache, reads and writes ``/status`` through the store."""

    def __init__(self, rest: _StatusWriter) -> None:
        self._rest = rest
        self._list = cached_lister(rest)

    async def list_quotas(self, namespace: str) -> list[Obj]:
        return await self._list(namespace)

    async def get_quota(self, namespace: str, name: str) -> Obj | None:
        try:
            return await self._rest.get(namespace, name)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return None
            raise

    async def update_status(self, quota: Obj) -> Obj:
        meta = quota.get("metadata") or {}
        return await self._rest.update(
            str(meta.get("namespace") or ""),
            str(meta.get("name") or ""),
            quota,
            WriteOptions(field_manager=FIELD_MANAGER),
            subresource="status",
        )


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _part(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, Mapping) else {}


def _name(quota: Mapping[str, Any]) -> str:
    return str(_meta(quota).get("name") or "")


def _revision(obj: Mapping[str, Any]) -> int:
    try:
        return int(_meta(obj).get("resourceVersion") or 0)
    except (TypeError, ValueError):
        return 0


def charge(
    quotas: Sequence[Mapping[str, Any]], attributes: Attributes, evaluator: Evaluator
) -> dict[str, ResourceList]:
    """The new ``status.used`` of every quota ``attributes`` is charged to, by quota name.

    Raises the 403 Kubernetes gives when the write does not fit
    (``CheckRequest`` in upstream's quota controller). Empty: nothing to charge.
    """
    obj: Mapping[str, Any] = attributes.obj or {}
    charged: list[Mapping[str, Any]] = []
    for quota in quotas:
        status, spec = _part(quota, "status"), _part(quota, "spec")
        hard = parse_resource_list(status.get("hard"))
        restricted = evaluator.matching_resources(hard)
        if not restricted:
            continue
        scopes = [str(s) for s in spec.get("scopes") or ()]
        selector = spec.get("scopeSelector")
        selector = selector if isinstance(selector, Mapping) else None
        if not in_scopes(evaluator, obj, scopes, selector):
            continue
        problem = evaluator.constraints(restricted, obj)
        if problem:
            raise forbidden(attributes, f"failed quota: {_name(quota)}: {problem}")
        used = parse_resource_list(status.get("used"))
        if any(name not in used for name in restricted):
            raise forbidden(
                attributes,
                f"status unknown for quota: {_name(quota)}, resources: {pretty_names(restricted)}",
            )
        charged.append(quota)
    delta = evaluator.usage(obj)
    negative = is_negative(delta)
    if negative:
        raise forbidden(
            attributes, f"quota usage is negative for resource(s): {pretty_names(negative)}"
        )
    if attributes.operation == UPDATE:
        old = attributes.old_obj
        if old is None:
            raise forbidden(
                attributes,
                "unable to get previous usage since prior version of object was not found",
            )
        # an update is charged what it adds; a "create on update" (no stored
        # version yet) is charged in full
        if _meta(old).get("resourceVersion"):
            delta = subtract_non_negative(delta, evaluator.usage(old))
    delta = remove_zeros(delta)
    if not delta or not charged:
        return {}
    out: dict[str, ResourceList] = {}
    for quota in charged:
        status = _part(quota, "status")
        hard = parse_resource_list(status.get("hard"))
        used = parse_resource_list(status.get("used"))
        requested = mask(delta, hard)
        new_used = add(used, requested)
        fits, exceeded = less_than_or_equal(mask(new_used, requested), hard)
        if not fits:
            raise forbidden(
                attributes,
                f"exceeded quota: {_name(quota)}, "
                f"requested: {pretty_print(mask(requested, exceeded))}, "
                f"used: {pretty_print(mask(used, exceeded))}, "
                f"limited: {pretty_print(mask(hard, exceeded))}",
            )
        out[_name(quota)] = new_used
    return out


@dataclass
class _Turns:
    """One namespace's queue of writes waiting to be checked and charged."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


class ResourceQuotaAdmission(AdmissionPlugin):
    """``ResourceQuota``: a validating plugin, after DefaultStorageClass in the chain."""

    name = "ResourceQuota"
    operations = frozenset({CREATE, UPDATE})

    def __init__(
        self,
        quotas: QuotaStore,
        *,
        now: Clock | None = None,
        ignored: frozenset[GroupResource] = IGNORED_RESOURCES,
        timeout: float = EVALUATION_TIMEOUT,
    ) -> None:
        self._quotas = quotas
        self._now = now
        self._ignored = ignored
        self._timeout = timeout
        self._evaluators: dict[GroupResource, Evaluator] = {}
        self._turns: dict[str, _Turns] = {}
        #: Quotas this server wrote, kept while the cache may not show them yet.
        self._written: dict[tuple[str, str], Obj] = {}

    def handles(self, attributes: Attributes) -> bool:
        return (
            attributes.operation in self.operations
            # subresources (status, scale...) never change what an object uses
            and not attributes.subresource
            # cluster-scoped objects, namespaces included, are never charged
            and bool(attributes.namespace)
            and GroupResource(attributes.group, attributes.resource) not in self._ignored
        )

    def _evaluator(self, group_resource: GroupResource) -> Evaluator:
        evaluator = self._evaluators.get(group_resource)
        if evaluator is None:
            evaluator = evaluator_for(group_resource, now=self._now)
            self._evaluators[group_resource] = evaluator
        return evaluator

    async def validate(self, attributes: Attributes) -> None:
        evaluator = self._evaluator(GroupResource(attributes.group, attributes.resource))
        if not evaluator.handles(attributes.operation):
            return
        try:
            async with asyncio.timeout(self._timeout), self._turn(attributes.namespace):
                await self._check(attributes, evaluator)
        except TimeoutError:
            raise errors.internal_error("resource quota evaluation timed out") from None

    @contextlib.asynccontextmanager
    async def _turn(self, namespace: str) -> AsyncIterator[None]:
        turns = self._turns.setdefault(namespace, _Turns())
        turns.waiting += 1
        try:
            async with turns.lock:
                yield
        finally:
            turns.waiting -= 1
            if not turns.waiting:
                del self._turns[namespace]

    async def _current(self, namespace: str) -> list[Obj]:
        """The namespace's quotas: the cached ones, or what this server wrote if newer."""
        quotas = []
        for quota in await self._quotas.list_quotas(namespace):
            key = (namespace, _name(quota))
            written = self._written.get(key)
            if written is not None:
                if _revision(written) > _revision(quota):
                    quota = written
                else:
                    del self._written[key]  # the cache has caught up
            quotas.append(quota)
        return sorted(quotas, key=_name)

    async def _check(self, attributes: Attributes, evaluator: Evaluator) -> None:
        namespace = attributes.namespace
        quotas = await self._current(namespace)
        for attempt in range(RETRIES + 1):
            if not quotas:
                return
            new_used = charge(quotas, attributes, evaluator)
            if not new_used or attributes.dry_run:
                return
            failed: list[str] = []
            conflict: errors.StatusError | None = None
            for quota in quotas:
                name = _name(quota)
                if name not in new_used:
                    continue
                updated = copy.deepcopy(quota)
                status = updated.setdefault("status", {})
                status["used"] = {k: str(v) for k, v in new_used[name].items()}
                try:
                    written = await self._quotas.update_status(updated)
                except errors.StatusError as err:
                    if not errors.is_conflict(err):
                        raise
                    failed.append(name)
                    conflict = err
                    continue
                self._written[(namespace, name)] = written
            if conflict is None:
                return
            if attempt == RETRIES:
                raise conflict
            # what others changed: check again against the failed quotas as stored now
            fresh = [await self._quotas.get_quota(namespace, name) for name in failed]
            quotas = [quota for quota in fresh if quota is not None]
