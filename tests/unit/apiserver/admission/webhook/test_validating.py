"""ValidatingAdmissionWebhook: verdicts, concurrency, failure policies."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.apiserver.admission.webhook.hooks import Webhook
from kubeling.apiserver.warnings import collect_warnings
from tests.unit.apiserver.admission.webhook.builders import (
    FakeTransport,
    allow,
    attributes,
    config,
    deny,
    hook,
    unreachable,
    validating,
)


async def test_allowed() -> None:
    transport = FakeTransport()
    await validating(transport, config("c", hook())).validate(attributes())
    assert transport.called() == ["w.example.com"]


async def test_validating_webhooks_never_mutate_phase() -> None:
    """The plugin has no mutating phase: admit calls nothing."""
    transport = FakeTransport()
    await validating(transport, config("c", hook())).admit(attributes())
    assert transport.calls == []


async def test_denial_without_status_is_400() -> None:
    transport = FakeTransport({"w.example.com": deny()})
    with pytest.raises(errors.StatusError) as caught:
        await validating(transport, config("c", hook())).validate(attributes())
    assert caught.value.code == 400
    assert caught.value.message == (
        'admission webhook "w.example.com" denied the request without explanation'
    )


async def test_first_refusal_in_calling_order_is_reported() -> None:
    """Every webhook is asked; the first refusal (in calling order) is the answer."""
    transport = FakeTransport(
        {
            "a.example.com": allow(),
            "b.example.com": deny({"message": "b says no", "code": 422, "reason": "Invalid"}),
            "c.example.com": deny({"message": "c says no"}),
        }
    )
    plugin = validating(
        transport, config("c", hook("a.example.com"), hook("b.example.com"), hook("c.example.com"))
    )
    with pytest.raises(errors.StatusError) as caught:
        await plugin.validate(attributes())
    assert sorted(transport.called()) == ["a.example.com", "b.example.com", "c.example.com"]
    assert (caught.value.code, caught.value.reason) == (422, "Invalid")
    assert caught.value.message == 'admission webhook "b.example.com" denied the request: b says no'


@pytest.mark.parametrize(("policy", "refused"), [("Fail", True), ("Ignore", False)])
async def test_failure_policy(policy: str, refused: bool) -> None:
    transport = FakeTransport({"w.example.com": unreachable})
    plugin = validating(transport, config("c", hook(failurePolicy=policy)))
    if not refused:
        await plugin.validate(attributes())
        return
    with pytest.raises(errors.StatusError) as caught:
        await plugin.validate(attributes())
    assert caught.value.code == 500
    assert caught.value.message.startswith(
        'Internal error occurred: failed calling webhook "w.example.com": failed to call webhook: '
    )


async def test_validating_webhook_may_not_patch() -> None:
    transport = FakeTransport({"w.example.com": allow(patch="W10=", patchType="JSONPatch")})
    with pytest.raises(errors.StatusError) as caught:
        await validating(transport, config("c", hook())).validate(attributes())
    assert caught.value.message.endswith(
        "received invalid webhook response: validating webhook may not return response.patch"
    )


class _Rendezvous:
    """Webhook a answers only once webhook b has been asked: called one after the
    other, a would wait for ever (and the test's timeout would fail it)."""

    def __init__(self) -> None:
        self.b_called = asyncio.Event()

    async def post(self, webhook: Webhook, review: Mapping[str, Any]) -> Any:
        if webhook.name == "b.example.com":
            self.b_called.set()
        else:
            await self.b_called.wait()
        return allow()(review["request"])


async def test_webhooks_are_called_concurrently() -> None:
    """Kubernetes calls validating webhooks in parallel; so does the plugin."""
    plugin = validating(FakeTransport(), config("c", hook("a.example.com"), hook("b.example.com")))
    plugin.client = _Rendezvous()
    async with asyncio.timeout(30):
        await plugin.validate(attributes())


async def test_warnings_from_every_webhook() -> None:
    transport = FakeTransport(
        {"a.example.com": allow(warnings=["from a"]), "b.example.com": allow(warnings=["from b"])}
    )
    warnings = collect_warnings()
    await validating(transport, config("c", hook("a.example.com"), hook("b.example.com"))).validate(
        attributes()
    )
    assert sorted(warnings) == ["from a", "from b"]
