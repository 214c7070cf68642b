"""A container's environment: envFrom, env (values, ConfigMap/Secret keys, the downward API),
service variables, and Kubernetes' errors."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from kubeling.kubelet.envvars import (
    ContainerConfigError,
    PodIPs,
    make_environment,
    resource_value,
    service_environment,
)

Obj = dict[str, Any]


def service(name: str, namespace: str, ip: str, *ports: Obj) -> Obj:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"clusterIP": ip, "ports": list(ports)},
    }


def test_service_variables_are_kubernetes_and_docker_links() -> None:
    svc = service(
        "redis-main",
        "ns",
        "10.0.0.11",
        {"port": 6379},
        {"name": "metrics", "port": 9121, "protocol": "TCP"},
    )
    env = service_environment([svc], "ns", enable_service_links=True)
    assert env == {
        "REDIS_MAIN_SERVICE_HOST": "10.0.0.11",
        "REDIS_MAIN_SERVICE_PORT": "6379",
        "REDIS_MAIN_SERVICE_PORT_METRICS": "9121",
        "REDIS_MAIN_PORT": "tcp://10.0.0.11:6379",
        "REDIS_MAIN_PORT_6379_TCP": "tcp://10.0.0.11:6379",
        "REDIS_MAIN_PORT_6379_TCP_PROTO": "tcp",
        "REDIS_MAIN_PORT_6379_TCP_PORT": "6379",
        "REDIS_MAIN_PORT_6379_TCP_ADDR": "10.0.0.11",
        "REDIS_MAIN_PORT_9121_TCP": "tcp://10.0.0.11:9121",
        "REDIS_MAIN_PORT_9121_TCP_PROTO": "tcp",
        "REDIS_MAIN_PORT_9121_TCP_PORT": "9121",
        "REDIS_MAIN_PORT_9121_TCP_ADDR": "10.0.0.11",
    }


@pytest.mark.parametrize(
    ("services", "namespace", "links", "hosts"),
    [
        # Only the pod's namespace, and default/kubernetes always.
        (
            [
                service("a", "ns", "10.0.0.1", {"port": 1}),
                service("b", "other", "10.0.0.2", {"port": 1}),
                service("kubernetes", "default", "10.0.0.3", {"port": 443}),
            ],
            "ns",
            True,
            {"A_SERVICE_HOST", "KUBERNETES_SERVICE_HOST"},
        ),
        # enableServiceLinks: false keeps only the master service.
        (
            [
                service("a", "ns", "10.0.0.1", {"port": 1}),
                service("kubernetes", "default", "10.0.0.3", {"port": 443}),
            ],
            "ns",
            False,
            {"KUBERNETES_SERVICE_HOST"},
        ),
        # Headless and ExternalName services (no cluster IP) give nothing.
        (
            [service("h", "ns", "None", {"port": 1}), service("x", "ns", "", {"port": 1})],
            "ns",
            True,
            set(),
        ),
        # A "kubernetes" service in another namespace is an ordinary one.
        ([service("kubernetes", "ns", "10.0.0.9", {"port": 1})], "other", True, set()),
    ],
)
def test_which_services_a_pod_sees(
    services: list[Obj], namespace: str, links: bool, hosts: set[str]
) -> None:
    env = service_environment(services, namespace, enable_service_links=links)
    assert {k for k in env if k.endswith("_SERVICE_HOST")} == hosts


def test_ipv6_cluster_ips_are_bracketed_in_urls() -> None:
    env = service_environment(
        [service("v6", "ns", "fd00::1", {"port": 80})], "ns", enable_service_links=True
    )
    assert env["V6_PORT"] == "tcp://[fd00::1]:80"
    assert env["V6_PORT_80_TCP_ADDR"] == "fd00::1"


POD: Obj = {
    "metadata": {
        "name": "web",
        "namespace": "ns",
        "uid": "u-1",
        "labels": {"app": "web", "tier": "front"},
        "annotations": {"note": "hi"},
    },
    "spec": {"nodeName": "node-1", "serviceAccountName": "robot", "containers": []},
}
OBJECTS: dict[tuple[str, str, str], Obj] = {
    ("configmap", "ns", "cfg"): {"data": {"color": "blue", "size": "L", "ref": "$(NAME)"}},
    ("secret", "ns", "sec"): {"data": {"token": base64.b64encode(b"t0k3n").decode()}},
}


async def environment(container: Obj, services: dict[str, str] | None = None) -> dict[str, str]:
    async def configmap(namespace: str, name: str) -> Obj | None:
        return OBJECTS.get(("configmap", namespace, name))

    async def secret(namespace: str, name: str) -> Obj | None:
        return OBJECTS.get(("secret", namespace, name))

    return await make_environment(
        POD,
        container,
        services=services or {},
        get_configmap=configmap,
        get_secret=secret,
        ips=PodIPs(["10.1.1.1"], ["10.1.1.1", "fd00::5"]),
        allocatable={"cpu": "4", "memory": "8Gi", "ephemeral-storage": "100Gi"},
    )


async def test_env_values_sources_and_expansion() -> None:
    container = {
        "name": "c",
        "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "32Mi"}},
        "envFrom": [
            {"configMapRef": {"name": "cfg"}, "prefix": "CFG_"},
            {"secretRef": {"name": "sec"}},
        ],
        "env": [
            {"name": "NAME", "value": "x"},
            {"name": "GREETING", "value": "hi $(NAME) $(CFG_color) $(SVC_SERVICE_HOST) $(LATER)"},
            {"name": "LATER", "value": "later"},
            {"name": "EMPTY"},
            {"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "color"}}},
            {"name": "REF", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "ref"}}},
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "token"}}},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "SA", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
            {"name": "UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}},
            {"name": "TIER", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['tier']"}}},
            {
                "name": "NOTE",
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['note']"}},
            },
            {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
            {"name": "POD_IPS", "valueFrom": {"fieldRef": {"fieldPath": "status.podIPs"}}},
            {
                "name": "CPU",
                "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}},
            },
            {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}},
            {
                "name": "MEM_REQ",
                "valueFrom": {
                    "resourceFieldRef": {"resource": "requests.memory", "divisor": "1Mi"}
                },
            },
            {"name": "CFG_size", "value": "overridden"},
        ],
    }
    env = await environment(container, {"SVC_SERVICE_HOST": "10.0.0.7", "NAME": "from-service"})
    assert env["GREETING"] == "hi x blue 10.0.0.7 $(LATER)"
    assert env["NAME"] == "x"  # env wins over the service variables
    assert (env["CFG_color"], env["CFG_size"], env["token"]) == ("blue", "overridden", "t0k3n")
    assert (env["EMPTY"], env["COLOR"], env["REF"], env["TOKEN"]) == (
        "",
        "blue",
        "$(NAME)",
        "t0k3n",
    )
    assert (env["NODE"], env["SA"], env["UID"]) == ("node-1", "robot", "u-1")
    assert (env["TIER"], env["NOTE"]) == ("front", "hi")
    assert (env["HOST_IP"], env["POD_IPS"]) == ("10.1.1.1", "10.1.1.1,fd00::5")
    assert (env["CPU"], env["MEM"], env["MEM_REQ"]) == ("500", str(8 * 1024**3), "32")
    assert env["SVC_SERVICE_HOST"] == "10.0.0.7"


@pytest.mark.parametrize(
    ("container", "message"),
    [
        ({"envFrom": [{"configMapRef": {"name": "nope"}}]}, 'configmap "nope" not found'),
        ({"envFrom": [{"secretRef": {"name": "nope"}}]}, 'secret "nope" not found'),
        (
            {
                "env": [
                    {"name": "X", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k"}}}
                ]
            },
            'configmap "nope" not found',
        ),
        (
            {"env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}}]},
            "couldn't find key k in ConfigMap ns/cfg",
        ),
        (
            {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "k"}}}]},
            "couldn't find key k in Secret ns/sec",
        ),
        (
            {"env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "spec.what"}}}]},
            "unsupported fieldPath: spec.what",
        ),
        (
            {"env": [{"name": "X", "valueFrom": {"resourceFieldRef": {"resource": "limits.gpu"}}}]},
            "unsupported container resource : limits.gpu",
        ),
    ],
)
async def test_configuration_errors(container: Obj, message: str) -> None:
    with pytest.raises(ContainerConfigError) as raised:
        await environment({"name": "c", **container})
    assert str(raised.value) == message


async def test_optional_sources_may_be_missing() -> None:
    container = {
        "name": "c",
        "envFrom": [{"configMapRef": {"name": "nope", "optional": True}}],
        "env": [
            {
                "name": "A",
                "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k", "optional": True}},
            },
            {
                "name": "B",
                "valueFrom": {"secretKeyRef": {"name": "sec", "key": "k", "optional": True}},
            },
            {"name": "C", "value": "c"},
        ],
    }
    assert await environment(container) == {"C": "c"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({"resource": "requests.cpu"}, "1"),  # 250m rounds up to one CPU
        ({"resource": "requests.cpu", "divisor": "1m"}, "250"),
        ({"resource": "requests.cpu", "divisor": "100m"}, "3"),
        ({"resource": "limits.cpu"}, "2"),  # unset: the node's allocatable
        ({"resource": "limits.memory", "divisor": "1Ki"}, "131072"),
        ({"resource": "limits.memory", "divisor": "1M"}, "135"),
        ({"resource": "requests.memory"}, "0"),
        ({"resource": "limits.ephemeral-storage", "divisor": "1Gi"}, "10"),
        ({"resource": "requests.cpu", "divisor": "0"}, "1"),
    ],
)
def test_resource_values(selector: Obj, expected: str) -> None:
    container = {"resources": {"requests": {"cpu": "250m"}, "limits": {"memory": "128Mi"}}}
    node = {"cpu": "2", "memory": "4Gi", "ephemeral-storage": "10Gi"}
    assert resource_value(selector, container, node) == expected
