"""VolumeBinding: the pod's PersistentVolumeClaims must be usable on the node.

PreFilter (upstream ``podHasPVCs`` and ``GetPodVolumeClaims``): every claim-backed
volume (``persistentVolumeClaim``, or a generic ``ephemeral`` volume's claim
``<pod>-<volume>``) needs its claim to exist (``persistentvolumeclaim "x" not found``,
or for ephemeral ones ``waiting for ephemeral volume controller to create the
persistentvolumeclaim "x"``), not lost, not being deleted, and, for ephemeral ones,
owned by the pod. A claim that is unbound and not ``WaitForFirstConsumer`` (no class,
an unknown class, or ``Immediate``) makes the pod wait: ``pod has unbound immediate
PersistentVolumeClaims``. All of these are unresolvable. A pod without claims Skips.

Filter (upstream ``FindPodVolumes``), all unresolvable:

* a bound claim's PersistentVolume must exist (``node(s) unavailable due to one or
  more pvc(s) bound to non-existent pv(s)``) and its ``nodeAffinity`` must match the
  node (``node(s) had volume node affinity conflict``);
* an unbound ``WaitForFirstConsumer`` claim needs, on this node, an Available volume of
  its class that fits it (size, access modes, volume mode, selector, node affinity),
  or a class that provisions dynamically (a provisioner other than
  ``kubernetes.io/no-provisioner``) whose ``allowedTopologies`` admit the node;
  otherwise ``node(s) didn't find available persistent volumes to bind``.

PreBind tells the volume controller where to satisfy each such claim by setting the
``volume.kubernetes.io/selected-node`` annotation (through the ``ClaimAnnotator``);
the PV controller then binds the chosen static volume or provisions one. Upstream also
binds static volumes itself and waits for the claims to be bound before binding the
pod; kubeling does neither (the kubelet waits for the volumes). Storage capacity
tracking (CSIStorageCapacity) and the PreFilter node restriction for local volumes are
not implemented.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api.labels import SelectorParseError, label_selector_as_selector
from kubeling.api.node_affinity import NodeSelector
from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.events import (
    ActionType,
    ClusterEvent,
    ClusterEventWithHint,
    EventResource,
)
from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.objects import ClusterObjects, ObjectKind
from kubeling.scheduler.framework.resources import amount
from kubeling.scheduler.framework.status import Status, success
from kubeling.scheduler.framework.types import NodeInfo, Obj, PodInfo, PreFilterResult

__all__ = [
    "ERR_REASON_BIND_CONFLICT",
    "ERR_REASON_NODE_CONFLICT",
    "ERR_REASON_PV_NOT_EXIST",
    "ERR_REASON_UNBOUND_IMMEDIATE",
    "NAME",
    "VolumeBinding",
    "new",
]

NAME: Final = "VolumeBinding"
ERR_REASON_BIND_CONFLICT: Final = "node(s) didn't find available persistent volumes to bind"
ERR_REASON_NODE_CONFLICT: Final = "node(s) had volume node affinity conflict"
ERR_REASON_PV_NOT_EXIST: Final = (
    "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
)
ERR_REASON_UNBOUND_IMMEDIATE: Final = "pod has unbound immediate PersistentVolumeClaims"
SELECTED_NODE_ANNOTATION: Final = "volume.kubernetes.io/selected-node"
_NO_PROVISIONER: Final = "kubernetes.io/no-provisioner"
_STATE_KEY: Final = "PreFilter" + NAME


def claim_class(claim: Obj) -> str:
    """A claim's storage class name (the beta annotation wins, as upstream)."""
    annotations: Mapping[str, str] = (claim.get("metadata") or {}).get("annotations") or {}
    beta = annotations.get("volume.beta.kubernetes.io/storage-class")
    if beta is not None:
        return beta
    return str((claim.get("spec") or {}).get("storageClassName") or "")


def volume_class(volume: Obj) -> str:
    """A volume's storage class name."""
    annotations: Mapping[str, str] = (volume.get("metadata") or {}).get("annotations") or {}
    beta = annotations.get("volume.beta.kubernetes.io/storage-class")
    if beta is not None:
        return beta
    return str((volume.get("spec") or {}).get("storageClassName") or "")


