"""The scheduler against a real API server: nodes created through the API, pods bound.

Each test gets its own ``kubeling server`` (the failure messages count every node of the
cluster) and runs the scheduler in-process, as ``kubeling up`` does, through the client
and the admin kubeconfig. There is no kubelet: deleting a bound pod leaves it terminating
until the test deletes it with grace period 0, as the kubelet would.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.client import ApiClient, EventBroadcaster, load_client_config
from kubeling.client.resources import (
    EVENTS,
    LEASES,
    NODES,
    PERSISTENTVOLUMECLAIMS,
    PODS,
    PRIORITYCLASSES,
    STORAGECLASSES,
)
from kubeling.scheduler.api_effects import ApiSideEffects
from kubeling.scheduler.server import LeadershipLostError, SchedulerOptions, run_scheduler
from tests.support import waiting
from tests.support.cluster import RunningServer, running_server

NS = "default"
ZONE = "topology.kubernetes.io/zone"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"

Obj = dict[str, Any]


def node(
    name: str,
    *,
    cpu: str = "4",
    memory: str = "8Gi",
    pods: str = "110",
    labels: Mapping[str, str] | None = None,
    taints: list[Obj] | None = None,
) -> Obj:
    """A Ready node with allocatable cpu/memory/pods, as a kubelet would register it."""
    allocatable = {"cpu": cpu, "memory": memory, "pods": pods}
    body: Obj = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {"taints": taints or []},
        "status": {
            "capacity": allocatable,
            "allocatable": allocatable,
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }
    return body


def pod(
    name: str,
    *,
    cpu: str = "100m",
    labels: Mapping[str, str] | None = None,
    **spec: Any,
) -> Obj:
    """A pod with one container requesting ``cpu``; ``spec`` entries are added to its spec."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": dict(labels or {})},
        "spec": {
            "containers": [
                {"name": "c", "image": "busybox", "resources": {"requests": {"cpu": cpu}}}
            ],
            **spec,
        },
    }


@dataclass
class Cluster:
    """A server, a client to it, and helpers to wait on what the scheduler does."""

    server: RunningServer
    client: ApiClient

    async def add_nodes(self, *nodes: Obj) -> None:
        for body in nodes:
            await self.client.resource(NODES).create(body)

    async def add_pods(self, *pods: Obj) -> None:
        for body in pods:
            await self.client.resource(PODS).create(body, namespace=NS)

    async def get_pod(self, name: str) -> Obj:
        return await self.client.resource(PODS).get(name, namespace=NS)

    async def wait_bound(self, name: str, within: float = 30) -> str:
        """The node the pod gets bound to."""
        found: list[str] = []

        async def bound() -> bool:
            node_name = (await self.get_pod(name))["spec"].get("nodeName")
            if node_name:
                found.append(node_name)
            return bool(node_name)

        await eventually(bound, within)
        return found[0]

    async def wait_condition(self, name: str, within: float = 30) -> Obj:
        """The pod's PodScheduled condition, once it has one."""
        found: list[Obj] = []

        async def has_condition() -> bool:
            for condition in (await self.get_pod(name)).get("status", {}).get("conditions", []):
                if condition["type"] == "PodScheduled":
                    found.append(condition)
                    return True
            return False

        await eventually(has_condition, within)
        return found[0]

    async def events_of(self, name: str) -> list[Obj]:
        listed = await self.client.resource(EVENTS).list(
            namespace=NS, field_selector=f"involvedObject.name={name}"
        )
        items: list[Obj] = listed["items"]
        return items

    async def wait_event(self, name: str, reason: str, within: float = 30) -> Obj:
        """The first Event with ``reason`` about the pod ``name``."""
        found: list[Obj] = []

        async def recorded() -> bool:
            found.extend(e for e in await self.events_of(name) if e["reason"] == reason)
            return bool(found)

        await eventually(recorded, within)
        return found[0]


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30) -> None:
    """Poll ``check`` until it holds; fail after ``within`` seconds (the shared
    :func:`tests.support.waiting.eventually`)."""
    await waiting.eventually(check, within=within, what="the condition")


