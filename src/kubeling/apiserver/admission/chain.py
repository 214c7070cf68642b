"""The admission chain: every enabled plugin, in Kubernetes' order, in two phases.

Kubernetes runs all mutating plugins first (in order), then, once the
resource's own validation has passed, all validating plugins (in order).
A plugin that both mutates and validates takes part in both phases.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubeling.apiserver.admission.interfaces import AdmissionPlugin, Attributes

__all__ = ["AdmissionChain"]


class AdmissionChain:
    """Plugins in order; the API server's resource stores call both phases."""

    def __init__(self, plugins: Sequence[AdmissionPlugin] = ()) -> None:
        self.plugins: list[AdmissionPlugin] = list(plugins)

    def add(self, plugin: AdmissionPlugin) -> None:
        """Append ``plugin`` (the webhooks and policies come last, as in Kubernetes)."""
        self.plugins.append(plugin)

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
