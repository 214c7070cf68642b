"""The pod's resolver: Kubernetes' kubelet's ``GetPodDNS``, as tables."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.kubelet.dns_config import (
    DNS_CONFIG_FORMING,
    MISSING_CLUSTER_DNS,
    DnsEvent,
    parse_resolv_conf,
    pod_dns_config,
)
from kubeling.kubelet.runtime.interface import DNSConfig
from kubeling.kubelet.runtime.resolvconf import resolv_conf, resolver_environment

HOST = DNSConfig(("192.168.1.1", "192.168.1.2"), ("corp.example", "example"), ("edns0",))
CLUSTER = ("127.96.0.10",)
CLUSTER_SEARCH = ("ns.svc.cluster.local", "svc.cluster.local", "cluster.local")


def pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "ns", "uid": "u1"}, "spec": spec}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", DNSConfig()),
        (
            "# comment\nnameserver 10.0.0.1\nnameserver 10.0.0.2 ignored\n",
            DNSConfig(("10.0.0.1", "10.0.0.2")),
        ),
        ("search a b\nsearch c. .\n", DNSConfig(searches=("c",))),
        (
            "options ndots:2 timeout:1\noptions ndots:3 rotate\n",
            DNSConfig(options=("ndots:3", "timeout:1", "rotate")),
        ),
        ("  nameserver   ::1  \n\n", DNSConfig(("::1",))),
    ],
)
def test_parse_resolv_conf(text: str, expected: DNSConfig) -> None:
    assert parse_resolv_conf(text) == expected


def test_parse_resolv_conf_refuses_an_empty_nameserver() -> None:
    with pytest.raises(ValueError, match="nameserver list is empty"):
        parse_resolv_conf("nameserver\n")


@pytest.mark.parametrize(
    ("spec", "cluster_dns", "expected"),
    [
        # ClusterFirst (also the default): the cluster DNS only, cluster then host searches.
        ({}, CLUSTER, DNSConfig(CLUSTER, (*CLUSTER_SEARCH, *HOST.searches), ("ndots:5",))),
        (
            {"dnsPolicy": "ClusterFirst"},
            ("10.0.0.10", "10.0.0.11"),
            DNSConfig(("10.0.0.10", "10.0.0.11"), (*CLUSTER_SEARCH, *HOST.searches), ("ndots:5",)),
        ),
        # A hostNetwork pod with ClusterFirst gets the host's resolver, as Kubernetes does.
        ({"dnsPolicy": "ClusterFirst", "hostNetwork": True}, CLUSTER, HOST),
        (
            {"dnsPolicy": "ClusterFirstWithHostNet", "hostNetwork": True},
            CLUSTER,
            DNSConfig(CLUSTER, (*CLUSTER_SEARCH, *HOST.searches), ("ndots:5",)),
        ),
        ({"dnsPolicy": "Default"}, CLUSTER, HOST),
        (
            {"dnsPolicy": "None", "dnsConfig": {"nameservers": ["1.1.1.1"]}},
            CLUSTER,
            DNSConfig(("1.1.1.1",)),
        ),
        # dnsConfig merged: duplicates dropped, options by name, the pod's value winning.
        (
            {
                "dnsConfig": {
                    "nameservers": ["127.96.0.10", "8.8.8.8"],
                    "searches": ["svc.cluster.local", "my.example"],
                    "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}],
                }
            },
            CLUSTER,
            DNSConfig(
                ("127.96.0.10", "8.8.8.8"),
                (*CLUSTER_SEARCH, *HOST.searches, "my.example"),
                ("ndots:2", "edns0"),
            ),
        ),
        (
            {"dnsPolicy": "Default", "dnsConfig": {"options": [{"name": "edns0", "value": "1"}]}},
            CLUSTER,
            DNSConfig(HOST.servers, HOST.searches, ("edns0:1",)),
        ),
    ],
)
def test_pod_dns_config(
    spec: dict[str, Any], cluster_dns: tuple[str, ...], expected: DNSConfig
) -> None:
    result = pod_dns_config(
        pod(**spec), host=HOST, cluster_dns=cluster_dns, cluster_domain="cluster.local"
    )
    assert result.config == expected
    assert result.events == ()


def test_search_duplicates_of_the_host_are_dropped() -> None:
    host = DNSConfig(("1.1.1.1",), ("cluster.local", "corp"), ())
    result = pod_dns_config(pod(), host=host, cluster_dns=CLUSTER, cluster_domain="cluster.local")
    assert result.config.searches == (*CLUSTER_SEARCH, "corp")


def test_without_cluster_domain_only_the_host_searches() -> None:
    result = pod_dns_config(pod(), host=HOST, cluster_dns=CLUSTER, cluster_domain="")
    assert result.config == DNSConfig(CLUSTER, HOST.searches, ("ndots:5",))


def test_without_cluster_dns_cluster_first_falls_back_to_default_with_events() -> None:
    result = pod_dns_config(pod(), host=HOST, cluster_dns=(), cluster_domain="cluster.local")
    assert result.config == HOST
    message = (
        "kubelet does not have ClusterDNS IP configured and cannot create Pod using "
        '"ClusterFirst" policy. Falling back to "Default" policy.'
    )
    assert result.events == (
        DnsEvent(MISSING_CLUSTER_DNS, message, on_node=True),
        DnsEvent(MISSING_CLUSTER_DNS, f'pod: "p_ns(u1)". {message}'),
    )


def test_without_resolv_conf_default_resolves_nothing() -> None:
    result = pod_dns_config(
        pod(dnsPolicy="Default"),
        host=None,
        cluster_dns=CLUSTER,
        cluster_domain="cluster.local",
        node_ips=("10.0.0.1", "fd00::1"),
    )
    assert result.config == DNSConfig(("127.0.0.1", "::1"), (".",))


def test_nameservers_are_cut_to_three() -> None:
    spec = {
        "dnsPolicy": "None",
        "dnsConfig": {"nameservers": ["1.0.0.1", "1.0.0.2", "1.0.0.3", "1.0.0.4"]},
    }
    result = pod_dns_config(pod(**spec), host=HOST, cluster_dns=CLUSTER, cluster_domain="c")
    assert result.config.servers == ("1.0.0.1", "1.0.0.2", "1.0.0.3")
    assert result.events == (
        DnsEvent(
            DNS_CONFIG_FORMING,
            "Nameserver limits were exceeded, some nameservers have been omitted, the applied "
            "nameserver line is: 1.0.0.1 1.0.0.2 1.0.0.3",
        ),
    )


def _search_limited(searches: list[str]) -> tuple[tuple[str, ...], tuple[DnsEvent, ...]]:
    spec = {"dnsPolicy": "None", "dnsConfig": {"searches": searches}}
    result = pod_dns_config(pod(**spec), host=None, cluster_dns=(), cluster_domain="c")
    return result.config.searches, result.events


@pytest.mark.parametrize(
    ("searches", "kept"),
    [
        # More than 32 domains: the first 32.
        ([f"d{i}.example" for i in range(40)], [f"d{i}.example" for i in range(32)]),
        # A domain over 253 characters is left out.
        (["a.example", "x" * 254, "b.example"], ["a.example", "b.example"]),
        # Over 2048 characters: domains cut from the end until the line fits.
        (["a" * 250 + str(i) for i in range(10)], ["a" * 250 + str(i) for i in range(8)]),
    ],
)
def test_search_limits(searches: list[str], kept: list[str]) -> None:
    applied, events = _search_limited(searches)
    assert applied == tuple(kept)
    assert events == (
        DnsEvent(
            DNS_CONFIG_FORMING,
            "Search Line limits were exceeded, some search paths have been omitted, the "
            f"applied search line is: {' '.join(kept)}",
        ),
    )


def test_search_within_limits_gives_no_event() -> None:
    searches = ["a" * 250 + str(i) for i in range(8)]  # 2047 characters with the spaces
    assert _search_limited(searches) == (tuple(searches), ())


def test_resolv_conf_file_and_environment() -> None:
    config = DNSConfig(CLUSTER, CLUSTER_SEARCH, ("ndots:5",))
    assert resolv_conf(config) == (
        "search ns.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 127.96.0.10\n"
        "options ndots:5\n"
    )
    assert resolv_conf(DNSConfig()) == ""
    assert resolver_environment(config) == {
        "LOCALDOMAIN": "ns.svc.cluster.local svc.cluster.local cluster.local",
        "RES_OPTIONS": "ndots:5",
    }
    assert resolver_environment(DNSConfig(("1.1.1.1",))) == {}
