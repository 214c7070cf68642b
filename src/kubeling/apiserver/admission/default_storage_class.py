"""The DefaultStorageClass admission plugin (``plugin/pkg/admission/storage/storageclass``).

A new PersistentVolumeClaim that names no class (``storageClassName``
absent, not ``""``, and no beta class annotation) gets the default
StorageClass, if there is one (the newest, when several say they are; see
``kubeling.api.storage.classes``). Claims that name a class, updates and
subresources are left alone.
"""

from __future__ import annotations

from typing import Final

from kubeling.api.storage.classes import claim_has_class, default_class
from kubeling.apiserver.admission.interfaces import CREATE, AdmissionPlugin, Attributes
from kubeling.apiserver.admission.lookup import ObjectReader

__all__ = ["NAME", "DefaultStorageClass"]

NAME: Final = "DefaultStorageClass"


class DefaultStorageClass(AdmissionPlugin):
    """New claims without a class get the default one."""

    name = NAME
    operations = frozenset({CREATE})

    def __init__(self, storage_classes: ObjectReader) -> None:
        self._classes = storage_classes

    def handles(self, attributes: Attributes) -> bool:
        return (
            attributes.operation == CREATE
            and attributes.resource == "persistentvolumeclaims"
            and not attributes.group
            and not attributes.subresource
        )

    async def admit(self, attributes: Attributes) -> None:
        claim = attributes.obj
        if claim is None or claim_has_class(claim):
            return
        spec = claim.get("spec")
        if not isinstance(spec, dict):
            return  # validation reports it
        chosen = default_class(await self._classes.list(""))
        if chosen is not None:
            spec["storageClassName"] = chosen["metadata"]["name"]
