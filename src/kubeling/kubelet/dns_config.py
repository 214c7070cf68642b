"""A pod's resolver configuration, as Kubernetes' kubelet forms it (``pkg/kubelet/network/dns``).

Pure: the host's resolv.conf comes in as text, the pod's :class:`DNSConfig` and the Events to
record come out. By ``spec.dnsPolicy``:

- ``ClusterFirst`` (the default) and ``ClusterFirstWithHostNet``: the cluster DNS addresses
  are the only nameservers; the search list is ``<ns>.svc.<domain> svc.<domain> <domain>`` and
  then the host's search domains; the options are ``ndots:5``. A ``hostNetwork`` pod with
  ``ClusterFirst`` gets ``Default`` instead, and so does every such pod of a kubelet without
  cluster DNS addresses (with a ``MissingClusterDNS`` Warning on the pod and the node);
- ``Default``: the host's resolv.conf (a kubelet told ``--resolv-conf ""`` gives
  ``nameserver 127.0.0.1`` and ``search .``: no lookups);
- ``None``: nothing but ``spec.dnsConfig``.

``spec.dnsConfig`` is then merged in (nameservers and searches appended without duplicates,
options by name, the pod's value winning), and Kubernetes' limits applied: 3 nameservers, 32
search domains, none longer than 253 characters, 2048 characters in all; what is cut is said
in a ``DNSConfigForming`` Warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.kubelet.podutil import format_pod
from kubeling.kubelet.runtime.interface import DNSConfig

__all__ = [
    "DNS_CONFIG_FORMING",
    "MISSING_CLUSTER_DNS",
    "DnsEvent",
    "PodDNS",
    "parse_resolv_conf",
    "pod_dns_config",
]

MAX_NAMESERVERS: Final = 3
MAX_SEARCH_PATHS: Final = 32
MAX_SEARCH_LIST_CHARS: Final = 2048
#: A longer search domain makes some resolvers (glibc 2.28) abort.
MAX_SEARCH_PATH_CHARS: Final = 253
DEFAULT_OPTIONS: Final = ("ndots:5",)

DNS_CONFIG_FORMING: Final = "DNSConfigForming"
MISSING_CLUSTER_DNS: Final = "MissingClusterDNS"


@dataclass(frozen=True, slots=True)
class DnsEvent:
    """A Warning to record, on the pod or (``on_node``) on the Node."""

    reason: str
    message: str
    on_node: bool = False


@dataclass(frozen=True, slots=True)
class PodDNS:
    config: DNSConfig
    events: tuple[DnsEvent, ...] = ()


def parse_resolv_conf(text: str) -> DNSConfig:
    """The nameservers (accumulated), search list and options (the last line of each wins)
    of a resolv.conf; a ``nameserver`` line without address is an error (ValueError).

    >>> parse_resolv_conf("nameserver 1.1.1.1\\nsearch a.example. b\\noptions ndots:2 edns0\\n")
    DNSConfig(servers=('1.1.1.1',), searches=('a.example', 'b'), options=('ndots:2', 'edns0'))
    """
    servers: list[str] = []
    searches: list[str] = []
    options: list[str] = []
    for line in text.splitlines():
        fields = line.strip().split()
        if not fields or fields[0].startswith("#"):
            continue
        if fields[0] == "nameserver":
            if len(fields) < 2:
                raise ValueError("nameserver list is empty ")
            servers.append(fields[1])
        elif fields[0] == "search":
            # "a." and "a" are one domain; "." is no domain at all.
            searches = [s.removesuffix(".") for s in fields[1:] if s != "."]
        elif fields[0] == "options":
            options = _merge_options(options, fields[1:])
    return DNSConfig(tuple(servers), tuple(searches), tuple(options))


def _option_name(option: str) -> str:
    return option.split(":", 1)[0]


def _merge_options(existing: Iterable[str], new: Iterable[str]) -> list[str]:
    """Options by name, a later one replacing an earlier one in its place."""
    merged: dict[str, str] = {}
    for option in (*existing, *new):
        merged[_option_name(option)] = option
    return list(merged.values())


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def pod_dns_config(
    pod: Mapping[str, Any],
    *,
    host: DNSConfig | None,
    cluster_dns: Sequence[str],
    cluster_domain: str,
    node_ips: Sequence[str] = (),
) -> PodDNS:
    """The pod's resolver (see the module docstring); ``host`` is the host's resolv.conf,
    None when the kubelet has none (``--resolv-conf ""``)."""
    spec = pod.get("spec") or {}
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    events: list[DnsEvent] = []
    config = host or DNSConfig()
    cluster = policy == "ClusterFirstWithHostNet" or (
        policy not in ("Default", "None") and not spec.get("hostNetwork")
    )
    if policy == "None":
        config = DNSConfig()
    elif cluster and cluster_dns:
        config = DNSConfig(
            servers=tuple(cluster_dns),
            searches=_cluster_searches(pod, cluster_domain, config.searches),
            options=DEFAULT_OPTIONS,
        )
    else:
        if cluster:
            events += _missing_cluster_dns(pod)
        if host is None:
            # No resolv.conf: only the local machine's resolver, no search (as Kubernetes).
            servers = ["::1" if ":" in ip else "127.0.0.1" for ip in node_ips] or ["127.0.0.1"]
            config = DNSConfig(servers=_unique(servers), searches=(".",))
    pod_config = spec.get("dnsConfig")
    if pod_config:
        config = _append_pod_config(config, pod_config)
    config, limited = _fit_limits(config)
    return PodDNS(config, tuple(events + limited))


def _cluster_searches(
    pod: Mapping[str, Any], cluster_domain: str, host_searches: Sequence[str]
) -> tuple[str, ...]:
    if not cluster_domain:
        return tuple(host_searches)
    namespace = pod["metadata"]["namespace"]
    ours = (f"{namespace}.svc.{cluster_domain}", f"svc.{cluster_domain}", cluster_domain)
    return _unique((*ours, *host_searches))


def _missing_cluster_dns(pod: Mapping[str, Any]) -> list[DnsEvent]:
    message = (
        "kubelet does not have ClusterDNS IP configured and cannot create Pod using "
        '"ClusterFirst" policy. Falling back to "Default" policy.'
    )
    described = f'pod: "{format_pod(pod)}". {message}'
    return [
        DnsEvent(MISSING_CLUSTER_DNS, message, on_node=True),
        DnsEvent(MISSING_CLUSTER_DNS, described),
    ]


def _append_pod_config(config: DNSConfig, pod_config: Mapping[str, Any]) -> DNSConfig:
    """``spec.dnsConfig`` merged in: the pod's options replace the same-named ones."""
    options = [
        f"{o['name']}:{o['value']}" if o.get("value") else str(o.get("name") or "")
        for o in pod_config.get("options") or ()
    ]
    # A pod's option without value removes the value (Kubernetes keys options by name).
    merged: dict[str, str] = {_option_name(o): o for o in config.options}
    for option in options:
        merged[_option_name(option)] = option
    return DNSConfig(
        servers=_unique((*config.servers, *(pod_config.get("nameservers") or ()))),
        searches=_unique((*config.searches, *(pod_config.get("searches") or ()))),
        options=tuple(merged.values()),
    )


