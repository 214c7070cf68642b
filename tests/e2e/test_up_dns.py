"""``kubeling up`` runs the cluster DNS next to the API server and the controllers."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import waiting
from tests.support.cluster import RunningServer, running_server
from tests.support.components import wait_for_line
from tests.support.dns import dig

WEB = "web.default.svc.cluster.local"
_DNS_BANNER = re.compile(r"cluster DNS on (\S+) port (\d+)")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # A free DNS port: other test runs may share the machine and its 127.96.0.10.
    with running_server(
        tmp_path_factory.mktemp("up"), command="up", extra=("--dns-port", "0")
    ) as server:
        yield server


def _dns_address(server: RunningServer) -> tuple[str, int]:
    """The address the banner announces once the DNS answers."""
    match = wait_for_line(server.process, _DNS_BANNER, timeout=30)
    return match.group(1), int(match.group(2))


def test_up_serves_cluster_dns(cluster: RunningServer) -> None:
    host, port = _dns_address(cluster)
    assert host == "127.96.0.10"
    answer = asyncio.run(dig(host, port, "kubernetes.default.svc.cluster.local"))
    assert answer.data == ["127.96.0.1"]
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"ports": [{"name": "http", "port": 80}]},
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(service))
    ip = cluster.kubectl("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}").stdout
    # dig is a coroutine: the shared async poll, in an event loop of its own
    srv = asyncio.run(
        waiting.eventually(
            lambda: dig(host, port, f"_http._tcp.{WEB}", "SRV", "+tcp"),
            accept=lambda answer: bool(answer.data),
            within=30,
            what="an SRV record for web",
        )
    )
    assert srv.data == [f"0 100 80 {WEB}"]
    assert srv.additional == [f"{WEB} 5 A {ip}"]
    kube_dns: Any = cluster.kubectl_json("get", "svc", "kube-dns", "-n", "kube-system")
    assert kube_dns["spec"]["clusterIP"] == "127.96.0.10"
