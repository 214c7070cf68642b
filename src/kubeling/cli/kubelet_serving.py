"""The kubelet's HTTPS serving configuration, made from the cluster's PKI.

The kubelet package knows nothing of the PKI: the command line issues the node's serving
certificate (``CN=system:node:<node>``, for the node's name, host name and address, signed by the
cluster CA, written to ``<kubelet root>/pki/kubelet.crt|key`` as Kubernetes' kubelet keeps its
self-made one) and hands the kubelet an SSL context and the function that turns an API server's
client certificate into a user and groups.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kubeling.kubelet.server import KubeletServerConfig
from kubeling.pki import Pki, identity_from_cert, issue_serving_cert

__all__ = ["kubelet_server_config"]


def _identify(peercert: Mapping[str, Any]) -> tuple[str, Sequence[str]] | None:
    identity = identity_from_cert(peercert)
    return None if identity is None else (identity.user, identity.groups)


def kubelet_server_config(
    pki: Pki,
    *,
    node_name: str,
    node_ip: str,
    root_dir: Path,
    bind_address: str,
    port: int,
) -> KubeletServerConfig:
    """Issue the node's serving certificate and say how its kubelet serves (blocking I/O)."""
    names = [node_name, socket.gethostname(), "localhost"]
    ips = [node_ip, "127.0.0.1"]
    cert_pem, key_pem = issue_serving_cert(pki, f"system:node:{node_name}", names=names, ips=ips)
    directory = root_dir / "pki"
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    cert, key = directory / "kubelet.crt", directory / "kubelet.key"
    key.touch(mode=0o600)
    key.chmod(0o600)
    key.write_bytes(key_pem)
    cert.write_bytes(cert_pem)
    return KubeletServerConfig(
        bind_address=bind_address,
        port=port,
        ssl_context=pki.serving_ssl_context(cert, key),
        identify=_identify,
    )
