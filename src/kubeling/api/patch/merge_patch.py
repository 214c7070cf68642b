"""RFC 7386 JSON merge patch, as ``evanphx/json-patch.v4``'s ``MergePatch`` applies it.

``kubectl label``, ``kubectl annotate`` and most hand-written ``kubectl patch
--type=merge`` calls send merge patches: objects merge recursively, ``null``
deletes a member, anything else (arrays included) replaces. Custom resources
get this behaviour for strategic patches too (see :mod:`.strategic_schema`).

evanphx details kept here because clients can observe them:

* A value stored where nothing (or ``null``) was has its ``null`` object
  members and ``null`` array elements pruned, recursively; so does an object
  replacing a non-object. An array or scalar replacing an object is stored
  unpruned.
* A ``null`` or scalar patch is rejected with 400 "Invalid JSON Patch"; an
  array patch replaces the whole document (the handler then fails to decode
  it as an object).

:func:`create_merge_patch` mirrors ``CreateMergePatch``: the minimal patch that
turns one object into another, with ``null`` for removed members and whole
arrays for changed arrays.
"""

from __future__ import annotations

from kubeling.api.jsoncopy import copy_json
from kubeling.api.patch.errors import PatchError
from kubeling.api.patch.json_value import JSON, JSONObject, json_equal

__all__ = ["apply_merge_patch", "create_merge_patch"]

_BAD_PATCH = "Invalid JSON Patch"


def apply_merge_patch(document: JSON, patch: JSON) -> JSON:
    """Apply a merge patch to a copy of ``document``.

    >>> apply_merge_patch({"a": 1, "b": {"c": 2}}, {"a": None, "b": {"d": 3}})
    {'b': {'c': 2, 'd': 3}}
    """
    if patch is None or not isinstance(patch, dict | list):
        raise PatchError.bad_request(_BAD_PATCH)
    if isinstance(patch, list):
        return _pruned(patch)
    if not isinstance(document, dict):
        return _pruned(patch)
    result = copy_json(document)
    _merge_into(result, patch)
    return result


def create_merge_patch(original: JSONObject, modified: JSONObject) -> JSONObject:
    """Return the minimal merge patch turning ``original`` into ``modified``.

    >>> create_merge_patch({"a": 1, "b": [1], "c": {"d": 1}}, {"b": [2], "c": {"d": 1}})
    {'b': [2], 'a': None}
    """
    patch: JSONObject = {}
    for key, new in modified.items():
        if key not in original:
            patch[key] = copy_json(new)
            continue
        old = original[key]
        if isinstance(old, dict) and isinstance(new, dict):
            nested = create_merge_patch(old, new)
            if nested:
                patch[key] = nested
        elif not json_equal(old, new):
            patch[key] = copy_json(new)
    for key in original:
        if key not in modified:
            patch[key] = None
    return patch


def _merge_into(target: JSONObject, patch: JSONObject) -> None:
    """Merge ``patch`` into ``target`` in place (``mergeDocs``)."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
            continue
        current = target.get(key)
        if not isinstance(current, dict):
            target[key] = _pruned(value)
        elif not isinstance(value, dict):
            target[key] = copy_json(value)
        else:
            _merge_into(current, value)


def _pruned(value: JSON) -> JSON:
    """Copy ``value`` without ``null`` object members or array elements.

    >>> _pruned({"a": None, "b": [1, None, {"c": None}]})
    {'b': [1, {}]}
    """
    if isinstance(value, dict):
        return {key: _pruned(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_pruned(item) for item in value if item is not None]
    return value
