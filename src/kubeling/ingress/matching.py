"""How a request's host and path are matched against Ingress rules (pure).

Kubernetes fixes the semantics (``networking.k8s.io/v1`` ``HTTPIngressPath``
and ``IngressRule.host``):

- **Hosts.** An exact host matches that name only (case-insensitively, as DNS
  names compare). A wildcard ``*.example.com`` matches exactly one more label:
  ``foo.example.com``, not ``example.com`` nor ``a.foo.example.com``. A rule
  without a host matches every request.
- **Exact** paths match the request path exactly (case-sensitively; ``/foo``
  is not ``/foo/``).
- **Prefix** paths match element by element, splitting on ``/`` and ignoring a
  trailing slash: ``/foo/bar`` matches ``/foo/bar``, ``/foo/bar/`` and
  ``/foo/bar/baz``, not ``/foo/barbaz``; ``/`` matches everything.
- **ImplementationSpecific** is treated as Prefix here (ingress-nginx's and
  Traefik's treatment too); a rule with no path matches everything.
- **Precedence** among the paths that match: the longest path first; at equal
  length Exact before Prefix.

    >>> path_matches("Prefix", "/foo/bar", "/foo/bar/baz"), path_matches("Prefix", "/foo", "/fo")
    (True, False)
    >>> host_matches("*.a.test", "b.a.test"), host_matches("*.a.test", "c.b.a.test")
    (True, False)
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "EXACT",
    "PREFIX",
    "PathKind",
    "host_matches",
    "path_kind",
    "path_matches",
    "precedence",
    "request_host",
    "wildcard_of",
]

PathKind = Literal["Exact", "Prefix"]
EXACT: Final = "Exact"
PREFIX: Final = "Prefix"


def path_kind(path_type: object) -> PathKind:
    """The matching an Ingress ``pathType`` means here (ImplementationSpecific: Prefix)."""
    return EXACT if path_type == EXACT else PREFIX


def _elements(path: str) -> list[str]:
    return [element for element in path.split("/") if element]


def path_matches(kind: PathKind, rule_path: str, request_path: str) -> bool:
    """Whether ``request_path`` matches a rule's path of ``kind``."""
    if kind == EXACT:
        return request_path == rule_path
    wanted = _elements(rule_path)
    return _elements(request_path)[: len(wanted)] == wanted


def precedence(kind: PathKind, rule_path: str) -> tuple[int, int]:
    """A sort key putting the paths that win first: longest, then Exact before Prefix."""
    return (-len(rule_path), 0 if kind == EXACT else 1)


def wildcard_of(host: str) -> str:
    """The one wildcard host that can match ``host``: ``a.example.com`` → ``*.example.com``
    ("" for a name of one label)."""
    _first, dot, rest = host.partition(".")
    return f"*.{rest}" if dot and rest else ""


def host_matches(pattern: str, host: str) -> bool:
    """Whether a rule's host (exact, ``*.`` wildcard, or "" for any) matches ``host``."""
    if not pattern:
        return True
    if pattern.startswith("*."):
        return wildcard_of(host) == pattern
    return pattern == host


def request_host(value: str) -> str | None:
    """The host name of a ``Host`` header (lowercased, port and trailing dot dropped);
    None when it is not a host at all."""
    value = value.strip().lower()
    if value.startswith("["):  # an IPv6 literal, [::1]:8080
        end = value.find("]")
        if end < 0 or (value[end + 1 :] and not value[end + 1 :].startswith(":")):
            return None
        return value[: end + 1]
    name, _colon, port = value.partition(":")
    if port and not port.isdigit():
        return None
    name = name.rstrip(".")
    if any(c in name for c in " \t/\\@?#"):
        return None
    return name
