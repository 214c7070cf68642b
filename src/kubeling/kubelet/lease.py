"""The node's heartbeat: its Lease in ``kube-node-lease``, renewed every 10 s.

As Kubernetes' lease controller does for the kubelet: the Lease is named after the node, held
by it (``holderIdentity``), lasts 40 s (``leaseDurationSeconds``) and is renewed every quarter
of that (``renewTime``, a MicroTime); it is owned by the Node (so it goes when the Node goes).
A renewal that fails is retried after 200 ms, doubling to 7 s, until one succeeds; a conflict
(someone else wrote the Lease) is resolved by reading it again.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.timestamps import format_micro_time
from kubeling.client import ResourceClient, TransportError

__all__ = ["LEASE_NAMESPACE", "NodeLease"]

log = logging.getLogger(__name__)

LEASE_NAMESPACE: Final = "kube-node-lease"
Obj = dict[str, Any]


class NodeLease:
    """Keeps ``kube-node-lease/<node>`` renewed (see the module docstring)."""

    def __init__(
        self,
        leases: ResourceClient,
        node_name: str,
        *,
        node_uid: Callable[[], Awaitable[str]],
        duration_seconds: int = 40,
        retry_initial: float = 0.2,
        retry_max: float = 7.0,
    ) -> None:
        self.leases = leases
        self.node_name = node_name
        self.node_uid = node_uid
        self.duration_seconds = duration_seconds
        self.renew_interval = duration_seconds / 4
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._lease: Obj | None = None

    async def run(self) -> None:
        """Renew until cancelled."""
        while True:
            delay = self.retry_initial
            while True:
                try:
                    await self.renew()
                    break
                except (errors.StatusError, TransportError) as err:
                    log.warning("failed to renew the node lease %s: %s", self.node_name, err)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.retry_max)
            await asyncio.sleep(self.renew_interval)

    async def renew(self) -> Obj:
        """Write a fresh ``renewTime`` (creating the Lease if there is none); the Lease."""
        if self._lease is None:
            self._lease = await self._get_or_create()
            return self._lease
        lease = copy.deepcopy(self._lease)
        spec = lease.setdefault("spec", {})
        spec["holderIdentity"] = self.node_name
        spec["leaseDurationSeconds"] = self.duration_seconds
        spec["renewTime"] = format_micro_time()
        try:
            self._lease = await self.leases.update(lease, namespace=LEASE_NAMESPACE)
        except errors.StatusError as err:
            self._lease = None  # read it again next time
            if errors.is_not_found(err) or errors.is_conflict(err):
                self._lease = await self._get_or_create()
                return self._lease
            raise
        return self._lease

    async def _get_or_create(self) -> Obj:
        try:
            lease = await self.leases.get(self.node_name, namespace=LEASE_NAMESPACE)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
        else:
            self._lease = lease
            return await self.renew()
        body: Obj = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.node_name, "namespace": LEASE_NAMESPACE},
            "spec": {
                "holderIdentity": self.node_name,
                "leaseDurationSeconds": self.duration_seconds,
                "renewTime": format_micro_time(),
            },
        }
        uid = await self.node_uid()
        if uid:
            body["metadata"]["ownerReferences"] = [
                {"apiVersion": "v1", "kind": "Node", "name": self.node_name, "uid": uid}
            ]
        return await self.leases.create(body, namespace=LEASE_NAMESPACE)
