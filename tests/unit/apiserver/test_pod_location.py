"""Where a pod's streams go: the container meant, the node's kubelet address and port."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api import errors
from kubeling.apiserver.rest.pod_location import (
    KubeletLocation,
    container_names,
    kubelet_location,
    node_address,
    validate_container,
)


def _pod(
    containers: list[str], init: tuple[str, ...] = (), ephemeral: tuple[str, ...] = ()
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": n} for n in containers]}
    if init:
        spec["initContainers"] = [{"name": n} for n in init]
    if ephemeral:
        spec["ephemeralContainers"] = [{"name": n} for n in ephemeral]
    return {"metadata": {"name": "web"}, "spec": spec}


@pytest.mark.parametrize(
    ("pod", "asked", "meant"),
    [
        (_pod(["a"]), "", "a"),
        (_pod(["a", "b"]), "b", "b"),
        (_pod(["a"], init=("setup",)), "", "a"),
        (_pod(["a"], init=("setup",)), "setup", "setup"),
        (_pod(["a"], ephemeral=("debug",)), "debug", "debug"),
    ],
)
def test_container_meant(pod: dict[str, Any], asked: str, meant: str) -> None:
    """A named container must be the pod's (any kind); unnamed, the only regular one."""
    assert validate_container(asked, pod) == meant


@pytest.mark.parametrize(
    ("pod", "asked", "message"),
    [
        (_pod(["a"]), "b", "container b is not valid for pod web"),
        (_pod([]), "", "a container name must be specified for pod web"),
        (
            _pod(["a", "b"], init=("setup",), ephemeral=("debug",)),
            "",
            "a container name must be specified for pod web, choose one of: [setup a b debug]",
        ),
    ],
)
def test_container_errors(pod: dict[str, Any], asked: str, message: str) -> None:
    """400 BadRequest with validateContainer's message (containers listed init first)."""
    with pytest.raises(errors.StatusError) as caught:
        validate_container(asked, pod)
    assert caught.value.code == 400
    assert caught.value.to_status()["message"] == message


def test_container_names_order() -> None:
    """VisitContainers' order: init, regular, ephemeral."""
    assert container_names(_pod(["a"], init=("i",), ephemeral=("e",))) == ["i", "a", "e"]


@pytest.mark.parametrize(
    ("addresses", "address"),
    [
        ([{"type": "InternalIP", "address": "10.0.0.1"}], "10.0.0.1"),
        (
            [{"type": "Hostname", "address": "n1"}, {"type": "ExternalIP", "address": "1.2.3.4"}],
            "1.2.3.4",
        ),
        (
            [
                {"type": "Hostname", "address": "n1"},
                {"type": "InternalIP", "address": "10.0.0.2"},
                {"type": "InternalIP", "address": "10.0.0.3"},
            ],
            "10.0.0.2",
        ),
        ([{"type": "Hostname", "address": "n1"}], "n1"),
    ],
)
def test_node_address(addresses: list[dict[str, str]], address: str) -> None:
    """The first address of the first preferred type: InternalIP, ExternalIP, Hostname."""
    assert node_address({"status": {"addresses": addresses}}) == address


def test_node_without_a_usable_address() -> None:
    """No preferred address: an internal error naming the known ones (upstream's NoMatchError)."""
    with pytest.raises(errors.StatusError) as caught:
        node_address({"status": {"addresses": [{"type": "InternalDNS", "address": "n.local"}]}})
    assert caught.value.code == 500
    assert caught.value.to_status()["message"] == (
        "Internal error occurred: no preferred addresses found; known addresses: "
        "[{InternalDNS n.local}]"
    )


def test_kubelet_url() -> None:
    """https, IPv6 hosts in brackets."""
    assert KubeletLocation("10.0.0.1", 10250).url("/healthz") == "https://10.0.0.1:10250/healthz"
    assert KubeletLocation("::1", 1).url("/x") == "https://[::1]:1/x"


class _Nodes:
    def __init__(self, node: dict[str, Any]) -> None:
        self.node = node

    async def get(self, namespace: str, name: str) -> dict[str, Any]:
        return self.node


@pytest.mark.parametrize(
    ("endpoints", "port"),
    [
        ({"kubeletEndpoint": {"Port": 12345}}, 12345),
        ({"kubeletEndpoint": {"Port": 0}}, 10250),
        ({}, 10250),
    ],
)
async def test_kubelet_port(endpoints: dict[str, Any], port: int) -> None:
    """The port the node reports, 10250 when it reports none."""
    node = {"status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]}}
    node["status"]["daemonEndpoints"] = endpoints
    bound = {"spec": {"nodeName": "n"}}
    assert await kubelet_location(_Nodes(node), bound) == KubeletLocation("127.0.0.1", port)  # type: ignore[arg-type]
    assert await kubelet_location(_Nodes(node), {"spec": {}}) is None  # type: ignore[arg-type]
