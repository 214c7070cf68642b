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

import base64
import binascii
import datetime
import hmac
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.auth.serviceaccount_tokens import ObjectLookup
from kubeling.apiserver.authn.interface import Authenticated

__all__ = [
    "BOOTSTRAP_GROUP",
    "SECRET_TYPE",
    "BootstrapTokens",
    "bootstrap_groups",
]

log = logging.getLogger(__name__)

SECRET_TYPE = "bootstrap.kubernetes.io/token"
SECRET_PREFIX = "bootstrap-token-"
NAMESPACE = "kube-system"
USER_PREFIX = "system:bootstrap:"
BOOTSTRAP_GROUP = "system:bootstrappers"

_TOKEN = re.compile(r"([a-z0-9]{6})\.([a-z0-9]{16})")
_GROUP_PATTERN = r"\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\z"
_GROUP = re.compile(r"system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


class _Refused(Exception):
    """Why a Secret does not vouch for a token (logged, never returned)."""


def bootstrap_groups(extra_groups: str) -> tuple[str, ...]:
    """``system:bootstrappers`` and the valid extra groups, sorted, once each.

    >>> bootstrap_groups("system:bootstrappers:kubeadm:default-node-token")
    ('system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token')
    """
    groups = {BOOTSTRAP_GROUP}
    if extra_groups:
        for group in extra_groups.split(","):
            if not _GROUP.fullmatch(group):
                raise _Refused(
                    f'has invalid value for key auth-extra-groups: bootstrap group "{group}" '
                    f"is invalid (must match {_GROUP_PATTERN})."
                )
            groups.add(group)
    return tuple(sorted(groups))


def _expired(expiration: str, now: float) -> bool:
    """Kubernetes' ``HasExpired``: no expiration never expires, a bad one always has."""
    if not expiration:
        return False
    if not _RFC3339.fullmatch(expiration):
        return True
    try:
        moment = datetime.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    except ValueError:  # a well-formed but impossible date (month 13...)
        return True
    return moment.timestamp() - now <= 0


def _data(secret: Mapping[str, Any], key: str) -> str:
    """A Secret's ``data[key]`` decoded ("" when absent or not base64)."""
    data = secret.get("data") or {}
    value = data.get(key) if isinstance(data, Mapping) else None
    if not isinstance(value, str):
        return ""
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


class BootstrapTokens:
    """The bootstrap token authenticator over the Secrets ``lookup`` reads."""

    def __init__(self, lookup: ObjectLookup, *, clock: Callable[[], float] = time.time) -> None:
        self._lookup = lookup
        self._clock = clock

    async def verify(self, token: str, *, audiences: Sequence[str]) -> Authenticated | None:
        """The token's user, or None if it is not a valid bootstrap token (see module notes)."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        token_id, token_secret = match.groups()
        name = SECRET_PREFIX + token_id
        secret = await self._lookup("Secret", NAMESPACE, name)
        if secret is None:
            log.debug("No secret of name %s to match bootstrap bearer token", name)
            return None
        try:
            groups = self._check(secret, token_id, token_secret)
        except _Refused as refused:
            log.debug("Bootstrap secret %s/%s %s", NAMESPACE, name, refused)
            return None
        return Authenticated(UserInfo(name=USER_PREFIX + token_id, groups=groups))

    def _check(
        self, secret: Mapping[str, Any], token_id: str, token_secret: str
    ) -> tuple[str, ...]:
        """The groups of a Secret that vouches for the token; :class:`_Refused` if not."""
        meta = secret.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            raise _Refused("is deleted and awaiting removal")
        if secret.get("type") != SECRET_TYPE or not secret.get("data"):
            raise _Refused(f"has invalid type, expected {SECRET_TYPE}.")
        stored = _data(secret, "token-secret").encode()
        if not hmac.compare_digest(stored, token_secret.encode()):
            raise _Refused("has invalid value for key token-secret.")
        if _data(secret, "token-id") != token_id:
            raise _Refused("has invalid value for key token-id.")
        if _expired(_data(secret, "expiration"), self._clock()):
            raise _Refused("has expired.")
        if _data(secret, "usage-bootstrap-authentication") != "true":
            raise _Refused("not marked usage-bootstrap-authentication=true.")
        return bootstrap_groups(_data(secret, "auth-extra-groups"))
