"""The Deployment controller (``kube-controller-manager --controllers=deployment``).

A Deployment declares a pod template and a replica count; the controller
runs it as ReplicaSets, one per template it has had: the *new* one (the
current template, named ``<deployment>-<pod-template-hash>``) and *old* ones
kept, scaled to zero, for ``kubectl rollout undo`` up to
``revisionHistoryLimit``. A rollout moves replicas from the old ReplicaSets
to the new one, with RollingUpdate (within ``maxSurge`` above and
``maxUnavailable`` below ``replicas``) or Recreate (all old pods gone
first). The ReplicaSet controller turns each ReplicaSet's replicas into pods;
this one only sizes ReplicaSets and reports the Deployment's status.

Modules, following ``pkg/controller/deployment``:

- :mod:`.controller`: informers, handlers, ``sync(key)`` and its dispatch;
- :mod:`.sync`, :mod:`.rolling`, :mod:`.recreate`, :mod:`.rollback`: the
  writes of one sync, per strategy;
- pure decisions, tested as tables: :mod:`.fenceposts` (maxSurge and
  maxUnavailable), :mod:`.scaling` (rollout steps, proportional scaling),
  :mod:`.revisions` (revision and replicas annotations), :mod:`.progress`
  (status and the Progressing/Available conditions), :mod:`.conditions`,
  :mod:`.replicasets` (new/old, orders), :mod:`.templates` and
  :mod:`.hashing` (the pod-template-hash).
"""

from kubeling.controllers.deployment.controller import DeploymentController

__all__ = ["DeploymentController"]
