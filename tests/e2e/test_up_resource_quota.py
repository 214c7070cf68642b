"""ResourceQuota end to end under ``kubeling up``: kubectl 1.32 and the ``kubernetes`` package
against the API server's admission plugin and the controller manager's quota controller.

What kubectl prints is Kubernetes' text (``plugin/pkg/admission/resourcequota``:
``exceeded quota: <name>, requested: ..., used: ..., limited: ...`` and
``failed quota: <name>: must specify <resource> for: <containers>``).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually

NODE = "e2e-quota"


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    extra = ["--node-name", NODE, "--dns-port", "0", "--disable-ingress"]
    with running_server(tmp_path_factory.mktemp("quota"), command="up", extra=extra) as running:
        yield running


@pytest.fixture(scope="module")
def core(up: RunningServer) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(up.kubeconfig)))


def _namespace_with_quota(up: RunningServer, namespace: str, hard: str) -> None:
    """A namespace with its default account and a quota ``q`` the controller has counted."""
    up.kubectl("create", "namespace", namespace)
    up.kubectl("create", "quota", "q", "-n", namespace, f"--hard={hard}")
    eventually(lambda: _used(up, namespace, "q"), what=f"quota {namespace}/q counted")
    eventually(
        lambda: up.kubectl("get", "sa", "default", "-n", namespace, check=False).returncode == 0,
        what="the default service account",
    )


def _used(up: RunningServer, namespace: str, quota: str) -> dict[str, str] | None:
    status: Any = up.kubectl_json("get", "quota", quota, "-n", namespace).get("status") or {}
    used: dict[str, str] | None = status.get("used")
    return used


def _run(up: RunningServer, namespace: str, name: str, *extra: str) -> Any:
    return up.kubectl(
        "run", name, "-n", namespace, "--image=busybox", "--restart=Never", *extra,
        "--command", "--", "sleep", "3600",
        check=False,
    )  # fmt: skip


def _pod(name: str, **container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {"name": name, "image": "busybox", "command": ["sleep", "3600"], **container}
            ],
        },
    }


def test_kubectl_run_over_the_quota_is_forbidden_until_a_pod_is_deleted(
    up: RunningServer,
) -> None:
    """The third pod under `pods: 2` gets Kubernetes' 403; once a pod is gone and the controller
    has recalculated, the same create succeeds."""
    _namespace_with_quota(up, "two", "pods=2")
    for name in ("a", "b"):
        assert _run(up, "two", name).stdout == f"pod/{name} created\n"
    refused = _run(up, "two", "c")
    assert refused.returncode == 1
    assert refused.stderr == (
        'Error from server (Forbidden): pods "c" is forbidden: exceeded quota: q, '
        "requested: pods=1, used: pods=2, limited: pods=2\n"
    )
    assert _used(up, "two", "q") == {"pods": "2"}
    up.kubectl("delete", "pod", "a", "-n", "two", "--grace-period=1", "--wait=true")
    eventually(lambda: _used(up, "two", "q") == {"pods": "1"}, what="the controller's recount")
    assert _run(up, "two", "c").stdout == "pod/c created\n"
    assert _used(up, "two", "q") == {"pods": "2"}


def test_a_server_dry_run_is_checked_but_not_charged(up: RunningServer) -> None:
    _namespace_with_quota(up, "dry", "pods=1")
    dry = _run(up, "dry", "x", "--dry-run=server")
    assert dry.stdout == "pod/x created (server dry run)\n"
    assert _used(up, "dry", "q") == {"pods": "0"}
    assert _run(up, "dry", "y").returncode == 0
    refused = _run(up, "dry", "z", "--dry-run=server")
    assert refused.stderr == (
        'Error from server (Forbidden): pods "z" is forbidden: exceeded quota: q, '
        "requested: pods=1, used: pods=1, limited: pods=1\n"
    )
    assert _used(up, "dry", "q") == {"pods": "1"}


def test_twenty_concurrent_creates_against_five_store_exactly_five(
    up: RunningServer, core: client.CoreV1Api
) -> None:
    """20 threads create a pod each at once: 5 are stored and charged, 15 get 403."""
    _namespace_with_quota(up, "race", "pods=5")
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def create(i: int) -> None:
        start.wait()
        try:
            core.create_namespaced_pod("race", _pod(f"p{i}"))
            outcome = (201, "")
        except ApiException as err:
            outcome = (err.status, json.loads(err.body)["message"])
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refusal = re.compile(
        r'pods "p\d+" is forbidden: exceeded quota: q, requested: pods=1, used: pods=5, '
        r"limited: pods=5"
    )
    assert sorted(code for code, _ in outcomes) == [201] * 5 + [403] * 15
    assert all(refusal.fullmatch(message) for code, message in outcomes if code == 403), outcomes
    assert len(core.list_namespaced_pod("race").items) == 5
    assert _used(up, "race", "q") == {"pods": "5"}


def test_a_quota_on_limits_cpu_needs_every_container_to_declare_it(up: RunningServer) -> None:
    _namespace_with_quota(up, "cpu", "limits.cpu=1")
    refused = up.kubectl(
        "create", "-n", "cpu", "-f", "-", input=json.dumps(_pod("nolimits")), check=False
    )
    assert refused.stderr == (
        'Error from server (Forbidden): error when creating "STDIN": pods "nolimits" is '
        "forbidden: failed quota: q: must specify limits.cpu for: nolimits\n"
    )
    limited = _pod("limited", resources={"limits": {"cpu": "300m"}})
    assert up.kubectl("create", "-n", "cpu", "-f", "-", input=json.dumps(limited)).returncode == 0
    assert _used(up, "cpu", "q") == {"limits.cpu": "300m"}
    over = _pod("over", resources={"limits": {"cpu": "800m"}})
    refused = up.kubectl("create", "-n", "cpu", "-f", "-", input=json.dumps(over), check=False)
    assert refused.stderr == (
        'Error from server (Forbidden): error when creating "STDIN": pods "over" is forbidden: '
        "exceeded quota: q, requested: limits.cpu=800m, used: limits.cpu=300m, "
        "limited: limits.cpu=1\n"
    )
