"""A StatefulSet pod's identity: its ordinal, name, labels, hostname and volumes.

Pod ``<set>-<ordinal>`` is the same pod whenever it is recreated: the same
name, the labels ``statefulset.kubernetes.io/pod-name`` and
``apps.kubernetes.io/pod-index``, ``spec.hostname`` set to its name and
``spec.subdomain`` to the set's ``serviceName``, and one volume per claim
template bound to claim ``<template>-<set>-<ordinal>``. Ordinals run from
``spec.ordinals.start`` (0 by default) for ``spec.replicas`` pods. A pod's
ordinal is read from its name, as Kubernetes does (``(.*)-([0-9]+)$``).

All pure, after ``stateful_set_utils.go``; the pod predicates below are
the ones the update algorithm and the status use.
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Mapping
from typing import Any, Final

from kubeling.controllers.history import POD_REVISION_LABEL
from kubeling.controllers.ownership import new_controller_ref
from kubeling.controllers.podcontrol import pod_from_template
from kubeling.controllers.pods import is_pod_available, is_pod_ready

__all__ = [
    "API_VERSION",
    "KIND",
    "POD_INDEX_LABEL",
    "POD_NAME_LABEL",
    "claim_name",
    "claims_for",
    "end_ordinal",
    "identity_matches",
    "in_ordinal_range",
    "is_created",
    "is_failed",
    "is_healthy",
    "is_member_of",
    "is_pending",
    "is_running_and_available",
    "is_running_and_ready",
    "is_succeeded",
    "is_terminating",
    "new_pod",
    "new_versioned_pod",
    "ordinal_of",
    "parent_and_ordinal",
    "pod_name",
    "pod_revision",
    "replicas_of",
    "start_ordinal",
    "storage_matches",
    "update_identity",
    "update_storage",
]

Obj = dict[str, Any]

API_VERSION: Final = "apps/v1"
KIND: Final = "StatefulSet"
POD_NAME_LABEL: Final = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL: Final = "apps.kubernetes.io/pod-index"

_ORDINAL: Final = re.compile(r"(.*)-([0-9]+)$", re.DOTALL)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def parent_and_ordinal(pod: Mapping[str, Any]) -> tuple[str, int]:
    """The set a pod's name says it belongs to and its ordinal; ``("", -1)`` for a name
    without one, ordinal -1 when the number does not fit an int32.

    >>> parent_and_ordinal({"metadata": {"name": "web-2"}})
    ('web', 2)
    """
    match = _ORDINAL.match(str(_meta(pod).get("name", "")))
    if match is None:
        return "", -1
    number = int(match.group(2))
    return match.group(1), number if number < 2**31 else -1


def ordinal_of(pod: Mapping[str, Any]) -> int:
    return parent_and_ordinal(pod)[1]


def replicas_of(sts: Mapping[str, Any]) -> int:
    replicas = _spec(sts).get("replicas")
    return 1 if replicas is None else int(replicas)


def start_ordinal(sts: Mapping[str, Any]) -> int:
    """``spec.ordinals.start``, 0 if unset."""
    return int((_spec(sts).get("ordinals") or {}).get("start") or 0)


def end_ordinal(sts: Mapping[str, Any]) -> int:
    """The last ordinal the set wants (inclusive)."""
    return start_ordinal(sts) + replicas_of(sts) - 1


def in_ordinal_range(pod: Mapping[str, Any], sts: Mapping[str, Any]) -> bool:
    return start_ordinal(sts) <= ordinal_of(pod) <= end_ordinal(sts)


def pod_name(sts: Mapping[str, Any], ordinal: int) -> str:
    return f"{_meta(sts).get('name', '')}-{ordinal}"


def claim_name(sts: Mapping[str, Any], template: Mapping[str, Any], ordinal: int) -> str:
    """``<template>-<set>-<ordinal>``: the claim a pod mounts for one claim template."""
    return f"{_meta(template).get('name', '')}-{_meta(sts).get('name', '')}-{ordinal}"


def is_member_of(sts: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """Whether the pod's name makes it one of the set's (the claim filter)."""
    return parent_and_ordinal(pod)[0] == _meta(sts).get("name")


def identity_matches(sts: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    parent, ordinal = parent_and_ordinal(pod)
    meta = _meta(pod)
    return (
        ordinal >= 0
        and parent == _meta(sts).get("name")
        and meta.get("name") == pod_name(sts, ordinal)
        and meta.get("namespace") == _meta(sts).get("namespace")
        and (meta.get("labels") or {}).get(POD_NAME_LABEL) == meta.get("name")
    )


def _claim_templates(sts: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [t for t in _spec(sts).get("volumeClaimTemplates") or () if isinstance(t, Mapping)]


def storage_matches(sts: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """Whether the pod mounts each claim template's claim under the template's name."""
    ordinal = ordinal_of(pod)
    if ordinal < 0:
        return False
    volumes = {v.get("name"): v for v in _spec(pod).get("volumes") or () if isinstance(v, Mapping)}
    for template in _claim_templates(sts):
        source = (volumes.get(_meta(template).get("name")) or {}).get("persistentVolumeClaim")
        if not source or source.get("claimName") != claim_name(sts, template, ordinal):
            return False
    return True


def claims_for(sts: Mapping[str, Any], pod: Mapping[str, Any]) -> list[tuple[str, Obj]]:
    """``(template name, claim)`` for each claim template: the pod's own claims, with the
    template's labels plus the set's ``matchLabels``."""
    ordinal = ordinal_of(pod)
    match_labels = (_spec(sts).get("selector") or {}).get("matchLabels") or {}
    claims = []
    for template in _claim_templates(sts):
        claim: Obj = copy.deepcopy(dict(template))
        claim.pop("status", None)
        meta = claim.setdefault("metadata", {})
        meta.pop("creationTimestamp", None)
        meta["name"] = claim_name(sts, template, ordinal)
        meta["namespace"] = _meta(sts).get("namespace", "")
        meta["labels"] = {**(meta.get("labels") or {}), **match_labels}
        claim["apiVersion"], claim["kind"] = "v1", "PersistentVolumeClaim"
        claims.append((str(_meta(template).get("name", "")), claim))
    return claims


def update_storage(sts: Mapping[str, Any], pod: Obj) -> None:
    """Make the pod mount its claims, replacing volumes of the same names."""
    claims = claims_for(sts, pod)
    names = {name for name, _ in claims}
    volumes: list[Any] = [
        {"name": name, "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}}
        for name, claim in claims
    ]
    spec = pod.setdefault("spec", {})
    volumes.extend(v for v in spec.get("volumes") or () if v.get("name") not in names)
    spec["volumes"] = volumes


def update_identity(sts: Mapping[str, Any], pod: Obj) -> None:
    """Name, namespace and the identity labels from the pod's ordinal."""
    ordinal = ordinal_of(pod)
    meta = pod.setdefault("metadata", {})
    meta["name"] = pod_name(sts, ordinal)
    meta["namespace"] = _meta(sts).get("namespace", "")
    labels = meta.setdefault("labels", {})
    labels[POD_NAME_LABEL] = meta["name"]
    labels[POD_INDEX_LABEL] = str(ordinal)


