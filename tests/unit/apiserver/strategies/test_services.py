"""ServiceStrategy: defaults, validation, and ClusterIP/NodePort allocation in the store."""

from __future__ import annotations

import asyncio
import copy
import random
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.apiserver.strategies.ranges import NODE_PORTS_KEY, SERVICE_IPS_KEY
from kubeling.apiserver.strategies.services import ServiceStrategy
from kubeling.storage import KeyValue
from kubeling.storage.memory import MemoryStore

Obj = dict[str, Any]


class _YieldingStore(MemoryStore):
    """A MemoryStore that yields to the loop on every read, so writers interleave."""

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        await asyncio.sleep(0)
        return await super().get(key, revision=revision)


def _svc(name: str = "web", **spec: Any) -> Obj:
    body: Obj = {"selector": {"app": "web"}, "ports": [{"port": 80}]}
    body.update(spec)
    return {"metadata": {"name": name, "namespace": "default"}, "spec": body}


def _strategy(store: MemoryStore | None = None, **kwargs: Any) -> ServiceStrategy:
    return ServiceStrategy(
        store or MemoryStore(),
        service_cidr="10.96.0.0/24",
        node_port_range=(30000, 30099),
        rng=random.Random(7),
        **kwargs,
    )


def _messages(strategy: ServiceStrategy, svc: Obj) -> list[str]:
    strategy.default(svc)
    return [str(e) for e in strategy.validate(svc, namespaced=True)]


async def _create(strategy: ServiceStrategy, svc: Obj) -> Obj:
    strategy.default(svc)
    strategy.prepare_for_create(svc)
    assert strategy.validate(svc, namespaced=True) == []
    await strategy.allocate(svc)
    return svc


def test_defaults_for_a_cluster_ip_service() -> None:
    """`kubectl create service clusterip` fields: the v1 defaults and single-stack families."""
    svc = _svc()
    _strategy().default(svc)
    assert svc["spec"] == {
        "selector": {"app": "web"},
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "ipFamilyPolicy": "SingleStack",
        "ipFamilies": ["IPv4"],
    }


def test_defaults_for_load_balancer_and_headless() -> None:
    """LoadBalancer gets its policies; a selectorless headless service RequireDualStack."""
    strategy = _strategy()
    lb = _svc(type="LoadBalancer")
    strategy.default(lb)
    assert lb["spec"]["externalTrafficPolicy"] == "Cluster"
    assert lb["spec"]["allocateLoadBalancerNodePorts"] is True
    headless = _svc(clusterIP="None", selector=None)
    strategy.default(headless)
    assert headless["spec"]["clusterIPs"] == ["None"]
    assert headless["spec"]["ipFamilyPolicy"] == "RequireDualStack"
    external = _svc(type="ExternalName", externalName="example.com", ports=[])
    strategy.default(external)
    assert "ipFamilies" not in external["spec"]
    assert "internalTrafficPolicy" not in external["spec"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"ports": []}, "spec.ports: Required value"),
        ({"ports": [{"port": 80}, {"port": 81}]}, "spec.ports[0].name: Required value"),
        (
            {"ports": [{"name": "a", "port": 80}, {"name": "a", "port": 81}]},
            'spec.ports[1].name: Duplicate value: "a"',
        ),
        (
            {"ports": [{"port": 0}]},
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        ),
        (
            {"type": "Fancy"},
            'spec.type: Unsupported value: "Fancy": supported values: "ClusterIP", '
            '"ExternalName", "LoadBalancer", "NodePort"',
        ),
        ({"type": "ExternalName", "ports": []}, "spec.externalName: Required value"),
        (
            {"ports": [{"port": 80, "nodePort": 30001}]},
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
        ),
        (
            {"clusterIP": "10.96.0.x"},
            'spec.clusterIPs[0]: Invalid value: "10.96.0.x": must be a valid IP address, '
            "(e.g. 10.9.8.7 or 2001:db8::ffff)",
        ),
        (
            {"sessionAffinity": "Sticky"},
            'spec.sessionAffinity: Unsupported value: "Sticky": '
            'supported values: "ClientIP", "None"',
        ),
    ],
)
def test_validation_messages(spec: Obj, message: str) -> None:
    """Each broken rule is reported with Kubernetes' path and wording."""
    assert message in _messages(_strategy(), _svc(**spec))


