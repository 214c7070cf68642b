"""Kubernetes' URL library: ``url('https://host:8443/p?q=1')`` and its parts.

A string is a URL when Go's ``url.ParseRequestURI`` accepts it: an absolute
URL (``scheme:...``) or an absolute path (``/p``), without spaces or control
characters. Functions: ``url``, ``isURL``, ``getScheme``, ``getHost``,
``getHostname``, ``getPort``, ``getEscapedPath``, ``getQuery``.

>>> u = _parse("https://[::1]:80/a%20b?x=1&x=2")
>>> u.hostname, u.port, u.escaped_path, _query(u)
('::1', '80', '/a%20b', {'x': ['1', '2']})
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlsplit

from kubeling.api.cel import types as t
from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.functions import Library, member, overload
from kubeling.api.cel.values import register_opaque
from kubeling.api.goformat import go_quote

__all__ = ["URLS", "Url", "request_uri_problem"]

URLS: Final = Library()
_SCHEME: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class Url:
    """The parts of a URL, as Go's ``url.URL`` keeps them."""

    text: str
    scheme: str
    host: str
    escaped_path: str
    raw_query: str

    @property
    def hostname(self) -> str:
        host = self.host
        if host.startswith("["):
            return host[1 : host.index("]")] if "]" in host else host[1:]
        return host.rsplit(":", 1)[0] if ":" in host else host

    @property
    def port(self) -> str:
        host = self.host
        if host.startswith("["):
            rest = host[host.index("]") + 1 :] if "]" in host else ""
            return rest[1:] if rest.startswith(":") else ""
        return host.rsplit(":", 1)[1] if ":" in host else ""


register_opaque(Url, t.URL.name)


def _parse(text: str) -> Url:
    problem = request_uri_problem(text)
    if problem:
        raise EvalError(
            f"URL parse error during conversion from string: parse {go_quote(text)}: {problem}"
        )
    parts = urlsplit(text)
    return Url(text, parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, parts.query)


def request_uri_problem(text: str) -> str:
    """Why Go's ``ParseRequestURI`` would refuse ``text`` ('' when it would not)."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return "net/url: invalid control character in URL"
    if " " in text or text == "":
        return "invalid URI for request"
    if text.startswith("/"):
        return ""
    if not _SCHEME.match(text):
        return "invalid URI for request"
    return ""


def _is_url(text: str) -> bool:
    return not request_uri_problem(text)


def _query(u: Url) -> dict[str, list[str]]:
    return parse_qs(u.raw_query, keep_blank_values=True)


URLS.add("url", overload("string_to_url", [t.STRING], t.URL, _parse))
URLS.add("isURL", overload("is_url_string", [t.STRING], t.BOOL, _is_url))
URLS.add("getScheme", member("url_get_scheme", [t.URL], t.STRING, lambda u: u.scheme))
URLS.add("getHost", member("url_get_host", [t.URL], t.STRING, lambda u: u.host))
URLS.add("getHostname", member("url_get_hostname", [t.URL], t.STRING, lambda u: u.hostname))
URLS.add("getPort", member("url_get_port", [t.URL], t.STRING, lambda u: u.port))
URLS.add(
    "getEscapedPath", member("url_get_escaped_path", [t.URL], t.STRING, lambda u: u.escaped_path)
)
URLS.add(
    "getQuery",
    member("url_get_query", [t.URL], t.map_of(t.STRING, t.list_of(t.STRING)), _query),
)
