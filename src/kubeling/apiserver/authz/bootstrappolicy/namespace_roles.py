"""The default Roles and RoleBindings in kube-system and kube-public (1.32's
``namespace_policy.go``): leader locking for the controller manager and the
scheduler, the extension API server authentication reader, and the
bootstrap token controllers' roles."""

from __future__ import annotations

from typing import Any

from kubeling.apiserver.authz.bootstrappolicy.builder import (
    events_rule,
    namespace_binding,
    namespace_role,
    rule,
)
from kubeling.apiserver.authz.bootstrappolicy.controller_roles import CONTROLLER_ROLE_PREFIX
from kubeling.apiserver.authz.user import KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER

__all__ = ["namespace_role_bindings", "namespace_roles"]

Obj = dict[str, Any]

SYSTEM = "kube-system"
PUBLIC = "kube-public"


def namespace_roles() -> list[Obj]:
    return [
        namespace_role(
            SYSTEM,
            "extension-apiserver-authentication-reader",
            [
                rule("get", "list", "watch")
                .groups("")
                .resources("configmaps")
                .names("extension-apiserver-authentication")
            ],
        ),
        namespace_role(
            SYSTEM,
            CONTROLLER_ROLE_PREFIX + "bootstrap-signer",
            [rule("get", "list", "watch").groups("").resources("secrets")],
        ),
        namespace_role(
            SYSTEM,
            CONTROLLER_ROLE_PREFIX + "cloud-provider",
            [rule("create", "get", "list", "watch").groups("").resources("configmaps")],
        ),
        namespace_role(
            SYSTEM,
            CONTROLLER_ROLE_PREFIX + "token-cleaner",
            [rule("get", "list", "watch", "delete").groups("").resources("secrets"), events_rule()],
        ),
        namespace_role(
            SYSTEM,
            "system::leader-locking-kube-controller-manager",
            [
                rule("watch").groups("").resources("configmaps"),
                rule("get", "update")
                .groups("")
                .resources("configmaps")
                .names("kube-controller-manager"),
                rule("get", "watch", "list", "create", "update")
                .groups("coordination.k8s.io")
                .resources("leases"),
            ],
        ),
        namespace_role(
            SYSTEM,
            "system::leader-locking-kube-scheduler",
            [
                rule("watch").groups("").resources("configmaps"),
                rule("get", "update").groups("").resources("configmaps").names("kube-scheduler"),
            ],
        ),
        namespace_role(
            PUBLIC,
            CONTROLLER_ROLE_PREFIX + "bootstrap-signer",
            [
                rule("get", "list", "watch").groups("").resources("configmaps"),
                rule("update").groups("").resources("configmaps").names("cluster-info"),
                events_rule(),
            ],
        ),
    ]


def namespace_role_bindings() -> list[Obj]:
    return [
        namespace_binding(
            SYSTEM,
            "extension-apiserver-authentication-reader",
            name="system::extension-apiserver-authentication-reader",
            users=[KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER],
        ),
        namespace_binding(
            SYSTEM,
            "system::leader-locking-kube-controller-manager",
            users=[KUBE_CONTROLLER_MANAGER],
            service_accounts=[
                (SYSTEM, "kube-controller-manager"),
                (SYSTEM, "leader-election-controller"),
            ],
        ),
        namespace_binding(
            SYSTEM,
            "system::leader-locking-kube-scheduler",
            users=[KUBE_SCHEDULER],
            service_accounts=[(SYSTEM, "kube-scheduler")],
        ),
        namespace_binding(
            SYSTEM,
            CONTROLLER_ROLE_PREFIX + "bootstrap-signer",
            service_accounts=[(SYSTEM, "bootstrap-signer")],
        ),
        namespace_binding(
            SYSTEM,
            CONTROLLER_ROLE_PREFIX + "cloud-provider",
            service_accounts=[(SYSTEM, "cloud-provider")],
        ),
        namespace_binding(
            SYSTEM,
            CONTROLLER_ROLE_PREFIX + "token-cleaner",
            service_accounts=[(SYSTEM, "token-cleaner")],
        ),
        namespace_binding(
            PUBLIC,
            CONTROLLER_ROLE_PREFIX + "bootstrap-signer",
            service_accounts=[(SYSTEM, "bootstrap-signer")],
        ),
    ]
