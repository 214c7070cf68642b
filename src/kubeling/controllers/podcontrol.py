"""Creating and deleting a controller's pods, with the events Kubernetes records.

``pod_from_template`` is Kubernetes' ``GetPodFromTemplate``: the template's
labels, annotations, finalizers and spec, a ``generateName`` of the owner's
name and a dash, and the owner's controller reference. Creations and
deletions record ``SuccessfulCreate``/``FailedCreate`` and
``SuccessfulDelete``/``FailedDelete`` Events on the owner, with Kubernetes'
messages. A creation refused because the namespace is being deleted records
nothing: every other creation there would fail the same way.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kubeling.api import errors
from kubeling.client import EventRecorder, ResourceClient
from kubeling.client.events import NORMAL, WARNING

__all__ = ["PodControl", "pod_from_template"]

Obj = dict[str, Any]


def pod_from_template(
    template: Mapping[str, Any],
    owner: Mapping[str, Any],
    controller_ref: Mapping[str, Any],
    *,
    generate_name: str = "",
) -> Obj:
    """A new pod for ``owner`` from its pod template, named ``generate_name`` plus random
    characters (by default the owner's name and a dash)."""
    meta = template.get("metadata") or {}
    owner_name = str((owner.get("metadata") or {}).get("name", ""))
    pod_meta: Obj = {"generateName": generate_name or f"{owner_name}-"}
    for field in ("labels", "annotations"):
        if meta.get(field):
            pod_meta[field] = dict(meta[field])
    if meta.get("finalizers"):
        pod_meta["finalizers"] = list(meta["finalizers"])
    pod_meta["ownerReferences"] = [dict(controller_ref)]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": pod_meta,
        "spec": copy.deepcopy(template.get("spec") or {}),
    }


class PodControl:
    """Pod writes on behalf of a controller, recorded as Events on its object."""

    def __init__(self, pods: ResourceClient, recorder: EventRecorder) -> None:
        self.pods = pods
        self.recorder = recorder

    async def create(self, owner: Mapping[str, Any], pod: Mapping[str, Any]) -> Obj:
        """Create ``pod`` in ``owner``'s namespace; the StatusError of a refusal propagates."""
        namespace = str((owner.get("metadata") or {}).get("namespace") or "")
        try:
            created = await self.pods.create(pod, namespace=namespace)
        except errors.StatusError as err:
            if not errors.is_already_exists(err) and not errors.has_status_cause(
                err, errors.CAUSE_NAMESPACE_TERMINATING
            ):
                self.recorder.event(
                    owner, WARNING, "FailedCreate", f"Error creating: {err.message}"
                )
            raise
        name = (created.get("metadata") or {}).get("name", "")
        self.recorder.event(owner, NORMAL, "SuccessfulCreate", f"Created pod: {name}")
        return created

    async def delete(self, owner: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
        """Delete ``pod``; False if it was already gone (not an error, but no deletion of
        ours for the informer to report)."""
        meta = pod.get("metadata") or {}
        name, namespace = str(meta.get("name", "")), str(meta.get("namespace") or "")
        try:
            await self.pods.delete(
                name, namespace=namespace, precondition_uid=str(meta.get("uid") or "")
            )
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return False
            self.recorder.event(owner, WARNING, "FailedDelete", f"Error deleting: {err.message}")
            raise
        self.recorder.event(owner, NORMAL, "SuccessfulDelete", f"Deleted pod: {name}")
        return True
