"""Persistent volumes: the PV controller (binder) and the local-path provisioner.

- :mod:`~kubeling.controllers.volume.binding`: which volume a claim may have
  (pure, tested as tables).
- :mod:`~kubeling.controllers.volume.binder`: ``persistentvolume-binder``, the
  PersistentVolume controller: binding, phases, reclaiming.
- :mod:`~kubeling.controllers.volume.localpath`: ``local-path-provisioner``, the
  default ``local-path`` StorageClass and its hostPath volumes.
"""

from kubeling.controllers.volume.binder import PersistentVolumeBinder
from kubeling.controllers.volume.localpath import LocalPathProvisioner

__all__ = ["LocalPathProvisioner", "PersistentVolumeBinder"]
