"""Controller references: who owns an object, and claiming objects by selector.

An object has at most one ``ownerReference`` with ``controller: true``: its
controller. Like Kubernetes' ``ControllerRefManager``, a controller *claims*
the objects its selector matches: it keeps those it already controls, adopts
matching orphans (adding its reference with a patch that fails if the object
was replaced meanwhile) and releases those it controls that stopped matching.
It never adopts while it is itself being deleted, and re-reads itself from
the API before the first adoption (a cached owner may already be gone).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from kubeling.api import errors
from kubeling.api.labels import Selector, SelectorParseError, label_selector_as_selector
from kubeling.client import Indexer, Lister, ResourceClient, object_key

__all__ = [
    "CLAIM_INDEXERS",
    "CONTROLLER_UID_INDEX",
    "ORPHAN_NAMESPACE_INDEX",
    "claim",
    "claim_candidates",
    "controller_of",
    "controller_uid_index",
    "new_controller_ref",
    "orphan_namespace_index",
    "resolve_controller_ref",
    "selecting",
]

Obj = dict[str, Any]

#: The cache index of objects by their controller's uid (register :func:`controller_uid_index`).
CONTROLLER_UID_INDEX = "controllerUID"


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ownerReference with ``controller: true``, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if isinstance(ref, Mapping) and ref.get("controller"):
            return ref
    return None


def controller_uid_index(obj: Mapping[str, Any]) -> list[str]:
    """The index function of :data:`CONTROLLER_UID_INDEX`: the controller's uid, if any."""
    ref = controller_of(obj)
    return [str(ref["uid"])] if ref is not None and ref.get("uid") else []


#: The cache index of objects without a controller, by namespace (register
#: :func:`orphan_namespace_index`): what a controller may adopt.
ORPHAN_NAMESPACE_INDEX = "orphanNamespace"


def orphan_namespace_index(obj: Mapping[str, Any]) -> list[str]:
    """The index function of :data:`ORPHAN_NAMESPACE_INDEX`: the namespace of an object
    no controller owns (cluster-scoped ones under "")."""
    if controller_of(obj) is not None:
        return []
    return [str((obj.get("metadata") or {}).get("namespace") or "")]


#: The indexes :func:`claim_candidates` reads: register them on the claimed objects' informer.
CLAIM_INDEXERS = {
    CONTROLLER_UID_INDEX: controller_uid_index,
    ORPHAN_NAMESPACE_INDEX: orphan_namespace_index,
}


def claim_candidates(indexer: Indexer, namespace: str, owner_uid: str) -> list[Obj]:
    """What :func:`claim` can keep, adopt or release for the owner ``owner_uid`` in
    ``namespace``: the objects it controls and the orphans, by key.

    The same result as claiming over every object of the namespace (the objects of
    other controllers are skipped there), without visiting all of them: Kubernetes
    lists the whole namespace for each sync, which is cheap in Go but not here.
    """
    owned = [
        obj
        for obj in indexer.by_index(CONTROLLER_UID_INDEX, owner_uid)
        if str((obj.get("metadata") or {}).get("namespace") or "") == namespace
    ]
    orphans = indexer.by_index(ORPHAN_NAMESPACE_INDEX, namespace)
    if not owned:
        return orphans
    if not orphans:
        return owned
    return sorted([*owned, *orphans], key=object_key)


def resolve_controller_ref(
    owners: Lister, namespace: str, ref: Mapping[str, Any], kind: str
) -> Mapping[str, Any] | None:
    """The cached owner ``ref`` names, if it is of ``kind`` and still the same object
    (same uid): an owner deleted and re-created under the name is not the owner."""
    if ref.get("kind") != kind:
        return None
    try:
        owner = owners.get(str(ref.get("name", "")), namespace=namespace)
    except errors.StatusError:
        return None
    if (owner.get("metadata") or {}).get("uid") != ref.get("uid"):
        return None
    return owner


