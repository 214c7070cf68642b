"""Emptying a terminating namespace, then releasing it: Kubernetes' namespaced resources deleter.

A namespace being deleted is ``Terminating`` with the ``kubernetes`` spec
finalizer. :meth:`NamespacedResourcesDeleter.delete` does one pass:

1. Read the namespace from the API (several controllers may write it). Gone,
   or not being deleted: nothing to do. Make sure its phase is
   ``Terminating``; a namespace without spec finalizers is left alone.
2. Discover every namespaced resource at its preferred version (built-ins and
   CRDs, :func:`~kubeling.client.discovery.server_preferred_resources`) that
   can be deleted, and for each: ``deletecollection`` with background
   propagation (or, when the resource does not support it, list and delete
   one by one), then list again to see what is left.
3. Record the outcome in the namespace's conditions
   (:mod:`~kubeling.controllers.namespaceconditions`): discovery failures,
   deletion failures, resources remaining, finalizers holding them.
4. Objects left behind are expected when finalizers hold them (their owners
   get 15 s) or pods are still in their grace period; then the pass ends
   with :class:`ResourcesRemaining` carrying that estimate, and the
   controller comes back after half of it. Anything else left is an error.
5. Nothing left: ``PUT namespaces/<name>/finalize`` without ``kubernetes``;
   the API server then removes the namespace (unless other finalizers remain).

Errors are gathered per resource so that one failing resource does not stop
the others; the pass then fails with all of them, to be retried.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.timestamps import format_time
from kubeling.client import ApiClient
from kubeling.client.discovery import APIResource, server_preferred_resources
from kubeling.client.resources import NAMESPACES, PODS, Resource
from kubeling.controllers.base import Retry
from kubeling.controllers.namespaceconditions import NamespaceConditionUpdater
from kubeling.controllers.pods import parse_time

__all__ = ["FINALIZER_KUBERNETES", "NamespacedResourcesDeleter", "ResourcesRemaining"]

log = logging.getLogger(__name__)

FINALIZER_KUBERNETES: Final = "kubernetes"
#: The wait granted to objects held by finalizers (``finalizerEstimateSeconds``).
FINALIZER_ESTIMATE_SECONDS: Final = 15

Obj = dict[str, Any]


class ResourcesRemaining(Retry):
    """Content is still going away; look again in about half of ``estimate`` seconds."""

    def __init__(self, estimate: int) -> None:
        super().__init__(
            f"some content remains in the namespace, estimate {estimate} seconds before "
            "it is removed",
            after=estimate // 2 + 1,
        )
        self.estimate = estimate


@dataclass
class _Leftovers:
    """What remains of one resource after deleting it (``gvrDeletionMetadata``)."""

    estimate: int = 0
    remaining: int = 0
    finalizers: dict[str, int] = field(default_factory=dict)


class ContentDeletionError(Retry):
    """Some resources could not be emptied (every error's message, aggregated);
    ``leftovers`` is what one resource still holds."""

    def __init__(self, message: str, *, leftovers: _Leftovers | None = None) -> None:
        super().__init__(message)
        self.leftovers = leftovers or _Leftovers()


def _gvr_string(resource: Resource) -> str:
    # schema.GroupVersionResource's String(): "apps/v1, Resource=deployments"
    return f"{resource.group}/{resource.version}, Resource={resource.plural}"


def _aggregate(messages: list[str]) -> str:
    return messages[0] if len(messages) == 1 else f"[{', '.join(messages)}]"


class NamespacedResourcesDeleter:
    """Deletes everything in terminating namespaces, then removes ``finalizer``."""

    def __init__(
        self,
        client: ApiClient,
        *,
        finalizer: str = FINALIZER_KUBERNETES,
        now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        self.client = client
        self.namespaces = client.resource(NAMESPACES)
        self.finalizer = finalizer
        self.now = now
        # resources seen refusing list / deletecollection (405 or 404)
        self._unsupported: set[tuple[str, Resource]] = set()

    async def delete(self, name: str) -> None:
        """One deletion pass over namespace ``name`` (see the module docstring)."""
        try:
            namespace = await self.namespaces.get(name)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        if not (namespace.get("metadata") or {}).get("deletionTimestamp"):
            return
        try:
            namespace = await self._retry_on_conflict(namespace, self._mark_terminating)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        if not (namespace.get("metadata") or {}).get("deletionTimestamp"):
            return
        if not (namespace.get("spec") or {}).get("finalizers"):
            return  # already finalized
        estimate = await self._delete_all_content(namespace)
        if estimate > 0:
            raise ResourcesRemaining(estimate)
        try:
            await self._retry_on_conflict(namespace, self._finalize)
        except errors.StatusError as err:
            if not errors.is_not_found(err):  # another controller finished first
                raise

    # -- namespace writes --------------------------------------------------------------------

    async def _retry_on_conflict(
        self, namespace: Obj, write: Callable[[Obj], Awaitable[Obj]]
    ) -> Obj:
        """``write(namespace)``, re-reading it after each conflict (the same namespace:
        a changed uid is an error)."""
        while True:
            try:
                return await write(namespace)
            except errors.StatusError as err:
                if not errors.is_conflict(err):
                    raise
            name = namespace["metadata"]["name"]
            latest = await self.namespaces.get(name)
            if (latest.get("metadata") or {}).get("uid") != namespace["metadata"].get("uid"):
                raise RuntimeError("namespace uid has changed across retries")
            namespace = latest

    async def _mark_terminating(self, namespace: Obj) -> Obj:
        status = namespace.get("status") or {}
        if status.get("phase") == "Terminating":
            return namespace
        updated = dict(namespace, status=dict(status, phase="Terminating"))
        return await self.namespaces.update_status(updated)

    async def _finalize(self, namespace: Obj) -> Obj:
        finalizers = sorted(
            {str(f) for f in (namespace.get("spec") or {}).get("finalizers") or ()}
            - {self.finalizer}
        )
        body = dict(namespace, spec=dict(namespace.get("spec") or {}, finalizers=finalizers))
        try:
            return await self.namespaces.update(body, subresource="finalize")
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return namespace  # removed already
            raise

    # -- content -----------------------------------------------------------------------------

    async def _delete_all_content(self, namespace: Obj) -> int:
        """Delete every namespaced object; the seconds still to wait (0: all gone)."""
        name = str(namespace["metadata"]["name"])
        deleted_at = parse_time(namespace["metadata"].get("deletionTimestamp")) or self.now()
        conditions = NamespaceConditionUpdater(now=format_time(self.now()))
        problems: list[str] = []
        discovery = await server_preferred_resources(self.client, namespaced=True)
        if discovery.failed:
            message = discovery.failure_message()
            problems.append(message)
            conditions.discovery_failed(message, failed_groups=len(discovery.failed))
        deletable = [r for r in discovery.resources if "delete" in r.verbs]
        estimate = 0
        remaining: dict[str, int] = {}
        finalizers: dict[str, int] = {}
        for resource in deletable:
            try:
                left = await self._delete_resource(resource, name, deleted_at)
            except (errors.StatusError, ContentDeletionError) as err:
                problems.append(str(err))
                conditions.content_deletion_failed(str(err))
                left = err.leftovers if isinstance(err, ContentDeletionError) else _Leftovers()
            estimate = max(estimate, left.estimate)
            if left.remaining:
                key = f"{resource.resource.plural}.{resource.resource.group}"
                remaining[key] = left.remaining
                for finalizer, count in left.finalizers.items():
                    finalizers[finalizer] = finalizers.get(finalizer, 0) + count
        conditions.content_totals(remaining, finalizers)
        # Always written: a condition that was failing must say when it stops.
        status = dict(namespace.get("status") or {})
        status["conditions"] = [dict(c) for c in status.get("conditions") or ()]
        if conditions.update(status):
            try:
                await self.namespaces.update_status(dict(namespace, status=status))
            except errors.StatusError as err:
                log.warning("couldn't update status condition for namespace %r: %s", name, err)
        if problems:
            raise ContentDeletionError(_aggregate(problems))
        return estimate

    async def _delete_resource(
        self, api_resource: APIResource, namespace: str, deleted_at: datetime.datetime
    ) -> _Leftovers:
        resource = api_resource.resource
        estimate = await self._grace_estimate(resource, namespace, deleted_at)
        if not await self._delete_collection(api_resource, namespace):
            await self._delete_each(api_resource, namespace)
        items = await self._list(api_resource, namespace)
        if items is None or not items:
            return _Leftovers(estimate=estimate if items is None else 0)
        held: dict[str, int] = {}
        for item in items:
            for finalizer in (item.get("metadata") or {}).get("finalizers") or ():
                held[str(finalizer)] = held.get(str(finalizer), 0) + 1
        if estimate:
            return _Leftovers(estimate=estimate, remaining=len(items), finalizers=held)
        if held:
            # Finalizers are normal: give their controllers time.
            return _Leftovers(
                estimate=FINALIZER_ESTIMATE_SECONDS, remaining=len(items), finalizers=held
            )
        raise ContentDeletionError(
            f"unexpected items still remain in namespace: {namespace} for gvr: "
            f"{_gvr_string(resource)}",
            leftovers=_Leftovers(remaining=len(items)),
        )

    def _supports(self, api_resource: APIResource, verb: str) -> bool:
        return verb in api_resource.verbs and (verb, api_resource.resource) not in self._unsupported

    async def _delete_collection(self, api_resource: APIResource, namespace: str) -> bool:
        """Whether ``deletecollection`` was supported (and done)."""
        if not self._supports(api_resource, "deletecollection"):
            return False
        try:
            await self.client.resource(api_resource.resource).delete_collection(
                namespace=namespace, propagation_policy="Background"
            )
        except errors.StatusError as err:
            # A resource may answer 404 rather than 405 for verbs it lacks.
            if errors.is_method_not_supported(err) or errors.is_not_found(err):
                self._unsupported.add(("deletecollection", api_resource.resource))
                return False
            raise
        return True

    async def _list(self, api_resource: APIResource, namespace: str) -> list[Obj] | None:
        """The objects left, None when the resource cannot be listed."""
        if not self._supports(api_resource, "list"):
            return None
        try:
            listed = await self.client.resource(api_resource.resource).list(namespace=namespace)
        except errors.StatusError as err:
            if errors.is_method_not_supported(err) or errors.is_not_found(err):
                self._unsupported.add(("list", api_resource.resource))
                return None
            raise
        return [i for i in listed.get("items") or () if isinstance(i, dict)]

    async def _delete_each(self, api_resource: APIResource, namespace: str) -> None:
        items = await self._list(api_resource, namespace)
        resource_api = self.client.resource(api_resource.resource)
        for item in items or ():
            try:
                await resource_api.delete(
                    str(item["metadata"]["name"]),
                    namespace=namespace,
                    propagation_policy="Background",
                )
            except errors.StatusError as err:
                if not (errors.is_not_found(err) or errors.is_method_not_supported(err)):
                    raise

    async def _grace_estimate(
        self, resource: Resource, namespace: str, deleted_at: datetime.datetime
    ) -> int:
        """Pods get their termination grace period, counted from the namespace's deletion."""
        if (resource.group, resource.plural) != ("", "pods"):
            return 0
        listed = await self.client.resource(PODS).list(namespace=namespace)
        estimate = 0
        for pod in listed.get("items") or ():
            if not isinstance(pod, Mapping):
                continue
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
            if isinstance(grace, int) and grace > estimate:
                estimate = grace
        if self.now() - deleted_at >= datetime.timedelta(seconds=estimate):
            return 0
        return estimate
