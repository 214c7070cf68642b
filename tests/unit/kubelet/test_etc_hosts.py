"""The pod's hostname, domain and hosts file, as Kubernetes' kubelet makes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubeling.kubelet.etc_hosts import (
    HostnameError,
    host_network_hosts_file,
    kernel_hostname,
    managed_hosts_file,
    pod_hostname_and_domain,
)
from kubeling.kubelet.pod_network import PodNetwork
from kubeling.kubelet.runtime.interface import DNSConfig, Mount

LOCALHOST = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "fe00::0\tip6-mcastprefix\n"
    "fe00::1\tip6-allnodes\n"
    "fe00::2\tip6-allrouters\n"
)


def pod(name: str = "web", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns", "uid": "u1"}, "spec": spec}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (pod(), ("web", "")),
        (pod(hostname="custom"), ("custom", "")),
        (pod(hostname="web-0", subdomain="web"), ("web-0", "web.ns.svc.cluster.local")),
        (pod("x" * 70), ("x" * 63, "")),
        (pod("a" * 62 + "-b"), ("a" * 62, "")),
        (pod("a" * 61 + ".-b"), ("a" * 61, "")),
    ],
)
def test_pod_hostname_and_domain(body: dict[str, Any], expected: tuple[str, str]) -> None:
    assert pod_hostname_and_domain(body, "cluster.local") == expected


def test_an_invalid_hostname_is_refused() -> None:
    with pytest.raises(HostnameError, match='pod Hostname "Bad_Name" is not a valid DNS label'):
        pod_hostname_and_domain(pod(hostname="Bad_Name"), "cluster.local")


@pytest.mark.parametrize(
    ("hostname", "domain", "fqdn", "expected"),
    [
        ("web-0", "web.ns.svc.cluster.local", False, "web-0"),
        ("web-0", "web.ns.svc.cluster.local", True, "web-0.web.ns.svc.cluster.local"),
        ("web-0", "", True, "web-0"),
    ],
)
def test_kernel_hostname(hostname: str, domain: str, fqdn: bool, expected: str) -> None:
    assert kernel_hostname(hostname, domain, fqdn) == expected


def test_kernel_hostname_refuses_a_long_fqdn() -> None:
    with pytest.raises(HostnameError, match=r"FQDN .* is too long \(64 characters is the max, 70"):
        kernel_hostname("h" * 40, "s" * 29, True)


@pytest.mark.parametrize(
    ("ips", "hostname", "domain", "aliases", "own"),
    [
        (["10.0.0.5"], "web", "", [], "10.0.0.5\tweb\n"),
        (
            ["10.0.0.5", "fd00::5"],
            "web-0",
            "web.ns.svc.cluster.local",
            [],
            "10.0.0.5\tweb-0.web.ns.svc.cluster.local\tweb-0\n"
            "fd00::5\tweb-0.web.ns.svc.cluster.local\tweb-0\n",
        ),
        (
            ["10.0.0.5"],
            "web",
            "",
            [
                {"ip": "10.1.1.1", "hostnames": ["foo.local", "bar.local"]},
                {"ip": "::2", "hostnames": ["v6"]},
            ],
            "10.0.0.5\tweb\n\n# Entries added by HostAliases.\n"
            "10.1.1.1\tfoo.local\tbar.local\n::2\tv6\n",
        ),
    ],
)
def test_managed_hosts_file(
    ips: list[str], hostname: str, domain: str, aliases: list[dict[str, Any]], own: str
) -> None:
    content = managed_hosts_file(ips, hostname, domain, aliases)
    assert content == "# Kubernetes-managed hosts file.\n" + LOCALHOST + own


def test_host_network_hosts_file() -> None:
    content = host_network_hosts_file(
        "127.0.0.1 localhost\n", [{"ip": "1.2.3.4", "hostnames": ["a"]}]
    )
    assert content == (
        "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n"
        "\n# Entries added by HostAliases.\n1.2.3.4\ta\n"
    )


def test_pod_network_writes_the_files(tmp_path: Path) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 192.168.1.1\nsearch corp\n")
    node_hosts = tmp_path / "hosts"
    node_hosts.write_text("127.0.0.1 localhost node\n")
    network = PodNetwork(
        tmp_path / "pods",
        cluster_dns=("127.96.0.10",),
        cluster_domain="cluster.local",
        resolv_conf=str(resolv),
        node_hosts=node_hosts,
    )
    body = pod(hostname="web-0", subdomain="web", setHostnameAsFQDN=True)
    sandbox = network.sandbox(body)
    assert sandbox.hostname == "web-0.web.ns.svc.cluster.local"
    assert not sandbox.host_network
    assert sandbox.dns_config == DNSConfig(
        ("127.96.0.10",),
        ("ns.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp"),
        ("ndots:5",),
    )
    mount = network.hosts_mount(body, ["10.0.0.5"], [])
    hosts = tmp_path / "pods" / "u1" / "etc-hosts"
    assert mount == Mount("/etc/hosts", str(hosts), readonly=False)
    assert hosts.read_text().endswith("10.0.0.5\tweb-0.web.ns.svc.cluster.local\tweb-0\n")
    # A volume at /etc/hosts wins, as in Kubernetes.
    assert network.hosts_mount(body, ["10.0.0.5"], [Mount("/etc/hosts/", "/x")]) is None
    # A hostNetwork pod: the node's hostname and hosts file.
    host_pod = pod(hostNetwork=True)
    assert network.sandbox(host_pod).hostname == ""
    network.hosts_mount(host_pod, ["10.0.0.5"], [])
    assert hosts.read_text() == (
        "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost node\n"
    )


def test_pod_network_without_a_resolv_conf_fails(tmp_path: Path) -> None:
    network = PodNetwork(tmp_path, resolv_conf=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match=f"^open {tmp_path}/missing: no such file or directory$"):
        network.sandbox(pod())
