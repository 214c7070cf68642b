"""The built-in ingress controller (IngressClass ``kubeling``), a client of the API server.

- :mod:`~kubeling.ingress.classes`: which Ingresses are ours (our class, the default class);
- :mod:`~kubeling.ingress.routes` and :mod:`~kubeling.ingress.matching`: the routing table,
  computed by pure functions from Ingresses, Services, EndpointSlices and Secrets, and how a
  request's host and path are matched against it;
- :mod:`~kubeling.ingress.http1`, :mod:`~kubeling.ingress.server` and
  :mod:`~kubeling.ingress.tls`: the HTTP/1.1 reverse proxy that applies the table, with TLS
  certificates chosen by SNI;
- :mod:`~kubeling.ingress.controller` and :mod:`~kubeling.ingress.run`: the informers that
  keep the table current and Ingress status true, and the component (``kubeling ingress``,
  part of ``kubeling up``).

It reads endpoints as the service proxy does (:mod:`kubeling.proxy.endpoints`) and balances
with its :class:`~kubeling.proxy.userspace.balancer.Balancer`: the one layer it builds on.
"""

from kubeling.ingress.classes import CLASS_NAME, CONTROLLER
from kubeling.ingress.routes import RoutingTable, compute_routes
from kubeling.ingress.run import IngressOptions, run_ingress
from kubeling.ingress.server import IngressServer, Timeouts

__all__ = [
    "CLASS_NAME",
    "CONTROLLER",
    "IngressOptions",
    "IngressServer",
    "RoutingTable",
    "Timeouts",
    "compute_routes",
    "run_ingress",
]
