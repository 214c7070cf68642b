"""Strategic merge patch: JSON merge patch that knows how to merge lists.

This is ``StrategicMergeMapPatch`` from ``k8s.io/apimachinery`` (the server
side of ``kubectl apply``/``kubectl patch``), rebuilt over a :class:`PatchMeta`
schema cursor instead of Go struct tags. Per field, by the schema's strategy:

* maps merge recursively, ``null`` deletes a key; strategy ``replace`` on a map
  takes the patch's map whole;
* lists with strategy ``merge`` and a merge key merge item by item: a patch
  item updates the live item with the same key, or is added; lists of
  primitives with strategy ``merge`` are a de-duplicated union;
* every other list is replaced.

Directives the patch may carry:

* ``$patch: replace`` in a map replaces the map; as a list item it replaces
  the list with the remaining patch items.
* ``$patch: delete`` in a map deletes the map's content (the key stays, as
  ``{}``); as a list item it deletes the live items with that merge key.
* ``$patch: merge`` is *rejected*, as Kubernetes rejects it: in a map it is an
  "unknown patch type", in a list "merging lists cannot yet be specified".
* ``$retainKeys: [...]`` drops live keys not listed, then merges; every
  non-null patch key must be listed (400 otherwise).
* ``$deleteFromPrimitiveList/<field>: [...]`` removes those primitives.
* ``$setElementOrder/<field>: [...]`` orders the merged list, see
  :mod:`.strategic_order`.

Kubernetes quirks kept: without ``$setElementOrder``, new items of a merged
list come *before* the live items the patch does not mention (Go's
``mergeSortedSlice`` places unknown items first), a primitive merge dedupes the
live list too, and a map value under a missing key that carries ``$patch`` is
dropped entirely.

Deliberate difference: values that enter the object without being merged
(new keys, replaced lists and maps, new list items) are cleaned of ``null``
members and directive keys here. Kubernetes leaves them in the map it builds
and lets the typed decoder discard them as unknown or empty fields; kubeling
stores what the engine returns, so it cleans first.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubeling.api.jsoncopy import copy_json
from kubeling.api.patch.errors import PatchError
from kubeling.api.patch.json_value import (
    JSON,
    JSONArray,
    JSONKind,
    JSONObject,
    go_format,
    json_equal,
    json_kind,
    json_type_name,
)
from kubeling.api.patch.strategic_order import (
    element_kind,
    merge_key_equal,
    no_merge_key,
    normalize_element_order,
    partition_by_presence,
)
from kubeling.api.patch.strategic_schema import NO_SCHEMA, PatchMeta, parse_patch_strategy

__all__ = ["MergeOptions", "apply_strategic_merge_patch", "merge_map"]

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"

_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
_BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"


@dataclass(frozen=True)
class MergeOptions:
    """How :func:`merge_map` treats directives and nulls.

    The server applies patches with both flags on. kubectl's three-way patch
    merges two *patches* with both off, so directives and nulls survive.
    """

    merge_parallel_list: bool = True
    ignore_unmatched_nulls: bool = True


SERVER = MergeOptions()


def apply_strategic_merge_patch(
    original: JSONObject, patch: JSON, meta: PatchMeta = NO_SCHEMA
) -> JSONObject:
    """Apply a strategic merge patch to a copy of ``original``.

    A ``null`` patch changes nothing and a non-object patch is a 400, as in Kubernetes.

    >>> from kubeling.api.patch.strategic_schema import SchemaPatchMeta
    >>> meta = SchemaPatchMeta({"properties": {"containers": {
    ...     "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"}}})
    >>> apply_strategic_merge_patch(
    ...     {"containers": [{"name": "a", "image": "x"}]},
    ...     {"containers": [{"name": "a", "image": "y"}]}, meta)
    {'containers': [{'name': 'a', 'image': 'y'}]}
    """
    if patch is None:
        return copy_json(original)
    if not isinstance(patch, dict):
        raise PatchError.bad_request(
            f"json: cannot unmarshal {json_type_name(patch)} into Go value of type "
            "map[string]interface {}"
        )
    return merge_map(copy_json(original), copy_json(patch), meta, SERVER)


def merge_map(
    original: JSONObject, patch: JSONObject, meta: PatchMeta, options: MergeOptions
) -> JSONObject:
    """Merge ``patch`` into ``original``, consuming both (callers pass copies)."""
    if DIRECTIVE in patch:
        return _map_directive(patch, options)
    _apply_retain_keys(original, patch, options)
    _merge_ordered_lists(original, patch, meta, options)
    for key, value in list(patch.items()):
        is_delete_list = False
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
            if not options.merge_parallel_list:
                original[key] = value
                continue
            key = _field_of(key, DELETE_FROM_PRIMITIVE_LIST, _BAD_PRIMITIVE_LIST)
            is_delete_list = True
        if value is None:
            original.pop(key, None)
            if options.ignore_unmatched_nulls:
                continue
        current = original.get(key) if key in original else _ABSENT
        if current is _ABSENT or _shape(current) != _shape(value):
            if not is_delete_list:
                _store_new(original, key, value, options)
            continue
        if isinstance(current, dict) and isinstance(value, dict):
            field = meta.child(key)
            _, strategy = parse_patch_strategy(field.patch_strategy)
            if strategy == "replace":
                original[key] = _clean(value, options)
            else:
                original[key] = merge_map(current, value, field, options)
        elif isinstance(current, list) and isinstance(value, list):
            field = meta.child(key)
            original[key] = merge_list_field(current, value, field, is_delete_list, options)
        else:
            _store_new(original, key, value, options)
    return original


def merge_list_field(
    original: JSONArray,
    patch: JSONArray,
    field: PatchMeta,
    is_delete_list: bool,
    options: MergeOptions,
) -> JSONArray:
    """Merge or replace one list field according to its strategy (``mergeSliceHandler``)."""
    _, strategy = parse_patch_strategy(field.patch_strategy)
    if strategy == "merge" or is_delete_list:
        return _merge_list(original, patch, field, is_delete_list, options)
    return _clean_list(patch, options)


class _Absent:
    """Marks a key missing from a map (``None`` is a real JSON value)."""


_ABSENT: JSON | _Absent = _Absent()


def _shape(value: JSON | _Absent) -> str:
    """Group values the way Go's type switch on decoded JSON does for merging."""
    if isinstance(value, _Absent):
        return "absent"
    kind: JSONKind = json_kind(value)
    return kind if kind in ("object", "array") else f"scalar:{kind}"


