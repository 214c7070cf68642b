"""The node lifecycle controller: node health from Leases and heartbeats, node taints."""

from kubeling.controllers.nodelifecycle.controller import (
    NodeLifecycleController,
    NodeLifecycleOptions,
)

__all__ = ["NodeLifecycleController", "NodeLifecycleOptions"]