@contextlib.asynccontextmanager
async def scheduler_running(
    server: RunningServer, options: SchedulerOptions, identity: str | None = None
) -> AsyncIterator[asyncio.Task[None]]:
    """``run_scheduler`` as a task, cancelled on the way out."""
    config = load_client_config(server.kubeconfig)
    task = asyncio.create_task(run_scheduler(config, options, identity=identity))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with running_server(tmp_path) as running:
        yield running


@pytest.fixture
async def cluster(server: RunningServer) -> AsyncIterator[Cluster]:
    """A fresh server with the scheduler running (no leader election)."""
    config = load_client_config(server.kubeconfig).with_user_agent("scheduler-tests/0")
    async with (
        ApiClient(config) as client,
        scheduler_running(server, SchedulerOptions(leader_elect=False)),
    ):
        yield Cluster(server, client)


async def test_pod_is_bound_with_condition_and_event(cluster: Cluster) -> None:
    """Bound through the binding subresource; PodScheduled=True; a Scheduled Event."""
    await cluster.add_nodes(node("node-1"))
    await cluster.add_pods(pod("web"))

    assert await cluster.wait_bound("web") == "node-1"
    bound = await cluster.get_pod("web")
    [scheduled] = [c for c in bound["status"]["conditions"] if c["type"] == "PodScheduled"]
    assert scheduled["status"] == "True"
    event = await cluster.wait_event("web", "Scheduled")
    assert event["type"] == "Normal"
    assert event["message"] == "Successfully assigned default/web to node-1"
    assert event["source"]["component"] == "default-scheduler"
    assert event["involvedObject"]["uid"] == bound["metadata"]["uid"]

    described = cluster.server.kubectl("describe", "pod", "web").stdout
    assert "Node:             node-1/" in described or "Node:         node-1" in described
    assert "default-scheduler  Successfully assigned default/web to node-1" in described
    events = cluster.server.kubectl("get", "events", "--field-selector", "reason=Scheduled").stdout
    assert "pod/web" in events
    assert "Successfully assigned default/web to node-1" in events


FIT_MESSAGE = (
    "0/3 nodes are available: 1 node(s) had untolerated taint "
    "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. "
    "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
    "2 No preemption victims found for incoming pod."
)


async def test_unschedulable_pod_waits_for_a_fitting_node(cluster: Cluster) -> None:
    """Kubernetes' exact message in PodScheduled=False and FailedScheduling; a new node that
    fits gets the pod bound."""
    await cluster.add_nodes(
        node("control-plane", taints=[{"key": CONTROL_PLANE, "effect": "NoSchedule"}]),
        node("worker-1", cpu="1"),
        node("worker-2", cpu="1"),
    )
    await cluster.add_pods(pod("big", cpu="2"))

    condition = await cluster.wait_condition("big")
    assert condition["status"] == "False"
    assert condition["reason"] == "Unschedulable"
    assert condition["message"] == FIT_MESSAGE
    assert condition["lastTransitionTime"]
    failed = await cluster.wait_event("big", "FailedScheduling")
    assert failed["type"] == "Warning"
    assert failed["message"] == FIT_MESSAGE
    assert failed["source"]["component"] == "default-scheduler"
    assert not (await cluster.get_pod("big"))["spec"].get("nodeName")
    described = cluster.server.kubectl("describe", "pod", "big").stdout
    assert "FailedScheduling" in described
    assert "0/3 nodes are available" in described

    await cluster.add_nodes(node("worker-3", cpu="4"))
    assert await cluster.wait_bound("big") == "worker-3"
    condition = await cluster.wait_condition("big")
    assert condition["status"] == "True"


