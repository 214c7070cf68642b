"""ResourceQuota admission: refusals as tables, charging through a real store under concurrency."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.api.groupversion import GroupResource
from kubeling.api.quota.usage import evaluator_for
from kubeling.apiserver.admission.chain import AdmissionChain
from kubeling.apiserver.admission.interfaces import CREATE, UPDATE, Attributes
from kubeling.apiserver.admission.resource_quota import (
    ResourceQuotaAdmission,
    StoreQuotas,
    charge,
)
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.strategies.resourcequotas import ResourceQuotaStrategy
from kubeling.storage import Store, open_store

Obj = dict[str, Any]
W = WriteOptions()

KINDS = {
    "pods": ("", "Pod"),
    "services": ("", "Service"),
    "persistentvolumeclaims": ("", "PersistentVolumeClaim"),
    "configmaps": ("", "ConfigMap"),
    "secrets": ("", "Secret"),
    "deployments": ("apps", "Deployment"),
    "events": ("", "Event"),
}


def _attrs(
    resource: str,
    obj: Obj | None,
    *,
    operation: str = CREATE,
    old: Obj | None = None,
    namespace: str = "ns",
    subresource: str = "",
    dry_run: bool = False,
) -> Attributes:
    group, kind = KINDS[resource]
    name = str(((obj or {}).get("metadata") or {}).get("name") or "")
    return Attributes(
        operation=operation,  # type: ignore[arg-type]
        group=group,
        version="v1",
        resource=resource,
        subresource=subresource,
        kind_group=group,
        kind_version="v1",
        kind=kind,
        namespace=namespace,
        name=name,
        obj=obj,
        old_obj=old,
        user=UserInfo("alice"),
        dry_run=dry_run,
    )


def _quota(name: str, hard: dict[str, str], used: dict[str, str] | None = None, **spec: Any) -> Obj:
    """A quota as the controller leaves it: status.hard = spec.hard, status.used counted."""
    return {
        "metadata": {"name": name, "namespace": "ns", "resourceVersion": "7"},
        "spec": {"hard": hard, **spec},
        "status": {"hard": hard, "used": used if used is not None else dict.fromkeys(hard, "0")},
    }


def _container(name: str = "c", **resources: dict[str, str]) -> Obj:
    return {"name": name, "image": "busybox", "resources": resources}


def _pod(name: str = "p", *containers: Obj, qos: str = "Burstable", **spec: Any) -> Obj:
    return {
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"containers": list(containers) or [_container()], **spec},
        "status": {"qosClass": qos},
    }


def _charge(quotas: list[Obj], attributes: Attributes) -> dict[str, dict[str, str]]:
    evaluator = evaluator_for(GroupResource(attributes.group, attributes.resource))
    return {
        name: {k: str(v) for k, v in sorted(used.items())}
        for name, used in charge(quotas, attributes, evaluator).items()
    }


def _refusal(quotas: list[Obj], attributes: Attributes) -> errors.StatusError:
    with pytest.raises(errors.StatusError) as info:
        _charge(quotas, attributes)
    assert (info.value.code, info.value.reason) == (403, "Forbidden")
    return info.value


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quotas", "attributes", "message"),
    [
        pytest.param(
            [_quota("q", {"pods": "2"}, {"pods": "2"})],
            _attrs("pods", _pod("web")),
            'pods "web" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, '
            "limited: pods=2",
            id="pods-exceeded",
        ),
        pytest.param(
            [_quota("q", {"limits.cpu": "2"})],
            _attrs("pods", _pod("web", _container("c"))),
            'pods "web" is forbidden: failed quota: q: must specify limits.cpu for: c',
            id="limits-cpu-missing",
        ),
        pytest.param(
            [_quota("q", {"cpu": "2", "limits.memory": "1Gi"})],
            _attrs(
                "pods",
                _pod(
                    "web",
                    _container("b", requests={"cpu": "1"}),
                    _container("a"),
                ),
            ),
            'pods "web" is forbidden: failed quota: q: must specify cpu for: a; '
            "must specify limits.memory for: a,b",
            id="several-missing",
        ),
        pytest.param(
            [_quota("q", {"requests.cpu": "1"}, {"requests.cpu": "800m"})],
            _attrs("pods", _pod("web", _container(requests={"cpu": "300m"}))),
            'pods "web" is forbidden: exceeded quota: q, requested: requests.cpu=300m, '
            "used: requests.cpu=800m, limited: requests.cpu=1",
            id="requests-cpu-exceeded",
        ),
        pytest.param(
            [_quota("q", {"pods": "5"}, {})],
            _attrs("pods", _pod("web")),
            'pods "web" is forbidden: status unknown for quota: q, resources: pods',
            id="status-unknown",
        ),
        pytest.param(
            [_quota("q", {"services.nodeports": "1"}, {"services.nodeports": "0"})],
            _attrs(
                "services",
                {
                    "metadata": {"name": "s"},
                    "spec": {"type": "NodePort", "ports": [{"port": 80}, {"port": 81}]},
                },
            ),
            'services "s" is forbidden: exceeded quota: q, requested: services.nodeports=2, '
            "used: services.nodeports=0, limited: services.nodeports=1",
            id="nodeports",
        ),
        pytest.param(
            [_quota("q", {"configmaps": "1", "count/configmaps": "5"}, {"configmaps": "1"})],
            _attrs("configmaps", {"metadata": {"generateName": "cm-"}}),
            'configmaps "cm-" is forbidden: status unknown for quota: q, '
            "resources: configmaps,count/configmaps",
            id="generate-name-and-legacy-name",
        ),
        pytest.param(
            [_quota("q", {"count/deployments.apps": "1"}, {"count/deployments.apps": "1"})],
            _attrs("deployments", {"metadata": {"name": "d"}}),
            'deployments.apps "d" is forbidden: exceeded quota: q, requested: '
            "count/deployments.apps=1, used: count/deployments.apps=1, "
            "limited: count/deployments.apps=1",
            id="object-count",
        ),
        pytest.param(
            [
                _quota(
                    "storage",
                    {"requests.storage": "10Gi"},
                    {"requests.storage": "8Gi"},
                )
            ],
            _attrs(
                "persistentvolumeclaims",
                {
                    "metadata": {"name": "data", "resourceVersion": "3"},
                    "spec": {"resources": {"requests": {"storage": "5Gi"}}},
                },
                operation=UPDATE,
                old={
                    "metadata": {"name": "data", "resourceVersion": "3"},
                    "spec": {"resources": {"requests": {"storage": "2Gi"}}},
                },
            ),
            'persistentvolumeclaims "data" is forbidden: exceeded quota: storage, requested: '
            "requests.storage=3Gi, used: requests.storage=8Gi, limited: requests.storage=10Gi",
            id="claim-grows",
        ),
    ],
)
def test_refusals(quotas: list[Obj], attributes: Attributes, message: str) -> None:
    """Each refusal is a 403 with Kubernetes' exact message."""
    assert _refusal(quotas, attributes).message == message


