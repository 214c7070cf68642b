"""The API server's admission chain: Kubernetes' plugins, in its order.

:data:`ORDER` is upstream's ``AllOrderedPlugins`` restricted to the plugins
Kubernetes 1.32 enables by default that matter here, each one module (or
package) of ``admission/``. The chain is made empty with the registry
(:func:`admission_chain`: every resource store holds it) and filled once the
resources are registered (:func:`install_plugins`), minus the ``disabled``
ones (``--disable-admission-plugins``). Plugins read other objects through
:class:`~kubeling.apiserver.admission.readers.CachedReader`, over the API
server's watch caches (upstream's informers), falling back to the store for
an object the cache has not seen yet.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Final

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.admission.chain import AdmissionChain
from kubeling.apiserver.admission.default_storage_class import DefaultStorageClass
from kubeling.apiserver.admission.default_toleration_seconds import DefaultTolerationSeconds
from kubeling.apiserver.admission.interfaces import AdmissionPlugin
from kubeling.apiserver.admission.limit_ranger import LimitRanger
from kubeling.apiserver.admission.namespace_lifecycle import NamespaceLifecycle
from kubeling.apiserver.admission.node_restriction import node_restriction
from kubeling.apiserver.admission.pod_security import PodSecurityAdmission
from kubeling.apiserver.admission.policy import RegistrySources, ValidatingAdmissionPolicyPlugin
from kubeling.apiserver.admission.priority import Priority
from kubeling.apiserver.admission.readers import (
    CachedReader,
    StoreReader,
    cached_cluster_getter,
    cached_lister,
)
from kubeling.apiserver.admission.resource_quota import ResourceQuotaAdmission, StoreQuotas
from kubeling.apiserver.admission.service_account import ServiceAccount
from kubeling.apiserver.admission.webhook import mutating_webhook, validating_webhook
from kubeling.apiserver.authz.authorizer import Authorizer
from kubeling.apiserver.authz.context import requesting_user
from kubeling.apiserver.authz.user import LOOPBACK
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.resource_store import ResourceStore

__all__ = ["ORDER", "admission_chain", "check_disabled", "install_plugins"]

#: Kubernetes' order (``AllOrderedPlugins``): webhooks, policies and quota last.
ORDER: Final = (
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "NodeRestriction",
    "PodSecurity",
    "Priority",
    "DefaultTolerationSeconds",
    "DefaultStorageClass",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionWebhook",
    "ResourceQuota",
)


@dataclass(frozen=True, slots=True)
class _Context:
    """What the plugins are built from."""

    registry: Registry
    authorizer: Authorizer | None

    def rest(self, group: str, plural: str, version: str = "v1") -> ResourceStore:
        rest = self.registry.lookup(group, version, plural)
        if rest is None:  # a built-in resource: registered before the plugins are built
            raise errors.internal_error(f"admission: {plural} are not served")
        return rest

    def cached(self, group: str, plural: str) -> CachedReader:
        return CachedReader(self.rest(group, plural))


_FACTORIES: Final[dict[str, Callable[[_Context], AdmissionPlugin]]] = {
    "NamespaceLifecycle": lambda c: NamespaceLifecycle(c.cached("", "namespaces")),
    "LimitRanger": lambda c: LimitRanger(c.cached("", "limitranges")),
    "ServiceAccount": lambda c: ServiceAccount(
        c.cached("", "serviceaccounts"),
        live_service_accounts=StoreReader(c.rest("", "serviceaccounts")),
    ),
    "NodeRestriction": lambda c: node_restriction(c.registry),
    "PodSecurity": lambda c: PodSecurityAdmission(
        get_namespace=cached_cluster_getter(c.rest("", "namespaces")),
        list_pods=cached_lister(c.rest("", "pods")),
    ),
    "Priority": lambda c: Priority(c.cached("scheduling.k8s.io", "priorityclasses")),
    "DefaultTolerationSeconds": lambda c: DefaultTolerationSeconds(),
    "DefaultStorageClass": lambda c: DefaultStorageClass(
        c.cached("storage.k8s.io", "storageclasses")
    ),
    "MutatingAdmissionWebhook": lambda c: mutating_webhook(c.registry),
    "ValidatingAdmissionPolicy": lambda c: ValidatingAdmissionPolicyPlugin(
        RegistrySources(c.registry), authorizer=c.authorizer
    ),
    "ValidatingAdmissionWebhook": lambda c: validating_webhook(c.registry),
    "ResourceQuota": lambda c: ResourceQuotaAdmission(StoreQuotas(c.rest("", "resourcequotas"))),
}


def _user() -> UserInfo:
    # Writes outside any request are the API server's own (bootstrap, its controllers).
    return requesting_user() or LOOPBACK


def check_disabled(disabled: Collection[str]) -> None:
    """ValueError for names in ``disabled`` that are no plugin (kube-apiserver refuses to
    start with them)."""
    unknown = sorted(set(disabled) - set(ORDER))
    if unknown:
        raise ValueError(f"unknown admission plugins: {', '.join(unknown)}")


def admission_chain() -> AdmissionChain:
    """An empty chain for the registry's stores; :func:`install_plugins` fills it."""
    return AdmissionChain(user=_user)


def install_plugins(
    chain: AdmissionChain,
    registry: Registry,
    *,
    authorizer: Authorizer | None = None,
    disabled: Collection[str] = (),
) -> None:
    """Build every plugin of :data:`ORDER` that is not ``disabled``, in order, into
    ``chain``; the built-in resources must be registered. ``authorizer`` answers
    ValidatingAdmissionPolicy's ``authorizer`` checks (None: they fail)."""
    check_disabled(disabled)
    context = _Context(registry, authorizer)
    chain.plugins = [_FACTORIES[name](context) for name in ORDER if name not in disabled]
