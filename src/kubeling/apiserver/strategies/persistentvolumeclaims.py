"""PersistentVolumeClaims: Filesystem by default, ``Pending`` on create, spec frozen.

After creation only ``resources.requests`` may change (expansion),
``volumeName`` may be set once (binding), and a claim created without
``storageClassName`` may be given one (the PV controller's retroactive
default class, GA in 1.28).

The default StorageClass of a new claim is the DefaultStorageClass
admission plugin's business (``apiserver/admission``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.field import FieldError, FieldPath, forbidden, invalid, not_supported, required
from kubeling.api.storage.classes import BETA_STORAGE_CLASS_ANNOTATION
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import as_list, as_map, quantity_of
from kubeling.apiserver.strategies.persistentvolumes import VOLUME_MODES, validate_access_modes

__all__ = ["PersistentVolumeClaimStrategy"]

Obj = dict[str, Any]

_SPEC: Final = FieldPath("spec")


class PersistentVolumeClaimStrategy(Strategy):
    """``persistentvolumeclaims``."""

    has_status_subresource = True

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict) and not spec.get("volumeMode"):
            spec["volumeMode"] = "Filesystem"

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"phase": "Pending"}

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = as_map(obj.get("spec"))
        errs.extend(
            validate_access_modes(as_list(spec.get("accessModes")), _SPEC.child("accessModes"))
        )
        requests = as_map(as_map(spec.get("resources")).get("requests"))
        storage_path = _SPEC.child("resources").key("storage")
        if "storage" not in requests:
            errs.append(required(storage_path, ""))
        else:
            size = quantity_of(requests["storage"])
            if size is None or size.sign() <= 0:
                errs.append(invalid(storage_path, requests["storage"], "must be greater than zero"))
        mode = spec.get("volumeMode")
        if mode and mode not in VOLUME_MODES:
            errs.append(not_supported(_SPEC.child("volumeMode"), mode, VOLUME_MODES))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        new_spec = copy.deepcopy(dict(as_map(new.get("spec"))))
        old_spec = as_map(old.get("spec"))
        resources = new_spec.get("resources")
        old_requests = as_map(old_spec.get("resources")).get("requests")
        if isinstance(resources, dict):
            if old_requests is None:
                resources.pop("requests", None)
            else:
                resources["requests"] = old_requests
        if not old_spec.get("volumeName"):
            if "volumeName" in old_spec:
                new_spec["volumeName"] = old_spec["volumeName"]
            else:
                new_spec.pop("volumeName", None)
        if _class_set_from_nil(new, old):
            new_spec.pop("storageClassName", None)
        if new_spec != dict(old_spec):
            errs.append(
                forbidden(
                    _SPEC,
                    "spec is immutable after creation except resources.requests for bound claims",
                )
            )
        return errs


def _class_set_from_nil(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    """A class given to a claim created with none (the retroactive default)."""
    old_annotations = as_map(as_map(old.get("metadata")).get("annotations"))
    old_class = as_map(old.get("spec")).get("storageClassName")
    new_class = as_map(new.get("spec")).get("storageClassName")
    return (
        BETA_STORAGE_CLASS_ANNOTATION not in old_annotations
        and old_class is None
        and isinstance(new_class, str)
        and new_class != ""
    )
