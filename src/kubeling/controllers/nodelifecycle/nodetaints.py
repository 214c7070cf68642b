"""Adding and removing a node's taints (``controller.AddOrUpdateTaintOnNode``,
``RemoveTaintOffNode``, ``SwapNodeControllerTaint``).

``spec.taints`` is an atomic list, so a change is a patch carrying the whole
new list and the ``resourceVersion`` it was computed from: a concurrent change
is a 409, and the change is recomputed from a fresh read (five tries, as
``RetryOnConflict``). Taints the controller adds carry ``timeAdded``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.taints import same_taint
from kubeling.client import PatchType, ResourceClient

__all__ = ["taints_after", "update_node_taints"]

Obj = dict[str, Any]

_TRIES: Final = 5


def taints_after(
    taints: Sequence[Mapping[str, Any]],
    add: Sequence[Mapping[str, Any]],
    remove: Sequence[Mapping[str, Any]],
) -> list[Obj]:
    """``taints`` with ``add`` added (replacing a same key/effect taint that differs) and
    ``remove`` removed (by key and effect).

    >>> taints_after([{"key": "a", "effect": "NoSchedule"}], [{"key": "b", "effect": "NoExecute"}],
    ...              [{"key": "a", "effect": "NoSchedule"}])
    [{'key': 'b', 'effect': 'NoExecute'}]
    """
    result = [dict(t) for t in taints]
    for taint in add:
        for index, existing in enumerate(result):
            if same_taint(existing, taint):
                result[index] = dict(taint)
                break
        else:
            result.append(dict(taint))
    return [t for t in result if not any(same_taint(t, r) for r in remove)]


async def update_node_taints(
    nodes: ResourceClient,
    node: Mapping[str, Any],
    *,
    add: Sequence[Mapping[str, Any]] = (),
    remove: Sequence[Mapping[str, Any]] = (),
    now_text: str,
) -> bool:
    """Add ``add`` (stamped ``timeAdded: now_text``) and remove ``remove`` on the node;
    whether anything was written. ``node`` is the cached copy tried first."""
    stamped = [{**t, "timeAdded": now_text} for t in add]
    current: Mapping[str, Any] = node
    name = str((node.get("metadata") or {}).get("name", ""))
    for attempt in range(_TRIES):
        if attempt:
            current = await nodes.get(name)
        taints = list((current.get("spec") or {}).get("taints") or [])
        # a taint already there (same key and effect) is not added again
        wanted = [t for t in stamped if not any(same_taint(t, e) for e in taints)]
        new = taints_after(taints, wanted, remove)
        if new == taints:
            return False
        patch = {
            "metadata": {"resourceVersion": (current.get("metadata") or {}).get("resourceVersion")},
            "spec": {"taints": new or None},
        }
        try:
            await nodes.patch(name, patch, patch_type=PatchType.MERGE)
        except errors.StatusError as err:
            if errors.is_conflict(err) and attempt < _TRIES - 1:
                continue
            raise
        return True
    return False
