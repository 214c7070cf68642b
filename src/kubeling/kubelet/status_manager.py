"""Writing pod statuses: only when they change, only to the pod they were computed for.

The kubelet's status manager. A status is written through ``pods/<name>/status`` as a JSON
patch that first tests ``metadata.uid`` (a pod deleted and created again under the same name
never gets its predecessor's status) and then replaces the status, unless it equals what the
API already has or what was written last. A pod the kubelet has finished with and that is being
deleted is then removed from the API with grace period 0, with a uid precondition, as the
kubelet does once its containers are stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kubeling.api import errors
from kubeling.client import PatchType, ResourceClient

__all__ = ["StatusManager"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]


class StatusManager:
    """Writes pod statuses through ``pods`` (see the module docstring)."""

    def __init__(self, pods: ResourceClient) -> None:
        self.pods = pods
        self._written: dict[str, Obj] = {}
        #: How many statuses were actually written (for tests and statistics).
        self.writes = 0

    def previous(self, pod: Mapping[str, Any]) -> Obj:
        """The status the kubelet wrote last for ``pod``, or the API's."""
        uid = pod["metadata"]["uid"]
        written = self._written.get(uid)
        if written is not None:
            return written
        status: Obj = pod.get("status") or {}
        return status

    async def set_status(self, pod: Mapping[str, Any], status: Obj) -> bool:
        """Write ``status`` if it says something new; whether it was written. A pod that is
        gone (or was replaced) is not an error: there is nothing left to report to."""
        meta = pod["metadata"]
        uid = meta["uid"]
        if status == self._written.get(uid) or status == (pod.get("status") or {}):
            self._written[uid] = status
            return False
        patch = [
            {"op": "test", "path": "/metadata/uid", "value": uid},
            {"op": "replace", "path": "/status", "value": status},
        ]
        try:
            await self.pods.patch(
                meta["name"],
                patch,
                patch_type=PatchType.JSON,
                namespace=meta["namespace"],
                subresource="status",
            )
        except errors.StatusError as err:
            if errors.is_not_found(err) or err.code in (409, 422):
                log.info(
                    "not writing the status of %s/%s: %s", meta["namespace"], meta["name"], err
                )
                return False
            raise
        self._written[uid] = status
        self.writes += 1
        return True

    async def delete_pod(self, pod: Mapping[str, Any]) -> None:
        """Remove a finished pod from the API (grace period 0, only if it is still this pod)."""
        meta = pod["metadata"]
        try:
            await self.pods.delete(
                meta["name"],
                namespace=meta["namespace"],
                grace_period_seconds=0,
                precondition_uid=meta["uid"],
            )
        except errors.StatusError as err:
            if not (errors.is_not_found(err) or errors.is_conflict(err)):
                raise

    def forget(self, uid: str) -> None:
        self._written.pop(uid, None)
