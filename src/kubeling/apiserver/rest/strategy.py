"""What happens to an object on create, update and delete: a resource's strategy.

The generic REST machinery (``resource_store``) is the same for every
resource; what differs is here, as in Kubernetes' ``rest.RESTCreateStrategy``
and friends:

- ``default``: fill in defaults (a Pod's ``restartPolicy: Always``...).
- ``prepare_for_create`` / ``prepare_for_update``: the spec/status split. With
  a status subresource, writes to the main resource keep the stored status
  and writes to ``/status`` keep everything but the status. ``generation``
  starts at 1 and is bumped when the spec changes.
- ``validate`` / ``validate_update``: every field error at once; the store
  turns them into one 422 Invalid.
- ``field_set``: the fields a field selector may name for this resource.
- ``admit_create``: refuse every create for now (a terminating CRD's objects).
- ``guard_write``: refuse a create or update its requesting user may not
  make at all (RBAC's privilege escalation prevention), before defaulting.
- ``prepare_for_status_update``: what a write to ``/status`` changes besides
  the status it carries (a PersistentVolume's ``lastPhaseTransitionTime``).

Built-in resources subclass ``Strategy``; resources without special rules use
it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubeling.api import naming
from kubeling.api.field import FieldError, FieldPath, forbidden, invalid, required
from kubeling.api.jsoncopy import copy_json
from kubeling.api.labels import validate_labels

__all__ = ["StatusStrategy", "Strategy"]

Obj = dict[str, Any]

_META = FieldPath("metadata")


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


class Strategy:
    """The default strategy: generic metadata rules, no spec defaults."""

    #: ``True`` when the resource has a ``/status`` subresource: the main
    #: resource then ignores status changes and ``/status`` ignores the rest.
    has_status_subresource: bool = False
    #: ``True`` when ``metadata.generation`` tracks spec changes.
    tracks_generation: bool = False
    #: The ``metadata`` fields a write to ``/status`` may change too (a
    #: Deployment's ``annotations``: its controller records the revision
    #: there); everything else in ``metadata`` is kept.
    status_writable_metadata: tuple[str, ...] = ()
    #: ``True`` when DELETE answers with the deleted object (pods), rather
    #: than a Success Status.
    returns_deleted_object: bool = False
    name_validator = staticmethod(naming.name_is_dns_subdomain)

    def default(self, obj: Obj) -> None:
        """Fill in defaulted fields in place."""

    def admit_create(self) -> None:
        """Raise a StatusError when the resource takes no new objects at all
        right now (the objects of a terminating CRD); called for the create verb."""

    def guard_write(self, new: Mapping[str, Any], old: Mapping[str, Any] | None) -> None:
        """Raise a StatusError (403) when the requesting user may not write ``new``
        (``old`` is None on create); called before defaulting, dry runs included."""

    def unknown_fields(self, obj: Mapping[str, Any]) -> list[str]:
        """Paths the resource's own schema does not declare (custom resources);
        built-ins are checked against their type declaration instead."""
        return []

    def prepare_for_create(self, obj: Obj) -> None:
        if self.has_status_subresource:
            obj.pop("status", None)
        if self.tracks_generation:
            obj.setdefault("metadata", {})["generation"] = 1
        else:
            obj.get("metadata", {}).pop("generation", None)

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        if self.has_status_subresource:
            if "status" in old:
                new["status"] = copy_json(old["status"])
            else:
                new.pop("status", None)
        meta = new.setdefault("metadata", {})
        old_generation = _meta(old).get("generation")
        if self.tracks_generation:
            changed = self.spec_changed(new, old)
            meta["generation"] = (old_generation or 1) + (1 if changed else 0)
        elif old_generation is not None:
            meta["generation"] = old_generation
        else:
            meta.pop("generation", None)

    def prepare_for_status_update(self, new: Obj, old: Obj) -> None:
        """Change a write to ``/status`` in place once only its status is kept."""

    def spec_changed(self, new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
        """Whether an update changes what ``generation`` counts (the spec)."""
        ignored = ("metadata", "status", "apiVersion", "kind")
        new_spec = {k: v for k, v in new.items() if k not in ignored}
        old_spec = {k: v for k, v in old.items() if k not in ignored}
        return new_spec != old_spec

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        """Every field error of a new object."""
        return self.validate_metadata(obj, namespaced=namespaced)

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        """Every field error of an update (immutable fields included)."""
        return self.validate_metadata(new, namespaced=namespaced)

    def validate_status_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        """Every field error of a write to ``/status`` (none by default)."""
        return []

    def validate_metadata(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        meta = _meta(obj)
        errors: list[FieldError] = []
        name = meta.get("name", "")
        if not name:
            errors.append(required(_META.child("name"), "name or generateName is required"))
        else:
            for msg in self.name_validator(str(name), prefix=False):
                errors.append(invalid(_META.child("name"), name, msg))
        namespace = meta.get("namespace", "")
        if namespaced and not namespace:
            errors.append(required(_META.child("namespace"), ""))
        elif not namespaced and namespace:
            errors.append(forbidden(_META.child("namespace"), "not allowed on this type"))
        labels = meta.get("labels")
        if isinstance(labels, Mapping):
            errors.extend(validate_labels(labels, _META.child("labels")))
        # ValidateFinalizerName: a qualified name, reported at the list, not the item.
        for finalizer in meta.get("finalizers") or ():
            if isinstance(finalizer, str):
                for msg in naming.is_qualified_name(finalizer):
                    errors.append(invalid(_META.child("finalizers"), finalizer, msg))
        return errors

    async def allocate(self, obj: Obj, old: Obj | None = None) -> None:
        """Reserve what the object needs before it is stored (a Service's
        ClusterIP and NodePorts); ``old`` is set on updates. Raises a
        StatusError when nothing is left to allocate."""

    async def release(self, obj: Obj, new: Obj | None = None) -> None:
        """Free what ``allocate`` reserved: after a delete, a failed create, or
        (with ``new``) what an update gave up."""

    def prepare_for_deletion(self, obj: Obj) -> None:
        """Change a terminating object as it gets its deletionTimestamp
        (a namespace's phase becomes Terminating)."""

    def delete_conflict(self, obj: Mapping[str, Any]) -> str | None:
        """Why a repeated DELETE of a terminating object is a 409, or None."""
        return None

    def finalizers_pending(self, obj: Mapping[str, Any]) -> bool:
        """Whether a terminating object must stay: it still has finalizers."""
        return bool(_meta(obj).get("finalizers"))

    def graceful_delete_seconds(self, obj: Mapping[str, Any], requested: int | None) -> int:
        """Seconds a deleted object lingers with deletionTimestamp (0: delete now).

        Only pods bound to a node wait by default (their kubelet stops them);
        everything else is deleted at once unless finalizers hold it.
        """
        return 0

    def field_set(self, obj: Mapping[str, Any], *, namespaced: bool) -> dict[str, str]:
        """The field values a field selector can match for this object."""
        meta = _meta(obj)
        fields = {"metadata.name": str(meta.get("name", ""))}
        if namespaced:
            fields["metadata.namespace"] = str(meta.get("namespace", ""))
        return fields


class StatusStrategy:
    """Writes to ``/status``: only the status changes, everything else is kept."""

    def __init__(self, main: Strategy) -> None:
        self.main = main

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        status = new.get("status")
        kept = copy_json(old)
        if status is None:
            kept.pop("status", None)
        else:
            kept["status"] = status
        # metadata may change only in what the API server itself manages, and in
        # the fields the resource lets its status writers change
        new_meta = _meta(new)
        kept["metadata"]["resourceVersion"] = new_meta.get("resourceVersion")
        for field in self.main.status_writable_metadata:
            if new_meta.get(field) is not None:
                kept["metadata"][field] = copy_json(new_meta[field])
            else:
                kept["metadata"].pop(field, None)
        new.clear()
        new.update(kept)
        self.main.prepare_for_status_update(new, old)

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.main.validate_status_update(new, old, namespaced=namespaced)
