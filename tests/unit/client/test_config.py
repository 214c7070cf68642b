"""Client configuration: kubeconfig contexts, in-cluster service accounts, the TLS context."""

from __future__ import annotations

import base64
import ssl
from pathlib import Path

import pytest
import yaml

from kubeling.client.config import (
    ClientConfig,
    ConfigError,
    in_cluster_config,
    load_client_config,
)
from kubeling.pki import ensure_pki

CA = b"-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n"


def _service_account(root: Path, *, namespace: str | None = "team-a") -> Path:
    directory = root / "serviceaccount"
    directory.mkdir()
    (directory / "token").write_text("sa-token\n")
    (directory / "ca.crt").write_bytes(CA)
    if namespace is not None:
        (directory / "namespace").write_text(namespace)
    return directory


def test_in_cluster_config_reads_the_environment_and_the_service_account(tmp_path: Path) -> None:
    """Server from KUBERNETES_SERVICE_HOST/PORT; token file, CA and namespace from the dir."""
    directory = _service_account(tmp_path)
    config = in_cluster_config(
        environ={"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"},
        service_account_dir=directory,
    )
    assert config.server == "https://10.96.0.1:443"
    assert (config.namespace, config.ca_pem) == ("team-a", CA)
    # The token stays a file: the client re-reads it as it rotates.
    assert (config.token, config.token_file) == (None, directory / "token")


def test_in_cluster_config_brackets_ipv6_and_defaults_the_namespace(tmp_path: Path) -> None:
    """An IPv6 service host is bracketed; no namespace file means "default"."""
    config = in_cluster_config(
        environ={"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"},
        service_account_dir=_service_account(tmp_path, namespace=None),
    )
    assert (config.server, config.namespace) == ("https://[fd00::1]:6443", "default")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined"),
        ({"KUBERNETES_SERVICE_HOST": "h"}, "must be defined"),
    ],
)
def test_in_cluster_config_outside_a_cluster(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    """client-go's ErrNotInCluster message."""
    with pytest.raises(ConfigError, match=message):
        in_cluster_config(environ=environ, service_account_dir=_service_account(tmp_path))


def test_in_cluster_config_without_a_token(tmp_path: Path) -> None:
    """No token file: not configured, said clearly."""
    directory = _service_account(tmp_path)
    (directory / "token").unlink()
    with pytest.raises(ConfigError, match="no token"):
        in_cluster_config(
            environ={"KUBERNETES_SERVICE_HOST": "h", "KUBERNETES_SERVICE_PORT": "1"},
            service_account_dir=directory,
        )


def _kubeconfig(path: Path, *, user: dict[str, str], namespace: str = "") -> Path:
    context = {"cluster": "c", "user": "u", **({"namespace": namespace} if namespace else {})}
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "c",
                "cluster": {
                    "server": "https://127.0.0.1:6443/",
                    "certificate-authority-data": base64.b64encode(CA).decode(),
                },
            }
        ],
        "contexts": [{"name": "ctx", "context": context}],
        "current-context": "ctx",
        "users": [{"name": "u", "user": user}],
    }
    path.write_text(yaml.safe_dump(document))
    return path


def test_client_config_from_a_kubeconfig(tmp_path: Path) -> None:
    """Server (no trailing slash), CA, the context's namespace and an inline token."""
    config = load_client_config(
        _kubeconfig(tmp_path / "config", user={"token": "abc"}, namespace="dev")
    )
    assert config.server == "https://127.0.0.1:6443"
    assert (config.ca_pem, config.namespace, config.token) == (CA, "dev", "abc")
    assert config.with_user_agent("kube-scheduler/v1.32").user_agent == "kube-scheduler/v1.32"


def test_token_file_stays_a_file_and_an_inline_token_wins(tmp_path: Path) -> None:
    """tokenFile is re-read by the client; with both, the inline token is used (as kubectl)."""
    (tmp_path / "token").write_text("from-file\n")
    only_file = load_client_config(_kubeconfig(tmp_path / "a", user={"tokenFile": "token"}))
    assert (only_file.token, only_file.token_file) == (None, tmp_path / "token")
    both = load_client_config(
        _kubeconfig(tmp_path / "b", user={"tokenFile": "token", "token": "inline"})
    )
    assert (both.token, both.token_file) == ("inline", None)


def test_missing_files_are_config_errors(tmp_path: Path) -> None:
    """A missing kubeconfig or token file is a ConfigError naming it, not an OSError."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_client_config(tmp_path / "nope")
    with pytest.raises(ConfigError, match="cannot read tokenFile"):
        load_client_config(_kubeconfig(tmp_path / "c", user={"tokenFile": "missing"}))


def test_ssl_context_presents_the_client_certificate_from_memory(tmp_path: Path) -> None:
    """The CA is trusted and the client cert/key load from bytes; no key file is left behind."""
    pki = ensure_pki(tmp_path / "pki", server_names=[], server_ips=[])
    config = ClientConfig(
        server="https://127.0.0.1:6443",
        ca_pem=pki.ca_pem(),
        client_cert_pem=pki.admin_cert.read_bytes(),
        client_key_pem=pki.admin_key.read_bytes(),
    )
    context = config.ssl_context()
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert len(context.get_ca_certs()) == 1


def test_ssl_context_variants() -> None:
    """Plain http has none; insecure-skip-tls-verify verifies nothing; a bad key is refused."""
    assert ClientConfig(server="http://127.0.0.1:8080").ssl_context() is None
    insecure = ClientConfig(server="https://x", insecure_skip_tls_verify=True).ssl_context()
    assert insecure is not None
    assert insecure.verify_mode == ssl.CERT_NONE
    broken = ClientConfig(server="https://x", client_cert_pem=b"junk", client_key_pem=b"junk")
    with pytest.raises(ConfigError, match="do not load"):
        broken.ssl_context()
