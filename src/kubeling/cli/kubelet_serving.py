"""The kubelet's HTTPS serving configuration: its certificate on disk and how it serves.

The kubelet package knows nothing of the PKI: the command line gets the node's serving
certificate (``CN=system:node:<node>``, for the node's names and address, signed by the cluster
CA), keeps it in ``<kubelet root>/pki/kubelet.crt|key`` (where Kubernetes' kubelet keeps its
own), and hands the kubelet an SSL context and the function that turns an API server's client
certificate into a user and groups. Where the certificate comes from differs:

- ``kubeling up`` and ``kubeling kubelet`` hold the CA key and issue it themselves
  (:func:`kubelet_server_config`);
- ``kubeling agent`` has it signed by the API server with its node's client certificate
  (:mod:`kubeling.cli.agent`), then serves it with :func:`serving_config`.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kubeling.kubelet.server import KubeletServerConfig
from kubeling.pki import (
    Pki,
    identity_from_cert,
    issue_serving_cert,
    serving_ssl_context,
    write_atomic,
)

__all__ = ["kubelet_server_config", "serving_config", "serving_files", "write_serving_files"]


def _identify(peercert: Mapping[str, Any]) -> tuple[str, Sequence[str]] | None:
    identity = identity_from_cert(peercert)
    return None if identity is None else (identity.user, identity.groups)


def serving_files(root_dir: Path) -> tuple[Path, Path]:
    """Where the kubelet rooted at ``root_dir`` keeps its serving certificate and key."""
    directory = root_dir / "pki"
    return directory / "kubelet.crt", directory / "kubelet.key"


def write_serving_files(root_dir: Path, cert_pem: bytes, key_pem: bytes) -> tuple[Path, Path]:
    """Keep a serving certificate and its key (0600) for the kubelet rooted at ``root_dir``;
    the key goes first, so a certificate on disk always has its key (blocking I/O)."""
    cert, key = serving_files(root_dir)
    cert.parent.mkdir(parents=True, exist_ok=True)
    cert.parent.chmod(0o700)
    write_atomic(key, key_pem, mode=0o600)
    write_atomic(cert, cert_pem, mode=0o644)
    return cert, key


def serving_config(
    cert: Path, key: Path, ca_cert: Path, *, bind_address: str, port: int
) -> KubeletServerConfig:
    """How a kubelet serves ``cert``/``key``, taking client certificates of the CA ``ca_cert``."""
    return KubeletServerConfig(
        bind_address=bind_address,
        port=port,
        ssl_context=serving_ssl_context(cert, key, ca_cert),
        identify=_identify,
    )


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
    cert, key = write_serving_files(root_dir, cert_pem, key_pem)
    return serving_config(cert, key, pki.ca_cert, bind_address=bind_address, port=port)
