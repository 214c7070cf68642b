"""Resource paths, and the client's built-in resources against what the API server serves."""

from __future__ import annotations

import pytest

from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.client import resources
from kubeling.client.resources import DEPLOYMENTS, LEASES, NODES, PODS, Resource


@pytest.mark.parametrize(
    ("resource", "kwargs", "path"),
    [
        (PODS, {}, "/api/v1/pods"),
        (PODS, {"namespace": "web"}, "/api/v1/namespaces/web/pods"),
        (PODS, {"namespace": "web", "name": "p"}, "/api/v1/namespaces/web/pods/p"),
        (
            PODS,
            {"namespace": "web", "name": "p", "subresource": "binding"},
            "/api/v1/namespaces/web/pods/p/binding",
        ),
        (NODES, {"namespace": "ignored", "name": "n"}, "/api/v1/nodes/n"),
        (DEPLOYMENTS, {"namespace": "d"}, "/apis/apps/v1/namespaces/d/deployments"),
        (
            LEASES,
            {"namespace": "kube-system", "name": "x"},
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x",
        ),
        (PODS, {"namespace": "a b", "name": "x/y"}, "/api/v1/namespaces/a%20b/pods/x%2Fy"),
    ],
)
def test_paths(resource: Resource, kwargs: dict[str, str], path: str) -> None:
    """Collection, object and subresource paths; names are escaped."""
    assert resource.path(**kwargs) == path


def test_names() -> None:
    """apiVersion and the GroupResource errors use."""
    assert (PODS.api_version, str(PODS)) == ("v1", "pods")
    assert (DEPLOYMENTS.api_version, str(DEPLOYMENTS)) == ("apps/v1", "deployments.apps")


def test_constants_match_the_servers_registry() -> None:
    """Every constant names a resource the API server serves, with its kind and scope."""
    served = {(r.group, r.version, r.plural): r for r in builtin_resources()}
    constants = [value for value in vars(resources).values() if isinstance(value, Resource)]
    assert len(constants) == len(resources.__all__) - 1
    for constant in constants:
        row = served.get((constant.group, constant.version, constant.plural))
        assert row is not None, f"{constant} is not served"
        assert (row.kind, row.namespaced) == (constant.kind, constant.namespaced), constant
