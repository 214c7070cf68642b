"""The ServiceAccount controller: a ``default`` ServiceAccount in every active namespace.

Kubernetes' ``pkg/controller/serviceaccount`` (``ServiceAccountsController``).
A namespace added or updated, or a ServiceAccount deleted, queues the
namespace; ``sync`` creates each ServiceAccount to ensure (``default``) that
the cache does not have, unless the namespace is not ``Active``. A create
racing an existing object (``AlreadyExists``) or a namespace that just began
terminating is fine; other failures are retried with back-off, for ever.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.client import DeletedFinalStateUnknown
from kubeling.client.resources import NAMESPACES, SERVICEACCOUNTS
from kubeling.controllers.base import Controller, ControllerContext

__all__ = ["ServiceAccountsController"]

#: The ServiceAccounts every namespace gets.
SERVICE_ACCOUNTS_TO_ENSURE: Final = ("default",)


class ServiceAccountsController(Controller):
    """Ensures the default ServiceAccount exists in every active namespace."""

    name: ClassVar[str] = "serviceaccount"
    component: ClassVar[str] = "service-account-controller"
    workers: ClassVar[int] = 1
    max_retries: ClassVar[int | None] = None

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.namespaces = self.informers.informer_for(NAMESPACES)
        self.service_accounts = self.informers.informer_for(SERVICEACCOUNTS)
        self.service_accounts_api = self.client.resource(SERVICEACCOUNTS)
        self.namespaces.add_event_handler(
            on_add=self.enqueue, on_update=lambda _old, new: self.enqueue(new)
        )
        self.service_accounts.add_event_handler(on_delete=self._service_account_deleted)

    def _service_account_deleted(self, obj: dict[str, Any] | DeletedFinalStateUnknown) -> None:
        account = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        self.queue.add(str((account.get("metadata") or {}).get("namespace", "")))

    async def sync(self, key: str) -> None:
        try:
            namespace = self.namespaces.lister.get(key)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        if (namespace.get("status") or {}).get("phase") != "Active":
            return  # nothing new in a terminating namespace
        failures: list[errors.StatusError] = []
        for name in SERVICE_ACCOUNTS_TO_ENSURE:
            try:
                self.service_accounts.lister.get(name, namespace=key)
                continue
            except errors.StatusError as err:
                if not errors.is_not_found(err):
                    raise
            body = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}
            try:
                await self.service_accounts_api.create(body, namespace=key)
            except errors.StatusError as err:
                if errors.is_already_exists(err) or errors.has_status_cause(
                    err, errors.CAUSE_NAMESPACE_TERMINATING
                ):
                    continue
                failures.append(err)
        if failures:
            raise failures[0]