def selecting(owners: Lister, namespace: str, labels: Mapping[str, str]) -> list[Mapping[str, Any]]:
    """The cached owners in ``namespace`` whose ``spec.selector`` selects ``labels`` (an
    empty or unparsable selector selects nothing): who may want to adopt an orphan."""
    found: list[Mapping[str, Any]] = []
    for owner in owners.list(namespace=namespace):
        raw = (owner.get("spec") or {}).get("selector")
        try:
            selector = label_selector_as_selector(raw)
        except SelectorParseError:
            continue
        if not selector.is_empty() and selector.matches(labels):
            found.append(owner)
    return found


def new_controller_ref(owner: Mapping[str, Any], api_version: str, kind: str) -> Obj:
    """The reference a controller puts on what it creates or adopts."""
    meta = owner.get("metadata") or {}
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


async def claim(
    owner: Mapping[str, Any],
    *,
    api_version: str,
    kind: str,
    selector: Selector,
    candidates: Sequence[Mapping[str, Any]],
    client: ResourceClient,
    recheck_owner: Callable[[], Awaitable[Mapping[str, Any]]],
    finalizers: Sequence[str] = (),
    also: Callable[[Mapping[str, Any]], bool] | None = None,
) -> list[Mapping[str, Any]]:
    """The candidates ``owner`` controls after adopting and releasing as needed.

    ``candidates`` are the objects in the owner's namespace (from a cache);
    ``client`` writes them; ``recheck_owner`` reads the owner from the API
    (not a cache). ``finalizers`` are added on adoption and removed on release
    (the Job controller's tracking finalizer). ``also``, if given, is a further
    test an object must pass besides the selector (upstream's claim filter: a
    StatefulSet claims only pods named after it). An object that vanished or
    changed under a patch is skipped: the next sync sees it as it is.
    """
    owner_meta = owner.get("metadata") or {}
    uid = owner_meta.get("uid")
    deleting = bool(owner_meta.get("deletionTimestamp"))
    checked = False
    claimed: list[Mapping[str, Any]] = []

    def matches(obj: Mapping[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return selector.matches(labels) and (also is None or also(obj))

    for obj in candidates:
        meta = obj.get("metadata") or {}
        ref = controller_of(obj)
        if ref is not None:
            if ref.get("uid") != uid:
                continue  # someone else's: not worth matching
            if deleting or matches(obj):
                claimed.append(obj)
                continue
            await _patch(client, obj, _release_patch(obj, str(uid), finalizers))
            continue
        if deleting or meta.get("deletionTimestamp") or not matches(obj):
            continue
        if not checked:
            fresh = await recheck_owner()
            fresh_meta = fresh.get("metadata") or {}
            if fresh_meta.get("uid") != uid or fresh_meta.get("deletionTimestamp"):
                return claimed  # replaced or being deleted: adopt nothing
            checked = True
        adopted = await _patch(client, obj, _adopt_patch(obj, owner, api_version, kind, finalizers))
        if adopted is not None:
            claimed.append(adopted)
    return claimed


def _adopt_patch(
    obj: Mapping[str, Any],
    owner: Mapping[str, Any],
    api_version: str,
    kind: str,
    finalizers: Sequence[str],
) -> Obj:
    # the object's uid in the patch: the patch fails if the object was replaced
    meta: Obj = {
        "ownerReferences": [new_controller_ref(owner, api_version, kind)],
        "uid": (obj.get("metadata") or {}).get("uid", ""),
    }
    if finalizers:
        meta["finalizers"] = list(finalizers)  # a merge list: added to the others
    return {"metadata": meta}


def _release_patch(obj: Mapping[str, Any], owner_uid: str, finalizers: Sequence[str]) -> Obj:
    meta: Obj = {
        "ownerReferences": [{"$patch": "delete", "uid": owner_uid}],
        "uid": (obj.get("metadata") or {}).get("uid", ""),
    }
    if finalizers:
        meta["$deleteFromPrimitiveList/finalizers"] = list(finalizers)
    return {"metadata": meta}


async def _patch(client: ResourceClient, obj: Mapping[str, Any], patch: Obj) -> Obj | None:
    meta = obj.get("metadata") or {}
    try:
        return await client.patch(
            str(meta.get("name", "")),
            json.dumps(patch).encode(),
            namespace=str(meta.get("namespace") or ""),
        )
    except errors.StatusError as err:
        if err.code in (404, 409, 422):
            return None  # gone or replaced since the cache saw it
        raise
