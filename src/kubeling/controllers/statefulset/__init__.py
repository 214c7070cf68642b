"""The StatefulSet controller (``pkg/controller/statefulset`` in Kubernetes 1.32).

- :mod:`.identity`: names, ordinals, identity labels, hostname and claims of
  a set's pods; the pod predicates (pure).
- :mod:`.claims`: claim owner references by retention policy (pure).
- :mod:`.status`: counting pods into the status (pure).
- :mod:`.podcontrol`: the pod and claim writes, with Kubernetes' events.
- :mod:`.control`: the update algorithm (ordering, scaling, rolling update).
- :mod:`.controller`: informers, event routing and ``sync(key)``.
"""

from kubeling.controllers.statefulset.controller import StatefulSetController

__all__ = ["StatefulSetController"]