def _fit_limits(config: DNSConfig) -> tuple[DNSConfig, list[DnsEvent]]:
    events: list[DnsEvent] = []
    servers = config.servers
    if len(servers) > MAX_NAMESERVERS:
        servers = servers[:MAX_NAMESERVERS]
        events.append(
            DnsEvent(
                DNS_CONFIG_FORMING,
                "Nameserver limits were exceeded, some nameservers have been omitted, the "
                f"applied nameserver line is: {' '.join(servers)}",
            )
        )
    searches = list(config.searches)
    exceeded = len(searches) > MAX_SEARCH_PATHS
    searches = searches[:MAX_SEARCH_PATHS]
    kept = [s for s in searches if len(s) <= MAX_SEARCH_PATH_CHARS]
    exceeded |= len(kept) < len(searches)
    searches = kept
    length = len(" ".join(searches))
    while searches and length > MAX_SEARCH_LIST_CHARS:
        # Cut from the end (the host's domains) until the line fits.
        length -= len(searches.pop()) + 1
        exceeded = True
    if exceeded:
        events.append(
            DnsEvent(
                DNS_CONFIG_FORMING,
                "Search Line limits were exceeded, some search paths have been omitted, the "
                f"applied search line is: {' '.join(searches)}",
            )
        )
    return DNSConfig(servers, tuple(searches), config.options), events
