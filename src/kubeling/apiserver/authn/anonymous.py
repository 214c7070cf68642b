"""Anonymous requests: no credentials at all make ``system:anonymous``.

Kubernetes' anonymous authenticator (``request/anonymous``), asked last and
only when every other authenticator found nothing to judge: a request with a
bad credential is refused, never anonymous. It may be limited to some paths,
as Kubernetes 1.32's ``AuthenticationConfiguration`` ``anonymous.conditions``
limit it; elsewhere a request without credentials gets 401.

What the anonymous user may then do is the authorizer's decision: by default
RBAC's ``system:public-info-viewer`` lets it read :data:`PUBLIC_INFO_PATHS` and
nothing else (403 elsewhere). The server takes anonymous requests on every
path unless ``ApiServerConfig.anonymous_paths`` limits them.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubeling.api.authentication.user import ALL_UNAUTHENTICATED, ANONYMOUS, UserInfo
from kubeling.apiserver.authn.interface import Authenticated, Credentials

__all__ = ["ANONYMOUS_USER", "PUBLIC_INFO_PATHS", "AnonymousAuthenticator"]

ANONYMOUS_USER = UserInfo(name=ANONYMOUS, groups=(ALL_UNAUTHENTICATED,))

PUBLIC_INFO_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version", "/version/"})
"""The non-resource URLs of Kubernetes' ``system:public-info-viewer`` role."""


class AnonymousAuthenticator:
    """``system:anonymous`` in ``system:unauthenticated``, on ``paths`` only if given."""

    def __init__(self, *, paths: Iterable[str] | None = None) -> None:
        self._paths = frozenset(paths) if paths is not None else None

    async def authenticate(self, credentials: Credentials) -> Authenticated | None:
        """The anonymous user; None on a path anonymous requests are not allowed on."""
        if self._paths is not None and credentials.path not in self._paths:
            return None
        return Authenticated(ANONYMOUS_USER)