def new_pod(sts: Mapping[str, Any], ordinal: int) -> Obj:
    """``newStatefulSetPod``: the set's template as pod ``<set>-<ordinal>``, with its
    identity (hostname and subdomain are set only here: they are immutable) and storage."""
    pod = pod_from_template(
        _spec(sts).get("template") or {}, sts, new_controller_ref(sts, API_VERSION, KIND)
    )
    pod["metadata"]["name"] = pod_name(sts, ordinal)
    update_identity(sts, pod)
    pod["spec"]["hostname"] = pod["metadata"]["name"]
    service = _spec(sts).get("serviceName") or ""
    if service:
        pod["spec"]["subdomain"] = service
    update_storage(sts, pod)
    return pod


def pod_revision(pod: Mapping[str, Any]) -> str:
    """The revision name in the pod's ``controller-revision-hash`` label ("" if none)."""
    return str((_meta(pod).get("labels") or {}).get(POD_REVISION_LABEL, ""))


def new_versioned_pod(
    current_set: Mapping[str, Any],
    update_set: Mapping[str, Any],
    current_revision: str,
    update_revision: str,
    ordinal: int,
) -> Obj:
    """``newVersionedStatefulSetPod``: ordinals below the partition (or, without
    ``rollingUpdate``, below the current replicas) keep the current revision; the
    others get the update revision.

    Go's operator precedence is kept: the strategy type guards only the first case.
    """
    strategy = _spec(current_set).get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate")
    start = start_ordinal(current_set)
    current_replicas = int((current_set.get("status") or {}).get("currentReplicas") or 0)
    keep_current = (
        strategy.get("type") == "RollingUpdate"
        and rolling is None
        and ordinal < start + current_replicas
    ) or (rolling is not None and ordinal < start + int(rolling.get("partition") or 0))
    pod = new_pod(current_set if keep_current else update_set, ordinal)
    revision = current_revision if keep_current else update_revision
    pod["metadata"].setdefault("labels", {})[POD_REVISION_LABEL] = revision
    return pod


def _phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def is_created(pod: Mapping[str, Any]) -> bool:
    """The API server has it: it has a phase (pods still to create have none)."""
    return _phase(pod) != ""


def is_pending(pod: Mapping[str, Any]) -> bool:
    return _phase(pod) == "Pending"


def is_failed(pod: Mapping[str, Any]) -> bool:
    return _phase(pod) == "Failed"


def is_succeeded(pod: Mapping[str, Any]) -> bool:
    return _phase(pod) == "Succeeded"


def is_terminating(pod: Mapping[str, Any]) -> bool:
    return bool(_meta(pod).get("deletionTimestamp"))


def is_running_and_ready(pod: Mapping[str, Any]) -> bool:
    return _phase(pod) == "Running" and is_pod_ready(pod)


def is_running_and_available(
    pod: Mapping[str, Any], min_ready_seconds: int, now: datetime.datetime
) -> bool:
    """Ready for ``minReadySeconds`` (``podutil.IsPodAvailable``; the phase is not looked at)."""
    return is_pod_available(pod, min_ready_seconds, now)


def is_healthy(pod: Mapping[str, Any]) -> bool:
    """Running and ready and not being deleted."""
    return is_running_and_ready(pod) and not is_terminating(pod)
