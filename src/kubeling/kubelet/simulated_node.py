"""What a kubelet on the ``simulated`` runtime uses instead of the host: its machine, its
probes and its hooks.

A simulated node has no machine to read: :func:`simulated_host` describes one from the
configuration (CPUs, memory, a 100 GiB disk; nothing under pressure). Its containers run no
process, so nothing can be probed or hooked for real:

- **probes** (:class:`SimulatedProbes`): every container is started and ready, and never
  fails a liveness or startup probe, as if each probe succeeded at once; a pod annotated
  ``simulate.kubeling.io/ready: "false"`` keeps its containers unready (for testing what
  depends on readiness: endpoints, rollouts, PodDisruptionBudgets);
- **hooks** (:class:`SimulatedHooks`): postStart and preStop succeed at once.

Everything else (actions, back-off, statuses, phases, conditions) is the kubelet's own logic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Final

from kubeling.kubelet.host import HostInfo
from kubeling.kubelet.probes import NoProbes
from kubeling.kubelet.runtime.simulated import ANNOTATION_PREFIX

__all__ = ["READY_ANNOTATION", "SimulatedHooks", "SimulatedProbes", "simulated_host"]

READY_ANNOTATION: Final = ANNOTATION_PREFIX + "ready"
STORAGE_BYTES: Final = 100 * 1024**3


def simulated_host(node_name: str, *, cpus: int, memory_bytes: int) -> HostInfo:
    """The machine a simulated node reports: IDs derived from its name, nothing used."""
    digest = hashlib.sha256(node_name.encode()).hexdigest()
    return HostInfo(
        hostname=node_name,
        machine_id=digest[:32],
        system_uuid=f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        boot_id=digest[32:64],
        kernel_version="simulated",
        os_image="kubeling simulated node",
        architecture="amd64",
        cpus=cpus,
        memory_bytes=memory_bytes,
        memory_available_bytes=memory_bytes,
        storage_bytes=STORAGE_BYTES,
        storage_available_bytes=STORAGE_BYTES,
        pid_max=4194304,
        processes=0,
    )


class SimulatedProbes(NoProbes):
    """Probes that pass at once; ``simulate.kubeling.io/ready: "false"`` keeps a pod's
    containers unready."""

    def ready(self, pod: Mapping[str, Any], container: str, container_id: str) -> bool:
        annotations = (pod.get("metadata") or {}).get("annotations") or {}
        return str(annotations.get(READY_ANNOTATION, "true")).lower() != "false"


class SimulatedHooks:
    """postStart and preStop hooks that succeed at once."""

    async def post_start(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], container_id: str
    ) -> str:
        return ""

    async def pre_stop(
        self,
        pod: Mapping[str, Any],
        container: Mapping[str, Any],
        container_id: str,
        grace_period: float,
    ) -> str:
        return ""
