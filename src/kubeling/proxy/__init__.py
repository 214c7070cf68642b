"""The service proxy (layer L3): what makes Service addresses answer.

- :mod:`~kubeling.proxy.serviceports`, :mod:`~kubeling.proxy.endpoints`,
  :mod:`~kubeling.proxy.topology`, :mod:`~kubeling.proxy.node` and
  :mod:`~kubeling.proxy.rules`: the rules, computed by pure functions from Services,
  EndpointSlices and the proxy's Node (what kube-proxy decides before it programs
  anything);
- :mod:`~kubeling.proxy.userspace`: the backend that applies them without root, by
  listening on every frontend and relaying to endpoints;
- :mod:`~kubeling.proxy.proxier`: the component (``kubeling proxy``) that watches the API
  and keeps the backend in step.

Like every component but the API server, it talks to the cluster only through
:mod:`kubeling.client`.
"""

from kubeling.proxy.proxier import Proxier, ProxyOptions, run_proxy
from kubeling.proxy.rules import Frontend, Route, ServiceRule, Verdict, Via, compute_rules

__all__ = [
    "Frontend",
    "Proxier",
    "ProxyOptions",
    "Route",
    "ServiceRule",
    "Verdict",
    "Via",
    "compute_rules",
    "run_proxy",
]
