"""PersistentVolumeClaims: Filesystem by default, ``Pending`` on create, spec frozen.

After creation only ``resources.requests`` may change (expansion), and
``volumeName`` may be set once (binding).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.field import FieldError, FieldPath, forbidden, invalid, not_supported, required
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
        if new_spec != dict(old_spec):
            errs.append(
                forbidden(
                    _SPEC,
                    "spec is immutable after creation except resources.requests for bound claims",
                )
            )
        return errs