async def test_node_selector_affinity_and_taints(cluster: Cluster) -> None:
    """Each pod lands where its selector, affinity and tolerations allow, and only there."""
    await cluster.add_nodes(
        node("ssd", labels={"disk": "ssd"}),
        node("gpu", labels={"accel": "gpu"}),
        node("dedicated", taints=[{"key": "team", "value": "a", "effect": "NoSchedule"}]),
    )
    required = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "accel", "operator": "In", "values": ["gpu"]}]}
                ]
            }
        }
    }
    toleration = {"key": "team", "operator": "Equal", "value": "a", "effect": "NoSchedule"}
    only_dedicated = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchFields": [
                            {"key": "metadata.name", "operator": "In", "values": ["dedicated"]}
                        ]
                    }
                ]
            }
        }
    }
    await cluster.add_pods(
        pod("on-ssd", nodeSelector={"disk": "ssd"}),
        pod("on-gpu", affinity=required),
        pod("tolerating", tolerations=[toleration], affinity=only_dedicated),
        pod("not-tolerating", affinity=only_dedicated),
        pod("nowhere", nodeSelector={"disk": "hdd"}),
    )
    assert await cluster.wait_bound("on-ssd") == "ssd"
    assert await cluster.wait_bound("on-gpu") == "gpu"
    assert await cluster.wait_bound("tolerating") == "dedicated"
    condition = await cluster.wait_condition("not-tolerating")
    assert condition["reason"] == "Unschedulable"
    # The name pin restricts the cycle in PreFilter: the other nodes count as ruled out by it.
    assert condition["message"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {team: a}, "
        "2 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    condition = await cluster.wait_condition("nowhere")
    assert condition["message"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {team: a}, "
        "2 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    await cluster.add_pods(*(pod(f"free-{index}") for index in range(5)))
    for index in range(5):
        assert await cluster.wait_bound(f"free-{index}") != "dedicated"


async def test_topology_spread_across_zones(cluster: Cluster) -> None:
    """maxSkew 1 over three zones: six pods, two per zone; a seventh with the zones full
    of room still keeps the skew."""
    await cluster.add_nodes(
        *(node(f"node-{zone}", labels={ZONE: f"zone-{zone}"}) for zone in "abc"),
    )
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": ZONE,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "spread"}},
        }
    ]
    placed: dict[str, int] = {}
    for index in range(6):
        name = f"spread-{index}"
        await cluster.add_pods(
            pod(name, labels={"app": "spread"}, topologySpreadConstraints=spread)
        )
        bound = await cluster.wait_bound(name)
        placed[bound] = placed.get(bound, 0) + 1
        # After every placement the counts differ by at most maxSkew.
        counts = [placed.get(f"node-{zone}", 0) for zone in "abc"]
        assert max(counts) - min(counts) <= 1, placed
    assert placed == {"node-a": 2, "node-b": 2, "node-c": 2}


async def test_inter_pod_anti_affinity(cluster: Cluster) -> None:
    """Required anti-affinity on the hostname: one pod per node; the third waits."""
    await cluster.add_nodes(node("node-1"), node("node-2"))
    anti = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "db"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    await cluster.add_pods(pod("db-0", labels={"app": "db"}, affinity=anti))
    first = await cluster.wait_bound("db-0")
    await cluster.add_pods(pod("db-1", labels={"app": "db"}, affinity=anti))
    second = await cluster.wait_bound("db-1")
    assert {first, second} == {"node-1", "node-2"}
    await cluster.add_pods(pod("db-2", labels={"app": "db"}, affinity=anti))
    condition = await cluster.wait_condition("db-2")
    assert condition["message"] == (
        "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. "
        "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
    )


