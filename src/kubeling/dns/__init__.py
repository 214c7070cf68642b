"""The cluster DNS (layer L3): Kubernetes' DNS-based service discovery, as CoreDNS serves it.

Authoritative for the cluster domain (``cluster.local``), forwarding every other
name to the host's resolvers. Built as a pure core in a thin asyncio shell:

- :mod:`~kubeling.dns.message` and :mod:`~kubeling.dns.wire`: DNS messages and
  their wire format (strict decoding, compression, EDNS0, truncation);
- :mod:`~kubeling.dns.records`: what each Service (with its EndpointSlices),
  Namespace and Pod puts in the zone; pure functions, objects in, records out;
- :mod:`~kubeling.dns.zone`: the records merged, and the answer to a question
  (NXDOMAIN, NODATA, CNAME chains, PTR), without IO;
- :mod:`~kubeling.dns.handler`: one query's bytes in, one action out (reply,
  forward, chase, drop), with the answer cache;
- :mod:`~kubeling.dns.upstream`: forwarding to the host's resolvers;
- :mod:`~kubeling.dns.server`: UDP and TCP sockets, with bounded resources;
- :mod:`~kubeling.dns.sync`: informers feeding the zone;
- :mod:`~kubeling.dns.kubedns` and :mod:`~kubeling.dns.run`: the kube-dns Service
  and the component that ``kubeling dns`` and ``kubeling up`` run.

docs/dns.md describes the records, the answers and the differences from CoreDNS.
"""

from kubeling.dns.run import DnsOptions, run_dns

__all__ = ["DnsOptions", "run_dns"]
