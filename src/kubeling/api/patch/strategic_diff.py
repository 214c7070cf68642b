"""Creating strategic merge patches: what kubectl computes before it sends one.

:func:`create_two_way_merge_patch` is ``CreateTwoWayMergeMapPatch`` (used by
``kubectl edit``, ``kubectl diff`` and tests): the patch that turns
``original`` into ``modified``. :func:`create_three_way_merge_patch` is
``CreateThreeWayMergePatch`` with ``overwrite=true``, the patch client-side
``kubectl apply`` sends: changes from the live object to the new manifest,
plus deletions of what the last-applied configuration had and the manifest
dropped; fields only the server or other writers set are left alone.

What the patch contains, per field of ``modified`` against ``original``:

* added or changed scalars, replaced lists and maps with strategy ``replace``:
  the new value; removed keys: ``null``;
* maps: the nested patch; with strategy ``retainKeys`` also ``$retainKeys``
  listing the modified map's non-null keys (sorted), when anything changed or
  the original has keys to clear;
* merge lists of maps: changed items (only their changed fields plus the merge
  key), new items whole, ``{<key>: v, "$patch": "delete"}`` for removed items,
  and ``$setElementOrder/<field>`` with the merge keys of all modified items;
* merge lists of primitives: added values, ``$deleteFromPrimitiveList/<field>``
  for removed ones and ``$setElementOrder/<field>`` with the whole new list.

Not supported: ``overwrite=false`` conflict detection (kubectl apply always
overwrites) and preconditions.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

from kubeling.api.goformat import go_value
from kubeling.api.patch.errors import PatchError
from kubeling.api.patch.json_value import JSON, JSONArray, JSONObject, json_equal, json_kind
from kubeling.api.patch.strategic import (
    DELETE_FROM_PRIMITIVE_LIST,
    DIRECTIVE,
    RETAIN_KEYS,
    SET_ELEMENT_ORDER,
    MergeOptions,
    merge_map,
)
from kubeling.api.patch.strategic_order import element_kind, no_merge_key
from kubeling.api.patch.strategic_schema import NO_SCHEMA, PatchMeta, parse_patch_strategy

__all__ = ["create_three_way_merge_patch", "create_two_way_merge_patch"]


@dataclass(frozen=True)
class _DiffOptions:
    set_element_order: bool = True
    ignore_changes_and_additions: bool = False
    ignore_deletions: bool = False
    build_retain_keys: bool = False


def create_two_way_merge_patch(
    original: JSONObject, modified: JSONObject, meta: PatchMeta = NO_SCHEMA
) -> JSONObject:
    """Return the strategic merge patch that turns ``original`` into ``modified``.

    >>> create_two_way_merge_patch({"a": 1, "b": 2}, {"a": 1, "c": 3})
    {'c': 3, 'b': None}
    """
    return _diff_maps(original, modified, meta, _DiffOptions())


def create_three_way_merge_patch(
    original: JSONObject,
    modified: JSONObject,
    current: JSONObject,
    meta: PatchMeta = NO_SCHEMA,
) -> JSONObject:
    """Return the patch ``kubectl apply`` sends (original = last-applied, current = live).

    >>> create_three_way_merge_patch({"a": 1}, {"b": 2}, {"a": 1, "other": 3})
    {'a': None, 'b': 2}
    """
    delta = _diff_maps(current, modified, meta, _DiffOptions(ignore_deletions=True))
    deletions = _diff_maps(
        original, modified, meta, _DiffOptions(ignore_changes_and_additions=True)
    )
    client_side = MergeOptions(merge_parallel_list=False, ignore_unmatched_nulls=False)
    return merge_map(deletions, delta, meta, client_side)


def _diff_maps(
    original: JSONObject, modified: JSONObject, meta: PatchMeta, options: _DiffOptions
) -> JSONObject:
    patch: JSONObject = {}
    retained: list[str] = []
    for key, new in modified.items():
        if options.build_retain_keys and new is not None:
            retained.append(key)
        if key not in original:
            if not options.ignore_changes_and_additions:
                patch[key] = copy.deepcopy(new)
            continue
        old = original[key]
        if key == DIRECTIVE:
            if not isinstance(old, str) or not isinstance(new, str):
                raise PatchError.internal(f"invalid value for special key: {DIRECTIVE}")
            if old != new:
                patch[key] = new
            continue
        if json_kind(old) != json_kind(new):
            if not options.ignore_changes_and_additions:
                patch[key] = copy.deepcopy(new)
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            _diff_map_field(key, old, new, patch, meta, options)
        elif isinstance(old, list) and isinstance(new, list):
            _diff_list_field(key, old, new, patch, meta, options)
        elif not options.ignore_changes_and_additions and not json_equal(old, new):
            patch[key] = new
    if not options.ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    if retained and (patch or _has_extra_field(original, modified)):
        patch[RETAIN_KEYS] = list[JSON](sorted(retained))
    return patch


def _has_extra_field(original: JSONObject, modified: JSONObject) -> bool:
    return any(value is not None and key not in modified for key, value in original.items())


def _diff_map_field(
    key: str,
    old: JSONObject,
    new: JSONObject,
    patch: JSONObject,
    meta: PatchMeta,
    options: _DiffOptions,
) -> None:
    field = meta.child(key)
    retain, strategy = parse_patch_strategy(field.patch_strategy)
    if strategy == "replace":
        if not options.ignore_changes_and_additions:
            patch[key] = copy.deepcopy(new)
        return
    nested = _diff_maps(old, new, field, replace(options, build_retain_keys=retain))
    if nested:
        patch[key] = nested


def _diff_list_field(
    key: str,
    old: JSONArray,
    new: JSONArray,
    patch: JSONObject,
    meta: PatchMeta,
    options: _DiffOptions,
) -> None:
    field = meta.child(key)
    retain, strategy = parse_patch_strategy(field.patch_strategy)
    if strategy != "merge":
        if not options.ignore_changes_and_additions and not json_equal(old, new):
            patch[key] = copy.deepcopy(new)
        return
    nested = replace(options, build_retain_keys=retain)
    additions, deletions, order = _diff_lists(old, new, field, nested)
    if additions:
        patch[key] = additions
    if deletions:
        patch[f"{DELETE_FROM_PRIMITIVE_LIST}/{key}"] = deletions
    if order:
        patch[f"{SET_ELEMENT_ORDER}/{key}"] = order


def _diff_lists(
    old: JSONArray, new: JSONArray, field: PatchMeta, options: _DiffOptions
) -> tuple[JSONArray, JSONArray, JSONArray]:
    """Return (patch list, primitive deletion list, element order) for a merge list."""
    if not old:
        if not new or options.ignore_changes_and_additions:
            return [], [], []
        return copy.deepcopy(new), [], []
    kind = element_kind(old, new)
    merge_key = field.patch_merge_key
    order: JSONArray = []
    if kind == "object":
        changes, deletions = _diff_keyed(old, new, field.list_item(), merge_key, options)
        changes = _sorted_like(changes, new, merge_key)
        order_same = _order_same(old, new, merge_key)
        changes += deletions
        content = not options.ignore_changes_and_additions and (changes or not order_same)
        removal = not options.ignore_deletions and changes
        if options.set_element_order and (content or removal):
            order = [{merge_key: _key_of(item, merge_key)} for item in new]
        return changes, [], order
    additions, removed = _diff_scalars(old, new, options)
    additions = _sorted_like(additions, new, "")
    changed = not options.ignore_changes_and_additions and not json_equal(old, new)
    if options.set_element_order and ((not options.ignore_deletions and removed) or changed):
        order = copy.deepcopy(new)
    return additions, removed, order


def _key_of(item: JSON, merge_key: str) -> JSON:
    if not isinstance(item, dict) or merge_key not in item:
        raise PatchError.internal(no_merge_key(item, merge_key))
    return item[merge_key]


def _sort_text(value: JSON) -> str:
    """Go sorts merge-list items by the ``%v`` text of their key."""
    return go_value(value)


def _diff_keyed(
    old: JSONArray, new: JSONArray, item_meta: PatchMeta, merge_key: str, options: _DiffOptions
) -> tuple[JSONArray, JSONArray]:
    """Walk both lists sorted by merge key text, as ``diffListsOfMaps`` does."""
    old_sorted = sorted(old, key=lambda item: _sort_text(_key_of(item, merge_key)))
    new_sorted = sorted(new, key=lambda item: _sort_text(_key_of(item, merge_key)))
    changes: JSONArray = []
    deletions: JSONArray = []
    i = j = 0
    while i < len(old_sorted) or j < len(new_sorted):
        old_text = _sort_text(_key_of(old_sorted[i], merge_key)) if i < len(old_sorted) else None
        new_text = _sort_text(_key_of(new_sorted[j], merge_key)) if j < len(new_sorted) else None
        if old_text is not None and old_text == new_text:
            before, after = _as_map(old_sorted[i]), _as_map(new_sorted[j])
            nested = _diff_maps(before, after, item_meta, options)
            if nested:
                nested[merge_key] = after[merge_key]
                changes.append(nested)
            i += 1
            j += 1
        elif new_text is not None and (old_text is None or old_text > new_text):
            if not options.ignore_changes_and_additions:
                changes.append(copy.deepcopy(new_sorted[j]))
            j += 1
        else:
            if not options.ignore_deletions:
                gone = _key_of(old_sorted[i], merge_key)
                deletions.append({merge_key: gone, DIRECTIVE: "delete"})
            i += 1
    return changes, deletions


def _diff_scalars(
    old: JSONArray, new: JSONArray, options: _DiffOptions
) -> tuple[JSONArray, JSONArray]:
    """Added and removed primitives, compared by ``%v`` text as ``diffListsOfScalars`` does."""
    old_sorted = sorted(old, key=_sort_text)
    new_sorted = sorted(new, key=_sort_text)
    additions: JSONArray = []
    removed: JSONArray = []
    i = j = 0
    while i < len(old_sorted) or j < len(new_sorted):
        old_text = _sort_text(old_sorted[i]) if i < len(old_sorted) else None
        new_text = _sort_text(new_sorted[j]) if j < len(new_sorted) else None
        if old_text is not None and old_text == new_text:
            i += 1
            j += 1
        elif new_text is not None and (old_text is None or old_text > new_text):
            if not options.ignore_changes_and_additions:
                additions.append(new_sorted[j])
            j += 1
        else:
            if not options.ignore_deletions and not any(
                json_equal(seen, old_sorted[i]) for seen in removed
            ):
                removed.append(old_sorted[i])
            i += 1
    return additions, removed


def _sorted_like(items: JSONArray, order: JSONArray, merge_key: str) -> JSONArray:
    """Stable-sort ``items`` by their position in ``order`` (``normalizeSliceOrder``)."""

    def position(item: JSON) -> int:
        for index, candidate in enumerate(order):
            if merge_key:
                if _key_matches(candidate, item, merge_key):
                    return index
            elif json_equal(candidate, item):
                return index
        return len(order)

    return sorted(items, key=position)


def _key_matches(left: JSON, right: JSON, merge_key: str) -> bool:
    if not isinstance(left, dict) or not isinstance(right, dict):
        return False
    return json_equal(left.get(merge_key), right.get(merge_key))


def _as_map(item: JSON) -> JSONObject:
    if not isinstance(item, dict):
        kind = json_kind(item)
        raise PatchError.internal(f"expected a map[string]interface {{}}, but received a {kind}")
    return item


def _order_same(old: JSONArray, new: JSONArray, merge_key: str) -> bool:
    if len(old) != len(new):
        return False
    return all(
        json_equal(_key_of(before, merge_key), _key_of(after, merge_key))
        for before, after in zip(old, new, strict=True)
    )
