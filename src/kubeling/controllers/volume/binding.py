"""Which PersistentVolume a claim may have: the pure half of the PV controller.

Kubernetes' ``component-helpers/storage/volume`` and the controller's
``index.go``, as functions over objects as the API returns them:

- :func:`find_best_match` is ``findBestMatchForClaim``: volumes are grouped by
  their set of access modes; every group whose modes include all the claim's
  is searched, the groups with the fewest modes first, and the first match
  wins. In a group (:func:`find_matching_volume`) a volume pre-bound to the
  claim (``claimRef`` naming it) is taken at once if it is big enough;
  otherwise the smallest volume that is ``Available``, unclaimed, not being
  deleted, of the same ``volumeMode`` and StorageClass, selected by the
  claim's ``selector`` and at least as big as the request. With
  ``delay_binding`` (``WaitForFirstConsumer``) only pre-bound volumes match:
  the scheduler binds the others once it has picked a node.
- :func:`check_volume_satisfies_claim` is what a claim naming a volume
  (``spec.volumeName``) needs of it; its answer is the event message.
- :func:`bind_volume_to_claim` is ``GetBindVolumeToClaim``: the volume with a
  ``claimRef`` to the claim and, when the controller chose it,
  ``pv.kubernetes.io/bound-by-controller``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, Final

from kubeling.api import labels
from kubeling.api.quantity import Quantity, QuantityParseError, parse_quantity
from kubeling.api.storage.classes import claim_class, volume_class

__all__ = [
    "ANN_BETA_STORAGE_PROVISIONER",
    "ANN_BIND_COMPLETED",
    "ANN_BOUND_BY_CONTROLLER",
    "ANN_DYNAMICALLY_PROVISIONED",
    "ANN_SELECTED_NODE",
    "ANN_STORAGE_PROVISIONER",
    "access_modes_key",
    "bind_volume_to_claim",
    "check_volume_satisfies_claim",
    "claim_key",
    "claim_ref_key",
    "claim_reference",
    "find_best_match",
    "find_matching_volume",
    "is_volume_bound_to_claim",
    "storage_capacity",
    "storage_request",
    "volume_mode_mismatch",
]

Obj = Mapping[str, Any]

#: On a claim: its binding went through once (Bound or Lost, never Pending again).
ANN_BIND_COMPLETED: Final = "pv.kubernetes.io/bind-completed"
#: On a volume or claim: the controller made the binding, not the user.
ANN_BOUND_BY_CONTROLLER: Final = "pv.kubernetes.io/bound-by-controller"
#: On a volume: who provisioned it dynamically.
ANN_DYNAMICALLY_PROVISIONED: Final = "pv.kubernetes.io/provisioned-by"
#: On a claim: who is expected to provision a volume for it.
ANN_STORAGE_PROVISIONER: Final = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER: Final = "volume.beta.kubernetes.io/storage-provisioner"
#: On a claim: the node the scheduler picked for its first consumer.
ANN_SELECTED_NODE: Final = "volume.kubernetes.io/selected-node"

#: Upstream's order when access modes are written as a string (``RWO,ROX``).
_MODE_ORDER: Final = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
_MODE_ABBREVIATIONS: Final = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}
_ZERO: Final = Quantity(0)


def _meta(obj: Obj) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _spec(obj: Obj) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _quantity(raw: object) -> Quantity:
    try:
        return parse_quantity(str(raw)) if raw is not None else _ZERO
    except QuantityParseError:
        return _ZERO


def claim_key(claim: Obj) -> str:
    """``namespace/name``."""
    meta = _meta(claim)
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def claim_ref_key(volume: Obj) -> str | None:
    """The ``namespace/name`` a volume's ``claimRef`` names, or None."""
    ref = _spec(volume).get("claimRef")
    if not isinstance(ref, Mapping):
        return None
    return f"{ref.get('namespace', '')}/{ref.get('name', '')}"


def storage_request(claim: Obj) -> Quantity:
    """The claim's ``resources.requests.storage`` (zero when missing)."""
    resources = _spec(claim).get("resources")
    requests = resources.get("requests") if isinstance(resources, Mapping) else None
    return _quantity(requests.get("storage") if isinstance(requests, Mapping) else None)


def storage_capacity(volume: Obj) -> Quantity:
    """The volume's ``capacity.storage`` (zero when missing)."""
    capacity = _spec(volume).get("capacity")
    return _quantity(capacity.get("storage") if isinstance(capacity, Mapping) else None)


def access_modes_key(modes: Iterable[str]) -> str:
    """Access modes in upstream's order and abbreviations: ``RWO,ROX``."""
    present = set(modes)
    return ",".join(_MODE_ABBREVIATIONS[m] for m in _MODE_ORDER if m in present)


def volume_mode_mismatch(claim: Obj, volume: Obj) -> bool:
    """True when one is ``Block`` and the other ``Filesystem`` (the default)."""
    wanted = _spec(claim).get("volumeMode") or "Filesystem"
    offered = _spec(volume).get("volumeMode") or "Filesystem"
    return bool(wanted != offered)


