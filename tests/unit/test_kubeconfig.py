"""Kubeconfig files: the layout kubectl reads, 0600, atomic, and read back by kubeling."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
import yaml

from kubeling.cli.kubeconfig import (
    Kubeconfig,
    KubeconfigError,
    load_kubeconfig,
    write_kubeconfig,
)

CA = b"-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n"
CERT = b"-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n"
SERVER = "https://127.0.0.1:6443"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_written_layout_is_the_standard_one(tmp_path: Path) -> None:
    """apiVersion/kind Config, inline base64 data, one cluster, user and current context."""
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, server_url=SERVER, ca_pem=CA, client_cert_pem=CERT, client_key_pem=KEY)
    assert yaml.safe_load(path.read_text()) == {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kubeling",
                "cluster": {"certificate-authority-data": _b64(CA), "server": SERVER},
            }
        ],
        "contexts": [
            {"name": "kubeling", "context": {"cluster": "kubeling", "user": "kubeling-admin"}}
        ],
        "current-context": "kubeling",
        "preferences": {},
        "users": [
            {
                "name": "kubeling-admin",
                "user": {"client-certificate-data": _b64(CERT), "client-key-data": _b64(KEY)},
            }
        ],
    }


def test_written_file_is_private(tmp_path: Path) -> None:
    """The file holds a key: 0600, and no temporary file is left beside it."""
    path = tmp_path / "dir" / "kubeconfig"
    write_kubeconfig(path, server_url=SERVER, ca_pem=CA, client_cert_pem=CERT, client_key_pem=KEY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["kubeconfig"]


def test_rewrite_replaces_the_file(tmp_path: Path) -> None:
    """Writing again replaces the content whole, still 0600."""
    path = tmp_path / "kubeconfig"
    path.write_text("old")
    path.chmod(0o644)
    write_kubeconfig(path, server_url=SERVER, ca_pem=CA, token="abc")
    assert load_kubeconfig(path).token == "abc"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_round_trip_with_client_cert(tmp_path: Path) -> None:
    """What write_kubeconfig writes, load_kubeconfig reads back as bytes."""
    path = tmp_path / "kubeconfig"
    write_kubeconfig(
        path,
        server_url=SERVER,
        ca_pem=CA,
        client_cert_pem=CERT,
        client_key_pem=KEY,
        cluster_name="c",
        user="u",
        context="x",
    )
    assert load_kubeconfig(path) == Kubeconfig(
        context="x",
        cluster="c",
        user="u",
        server=SERVER,
        ca_pem=CA,
        client_cert_pem=CERT,
        client_key_pem=KEY,
    )


def test_round_trip_with_token(tmp_path: Path) -> None:
    """A token user has a token and no client cert."""
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, server_url=SERVER, ca_pem=CA, token="t0k3n")
    config = load_kubeconfig(path)
    assert config.token == "t0k3n"
    assert config.client_cert_pem is None
    assert config.client_key_pem is None


@pytest.mark.parametrize(
    ("cert", "key", "token", "message"),
    [
        (None, None, None, "needs a client cert and key, or a token"),
        (CERT, None, None, "go together"),
        (None, KEY, "t", "go together"),
    ],
)
def test_write_needs_whole_credentials(
    tmp_path: Path, cert: bytes | None, key: bytes | None, token: str | None, message: str
) -> None:
    """Cert and key go together, and a user needs one credential at least."""
    with pytest.raises(ValueError, match=message):
        write_kubeconfig(
            tmp_path / "kubeconfig",
            server_url=SERVER,
            ca_pem=CA,
            client_cert_pem=cert,
            client_key_pem=key,
            token=token,
        )
    assert not (tmp_path / "kubeconfig").exists()


def _write_yaml(path: Path, document: object) -> Path:
    path.write_text(yaml.safe_dump(document))
    return path


def _document(*, cluster: dict[str, object], user: dict[str, object]) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "other", "cluster": {"server": "https://other"}},
            {"name": "main", "cluster": {"server": SERVER, **cluster}},
        ],
        "users": [{"name": "me", "user": user}],
        "contexts": [
            {"name": "a", "context": {"cluster": "other", "user": "me"}},
            {"name": "b", "context": {"cluster": "main", "user": "me"}},
        ],
        "current-context": "b",
    }


def test_file_paths_resolve_against_the_kubeconfig(tmp_path: Path) -> None:
    """certificate-authority, client-certificate, client-key and tokenFile as relative paths."""
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.crt").write_bytes(CA)
    (tmp_path / "certs" / "me.crt").write_bytes(CERT)
    (tmp_path / "certs" / "me.key").write_bytes(KEY)
    (tmp_path / "certs" / "token").write_text("from-file\n")
    path = _write_yaml(
        tmp_path / "config",
        _document(
            cluster={"certificate-authority": "certs/ca.crt", "tls-server-name": "kubernetes"},
            user={
                "client-certificate": "certs/me.crt",
                "client-key": str(tmp_path / "certs" / "me.key"),
                "tokenFile": "certs/token",
            },
        ),
    )
    config = load_kubeconfig(path)
    assert (config.ca_pem, config.client_cert_pem, config.client_key_pem) == (CA, CERT, KEY)
    assert config.token == "from-file"
    assert config.tls_server_name == "kubernetes"


def test_named_context_overrides_current(tmp_path: Path) -> None:
    """context= picks another context; insecure-skip-tls-verify is reported."""
    path = _write_yaml(tmp_path / "config", _document(cluster={}, user={"token": "t"}))
    assert load_kubeconfig(path).server == SERVER
    document = _document(cluster={}, user={"token": "t"})
    document["clusters"] = [
        {"name": "other", "cluster": {"server": "https://other", "insecure-skip-tls-verify": True}}
    ]
    _write_yaml(path, document)
    config = load_kubeconfig(path, context="a")
    assert (config.context, config.server, config.insecure_skip_tls_verify) == (
        "a",
        "https://other",
        True,
    )


@pytest.mark.parametrize(
    ("cluster", "user", "message"),
    [
        ({}, {"exec": {"command": "aws"}}, "exec is not supported"),
        ({}, {"auth-provider": {"name": "oidc"}}, "auth-provider is not supported"),
        ({}, {"username": "u", "password": "p"}, "username is not supported"),
        ({"proxy-url": "http://proxy"}, {"token": "t"}, "proxy-url is not supported"),
        ({"certificate-authority-data": "not base64!"}, {}, "not valid base64"),
    ],
)
def test_unusable_settings_are_refused(
    tmp_path: Path, cluster: dict[str, object], user: dict[str, object], message: str
) -> None:
    """Settings kubeling cannot honour raise instead of being dropped."""
    path = _write_yaml(tmp_path / "config", _document(cluster=cluster, user=user))
    with pytest.raises(KubeconfigError, match=message):
        load_kubeconfig(path)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("- a list", "expected a mapping"),
        ("{unclosed", "not valid YAML"),
        ("kind: Config", "no current-context"),
        ("current-context: nope\ncontexts: []", "no entry named 'nope' in contexts"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, document: str, message: str) -> None:
    """Broken kubeconfigs give a KubeconfigError naming the file and the problem."""
    path = tmp_path / "config"
    path.write_text(document)
    with pytest.raises(KubeconfigError, match=message):
        load_kubeconfig(path)
