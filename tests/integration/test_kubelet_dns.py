"""Pods' hostname, /etc/hosts and /etc/resolv.conf, from the real kubelet and seen by real
processes: with namespaces (this machine runs the tests as root: a UTS namespace per pod, the
files bind-mounted) and without (``LOCALDOMAIN`` and ``RES_OPTIONS`` only).

The fixtures are those of :mod:`tests.integration.test_kubelet`.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from kubeling.client import ApiClient
from kubeling.client.resources import NODES, PODS
from kubeling.kubelet.runtime import mounts
from tests.integration.test_kubelet import (
    PY,
    Node,
    client,
    container,
    eventually,
    get_pod,
    log_lines,
    node,
    pod_body,
    pod_events,
    server,
)

__all__ = ["client", "node", "server"]  # fixtures used here

Obj = dict[str, Any]

#: Prints what the container sees of its naming as one JSON line, then waits.
REPORT = """
import json, os, socket, sys, time
def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as err:
        return "error: " + err.strerror
print(json.dumps({
    "resolv": read("/etc/resolv.conf"),
    "hosts": read("/etc/hosts"),
    "hostname": socket.gethostname(),
    "env": {k: os.environ.get(k) for k in ("HOSTNAME", "LOCALDOMAIN", "RES_OPTIONS")},
}), flush=True)
if sys.argv[1:] != ["exit"]:
    time.sleep(600)
