"""The kubeling command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeling.cli.main import main


def test_bad_datastore_url_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown scheme gives one error line and exit status 1, no traceback."""
    assert main(["store-info", "--datastore", "nosuch://x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kubeling: error: unknown datastore scheme")
    assert "Traceback" not in err


def test_store_info_reports_a_fresh_store(capsys: pytest.CaptureFixture[str]) -> None:
    """store-info prints the revision and key count of a datastore."""
    assert main(["store-info", "--datastore", "memory://"]) == 0
    assert capsys.readouterr().out.splitlines() == ["revision=1", "compacted=0", "keys=0"]


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("", {}),
        ("zone=a", {"zone": "a"}),
        ("zone=a, disk=ssd,empty=", {"zone": "a", "disk": "ssd", "empty": ""}),
    ],
)
def test_node_labels(text: str, labels: dict[str, str]) -> None:
    from kubeling.cli.main import _labels

    assert _labels(text) == labels


def test_a_bad_node_label_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kubelet", "--node-labels", "novalue", "--kubeconfig", "/nonexistent"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kubeling: error: invalid node label 'novalue': want key=value")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("ttl", "message"),
    [("soon", 'time: invalid duration "soon"'), ("-1h", "--ttl must not be negative: -1h")],
)
def test_token_create_with_a_bad_ttl_is_a_clean_error(
    ttl: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "create", f"--ttl={ttl}", "--kubeconfig", "/nonexistent"]) == 1
    assert capsys.readouterr().err == f"kubeling: error: {message}\n"


def test_token_create_with_a_malformed_token_is_a_clean_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from kubeling.cli.kubeconfig import write_kubeconfig

    kubeconfig = tmp_path / "kubeconfig"
    write_kubeconfig(kubeconfig, server_url="https://127.0.0.1:1", ca_pem=b"x", token="t")
    assert main(["token", "create", "NOPE", "--kubeconfig", str(kubeconfig)]) == 1
    assert "was not of the form" in capsys.readouterr().err
