"""Secrets encrypted at rest: ``kubeling server --encryption-provider-config``, driven by kubectl.

The store is read behind the server's back (its SQLite file) to see what is kept on
disk; kubectl sees the objects as they were written. The rotation follows Kubernetes'
documented steps: add a key, restart, make it first, replace everything, remove the
old key, restart.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.cluster import running_server

PASSWORD = "hunter2-do-not-leak"
ENCODED = base64.b64encode(PASSWORD.encode()).decode()
CONFIG_VALUE = "visible-config-value"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _config(path: Path, *keys: tuple[str, str], identity: bool = True) -> Path:
    """An EncryptionConfiguration for secrets: aescbc with ``keys`` in order, then identity."""
    lines = "".join(f"      - name: {name}\n        secret: {secret}\n" for name, secret in keys)
    text = (
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
        f"- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n{lines}"
    )
    if identity:
        text += "  - identity: {}\n"
    path.write_text(text)
    return path


def _rows(data_dir: Path, key: str) -> list[bytes]:
    """Every value the store keeps for ``key``, oldest first; the last is the current one."""
    db = sqlite3.connect(f"file:{data_dir / 'state.db'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT value FROM log WHERE key = ? AND value IS NOT NULL ORDER BY revision", (key,)
        ).fetchall()
    finally:
        db.close()
    return [bytes(row[0]) for row in rows]


def _current(data_dir: Path, key: str) -> bytes:
    rows = _rows(data_dir, key)
    assert rows, f"{key} is not in the store"
    return rows[-1]


def test_secrets_are_encrypted_and_configmaps_are_not(tmp_path: Path) -> None:
    """A Secret is kept as ``k8s:enc:aescbc:v1:key1:`` ciphertext, read back by kubectl;
    a ConfigMap (not configured) stays plain JSON; nothing secret reaches the log."""
    config = _config(tmp_path / "encryption.yaml", ("key1", _key()))
    extra = ["--encryption-provider-config", str(config), "--log-level", "debug"]
    with running_server(tmp_path, extra=extra) as server:
        server.kubectl("create", "secret", "generic", "s1", f"--from-literal=password={PASSWORD}")
        server.kubectl("create", "configmap", "c1", f"--from-literal=k={CONFIG_VALUE}")
        secret = _current(server.data_dir, "/registry/secrets/default/s1")
        assert secret.startswith(b"k8s:enc:aescbc:v1:key1:")
        for row in _rows(server.data_dir, "/registry/secrets/default/s1"):
            assert ENCODED.encode() not in row
            assert b'"password"' not in row
        assert CONFIG_VALUE.encode() in _current(server.data_dir, "/registry/configmaps/default/c1")
        got = server.kubectl("get", "secret", "s1", "-o", "jsonpath={.data.password}").stdout
        assert got == ENCODED
        listed = server.kubectl("get", "secrets", "-o", "jsonpath={.items[*].metadata.name}")
        assert listed.stdout == "s1"
        server.kubectl("delete", "secret", "s1")
    log = (tmp_path / "server.log").read_text()
    assert "request verb=POST" in log  # the debug log was on
    assert PASSWORD not in log
    assert ENCODED not in log


def test_key_rotation_as_kubernetes_documents_it(tmp_path: Path) -> None:
    """Plain secrets stay readable once encryption is on; a new first key plus a replace of
    every secret moves them all to it; the old key can then go; a key removed too early
    makes reads fail with kube-apiserver's errors, without stopping the server."""
    key1, key2 = _key(), _key()
    s0, s1 = "/registry/secrets/default/s0", "/registry/secrets/default/s1"
    # Before encryption: a plain secret.
    with running_server(tmp_path) as server:
        server.kubectl("create", "secret", "generic", "s0", f"--from-literal=password={PASSWORD}")
        data_dir = server.data_dir
    assert _current(data_dir, s0).startswith(b"{")
    # Encryption with key1: the old secret still reads (identity), new ones are encrypted.
    config = _config(tmp_path / "one.yaml", ("key1", key1))
    with running_server(tmp_path, extra=["--encryption-provider-config", str(config)]) as server:
        assert server.kubectl("get", "secret", "s0", "-o", "jsonpath={.data.password}").stdout == (
            ENCODED
        )
        server.kubectl("create", "secret", "generic", "s1", f"--from-literal=password={PASSWORD}")
    assert _current(data_dir, s0).startswith(b"{")
    assert _current(data_dir, s1).startswith(b"k8s:enc:aescbc:v1:key1:")
    # key2 first, key1 still there: replace everything to rewrite it with key2.
    config = _config(tmp_path / "two.yaml", ("key2", key2), ("key1", key1))
    with running_server(tmp_path, extra=["--encryption-provider-config", str(config)]) as server:
        listed = server.kubectl("get", "secrets", "-A", "-o", "json").stdout
        server.kubectl("replace", "-f", "-", input=listed)
    assert _current(data_dir, s0).startswith(b"k8s:enc:aescbc:v1:key2:")
    assert _current(data_dir, s1).startswith(b"k8s:enc:aescbc:v1:key2:")
    # key1 removed: everything still reads.
    config = _config(tmp_path / "three.yaml", ("key2", key2))
    with running_server(tmp_path, extra=["--encryption-provider-config", str(config)]) as server:
        for name in ("s0", "s1"):
            got = server.kubectl("get", "secret", name, "-o", "jsonpath={.data.password}")
            assert got.stdout == ENCODED
    # key2 removed too early: the server runs, but the secrets cannot be read.
    config = _config(tmp_path / "four.yaml", ("key3", _key()), identity=False)
    with running_server(tmp_path, extra=["--encryption-provider-config", str(config)]) as server:
        one = server.kubectl("get", "secret", "s1", check=False)
        assert one.returncode != 0
        assert (
            "Error from server (InternalError): Internal error occurred: no matching key was "
            "found for the provided AES transformer"
        ) in one.stderr
        every = server.kubectl("get", "secrets", check=False)
        assert every.returncode != 0
        assert (
            f'Internal error occurred: unable to transform key "{s0}": no matching key was found '
            "for the provided AES transformer"
        ) in every.stderr
        server.kubectl("get", "configmaps", "-n", "kube-system")
    assert PASSWORD not in (tmp_path / "server.log").read_text()


def test_a_bad_configuration_stops_the_server(tmp_path: Path) -> None:
    """The server refuses to start, with kube-apiserver's message and no secret in it."""
    short = base64.b64encode(b"tooshort").decode()
    config = _config(tmp_path / "bad.yaml", ("key1", short))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeling",
            "server",
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            "0",
            "--encryption-provider-config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert (
        "error while parsing file: resources[0].providers[0].aescbc.keys[0].secret: Invalid "
        'value: "REDACTED": secret is not of the expected length, got 8, expected one of '
        "[16 24 32]"
    ) in result.stderr
    assert short not in result.stderr + result.stdout
    assert not (tmp_path / "data" / "state.db").exists()
