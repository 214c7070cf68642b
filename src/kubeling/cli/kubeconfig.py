"""Kubeconfig files: write the one kubectl reads.

:func:`write_kubeconfig` writes the standard ``kind: Config`` layout with everything inline
(``certificate-authority-data``, ``client-certificate-data``/``client-key-data`` or ``token``), so
the file can be copied to another machine on its own. It holds a private key or a token, so it is
0600 and written atomically (:func:`kubeling.pki.write_atomic`).

:func:`load_kubeconfig` (reading one back, for kubeling's own client) lives with that client in
:mod:`kubeling.client.config` and is re-exported here.
"""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from kubeling.client.config import Kubeconfig, KubeconfigError, load_kubeconfig
from kubeling.pki import write_atomic

__all__ = ["Kubeconfig", "KubeconfigError", "load_kubeconfig", "write_kubeconfig"]

_MODE = 0o600


def write_kubeconfig(
    path: Path,
    *,
    server_url: str,
    ca_pem: bytes,
    client_cert_pem: bytes | None = None,
    client_key_pem: bytes | None = None,
    token: str | None = None,
    cluster_name: str = "kubeling",
    user: str = "kubeling-admin",
    context: str = "kubeling",
) -> None:
    """Write a kubeconfig for one cluster, one user and one context, and make it current.

    The user authenticates with a client cert and key (both), or a bearer ``token``, or both.
    """
    if (client_cert_pem is None) != (client_key_pem is None):
        raise ValueError("client_cert_pem and client_key_pem go together")
    if client_cert_pem is None and token is None:
        raise ValueError("a kubeconfig user needs a client cert and key, or a token")
    credentials: dict[str, str] = {}
    if client_cert_pem is not None and client_key_pem is not None:
        credentials["client-certificate-data"] = _b64(client_cert_pem)
        credentials["client-key-data"] = _b64(client_key_pem)
    if token is not None:
        credentials["token"] = token
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_name,
                "cluster": {"certificate-authority-data": _b64(ca_pem), "server": server_url},
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": cluster_name, "user": user}}],
        "current-context": context,
        "preferences": {},
        "users": [{"name": user, "user": credentials}],
    }
    text = yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode(), mode=_MODE)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