"""

HOST_RESOLV = "# the host's\nnameserver 192.0.2.53\nsearch corp.example\noptions edns0\n"
CLUSTER_SEARCH = "default.svc.cluster.local svc.cluster.local cluster.local corp.example"


def _host_file(path: str) -> str:
    """A file of the node, as the test process (outside every pod) reads it."""
    return Path(path).read_text()


def _reporter(name: str, *args: str) -> Obj:
    return {**container(name, REPORT), "args": list(args)}


async def _report(node: Node, client: ApiClient, name: str, container_name: str) -> Obj | None:
    pod = await get_pod(client, name)
    lines = log_lines(node, pod, container_name)
    return json.loads(lines[0]) if lines else None


async def _start(node: Node, tmp_path: Path, *, namespaces: bool) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(HOST_RESOLV)
    await node.start(
        mount_namespaces=namespaces,
        cluster_dns=("127.96.0.10",),
        cluster_domain="cluster.local",
        resolv_conf=str(resolv),
    )


async def test_pods_get_their_hostname_hosts_and_resolv_conf(
    node: Node, client: ApiClient, tmp_path: Path
) -> None:
    assert mounts.namespaces_usable() == "", "these tests run as root"
    await _start(node, tmp_path, namespaces=True)
    node_hostname = socket.gethostname()
    host_resolv = _host_file("/etc/resolv.conf")
    body = pod_body(
        "named",
        node.name,
        [_reporter("main")],
        # An init container's namespace outlives it: the main container shares it.
        initContainers=[_reporter("init", "exit")],
        hostname="web-0",
        subdomain="web",
        hostAliases=[{"ip": "10.9.9.9", "hostnames": ["alias.example", "other.example"]}],
    )
    await client.resource(PODS).create(body)
    seen = await eventually(
        lambda: _report(node, client, "named", "main"), "the container reported nothing"
    )
    assert seen["resolv"] == (f"search {CLUSTER_SEARCH}\nnameserver 127.96.0.10\noptions ndots:5\n")
    assert seen["hosts"] == (
        "# Kubernetes-managed hosts file.\n"
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "fe00::0\tip6-mcastprefix\n"
        "fe00::1\tip6-allnodes\n"
        "fe00::2\tip6-allrouters\n"
        "127.0.0.1\tweb-0.web.default.svc.cluster.local\tweb-0\n"
        "\n# Entries added by HostAliases.\n"
        "10.9.9.9\talias.example\tother.example\n"
    )
    assert seen["hostname"] == "web-0"
    assert seen["env"] == {"HOSTNAME": "web-0", "LOCALDOMAIN": None, "RES_OPTIONS": None}
    init = await _report(node, client, "named", "init")
    assert init is not None
    assert init["hostname"] == "web-0"
    # An exec'd command is in the pod's namespaces too.
    pod = await get_pod(client, "named")
    container_id = pod["status"]["containerStatuses"][0]["containerID"].split("://")[1]
    script = "import socket; print(socket.gethostname()); print(open('/etc/resolv.conf').read())"
    result = await node.runtime().exec_sync(container_id, [PY, "-c", script])
    assert result.stdout.decode().splitlines()[:2] == ["web-0", f"search {CLUSTER_SEARCH}"]
    # The node keeps its own.
    assert socket.gethostname() == node_hostname
    assert _host_file("/etc/resolv.conf") == host_resolv
    uid = pod["metadata"]["uid"]
    assert _host_file(str(node.root / "pods" / uid / "etc-hosts")) == seen["hosts"]
    assert node.runtime().isolation_note.startswith("a UTS namespace per pod")
    annotations = (await client.resource(NODES).get(node.name))["metadata"]["annotations"]
    assert annotations["kubeling.io/pod-isolation"] == node.runtime().isolation_note


async def test_set_hostname_as_fqdn_default_policy_and_dns_config(
    node: Node, client: ApiClient, tmp_path: Path
) -> None:
    await _start(node, tmp_path, namespaces=True)
    fqdn = pod_body(
        "fqdn",
        node.name,
        [_reporter("main")],
        subdomain="web",
        setHostnameAsFQDN=True,
        dnsPolicy="Default",
        dnsConfig={
            "nameservers": ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
            "options": [{"name": "ndots", "value": "2"}],
        },
    )
    await client.resource(PODS).create(fqdn)
    seen = await eventually(lambda: _report(node, client, "fqdn", "main"), "no report")
    assert seen["hostname"] == "fqdn.web.default.svc.cluster.local"
    assert seen["resolv"] == (
        "search corp.example\nnameserver 192.0.2.53\nnameserver 192.0.2.1\n"
        "nameserver 192.0.2.2\noptions edns0 ndots:2\n"
    )
    events = [e for e in await pod_events(client, "fqdn") if e["reason"] == "DNSConfigForming"]
    assert [e["message"] for e in events] == [
        "Nameserver limits were exceeded, some nameservers have been omitted, the applied "
        "nameserver line is: 192.0.2.53 192.0.2.1 192.0.2.2"
    ]
    assert events[0]["type"] == "Warning"


async def test_a_host_network_pod_keeps_the_node_s_hostname(
    node: Node, client: ApiClient, tmp_path: Path
) -> None:
    await _start(node, tmp_path, namespaces=True)
    body = pod_body("hostnet", node.name, [_reporter("main")], hostNetwork=True)
    await client.resource(PODS).create(body)
    seen = await eventually(lambda: _report(node, client, "hostnet", "main"), "no report")
    assert seen["hostname"] == socket.gethostname()
    assert seen["env"]["HOSTNAME"] == socket.gethostname()
    assert seen["hosts"] == (
        "# Kubernetes-managed hosts file (host network).\n" + _host_file("/etc/hosts")
    )
    # ClusterFirst on the host network is Default, as in Kubernetes.
    assert seen["resolv"] == "search corp.example\nnameserver 192.0.2.53\noptions edns0\n"


async def test_without_namespaces_the_environment_carries_the_search_list(
    node: Node, client: ApiClient, tmp_path: Path
) -> None:
    await _start(node, tmp_path, namespaces=False)
    await client.resource(PODS).create(pod_body("plain", node.name, [_reporter("main")]))
    seen = await eventually(lambda: _report(node, client, "plain", "main"), "no report")
    assert seen["hostname"] == socket.gethostname()
    assert seen["resolv"] == _host_file("/etc/resolv.conf")
    assert seen["env"] == {
        "HOSTNAME": "plain",
        "LOCALDOMAIN": CLUSTER_SEARCH,
        "RES_OPTIONS": "ndots:5",
    }
    annotations = (await client.resource(NODES).get(node.name))["metadata"]["annotations"]
    assert annotations["kubeling.io/pod-isolation"].startswith("none (disabled)")


def _pinned(node: Node) -> list[bool]:
    """Whether each sandbox's UTS namespace is pinned (its ``uts`` file a mount on the host)."""
    pins = sorted((node.root / "runtime" / "sandboxes").glob("*/uts"))
    return [os.path.ismount(pin) for pin in pins]


async def test_a_stopped_node_leaves_no_namespace_mounted_and_pods_come_back(
    node: Node, client: ApiClient, tmp_path: Path
) -> None:
    """As `kubeling up` stops (its containers with it), the pins are let go; started again,
    the restarted container is in a namespace with the pod's hostname again."""
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(HOST_RESOLV)
    settings: dict[str, Any] = {"resolv_conf": str(resolv), "stop_pods_on_exit": True}
    await node.start(**settings)
    await client.resource(PODS).create(pod_body("again", node.name, [_reporter("main")]))
    await eventually(lambda: _report(node, client, "again", "main"), "no report")
    assert _pinned(node) == [True]
    await node.stop()
    assert _pinned(node) == [False]
    await node.start(**settings)

    async def restarted() -> Obj | None:
        pod = await get_pod(client, "again")
        lines = log_lines(node, pod, "main", attempt=1)
        return json.loads(lines[0]) if lines else None

    seen = await eventually(restarted, "the container did not come back")
    assert seen["hostname"] == "again"
    assert _pinned(node) == [True]
