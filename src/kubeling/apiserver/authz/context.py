"""The user a request is served for, available to code deep below the handler.

Kubernetes carries the authenticated user in the request's ``context.Context``
(``genericapirequest.UserFrom(ctx)``); the RBAC storage reads it there to
refuse writes that would grant more than their writer holds. Python's
equivalent is a context variable: the HTTP layer sets it for each request
(:func:`serving`), and code that writes on the API server's own behalf (the
bootstrap policy, the in-process controllers) says so with
:func:`acting_as` and :data:`~kubeling.apiserver.authz.user.LOOPBACK`.

Nothing is assumed when nothing was set: :func:`requesting_user` is then
None, and the escalation checks refuse the write (fail closed).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from kubeling.apiserver.authz.user import UserInfo

__all__ = ["acting_as", "requesting_user", "serving"]

_current: contextvars.ContextVar[UserInfo | None] = contextvars.ContextVar(
    "kubeling_requesting_user", default=None
)


def serving(user: UserInfo | None) -> None:
    """Record the user of the request this task now serves (None: not known yet)."""
    _current.set(user)


@contextlib.contextmanager
def acting_as(user: UserInfo) -> Iterator[None]:
    """Run the block as ``user``, then restore whoever was there before."""
    token = _current.set(user)
    try:
        yield
    finally:
        _current.reset(token)


def requesting_user() -> UserInfo | None:
    """The user the current request is served for; None outside any request."""
    return _current.get()
