"""Namespaces: the ``kubernetes`` spec finalizer and two-phase deletion.

A namespace is created ``Active`` with ``spec.finalizers: ["kubernetes"]``
and the ``kubernetes.io/metadata.name`` label (always equal to its name).
Its spec finalizers are not ``metadata.finalizers``: the main resource cannot
change them (updates keep the stored ones), only ``/finalize`` can
(``NamespaceFinalizeStrategy``).

Deletion, as upstream's namespace REST storage does it:

1. The first DELETE sets ``deletionTimestamp`` and ``status.phase:
   Terminating`` and answers 200 with the namespace (``begin_termination``).
   New objects may no longer be created in it.
2. The namespace controller (a later component) deletes everything in the
   namespace, then PUTs ``/finalize`` without ``kubernetes`` in
   ``spec.finalizers``.
3. Once ``spec.finalizers`` and ``metadata.finalizers`` are both empty the
   namespace is removed from the store. A DELETE while spec finalizers remain
   answers 409 ``TERMINATING_CONFLICT`` (``delete_conflict``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api import naming
from kubeling.api.field import FieldError, FieldPath, invalid, not_supported
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import as_list, as_map

__all__ = [
    "FINALIZER_KUBERNETES",
    "METADATA_NAME_LABEL",
    "TERMINATING_CONFLICT",
    "NamespaceFinalizeStrategy",
    "NamespaceStrategy",
]

Obj = dict[str, Any]

FINALIZER_KUBERNETES: Final = "kubernetes"
METADATA_NAME_LABEL: Final = "kubernetes.io/metadata.name"
TERMINATING_CONFLICT: Final = (
    "The system is ensuring all content is removed from this namespace.  Upon completion, "
    "this namespace will automatically be purged by the system."
)
_STANDARD_FINALIZERS: Final = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
_PHASES: Final = ("Active", "Terminating")


def _validate_finalizers(obj: Mapping[str, Any]) -> list[FieldError]:
    errs: list[FieldError] = []
    path = FieldPath("spec", "finalizers")
    for i, name in enumerate(as_list(as_map(obj.get("spec")).get("finalizers"))):
        text = str(name)
        here = path.index(i)
        problems = naming.is_qualified_name(text)
        errs.extend(invalid(here, text, m) for m in problems)
        if not problems and "/" not in text and text not in _STANDARD_FINALIZERS:
            errs.append(
                invalid(
                    here,
                    text,
                    "name is neither a standard finalizer name nor is it fully qualified",
                )
            )
    return errs


class NamespaceStrategy(Strategy):
    """``namespaces``: Active on create, spec finalizers, Terminating on delete."""

    has_status_subresource = True
    name_validator = staticmethod(naming.name_is_dns_label)

    def default(self, obj: Obj) -> None:
        meta = obj.setdefault("metadata", {})
        name = meta.get("name")
        if isinstance(meta, dict) and name:
            labels = meta.get("labels")
            if not isinstance(labels, dict):
                labels = meta["labels"] = {}
            labels[METADATA_NAME_LABEL] = name

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"phase": "Active"}
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        finalizers = spec.get("finalizers")
        if not isinstance(finalizers, list):
            finalizers = []
        if FINALIZER_KUBERNETES not in finalizers:
            finalizers.append(FINALIZER_KUBERNETES)
        spec["finalizers"] = finalizers

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        super().prepare_for_update(new, old)
        new["spec"] = copy.deepcopy(old.get("spec") or {})

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        errs.extend(_validate_finalizers(obj))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced)

    def field_set(self, obj: Mapping[str, Any], *, namespaced: bool) -> dict[str, str]:
        fields = super().field_set(obj, namespaced=namespaced)
        fields["status.phase"] = str(as_map(obj.get("status")).get("phase") or "")
        return fields

    # -- deletion hooks for the store ----------------------------------------

    @staticmethod
    def spec_finalizers(obj: Mapping[str, Any]) -> list[str]:
        """The spec finalizers still holding the namespace."""
        return [str(f) for f in as_list(as_map(obj.get("spec")).get("finalizers"))]

    @staticmethod
    def begin_termination(obj: Obj, *, now: str, orphan_dependents: bool | None = None) -> None:
        """First DELETE: stamp ``deletionTimestamp`` and go ``Terminating`` (in place).

        ``orphan_dependents=False`` drops the ``orphan`` metadata finalizer, as upstream.
        """
        meta = obj.setdefault("metadata", {})
        if not meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = now
            meta["deletionGracePeriodSeconds"] = 0
        status = obj.get("status")
        if not isinstance(status, dict):
            status = obj["status"] = {}
        status["phase"] = "Terminating"
        if orphan_dependents is False and isinstance(meta.get("finalizers"), list):
            meta["finalizers"] = [f for f in meta["finalizers"] if f != "orphan"]

    def should_delete_during_update(self, obj: Mapping[str, Any]) -> bool:
        """Whether a write leaves a terminating namespace free to go: no metadata
        finalizers *and* no spec finalizers (upstream's ``ShouldDeleteNamespaceDuringUpdate``)."""
        meta = as_map(obj.get("metadata"))
        return bool(
            meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            and not self.spec_finalizers(obj)
        )

    def delete_conflict(self, obj: Mapping[str, Any]) -> str | None:
        """The 409 message for a DELETE of a terminating namespace that spec
        finalizers still hold, or None when it may be removed now."""
        if as_map(obj.get("metadata")).get("deletionTimestamp") and self.spec_finalizers(obj):
            return TERMINATING_CONFLICT
        return None

    # The generic store's hooks, in terms of the above.

    def finalizers_pending(self, obj: Mapping[str, Any]) -> bool:
        return bool(as_map(obj.get("metadata")).get("finalizers") or self.spec_finalizers(obj))

    def prepare_for_deletion(self, obj: Obj) -> None:
        meta = as_map(obj.get("metadata"))
        self.begin_termination(obj, now=str(meta.get("deletionTimestamp") or ""))


class NamespaceFinalizeStrategy:
    """``namespaces/{name}/finalize``: only ``spec.finalizers`` changes."""

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        finalizers = as_map(new.get("spec")).get("finalizers")
        kept = copy.deepcopy(old)
        spec = kept.get("spec")
        if not isinstance(spec, dict):
            spec = kept["spec"] = {}
        if finalizers:
            spec["finalizers"] = copy.deepcopy(finalizers)
        else:
            spec.pop("finalizers", None)
        kept["metadata"]["resourceVersion"] = as_map(new.get("metadata")).get("resourceVersion")
        new.clear()
        new.update(kept)

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = _validate_finalizers(new)
        phase = as_map(new.get("status")).get("phase")
        if phase and phase not in _PHASES:
            errs.append(not_supported(FieldPath("status", "phase"), phase, _PHASES))
        return errs
