"""Start-up choices of ``kubeling ingress``: fallback ports, and the IngressClass it makes."""

from __future__ import annotations

import pytest

from kubeling.ingress import classes
from kubeling.ingress.run import _listen
from kubeling.ingress.server import IngressServer


class _Server(IngressServer):
    """A server that may not bind ports below 1024, as an unprivileged process."""

    def __init__(self) -> None:
        super().__init__()
        self.tried: list[int] = []

    async def listen(self, host: str, port: int, *, tls: bool = False) -> tuple[str, int]:
        self.tried.append(port)
        if port < 1024:
            raise PermissionError(13, "Permission denied")
        return host, port


async def test_fallback_port_when_not_allowed() -> None:
    """Port 80 refused: the fallback port is taken instead."""
    server = _Server()
    assert await _listen(server, "127.0.0.1", 80, 8080, tls=False) == ("127.0.0.1", 8080)
    assert server.tried == [80, 8080]


async def test_no_fallback_fails() -> None:
    """Without a fallback the refusal is the caller's."""
    with pytest.raises(PermissionError):
        await _listen(_Server(), "127.0.0.1", 443, None, tls=True)


async def test_allowed_port_is_used() -> None:
    """An allowed port is used as given."""
    server = _Server()
    assert await _listen(server, "127.0.0.1", 8000, 8080, tls=False) == ("127.0.0.1", 8000)
    assert server.tried == [8000]


def test_default_class() -> None:
    """The class made at start is ours and the default one."""
    made = classes.default_ingress_class()
    assert made["metadata"]["name"] == "kubeling"
    assert made["spec"]["controller"] == "kubeling.io/ingress-controller"
    assert made["metadata"]["annotations"] == {
        "ingressclass.kubernetes.io/is-default-class": "true"
    }
    assert classes.serves({"spec": {}}, [made])


async def test_port_in_use_says_which() -> None:
    """A taken port is an error naming what could not be served."""

    class Taken(IngressServer):
        async def listen(self, host: str, port: int, *, tls: bool = False) -> tuple[str, int]:
            raise OSError(98, "Address already in use")

    with pytest.raises(OSError, match=r"cannot serve ingress HTTPS on 127\.0\.0\.1 port 443"):
        await _listen(Taken(), "127.0.0.1", 443, 8443, tls=True)
