"""The userspace backend: the proxy's default data path, which needs no root.

:class:`~kubeling.proxy.userspace.backend.UserspaceBackend` listens on every frontend
of the rules (cluster IPs, node ports, load-balancer and external IPs) and relays
TCP connections (:mod:`~kubeling.proxy.userspace.tcp`) and UDP flows
(:mod:`~kubeling.proxy.userspace.udp`) to endpoints picked by a
:class:`~kubeling.proxy.userspace.balancer.Balancer`.
"""

from kubeling.proxy.userspace.backend import PortProblem, UserspaceBackend
from kubeling.proxy.userspace.balancer import Balancer

__all__ = ["Balancer", "PortProblem", "UserspaceBackend"]
