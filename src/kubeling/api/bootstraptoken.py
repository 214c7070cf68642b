"""Bootstrap tokens: the join tokens of kubeadm (and of ``kubeling token create``).

A token is ``<id>.<secret>``: 6 and 16 characters of ``[a-z0-9]``. It lives in a Secret
``kube-system/bootstrap-token-<id>`` of type ``bootstrap.kubernetes.io/token`` whose data are
Kubernetes' (``k8s.io/cluster-bootstrap/token/api``):

- ``token-id``, ``token-secret``: the two halves;
- ``expiration``: RFC 3339 (UTC here); absent for a token that never expires;
- ``description``;
- ``usage-bootstrap-authentication``, ``usage-bootstrap-signing``: ``"true"`` for each usage;
- ``auth-extra-groups``: comma-separated groups, each ``system:bootstrappers:...``.

Whoever holds a token whose Secret allows authentication is ``system:bootstrap:<id>`` in the
group ``system:bootstrappers`` and the extra groups, until it expires. :func:`check_token_secret`
applies Kubernetes' rules (``plugin/pkg/auth/authenticator/token/bootstrap``) in its order.
Pure functions: no IO.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hmac
import re
import secrets
import string
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = [
    "BOOTSTRAP_GROUP",
    "DEFAULT_GROUP",
    "DEFAULT_TTL",
    "DEFAULT_USAGES",
    "NAMESPACE",
    "SECRET_PREFIX",
    "SECRET_TYPE",
    "USAGES",
    "InvalidTokenError",
    "check_groups",
    "check_token_secret",
    "format_expiration",
    "generate_token",
    "parse_token",
    "token_secret",
]

SECRET_TYPE: Final = "bootstrap.kubernetes.io/token"
SECRET_PREFIX: Final = "bootstrap-token-"
NAMESPACE: Final = "kube-system"
USER_PREFIX: Final = "system:bootstrap:"
BOOTSTRAP_GROUP: Final = "system:bootstrappers"
#: kubeadm's extra group for node join tokens.
DEFAULT_GROUP: Final = "system:bootstrappers:kubeadm:default-node-token"
#: The usages a token may have, and kubeadm's default (both).
USAGES: Final = ("signing", "authentication")
DEFAULT_USAGES: Final = USAGES
DEFAULT_TTL: Final = datetime.timedelta(hours=24)

_TOKEN_PATTERN: Final = r"^([a-z0-9]{6})\.([a-z0-9]{16})$"
_TOKEN: Final = re.compile(r"([a-z0-9]{6})\.([a-z0-9]{16})")
_GROUP_PATTERN: Final = r"\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\z"
_GROUP: Final = re.compile(r"system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]")
_TOKEN_CHARS: Final = string.digits + string.ascii_lowercase
_RFC3339: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


class InvalidTokenError(ValueError):
    """A token, or a Secret that does not vouch for it; the message says why."""


def generate_token() -> str:
    """A new random token, as kubeadm makes them.

    >>> bool(_TOKEN.fullmatch(generate_token()))
    True
    """
    part = "".join(secrets.choice(_TOKEN_CHARS) for _ in range(22))
    return f"{part[:6]}.{part[6:]}"


def parse_token(token: str) -> tuple[str, str]:
    """The (id, secret) of ``token``; :class:`InvalidTokenError` with kubeadm's message.

    >>> parse_token("abcdef.0123456789abcdef")
    ('abcdef', '0123456789abcdef')
    """
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise InvalidTokenError(
            f'the bootstrap token "{token}" was not of the form "{_TOKEN_PATTERN}"'
        )
    return match.group(1), match.group(2)


def check_groups(groups: Sequence[str]) -> None:
    """:class:`InvalidTokenError` unless every group is a ``system:bootstrappers:...`` name."""
    for group in groups:
        if not _GROUP.fullmatch(group):
            raise InvalidTokenError(
                f'bootstrap group "{group}" is invalid (must match {_GROUP_PATTERN})'
            )


def format_expiration(moment: datetime.datetime) -> str:
    """RFC 3339 in UTC, whole seconds (as Go's ``time.RFC3339`` prints a UTC time)."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_secret(
    token: str,
    *,
    ttl: datetime.timedelta | None,
    now: datetime.datetime,
    description: str = "",
    usages: Sequence[str] = DEFAULT_USAGES,
    groups: Sequence[str] = (DEFAULT_GROUP,),
) -> dict[str, Any]:
    """The Secret that makes ``token`` valid (kubeadm's ``BootstrapTokenToSecret``): for
    ``ttl`` from ``now`` (None or zero: for ever), with these usages and extra groups."""
    token_id, token_secret_part = parse_token(token)
    unknown = [usage for usage in usages if usage not in USAGES]
    if unknown:
        raise InvalidTokenError(
            f"invalid bootstrap token usage string: {','.join(unknown)}, "
            f"valid usage options: {','.join(USAGES)}"
        )
    check_groups(groups)
    data = {"token-id": token_id, "token-secret": token_secret_part}
    if description:
        data["description"] = description
    if ttl:
        data["expiration"] = format_expiration(now + ttl)
    for usage in usages:
        data[f"usage-bootstrap-{usage}"] = "true"
    if groups:
        data["auth-extra-groups"] = ",".join(groups)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SECRET_PREFIX + token_id, "namespace": NAMESPACE},
        "type": SECRET_TYPE,
        "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()},
    }


def _data(secret: Mapping[str, Any], key: str) -> str:
    data = secret.get("data") or {}
    value = data.get(key) if isinstance(data, Mapping) else None
    if not isinstance(value, str):
        return ""
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


def _expired(expiration: str, now: datetime.datetime) -> bool:
    """No expiration never expires; one that does not parse always has (as Kubernetes)."""
    if not expiration:
        return False
    if not _RFC3339.fullmatch(expiration):
        return True
    try:
        moment = datetime.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    except ValueError:
        return True
    return moment <= now


def check_token_secret(
    secret: Mapping[str, Any], token: str, *, now: datetime.datetime
) -> tuple[str, tuple[str, ...]]:
    """The user and groups ``token`` authenticates as, if ``secret`` vouches for it;
    :class:`InvalidTokenError` saying why not. The rules, in Kubernetes' order: the Secret is
    not being deleted and is of the bootstrap type; ``token-secret`` (compared in constant time)
    and ``token-id`` match; it has not expired; ``usage-bootstrap-authentication`` is
    ``"true"``; the extra groups are valid."""
    token_id, token_secret_part = parse_token(token)
    if (secret.get("metadata") or {}).get("deletionTimestamp"):
        raise InvalidTokenError("the token's Secret is being deleted")
    if secret.get("type") != SECRET_TYPE or not secret.get("data"):
        raise InvalidTokenError(f"the token's Secret is not of type {SECRET_TYPE}")
    if not hmac.compare_digest(_data(secret, "token-secret").encode(), token_secret_part.encode()):
        raise InvalidTokenError("the token's secret does not match")
    if _data(secret, "token-id") != token_id:
        raise InvalidTokenError("the token's id does not match")
    if _expired(_data(secret, "expiration"), now):
        raise InvalidTokenError("the token has expired")
    if _data(secret, "usage-bootstrap-authentication") != "true":
        raise InvalidTokenError("the token may not be used for authentication")
    extra = [group for group in _data(secret, "auth-extra-groups").split(",") if group]
    check_groups(extra)
    return USER_PREFIX + token_id, tuple(sorted({BOOTSTRAP_GROUP, *extra}))
