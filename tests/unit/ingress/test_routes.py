"""The routing table as a table: Ingresses, Services, slices and Secrets in, routes out."""

from __future__ import annotations

import pytest

from kubeling.ingress.classes import CONTROLLER
from kubeling.ingress.routes import RoutingTable, compute_routes
from tests.support.ingress_objects import (
    Obj,
    backend,
    endpoint_slice,
    ingress,
    ingress_class,
    path,
    rule,
    service,
    tls_secret,
)

SERVICES = [service("a", ("http", 80)), service("b", ("http", 80), ("admin", 9000))]
SLICES = [
    endpoint_slice("a", "http", 8080, "10.0.0.1", "10.0.0.2"),
    endpoint_slice("b", "http", 8081, "10.0.1.1"),
    endpoint_slice("b", "admin", 9090, "10.0.1.1"),
]


def table(*ingresses: Obj, secrets: list[Obj] | None = None) -> RoutingTable:
    return compute_routes(ingresses, SERVICES, SLICES, secrets or [], classes=None)


def routed(t: RoutingTable, host: str, request_path: str) -> str | None:
    """``service:port`` the request goes to, None for 404."""
    match = t.match(host, request_path)
    return None if match is None else f"{match.backend.service}:{match.backend.port}"


TWO_HOSTS = ingress(
    "web",
    rule("a.test", path("/", "a"), path("/api", "b")),
    rule("*.wild.test", path("/", "b")),
    rule(None, path("/any", "b", "admin")),
)


@pytest.mark.parametrize(
    ("host", "request_path", "expected"),
    [
        ("a.test", "/", "a:80"),
        ("a.test", "/api", "b:80"),
        ("a.test", "/api/v1", "b:80"),
        ("a.test", "/apiary", "a:80"),  # element-wise: /api is not a prefix of /apiary
        ("x.wild.test", "/whatever", "b:80"),
        ("x.y.wild.test", "/whatever", None),  # a wildcard covers one label
        ("wild.test", "/", None),
        ("other.test", "/any/thing", "b:admin"),  # the rule without a host
        ("other.test", "/", None),
        ("a.test", "/any", "a:80"),  # a host's own paths first, then the hostless rule's
        ("x.wild.test", "/any", "b:80"),
    ],
)
def test_hosts_and_paths(host: str, request_path: str, expected: str | None) -> None:
    """Exact, wildcard and hostless rules with their paths."""
    assert routed(table(TWO_HOSTS), host, request_path) == expected


def test_exact_before_prefix_and_longest_first() -> None:
    """Longest path wins; at equal length Exact wins, whatever the order written."""
    t = table(
        ingress(
            "p",
            rule(
                "h.test",
                path("/", "a"),
                path("/foo", "a", kind="Prefix"),
                path("/foo", "b", kind="Exact"),
                path("/foo/bar", "b", "admin", kind="ImplementationSpecific"),
            ),
        )
    )
    assert routed(t, "h.test", "/foo") == "b:80"
    assert routed(t, "h.test", "/foo/") == "a:80"
    assert routed(t, "h.test", "/foo/bar/x") == "b:admin"
    assert routed(t, "h.test", "/elsewhere") == "a:80"


def test_exact_host_before_wildcard() -> None:
    """A host's exact rules win over a wildcard covering it; unmatched paths fall through."""
    t = table(
        ingress("w", rule("*.h.test", path("/", "a"))),
        ingress("e", rule("x.h.test", path("/only", "b"))),
    )
    assert routed(t, "x.h.test", "/only") == "b:80"
    assert routed(t, "x.h.test", "/other") == "a:80"
    assert routed(t, "y.h.test", "/only") == "a:80"


def test_older_ingress_wins_a_conflict() -> None:
    """Two Ingresses with the same host and path: the older one's backend."""
    new = ingress("new", rule("h.test", path("/", "b")), created="2024-02-01T00:00:00Z")
    old = ingress("old", rule("h.test", path("/", "a")), created="2024-01-01T00:00:00Z")
    assert routed(table(new, old), "h.test", "/") == "a:80"


def test_default_backends() -> None:
    """An Ingress's defaultBackend answers its hosts' unmatched paths; the oldest one
    answers requests no rule matches."""
    first = ingress("first", rule("a.test", path("/x", "a")), default=backend("b", "admin"))
    second = ingress(
        "second",
        rule("b.test", path("/x", "a")),
        default=backend("a", 80),
        created="2024-03-01T00:00:00Z",
    )
    t = table(second, first)
    assert routed(t, "a.test", "/x") == "a:80"
    assert routed(t, "a.test", "/y") == "b:admin"
    assert routed(t, "b.test", "/y") == "a:80"
    assert routed(t, "c.test", "/") == "b:admin"
    only_default = ingress("d", default=backend("a", 80))
    assert routed(table(only_default), "anything", "/") == "a:80"


