"""Container probes: liveness, readiness and startup, run as Kubernetes 1.32's prober does.

:class:`ProbeManager` (``manager.py``) keeps a worker per probe (``worker.py``) and the
results the kubelet reads; :class:`Prober` (``prober.py``) runs one probe with its handler:
``execprobe.py``, ``httpget.py`` (shared with lifecycle hooks), ``tcpprobe.py``,
``grpcprobe.py``.
"""

from kubeling.kubelet.prober.manager import ProbeManager
from kubeling.kubelet.prober.prober import Prober
from kubeling.kubelet.prober.result import ProbeError, ProbeResult

__all__ = ["ProbeError", "ProbeManager", "ProbeResult", "Prober"]