def _has_access_modes(claim: Obj, volume: Obj) -> bool:
    offered = set(_spec(volume).get("accessModes") or ())
    return all(mode in offered for mode in _spec(claim).get("accessModes") or ())


def is_volume_bound_to_claim(volume: Obj, claim: Obj) -> bool:
    """The volume's ``claimRef`` names this claim (and its uid, if the ref has one)."""
    ref = _spec(volume).get("claimRef")
    if not isinstance(ref, Mapping):
        return False
    meta = _meta(claim)
    if ref.get("name") != meta.get("name") or ref.get("namespace") != meta.get("namespace"):
        return False
    return not ref.get("uid") or ref.get("uid") == meta.get("uid")


def _selector(claim: Obj) -> labels.Selector | None:
    raw = _spec(claim).get("selector")
    if raw is None:
        return None
    # The API server validated the selector; one that still fails matches nothing.
    try:
        return labels.label_selector_as_selector(raw)
    except labels.SelectorParseError:
        return labels.nothing()


def find_matching_volume(claim: Obj, volumes: Iterable[Obj], *, delay_binding: bool) -> Obj | None:
    """The volume for ``claim`` among ``volumes`` (one access-mode group), or None."""
    requested = storage_request(claim)
    requested_class = claim_class(claim)
    selector = _selector(claim)
    smallest: Obj | None = None
    smallest_size = _ZERO
    for volume in volumes:
        size = storage_capacity(volume)
        if volume_mode_mismatch(claim, volume):
            continue
        if _meta(volume).get("deletionTimestamp"):
            continue
        if is_volume_bound_to_claim(volume, claim):
            # Pre-bound to this claim: it if it is big enough, else keep looking.
            if size.cmp(requested) < 0:
                continue
            return volume
        if delay_binding:
            continue
        if (volume.get("status") or {}).get("phase") != "Available":
            # Volumes on their way to Available would only meet conflicts now.
            continue
        if _spec(volume).get("claimRef") is not None:
            continue
        if selector is not None and not selector.matches(_meta(volume).get("labels") or {}):
            continue
        if volume_class(volume) != requested_class:
            continue
        if size.cmp(requested) >= 0 and (smallest is None or smallest_size.cmp(size) > 0):
            smallest, smallest_size = volume, size
    return smallest


def find_best_match(claim: Obj, volumes: Iterable[Obj], *, delay_binding: bool) -> Obj | None:
    """``findBestMatchForClaim``: search the access-mode groups, fewest modes first."""
    groups: dict[frozenset[str], list[Obj]] = {}
    for volume in volumes:
        modes = frozenset(_spec(volume).get("accessModes") or ())
        groups.setdefault(modes, []).append(volume)
    wanted = set(_spec(claim).get("accessModes") or ())
    candidates = [modes for modes in groups if wanted <= modes]
    # Fewest modes first; the modes break ties so that the search is deterministic.
    candidates.sort(key=lambda modes: (len(modes), access_modes_key(modes)))
    for modes in candidates:
        found = find_matching_volume(claim, groups[modes], delay_binding=delay_binding)
        if found is not None:
            return found
    return None


def check_volume_satisfies_claim(volume: Obj, claim: Obj) -> str | None:
    """Why the volume a claim names cannot serve it, or None when it can."""
    if _meta(volume).get("deletionTimestamp"):
        return f'the volume is marked for deletion "{_meta(volume).get("name", "")}"'
    if storage_capacity(volume).cmp(storage_request(claim)) < 0:
        return "requested PV is too small"
    if volume_class(volume) != claim_class(claim):
        return "storageClassName does not match"
    if volume_mode_mismatch(claim, volume):
        return "incompatible volumeMode"
    if not _has_access_modes(claim, volume):
        return "incompatible accessMode"
    return None


def claim_reference(claim: Obj) -> dict[str, Any]:
    """An ObjectReference to the claim, as ``reference.GetReference`` builds it."""
    meta = _meta(claim)
    return {
        "kind": "PersistentVolumeClaim",
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "apiVersion": "v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }


def bind_volume_to_claim(volume: Obj, claim: Obj) -> tuple[dict[str, Any], bool]:
    """A copy of the volume bound to the claim, and whether anything changed."""
    clone: dict[str, Any] = copy.deepcopy(dict(volume))
    dirty = False
    chosen_by_controller = not is_volume_bound_to_claim(volume, claim)
    ref = _spec(volume).get("claimRef")
    meta = _meta(claim)
    if (
        not isinstance(ref, Mapping)
        or ref.get("name") != meta.get("name")
        or ref.get("namespace") != meta.get("namespace")
        or ref.get("uid") != meta.get("uid")
    ):
        clone.setdefault("spec", {})["claimRef"] = claim_reference(claim)
        dirty = True
    annotations = clone.setdefault("metadata", {}).setdefault("annotations", {})
    if chosen_by_controller and ANN_BOUND_BY_CONTROLLER not in annotations:
        annotations[ANN_BOUND_BY_CONTROLLER] = "yes"
        dirty = True
    if not annotations:
        del clone["metadata"]["annotations"]
    return clone, dirty
