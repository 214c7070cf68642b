"""Where the API server is and how to prove who we are: kubeconfig files and in-cluster config.

Two sources, one result. :func:`load_kubeconfig` reads one context of a kubeconfig (the file
``kubeling server`` writes to ``<data-dir>/kubeconfig.yaml``, or any kubectl writes) into a
:class:`Kubeconfig`: the server URL and the credentials as bytes, whether the file carries them
inline (``*-data``, base64) or as paths (relative paths resolve against the file's directory, as
kubectl does). Credentials kubeling cannot use (exec plugins, auth providers, basic auth,
impersonation, proxies) raise :class:`ConfigError` rather than being silently dropped.

:func:`in_cluster_config` is client-go's ``InClusterConfig``: ``KUBERNETES_SERVICE_HOST`` and
``KUBERNETES_SERVICE_PORT`` name the server, and the service account's token, CA and namespace
are read from ``/var/run/secrets/kubernetes.io/serviceaccount`` (a parameter, for tests).

Either becomes a :class:`ClientConfig`, which is what :class:`kubeling.client.rest.ApiClient`
takes; its :meth:`ClientConfig.ssl_context` builds the TLS context (cluster CA, client
certificate). A token named by a file (in-cluster, ``tokenFile``) stays a file name: the client
re-reads it once a minute, as client-go does, so that rotated service-account tokens are used.
"""

from __future__ import annotations

import base64
import binascii
import os
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import yaml

__all__ = [
    "SERVICE_ACCOUNT_DIR",
    "ClientConfig",
    "ConfigError",
    "Kubeconfig",
    "KubeconfigError",
    "in_cluster_config",
    "load_client_config",
    "load_kubeconfig",
]

SERVICE_ACCOUNT_DIR: Final = Path("/var/run/secrets/kubernetes.io/serviceaccount")
# Keys that change how a client must authenticate or connect. Ignoring them would connect in a
# way the file's author did not ask for, so they are refused instead.
_UNSUPPORTED_USER_KEYS = ("exec", "auth-provider", "username", "password", "as", "as-groups")
_UNSUPPORTED_CLUSTER_KEYS = ("proxy-url",)


class ConfigError(ValueError):
    """The configuration is malformed or missing, or asks for what kubeling's client does not do."""


# The name the kubeconfig reader has always raised; one class, two names.
KubeconfigError = ConfigError


@dataclass(frozen=True, kw_only=True)
class Kubeconfig:
    """One context of a kubeconfig, resolved: where the server is and how to prove who we are."""

    context: str
    cluster: str
    user: str
    server: str
    namespace: str = ""
    ca_pem: bytes | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = None
    token: str | None = None
    token_file: Path | None = None


