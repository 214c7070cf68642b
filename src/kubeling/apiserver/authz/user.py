"""Who a request is from, as the authorizer sees it: Kubernetes' ``user.Info``.

Authentication (``apiserver/authn``, client certificates today) decides the
name, groups, uid and extra values; authorization only reads them. The
well-known names below are Kubernetes' own (``k8s.io/apiserver/pkg/
authentication/user`` and ``serviceaccount``): RBAC's default bindings name
them, so they must be spelled exactly so.

>>> service_account_username("kube-system", "namespace-controller")
'system:serviceaccount:kube-system:namespace-controller'
>>> UserInfo("alice", groups=("dev",)).with_authenticated_group().groups
('dev', 'system:authenticated')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final

__all__ = [
    "ALL_AUTHENTICATED",
    "ALL_SERVICE_ACCOUNTS",
    "ALL_UNAUTHENTICATED",
    "ANONYMOUS",
    "ANONYMOUS_NAME",
    "APISERVER_USER",
    "KUBE_CONTROLLER_MANAGER",
    "KUBE_PROXY",
    "KUBE_SCHEDULER",
    "LOOPBACK",
    "MONITORING_GROUP",
    "NODES_GROUP",
    "SERVICE_ACCOUNT_PREFIX",
    "SYSTEM_PRIVILEGED_GROUP",
    "UNSECURED",
    "UserInfo",
    "service_account_username",
]

SYSTEM_PRIVILEGED_GROUP: Final = "system:masters"
NODES_GROUP: Final = "system:nodes"
MONITORING_GROUP: Final = "system:monitoring"
ALL_AUTHENTICATED: Final = "system:authenticated"
ALL_UNAUTHENTICATED: Final = "system:unauthenticated"
ALL_SERVICE_ACCOUNTS: Final = "system:serviceaccounts"
ANONYMOUS_NAME: Final = "system:anonymous"
APISERVER_USER: Final = "system:apiserver"
KUBE_PROXY: Final = "system:kube-proxy"
KUBE_CONTROLLER_MANAGER: Final = "system:kube-controller-manager"
KUBE_SCHEDULER: Final = "system:kube-scheduler"
SERVICE_ACCOUNT_PREFIX: Final = "system:serviceaccount:"


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A request's user: name, uid, groups (in order) and extra values."""

    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def with_authenticated_group(self) -> UserInfo:
        """The user with ``system:authenticated`` appended, as Kubernetes'
        AuthenticatedGroupAdder does for every authenticated user that is
        not anonymous and not already in it."""
        if self.name == ANONYMOUS_NAME or ALL_AUTHENTICATED in self.groups:
            return self
        return replace(self, groups=(*self.groups, ALL_AUTHENTICATED))


def service_account_username(namespace: str, name: str) -> str:
    """The user name a service account's tokens authenticate as."""
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


#: An unauthenticated request (anonymous authentication).
ANONYMOUS: Final = UserInfo(ANONYMOUS_NAME, groups=(ALL_UNAUTHENTICATED,))

#: Every request of a server without authentication (plain HTTP, in tests),
#: as on Kubernetes' old insecure port: a superuser.
UNSECURED: Final = UserInfo("system:unsecured", groups=(SYSTEM_PRIVILEGED_GROUP, ALL_AUTHENTICATED))

#: The API server acting on its own behalf (bootstrap policy, in-process
#: controllers), as kube-apiserver's loopback client does: privileged.
LOOPBACK: Final = UserInfo(APISERVER_USER, groups=(SYSTEM_PRIVILEGED_GROUP,))
