"""Who owns a StatefulSet pod's claims, by ``persistentVolumeClaimRetentionPolicy``.

Claims outlive their pods by default (``Retain``/``Retain``). The policy is
carried out through owner references, which the garbage collector follows
(pure rules of ``stateful_set_utils.go``):

==========  ===========  ==========================================
whenScaled  whenDeleted  the claim's controller reference
==========  ===========  ==========================================
Retain      Retain       none
Retain      Delete       the set
Delete      Retain       the pod, once it is scaled away
Delete      Delete       the pod once scaled away, the set before
==========  ===========  ==========================================

A claim whose reference names the set or the pod but with another uid (left
from an earlier set or pod) is stale: it is left alone, and a stale claim of
a pod being created blocks the creation until the collector has removed it.
A claim controlled by something else keeps that controller (the set's and
the pod's references are removed and an event says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.controllers.ownership import new_controller_ref
from kubeling.controllers.statefulset.identity import API_VERSION, KIND, in_ordinal_range

__all__ = [
    "DELETE",
    "RETAIN",
    "claim_owner_up_to_date",
    "has_stale_owner_ref",
    "has_unexpected_controller",
    "retention_policy",
    "updated_owner_refs",
]

Obj = dict[str, Any]

RETAIN: Final = "Retain"
DELETE: Final = "Delete"
_POD_API_VERSION: Final = "v1"
_POD_KIND: Final = "Pod"


def retention_policy(sts: Mapping[str, Any]) -> tuple[str, str]:
    """``(whenScaled, whenDeleted)``, ``Retain`` where unset."""
    policy = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
    return policy.get("whenScaled") or RETAIN, policy.get("whenDeleted") or RETAIN


def _refs(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in (obj.get("metadata") or {}).get("ownerReferences") or () if r]


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _uid(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))


def _names(ref: Mapping[str, Any], obj: Mapping[str, Any], api_version: str, kind: str) -> bool:
    """``matchesRef``: the reference's kind, version and name are the object's."""
    return (
        ref.get("apiVersion") == api_version
        and ref.get("kind") == kind
        and ref.get("name") == _name(obj)
    )


def _names_set(ref: Mapping[str, Any], sts: Mapping[str, Any]) -> bool:
    return _names(ref, sts, API_VERSION, KIND)


def _names_pod(ref: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    return _names(ref, pod, _POD_API_VERSION, _POD_KIND)


def _has_owner_ref(target: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    return any(ref.get("uid") == _uid(owner) for ref in _refs(target))


def has_stale_owner_ref(claim: Mapping[str, Any], obj: Mapping[str, Any], *, is_pod: bool) -> bool:
    """The first reference naming ``obj`` carries another uid."""
    for ref in _refs(claim):
        if _names_pod(ref, obj) if is_pod else _names_set(ref, obj):
            return ref.get("uid") != _uid(obj)
    return False


def has_unexpected_controller(
    claim: Mapping[str, Any], sts: Mapping[str, Any], pod: Mapping[str, Any]
) -> bool:
    """Under a policy that deletes, the claim has a controller other than the set and
    the pod (or a stale reference to them)."""
    if retention_policy(sts) == (RETAIN, RETAIN):
        return False
    for ref in _refs(claim):
        if _names_set(ref, sts):
            if ref.get("uid") != _uid(sts):
                return True
            continue
        if _names_pod(ref, pod):
            if ref.get("uid") != _uid(pod):
                return True
            continue
        if ref.get("controller"):
            return True
    return False


def _has_non_controller_owner(
    claim: Mapping[str, Any], sts: Mapping[str, Any], pod: Mapping[str, Any]
) -> bool:
    return any(
        ref.get("uid") in (_uid(sts), _uid(pod)) and not ref.get("controller")
        for ref in _refs(claim)
    )


def claim_owner_up_to_date(
    claim: Mapping[str, Any], sts: Mapping[str, Any], pod: Mapping[str, Any]
) -> bool:
    """``isClaimOwnerUpToDate``: whether the claim's references already say what the
    policy wants (a stale one counts as up to date: it is not ours to touch)."""
    if has_stale_owner_ref(claim, sts, is_pod=False) or has_stale_owner_ref(
        claim, pod, is_pod=True
    ):
        return True
    if has_unexpected_controller(claim, sts, pod):
        return not (_has_owner_ref(claim, sts) or _has_owner_ref(claim, pod))
    if _has_non_controller_owner(claim, sts, pod):
        return False
    want_set, want_pod = _wanted_owners(sts, pod)
    return _has_owner_ref(claim, sts) == want_set and _has_owner_ref(claim, pod) == want_pod


def _wanted_owners(sts: Mapping[str, Any], pod: Mapping[str, Any]) -> tuple[bool, bool]:
    """Whether the policy wants the set, and the pod, to control the claim."""
    when_scaled, when_deleted = retention_policy(sts)
    scaled_down = not in_ordinal_range(pod, sts)
    if when_scaled == DELETE and when_deleted == DELETE:
        return not scaled_down, scaled_down
    if when_scaled == DELETE:
        return False, scaled_down
    if when_deleted == DELETE:
        return True, False
    # Retain/Retain, and (as upstream, after logging) any unknown policy.
    return False, False


def updated_owner_refs(
    claim: Mapping[str, Any], sts: Mapping[str, Any], pod: Mapping[str, Any]
) -> list[Obj]:
    """``updateClaimOwnerRefForSetAndPod``: the claim's references with the set's and the
    pod's replaced by what the policy wants (none at all under an unexpected controller)."""
    unexpected = has_unexpected_controller(claim, sts, pod)
    refs = [dict(ref) for ref in _refs(claim) if not (_names_set(ref, sts) or _names_pod(ref, pod))]
    if unexpected:
        return refs
    want_set, want_pod = _wanted_owners(sts, pod)
    if want_set and not any(ref.get("uid") == _uid(sts) for ref in refs):
        refs.append(new_controller_ref(sts, API_VERSION, KIND))
    if want_pod and not any(ref.get("uid") == _uid(pod) for ref in refs):
        refs.append(new_controller_ref(pod, _POD_API_VERSION, _POD_KIND))
    return refs