@dataclass(frozen=True, kw_only=True)
class ClientConfig:
    """Everything :class:`~kubeling.client.rest.ApiClient` needs to reach and authenticate.

    ``namespace`` is the default namespace of the context (or the pod's own, in-cluster);
    ``user_agent`` is sent on every request and, as in Kubernetes, its part before the first
    ``/`` is the default ``fieldManager`` of writes: components set their own name
    (``kube-scheduler/v1.32``) through :meth:`with_user_agent`. ``token`` is sent as is;
    ``token_file`` is read by the client and re-read as it rotates.
    """

    server: str
    namespace: str = "default"
    ca_pem: bytes | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = None
    token: str | None = None
    token_file: Path | None = None
    user_agent: str = "kubeling"

    @classmethod
    def from_kubeconfig(cls, kubeconfig: Kubeconfig) -> ClientConfig:
        """The client settings of one kubeconfig context."""
        return cls(
            server=kubeconfig.server.rstrip("/"),
            namespace=kubeconfig.namespace or "default",
            ca_pem=kubeconfig.ca_pem,
            insecure_skip_tls_verify=kubeconfig.insecure_skip_tls_verify,
            tls_server_name=kubeconfig.tls_server_name,
            client_cert_pem=kubeconfig.client_cert_pem,
            client_key_pem=kubeconfig.client_key_pem,
            # A token read from a file stays a file name, re-read by the client as it rotates.
            token=None if kubeconfig.token_file is not None else kubeconfig.token,
            token_file=kubeconfig.token_file,
        )

    def with_user_agent(self, user_agent: str) -> ClientConfig:
        """A copy that sends ``user_agent`` (``component/version``)."""
        return replace(self, user_agent=user_agent)

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for an ``https://`` server (``None`` for plain ``http://``).

        It trusts ``ca_pem`` (or the system store when there is none), unless
        ``insecure_skip_tls_verify``, and presents the client certificate when there is one.
        """
        if not self.server.startswith("https://"):
            return None
        context = ssl.create_default_context(
            ssl.Purpose.SERVER_AUTH, cadata=self.ca_pem.decode() if self.ca_pem else None
        )
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.insecure_skip_tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.client_cert_pem is not None and self.client_key_pem is not None:
            _load_cert_chain(context, self.client_cert_pem, self.client_key_pem)
        return context


def _load_cert_chain(context: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """``load_cert_chain`` from memory: Python's ssl only reads files, so write private ones
    in a 0700 temporary directory and remove them as soon as they are loaded."""
    with tempfile.TemporaryDirectory(prefix="kubeling-client-") as directory:
        cert, key = Path(directory) / "client.crt", Path(directory) / "client.key"
        for path, data in ((cert, cert_pem), (key, key_pem)):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        try:
            context.load_cert_chain(cert, key)
        except ssl.SSLError as error:
            raise ConfigError(f"client certificate and key do not load: {error}") from error


def load_kubeconfig(path: Path, *, context: str | None = None) -> Kubeconfig:
    """Read ``context`` (default: ``current-context``) of the kubeconfig at ``path``."""
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error}") from error
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: not a kubeconfig (expected a mapping at the top)")
    base = path.parent

    context_name = context or document.get("current-context") or ""
    if not context_name:
        raise ConfigError(f"{path}: no current-context set and no context given")
    context_entry = _named(document, "contexts", "context", context_name, path)
    cluster_name = _str(context_entry, "cluster", path)
    user_name = _str(context_entry, "user", path, default="")
    cluster = _named(document, "clusters", "cluster", cluster_name, path)
    user = _named(document, "users", "user", user_name, path) if user_name else {}

    for key in _UNSUPPORTED_CLUSTER_KEYS:
        if key in cluster:
            raise ConfigError(f"{path}: cluster {cluster_name!r}: {key} is not supported")
    for key in _UNSUPPORTED_USER_KEYS:
        if key in user:
            raise ConfigError(f"{path}: user {user_name!r}: {key} is not supported")

    server = _str(cluster, "server", path)
    if not server:
        raise ConfigError(f"{path}: cluster {cluster_name!r} has no server")
    token = _str(user, "token", path, default="") or None
    token_file_name = _str(user, "tokenFile", path, default="")
    # As in kubectl, an inline token wins; tokenFile is kept only when it is the token's source.
    token_file = base / token_file_name if token_file_name and token is None else None
    if token_file is not None:
        # Read now, so that a missing file is reported at load time.
        try:
            token = token_file.read_text().strip()
        except OSError as error:
            raise ConfigError(f"{path}: cannot read tokenFile {token_file}: {error}") from error
    return Kubeconfig(
        context=context_name,
        cluster=cluster_name,
        user=user_name,
        server=server,
        namespace=_str(context_entry, "namespace", path, default=""),
        ca_pem=_data_or_file(cluster, "certificate-authority", base, path),
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify", False)),
        tls_server_name=_str(cluster, "tls-server-name", path, default="") or None,
        client_cert_pem=_data_or_file(user, "client-certificate", base, path),
        client_key_pem=_data_or_file(user, "client-key", base, path),
        token=token,
        token_file=token_file,
    )


def load_client_config(path: Path, *, context: str | None = None) -> ClientConfig:
    """:func:`load_kubeconfig` then :meth:`ClientConfig.from_kubeconfig`."""
    return ClientConfig.from_kubeconfig(load_kubeconfig(path, context=context))


def in_cluster_config(
    *,
    environ: Mapping[str, str] | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> ClientConfig:
    """The config of a client running in a pod, from its environment and service account.

    ``https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`` (IPv6 hosts bracketed), the
    account's ``token`` (re-read as it rotates), ``ca.crt`` and ``namespace`` (``default`` when
    the file is absent).
    """
    env = os.environ if environ is None else environ
    host, port = env.get("KUBERNETES_SERVICE_HOST", ""), env.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        raise ConfigError(
            "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
            "KUBERNETES_SERVICE_PORT must be defined"
        )
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    token_file = service_account_dir / "token"
    if not token_file.is_file():
        raise ConfigError(f"unable to load in-cluster configuration: no token at {token_file}")
    ca_file = service_account_dir / "ca.crt"
    try:
        ca_pem = ca_file.read_bytes()
    except OSError as error:
        raise ConfigError(f"unable to load in-cluster configuration: {error}") from error
    namespace_file = service_account_dir / "namespace"
    namespace = namespace_file.read_text().strip() if namespace_file.is_file() else ""
    return ClientConfig(
        server=f"https://{host}:{port}",
        namespace=namespace or "default",
        ca_pem=ca_pem,
        token_file=token_file,
    )


def _named(
    document: Mapping[str, Any], section: str, field: str, name: str, path: Path
) -> Mapping[str, Any]:
    """The ``field`` mapping of the entry called ``name`` in the list ``document[section]``."""
    entries = document.get(section) or []
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: {section} is not a list")
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name") == name:
            value = entry.get(field) or {}
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: {section} entry {name!r}: {field} is not a mapping")
            return value
    raise ConfigError(f"{path}: no entry named {name!r} in {section}")


def _str(mapping: Mapping[str, Any], key: str, path: Path, *, default: str | None = None) -> str:
    value = mapping.get(key, default)
    if value is None:
        raise ConfigError(f"{path}: {key} is missing")
    if not isinstance(value, str):
        raise ConfigError(f"{path}: {key} is not a string")
    return value


def _data_or_file(mapping: Mapping[str, Any], key: str, base: Path, path: Path) -> bytes | None:
    """``<key>-data`` (base64) if present, else the file named by ``<key>``, else None."""
    data = _str(mapping, f"{key}-data", path, default="")
    if data:
        try:
            return base64.b64decode(data, validate=True)
        except binascii.Error as error:
            raise ConfigError(f"{path}: {key}-data is not valid base64") from error
    file = _str(mapping, key, path, default="")
    if file:
        try:
            return (base / file).read_bytes()
        except OSError as error:
            raise ConfigError(f"{path}: cannot read {key} {base / file}: {error}") from error
    return None
