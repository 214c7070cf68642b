"""A pod's effective requests and limits, as upstream's resource helper sums them."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.podresources import pod_limits, pod_requests

Obj = dict[str, Any]


def _container(requests: Obj | None = None, limits: Obj | None = None, **extra: Any) -> Obj:
    resources: Obj = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": "c", "resources": resources, **extra}


@pytest.mark.parametrize(
    ("spec", "requests", "limits"),
    [
        # containers add up; formats follow the first non-zero amount
        (
            {
                "containers": [
                    _container({"cpu": "100m", "memory": "100Mi"}),
                    _container({"memory": "200Mi"}),
                ]
            },
            {"cpu": "100m", "memory": "300Mi"},
            {},
        ),
        # an init container alone is a floor
        (
            {
                "containers": [_container({"cpu": "500m"}, {"cpu": "1"})],
                "initContainers": [_container({"cpu": "2"}, {"cpu": "3"})],
            },
            {"cpu": "2"},
            {"cpu": "3"},
        ),
        # sidecars run beside everything after them
        (
            {
                "containers": [_container({"cpu": "500m"})],
                "initContainers": [
                    _container({"cpu": "200m"}, restartPolicy="Always"),
                    _container({"cpu": "600m"}),
                ],
            },
            # max(500m + 200m, 600m + 200m)
            {"cpu": "800m"},
            {},
        ),
        # overhead: added to every request, to a limit only where one exists
        (
            {
                "containers": [_container({"cpu": "1"}, {"memory": "1Gi"})],
                "overhead": {"cpu": "250m", "memory": "120Mi"},
            },
            {"cpu": "1250m", "memory": "120Mi"},
            {"memory": "1144Mi"},
        ),
        # nothing at all
        ({"containers": [{"name": "c"}]}, {}, {}),
    ],
)
def test_pod_requests_and_limits(
    spec: Obj, requests: dict[str, str], limits: dict[str, str]
) -> None:
    assert {k: str(v) for k, v in pod_requests(spec).items()} == requests
    assert {k: str(v) for k, v in pod_limits(spec).items()} == limits
