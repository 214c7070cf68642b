"""Bootstrap tokens: ``<id>.<secret>``, checked against a Secret in kube-system.

How a new node joins (kubeadm's and, later, ``kubeling agent``'s join token):
an admin creates a Secret ``bootstrap-token-<id>`` of type
``bootstrap.kubernetes.io/token`` in ``kube-system``; whoever holds
``<id>.<secret>`` authenticates as ``system:bootstrap:<id>`` until the token
expires. The rules are Kubernetes' (``plugin/pkg/auth/authenticator/token/
bootstrap`` and ``cluster-bootstrap``), in its order:

1. the token must match ``[a-z0-9]{6}.[a-z0-9]{16}``;
2. the Secret must exist, not be being deleted, be of the bootstrap type,
   and hold the same ``token-secret`` (compared in constant time) and
   ``token-id``;
3. its ``expiration`` (RFC 3339), if any, must be in the future (a value that
   does not parse counts as expired);
4. ``usage-bootstrap-authentication`` must be ``"true"``;
5. ``auth-extra-groups``, if any, are comma-separated names that must each
   match ``system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]``.

The user is in ``system:bootstrappers`` and the extra groups, sorted and
without repeats. A token that fails any rule is simply not recognised (None,
with the reason in the debug log): the request gets Kubernetes' ``invalid
bearer token`` and nobody learns which Secret exists.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Sequence

from kubeling.api.authentication.user import UserInfo
from kubeling.api.bootstraptoken import (
    NAMESPACE,
    SECRET_PREFIX,
    InvalidTokenError,
    check_token_secret,
    parse_token,
)
from kubeling.apiserver.auth.serviceaccount_tokens import ObjectLookup
from kubeling.apiserver.authn.interface import Authenticated

__all__ = ["BootstrapTokens"]

log = logging.getLogger(__name__)


class BootstrapTokens:
    """The bootstrap token authenticator over the Secrets ``lookup`` reads; the rules are
    :func:`kubeling.api.bootstraptoken.check_token_secret` (the node-join path uses them too)."""

    def __init__(self, lookup: ObjectLookup, *, clock: Callable[[], float] = time.time) -> None:
        self._lookup = lookup
        self._clock = clock

    async def verify(self, token: str, *, audiences: Sequence[str]) -> Authenticated | None:
        """The token's user, or None if it is not a valid bootstrap token (see module notes)."""
        try:
            token_id, _ = parse_token(token)
        except InvalidTokenError:
            return None
        name = SECRET_PREFIX + token_id
        secret = await self._lookup("Secret", NAMESPACE, name)
        if secret is None:
            log.debug("No secret of name %s to match bootstrap bearer token", name)
            return None
        now = datetime.datetime.fromtimestamp(self._clock(), datetime.UTC)
        try:
            user, groups = check_token_secret(secret, token, now=now)
        except InvalidTokenError as refused:
            log.debug("Bootstrap secret %s/%s refused: %s", NAMESPACE, name, refused)
            return None
        return Authenticated(UserInfo(name=user, groups=groups))