async def test_preemption_by_priority(cluster: Cluster) -> None:
    """A high-priority pod that does not fit evicts a lower-priority one, is nominated,
    and is bound once the victim is gone."""
    # Pods get their priority from their class (the Priority admission plugin).
    for name, value in (("low", 10), ("high", 1000)):
        await cluster.client.resource(PRIORITYCLASSES).create(
            {"metadata": {"name": name}, "value": value}
        )
    await cluster.add_nodes(node("small", cpu="1"))
    await cluster.add_pods(pod("low", cpu="800m", priorityClassName="low"))
    assert (await cluster.get_pod("low"))["spec"]["priority"] == 10
    assert await cluster.wait_bound("low") == "small"
    low_uid = (await cluster.get_pod("low"))["metadata"]["uid"]

    await cluster.add_pods(pod("high", cpu="800m", priorityClassName="high"))

    async def victim_terminating() -> bool:
        try:
            victim = await cluster.get_pod("low")
        except errors.StatusError as error:
            return errors.is_not_found(error)
        return victim["metadata"].get("deletionTimestamp") is not None

    await eventually(victim_terminating)
    victim = await cluster.get_pod("low")
    disruption = [c for c in victim["status"]["conditions"] if c["type"] == "DisruptionTarget"]
    assert disruption
    assert disruption[0]["reason"] == "PreemptionByScheduler"
    assert disruption[0]["message"] == (
        "default-scheduler: preempting to accommodate a higher priority pod"
    )
    preempted = await cluster.wait_event("low", "Preempted")
    assert preempted["message"].startswith("Preempted by pod ")

    async def nominated() -> bool:
        return (await cluster.get_pod("high"))["status"].get("nominatedNodeName") == "small"

    await eventually(nominated)
    assert not (await cluster.get_pod("high"))["spec"].get("nodeName")

    # The kubelet's part: the victim's containers stopped, its object goes.
    await cluster.client.resource(PODS).delete(
        "low", namespace=NS, grace_period_seconds=0, precondition_uid=low_uid
    )
    assert await cluster.wait_bound("high") == "small"


async def test_other_scheduler_name_is_left_alone(cluster: Cluster) -> None:
    """A pod for another scheduler stays pending, untouched, while others are bound."""
    await cluster.add_nodes(node("node-1"))
    await cluster.add_pods(pod("theirs", schedulerName="my-scheduler"), pod("ours"))
    assert await cluster.wait_bound("ours") == "node-1"
    await cluster.wait_event("ours", "Scheduled")
    theirs = await cluster.get_pod("theirs")
    assert not theirs["spec"].get("nodeName")
    assert not theirs.get("status", {}).get("conditions")
    assert await cluster.events_of("theirs") == []


async def test_wait_for_first_consumer_claim_gets_the_selected_node(cluster: Cluster) -> None:
    """VolumeBinding's PreBind annotates the claim with the chosen node."""
    await cluster.add_nodes(node("node-1"))
    await cluster.client.resource(STORAGECLASSES).create(
        {
            "metadata": {"name": "local"},
            "provisioner": "example.com/local",
            "volumeBindingMode": "WaitForFirstConsumer",
        }
    )
    await cluster.client.resource(PERSISTENTVOLUMECLAIMS).create(
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "local",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
        namespace=NS,
    )
    volume = {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
    await cluster.add_pods(pod("consumer", volumes=[volume]))
    assert await cluster.wait_bound("consumer") == "node-1"
    claim = await cluster.client.resource(PERSISTENTVOLUMECLAIMS).get("data", namespace=NS)
    assert claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == "node-1"


async def test_leader_elected_scheduler_holds_the_lease(server: RunningServer) -> None:
    """With leader election, the kube-system/kube-scheduler Lease names this replica."""
    config = load_client_config(server.kubeconfig)
    async with (
        ApiClient(config) as client,
        scheduler_running(server, SchedulerOptions(leader_elect=True), identity="test-replica"),
    ):
        cluster = Cluster(server, client)
        await cluster.add_nodes(node("node-1"))
        await cluster.add_pods(pod("web"))
        assert await cluster.wait_bound("web") == "node-1"
        lease = await client.resource(LEASES).get("kube-scheduler", namespace="kube-system")
        assert lease["spec"]["holderIdentity"] == "test-replica"


async def test_a_lost_lease_stops_the_scheduler(server: RunningServer) -> None:
    """Another holder takes the Lease over: within the renew deadline (10 s) the scheduler
    stops with LeadershipLostError (the command then exits 1, as kube-scheduler does)."""
    config = load_client_config(server.kubeconfig)
    async with ApiClient(config) as client:
        task = asyncio.create_task(
            run_scheduler(config, SchedulerOptions(leader_elect=True), identity="replica-a")
        )
        leases = client.resource(LEASES)

        async def leading() -> bool:
            try:
                lease = await leases.get("kube-scheduler", namespace="kube-system")
            except errors.StatusError as error:
                if errors.is_not_found(error):
                    return False
                raise
            return bool(lease["spec"].get("holderIdentity") == "replica-a")

        try:
            await eventually(leading)

            async def take_over() -> bool:
                current = await leases.get("kube-scheduler", namespace="kube-system")
                spec = {**current["spec"], "holderIdentity": "replica-b"}
                try:
                    await leases.update(
                        {**current, "spec": {**spec, "leaseDurationSeconds": 60}},
                        namespace="kube-system",
                    )
                except errors.StatusError as error:
                    if errors.is_conflict(error):  # renewed meanwhile: try again
                        return False
                    raise
                return True

            await eventually(take_over)
            with pytest.raises(LeadershipLostError):
                await asyncio.wait_for(task, 40)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, LeadershipLostError):
                await task


