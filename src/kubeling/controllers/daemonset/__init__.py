"""The DaemonSet controller (``pkg/controller/daemon`` in Kubernetes 1.32).

- :mod:`.placement`: which nodes should run a daemon pod, the pod made for a
  node (daemon tolerations, node affinity), pure.
- :mod:`.nodes`: per-node plans (create, delete, failed-pod back-off) and the
  status counts, pure.
- :mod:`.rollout`: the rolling update step (maxUnavailable, maxSurge), pure.
- :mod:`.controller`: informers, event routing, history and ``sync(key)``.
"""

from kubeling.controllers.daemonset.controller import DaemonSetController

__all__ = ["DaemonSetController"]
