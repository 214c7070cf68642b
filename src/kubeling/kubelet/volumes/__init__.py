"""Pod volumes on the node: :class:`VolumeManager` (``manager.py``) sets them up and gives
each container its mounts; ``projections.py`` (configMap, secret, downwardAPI, projected),
``hostpath.py`` and ``atomic_writer.py`` do the work."""

from kubeling.kubelet.volumes.errors import VolumeError
from kubeling.kubelet.volumes.manager import MountStatus, VolumeHost, VolumeManager

__all__ = ["MountStatus", "VolumeError", "VolumeHost", "VolumeManager"]