def _store_new(target: JSONObject, key: str, value: JSON, options: MergeOptions) -> None:
    """Store a value that is not merged; a map carrying ``$patch`` is dropped instead."""
    if isinstance(value, dict) and DIRECTIVE in value:
        target.pop(key, None)
        return
    target[key] = _clean(value, options)


def _clean(value: JSON, options: MergeOptions) -> JSON:
    """Drop directive-carrying maps everywhere, and on the server nulls and directive keys.

    >>> _clean({"a": None, "l": [{"$patch": "delete"}, 1], "$retainKeys": ["l"]}, SERVER)
    {'l': [1]}
    """
    if isinstance(value, dict):
        return _clean_map(value, options)
    if isinstance(value, list):
        return _clean_list(value, options)
    return value


def _clean_map(value: JSONObject, options: MergeOptions) -> JSONObject:
    out: JSONObject = {}
    for key, item in value.items():
        if options.ignore_unmatched_nulls and (item is None or _is_directive_key(key)):
            continue
        if isinstance(item, dict) and DIRECTIVE in item:
            continue
        out[key] = _clean(item, options)
    return out


def _clean_list(value: JSONArray, options: MergeOptions) -> JSONArray:
    return [
        _clean(item, options)
        for item in value
        if not (isinstance(item, dict) and DIRECTIVE in item)
    ]


def _maps(items: JSONArray) -> list[JSONObject]:
    """Narrow a list already checked to hold only objects (``element_kind`` said so)."""
    out: list[JSONObject] = []
    for item in items:
        if not isinstance(item, dict):
            raise PatchError.internal(_bad_arg_type("map[string]interface {}", item))
        out.append(item)
    return out


