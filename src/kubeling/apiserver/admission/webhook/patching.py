"""Applying a mutating webhook's JSON patch, with the API server's own RFC 6902 code.

A patch that is not a JSON patch document is the webhook's fault: a call
failure (``received undecodable patch in webhook response``), which the
failure policy may ignore. A patch that does not apply to the object is a
500 whatever the policy, as Kubernetes answers it (``Internal error
occurred: <json-patch error>``). An empty patch changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from kubeling.api import errors
from kubeling.api.patch.errors import PatchError
from kubeling.api.patch.json_patch import apply_json_patch, decode_json_patch
from kubeling.apiserver.admission.webhook.failures import CallFailure

__all__ = ["apply_webhook_patch"]


def apply_webhook_patch(
    obj: dict[str, Any] | None, patch: bytes, *, webhook: str
) -> dict[str, Any] | None:
    """``obj`` patched (a new dict), or None when the patch has no operations.

    >>> apply_webhook_patch({"a": 1}, b'[{"op": "add", "path": "/b", "value": 2}]', webhook="w")
    {'a': 1, 'b': 2}
    """
    try:
        document = json.loads(patch)
        operations = decode_json_patch(document)
    except (ValueError, PatchError) as err:
        raise CallFailure(
            webhook, f"received undecodable patch in webhook response: {err}"
        ) from None
    if not operations:
        return None
    if obj is None:
        raise errors.internal_error(
            f'admission webhook "{webhook}" attempted to modify the object, '
            "which is not supported for this operation"
        )
    try:
        patched = apply_json_patch(obj, document)
    except PatchError as err:
        raise errors.internal_error(err.message) from None
    if not isinstance(patched, dict):
        raise errors.internal_error(
            f'admission webhook "{webhook}" patched the object into a non-object'
        )
    return patched
