"""The NamespaceLifecycle admission plugin (``plugin/pkg/admission/namespace/lifecycle``).

- The namespaces ``default``, ``kube-system`` and ``kube-public`` may not be
  deleted (403 ``this namespace may not be deleted``).
- Namespaces themselves, cluster-scoped objects and deletions always pass.
- Any other write in a namespace that does not exist is its 404
  (``namespaces "x" not found``), read from the cache and, when the cache
  has not seen it yet (just created), from the store.
- Nothing new may be created in a terminating namespace: 403 ``unable to
  create new content in namespace x because it is being terminated``, with
  the ``NamespaceTerminating`` cause clients branch on.
"""

from __future__ import annotations

from typing import Final

from kubeling.api import errors
from kubeling.apiserver.admission.errors import forbidden
from kubeling.apiserver.admission.interfaces import CREATE, DELETE, AdmissionPlugin, Attributes
from kubeling.apiserver.admission.lookup import ObjectReader

__all__ = ["IMMORTAL_NAMESPACES", "NAME", "NamespaceLifecycle"]

NAME: Final = "NamespaceLifecycle"
#: ``--immortal-namespaces``' default.
IMMORTAL_NAMESPACES: Final = frozenset({"default", "kube-system", "kube-public"})


class NamespaceLifecycle(AdmissionPlugin):
    """Refuses writes into missing or terminating namespaces (mutating phase, first)."""

    name = NAME

    def __init__(self, namespaces: ObjectReader) -> None:
        self._namespaces = namespaces

    def handles(self, attributes: Attributes) -> bool:
        if attributes.resource == "namespaces" and not attributes.group:
            return attributes.operation == DELETE and attributes.name in IMMORTAL_NAMESPACES
        return bool(attributes.namespace) and attributes.operation != DELETE

    async def admit(self, attributes: Attributes) -> None:
        if attributes.resource == "namespaces" and not attributes.group:
            raise forbidden(attributes, "this namespace may not be deleted")
        namespace = attributes.namespace
        found = await self._namespaces.get("", namespace)
        if found is None:
            raise errors.not_found("namespaces", namespace)
        if attributes.operation != CREATE:
            return
        terminating = (found.get("status") or {}).get("phase") == "Terminating" or (
            found.get("metadata") or {}
        ).get("deletionTimestamp")
        if terminating:
            raise forbidden(
                attributes,
                f"unable to create new content in namespace {namespace} because it is "
                "being terminated",
                causes=(
                    errors.StatusCause(
                        reason=errors.CAUSE_NAMESPACE_TERMINATING,
                        message=f"namespace {namespace} is being terminated",
                        field="metadata.namespace",
                    ),
                ),
            )
