"""What an authenticator is, what it returns and how it fails.

Two kinds, as in Kubernetes (``k8s.io/apiserver/pkg/authentication/authenticator``):

- a :class:`RequestAuthenticator` reads a request's :class:`Credentials`
  (client certificate, ``Authorization`` header, path);
- a :class:`TokenAuthenticator` checks a bearer token for the audiences the
  caller serves (the API server's own, or a TokenReview's).

Both answer in three ways. A user (:class:`Authenticated`): the credential is
good. ``None``: the credential is not this authenticator's to judge (no
certificate, a token of another kind), and the next one is asked.
:class:`AuthenticationError`: the credential is this authenticator's and it
is bad (an expired service account token); the request is refused, never
treated as anonymous.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from kubeling.api.authentication.user import UserInfo

__all__ = [
    "Authenticated",
    "AuthenticationError",
    "Credentials",
    "RequestAuthenticator",
    "TokenAuthenticator",
    "aggregate_message",
]


def aggregate_message(messages: Iterable[str]) -> str:
    """Several error messages as apimachinery's ``utilerrors.Aggregate`` prints them:
    repeats dropped, one message bare, several bracketed.

    >>> aggregate_message(["invalid bearer token", "invalid bearer token"])
    'invalid bearer token'
    >>> aggregate_message(["invalid bearer token", "token expired"])
    '[invalid bearer token, token expired]'
    """
    distinct = list(dict.fromkeys(messages))
    if len(distinct) == 1:
        return distinct[0]
    return "[" + ", ".join(distinct) + "]"


class AuthenticationError(Exception):
    """A credential its authenticator recognised and refused.

    ``messages`` are every refusal gathered on the way (unions collect them);
    ``str()`` prints them as Kubernetes aggregates errors.
    """

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages: tuple[str, ...] = messages

    def __str__(self) -> str:
        return aggregate_message(self.messages)

    @classmethod
    def gathered(cls, errors: Iterable[AuthenticationError]) -> AuthenticationError:
        """One error carrying every message of ``errors``, flattened."""
        return cls(*(message for error in errors for message in error.messages))


@dataclass(frozen=True, slots=True)
class Authenticated:
    """A recognised user, and the audiences both the credential and the caller accept
    (empty for credentials that have no audience, such as client certificates)."""

    user: UserInfo
    audiences: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presents to prove who sent it.

    ``peer_certificate`` is the DER of the client certificate TLS verified
    against the cluster CA (None without one); ``authorization`` is the
    ``Authorization`` header as sent (``""`` without one); ``path`` is the URL
    path, which anonymous authentication may be limited to.
    """

    path: str
    authorization: str = ""
    peer_certificate: bytes | None = None


class RequestAuthenticator(Protocol):
    """Authenticates a request from its credentials."""

    async def authenticate(self, credentials: Credentials) -> Authenticated | None:
        """The user, None if the credentials are not this authenticator's, or
        :class:`AuthenticationError` if they are and they are bad."""
        ...


class TokenAuthenticator(Protocol):
    """Authenticates a bearer token for the target ``audiences``."""

    async def verify(self, token: str, *, audiences: Sequence[str]) -> Authenticated | None:
        """The user, None if the token is not this authenticator's, or
        :class:`AuthenticationError` if it is and it is not valid for ``audiences``."""
        ...
