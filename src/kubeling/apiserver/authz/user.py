"""The users and groups the authorizer names: authentication's ``UserInfo``
and the well-known names RBAC's default policy binds.

There is one user type, :class:`kubeling.api.authentication.user.UserInfo`
(Kubernetes' ``user.Info``), made by authentication (``apiserver/authn``) and
only read here; it and the well-known groups are re-exported for the
authorizer's modules. What is defined here is what only authorization needs:
the system users the bootstrap policy binds roles to (spelled exactly as
Kubernetes' ``k8s.io/apiserver/pkg/authentication/user``), and the two
privileged users the server itself acts as.

>>> LOOPBACK.groups
('system:masters',)
"""

from __future__ import annotations

from typing import Final

from kubeling.api.authentication.serviceaccount import ALL_SERVICE_ACCOUNTS_GROUP
from kubeling.api.authentication.user import (
    ALL_AUTHENTICATED,
    ALL_UNAUTHENTICATED,
    NODES_GROUP,
    SYSTEM_PRIVILEGED_GROUP,
    UserInfo,
)

__all__ = [
    "ALL_AUTHENTICATED",
    "ALL_SERVICE_ACCOUNTS",
    "ALL_UNAUTHENTICATED",
    "APISERVER_USER",
    "KUBE_CONTROLLER_MANAGER",
    "KUBE_PROXY",
    "KUBE_SCHEDULER",
    "LOOPBACK",
    "MONITORING_GROUP",
    "NODES_GROUP",
    "SYSTEM_PRIVILEGED_GROUP",
    "UNSECURED",
    "UserInfo",
]

ALL_SERVICE_ACCOUNTS: Final = ALL_SERVICE_ACCOUNTS_GROUP
MONITORING_GROUP: Final = "system:monitoring"
APISERVER_USER: Final = "system:apiserver"
KUBE_PROXY: Final = "system:kube-proxy"
KUBE_CONTROLLER_MANAGER: Final = "system:kube-controller-manager"
KUBE_SCHEDULER: Final = "system:kube-scheduler"

#: Every request of a server without authentication (plain HTTP, in tests),
#: as on Kubernetes' old insecure port: a superuser.
UNSECURED: Final = UserInfo("system:unsecured", groups=(SYSTEM_PRIVILEGED_GROUP, ALL_AUTHENTICATED))

#: The API server acting on its own behalf (bootstrap policy, in-process
#: controllers), as kube-apiserver's loopback client does: privileged.
LOOPBACK: Final = UserInfo(APISERVER_USER, groups=(SYSTEM_PRIVILEGED_GROUP,))
