"""The kubelet: the node agent that runs the pods bound to its node.

See ``docs/kubelet.md``. :class:`Kubelet` and :func:`run_kubelet` run it from a
:class:`KubeletConfig`; :mod:`~kubeling.kubelet.runtime` holds the container runtimes.
"""

from kubeling.kubelet.config import KubeletConfig, default_node_ip
from kubeling.kubelet.kubelet import USER_AGENT, Kubelet, run_kubelet

__all__ = ["USER_AGENT", "Kubelet", "KubeletConfig", "default_node_ip", "run_kubelet"]
