"""The user on an aiohttp request: where authentication leaves it for the rest.

Authentication reads a request's :class:`Credentials` here and puts the
request's user (after impersonation) under :data:`USER_KEY`; authorization,
admission and the review APIs read it back with :func:`user_of`.
"""

from __future__ import annotations

import ssl

from aiohttp import web

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authn.interface import Credentials

__all__ = ["USER_KEY", "credentials_of", "set_user", "user_of"]

USER_KEY = web.RequestKey("user", UserInfo)
"""The request key of the authenticated (or impersonated) :class:`UserInfo`."""


def credentials_of(request: web.Request) -> Credentials:
    """The path, ``Authorization`` header and verified client certificate of ``request``."""
    certificate = None
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
        # TLS verified it against the cluster CA; None when the client sent none.
        certificate = ssl_object.getpeercert(binary_form=True)
    return Credentials(
        path=request.path,
        authorization=request.headers.get("Authorization", ""),
        peer_certificate=certificate,
    )


def set_user(request: web.Request, user: UserInfo) -> None:
    """Record who ``request`` acts as."""
    request[USER_KEY] = user


def user_of(request: web.Request) -> UserInfo | None:
    """Who ``request`` acts as; None before the server identified the caller."""
    return request.get(USER_KEY)
