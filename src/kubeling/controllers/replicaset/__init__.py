"""ReplicaSets and ReplicationControllers: one loop for both kinds, as in Kubernetes.

- :mod:`~kubeling.controllers.replicaset.controller`: the loop (handlers, sync).
- :mod:`~kubeling.controllers.replicaset.ranking`: which pods go first on a scale-down.
- :mod:`~kubeling.controllers.replicaset.status`: the status computed from the pods.
"""

from kubeling.controllers.replicaset.controller import (
    BURST_REPLICAS,
    ReplicaSetController,
    ReplicationManager,
)

__all__ = ["BURST_REPLICAS", "ReplicaSetController", "ReplicationManager"]
