"""Host and path matching as Kubernetes specifies it (the Ingress API's examples)."""

from __future__ import annotations

import pytest

from kubeling.ingress.matching import (
    EXACT,
    PREFIX,
    PathKind,
    host_matches,
    path_kind,
    path_matches,
    precedence,
    request_host,
)


@pytest.mark.parametrize(
    ("kind", "rule", "requested", "matches"),
    [
        # The table of https://kubernetes.io/docs/concepts/services-networking/ingress/#examples
        (PREFIX, "/", "/anything", True),
        (EXACT, "/foo", "/foo", True),
        (EXACT, "/foo", "/bar", False),
        (EXACT, "/foo", "/foo/", False),
        (EXACT, "/foo/", "/foo", False),
        (PREFIX, "/foo", "/foo", True),
        (PREFIX, "/foo", "/foo/", True),
        (PREFIX, "/foo/", "/foo", True),
        (PREFIX, "/foo/", "/foo/", True),
        (PREFIX, "/aaa/bb", "/aaa/bbb", False),
        (PREFIX, "/aaa/bbb", "/aaa/bbb", True),
        (PREFIX, "/aaa/bbb/", "/aaa/bbb", True),
        (PREFIX, "/aaa/bbb", "/aaa/bbb/", True),
        (PREFIX, "/aaa/bbb", "/aaa/bbb/ccc", True),
        (PREFIX, "/aaa/bbb", "/aaa/bbbxyz", False),
        (PREFIX, "/", "/aaa/ccc", True),
        (PREFIX, "/aaa", "/ccc", False),
        (PREFIX, "/Foo", "/foo", False),  # case-sensitive
    ],
)
def test_paths(kind: PathKind, rule: str, requested: str, matches: bool) -> None:
    """Exact is equality; Prefix is element-wise, trailing slashes ignored."""
    assert path_matches(kind, rule, requested) is matches


def test_implementation_specific_is_prefix() -> None:
    """ImplementationSpecific (and anything unknown) matches as Prefix."""
    assert path_kind("ImplementationSpecific") == PREFIX
    assert path_kind("Exact") == EXACT


def test_precedence_longest_then_exact() -> None:
    """Longer paths first; at equal length Exact before Prefix."""
    paths: list[tuple[PathKind, str]] = [(PREFIX, "/"), (PREFIX, "/foo"), (EXACT, "/foo")]
    ordered = sorted(paths, key=lambda p: precedence(*p))
    assert ordered == [(EXACT, "/foo"), (PREFIX, "/foo"), (PREFIX, "/")]


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        ("foo.bar.com", "foo.bar.com", True),
        ("foo.bar.com", "baz.bar.com", False),
        ("*.foo.com", "bar.foo.com", True),
        ("*.foo.com", "baz.bar.foo.com", False),  # one label only
        ("*.foo.com", "foo.com", False),
        ("", "anything.test", True),
    ],
)
def test_hosts(pattern: str, host: str, matches: bool) -> None:
    """Exact hosts, single-label wildcards, and the rule without a host."""
    assert host_matches(pattern, host) is matches


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("Foo.Example.COM", "foo.example.com"),
        ("foo.test:8080", "foo.test"),
        ("foo.test.", "foo.test"),
        ("[::1]:80", "[::1]"),
        ("127.0.0.1:80", "127.0.0.1"),
        ("foo.test:http", None),
        ("foo/bar", None),
        ("[::1", None),
    ],
)
def test_request_host(header: str, host: str | None) -> None:
    """The Host header's name: lowercased, without port or trailing dot; junk is None."""
    assert request_host(header) == host
