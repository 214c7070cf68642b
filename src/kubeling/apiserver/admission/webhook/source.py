"""Where the webhooks come from: the webhook configurations the API server serves.

:class:`CachedWebhookSource` reads Mutating- or ValidatingWebhookConfigurations
from the API server's watch cache on each request (as Kubernetes' plugins
read an informer), and re-reads them into :class:`Webhook` values only when
a configuration changed since the last request: no request touches the
store, and CEL conditions are compiled once per change.
:class:`StaticWebhookSource` serves a fixed list (tests, embedding).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from kubeling.apiserver.admission.webhook.hooks import Webhook, webhooks_of

if TYPE_CHECKING:
    from kubeling.apiserver.rest.resource_store import ResourceStore
    from kubeling.apiserver.watch_cache import CachedObject

__all__ = ["CachedWebhookSource", "StaticWebhookSource", "WebhookSource"]


class WebhookSource(Protocol):
    """The webhooks to consider for a request, in calling order."""

    def webhooks(self) -> Sequence[Webhook]: ...


class StaticWebhookSource:
    """A fixed set of configurations."""

    def __init__(self, configurations: Iterable[Mapping[str, Any]], *, mutating: bool) -> None:
        self._webhooks = webhooks_of(configurations, mutating=mutating)

    def webhooks(self) -> Sequence[Webhook]:
        return self._webhooks


class CachedWebhookSource:
    """The configurations in ``configurations``' watch cache (started by the API server)."""

    def __init__(self, configurations: ResourceStore, *, mutating: bool) -> None:
        self._rest = configurations
        self._mutating = mutating
        self._seen: list[tuple[str, CachedObject]] = []
        self._webhooks: list[Webhook] = []

    def webhooks(self) -> Sequence[Webhook]:
        prefix = self._rest.storage_prefix.rstrip("/") + "/"
        entries, _ = self._rest.watch_cache().list_entries(prefix)
        # Cached objects are immutable and replaced on change: identity tells what changed.
        unchanged = len(entries) == len(self._seen) and all(
            key == seen_key and cached is seen
            for (key, cached), (seen_key, seen) in zip(entries, self._seen, strict=True)
        )
        if not unchanged:
            self._webhooks = webhooks_of(
                (cached.decode() for _, cached in entries), mutating=self._mutating
            )
            self._seen = entries
        return self._webhooks
