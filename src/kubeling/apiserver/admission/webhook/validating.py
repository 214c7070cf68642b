"""ValidatingAdmissionWebhook: validating webhooks, all called at once.

Every matching webhook is called concurrently with the object as it will be
stored (Kubernetes calls them in parallel goroutines), and the request
waits for all of them. A denial refuses the request with the webhook's
status; a call failure refuses it (500) under ``failurePolicy: Fail`` and is
logged and ignored under ``Ignore``. When several refuse, the first in
calling order is reported (Kubernetes reports whichever finished first).
"""

from __future__ import annotations

import asyncio

from kubeling.api import errors
from kubeling.apiserver.admission.interfaces import Attributes
from kubeling.apiserver.admission.webhook.dispatch import (
    Invocation,
    VersionedObjects,
    WebhookPlugin,
    log,
)
from kubeling.apiserver.admission.webhook.failures import CallFailure, rejection

__all__ = ["ValidatingAdmissionWebhook"]


class ValidatingAdmissionWebhook(WebhookPlugin):
    """The ``ValidatingAdmissionWebhook`` plugin (validating phase only)."""

    name = "ValidatingAdmissionWebhook"
    mutating = False

    async def validate(self, attributes: Attributes) -> None:
        calls: list[tuple[Invocation, VersionedObjects]] = []
        for webhook in self.source.webhooks():
            invocation = await self.invocation(webhook, attributes)
            if invocation is None:
                continue
            objects = self.versioned(invocation, attributes)
            if self.conditions_match(invocation, attributes, objects):
                calls.append((invocation, objects))
        if not calls:
            return
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(self._check(invocation, attributes, objects))
                for invocation, objects in calls
            ]
        for task in tasks:
            refusal = task.result()
            if refusal is not None:
                raise refusal

    async def _check(
        self, invocation: Invocation, attributes: Attributes, objects: VersionedObjects
    ) -> errors.StatusError | None:
        """One webhook's verdict: None to let the request through, else the refusal."""
        webhook = invocation.webhook
        try:
            response = await self.call(invocation, attributes, objects)
        except CallFailure as failure:
            if webhook.ignores_failures:
                log.warning("Failed calling webhook, failing open %s: %s", webhook.name, failure)
                return None
            log.warning("Failed calling webhook, failing closed %s: %s", webhook.name, failure)
            return failure.to_status_error()
        except errors.StatusError as err:
            return err
        if response.allowed:
            return None
        return rejection(webhook.name, response.result)
