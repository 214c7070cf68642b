"""MutatingAdmissionWebhook: mutating webhooks, called one after another.

Each matching webhook gets the object as the webhooks before it left it and
may answer with a JSON patch; the patched object is what the next one sees
and what is stored. Order: configurations by name, then the webhooks of each
in their order.

Reinvocation (``reinvocationPolicy: IfNeeded``): a webhook that has been
called is called once more, after the first pass, if a webhook after it
changed the object (``webhookReinvokeContext`` upstream). The second pass
calls only those webhooks, and a change it makes triggers nothing more.

Failures: a call failure under ``failurePolicy: Fail`` refuses the request
(500), under ``Ignore`` is logged, annotated
(``failed-open.mutation.webhook.admission.k8s.io/round_<r>_index_<i>``) and
skipped; a denial refuses it with the webhook's status; a patch that does
not apply is a 500 whatever the policy. Every call is recorded in the
request's annotations (``mutation.webhook.admission.k8s.io/...`` and, for a
patch, ``patch.webhook.admission.k8s.io/...``), as Kubernetes' audit sees it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.interfaces import Attributes
from kubeling.apiserver.admission.webhook.dispatch import (
    Invocation,
    VersionedObjects,
    WebhookPlugin,
    log,
)
from kubeling.apiserver.admission.webhook.equivalents import GroupVersionResource
from kubeling.apiserver.admission.webhook.failures import CallFailure, rejection
from kubeling.apiserver.admission.webhook.hooks import Webhook
from kubeling.apiserver.admission.webhook.patching import apply_webhook_patch

__all__ = ["MutatingAdmissionWebhook"]

_MUTATION = "mutation.webhook.admission.k8s.io/"
_PATCH = "patch.webhook.admission.k8s.io/"
_FAILED_OPEN = "failed-open." + _MUTATION


@dataclass(slots=True)
class _Reinvocation:
    """Which webhooks to call again (``webhookReinvokeContext``)."""

    #: IfNeeded webhooks called so far.
    invoked: set[str] = field(default_factory=set)
    #: Those to call in the second pass.
    again: set[str] = field(default_factory=set)

    def object_changed(self) -> None:
        self.again |= self.invoked
        self.invoked = set()


class MutatingAdmissionWebhook(WebhookPlugin):
    """The ``MutatingAdmissionWebhook`` plugin (mutating phase only)."""

    name = "MutatingAdmissionWebhook"
    mutating = True

    async def admit(self, attributes: Attributes) -> None:
        hooks = self.source.webhooks()
        if not hooks:
            return
        reinvocation = _Reinvocation()
        await self._pass(attributes, hooks, reinvocation, round_=0)
        if reinvocation.again:
            await self._pass(attributes, hooks, reinvocation, round_=1)

    async def _pass(
        self,
        attributes: Attributes,
        hooks: Sequence[Webhook],
        reinvocation: _Reinvocation,
        *,
        round_: int,
    ) -> None:
        for index, webhook in enumerate(hooks):
            invocation = await self.invocation(webhook, attributes)
            if invocation is None:
                continue
            objects = self.versioned(invocation, attributes)
            if not self.conditions_match(invocation, attributes, objects):
                continue
            # A webhook skipped in the first pass is not called for the first time now.
            if round_ == 1 and webhook.uid not in reinvocation.again:
                continue
            suffix = f"round_{round_}_index_{index}"
            changed = False
            failure: CallFailure | None = None
            try:
                changed = await self._mutate(invocation, attributes, objects, suffix)
            except CallFailure as err:
                failure = err
            finally:
                attributes.annotations[_MUTATION + suffix] = json.dumps(
                    {
                        "configuration": webhook.configuration,
                        "webhook": webhook.name,
                        "mutated": changed,
                    },
                    separators=(",", ":"),
                )
            if changed:
                reinvocation.object_changed()
            if webhook.reinvocation_policy == "IfNeeded":
                reinvocation.invoked.add(webhook.uid)
            if failure is None:
                continue
            if webhook.ignores_failures:
                log.warning("Failed calling webhook, failing open %s: %s", webhook.name, failure)
                attributes.annotations[_FAILED_OPEN + suffix] = webhook.name
                continue
            log.warning("Failed calling webhook, failing closed %s: %s", webhook.name, failure)
            raise failure.to_status_error()

    async def _mutate(
        self,
        invocation: Invocation,
        attributes: Attributes,
        objects: VersionedObjects,
        suffix: str,
    ) -> bool:
        """Call one webhook and apply its patch; whether the object changed."""
        webhook = invocation.webhook
        response = await self.call(invocation, attributes, objects)
        if not response.allowed:
            raise rejection(webhook.name, response.result)
        if response.patch is None:
            return False
        if response.patch_type != "JSONPatch":
            raise CallFailure(webhook.name, f'unsupported patch type "{response.patch_type}"')
        patched = apply_webhook_patch(objects.obj, response.patch, webhook=webhook.name)
        if patched is None:
            return False
        attributes.annotations[_PATCH + suffix] = json.dumps(
            {
                "configuration": webhook.configuration,
                "webhook": webhook.name,
                "patch": json.loads(response.patch),
                "patchType": "JSONPatch",
            },
            separators=(",", ":"),
        )
        changed = patched != objects.obj
        if changed:
            self._store(invocation, attributes, patched)
        return changed

    def _store(
        self, invocation: Invocation, attributes: Attributes, patched: dict[str, Any]
    ) -> None:
        """Put the patched object back into the request, in the request's version,
        in place (the resource store holds the same dict)."""
        obj = attributes.obj
        assert obj is not None  # apply_webhook_patch refuses a patch without an object
        requested_kind = GroupVersionKind(
            attributes.kind_group, attributes.kind_version, attributes.kind
        )
        if invocation.kind != requested_kind:
            requested = GroupVersionResource(
                attributes.group, attributes.version, attributes.resource
            )
            patched = self.equivalents.convert(
                patched, source=invocation.resource, target=requested
            )
        obj.clear()
        obj.update(patched)