async def test_scheduler_command(server: RunningServer) -> None:
    """``kubeling scheduler --kubeconfig ... --leader-elect false`` binds pods, and stops on
    SIGINT."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kubeling",
        "scheduler",
        "--kubeconfig",
        str(server.kubeconfig),
        "--leader-elect",
        "false",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with ApiClient(load_client_config(server.kubeconfig)) as client:
            cluster = Cluster(server, client)
            await cluster.add_nodes(node("node-1"))
            await cluster.add_pods(pod("web"))
            assert await cluster.wait_bound("web") == "node-1"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        except TimeoutError as timeout:
            process.kill()
            _, stderr = await process.communicate()
            # Whatever failed above stays in the traceback as the context.
            raise AssertionError(
                f"the scheduler did not stop on SIGINT within 30 s: {stderr.decode()[-3000:]}"
            ) from timeout
    assert process.returncode == 130, stderr.decode()


async def test_side_effects_tolerate_gone_and_replaced_pods(server: RunningServer) -> None:
    """A victim already gone, or re-created under its name, is not an error and the new pod
    survives; a status patch of a missing pod is not an error either."""
    config = load_client_config(server.kubeconfig).with_user_agent("scheduler-tests/0")
    async with ApiClient(config) as client:
        recorder = EventBroadcaster(client.resource(EVENTS)).new_recorder("default-scheduler")
        effects = ApiSideEffects(client, recorder)
        await effects.delete_pod(namespace=NS, name="missing", uid="no-such-uid")
        await effects.patch_pod_status(namespace=NS, name="missing", nominated_node_name="")
        created = await client.resource(PODS).create(pod("reborn"), namespace=NS)
        await effects.delete_pod(namespace=NS, name="reborn", uid="the-old-uid")
        still = await client.resource(PODS).get("reborn", namespace=NS)
        assert still["metadata"]["uid"] == created["metadata"]["uid"]
        assert still["metadata"].get("deletionTimestamp") is None
        with pytest.raises(errors.StatusError) as refused:
            await effects.bind(namespace=NS, name="missing", uid="x", node_name="node-1")
        assert errors.is_not_found(refused.value)
        # A nomination is written, then cleared (null), as upstream's status patch does.
        await effects.patch_pod_status(namespace=NS, name="reborn", nominated_node_name="n1")
        nominated = await client.resource(PODS).get("reborn", namespace=NS)
        assert nominated["status"]["nominatedNodeName"] == "n1"
        managers = {
            (f["manager"], f.get("subresource")) for f in nominated["metadata"]["managedFields"]
        }
        assert ("scheduler-tests", "status") in managers  # the user agent's first word
        await effects.patch_pod_status(namespace=NS, name="reborn", nominated_node_name="")
        cleared = await client.resource(PODS).get("reborn", namespace=NS)
        assert "nominatedNodeName" not in cleared["status"]