@pytest.mark.parametrize(
    ("quotas", "attributes", "charged"),
    [
        pytest.param(
            [_quota("q", {"pods": "2", "requests.cpu": "1"}, {"pods": "1", "requests.cpu": "0"})],
            _attrs("pods", _pod("web", _container(requests={"cpu": "250m"}))),
            {"q": {"pods": "2", "requests.cpu": "250m"}},
            id="pod-fits",
        ),
        pytest.param(
            [_quota("q", {"secrets": "3"}, {"secrets": "0"})],
            _attrs("pods", _pod("web")),
            {},
            id="quota-not-counting-pods",
        ),
        pytest.param(
            [
                _quota("be", {"pods": "1"}, {"pods": "1"}, scopes=["BestEffort"]),
                _quota("nbe", {"pods": "3"}, {"pods": "0"}, scopes=["NotBestEffort"]),
            ],
            _attrs("pods", _pod("web", qos="Burstable")),
            {"nbe": {"pods": "1"}},
            id="scope-best-effort",
        ),
        pytest.param(
            [
                _quota("t", {"pods": "1"}, {"pods": "1"}, scopes=["Terminating"]),
                _quota("nt", {"pods": "3"}, {"pods": "0"}, scopes=["NotTerminating"]),
            ],
            _attrs("pods", _pod("web")),
            {"nt": {"pods": "1"}},
            id="scope-not-terminating",
        ),
        pytest.param(
            [
                _quota(
                    "high",
                    {"pods": "1"},
                    {"pods": "1"},
                    scopeSelector={
                        "matchExpressions": [
                            {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}
                        ]
                    },
                ),
            ],
            _attrs("pods", _pod("web", priorityClassName="low")),
            {},
            id="scope-priority-class-other",
        ),
        pytest.param(
            [_quota("q", {"services": "2"}, {"services": "1"}, scopes=["BestEffort"])],
            _attrs("services", {"metadata": {"name": "s"}, "spec": {}}),
            {},
            id="scoped-quota-takes-only-pods",
        ),
        pytest.param(
            [_quota("q", {"services.loadbalancers": "1"}, {"services.loadbalancers": "0"})],
            _attrs(
                "services",
                {"metadata": {"name": "s"}, "spec": {"type": "LoadBalancer"}},
                operation=UPDATE,
                old={"metadata": {"name": "s", "resourceVersion": "4"}, "spec": {}},
            ),
            {"q": {"services.loadbalancers": "1"}},
            id="service-becomes-load-balancer",
        ),
        pytest.param(
            [_quota("q", {"requests.storage": "1Gi"}, {"requests.storage": "1Gi"})],
            _attrs(
                "persistentvolumeclaims",
                {
                    "metadata": {"name": "d"},
                    "spec": {"resources": {"requests": {"storage": "1Gi"}}},
                },
                operation=UPDATE,
                old={
                    "metadata": {"name": "d", "resourceVersion": "4"},
                    "spec": {"resources": {"requests": {"storage": "2Gi"}}},
                },
            ),
            {},
            id="claim-shrink-charges-nothing",
        ),
    ],
)
def test_charges(quotas: list[Obj], attributes: Attributes, charged: Obj) -> None:
    """What fits is charged to the quotas that count it, and only to them."""
    assert _charge(quotas, attributes) == charged


