"""DefaultStorageClass: new claims without a class get the default one."""

from __future__ import annotations

import pytest

from kubeling.apiserver.admission.default_storage_class import DefaultStorageClass
from kubeling.apiserver.admission.lookup import StaticReader
from tests.unit.apiserver.admission.support import Obj, attributes


def _claim(**spec: object) -> Obj:
    return {"metadata": {"name": "c", "namespace": "ns"}, "spec": {**spec}}


def _classes(*marked: tuple[str, str, str]) -> StaticReader:
    """StorageClasses: (name, creationTimestamp, is-default value) each."""
    return StaticReader(
        {
            "metadata": {
                "name": name,
                "creationTimestamp": created,
                "annotations": {"storageclass.kubernetes.io/is-default-class": flag},
            }
        }
        for name, created, flag in marked
    )


LOCAL = ("local-path", "2025-01-01T00:00:00Z", "true")


@pytest.mark.parametrize(
    ("claim", "classes", "expected"),
    [
        (_claim(), [LOCAL], "local-path"),  # no class named: the default one
        (_claim(storageClassName=""), [LOCAL], ""),  # "" asks for no class
        (_claim(storageClassName="fast"), [LOCAL], "fast"),  # a class named is kept
        (_claim(), [("local-path", "2025-01-01T00:00:00Z", "false")], None),  # no default
        (
            _claim(),
            [
                ("old", "2024-01-01T00:00:00Z", "true"),
                ("b-new", "2025-01-01T00:00:00Z", "true"),
                ("a-new", "2025-01-01T00:00:00Z", "true"),
            ],
            "a-new",  # several defaults: the newest, then by name
        ),
    ],
)
async def test_default_storage_class(
    claim: Obj, classes: list[tuple[str, str, str]], expected: str | None
) -> None:
    plugin = DefaultStorageClass(_classes(*classes))
    attrs = attributes("CREATE", "persistentvolumeclaims", claim)
    assert plugin.handles(attrs)
    await plugin.admit(attrs)
    assert claim["spec"].get("storageClassName") == expected


async def test_a_claim_with_the_beta_class_annotation_keeps_no_class() -> None:
    claim = _claim()
    claim["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-class": "gold"}
    await DefaultStorageClass(_classes(LOCAL)).admit(
        attributes("CREATE", "persistentvolumeclaims", claim)
    )
    assert "storageClassName" not in claim["spec"]


@pytest.mark.parametrize(
    ("operation", "resource", "subresource"),
    [
        ("UPDATE", "persistentvolumeclaims", ""),
        ("CREATE", "persistentvolumeclaims", "status"),
        ("CREATE", "pods", ""),
    ],
)
def test_only_new_claims_are_handled(operation: str, resource: str, subresource: str) -> None:
    attrs = attributes(operation, resource, _claim(), subresource=subresource)  # type: ignore[arg-type]
    assert not DefaultStorageClass(_classes()).handles(attrs)