def test_headless_and_external_name_need_no_ports() -> None:
    """Ports are optional for headless and ExternalName services."""
    strategy = _strategy()
    assert _messages(strategy, _svc(clusterIP="None", ports=[])) == []
    assert (
        _messages(strategy, _svc(type="ExternalName", externalName="db.example.com", ports=[]))
        == []
    )


async def test_allocates_cluster_ip_and_node_ports() -> None:
    """A NodePort service gets an address (never .0 or .1) and a port from the ranges."""
    svc = await _create(_strategy(), _svc(type="NodePort"))
    ip = svc["spec"]["clusterIP"]
    assert svc["spec"]["clusterIPs"] == [ip]
    assert ip.startswith("10.96.0.")
    assert ip not in ("10.96.0.0", "10.96.0.1", "10.96.0.255")
    assert 30000 <= svc["spec"]["ports"][0]["nodePort"] <= 30099


async def test_requested_values_are_reserved_once() -> None:
    """A taken IP or port is refused with upstream's 422 messages."""
    store = MemoryStore()
    strategy = _strategy(store)
    await _create(
        strategy,
        _svc("a", type="NodePort", clusterIP="10.96.0.10", ports=[{"port": 80, "nodePort": 30080}]),
    )
    with pytest.raises(errors.StatusError) as ip_taken:
        await _create(strategy, _svc("b", clusterIP="10.96.0.10"))
    assert ip_taken.value.code == 422
    assert ip_taken.value.message == (
        'Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: '
        "failed to allocate IP 10.96.0.10: provided IP is already allocated"
    )
    with pytest.raises(errors.StatusError) as port_taken:
        await _create(strategy, _svc("c", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    assert port_taken.value.message == (
        'Service "c" is invalid: spec.ports[0].nodePort: Invalid value: 30080: '
        "provided port is already allocated"
    )
    # the failed create gave back the address it had taken before the port failed
    assert len(await strategy.ips.allocated()) == 1


async def test_out_of_range_requests() -> None:
    """Addresses and ports outside the configured ranges are refused."""
    strategy = _strategy()
    with pytest.raises(errors.StatusError) as ip_err:
        await _create(strategy, _svc(clusterIP="10.0.0.5"))
    assert ip_err.value.message.endswith(
        "failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. "
        "The range of valid IPs is 10.96.0.0/24"
    )
    with pytest.raises(errors.StatusError) as port_err:
        await _create(strategy, _svc(type="NodePort", ports=[{"port": 80, "nodePort": 80}]))
    assert port_err.value.message.endswith(
        "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. "
        "The range of valid ports is 30000-30099"
    )


async def test_first_address_only_on_request() -> None:
    """.1 is never handed out dynamically but may be asked for (the `kubernetes` Service)."""
    strategy = _strategy()
    kubernetes = await _create(strategy, _svc("kubernetes", clusterIP="10.96.0.1"))
    assert kubernetes["spec"]["clusterIP"] == "10.96.0.1"
    for i in range(20):
        assert (await _create(strategy, _svc(f"s{i}")))["spec"]["clusterIP"] != "10.96.0.1"


async def test_no_double_allocation_under_concurrency() -> None:
    """50 concurrent creates get 50 distinct addresses and node ports."""
    store = _YieldingStore()
    strategies = [_strategy(store) for _ in range(3)]  # several API servers, one store
    services = [_svc(f"s{i}", type="NodePort") for i in range(50)]
    await asyncio.gather(*(_create(strategies[i % 3], svc) for i, svc in enumerate(services)))
    ips = {svc["spec"]["clusterIP"] for svc in services}
    ports = {svc["spec"]["ports"][0]["nodePort"] for svc in services}
    assert len(ips) == 50
    assert len(ports) == 50
    assert await strategies[0].ips.allocated() == ips
    assert await strategies[0].node_ports.allocated() == ports


async def test_range_full_is_an_internal_error() -> None:
    """An exhausted port range answers 500 with upstream's message."""
    strategy = ServiceStrategy(
        MemoryStore(), service_cidr="10.96.0.0/24", node_port_range=(30000, 30000)
    )
    await _create(strategy, _svc("a", type="NodePort"))
    with pytest.raises(errors.StatusError) as err:
        await _create(strategy, _svc("b", type="NodePort"))
    assert err.value.code == 500
    assert "failed to allocate a nodePort: range is full" in err.value.message
    assert len(await strategy.ips.allocated()) == 1


async def test_release_frees_everything_on_delete() -> None:
    """Deleting a service gives back its address and ports."""
    strategy = _strategy()
    svc = await _create(strategy, _svc(type="NodePort"))
    await strategy.release(svc)
    assert await strategy.ips.allocated() == set()
    assert await strategy.node_ports.allocated() == set()


async def test_allocations_survive_a_restart() -> None:
    """A new strategy over the same store sees what the old one reserved."""
    store = MemoryStore()
    svc = await _create(_strategy(store), _svc(type="NodePort", clusterIP="10.96.0.20"))
    assert await store.get(SERVICE_IPS_KEY) is not None
    assert await store.get(NODE_PORTS_KEY) is not None
    restarted = _strategy(store)
    assert await restarted.ips.allocated() == {"10.96.0.20"}
    with pytest.raises(errors.StatusError):
        await _create(restarted, _svc("b", clusterIP="10.96.0.20"))
    await restarted.release(svc)
    await _create(restarted, _svc("c", clusterIP="10.96.0.20"))


async def test_type_change_to_cluster_ip_releases_node_ports() -> None:
    """NodePort → ClusterIP drops and frees the node ports but keeps the address."""
    strategy = _strategy()
    old = await _create(strategy, _svc(type="NodePort"))
    new = copy.deepcopy(old)
    new["spec"]["type"] = "ClusterIP"
    strategy.default(new)
    strategy.prepare_for_update(new, old)
    assert "nodePort" not in new["spec"]["ports"][0]
    assert new["spec"]["clusterIP"] == old["spec"]["clusterIP"]
    assert strategy.validate_update(new, old, namespaced=True) == []
    await strategy.allocate(new, old)
    await strategy.release(old, new)
    assert await strategy.node_ports.allocated() == set()
    assert await strategy.ips.allocated() == {old["spec"]["clusterIP"]}


async def test_update_keeps_allocated_values_when_omitted() -> None:
    """Applying a manifest without clusterIP or nodePort keeps the allocated ones."""
    strategy = _strategy()
    old = await _create(strategy, _svc(type="NodePort"))
    new = _svc(type="NodePort")
    strategy.default(new)
    strategy.prepare_for_update(new, old)
    assert new["spec"]["clusterIP"] == old["spec"]["clusterIP"]
    assert new["spec"]["ports"][0]["nodePort"] == old["spec"]["ports"][0]["nodePort"]
    await strategy.allocate(new, old)  # nothing new to reserve
    assert len(await strategy.node_ports.allocated()) == 1


async def test_cluster_ip_is_immutable() -> None:
    """Changing clusterIP is refused with the 1.32 message."""
    strategy = _strategy()
    old = await _create(strategy, _svc())
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.96.0.99"
    new["spec"]["clusterIPs"] = ["10.96.0.99"]
    strategy.prepare_for_update(new, old)
    assert [str(e) for e in strategy.validate_update(new, old, namespaced=True)] == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set'
    ]


def test_field_set() -> None:
    """Services select on clusterIP and type."""
    svc = _svc(clusterIP="10.96.0.5", type="NodePort")
    fields = _strategy().field_set(svc, namespaced=True)
    assert fields == {
        "metadata.name": "web",
        "metadata.namespace": "default",
        "spec.clusterIP": "10.96.0.5",
        "spec.type": "NodePort",
    }
