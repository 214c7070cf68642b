"""The routing table, computed from Ingresses, Services, EndpointSlices and Secrets (pure).

:func:`compute_routes` is everything the controller decides before a request
arrives, as a function of the objects its informers hold, tested as tables
(objects in, routes out):

- **Which Ingresses**: those :func:`~kubeling.ingress.classes.serves` says are
  ours, oldest first (``creationTimestamp``, then namespace and name): where
  two Ingresses claim the same host and path, or the same TLS host, the older
  wins, as ingress-nginx decides.
- **Rules**: per host (exact, wildcard, or none), every path with its
  :func:`~kubeling.ingress.matching.precedence`; an Ingress's
  ``defaultBackend`` also answers its own hosts' unmatched paths, and the
  oldest ``defaultBackend`` answers requests no rule matches at all.
- **Backends**: a Service port by number (the Service port with that
  ``port``) or by name, joined to the Service's EndpointSlices as the service
  proxy joins them (:func:`kubeling.proxy.endpoints.endpoints_by_port`); only
  *ready* endpoints are used, straight to the pod's address and port. A
  Service or port that does not exist, an ExternalName Service, or a
  ``resource`` backend gives a backend with no endpoints: 503.
- **TLS**: ``spec.tls`` entries whose Secret exists with ``tls.crt`` and
  ``tls.key``, by host (an entry without hosts covers its Ingress's rule
  hosts). Secrets that are missing or incomplete are reported as problems.

    >>> ing = {"metadata": {"namespace": "ns", "name": "web"},
    ...        "spec": {"rules": [{"host": "a.test", "http": {"paths": [
    ...            {"path": "/", "pathType": "Prefix",
    ...             "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}
    >>> table = compute_routes([ing], [], [], [], classes=None)
    >>> table.match("a.test", "/x").backend.key, table.match("b.test", "/x")
    ('ns/web:80', None)
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubeling.ingress.classes import serves
from kubeling.ingress.matching import (
    PathKind,
    path_kind,
    path_matches,
    precedence,
    wildcard_of,
)
from kubeling.proxy.endpoints import Endpoint, endpoints_by_port
from kubeling.proxy.serviceports import ServicePortName

__all__ = [
    "Backend",
    "Certificate",
    "HostRules",
    "Match",
    "PathRule",
    "RoutingTable",
    "compute_routes",
    "ingress_key",
]


@dataclass(frozen=True, slots=True)
class Backend:
    """A Service port and its ready endpoints (pod address and port)."""

    namespace: str
    service: str
    #: The port as the Ingress names it: a number or a port name.
    port: str
    endpoints: tuple[Endpoint, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.service}:{self.port}"


@dataclass(frozen=True, slots=True)
class PathRule:
    """One path of a host's rules."""

    kind: PathKind
    path: str
    backend: Backend
    #: The Ingress it comes from, ``namespace/name``.
    ingress: str


@dataclass(frozen=True, slots=True)
class HostRules:
    """The paths of one host (exact, ``*.`` wildcard, or "" for any host), winners first."""

    host: str
    paths: tuple[PathRule, ...] = ()
    #: The ``defaultBackend`` of the oldest Ingress with rules for this host.
    default: Backend | None = None


@dataclass(frozen=True, slots=True)
class Certificate:
    """A TLS Secret's certificate chain and key, PEM."""

    secret: str  # namespace/name
    cert_pem: bytes
    key_pem: bytes


@dataclass(frozen=True, slots=True)
class Match:
    """What a request matched: the backend, and the rule (None: a default backend)."""

    backend: Backend
    rule: PathRule | None = None


