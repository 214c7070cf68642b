"""``kubectl rollout status|history|undo|restart|pause|resume``, ``scale`` and ``describe``
against the Deployment controller.

Real kubectl (1.32) runs in a thread while the controller manager (the
deployment and replicaset controllers) and the test's kubelet run on the
event loop; kubectl
does rollbacks on the client (it patches the Deployment with an old
ReplicaSet's template), so these tests check that the controller's
ReplicaSets, annotations and status are what kubectl reads.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from kubeling.client import ApiClient, load_client_config
from tests.support.cluster import RunningServer
from tests.support.deployments import (
    PacedKubelet,
    deployment_manifest,
    eventually,
    get_deployment,
    replica_sets_of,
    running_controllers,
)

NS = "default"
Obj = dict[str, Any]


@pytest.fixture
async def kubelet(
    kubeling_server: RunningServer, api_client: ApiClient
) -> AsyncIterator[PacedKubelet]:
    """Controllers running, and a kubelet that readies nothing until a test allows it."""
    config = load_client_config(kubeling_server.kubeconfig)
    kubelet = PacedKubelet(api_client, NS, allow=lambda pod: False)
    async with running_controllers(config), kubelet.running():
        yield kubelet


async def _kubectl(
    server: RunningServer, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run kubectl off the event loop, so the controllers keep running meanwhile."""
    return await asyncio.to_thread(server.kubectl, *args, input=stdin, check=False, timeout=90)


def _app(name: str) -> Any:
    return lambda pod: (pod["metadata"].get("labels") or {}).get("app") == name


def _image(rs_or_d: Mapping[str, Any]) -> str:
    return str(rs_or_d["spec"]["template"]["spec"]["containers"][0]["image"])


async def _apply(server: RunningServer, body: Obj) -> None:
    result = await _kubectl(server, "apply", "-f", "-", stdin=json.dumps(body))
    assert result.returncode == 0, result.stderr


async def _ok(server: RunningServer, *args: str) -> str:
    result = await _kubectl(server, *args)
    assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
    return result.stdout


