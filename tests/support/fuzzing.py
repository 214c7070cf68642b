"""What the fuzz tests share: the admin's credentials as files, the operations of the
API's own OpenAPI document they drive, and a tally of what was sent and answered.

The OpenAPI document is the one the server under test serves (``/openapi/v2``, Swagger
2.0, the whole API in one document; ``/openapi/v3`` is split per group-version and
schemathesis would need one schema per group). The operations are those of a
representative set of resources: core pods, services, configmaps, secrets, namespaces,
apps/v1 deployments, batch/v1 jobs, RBAC and CRDs, with their subresources except the
streaming and proxying ones (``exec``, ``attach``, ``portforward``, ``proxy``: they need a
node, and a proxy to an unreachable backend answers 503 in Kubernetes too) and the
deprecated ``/watch/`` paths, which stream until a timeout.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kubeling.cli.kubeconfig import load_kubeconfig
from tests.support.cluster import RunningServer

__all__ = ["AdminFiles", "Tally", "admin_files", "fuzzed_path"]

_GROUP_VERSIONS = (
    "api/v1",
    "apis/apps/v1",
    "apis/batch/v1",
    "apis/rbac.authorization.k8s.io/v1",
    "apis/apiextensions.k8s.io/v1",
)
_RESOURCES = (
    "pods",
    "services",
    "configmaps",
    "secrets",
    "namespaces",
    "deployments",
    "jobs",
    "roles",
    "rolebindings",
    "clusterroles",
    "clusterrolebindings",
    "customresourcedefinitions",
)
_FUZZED = re.compile(
    rf"^/({'|'.join(re.escape(gv) for gv in _GROUP_VERSIONS)})"
    r"(/namespaces/\{namespace\})?"
    rf"/({'|'.join(_RESOURCES)})"
    r"(/\{name\}(/(status|scale|log|eviction|binding|ephemeralcontainers|token|finalize))?)?$"
)


def fuzzed_path(path: str) -> bool:
    """Whether the OpenAPI path is one the fuzz tests drive.

    >>> fuzzed_path("/api/v1/namespaces/{namespace}/pods/{name}/log")
    True
    >>> fuzzed_path("/api/v1/namespaces/{namespace}/pods/{name}/exec")
    False
    >>> fuzzed_path("/api/v1/watch/namespaces/{namespace}/pods")
    False
    """
    return _FUZZED.match(path) is not None


@dataclass(frozen=True)
class AdminFiles:
    """The admin kubeconfig's client certificate, key and the cluster CA, as files."""

    cert: Path
    key: Path
    ca: Path


def admin_files(server: RunningServer, directory: Path) -> AdminFiles:
    """Write the admin credentials of ``server``'s kubeconfig under ``directory``."""
    config = load_kubeconfig(server.kubeconfig)
    assert config.ca_pem is not None
    assert config.client_cert_pem is not None
    assert config.client_key_pem is not None
    files = AdminFiles(directory / "admin.crt", directory / "admin.key", directory / "ca.crt")
    files.cert.write_bytes(config.client_cert_pem)
    files.key.write_bytes(config.client_key_pem)
    files.ca.write_bytes(config.ca_pem)
    return files


@dataclass
class Tally:
    """Requests sent, answers by status code, and the answers that broke a rule."""

    codes: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(self.codes.values())

    def record(self, code: int, problem: str | None = None) -> None:
        self.codes[code] += 1
        if problem is not None and len(self.problems) < 50:
            self.problems.append(problem)

    def summary(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.codes.items()))
        return f"{self.sent} requests ({codes})"
