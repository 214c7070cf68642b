"""Field ownership after an ordinary write (create, update, patch).

Kubernetes' ``managedFieldsUpdater`` over structured-merge-diff's
``Updater.Update``: the writer takes every field whose value it changed or
added, whoever owned it before (an Update never conflicts), and those fields
leave every other entry; fields the write removed leave every entry. The
writer's fields join its existing Update entry (same manager, apiVersion and
subresource), whose time becomes ``now``; a write that changes nothing
tracked leaves managedFields as they were. Entries left empty are dropped.

The manager name is the caller's: the ``fieldManager`` query parameter, or
by default the user agent's program name (``kubectl``, from
``kubectl/v1.32.0 (linux/amd64) kubernetes/abc123``).
"""

from __future__ import annotations

from typing import Any

from kubeling.api.managedfields.fieldpath import compare, fields_v1_of
from kubeling.api.managedfields.managers import (
    UPDATE,
    Entry,
    decode,
    encode,
    reset_prefixes,
    untracked,
    untracked_v1,
)
from kubeling.api.schema import Object

__all__ = ["update"]


def _view(obj: dict[str, Any], subresource: str) -> dict[str, Any]:
    """``obj`` as ``without_reset`` sees it, sharing its values (read only here):
    copying whole objects on every write cost more than tracking them."""
    out = {k: v for k, v in obj.items() if (("f:" + k),) not in reset_prefixes(subresource)}
    meta = out.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out


def update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    manager: str,
    managed_fields: list[dict[str, Any]],
    type: Object,
    api_version: str,
    now: str,
    subresource: str = "",
) -> list[dict[str, Any]]:
    """The managedFields of ``new`` after ``manager`` wrote it over ``old`` (None: a create).

    ``managed_fields`` are the entries the object had (``old``'s, or those the
    request supplied). ValueError if they are malformed.
    """
    if old is None and not managed_fields:
        return _first_entry(new, manager, type, api_version, now, subresource)
    entries = decode(managed_fields)
    before = _view(old, subresource) if old is not None else None
    diff = compare(before, _view(new, subresource), type)
    changed = untracked(diff.changed(), subresource)
    taken = changed.union(diff.removed)
    entries = [e.with_fields(e.fields.difference(taken)) for e in entries]
    if changed:
        mine = Entry(manager, UPDATE, api_version, now, changed, subresource)
        for index, entry in enumerate(entries):
            if entry.key() == mine.key():
                entries[index] = mine.with_fields(entry.fields.union(changed))
                break
        else:
            entries.append(mine)
    return encode(entries)


def _first_entry(
    new: dict[str, Any], manager: str, type: Object, api_version: str, now: str, subresource: str
) -> list[dict[str, Any]]:
    """A create with no managedFields given: one entry owning every field written.

    The same result as the general path (``encode`` of one Update entry), in
    one walk of the object: creates are the API's hottest write.
    """
    fields = untracked_v1(fields_v1_of(_view(new, subresource), type), subresource)
    if not fields:
        return []
    raw: dict[str, Any] = {"manager": manager, "operation": UPDATE}
    if api_version:
        raw["apiVersion"] = api_version
    raw.update(time=now, fieldsType="FieldsV1", fieldsV1=fields)
    if subresource:
        raw["subresource"] = subresource
    return [raw]