async def test_rollout_status_waits_and_reports_success(
    kubeling_server: RunningServer, api_client: ApiClient, kubelet: PacedKubelet
) -> None:
    await _apply(kubeling_server, deployment_manifest("status", replicas=3))

    async def all_updated() -> bool:
        d = await get_deployment(api_client, NS, "status")
        return d.get("status", {}).get("updatedReplicas") == 3

    await eventually(all_updated, what="3 updated replicas")
    waiting = await _kubectl(
        kubeling_server, "rollout", "status", "deployment/status", "--timeout=2s"
    )
    assert waiting.returncode == 1
    assert (
        'Waiting for deployment "status" rollout to finish: 0 of 3 updated replicas are '
        "available..." in waiting.stdout
    )
    assert "error: timed out waiting for the condition" in waiting.stderr
    kubelet.allow = _app("status")
    done = await _kubectl(
        kubeling_server, "rollout", "status", "deployment/status", "--timeout=60s"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith('deployment "status" successfully rolled out')


async def test_rollout_status_fails_past_the_progress_deadline(
    kubeling_server: RunningServer, kubelet: PacedKubelet
) -> None:
    await _apply(
        kubeling_server, deployment_manifest("late", replicas=1, progressDeadlineSeconds=2)
    )
    result = await _kubectl(
        kubeling_server, "rollout", "status", "deployment/late", "--timeout=60s"
    )
    assert result.returncode == 1
    assert 'error: deployment "late" exceeded its progress deadline' in result.stderr


async def test_history_and_undo(
    kubeling_server: RunningServer, api_client: ApiClient, kubelet: PacedKubelet
) -> None:
    kubelet.allow = _app("hist")
    await _apply(kubeling_server, deployment_manifest("hist", replicas=2))
    await _ok(kubeling_server, "annotate", "deployment/hist", "kubernetes.io/change-cause=first")
    await _ok(kubeling_server, "rollout", "status", "deployment/hist", "--timeout=60s")
    await _ok(kubeling_server, "set", "image", "deployment/hist", "app=example.com/app:v2")
    await _ok(
        kubeling_server,
        "annotate",
        "--overwrite",
        "deployment/hist",
        "kubernetes.io/change-cause=second",
    )
    await _ok(kubeling_server, "rollout", "status", "deployment/hist", "--timeout=60s")

    async def history() -> list[list[str]]:
        out = await _ok(kubeling_server, "rollout", "history", "deployment/hist")
        return [line.split() for line in out.splitlines()[1:] if line.strip()]

    async def history_is(rows: list[list[str]]) -> bool:
        return await history() == rows

    # The change-cause reaches the new ReplicaSet when the controller next syncs.
    await eventually(
        lambda: history_is([["REVISION", "CHANGE-CAUSE"], ["1", "first"], ["2", "second"]]),
        what="history of two revisions",
    )
    first = await _ok(kubeling_server, "rollout", "history", "deployment/hist", "--revision=1")
    assert first.startswith("deployment.apps/hist with revision #1\nPod Template:\n")
    assert "pod-template-hash=" in first
    assert "example.com/app:v1" in first
    assert "example.com/app:v2" not in first

    undone = await _kubectl(kubeling_server, "rollout", "undo", "deployment/hist")
    assert (undone.returncode, undone.stdout) == (0, "deployment.apps/hist rolled back\n")
    await _ok(kubeling_server, "rollout", "status", "deployment/hist", "--timeout=60s")
    d = await get_deployment(api_client, NS, "hist")
    assert _image(d) == "example.com/app:v1"
    assert d["metadata"]["annotations"]["kubernetes.io/change-cause"] == "first"
    await eventually(
        lambda: history_is([["REVISION", "CHANGE-CAUSE"], ["2", "second"], ["3", "first"]]),
        what="revision 1 become revision 3",
    )
    v1 = next(
        rs for rs in await replica_sets_of(api_client, NS, "hist") if _image(rs).endswith(":v1")
    )
    assert v1["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert v1["spec"]["replicas"] == 2

    missing = await _kubectl(
        kubeling_server, "rollout", "undo", "deployment/hist", "--to-revision=9"
    )
    assert missing.returncode == 1
    assert "unable to find specified revision 9 in history" in missing.stderr
    same = await _kubectl(kubeling_server, "rollout", "undo", "deployment/hist", "--to-revision=3")
    assert (
        same.stdout
        == "deployment.apps/hist skipped rollback (current template already matches revision 3)\n"
    )


async def test_restart_pause_and_resume(
    kubeling_server: RunningServer, api_client: ApiClient, kubelet: PacedKubelet
) -> None:
    kubelet.allow = _app("restart")
    await _apply(kubeling_server, deployment_manifest("restart", replicas=2))
    await _ok(kubeling_server, "rollout", "status", "deployment/restart", "--timeout=60s")
    restarted = await _ok(kubeling_server, "rollout", "restart", "deployment/restart")
    assert restarted == "deployment.apps/restart restarted\n"
    await _ok(kubeling_server, "rollout", "status", "deployment/restart", "--timeout=60s")
    rss = await replica_sets_of(api_client, NS, "restart")
    assert sorted(rs["spec"]["replicas"] for rs in rss) == [0, 2]
    new = next(rs for rs in rss if rs["spec"]["replicas"] == 2)
    assert "kubectl.kubernetes.io/restartedAt" in new["spec"]["template"]["metadata"]["annotations"]

    paused = await _ok(kubeling_server, "rollout", "pause", "deployment/restart")
    assert paused == "deployment.apps/restart paused\n"

    async def condition_reason(*reasons: str) -> bool:
        d = await get_deployment(api_client, NS, "restart")
        found = {c["type"]: c["reason"] for c in d["status"].get("conditions", [])}
        return found.get("Progressing") in reasons

    await eventually(lambda: condition_reason("DeploymentPaused"), what="the paused condition")
    refused = await _kubectl(kubeling_server, "rollout", "undo", "deployment/restart")
    assert refused.returncode == 1
    assert (
        "you cannot rollback a paused deployment; resume it first with 'kubectl rollout "
        "resume' and try again" in refused.stderr
    )
    no_restart = await _kubectl(kubeling_server, "rollout", "restart", "deployment/restart")
    assert no_restart.returncode == 1
    assert "can't restart paused deployment (run rollout resume first)" in no_restart.stderr
    resumed = await _ok(kubeling_server, "rollout", "resume", "deployment/restart")
    assert resumed == "deployment.apps/restart resumed\n"
    # DeploymentResumed, replaced in the same sync by NewReplicaSetAvailable as the
    # rollout is complete (as in Kubernetes).
    await eventually(
        lambda: condition_reason("DeploymentResumed", "NewReplicaSetAvailable"),
        what="the resumed condition",
    )
    undone = await _ok(kubeling_server, "rollout", "undo", "deployment/restart")
    assert undone == "deployment.apps/restart rolled back\n"
    await _ok(kubeling_server, "rollout", "status", "deployment/restart", "--timeout=60s")


async def test_scale_and_describe_show_the_replica_sets_and_events(
    kubeling_server: RunningServer, api_client: ApiClient, kubelet: PacedKubelet
) -> None:
    kubelet.allow = _app("desc")
    await _apply(kubeling_server, deployment_manifest("desc", replicas=2))
    await _ok(kubeling_server, "rollout", "status", "deployment/desc", "--timeout=60s")
    scaled = await _ok(kubeling_server, "scale", "deployment/desc", "--replicas=4")
    assert scaled == "deployment.apps/desc scaled\n"
    await _ok(kubeling_server, "rollout", "status", "deployment/desc", "--timeout=60s")
    (rs,) = await replica_sets_of(api_client, NS, "desc")
    name = rs["metadata"]["name"]

    async def described() -> str:
        return await _ok(kubeling_server, "describe", "deployment", "desc")

    async def shows_both_events() -> bool:
        out = await described()
        return f"Scaled up replica set {name} from 0 to 2" in out and (
            f"Scaled up replica set {name} from 2 to 4" in out
        )

    await eventually(shows_both_events, what="ScalingReplicaSet events in describe")
    out = await described()
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "Replicas: 4 desired | 4 updated | 4 total | 4 available | 0 unavailable" in lines
    assert f"NewReplicaSet: {name} (4/4 replicas created)" in lines
    assert "Available True MinimumReplicasAvailable" in lines
    assert "Progressing True NewReplicaSetAvailable" in lines
    assert any(
        line.startswith("Normal ScalingReplicaSet") and "deployment-controller" in line
        for line in lines
    )
