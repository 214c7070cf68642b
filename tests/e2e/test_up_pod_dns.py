"""A pod of ``kubeling up`` resolves cluster names through the cluster DNS, with the
``/etc/resolv.conf`` and hostname its kubelet gives it (this machine runs the tests as root:
the DNS binds port 53, the runtime makes namespaces).

The DNS address is a random ``127.96.<n>.10`` of the service range, so that another
``kubeling up`` on the machine (holding ``127.96.0.10:53``) does not answer in its place.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Iterator

import pytest

from tests.support.cluster import RunningServer, running_server
from tests.support.components import wait_for_line
from tests.support.polling import eventually

NODE = "e2e-dns-node"
DNS = f"127.96.{random.randint(1, 254)}.10"
_DNS_BANNER = re.compile(r"cluster DNS on (\S+) port (\d+)")

#: Prints the pod's resolver, its hostname, and what a short cluster name resolves to.
SCRIPT = """
import socket
print(open("/etc/resolv.conf").read().strip().replace("\\n", " | "))
print(socket.gethostname())
print(socket.gethostbyname("kubernetes.default"))
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    extra = ("--node-name", NODE, "--cluster-dns", DNS, "--dns-port", "53")
    with running_server(tmp_path_factory.mktemp("up"), command="up", extra=extra) as server:
        yield server


def _dns_address(server: RunningServer) -> tuple[str, int]:
    match = wait_for_line(server.process, _DNS_BANNER, timeout=30)
    return match.group(1), int(match.group(2))


def test_a_pod_resolves_a_short_service_name_through_the_cluster_dns(
    cluster: RunningServer,
) -> None:
    # Pods can name no port in a resolv.conf: this test needs the DNS on port 53 (root).
    assert _dns_address(cluster) == (DNS, 53)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "resolver", "namespace": "default"},
        "spec": {
            "nodeName": NODE,
            "restartPolicy": "Never",
            "hostname": "resolver-host",
            "containers": [
                {"name": "main", "image": "python:3", "command": [sys.executable, "-c", SCRIPT]}
            ],
        },
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(pod))
    phase = eventually(
        lambda: cluster.kubectl("get", "pod", "resolver", "-o", "jsonpath={.status.phase}").stdout,
        accept=lambda phase: phase in ("Succeeded", "Failed"),
        within=60,
        what="the pod to finish",
    )
    logs = cluster.kubectl("logs", "resolver").stdout.splitlines()
    assert phase == "Succeeded", logs
    assert logs == [
        "search default.svc.cluster.local svc.cluster.local cluster.local"
        + "".join(f" {d}" for d in _host_searches())
        + f" | nameserver {DNS} | options ndots:5",
        "resolver-host",
        "127.96.0.1",
    ]


def _host_searches() -> list[str]:
    """The host's search domains, which follow the cluster's in a pod's search line."""
    searches: list[str] = []
    with open("/etc/resolv.conf") as f:
        for line in f:
            fields = line.split()
            if fields[:1] == ["search"]:
                searches = [s.removesuffix(".") for s in fields[1:] if s != "."]
    cluster = {"default.svc.cluster.local", "svc.cluster.local", "cluster.local"}
    return [s for s in dict.fromkeys(searches) if s not in cluster]
