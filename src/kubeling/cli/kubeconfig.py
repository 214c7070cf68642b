"""Kubeconfig files: write the one kubectl reads, read back what kubeling's own client needs.

:func:`write_kubeconfig` writes the standard ``kind: Config`` layout with everything inline
(``certificate-authority-data``, ``client-certificate-data``/``client-key-data`` or ``token``), so
the file can be copied to another machine on its own. It holds a private key or a token, so it is
0600 and written atomically (:func:`kubeling.pki.write_atomic`).

:func:`load_kubeconfig` reads the current (or a named) context into a :class:`Kubeconfig`: the
server URL and the credentials as bytes, whether the file carries them inline or as paths
(relative paths resolve against the file's directory, as kubectl does). Credentials kubeling
cannot use (exec plugins, auth providers, basic auth, impersonation, proxies) are rejected with
:class:`KubeconfigError` rather than silently dropped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubeling.pki import write_atomic

__all__ = ["Kubeconfig", "KubeconfigError", "load_kubeconfig", "write_kubeconfig"]

_MODE = 0o600
# Keys that change how a client must authenticate or connect. Ignoring them would connect in a
# way the file's author did not ask for, so they are refused instead.
_UNSUPPORTED_USER_KEYS = ("exec", "auth-provider", "username", "password", "as", "as-groups")
_UNSUPPORTED_CLUSTER_KEYS = ("proxy-url",)


class KubeconfigError(ValueError):
    """The kubeconfig is malformed, or asks for something kubeling's client does not do."""


@dataclass(frozen=True, kw_only=True)
class Kubeconfig:
    """One context of a kubeconfig, resolved: where the server is and how to prove who we are."""

    context: str
    cluster: str
    user: str
    server: str
    ca_pem: bytes | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = None
    token: str | None = None


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


def load_kubeconfig(path: Path, *, context: str | None = None) -> Kubeconfig:
    """Read ``context`` (default: ``current-context``) of the kubeconfig at ``path``."""
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise KubeconfigError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise KubeconfigError(f"{path}: not a kubeconfig (expected a mapping at the top)")
    base = path.parent

    context_name = context or document.get("current-context") or ""
    if not context_name:
        raise KubeconfigError(f"{path}: no current-context set and no context given")
    context_entry = _named(document, "contexts", "context", context_name, path)
    cluster_name = _str(context_entry, "cluster", path)
    user_name = _str(context_entry, "user", path, default="")
    cluster = _named(document, "clusters", "cluster", cluster_name, path)
    user = _named(document, "users", "user", user_name, path) if user_name else {}

    for key in _UNSUPPORTED_CLUSTER_KEYS:
        if key in cluster:
            raise KubeconfigError(f"{path}: cluster {cluster_name!r}: {key} is not supported")
    for key in _UNSUPPORTED_USER_KEYS:
        if key in user:
            raise KubeconfigError(f"{path}: user {user_name!r}: {key} is not supported")

    server = _str(cluster, "server", path)
    if not server:
        raise KubeconfigError(f"{path}: cluster {cluster_name!r} has no server")
    token = _str(user, "token", path, default="") or None
    token_file = _str(user, "tokenFile", path, default="")
    if token is None and token_file:
        token = (base / token_file).read_text().strip()
    return Kubeconfig(
        context=context_name,
        cluster=cluster_name,
        user=user_name,
        server=server,
        ca_pem=_data_or_file(cluster, "certificate-authority", base, path),
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify", False)),
        tls_server_name=_str(cluster, "tls-server-name", path, default="") or None,
        client_cert_pem=_data_or_file(user, "client-certificate", base, path),
        client_key_pem=_data_or_file(user, "client-key", base, path),
        token=token,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _named(
    document: Mapping[str, Any], section: str, field: str, name: str, path: Path
) -> Mapping[str, Any]:
    """The ``field`` mapping of the entry called ``name`` in the list ``document[section]``."""
    entries = document.get(section) or []
    if not isinstance(entries, list):
        raise KubeconfigError(f"{path}: {section} is not a list")
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name") == name:
            value = entry.get(field) or {}
            if not isinstance(value, dict):
                raise KubeconfigError(f"{path}: {section} entry {name!r}: {field} is not a mapping")
            return value
    raise KubeconfigError(f"{path}: no entry named {name!r} in {section}")


def _str(mapping: Mapping[str, Any], key: str, path: Path, *, default: str | None = None) -> str:
    value = mapping.get(key, default)
    if value is None:
        raise KubeconfigError(f"{path}: {key} is missing")
    if not isinstance(value, str):
        raise KubeconfigError(f"{path}: {key} is not a string")
    return value


def _data_or_file(mapping: Mapping[str, Any], key: str, base: Path, path: Path) -> bytes | None:
    """``<key>-data`` (base64) if present, else the file named by ``<key>``, else None."""
    data = _str(mapping, f"{key}-data", path, default="")
    if data:
        try:
            return base64.b64decode(data, validate=True)
        except binascii.Error as error:
            raise KubeconfigError(f"{path}: {key}-data is not valid base64") from error
    file = _str(mapping, key, path, default="")
    if file:
        return (base / file).read_bytes()
    return None