def volume_fits_node(volume: Obj, node: NodeInfo) -> bool:
    """Whether a PersistentVolume's required node affinity admits the node."""
    required = ((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required")
    if required is None:
        return True
    return NodeSelector.parse(required).matches(node.labels, node.name)


def _name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _volume_matches_claim(volume: Obj, claim: Obj, node: NodeInfo) -> bool:
    """Whether an unbound volume could satisfy the claim on the node (FindMatchingVolume)."""
    spec: Obj = volume.get("spec") or {}
    claim_spec: Obj = claim.get("spec") or {}
    claim_meta: Obj = claim.get("metadata") or {}
    ref: Obj | None = spec.get("claimRef")
    if ref is not None:
        same = ref.get("name") == claim_meta.get("name") and ref.get("namespace") == claim_meta.get(
            "namespace"
        )
        if not same or (ref.get("uid") and ref.get("uid") != claim_meta.get("uid")):
            return False
    elif (volume.get("status") or {}).get("phase") != "Available":
        return False
    if (volume.get("metadata") or {}).get("deletionTimestamp") is not None:
        return False
    if (spec.get("volumeMode") or "Filesystem") != (claim_spec.get("volumeMode") or "Filesystem"):
        return False
    if volume_class(volume) != claim_class(claim):
        return False
    wanted_modes = set(claim_spec.get("accessModes") or ())
    if not wanted_modes <= set(spec.get("accessModes") or ()):
        return False
    request = ((claim_spec.get("resources") or {}).get("requests") or {}).get("storage", "0")
    capacity = (spec.get("capacity") or {}).get("storage", "0")
    if amount("storage", capacity) < amount("storage", request):
        return False
    raw_selector = claim_spec.get("selector")
    if raw_selector is not None:
        try:
            selector = label_selector_as_selector(raw_selector)
        except SelectorParseError:
            return False
        labels: Mapping[str, str] = (volume.get("metadata") or {}).get("labels") or {}
        if not selector.matches(labels):
            return False
    return volume_fits_node(volume, node)


def _class_provisions_on(storage_class: Obj | None, node: NodeInfo) -> bool:
    """Whether a class can provision a volume reachable from the node."""
    if storage_class is None or storage_class.get("provisioner") in (None, _NO_PROVISIONER):
        return False
    topologies: Sequence[Obj] = storage_class.get("allowedTopologies") or ()
    if not topologies:
        return True
    for term in topologies:
        expressions: Sequence[Obj] = term.get("matchLabelExpressions") or ()
        if all(node.labels.get(str(e.get("key"))) in (e.get("values") or ()) for e in expressions):
            return True
    return False


@dataclass(slots=True)
class _State:
    bound: list[Obj] = field(default_factory=list)
    delayed: list[Obj] = field(default_factory=list)

    def clone(self) -> _State:
        return self


class VolumeBinding:
    """Checks claims and volumes against nodes; points delayed claims at the node."""

    name = NAME

    def __init__(self, handle: Handle) -> None:
        """Read claims, volumes and classes through the handle's objects."""
        self._handle = handle

    @property
    def _objects(self) -> ClusterObjects:
        return self._handle.objects

    def _is_delayed(self, claim: Obj) -> bool:
        class_name = claim_class(claim)
        if not class_name:
            return False
        storage_class = self._objects.get(ObjectKind.STORAGE_CLASSES, "", class_name)
        if storage_class is None:
            return False
        return storage_class.get("volumeBindingMode") == "WaitForFirstConsumer"

    def pre_filter(self, state: CycleState, pod: PodInfo) -> tuple[PreFilterResult | None, Status]:
        """Find the claims, reject unusable or unbound immediate ones."""
        if not pod.claims:
            return None, Status.skip()
        data = _State()
        unbound_immediate = False
        for name, ephemeral in pod.claims:
            claim = self._objects.get(ObjectKind.PERSISTENT_VOLUME_CLAIMS, pod.namespace, name)
            if claim is None:
                if ephemeral:
                    message = (
                        "waiting for ephemeral volume controller to create the "
                        f'persistentvolumeclaim "{name}"'
                    )
                    return None, Status.unresolvable(message)
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" not found')
            spec: Obj = claim.get("spec") or {}
            if (claim.get("status") or {}).get("phase") == "Lost":
                message = (
                    f'persistentvolumeclaim "{name}" bound to non-existent persistentvolume '
                    f'"{spec.get("volumeName", "")}"'
                )
                return None, Status.unresolvable(message)
            if (claim.get("metadata") or {}).get("deletionTimestamp") is not None:
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" is being deleted')
            if ephemeral and not _owned_by(claim, pod):
                message = (
                    f"PVC {pod.namespace}/{name} was not created for pod "
                    f"{pod.namespace}/{pod.name} (pod is not owner)"
                )
                return None, Status.unresolvable(message)
            if spec.get("volumeName"):
                data.bound.append(claim)
            elif self._is_delayed(claim):
                data.delayed.append(claim)
            else:
                unbound_immediate = True
        if unbound_immediate:
            return None, Status.unresolvable(ERR_REASON_UNBOUND_IMMEDIATE)
        state.write(_STATE_KEY, data)
        return None, success()

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        """Check bound volumes' node affinity and whether delayed claims can be met here."""
        data = state.read(_STATE_KEY, _State)
        bound_ok = found = unbound_ok = True
        for claim in data.bound:
            volume_name = str((claim.get("spec") or {}).get("volumeName"))
            volume = self._objects.get(ObjectKind.PERSISTENT_VOLUMES, "", volume_name)
            if volume is None:
                found = False
            elif not volume_fits_node(volume, node):
                bound_ok = False
        if data.delayed:
            volumes = list(self._objects.list(ObjectKind.PERSISTENT_VOLUMES))
            taken: set[str] = set()
            for claim in data.delayed:
                match = next(
                    (
                        v
                        for v in volumes
                        if _name(v) not in taken and _volume_matches_claim(v, claim, node)
                    ),
                    None,
                )
                if match is not None:
                    taken.add(_name(match))
                    continue
                storage_class = self._objects.get(
                    ObjectKind.STORAGE_CLASSES, "", claim_class(claim)
                )
                if not _class_provisions_on(storage_class, node):
                    unbound_ok = False
        reasons = []
        if not bound_ok:
            reasons.append(ERR_REASON_NODE_CONFLICT)
        if not unbound_ok:
            reasons.append(ERR_REASON_BIND_CONFLICT)
        if not found:
            reasons.append(ERR_REASON_PV_NOT_EXIST)
        return Status.unresolvable(*reasons) if reasons else success()

    async def pre_bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        """Annotate each delayed claim with the chosen node."""
        try:
            data = state.read(_STATE_KEY, _State)
        except LookupError:
            return success()
        annotator = self._handle.effects.claim_annotator
        for claim in data.delayed:
            await annotator.annotate_selected_node(
                namespace=pod.namespace, name=_name(claim), node_name=node_name
            )
        return success()

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """Claims, volumes and classes appearing or changing; nodes appearing or relabelled."""
        add_update = ActionType.ADD | ActionType.UPDATE
        return [
            ClusterEventWithHint(ClusterEvent(EventResource.PERSISTENT_VOLUME_CLAIM, add_update)),
            ClusterEventWithHint(ClusterEvent(EventResource.PERSISTENT_VOLUME, add_update)),
            ClusterEventWithHint(ClusterEvent(EventResource.STORAGE_CLASS, add_update)),
            ClusterEventWithHint(
                ClusterEvent(
                    EventResource.NODE,
                    ActionType.ADD | ActionType.UPDATE_NODE_LABEL | ActionType.UPDATE_NODE_TAINT,
                )
            ),
        ]


def _owned_by(claim: Obj, pod: PodInfo) -> bool:
    for ref in (claim.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller") and ref.get("kind") == "Pod" and ref.get("uid") == pod.uid:
            return True
    return False


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``."""
    return VolumeBinding(handle)
