"""Where a pod's log, exec, attach and port-forward requests go: its node's kubelet.

Kubernetes' ``LogLocation``, ``ExecLocation``, ``AttachLocation`` and ``PortForwardLocation``
(``pkg/registry/core/pod/strategy.go``) and the kubelet connection info (``NodeConnectionInfo
Getter``), with their errors:

- the pod must exist (404 ``pods "x" not found``);
- a named container must be one of the pod's (init, regular, ephemeral): 400
  ``container c is not valid for pod x``; an unnamed one is the only container, else 400
  ``a container name must be specified for pod x, choose one of: [a b]``;
- the pod must be bound: 400 ``pod x does not have a host assigned`` (a log request instead gets
  no location: an empty answer);
- the node's kubelet is at its first address of type InternalIP, ExternalIP or Hostname (the
  order kube-apiserver is given by k3s; upstream's default puts Hostname first), on the port its
  status reports (``daemonEndpoints.kubeletEndpoint.Port``), 10250 when none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.api import errors
from kubeling.apiserver.rest.resource_store import ResourceStore

__all__ = [
    "DEFAULT_KUBELET_PORT",
    "PREFERRED_ADDRESS_TYPES",
    "KubeletLocation",
    "container_names",
    "kubelet_location",
    "node_address",
    "node_kubelet_location",
    "validate_container",
]

DEFAULT_KUBELET_PORT = 10250
PREFERRED_ADDRESS_TYPES = ("InternalIP", "ExternalIP", "Hostname")

Obj = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class KubeletLocation:
    """A kubelet's HTTPS endpoint."""

    host: str
    port: int

    def url(self, path: str) -> str:
        """``https://host:port/path`` (IPv6 hosts bracketed)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}{path}"


def container_names(pod: Obj) -> list[str]:
    """Every container of the pod, init containers first, then regular, then ephemeral
    (``podutil.VisitContainers``)."""
    spec = pod.get("spec") or {}
    return [
        str(container.get("name", ""))
        for key in ("initContainers", "containers", "ephemeralContainers")
        for container in spec.get(key) or []
        if isinstance(container, Mapping)
    ]


def validate_container(container: str, pod: Obj) -> str:
    """The container a request means (``validateContainer``), or its 400.

    >>> pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]}}
    >>> validate_container("b", pod)
    'b'
    >>> try:
    ...     validate_container("", pod)
    ... except errors.StatusError as err:
    ...     print(err.to_status()["message"])
    a container name must be specified for pod p, choose one of: [a b]
    """
    name = str((pod.get("metadata") or {}).get("name", ""))
    if container:
        if container not in container_names(pod):
            raise errors.bad_request(f"container {container} is not valid for pod {name}")
        return container
    regular = (pod.get("spec") or {}).get("containers") or []
    if len(regular) == 1 and isinstance(regular[0], Mapping):
        return str(regular[0].get("name", ""))
    if not regular:
        raise errors.bad_request(f"a container name must be specified for pod {name}")
    raise errors.bad_request(
        f"a container name must be specified for pod {name}, "
        f"choose one of: [{' '.join(container_names(pod))}]"
    )


def node_address(node: Obj, preferred: Sequence[str] = PREFERRED_ADDRESS_TYPES) -> str:
    """The node's address of the first preferred type (``GetPreferredNodeAddress``).

    >>> node_address({"status": {"addresses": [{"type": "Hostname", "address": "n1"},
    ...                                        {"type": "InternalIP", "address": "10.0.0.1"}]}})
    '10.0.0.1'
    """
    addresses = [
        a for a in (node.get("status") or {}).get("addresses") or [] if isinstance(a, Mapping)
    ]
    for kind in preferred:
        for address in addresses:
            if address.get("type") == kind and address.get("address"):
                return str(address["address"])
    known = " ".join(f"{{{a.get('type', '')} {a.get('address', '')}}}" for a in addresses)
    raise errors.internal_error(f"no preferred addresses found; known addresses: [{known}]")


def _kubelet_port(node: Obj) -> int:
    endpoints = (node.get("status") or {}).get("daemonEndpoints") or {}
    port = (endpoints.get("kubeletEndpoint") or {}).get("Port")
    if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
        return port
    return DEFAULT_KUBELET_PORT


async def kubelet_location(nodes: ResourceStore, pod: Obj) -> KubeletLocation | None:
    """The kubelet of the pod's node; None if the pod is not bound (callers decide the error)."""
    node_name = (pod.get("spec") or {}).get("nodeName")
    if not node_name:
        return None
    return node_kubelet_location(await nodes.get("", str(node_name)))


def node_kubelet_location(node: Obj) -> KubeletLocation:
    """Where a node's kubelet serves (its preferred address, its reported port)."""
    return KubeletLocation(node_address(node), _kubelet_port(node))
