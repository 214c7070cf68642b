"""NamespaceLifecycle: no writes into missing namespaces, no creates into terminating ones."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.errors import StatusError
from kubeling.apiserver.admission.lookup import StaticReader
from kubeling.apiserver.admission.namespace_lifecycle import NamespaceLifecycle
from tests.unit.apiserver.admission.support import attributes

NAMESPACES = StaticReader(
    [
        {"metadata": {"name": "live"}, "status": {"phase": "Active"}},
        {"metadata": {"name": "ending"}, "status": {"phase": "Terminating"}},
    ]
)
CM = {"metadata": {"name": "cm"}}


@pytest.mark.parametrize(
    ("operation", "namespace", "code", "message"),
    [
        ("CREATE", "live", None, None),
        ("CREATE", "gone", 404, 'namespaces "gone" not found'),
        ("UPDATE", "gone", 404, 'namespaces "gone" not found'),
        (
            "CREATE",
            "ending",
            403,
            'configmaps "cm" is forbidden: unable to create new content in namespace ending '
            "because it is being terminated",
        ),
        ("UPDATE", "ending", None, None),
    ],
)
async def test_namespaced_writes(
    operation: Any, namespace: str, code: int | None, message: str | None
) -> None:
    plugin = NamespaceLifecycle(NAMESPACES)
    attrs = attributes(operation, "configmaps", dict(CM), namespace=namespace)
    assert plugin.handles(attrs)
    if code is None:
        await plugin.admit(attrs)
        return
    with pytest.raises(StatusError) as refused:
        await plugin.admit(attrs)
    assert (refused.value.code, refused.value.message) == (code, message)


def test_deletes_and_cluster_scoped_writes_pass() -> None:
    plugin = NamespaceLifecycle(NAMESPACES)
    assert not plugin.handles(attributes("DELETE", "configmaps", None, CM, namespace="gone"))
    assert not plugin.handles(attributes("CREATE", "namespaces", CM, namespace=""))


@pytest.mark.parametrize(
    ("name", "immortal"), [("default", True), ("kube-system", True), ("x", False)]
)
async def test_immortal_namespaces(name: str, immortal: bool) -> None:
    plugin = NamespaceLifecycle(NAMESPACES)
    attrs = attributes("DELETE", "namespaces", None, {"metadata": {"name": name}}, namespace="")
    assert plugin.handles(attrs) is immortal
    if immortal:
        with pytest.raises(StatusError) as refused:
            await plugin.admit(attrs)
        assert refused.value.message == (
            f'namespaces "{name}" is forbidden: this namespace may not be deleted'
        )
