"""MutatingAdmissionWebhook: patches in order, denials, failure policies, reinvocation."""

from __future__ import annotations

import json

import pytest

from kubeling.api import errors
from kubeling.apiserver.warnings import collect_warnings
from tests.unit.apiserver.admission.webhook.builders import (
    FakeTransport,
    allow,
    attributes,
    config,
    deny,
    hook,
    mutating,
    patch,
    unreachable,
)

ADD_LABEL = {"op": "add", "path": "/metadata/labels", "value": {"patched": "yes"}}


async def test_patch_changes_the_object_in_place() -> None:
    """The resource store's own dict carries the patched object."""
    transport = FakeTransport({"w.example.com": patch(ADD_LABEL)})
    attrs = attributes()
    obj = attrs.obj
    await mutating(transport, config("c", hook())).admit(attrs)
    assert attrs.obj is obj
    assert obj is not None
    assert obj["metadata"]["labels"] == {"patched": "yes"}
    assert json.loads(attrs.annotations["mutation.webhook.admission.k8s.io/round_0_index_0"]) == {
        "configuration": "c",
        "webhook": "w.example.com",
        "mutated": True,
    }
    assert "patch.webhook.admission.k8s.io/round_0_index_0" in attrs.annotations


async def test_webhooks_run_in_order_and_see_earlier_patches() -> None:
    """Configurations by name, then their webhooks in order; each sees the last patch."""
    transport = FakeTransport(
        {
            "a.example.com": patch(ADD_LABEL),
            "b.example.com": patch({"op": "add", "path": "/metadata/labels/b", "value": "2"}),
        }
    )
    plugin = mutating(
        transport,
        config("z-last", hook("c.example.com")),
        config("a-first", hook("a.example.com"), hook("b.example.com")),
    )
    attrs = attributes()
    await plugin.admit(attrs)
    assert transport.called() == ["a.example.com", "b.example.com", "c.example.com"]
    second = transport.calls[1][1]["request"]["object"]
    assert second["metadata"]["labels"] == {"patched": "yes"}
    assert attrs.obj is not None
    assert attrs.obj["metadata"]["labels"] == {"patched": "yes", "b": "2"}


async def test_denial_stops_the_chain() -> None:
    transport = FakeTransport(
        {"a.example.com": deny({"code": 403, "reason": "Forbidden", "message": "no latest"})}
    )
    plugin = mutating(transport, config("c", hook("a.example.com"), hook("b.example.com")))
    with pytest.raises(errors.StatusError) as caught:
        await plugin.admit(attributes())
    assert caught.value.code == 403
    assert caught.value.message == 'admission webhook "a.example.com" denied the request: no latest'
    assert transport.called() == ["a.example.com"]


async def test_failure_policy_fail() -> None:
    """An unreachable webhook under Fail refuses the request with 500."""
    transport = FakeTransport({"w.example.com": unreachable})
    with pytest.raises(errors.StatusError) as caught:
        await mutating(transport, config("c", hook())).admit(attributes())
    assert (caught.value.code, caught.value.reason) == (500, "InternalError")
    assert caught.value.message == (
        'Internal error occurred: failed calling webhook "w.example.com": failed to call webhook: '
        'Post "https://127.0.0.1:1/x?timeout=10s": dial tcp 127.0.0.1:1: connect: '
        "connection refused"
    )


async def test_failure_policy_ignore() -> None:
    """Under Ignore the request goes on to the next webhook, annotated as failed open."""
    transport = FakeTransport({"a.example.com": unreachable, "b.example.com": patch(ADD_LABEL)})
    plugin = mutating(
        transport,
        config("c", hook("a.example.com", failurePolicy="Ignore"), hook("b.example.com")),
    )
    attrs = attributes()
    await plugin.admit(attrs)
    assert transport.called() == ["a.example.com", "b.example.com"]
    assert (
        attrs.annotations["failed-open.mutation.webhook.admission.k8s.io/round_0_index_0"]
        == "a.example.com"
    )
    assert attrs.obj is not None
    assert attrs.obj["metadata"]["labels"] == {"patched": "yes"}


async def test_invalid_response_follows_the_failure_policy() -> None:
    transport = FakeTransport({"w.example.com": lambda request: {"response": {"uid": "x"}}})
    with pytest.raises(errors.StatusError) as caught:
        await mutating(transport, config("c", hook())).admit(attributes())
    assert 'failed calling webhook "w.example.com": received invalid webhook response: ' in (
        caught.value.message
    )
    ignoring = mutating(transport, config("c", hook(failurePolicy="Ignore")))
    await ignoring.admit(attributes())


async def test_unapplicable_patch_is_500_even_under_ignore() -> None:
    transport = FakeTransport({"w.example.com": patch({"op": "remove", "path": "/nope"})})
    plugin = mutating(transport, config("c", hook(failurePolicy="Ignore")))
    with pytest.raises(errors.StatusError) as caught:
        await plugin.admit(attributes())
    assert caught.value.code == 500


@pytest.mark.parametrize(
    ("policy", "calls"),
    [
        ("IfNeeded", ["a.example.com", "b.example.com", "a.example.com"]),
        ("Never", ["a.example.com", "b.example.com"]),
    ],
)
async def test_reinvocation(policy: str, calls: list[str]) -> None:
    """An IfNeeded webhook runs again when a later one changed the object, once."""
    transport = FakeTransport({"b.example.com": patch(ADD_LABEL)})
    plugin = mutating(
        transport,
        config("c", hook("a.example.com", reinvocationPolicy=policy), hook("b.example.com")),
    )
    attrs = attributes()
    await plugin.admit(attrs)
    assert transport.called() == calls
    if policy == "IfNeeded":
        # the second call sees the object as the later webhook left it
        assert transport.calls[2][1]["request"]["object"]["metadata"]["labels"] == {
            "patched": "yes"
        }
        assert "mutation.webhook.admission.k8s.io/round_1_index_0" in attrs.annotations


async def test_no_reinvocation_when_only_the_webhook_itself_changed_the_object() -> None:
    """A webhook's own change does not call it again, nor does a later unchanged one."""
    transport = FakeTransport({"a.example.com": patch(ADD_LABEL)})
    plugin = mutating(
        transport,
        config(
            "c",
            hook("a.example.com", reinvocationPolicy="IfNeeded"),
            hook("b.example.com", reinvocationPolicy="IfNeeded"),
        ),
    )
    await plugin.admit(attributes())
    assert transport.called() == ["a.example.com", "b.example.com"]


async def test_warnings_and_audit_annotations() -> None:
    """Warnings reach the request's Warning headers; annotations are prefixed with the name."""
    transport = FakeTransport(
        {"w.example.com": allow(warnings=["image uses :latest"], auditAnnotations={"k": "v"})}
    )
    warnings = collect_warnings()
    attrs = attributes()
    await mutating(transport, config("c", hook())).admit(attrs)
    assert warnings == ["image uses :latest"]
    assert attrs.annotations["w.example.com/k"] == "v"


async def test_unsupported_patch_type_is_a_call_failure() -> None:
    answer = patch(ADD_LABEL, patchType="MergePatch")
    transport = FakeTransport({"w.example.com": answer})
    with pytest.raises(errors.StatusError) as caught:
        await mutating(transport, config("c", hook())).admit(attributes())
    assert caught.value.message == (
        'Internal error occurred: failed calling webhook "w.example.com": '
        'unsupported patch type "MergePatch"'
    )
