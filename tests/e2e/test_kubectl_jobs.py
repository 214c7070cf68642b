"""kubectl 1.32 with Jobs and CronJobs: a ``kubeling server`` and a ``kubeling
controller-manager`` process; kubectl plays the kubelet through ``--subresource=status``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The API server and, beside it, the job and cronjob controllers (stopped by PID)."""
    root = tmp_path_factory.mktemp("jobs")
    with running_server(root) as running:
        log = (root / "controller-manager.log").open("w")
        manager = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubeling",
                "controller-manager",
                "--kubeconfig",
                str(running.kubeconfig),
                "--controllers",
                "job,cronjob",
                "--leader-elect",
                "false",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            yield running
        finally:
            manager.send_signal(signal.SIGTERM)
            try:
                manager.wait(timeout=10)
            except subprocess.TimeoutExpired:
                manager.kill()
                manager.wait()
            log.close()


def _json(server: RunningServer, *args: str) -> Any:
    return json.loads(server.kubectl(*args, "-o", "json").stdout)


def test_kubectl_create_job_runs_to_completion(server: RunningServer) -> None:
    """``kubectl create job`` (a protobuf body) makes a pod; once the pod succeeds,
    ``kubectl get jobs`` shows Complete 1/1 with a DURATION and describe shows the events."""
    out = server.kubectl("create", "job", "hello", "--image=busybox").stdout
    assert out.strip() == "job.batch/hello created"

    def pod_name() -> str | None:
        pods = _json(server, "get", "pods", "-l", "batch.kubernetes.io/job-name=hello")["items"]
        return pods[0]["metadata"]["name"] if pods else None

    pod = eventually(pod_name, within=30, what="the job's pod")
    running = server.kubectl("get", "jobs").stdout.splitlines()
    assert running[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert running[1].split()[:3] == ["hello", "Running", "0/1"]

    finished = {"state": {"terminated": {"exitCode": 0, "finishedAt": "2024-01-01T00:00:00Z"}}}
    status = {
        "phase": "Succeeded",
        "containerStatuses": [
            {
                "name": "hello",
                "image": "busybox",
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                **finished,
            }
        ],
    }
    server.kubectl(
        "patch",
        "pod",
        pod,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": status}),
    )

    def complete() -> list[str] | None:
        row = server.kubectl("get", "job", "hello", "--no-headers").stdout.split()
        return row if row[1] == "Complete" else None

    row = eventually(complete, within=30, what="the job to complete")
    assert row[2] == "1/1"
    assert row[3].endswith("s")  # the DURATION, e.g. 3s
    described = server.kubectl("describe", "job", "hello").stdout
    assert "Created pod: " + pod in described
    assert "Job completed" in described
    job = _json(server, "get", "job", "hello")
    assert job["status"]["succeeded"] == 1
    assert job["status"]["uncountedTerminatedPods"] == {}


def test_kubectl_create_cronjob(server: RunningServer) -> None:
    """``kubectl create cronjob`` is accepted and listed; a Job made from it runs."""
    out = server.kubectl(
        "create", "cronjob", "tick", "--image=busybox", "--schedule=*/1 * * * *"
    ).stdout
    assert out.strip() == "cronjob.batch/tick created"
    table = server.kubectl("get", "cronjobs").stdout.splitlines()
    assert table[0].split() == [
        "NAME",
        "SCHEDULE",
        "TIMEZONE",
        "SUSPEND",
        "ACTIVE",
        "LAST",
        "SCHEDULE",
        "AGE",
    ]
    assert table[1].split()[:5] == ["tick", "*/1", "*", "*", "*"]
    server.kubectl("create", "job", "manual", "--from=cronjob/tick")

    def pod_of_manual() -> str | None:
        pods = _json(server, "get", "pods", "-l", "batch.kubernetes.io/job-name=manual")["items"]
        return pods[0]["metadata"]["name"] if pods else None

    eventually(pod_of_manual, within=30, what="a pod of the job made from the cronjob")
    job = _json(server, "get", "job", "manual")
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
