"""DefaultTolerationSeconds: 300 s not-ready/unreachable tolerations unless already tolerated."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.admission.default_toleration_seconds import (
    DefaultTolerationSeconds,
    admit_pod,
)
from tests.unit.apiserver.admission.support import attributes

NOT_READY = {
    "key": "node.kubernetes.io/not-ready",
    "operator": "Exists",
    "effect": "NoExecute",
    "tolerationSeconds": 300,
}
UNREACHABLE = {**NOT_READY, "key": "node.kubernetes.io/unreachable"}


@pytest.mark.parametrize(
    ("given", "added"),
    [
        (None, [NOT_READY, UNREACHABLE]),
        ([], [NOT_READY, UNREACHABLE]),
        ([{"operator": "Exists"}], []),
        ([{"key": "node.kubernetes.io/unreachable", "operator": "Exists"}], [NOT_READY]),
        (
            [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}],
            [NOT_READY, UNREACHABLE],
        ),
        ([{"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}], []),
        ([{"key": "gpu", "operator": "Exists"}], [NOT_READY, UNREACHABLE]),
    ],
)
def test_admit_pod(given: list[dict[str, Any]] | None, added: list[dict[str, Any]]) -> None:
    """Only the tolerations the pod lacks are appended, after its own."""
    spec: dict[str, Any] = {"containers": []}
    if given is not None:
        spec["tolerations"] = [dict(t) for t in given]
    pod = {"spec": spec}
    admit_pod(pod)
    assert pod["spec"].get("tolerations", []) == [*(given or []), *added]


def test_admit_pod_is_idempotent() -> None:
    """A second pass (the update path) adds nothing."""
    pod: dict[str, Any] = {"spec": {}}
    admit_pod(pod)
    once = [dict(t) for t in pod["spec"]["tolerations"]]
    admit_pod(pod)
    assert pod["spec"]["tolerations"] == once


@pytest.mark.parametrize(
    ("operation", "subresource", "handled"),
    [
        ("CREATE", "", True),
        ("UPDATE", "", True),
        ("UPDATE", "status", False),
        ("DELETE", "", False),
    ],
)
def test_the_plugin_handles_pod_writes_only(
    operation: Any, subresource: str, handled: bool
) -> None:
    attrs = attributes(operation, "pods", {"spec": {}}, subresource=subresource)
    assert DefaultTolerationSeconds().handles(attrs) is handled


async def test_the_plugin_adds_the_tolerations() -> None:
    pod: dict[str, Any] = {"spec": {}}
    await DefaultTolerationSeconds().admit(attributes("CREATE", "pods", pod))
    assert len(pod["spec"]["tolerations"]) == 2
