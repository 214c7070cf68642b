"""The scheduler's ports (``protocols.py``) over the REST client: what it writes to the API.

Each method is one API call, shaped as kube-scheduler 1.32 sends it:

- ``bind``: ``POST pods/{name}/binding`` with a ``Binding`` naming the pod's UID (the API
  server refuses a pod that was deleted and re-created, or is already bound: 409);
- ``patch_pod_status``: a strategic-merge ``PATCH pods/{name}/status`` carrying the
  condition (merged into ``status.conditions`` by its ``type``) and ``nominatedNodeName``
  (``null`` clears it), as upstream's ``util.PatchPodStatus``;
- ``record``: a core/v1 Event from ``default-scheduler`` through the client's
  :class:`~kubeling.client.EventRecorder` (queued, never blocking);
- ``delete_pod``: ``DELETE pods/{name}`` with a UID precondition, so that a victim
  re-created under the same name is not deleted in its place;
- ``annotate_selected_node``: a merge patch of the claim's
  ``volume.kubernetes.io/selected-node`` annotation, which tells the volume provisioner
  where a WaitForFirstConsumer claim must be satisfied.

A pod that is already gone is success for the status patch and the delete (upstream
ignores NotFound there too); every other failure raises for the core to handle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api import errors
from kubeling.client import ApiClient, EventRecorder, PatchType
from kubeling.client.resources import PERSISTENTVOLUMECLAIMS, PODS
from kubeling.scheduler.protocols import SideEffects

__all__ = ["SELECTED_NODE_ANNOTATION", "ApiSideEffects", "binding", "status_patch"]

SELECTED_NODE_ANNOTATION: Final = "volume.kubernetes.io/selected-node"


def binding(*, namespace: str, name: str, uid: str, node_name: str) -> dict[str, Any]:
    """The ``Binding`` upstream's DefaultBinder posts.

    >>> binding(namespace="default", name="web", uid="u1", node_name="node-1")["target"]
    {'kind': 'Node', 'name': 'node-1'}
    """
    return {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"namespace": namespace, "name": name, "uid": uid},
        "target": {"kind": "Node", "name": node_name},
    }


def status_patch(
    condition: Mapping[str, Any] | None, nominated_node_name: str | None
) -> dict[str, Any]:
    """The strategic-merge patch of a pod's status; ``""`` clears the nomination.

    >>> status_patch(None, "")
    {'status': {'nominatedNodeName': None}}
    """
    status: dict[str, Any] = {}
    if condition is not None:
        status["conditions"] = [dict(condition)]
    if nominated_node_name is not None:
        status["nominatedNodeName"] = nominated_node_name or None
    return {"status": status}


class ApiSideEffects:
    """Binder, PodStatusPatcher, EventRecorder, PodDeleter and ClaimAnnotator in one."""

    def __init__(self, client: ApiClient, recorder: EventRecorder) -> None:
        """Write through ``client``; record Events with ``recorder`` (``default-scheduler``)."""
        self._pods = client.resource(PODS)
        self._claims = client.resource(PERSISTENTVOLUMECLAIMS)
        self._recorder = recorder

    def side_effects(self) -> SideEffects:
        """Every port served by this object."""
        return SideEffects(
            binder=self,
            status_patcher=self,
            recorder=self,
            deleter=self,
            claim_annotator=self,
        )

    async def bind(self, *, namespace: str, name: str, uid: str, node_name: str) -> None:
        """``POST pods/{name}/binding``; raises the API's refusal."""
        body = binding(namespace=namespace, name=name, uid=uid, node_name=node_name)
        await self._pods.create(body, namespace=namespace, name=name, subresource="binding")

    async def patch_pod_status(
        self,
        *,
        namespace: str,
        name: str,
        condition: Mapping[str, Any] | None = None,
        nominated_node_name: str | None = None,
    ) -> None:
        """Strategic-merge the condition and nomination into ``pods/{name}/status``."""
        patch = status_patch(condition, nominated_node_name)
        try:
            await self._pods.patch(
                name,
                patch,
                patch_type=PatchType.STRATEGIC,
                namespace=namespace,
                subresource="status",
            )
        except errors.StatusError as error:
            if not errors.is_not_found(error):
                raise

    def record(
        self,
        regarding: Mapping[str, Any],
        *,
        event_type: str,
        reason: str,
        action: str,
        note: str,
        related: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue a core/v1 Event (``action`` and ``related`` have no place in it)."""
        self._recorder.event(regarding, event_type, reason, note)

    async def delete_pod(self, *, namespace: str, name: str, uid: str) -> None:
        """Delete the pod if it is still the one with ``uid``."""
        try:
            await self._pods.delete(name, namespace=namespace, precondition_uid=uid)
        except errors.StatusError as error:
            # NotFound: gone already. Conflict: the UID differs, so the victim is gone too.
            if not (errors.is_not_found(error) or errors.is_conflict(error)):
                raise

    async def annotate_selected_node(self, *, namespace: str, name: str, node_name: str) -> None:
        """Set the claim's selected-node annotation."""
        patch = {"metadata": {"annotations": {SELECTED_NODE_ANNOTATION: node_name}}}
        await self._claims.patch(name, patch, patch_type=PatchType.MERGE, namespace=namespace)