def test_backends_by_number_and_name_use_ready_endpoints() -> None:
    """A port by number or by name resolves to the slice's target port; not-ready
    endpoints are left out."""
    slices = [
        endpoint_slice("a", "http", 8080, "10.0.0.1"),
        endpoint_slice("a", "http", 8080, "10.0.0.9", ready=False)
        | {
            "metadata": {
                "name": "a-2",
                "namespace": "ns",
                "labels": {"kubernetes.io/service-name": "a"},
            }
        },
        endpoint_slice("b", "admin", 9090, "10.0.1.1"),
    ]
    t = compute_routes(
        [ingress("i", rule("h.test", path("/a", "a", 80), path("/b", "b", "admin")))],
        SERVICES,
        slices,
        [],
        classes=None,
    )
    a, b = t.match("h.test", "/a"), t.match("h.test", "/b")
    assert a is not None
    assert b is not None
    assert [str(e) for e in a.backend.endpoints] == ["10.0.0.1:8080"]
    assert [str(e) for e in b.backend.endpoints] == ["10.0.1.1:9090"]


@pytest.mark.parametrize(
    "wanted",
    [
        backend("missing", 80),  # no such Service
        backend("a", 81),  # no such port
        backend("a", "nope"),
        backend("ext", 80),  # ExternalName
    ],
)
def test_unresolvable_backends_have_no_endpoints(wanted: Obj) -> None:
    """A backend that names nothing usable still matches, with no endpoints (503)."""
    services = [*SERVICES, service("ext", ("http", 80), kind="ExternalName")]
    item = {"path": "/", "pathType": "Prefix", "backend": wanted}
    t = compute_routes([ingress("i", rule("h.test", item))], services, SLICES, [], classes=None)
    match = t.match("h.test", "/")
    assert match is not None
    assert match.backend.endpoints == ()


def test_resource_backends_are_reported() -> None:
    """Resource backends are not served: a problem, and no route."""
    item = {"path": "/", "pathType": "Prefix", "backend": {"resource": {"kind": "X", "name": "y"}}}
    t = table(ingress("i", rule("h.test", item)))
    assert t.match("h.test", "/") is None
    assert t.problems == ("ingress ns/i: only service backends are supported",)


def test_only_our_classes() -> None:
    """Ingresses of our class, or of none when ours is the default, are served."""
    ours = ingress_class("kubeling", CONTROLLER, default=True)
    nginx = ingress_class("nginx", "k8s.io/ingress-nginx")
    ingresses = [
        ingress("named", rule("named.test", path("/", "a")), class_name="kubeling"),
        ingress("none", rule("none.test", path("/", "a"))),
        ingress("other", rule("other.test", path("/", "a")), class_name="nginx"),
        ingress("missing", rule("missing.test", path("/", "a")), class_name="gone"),
        ingress(
            "legacy",
            rule("legacy.test", path("/", "a")),
            annotations={"kubernetes.io/ingress.class": "nginx"},
        ),
    ]
    t = compute_routes(ingresses, SERVICES, SLICES, [], classes=[ours, nginx])
    assert t.ingresses == ("ns/named", "ns/none")
    not_default = ingress_class("kubeling", CONTROLLER)
    t = compute_routes(ingresses, SERVICES, SLICES, [], classes=[not_default])
    assert t.ingresses == ("ns/named",)


def test_tls_certificates_by_host() -> None:
    """spec.tls: a Secret per host list; hosts default to the rules'; missing or
    incomplete Secrets are problems; the older Ingress wins a host."""
    secrets = [
        tls_secret("one", b"CERT1", b"KEY1"),
        tls_secret("two", b"CERT2", b"KEY2"),
        {"metadata": {"name": "empty", "namespace": "ns"}, "data": {}},
    ]
    first = ingress(
        "first",
        rule("a.test", path("/", "a")),
        rule("b.test", path("/", "a")),
        tls=[{"hosts": ["a.test", "*.wild.test"], "secretName": "one"}, {"secretName": "gone"}],
    )
    second = ingress(
        "second",
        rule("a.test", path("/", "a")),
        rule("c.test", path("/", "a")),
        tls=[{"secretName": "two"}, {"hosts": ["d.test"], "secretName": "empty"}],
        created="2024-05-01T00:00:00Z",
    )
    t = table(second, first, secrets=secrets)
    assert {h: c.secret for h, c in t.certificates.items()} == {
        "a.test": "ns/one",
        "*.wild.test": "ns/one",
        "c.test": "ns/two",
    }
    assert t.certificates["a.test"].cert_pem == b"CERT1"
    cert = t.certificate_for("x.wild.test")
    assert cert is not None
    assert cert.key_pem == b"KEY1"
    assert t.certificate_for("nothing.test") is None
    assert t.problems == (
        "ingress ns/first: TLS secret ns/gone not found",
        "ingress ns/second: TLS secret ns/empty has no tls.crt and tls.key",
    )


def test_empty() -> None:
    """No Ingress: every request is a 404."""
    assert table().match("a.test", "/") is None