def test_handles_only_namespaced_writes_without_subresource() -> None:
    """Subresources, cluster-scoped objects, events and deletes are never looked at."""
    plugin = ResourceQuotaAdmission(_FakeQuotas([]))
    assert plugin.handles(_attrs("pods", _pod()))
    assert not plugin.handles(_attrs("pods", _pod(), subresource="status"))
    assert not plugin.handles(_attrs("pods", _pod(), namespace=""))
    assert not plugin.handles(_attrs("events", {"metadata": {"name": "e"}}))
    assert not plugin.handles(_attrs("pods", None, operation="DELETE"))


class _FakeQuotas:
    """A QuotaStore in memory that records writes and can refuse with conflicts."""

    def __init__(self, quotas: list[Obj], *, conflicts: int = 0) -> None:
        self.quotas = {q["metadata"]["name"]: copy.deepcopy(q) for q in quotas}
        self.writes: list[Obj] = []
        self.conflicts = conflicts

    async def list_quotas(self, namespace: str) -> list[Obj]:
        return [copy.deepcopy(q) for q in self.quotas.values()]

    async def get_quota(self, namespace: str, name: str) -> Obj | None:
        found = self.quotas.get(name)
        return copy.deepcopy(found) if found else None

    async def update_status(self, quota: Obj) -> Obj:
        name = quota["metadata"]["name"]
        current = self.quotas[name]
        if self.conflicts:
            # someone else (the controller) wrote first
            self.conflicts -= 1
            meta = current["metadata"]
            meta["resourceVersion"] = str(int(meta["resourceVersion"]) + 1)
        if quota["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"]:
            raise errors.conflict(GroupResource("", "resourcequotas"), name, "modified")
        written = copy.deepcopy(quota)
        written["metadata"]["resourceVersion"] = str(int(quota["metadata"]["resourceVersion"]) + 1)
        self.quotas[name] = written
        self.writes.append(written)
        return copy.deepcopy(written)


async def test_dry_run_checks_but_does_not_charge() -> None:
    """A dry run is refused like a real write, but nothing is written when it fits."""
    quotas = _FakeQuotas([_quota("q", {"pods": "1"}, {"pods": "0"})])
    plugin = ResourceQuotaAdmission(quotas)
    await plugin.validate(_attrs("pods", _pod(), dry_run=True))
    assert quotas.writes == []
    quotas.quotas["q"]["status"]["used"] = {"pods": "1"}
    with pytest.raises(errors.StatusError) as info:
        await plugin.validate(_attrs("pods", _pod(), dry_run=True))
    assert info.value.code == 403


async def test_conflict_rereads_and_retries() -> None:
    """A status write that loses a race is checked again against the quota as stored."""
    quotas = _FakeQuotas([_quota("q", {"pods": "5"}, {"pods": "1"})], conflicts=2)
    await ResourceQuotaAdmission(quotas).validate(_attrs("pods", _pod()))
    assert [w["status"]["used"] for w in quotas.writes] == [{"pods": "2"}]


async def test_conflict_after_every_retry_is_returned() -> None:
    """After three re-checks the conflict itself is the answer, as upstream gives it."""
    quotas = _FakeQuotas([_quota("q", {"pods": "5"}, {"pods": "1"})], conflicts=10)
    with pytest.raises(errors.StatusError) as info:
        await ResourceQuotaAdmission(quotas).validate(_attrs("pods", _pod()))
    assert info.value.code == 409
    assert quotas.writes == []


# -- a real store -----------------------------------------------------------------------


