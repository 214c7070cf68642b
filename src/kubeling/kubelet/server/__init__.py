"""The kubelet's HTTPS server: container logs, exec, attach and port-forward (docs/kubelet.md).

The API server proxies ``pods/log``, ``pods/exec``, ``pods/attach`` and ``pods/portforward`` here.
The server talks to the kubelet and its container runtime only through the
:class:`~kubeling.kubelet.server.interface.StreamingRuntime` Protocol.
"""

from kubeling.kubelet.server.interface import (
    ContainerNotFound,
    ContainerStream,
    StreamingError,
    StreamingRuntime,
)
from kubeling.kubelet.server.server import KubeletServer, KubeletServerConfig

__all__ = [
    "ContainerNotFound",
    "ContainerStream",
    "KubeletServer",
    "KubeletServerConfig",
    "StreamingError",
    "StreamingRuntime",
]
