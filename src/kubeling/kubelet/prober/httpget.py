"""HTTP GET actions: the request a probe or a lifecycle hook sends, and sending it.

Kubernetes builds both from an ``HTTPGetAction`` the same way (``NewRequestForHTTPGetAction``):

- the URL is ``scheme://host:port/path``: scheme ``HTTP`` (default) or ``HTTPS``, host the
  action's ``host`` or else the pod's IP (here, where pods share the node's network, the IP the
  kubelet reports), the port a number or the name of one of the container's ``ports``, the
  path (with its query) as given;
- headers are the action's ``httpHeaders`` (a ``Host`` header sets the request's host), plus
  ``User-Agent: kube-probe/1.32`` (``kube-lifecycle/1.32`` for hooks) and ``Accept: */*``
  unless given (an empty ``Accept`` removes it);
- HTTPS is not verified; every request has a connection of its own.

Sending follows Go's client with the kubelet's redirect check: a redirect (301, 302, 303, 307,
308) to the same host name is followed, at most 10 times; one to another host stops there and
the redirect is the response. Errors read as Go's client prints them
(``Get "http://127.0.0.1:8080/": dial tcp 127.0.0.1:8080: connect: connection refused``).
"""

from __future__ import annotations

import asyncio
import errno
import os
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from kubeling.kubelet.prober.result import ProbeError, ProbeResult

__all__ = [
    "HTTPGetError",
    "HTTPGetRequest",
    "HTTPResponse",
    "dial_error",
    "http_get",
    "http_get_request",
    "http_probe",
    "join_host_port",
    "resolve_port",
    "user_agent",
]

#: The Kubernetes version probes and hooks name in their User-Agent.
KUBE_MINOR_VERSION: Final = "1.32"
#: How much of a response body is read (``maxRespBodyLength``).
MAX_BODY: Final = 10 * 1024
MAX_REDIRECTS: Final = 10
REDIRECT_CODES: Final = frozenset({301, 302, 303, 307, 308})
HTTP_RESPONSE_TO_HTTPS: Final = "http: server gave HTTP response to HTTPS client"


def user_agent(purpose: str) -> str:
    """``kube-probe/1.32`` or ``kube-lifecycle/1.32``."""
    return f"kube-{purpose}/{KUBE_MINOR_VERSION}"


def join_host_port(host: str, port: int) -> str:
    """``net.JoinHostPort``: IPv6 addresses get brackets.

    >>> join_host_port("10.0.0.1", 80), join_host_port("::1", 8080)
    ('10.0.0.1:80', '[::1]:8080')
    """
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def resolve_port(port: object, container: Mapping[str, Any]) -> int:
    """A probe's or hook's port: a number, or the name of one of the container's ports (or a
    number written as a string), as ``ResolveContainerPort``; :class:`ProbeError` otherwise.

    >>> c = {"ports": [{"name": "http", "containerPort": 8080}]}
    >>> resolve_port(80, c), resolve_port("http", c), resolve_port("81", c)
    (80, 8080, 81)
    >>> resolve_port("web", c)
    Traceback (most recent call last):
    ...
    kubeling.kubelet.prober.result.ProbeError: strconv.Atoi: parsing "web": invalid syntax
    """
    if isinstance(port, bool) or not isinstance(port, int | str):
        raise ProbeError(f"intOrString had no kind: {port!r}")
    number = port
    if isinstance(port, str):
        named = [p for p in container.get("ports") or [] if p.get("name") == port]
        if named:
            number = int(named[0].get("containerPort") or 0)
        else:
            try:
                number = int(port, 10)
            except ValueError:
                raise ProbeError(f'strconv.Atoi: parsing "{port}": invalid syntax') from None
    assert isinstance(number, int)
    if 0 < number < 65536:
        return number
    raise ProbeError(f"invalid port number: {number}")


@dataclass(frozen=True, slots=True)
class HTTPGetRequest:
    url: str
    headers: Sequence[tuple[str, str]]


def http_get_request(
    action: Mapping[str, Any], container: Mapping[str, Any], pod_ip: str, purpose: str
) -> HTTPGetRequest:
    """The request of an ``HTTPGetAction`` (see the module docstring)."""
    scheme = str(action.get("scheme") or "HTTP").lower()
    host = str(action.get("host") or pod_ip)
    port = resolve_port(action.get("port"), container)
    path = str(action.get("path") or "")
    if path and not path.startswith("/"):
        path = "/" + path
    headers: list[tuple[str, str]] = [
        (str(h.get("name") or ""), str(h.get("value") or ""))
        for h in action.get("httpHeaders") or []
    ]
    names = {name.lower() for name, _ in headers}
    if "user-agent" not in names:
        headers.append(("User-Agent", user_agent(purpose)))
    if "accept" not in names:
        headers.append(("Accept", "*/*"))
    else:
        headers = [(n, v) for n, v in headers if n.lower() != "accept" or v]
    return HTTPGetRequest(f"{scheme}://{join_host_port(host, port)}{path}", headers)