class _Stores:
    """A store and the resource stores over it; ``close`` stops the watch caches first."""

    def __init__(self, store: Store, registry: Registry) -> None:
        self.store, self.registry = store, registry

    async def close(self) -> None:
        for stored in self.registry.stored_resources():
            await stored.cache.stop()
        await self.store.close()


async def _stores(url: str) -> tuple[_Stores, ResourceStore, ResourceStore]:
    store = await open_store(url)
    registry = Registry(store)
    for resource in builtin_resources():
        strategy = ResourceQuotaStrategy() if resource.plural == "resourcequotas" else None
        registry.add(resource, strategy)
    quotas = registry.lookup("", "v1", "resourcequotas")
    pods = registry.lookup("", "v1", "pods")
    assert quotas is not None
    assert pods is not None
    return _Stores(store, registry), quotas, pods


async def _hard_quota(quotas: ResourceStore, hard: dict[str, str]) -> None:
    """Create a quota and count it as the controller would (nothing used yet)."""
    created = await quotas.create("ns", {"metadata": {"name": "q"}, "spec": {"hard": hard}}, W)
    created["status"] = {"hard": hard, "used": dict.fromkeys(hard, "0")}
    await quotas.update("ns", "q", created, W, subresource="status")


@pytest.fixture(params=["memory", "sqlite"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory://" if request.param == "memory" else f"sqlite://{tmp_path}/store.db"


async def test_concurrent_creates_never_pass_hard(store_url: str) -> None:
    """20 pods created at once against pods=5: exactly 5 are stored, and used says 5."""
    store, quotas, pods = await _stores(store_url)
    try:
        await _hard_quota(quotas, {"pods": "5"})
        chain = AdmissionChain([ResourceQuotaAdmission(StoreQuotas(quotas))])

        async def create(i: int) -> errors.StatusError | None:
            pod = _pod(f"p{i}")
            try:
                await chain.validate(_attrs("pods", pod))
            except errors.StatusError as err:
                return err
            await pods.create("ns", pod, W)
            return None

        refusals = [r for r in await asyncio.gather(*(create(i) for i in range(20))) if r]
        assert len(refusals) == 15
        assert {(r.code, r.message.partition(": ")[2]) for r in refusals} == {
            (403, "exceeded quota: q, requested: pods=1, used: pods=5, limited: pods=5")
        }
        stored = await store.store.list("/registry/pods/ns/")
        assert len(stored.kvs) == 5
        assert (await quotas.get("ns", "q"))["status"]["used"] == {"pods": "5"}
    finally:
        await store.close()


async def test_two_servers_share_a_quota_through_resource_versions(store_url: str) -> None:
    """Two plugins (two API servers) over one store: the resourceVersion precondition
    turns their races into re-checks, and the quota still holds."""
    store, quotas, _ = await _stores(store_url)
    try:
        await _hard_quota(quotas, {"count/configmaps": "6"})
        servers = [ResourceQuotaAdmission(StoreQuotas(quotas)) for _ in range(2)]

        async def create(i: int) -> int:
            try:
                await servers[i % 2].validate(_attrs("configmaps", {"metadata": {"name": f"c{i}"}}))
            except errors.StatusError as err:
                return err.code
            return 200

        codes = await asyncio.gather(*(create(i) for i in range(16)))
        assert set(codes) <= {200, 403, 409}
        used = (await quotas.get("ns", "q"))["status"]["used"]["count/configmaps"]
        assert int(used) == codes.count(200) <= 6
    finally:
        await store.close()


async def test_a_controller_write_in_between_is_a_retry_not_a_failure() -> None:
    """The controller rewriting the quota between read and write costs a re-read only."""
    store, quotas, _ = await _stores("memory://")
    try:
        await _hard_quota(quotas, {"pods": "3"})
        real = StoreQuotas(quotas)

        class Racing:
            """Lets another writer change the quota just before the first status write."""

            raced = False

            async def list_quotas(self, namespace: str) -> list[Obj]:
                return await real.list_quotas(namespace)

            async def get_quota(self, namespace: str, name: str) -> Obj | None:
                return await real.get_quota(namespace, name)

            async def update_status(self, quota: Obj) -> Obj:
                if not self.raced:
                    self.raced = True
                    current = await quotas.get("ns", "q")
                    current["status"]["used"] = {"pods": "1"}
                    await quotas.update("ns", "q", current, W, subresource="status")
                return await real.update_status(quota)

        await ResourceQuotaAdmission(Racing()).validate(_attrs("pods", _pod()))
        assert (await quotas.get("ns", "q"))["status"]["used"] == {"pods": "2"}
    finally:
        await store.close()
