"""``kubeling token create``: a bootstrap token for joining nodes, as ``kubeadm token create``.

The token is stored as kubeadm stores it: a Secret ``kube-system/bootstrap-token-<id>`` of type
``bootstrap.kubernetes.io/token`` (:mod:`kubeling.api.bootstraptoken`), created with the admin
kubeconfig. With ``--print-join-command`` the line printed is the ``kubeling agent`` command
that joins a node, with the server's address and the CA pin (``--ca-cert-hash``), as kubeadm's
``--print-join-command`` prints its ``kubeadm join``.
"""

from __future__ import annotations

import datetime
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from kubeling.api import errors
from kubeling.api.bootstraptoken import (
    DEFAULT_GROUP,
    DEFAULT_USAGES,
    SECRET_PREFIX,
    generate_token,
    parse_token,
    token_secret,
)
from kubeling.client import ApiClient, ClientConfig
from kubeling.client.resources import SECRETS
from kubeling.pki import ca_cert_hash

__all__ = ["TokenOptions", "create_token", "join_command"]


@dataclass(frozen=True, slots=True)
class TokenOptions:
    #: The token to store; "" makes a new one.
    token: str = ""
    #: How long it is valid; None or zero: for ever.
    ttl: datetime.timedelta | None = datetime.timedelta(hours=24)
    description: str = ""
    usages: Sequence[str] = DEFAULT_USAGES
    groups: Sequence[str] = (DEFAULT_GROUP,)


async def create_token(config: ClientConfig, options: TokenOptions) -> str:
    """Store a bootstrap token's Secret through the API; the token."""
    token = options.token or generate_token()
    secret = token_secret(
        token,
        ttl=options.ttl,
        now=datetime.datetime.now(datetime.UTC),
        description=options.description,
        usages=options.usages,
        groups=options.groups,
    )
    async with ApiClient(config.with_user_agent("kubeling-token")) as client:
        try:
            await client.resource(SECRETS).create(secret)
        except errors.StatusError as err:
            if errors.is_already_exists(err):
                token_id, _ = parse_token(token)
                raise ValueError(
                    f'a token with id "{token_id}" already exists '
                    f"(Secret kube-system/{SECRET_PREFIX}{token_id})"
                ) from None
            raise
    return token


def join_command(config: ClientConfig, token: str) -> str:
    """The ``kubeling agent`` command that joins a node to the cluster ``config`` reaches."""
    words = ["kubeling", "agent", "--server", config.server, "--token", token]
    if config.ca_pem:
        words += ["--ca-cert-hash", ca_cert_hash(config.ca_pem)]
    return shlex.join(words)