@dataclass(frozen=True, slots=True)
class HTTPResponse:
    status: int
    body: bytes
    #: Whether this is a redirect that was not followed (to another host).
    redirect: bool = False


class HTTPGetError(Exception):
    """The request got no response; the message is Go's (``Get "url": ...``)."""

    def __init__(self, message: str, *, http_response_to_https: bool = False) -> None:
        super().__init__(message)
        #: An HTTPS request answered in plain HTTP (hooks retry it over HTTP).
        self.http_response_to_https = http_response_to_https


def dial_error(address: str, err: OSError) -> str:
    """Go's ``net.Dial`` error: ``dial tcp 127.0.0.1:80: connect: connection refused``."""
    reason = (os.strerror(err.errno) if err.errno else str(err)).lower()
    if err.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
        reason = f"connect: {reason}"
    return f"dial tcp {address}: {reason}"


def _is_plain_http_answer(err: BaseException) -> bool:
    text = str(err).upper()
    return "WRONG_VERSION_NUMBER" in text or "RECORD_LAYER_FAILURE" in text


async def _get_once(
    session: aiohttp.ClientSession, url: URL, headers: CIMultiDict[str]
) -> tuple[int, str, bytes]:
    try:
        async with session.get(url, headers=headers, allow_redirects=False, ssl=False) as res:
            body = await res.content.read(MAX_BODY)
            return res.status, res.headers.get("Location", ""), body
    except aiohttp.ClientConnectorError as err:
        if isinstance(err, aiohttp.ClientSSLError) or isinstance(err.os_error, ssl.SSLError):
            if _is_plain_http_answer(err):
                raise HTTPGetError(
                    f'Get "{url}": {HTTP_RESPONSE_TO_HTTPS}', http_response_to_https=True
                ) from None
            raise HTTPGetError(f'Get "{url}": {err.os_error}') from None
        address = join_host_port(url.host or "", url.port or 0)
        raise HTTPGetError(f'Get "{url}": {dial_error(address, err.os_error)}') from None
    except aiohttp.ServerDisconnectedError:
        raise HTTPGetError(f'Get "{url}": EOF') from None
    except (aiohttp.ClientError, OSError) as err:
        if _is_plain_http_answer(err):
            raise HTTPGetError(
                f'Get "{url}": {HTTP_RESPONSE_TO_HTTPS}', http_response_to_https=True
            ) from None
        raise HTTPGetError(f'Get "{url}": {err}') from None


async def http_get(request: HTTPGetRequest, timeout_seconds: float | None) -> HTTPResponse:
    """Send ``request`` (see the module docstring); :class:`HTTPGetError` when there is no
    response, including after ``timeout_seconds``."""
    url = URL(request.url, encoded=True)
    first_host = url.host
    headers: CIMultiDict[str] = CIMultiDict(request.headers)
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(
        connector=connector, skip_auto_headers=("User-Agent",), auto_decompress=True
    ) as session:
        try:
            async with asyncio.timeout(timeout_seconds):
                redirects = 0
                while True:
                    status, location, body = await _get_once(session, url, headers)
                    if status not in REDIRECT_CODES or not location:
                        return HTTPResponse(status, body)
                    target = url.join(URL(location))
                    if target.host != first_host:
                        return HTTPResponse(status, body, redirect=True)
                    if redirects >= MAX_REDIRECTS:
                        raise HTTPGetError(f'Get "{target}": stopped after 10 redirects')
                    redirects += 1
                    url = target
        except TimeoutError:
            raise HTTPGetError(
                f'Get "{url}": context deadline exceeded '
                "(Client.Timeout exceeded while awaiting headers)"
            ) from None


async def http_probe(
    action: Mapping[str, Any], container: Mapping[str, Any], pod_ip: str, timeout_seconds: float
) -> tuple[ProbeResult, str]:
    """An HTTP GET probe (``DoHTTPProbe``): 2xx is success (the body is the output), a 3xx
    left unfollowed a warning, anything else a failure."""
    request = http_get_request(action, container, pod_ip, "probe")
    try:
        response = await http_get(request, timeout_seconds)
    except HTTPGetError as err:
        return ProbeResult.FAILURE, str(err)
    body = response.body.decode(errors="replace")
    if 200 <= response.status < 400:
        if response.status >= 300:
            return ProbeResult.WARNING, f"Probe terminated redirects, Response body: {body}"
        return ProbeResult.SUCCESS, body
    return ProbeResult.FAILURE, f"HTTP probe failed with statuscode: {response.status}"
