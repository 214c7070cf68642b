"""kubeling server's logs: one structured line per request at debug level."""

from __future__ import annotations

from pathlib import Path

from tests.support.cluster import running_server


def test_debug_logs_one_line_per_request(tmp_path: Path) -> None:
    """With --log-level debug each API request is one key=value line with user and status."""
    with running_server(tmp_path, extra=["--log-level", "debug"]) as server:
        server.kubectl("get", "configmaps", "-n", "kube-system")
    lines = [
        line
        for line in (tmp_path / "server.log").read_text().splitlines()
        if "request verb=GET" in line and "/namespaces/kube-system/configmaps" in line
    ]
    assert len(lines) == 1
    assert 'user="kubernetes-admin" status=200' in lines[0]