def _is_directive_key(key: str) -> bool:
    return key in (DIRECTIVE, RETAIN_KEYS) or key.startswith(
        (f"{DELETE_FROM_PRIMITIVE_LIST}/", f"{SET_ELEMENT_ORDER}/")
    )


def _map_directive(patch: JSONObject, options: MergeOptions) -> JSONObject:
    """Handle ``$patch`` in a map: replace takes the patch, delete empties the map."""
    directive = patch[DIRECTIVE]
    if directive == "replace":
        del patch[DIRECTIVE]
        return _clean_map(patch, options)
    if directive == "delete":
        return {}
    raise PatchError.internal(_unknown_patch_type(directive, patch))


def _unknown_patch_type(directive: JSON, where: JSONObject) -> str:
    """The message of ``mergepatch.ErrBadPatchType``."""
    return f"unknown patch type: {go_format(directive)} in map: {go_format(where)}"


def _field_of(key: str, prefix: str, message: str) -> str:
    """Strip a ``prefix/`` from a parallel-list key; the prefix must match exactly."""
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        raise PatchError.bad_request(message)
    return rest


def _apply_retain_keys(original: JSONObject, patch: JSONObject, options: MergeOptions) -> None:
    """Honour ``$retainKeys``: drop live keys not listed (``applyRetainKeysDirective``)."""
    if RETAIN_KEYS not in patch:
        return
    retain = patch.pop(RETAIN_KEYS)
    if not options.merge_parallel_list:
        if RETAIN_KEYS not in original:
            original[RETAIN_KEYS] = retain
        elif not json_equal(original[RETAIN_KEYS], retain):
            raise PatchError.internal(
                f"{go_format(original[RETAIN_KEYS])} and {go_format(retain)} are not deep equal: "
                "this may happen when calculating the 3-way diff patch"
            )
        return
    if not isinstance(retain, list):
        raise PatchError.bad_request(_BAD_RETAIN_KEYS)
    kept = {item for item in retain if isinstance(item, str)}
    for key, value in patch.items():
        if value is None or key.startswith((DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)):
            continue
        if key not in kept:
            raise PatchError.bad_request(_BAD_RETAIN_KEYS)
    for key in [key for key in original if key not in kept]:
        del original[key]


def _merge_ordered_lists(
    original: JSONObject, patch: JSONObject, meta: PatchMeta, options: MergeOptions
) -> None:
    """Merge and order every list named by ``$setElementOrder`` (``mergePatchIntoOriginal``)."""
    for key in [key for key in patch if key.startswith(SET_ELEMENT_ORDER)]:
        order = patch.pop(key)
        if not options.merge_parallel_list:
            if key not in original:
                original[key] = order
            elif not json_equal(original[key], order):
                raise PatchError.bad_request(_BAD_SET_ELEMENT_ORDER)
        if not isinstance(order, list):
            raise PatchError.internal(_bad_arg_type("[]interface {}", order))
        name = _field_of(key, SET_ELEMENT_ORDER, _BAD_SET_ELEMENT_ORDER)
        live = _list_or_none(original, name)
        patched = _list_or_none(patch, name)
        field = meta.child(name)
        merge_key = field.patch_merge_key
        _validate_order(patched or [], order, merge_key)
        if live is not None and patched is not None:
            merged = merge_list_field(live, patched, field, False, options)
        elif live is not None:
            merged = live
        elif patched is not None:
            merged = _clean_list(patched, options)
        else:
            continue
        in_order, server_only = partition_by_presence(merged, order, merge_key)
        kind = element_kind(live or [], patched or [])
        original[name] = normalize_element_order(
            in_order, server_only, order, live or [], merge_key, kind
        )
        patch.pop(name, None)


def _list_or_none(source: JSONObject, name: str) -> JSONArray | None:
    if name not in source:
        return None
    value = source[name]
    if not isinstance(value, list):
        raise PatchError.internal(_bad_arg_type("[]interface {}", value))
    return value


def _bad_arg_type(expected: str, actual: JSON) -> str:
    go_types = {
        "object": "map[string]interface {}",
        "array": "[]interface {}",
        "string": "string",
        "int": "int64",
        "float": "float64",
        "bool": "bool",
        "null": "%!s(<nil>)",
    }
    return f"expected a {expected}, but received a {go_types[json_kind(actual)]}"