@dataclass(frozen=True, slots=True)
class RoutingTable:
    """Every route of the served Ingresses."""

    exact: Mapping[str, HostRules] = field(default_factory=dict)
    wildcard: Mapping[str, HostRules] = field(default_factory=dict)
    any_host: HostRules | None = None
    #: For requests no rule matches (the oldest Ingress ``defaultBackend``).
    default: Backend | None = None
    #: TLS certificates by host (exact or ``*.`` wildcard).
    certificates: Mapping[str, Certificate] = field(default_factory=dict)
    #: The Ingresses served (``namespace/name``), for their status.
    ingresses: tuple[str, ...] = ()
    #: What could not be used, as messages for the log.
    problems: tuple[str, ...] = ()

    def _groups(self, host: str) -> list[HostRules]:
        found = [self.exact.get(host), self.wildcard.get(wildcard_of(host)), self.any_host]
        return [group for group in found if group is not None]

    def match(self, host: str, path: str) -> Match | None:
        """The backend for a request to ``host`` (lowercase, no port) and ``path``: the
        most specific host's winning path, then less specific hosts', then the default
        backends; None: 404."""
        groups = self._groups(host)
        for group in groups:
            for rule in group.paths:
                if path_matches(rule.kind, rule.path, path):
                    return Match(rule.backend, rule)
        for group in groups:
            if group.default is not None:
                return Match(group.default)
        return Match(self.default) if self.default is not None else None

    def backends(self) -> list[Backend]:
        """Every backend the table can send a request to."""
        groups = [*self.exact.values(), *self.wildcard.values()]
        if self.any_host is not None:
            groups.append(self.any_host)
        found = [rule.backend for group in groups for rule in group.paths]
        found += [group.default for group in groups if group.default is not None]
        return found + ([self.default] if self.default is not None else [])

    def certificate_for(self, host: str) -> Certificate | None:
        """The certificate of ``host`` (exact before wildcard); None: the default one."""
        return self.certificates.get(host) or self.certificates.get(wildcard_of(host))


def ingress_key(ingress: Mapping[str, Any]) -> str:
    meta = ingress.get("metadata") or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"


def _age(ingress: Mapping[str, Any]) -> tuple[str, str]:
    meta = ingress.get("metadata") or {}
    return (str(meta.get("creationTimestamp") or ""), ingress_key(ingress))


class _Backends:
    """Resolves Ingress backends to Service ports and their ready endpoints."""

    def __init__(
        self, services: Iterable[Mapping[str, Any]], slices: Iterable[Mapping[str, Any]]
    ) -> None:
        self.services = {
            ((s.get("metadata") or {}).get("namespace"), (s.get("metadata") or {}).get("name")): s
            for s in services
        }
        self.endpoints = endpoints_by_port(slices)

    def resolve(self, namespace: str, raw: Mapping[str, Any]) -> Backend | None:
        """The backend ``raw`` names; None if it names no Service (a resource backend)."""
        service = raw.get("service")
        if not isinstance(service, Mapping) or not service.get("name"):
            return None
        name = str(service["name"])
        port = service.get("port") or {}
        wanted = port.get("name") or port.get("number") or ""
        backend = Backend(namespace, name, str(wanted))
        obj = self.services.get((namespace, name))
        if obj is None:
            return backend
        spec = obj.get("spec") or {}
        if spec.get("type") == "ExternalName":
            return backend
        for candidate in spec.get("ports") or ():
            if not isinstance(candidate, Mapping):
                continue
            if (port.get("name") and candidate.get("name") == port["name"]) or (
                port.get("number") and candidate.get("port") == port["number"]
            ):
                if str(candidate.get("protocol") or "TCP") != "TCP":
                    return backend
                key = ServicePortName(namespace, name, str(candidate.get("name") or ""), "TCP")
                ready = tuple(e for e in self.endpoints.get(key, ()) if e.ready)
                return Backend(namespace, name, str(wanted), ready)
        return backend


