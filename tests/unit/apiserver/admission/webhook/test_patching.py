"""Applying a mutating webhook's JSON patch."""

from __future__ import annotations

import pytest

from kubeling.api import errors
from kubeling.apiserver.admission.webhook.failures import CallFailure
from kubeling.apiserver.admission.webhook.patching import apply_webhook_patch


def test_patch_applies_to_a_copy() -> None:
    """The patched object is new; the original is untouched."""
    obj = {"metadata": {"labels": {"a": "1"}}}
    patched = apply_webhook_patch(
        obj, b'[{"op": "add", "path": "/metadata/labels/b", "value": "2"}]', webhook="w"
    )
    assert patched == {"metadata": {"labels": {"a": "1", "b": "2"}}}
    assert obj == {"metadata": {"labels": {"a": "1"}}}


def test_empty_patch_changes_nothing() -> None:
    assert apply_webhook_patch({"a": 1}, b"[]", webhook="w") is None


@pytest.mark.parametrize("patch", [b"not json", b'{"op": "add"}', b"[1]"])
def test_undecodable_patch_is_a_call_failure(patch: bytes) -> None:
    """A patch that is not a JSON patch document is the webhook's failure."""
    with pytest.raises(CallFailure) as caught:
        apply_webhook_patch({"a": 1}, patch, webhook="w")
    assert caught.value.reason.startswith("received undecodable patch in webhook response: ")


def test_patch_that_does_not_apply_is_a_500() -> None:
    """Whatever the failure policy: Kubernetes answers 500 with the patch error."""
    with pytest.raises(errors.StatusError) as caught:
        apply_webhook_patch({"a": 1}, b'[{"op": "remove", "path": "/b"}]', webhook="w")
    assert caught.value.code == 500
    assert caught.value.message.startswith("Internal error occurred: ")


def test_patch_without_an_object_is_a_500() -> None:
    """A DELETE has no object to patch."""
    with pytest.raises(errors.StatusError) as caught:
        apply_webhook_patch(None, b'[{"op": "add", "path": "/a", "value": 1}]', webhook="w")
    assert caught.value.message == (
        'Internal error occurred: admission webhook "w" attempted to modify the object, '
        "which is not supported for this operation"
    )
