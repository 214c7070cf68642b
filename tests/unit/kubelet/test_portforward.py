"""Which port-forward streams the kubelet refuses, and why."""

from __future__ import annotations

import pytest

from kubeling.kubelet.server.portforward import stream_refusal


class _Stream:
    def __init__(self, **headers: str) -> None:
        self.headers = {k.lower(): v for k, v in headers.items()}

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@pytest.mark.parametrize(
    ("headers", "refusal"),
    [
        ({"port": "80", "streamType": "data"}, None),
        ({"port": "65535", "streamType": "error"}, None),
        ({"streamType": "data"}, '"port" header is required'),
        (
            {"port": "http", "streamType": "data"},
            'unable to parse "http" as a port: invalid syntax',
        ),
        (
            {"port": "65536", "streamType": "data"},
            'unable to parse "65536" as a port: invalid syntax',
        ),
        ({"port": "0", "streamType": "data"}, 'port "0" must be > 0'),
        ({"port": "80"}, '"streamType" header is required'),
        ({"port": "80", "streamType": "stdin"}, 'invalid stream type "stdin"'),
    ],
)
def test_stream_refusal(headers: dict[str, str], refusal: str | None) -> None:
    """httpStreamReceived: a valid port and a stream type of error or data."""
    assert stream_refusal(_Stream(**headers)) == refusal  # type: ignore[arg-type]
