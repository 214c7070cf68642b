"""Service account user names and groups, as Kubernetes derives them.

A service account ``<name>`` in namespace ``<ns>`` acts as the user
``system:serviceaccount:<ns>:<name>``, in the groups ``system:serviceaccounts``
and ``system:serviceaccounts:<ns>``
(``k8s.io/apiserver/pkg/authentication/serviceaccount``). Token
authentication names the user so; impersonation reads a name back.
"""

from __future__ import annotations

from kubeling.api.naming import is_dns1123_label, is_dns1123_subdomain

__all__ = [
    "ALL_SERVICE_ACCOUNTS_GROUP",
    "USERNAME_PREFIX",
    "group_names",
    "split_username",
    "username",
]

USERNAME_PREFIX = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts"


def username(namespace: str, name: str) -> str:
    """A service account's user name.

    >>> username("default", "builder")
    'system:serviceaccount:default:builder'
    """
    return f"{USERNAME_PREFIX}{namespace}:{name}"


def group_names(namespace: str) -> tuple[str, ...]:
    """The groups every service account of ``namespace`` is in.

    >>> group_names("dev")
    ('system:serviceaccounts', 'system:serviceaccounts:dev')
    """
    return (ALL_SERVICE_ACCOUNTS_GROUP, f"{ALL_SERVICE_ACCOUNTS_GROUP}:{namespace}")


def split_username(user: str) -> tuple[str, str] | None:
    """``(namespace, name)`` of a service account user name; None if ``user`` is not one.

    Both parts must be valid names (a DNS-1123 label and subdomain), as
    Kubernetes' ``SplitUsername`` requires.

    >>> split_username("system:serviceaccount:dev:builder")
    ('dev', 'builder')
    >>> split_username("system:serviceaccount:dev:a:b") is None
    True
    """
    if not user.startswith(USERNAME_PREFIX):
        return None
    parts = user[len(USERNAME_PREFIX) :].split(":")
    if len(parts) != 2:
        return None
    namespace, name = parts
    if is_dns1123_label(namespace) or is_dns1123_subdomain(name):
        return None
    return namespace, name
