"""Ensuring the default RBAC policy at start: Kubernetes' ``rbac/bootstrap-roles`` hook.

Before the API server takes requests, every object of the bootstrap policy
(:mod:`.bootstrappolicy`) is reconciled with the store (:mod:`.reconcile`):
ClusterRoles, then ClusterRoleBindings, then the Roles and RoleBindings of
kube-system and kube-public, which exist by then. A write that races with
another writer (409, or a 404 after a read) is decided again from a fresh
read, as Kubernetes' reconciler does. Objects of one kind are reconciled
concurrently, so that a first start's creates share the store's commits.

The writes are the API server's own (:data:`~.user.LOOPBACK`), through the
resources' normal strategies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from kubeling.api import errors
from kubeling.apiserver.authz.bootstrappolicy import BootstrapPolicy, bootstrap_policy
from kubeling.apiserver.authz.context import acting_as
from kubeling.apiserver.authz.policy_source import rbac_store
from kubeling.apiserver.authz.reconcile import (
    Operation,
    Reconciled,
    reconcile_binding,
    reconcile_role,
)
from kubeling.apiserver.authz.user import LOOPBACK
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import DeleteOptions, WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore

__all__ = ["ensure_bootstrap_policy"]

log = logging.getLogger(__name__)

_ATTEMPTS: Final = 5
#: Kubernetes writes these through its loopback client, whose User-Agent
#: makes ``kube-apiserver`` their field manager.
_OPTIONS: Final = WriteOptions(field_manager="kube-apiserver")

Obj = dict[str, Any]
Reconcile = Callable[[Mapping[str, Any] | None, Mapping[str, Any]], Reconciled]


async def _existing(store: ResourceStore, namespace: str, name: str) -> Obj | None:
    try:
        return await store.get(namespace, name)
    except errors.StatusError as err:
        if err.code == 404:
            return None
        raise


async def _ensure(store: ResourceStore, expected: Obj, reconcile: Reconcile) -> Operation:
    """Reconcile one object with the store; the operation that was needed."""
    meta = expected["metadata"]
    namespace, name = meta.get("namespace", ""), meta["name"]
    for _ in range(_ATTEMPTS):
        existing = await _existing(store, namespace, name)
        result = reconcile(existing, expected)
        if result.protected or result.operation is Operation.NONE:
            return Operation.NONE
        try:
            if result.operation is Operation.CREATE:
                await store.create(namespace, result.obj, _OPTIONS)
            elif result.operation is Operation.UPDATE:
                await store.update(namespace, name, result.obj, _OPTIONS)
            else:  # RECREATE: roleRef cannot change in place
                await store.delete(namespace, name, DeleteOptions())
                await store.create(namespace, result.obj, _OPTIONS)
        except errors.StatusError as err:
            if err.code in (404, 409):
                continue  # someone else wrote it meanwhile: decide again
            raise
        # Kubernetes logs every write; a first start's creates are routine here.
        level = logging.DEBUG if result.operation is Operation.CREATE else logging.INFO
        where = f" in {namespace}" if namespace else ""
        log.log(level, "%s %s%s: %s", expected.get("kind", ""), name, where, result.operation.value)
        return result.operation
    raise errors.conflict(store.resource.group_resource, name, "kept changing while reconciled")


async def _ensure_all(store: ResourceStore, objects: Sequence[Obj], reconcile: Reconcile) -> None:
    await asyncio.gather(*(_ensure(store, obj, reconcile) for obj in objects))


async def ensure_bootstrap_policy(
    registry: Registry, policy: BootstrapPolicy | None = None
) -> None:
    """Create or complete every default role and binding (see the module notes)."""
    policy = policy or bootstrap_policy()
    with acting_as(LOOPBACK):
        await _ensure_all(
            rbac_store(registry, "clusterroles"), policy.cluster_roles, reconcile_role
        )
        await _ensure_all(
            rbac_store(registry, "clusterrolebindings"),
            policy.cluster_role_bindings,
            reconcile_binding,
        )
        await _ensure_all(rbac_store(registry, "roles"), policy.roles, reconcile_role)
        await _ensure_all(
            rbac_store(registry, "rolebindings"), policy.role_bindings, reconcile_binding
        )
