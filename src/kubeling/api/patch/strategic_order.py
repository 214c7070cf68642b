"""Ordering of merged lists, the part of strategic merge patch nobody guesses right.

Since Kubernetes 1.9 (the "preserve order in strategic merge patch" design) a
merged list is ordered, not appended to:

1. The merged items are split into *patch items* (named by the patch list, or
   by ``$setElementOrder`` when present) and *server-only items*.
2. Patch items are sorted by their position in the patch list or
   ``$setElementOrder``; server-only items by their position in the live list.
3. The two runs are interleaved by ``mergeSortedSlice``: while both have
   items, the server-only head goes first only if it *and* the patch head are
   both in the live list and the server-only head comes earlier there;
   otherwise the patch head goes first. So a brand-new item is emitted as soon
   as it reaches the head of its run, ahead of the remaining server-only items.

Examples (live list, patch list → result): ``[a, b]`` + ``[c]`` → ``[c, a,
b]``; ``[1, 2(b), 3]`` + ``[3, 1]`` → ``[2, 3, 1]``; with ``$setElementOrder
[a, x, b]`` over live ``[a, b, c]`` → ``[a, x, b, c]``.

Go sorts with a comparator that is inconsistent when an item is missing from
the order list; that never happens on the paths that reach it (patch items
are validated against the order list, server-only items come from the live
list). Here such items simply sort last, stably.
"""

from __future__ import annotations

from kubeling.api.patch.errors import PatchError
from kubeling.api.patch.json_value import (
    JSON,
    JSONArray,
    JSONKind,
    go_format,
    json_equal,
    json_kind,
)

__all__ = [
    "element_kind",
    "merge_key_equal",
    "no_merge_key",
    "normalize_element_order",
    "partition_by_presence",
]


def no_merge_key(item: JSON, merge_key: str) -> str:
    """The message of ``mergepatch.ErrNoMergeKey``.

    >>> no_merge_key({"image": "x"}, "name")
    'map: map[image:x] does not contain declared merge key: name'
    """
    return f"map: {go_format(item)} does not contain declared merge key: {merge_key}"


def element_kind(*lists: JSONArray) -> JSONKind:
    """The one element type shared by all ``lists`` (``sliceElementType``).

    >>> element_kind(["a"], ["b", "c"])
    'string'
    """
    kind: JSONKind | None = None
    for items in lists:
        for item in items:
            current = json_kind(item)
            if kind is None:
                if current == "array":
                    raise PatchError.unprocessable("lists of lists are not supported")
                kind = current
            elif current != kind:
                rendered = " ".join(go_format(list(items)) for items in lists)
                raise PatchError.internal(f"list element types are not identical: [{rendered}]")
    if kind is None:
        raise PatchError.internal("no elements in any of the given slices")
    return kind


def merge_key_equal(left: JSON, right: JSON, merge_key: str) -> bool:
    """Compare two items by merge key, or by value for primitives (no merge key)."""
    if not merge_key:
        return json_equal(left, right)
    for item in (left, right):
        if not isinstance(item, dict):
            raise PatchError.internal(
                f"expected a map[string]interface {{}}, but received a {json_kind(item)}"
            )
        if merge_key not in item:
            raise PatchError.internal(no_merge_key(item, merge_key))
    return json_equal(_key_value(left, merge_key), _key_value(right, merge_key))


def _key_value(item: JSON, merge_key: str) -> JSON:
    return item.get(merge_key) if isinstance(item, dict) else None


def partition_by_presence(
    items: JSONArray, present_in: JSONArray, merge_key: str
) -> tuple[JSONArray, JSONArray]:
    """Split ``items`` into those named in ``present_in`` and the rest, keeping order.

    >>> partition_by_presence([{"name": "a"}, {"name": "b"}], [{"name": "b"}], "name")
    ([{'name': 'b'}], [{'name': 'a'}])
    """
    named: JSONArray = []
    rest: JSONArray = []
    for item in items:
        if merge_key:
            if not isinstance(item, dict) or merge_key not in item:
                raise PatchError.internal(no_merge_key(item, merge_key))
            found = any(
                isinstance(other, dict)
                and merge_key in other
                and json_equal(other[merge_key], item[merge_key])
                for other in present_in
            )
        else:
            found = any(json_equal(other, item) for other in present_in)
        (named if found else rest).append(item)
    return named, rest


def normalize_element_order(
    patch_items: JSONArray,
    server_only: JSONArray,
    patch_order: JSONArray,
    server_order: JSONArray,
    merge_key: str,
    kind: JSONKind,
) -> JSONArray:
    """Sort both runs and interleave them as ``normalizeElementOrder`` does."""
    patch_items = _sorted_by(patch_items, patch_order, merge_key, kind)
    server_only = _sorted_by(server_only, server_order, merge_key, kind)
    return _interleave(server_only, patch_items, server_order, merge_key, kind)


def _identity(item: JSON, merge_key: str, kind: JSONKind) -> JSON:
    """What two items are compared by: the merge key value for maps, else the item."""
    if kind == "object":
        return item.get(merge_key) if isinstance(item, dict) else None
    return item


def _index(order: JSONArray, item: JSON, merge_key: str, kind: JSONKind) -> int:
    wanted = _identity(item, merge_key, kind)
    for position, candidate in enumerate(order):
        if json_equal(_identity(candidate, merge_key, kind), wanted):
            return position
    return -1


def _sorted_by(items: JSONArray, order: JSONArray, merge_key: str, kind: JSONKind) -> JSONArray:
    """Stable-sort ``items`` by position in ``order``; ``$patch: delete`` items go last."""
    deletes: JSONArray = []
    if kind == "object":
        for item in [*items, *order]:
            if not isinstance(item, dict):
                raise PatchError.internal(
                    f"expected a map[string]interface {{}}, but received a {json_kind(item)}"
                )
            if merge_key not in item:
                raise PatchError.internal(no_merge_key(item, merge_key))
        deletes = [item for item in items if _is_delete(item)]
        items = [item for item in items if not _is_delete(item)]

    def position(item: JSON) -> int:
        found = _index(order, item, merge_key, kind)
        return found if found >= 0 else len(order)

    return sorted(items, key=position) + deletes


def _is_delete(item: JSON) -> bool:
    return isinstance(item, dict) and item.get("$patch") == "delete"


def _interleave(
    left: JSONArray, right: JSONArray, server_order: JSONArray, merge_key: str, kind: JSONKind
) -> JSONArray:
    """Go's ``mergeSortedSlice`` with server-only items as ``left``, patch items as ``right``."""
    out: JSONArray = []
    i = j = 0
    while i < len(left) or j < len(right):
        if j >= len(right):
            out.append(left[i])
            i += 1
            continue
        if i >= len(left):
            out.append(right[j])
            j += 1
            continue
        left_at = _index(server_order, left[i], merge_key, kind)
        right_at = _index(server_order, right[j], merge_key, kind)
        if left_at >= 0 and right_at >= 0 and left_at < right_at:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out
