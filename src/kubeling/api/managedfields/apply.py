"""Server-side apply: merging an applied configuration and tracking who owns what.

Kubernetes' field manager stack over structured-merge-diff's
``Updater.Apply``, without versions (one apiVersion per object):

1. **Merge.** The applied configuration is merged onto the live object
   (:func:`~kubeling.api.managedfields.fieldpath.merge`); what the write
   cannot change (``status``, or ``spec`` through the status subresource) is
   dropped from it first.
2. **Prune.** Fields the applier owned through its previous apply and no
   longer applies are removed from the object, unless some manager (the
   applier included, through what it applies now) still owns them or
   something under them. Like ``EnsureNamedFieldsAreMembers``, an object
   field the applier owned something under counts as owned by it, so a
   struct it filled alone disappears as a whole.
3. **Conflicts.** Fields of other entries (Apply or Update, any other
   identity: the same name with another operation is another manager) whose
   value the result adds or changes are conflicts. Without ``force`` they
   raise :class:`~kubeling.api.managedfields.errors.ApplyConflict`; with
   it, they leave those entries. Applying a value equal to the live one is
   not a conflict: both managers then own the field.
4. **Ownership.** The applier's Apply entry becomes exactly the applied
   field set, stamped ``now``; removed fields leave every entry; empty
   entries are dropped; entries are sorted as Kubernetes stores them.

When the live object has no managedFields at all (it predates them), its
fields are first given to an Update entry ``before-first-apply``, as
Kubernetes does, so an apply can conflict with them.

List-map items are named by their keys, a key left out by its declared
default (a port applied without ``protocol`` is the live ``protocol: TCP``
one). Not modelled: version conversion of entries and kubectl's
last-applied-configuration upgrade.
"""

from __future__ import annotations

from typing import Any

from kubeling.api.managedfields.errors import ApplyConflict, Conflict
from kubeling.api.managedfields.fieldpath import (
    FieldSet,
    Path,
    compare,
    from_object,
    merge,
    remove_path,
    render_path,
)
from kubeling.api.managedfields.managers import (
    APPLY,
    UPDATE,
    Entry,
    decode,
    encode,
    untracked,
    without_managed_fields,
    without_reset,
)
from kubeling.api.schema import Object

__all__ = ["BEFORE_FIRST_APPLY", "apply"]

BEFORE_FIRST_APPLY = "before-first-apply"


def apply(
    live: dict[str, Any] | None,
    applied: dict[str, Any],
    *,
    manager: str,
    managed_fields: list[dict[str, Any]],
    type: Object,
    api_version: str,
    force: bool,
    now: str,
    subresource: str = "",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``live`` (None: a create) after ``manager`` applied ``applied``, and its managedFields.

    ``managed_fields`` are ``live``'s entries. The returned object carries the
    returned entries in ``metadata.managedFields`` (absent when empty).
    Neither input is changed. Raises ApplyConflict (see the module notes),
    and ValueError for malformed managedFields.
    """
    entries = decode(managed_fields)
    current = without_managed_fields(live) if live is not None else {}
    if live is not None and not entries:
        owned = untracked(from_object(without_reset(current, subresource), type), subresource)
        if owned:
            entries.append(Entry(BEFORE_FIRST_APPLY, UPDATE, api_version, now, owned))
    config = without_reset(applied, subresource)

    mine = Entry(manager, APPLY, api_version, now, FieldSet(), subresource)
    last = next((e.fields for e in entries if e.key() == mine.key()), FieldSet())
    others = [e for e in entries if e.key() != mine.key()]
    applied_all = from_object(config, type)
    mine = mine.with_fields(untracked(applied_all, subresource))

    result = merge(current, config, type)
    owned_now = applied_all
    for entry in others:
        owned_now = owned_now.union(entry.fields)
    _prune(result, last, owned_now, subresource)

    diff = compare(current, result, type)
    changed = diff.changed()
    conflicts: list[Conflict] = []
    taken: dict[tuple[str, str, str, str], FieldSet] = {}
    for entry in others:
        lost = entry.fields.intersection(changed)
        if lost:
            taken[entry.key()] = lost
            conflicts.extend(
                Conflict(
                    entry.manager,
                    render_path(p),
                    entry.operation,
                    entry.api_version,
                    entry.subresource,
                )
                for p in lost
            )
    if conflicts and not force:
        raise ApplyConflict(conflicts)

    kept = [
        e.with_fields(e.fields.difference(taken.get(e.key(), FieldSet())).difference(diff.removed))
        for e in others
    ]
    encoded = encode([*kept, mine])
    meta = result.setdefault("metadata", {})
    if encoded:
        meta["managedFields"] = encoded
    return result, encoded


def _prune(obj: dict[str, Any], last: FieldSet, owned: FieldSet, subresource: str) -> None:
    """Remove, in place, what only the applier's previous apply owned."""
    if not last:
        return
    named = {p[:n] for p in last.paths for n in range(1, len(p)) if p[n - 1].startswith("f:")}
    candidates = untracked(FieldSet(last.paths | named), subresource)
    has_owned_children = owned.prefixes()
    removed: list[Path] = []
    for path in sorted(candidates.paths, key=len):
        if path in owned or path in has_owned_children:
            continue
        if any(path[: len(r)] == r for r in removed):
            continue
        if remove_path(obj, path):
            removed.append(path)