def _decode(secret: Mapping[str, Any], key: str) -> bytes | None:
    value = (secret.get("data") or {}).get(key)
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _certificates(
    ingresses: Sequence[Mapping[str, Any]],
    secrets: Iterable[Mapping[str, Any]],
    problems: list[str],
) -> dict[str, Certificate]:
    by_name = {
        ((s.get("metadata") or {}).get("namespace"), (s.get("metadata") or {}).get("name")): s
        for s in secrets
    }
    found: dict[str, Certificate] = {}
    for ingress in ingresses:
        namespace = str((ingress.get("metadata") or {}).get("namespace") or "")
        spec = ingress.get("spec") or {}
        rule_hosts = [str(r.get("host")) for r in spec.get("rules") or () if r.get("host")]
        for entry in spec.get("tls") or ():
            secret_name = str(entry.get("secretName") or "")
            if not secret_name:
                continue  # TLS with the default certificate
            where = f"{namespace}/{secret_name}"
            secret = by_name.get((namespace, secret_name))
            cert = key = None
            if secret is not None:
                cert, key = _decode(secret, "tls.crt"), _decode(secret, "tls.key")
            if cert is None or key is None:
                problems.append(
                    f"ingress {ingress_key(ingress)}: TLS secret {where} "
                    + ("not found" if secret is None else "has no tls.crt and tls.key")
                )
                continue
            for host in entry.get("hosts") or rule_hosts:
                found.setdefault(str(host).lower(), Certificate(where, cert, key))
    return found


def compute_routes(
    ingresses: Iterable[Mapping[str, Any]],
    services: Iterable[Mapping[str, Any]],
    slices: Iterable[Mapping[str, Any]],
    secrets: Iterable[Mapping[str, Any]],
    *,
    classes: Iterable[Mapping[str, Any]] | None,
) -> RoutingTable:
    """The routing table of the Ingresses we serve (every one when ``classes`` is None)."""
    class_list = None if classes is None else list(classes)
    ours = sorted(
        (i for i in ingresses if class_list is None or serves(i, class_list)),
        key=_age,
    )
    backends = _Backends(services, slices)
    problems: list[str] = []
    paths: dict[str, list[tuple[tuple[int, int], int, PathRule]]] = {}
    defaults: dict[str, Backend] = {}
    table_default: Backend | None = None
    order = 0
    for ingress in ours:
        key = ingress_key(ingress)
        namespace = str((ingress.get("metadata") or {}).get("namespace") or "")
        spec = ingress.get("spec") or {}
        default: Backend | None = None
        if isinstance(spec.get("defaultBackend"), Mapping):
            default = backends.resolve(namespace, spec["defaultBackend"])
            if default is None:
                problems.append(f"ingress {key}: only service backends are supported")
            elif table_default is None:
                table_default = default
        for rule in spec.get("rules") or ():
            host = str(rule.get("host") or "").lower()
            if default is not None:
                defaults.setdefault(host, default)
            for item in (rule.get("http") or {}).get("paths") or ():
                backend = backends.resolve(namespace, item.get("backend") or {})
                if backend is None:
                    problems.append(f"ingress {key}: only service backends are supported")
                    continue
                kind = path_kind(item.get("pathType"))
                path = str(item.get("path") or "/")
                order += 1  # older Ingresses, then earlier paths, win ties
                entry = PathRule(kind, path, backend, key)
                paths.setdefault(host, []).append((precedence(kind, path), order, entry))
    groups = {
        host: HostRules(
            host,
            tuple(rule for _p, _o, rule in sorted(rules, key=lambda r: (r[0], r[1]))),
            defaults.get(host),
        )
        for host, rules in paths.items()
    }
    for host, backend in defaults.items():
        groups.setdefault(host, HostRules(host, (), backend))
    return RoutingTable(
        exact={h: g for h, g in groups.items() if h and not h.startswith("*.")},
        wildcard={h: g for h, g in groups.items() if h.startswith("*.")},
        any_host=groups.get(""),
        default=table_default,
        certificates=_certificates(ours, secrets, problems),
        ingresses=tuple(ingress_key(i) for i in ours),
        problems=tuple(problems),
    )
