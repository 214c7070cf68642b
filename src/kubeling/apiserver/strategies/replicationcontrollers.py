"""ReplicationControllers: replicas 1 and selector from the template by default.

``SetDefaults_ReplicationController``: with template labels, an empty
selector and empty object labels are both taken from them; the template's
pod spec gets the pod defaults. The spec counts in ``generation``; the status
starts at ``replicas: 0`` and changes only through ``/status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.field import FieldError, FieldPath, invalid, not_supported, required
from kubeling.api.labels import validate_labels
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import as_map, nonnegative
from kubeling.apiserver.strategies.govalues import go_string_map
from kubeling.apiserver.strategies.pods import default_pod_spec, validate_pod_spec

__all__ = ["ReplicationControllerStrategy"]

Obj = dict[str, Any]

_SPEC: Final = FieldPath("spec")


class ReplicationControllerStrategy(Strategy):
    """``replicationcontrollers``."""

    has_status_subresource = True
    tracks_generation = True

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        template = spec.get("template")
        labels = as_map(as_map(template).get("metadata")).get("labels")
        if isinstance(labels, dict) and labels:
            if not spec.get("selector"):
                spec["selector"] = dict(labels)
            meta = obj.setdefault("metadata", {})
            if not meta.get("labels"):
                meta["labels"] = dict(labels)
        if spec.get("replicas") is None:
            spec["replicas"] = 1
        if isinstance(template, dict) and isinstance(template.get("spec"), dict):
            default_pod_spec(template["spec"])

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"replicas": 0}

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = as_map(obj.get("spec"))
        errs.extend(nonnegative(spec.get("replicas"), _SPEC.child("replicas")))
        errs.extend(nonnegative(spec.get("minReadySeconds"), _SPEC.child("minReadySeconds")))
        selector = as_map(spec.get("selector"))
        if not selector:
            errs.append(required(_SPEC.child("selector"), ""))
        else:
            errs.extend(validate_labels(selector, _SPEC.child("selector")))
        template = spec.get("template")
        template_path = _SPEC.child("template")
        if not isinstance(template, Mapping):
            errs.append(required(template_path, ""))
            return errs
        labels = as_map(as_map(template.get("metadata")).get("labels"))
        labels_path = template_path.child("metadata", "labels")
        if selector and any(labels.get(k) != v for k, v in selector.items()):
            errs.append(
                invalid(
                    labels_path,
                    go_string_map(dict(labels)),
                    "`selector` does not match template `labels`",
                )
            )
        errs.extend(validate_labels(labels, labels_path))
        pod_spec = as_map(template.get("spec"))
        errs.extend(validate_pod_spec(pod_spec, template_path.child("spec")))
        restart = pod_spec.get("restartPolicy")
        if restart and restart != "Always":
            errs.append(
                not_supported(template_path.child("spec", "restartPolicy"), restart, ["Always"])
            )
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced)
