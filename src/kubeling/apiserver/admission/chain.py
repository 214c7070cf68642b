"""The admission chain: every enabled plugin, in Kubernetes' order, in two phases.

Kubernetes runs all mutating plugins first (in order), then, once the
resource's own validation has passed, all validating plugins (in order).
A plugin that both mutates and validates takes part in both phases.

The chain runs for every write the API server makes, so it stays cheap for
writes no plugin cares about: each plugin's ``handles`` is a couple of
comparisons, and nothing is copied (plugins change ``attributes.obj`` in
place and never change ``attributes.old_obj``).

The chain also says who a write is made for (``requesting_user``): the
server passes a function reading the request's user (the API server's own
loopback identity outside any request), so that the REST stores, which know
nothing of authentication, can build :class:`Attributes`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.admission.interfaces import AdmissionPlugin, Attributes

__all__ = ["AdmissionChain"]

_NOBODY = UserInfo("")


class AdmissionChain:
    """Plugins in order; the API server's resource stores call both phases."""

    def __init__(
        self,
        plugins: Sequence[AdmissionPlugin] = (),
        *,
        user: Callable[[], UserInfo] | None = None,
    ) -> None:
        self.plugins: list[AdmissionPlugin] = list(plugins)
        self._user = user

    def add(self, plugin: AdmissionPlugin) -> None:
        """Append ``plugin`` (the webhooks and policies come last, as in Kubernetes)."""
        self.plugins.append(plugin)

    def names(self) -> list[str]:
        """The plugins' names, in the order they run."""
        return [plugin.name for plugin in self.plugins]

    def requesting_user(self) -> UserInfo:
        """Who the current write is made for (an empty user when the chain was given
        no way to tell)."""
        return self._user() if self._user is not None else _NOBODY

    async def admit(self, attributes: Attributes) -> None:
        """Mutating phase: each plugin may change ``attributes.obj`` or refuse."""
        for plugin in self.plugins:
            if plugin.handles(attributes):
                await plugin.admit(attributes)

    async def validate(self, attributes: Attributes) -> None:
        """Validating phase: each plugin may refuse."""
        for plugin in self.plugins:
            if plugin.handles(attributes):
                await plugin.validate(attributes)
