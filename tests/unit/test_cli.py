"""The kubeling command line."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeling.cli.collector import THRESHOLDS
from kubeling.cli.main import _parser, main


@pytest.fixture(autouse=True)
def _collector_thresholds_restored() -> Iterator[None]:
    """``main`` sets this process's collector thresholds: the test process keeps its own."""
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


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


def test_dns_refuses_a_bad_upstream(capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed --upstream is a usage error, before anything connects."""
    with pytest.raises(SystemExit) as exit_info:
        main(["dns", "--upstream", "nonsense:53"])
    assert exit_info.value.code == 2
    assert "not an ADDRESS[:PORT]: 'nonsense:53'" in capsys.readouterr().err


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


def test_server_authentication_flags() -> None:
    """--token-auth-file and --anonymous-auth parse as kube-apiserver's (a bare flag is true)."""
    args = _parser().parse_args(["server", "--token-auth-file", "t.csv", "--anonymous-auth=false"])
    assert (str(args.token_auth_file), args.anonymous_auth) == ("t.csv", "false")
    assert _parser().parse_args(["up", "--anonymous-auth"]).anonymous_auth == "true"
    assert _parser().parse_args(["up"]).anonymous_auth == "true"


def test_a_bad_token_file_stops_the_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token file Kubernetes would refuse: one error line, exit status 1, nothing served."""
    tokens = tmp_path / "tokens.csv"
    tokens.write_text("t1,alice\n")
    argv = ["server", "--data-dir", str(tmp_path / "data"), "--port", "0"]
    assert main([*argv, "--token-auth-file", str(tokens)]) == 1
    captured = capsys.readouterr()
    assert captured.err == (
        f"kubeling: error: token file '{tokens}' must have at least 3 columns (token, user name, "
        "user uid), found 2\n"
    )
    assert "ready on" not in captured.out


def test_encryption_provider_config_on_server_and_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--encryption-provider-config`` is read by both; a missing file stops the start."""
    for command in ("server", "up"):
        args = _parser().parse_args([command, "--encryption-provider-config", "enc.yaml"])
        assert str(args.encryption_provider_config) == "enc.yaml"
    argv = ["up", "--data-dir", str(tmp_path / "data"), "--port", "0"]
    assert main([*argv, "--encryption-provider-config", str(tmp_path / "missing.yaml")]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(
        "kubeling: error: error while parsing file: error reading encryption provider "
        f'configuration file "{tmp_path / "missing.yaml"}": open {tmp_path / "missing.yaml"}: '
        "no such file or directory"
    )
    assert "ready on" not in captured.out


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


def test_kubelet_and_agent_dns_flags() -> None:
    """--cluster-dns (comma-separated IPs), --cluster-domain and --resolv-conf, with
    Kubernetes' names; the agent resolves through kubeling up's DNS by default."""
    args = _parser().parse_args(
        ["kubelet", "--cluster-dns", "10.96.0.10, fd00::a", "--cluster-domain", "corp.local"]
    )
    assert (args.cluster_dns, args.cluster_domain) == (("10.96.0.10", "fd00::a"), "corp.local")
    assert args.resolv_conf == "/etc/resolv.conf"
    kubelet = _parser().parse_args(["kubelet", "--resolv-conf", ""])
    assert (kubelet.cluster_dns, kubelet.cluster_domain, kubelet.resolv_conf) == (
        (),
        "cluster.local",
        "",
    )
    agent = _parser().parse_args(["agent", "--server", "https://x", "--token", "t"])
    assert agent.cluster_dns == ("127.96.0.10",)


def test_a_bad_cluster_dns_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["kubelet", "--cluster-dns", "10.96.0.10,nonsense"])
    assert exit_info.value.code == 2
    assert "invalid IP address 'nonsense'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "message"), [("0", "must be at least 1: '0'"), ("many", "not a whole number")]
)
def test_max_requests_inflight_is_a_positive_count(
    value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--max-requests-inflight: the request seats (16 by default); below 1 a usage error."""
    assert _parser().parse_args(["server"]).max_requests_inflight == 16
    assert (
        _parser().parse_args(["up", "--max-requests-inflight", "400"]).max_requests_inflight == 400
    )
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["server", "--max-requests-inflight", value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_every_command_collects_less_often(capsys: pytest.CaptureFixture[str]) -> None:
    """Each kubeling process runs with the collector's thresholds of ``cli/collector.py``."""
    gc.set_threshold(700, 10, 10)
    assert main(["store-info", "--datastore", "memory://"]) == 0
    assert gc.get_threshold() == THRESHOLDS