def _validate_order(patch_list: JSONArray, order: JSONArray, merge_key: str) -> None:
    """Check patch items appear in ``$setElementOrder`` in the same relative order."""
    if not order or not patch_list:
        return
    items = patch_list
    if merge_key:
        for item in patch_list:
            if not isinstance(item, dict):
                raise PatchError.internal(_bad_arg_type("map[string]interface {}", item))
        items = [item for item in patch_list if not _is_delete_item(item)]
    at_patch = at_order = 0
    while at_patch < len(items) and at_order < len(order):
        item = items[at_patch]
        if isinstance(item, dict) and DIRECTIVE in item:
            at_patch += 1
            continue
        if merge_key_equal(item, order[at_order], merge_key):
            at_patch += 1
        at_order += 1
    if at_patch < len(items):
        raise PatchError.internal(
            f"The order in patch list:\n{go_format(patch_list)}\n doesn't match "
            f"{SET_ELEMENT_ORDER} list:\n{go_format(order)}\n"
        )


def _is_delete_item(item: JSON) -> bool:
    return isinstance(item, dict) and item.get(DIRECTIVE) == "delete"


def _merge_list(
    original: JSONArray,
    patch: JSONArray,
    field: PatchMeta,
    is_delete_list: bool,
    options: MergeOptions,
) -> JSONArray:
    """Merge two lists of one element type and order the result (``mergeSlice``)."""
    if not original and not patch:
        return original
    kind = element_kind(original, patch)
    merge_key = field.patch_merge_key
    if kind != "object":
        if options.merge_parallel_list and is_delete_list:
            return [item for item in original if not _contains(patch, item)]
        merged = _dedupe(original + patch)
    else:
        if not merge_key:
            raise PatchError.internal("cannot merge lists without merge key for a list of objects")
        original, patch = _apply_item_directives(original, patch, merge_key, options)
        merged = _merge_items(original, patch, merge_key, field.list_item(), options)
    in_patch, server_only = partition_by_presence(merged, patch, merge_key)
    return normalize_element_order(in_patch, server_only, patch, original, merge_key, kind)


def _contains(items: JSONArray, value: JSON) -> bool:
    return any(json_equal(item, value) for item in items)


def _dedupe(items: JSONArray) -> JSONArray:
    out: JSONArray = []
    for item in items:
        if not _contains(out, item):
            out.append(item)
    return out


def _apply_item_directives(
    original: JSONArray, patch: JSONArray, merge_key: str, options: MergeOptions
) -> tuple[JSONArray, JSONArray]:
    """Run ``$patch`` list items; return the live list and the plain patch items left."""
    plain: JSONArray = []
    replace = False
    for item in _maps(patch):
        if DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise PatchError.internal(no_merge_key(item, merge_key))
            doomed = item[merge_key]
            original = [live for live in original if not _has_key_value(live, merge_key, doomed)]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise PatchError.internal("merging lists cannot yet be specified in the patch")
        else:
            raise PatchError.internal(_unknown_patch_type(directive, item))
    if replace:
        return _clean_list(plain, options), []
    return original, plain


def _merge_items(
    original: JSONArray,
    patch: JSONArray,
    merge_key: str,
    item_meta: PatchMeta,
    options: MergeOptions,
) -> JSONArray:
    """Merge each patch item into the live item with its key, or append it."""
    merged = list(original)
    for item in _maps(patch):
        if merge_key not in item:
            raise PatchError.internal(no_merge_key(item, merge_key))
        index = _find_by_key(merged, merge_key, item[merge_key])
        if index is None:
            merged.append(_clean_map(item, options))
        else:
            live = _maps([merged[index]])[0]
            merged[index] = merge_map(live, item, item_meta, options)
    return merged


def _has_key_value(item: JSON, merge_key: str, value: JSON) -> bool:
    return isinstance(item, dict) and merge_key in item and json_equal(item[merge_key], value)


def _find_by_key(items: JSONArray, merge_key: str, value: JSON) -> int | None:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise PatchError.internal(f"value for key {index} is not a map.")
        if merge_key in item and json_equal(item[merge_key], value):
            return index
    return None
