"""``kubeling up``: a pod created without a word about service accounts runs with its API
access token, CA and namespace mounted by the ServiceAccount admission plugin's volume."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually

NODE = "e2e-sa-node"
MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def _logs_when_done(up: RunningServer, name: str, *, seconds: float = 90) -> str:
    """Pod ``name``'s logs once it has finished; the cluster's events if it never does."""
    try:
        eventually(
            lambda: up.kubectl("get", "pod", name, "-o", "jsonpath={.status.phase}").stdout,
            accept=lambda phase: phase in ("Succeeded", "Failed"),
            within=seconds,
            what=f"pod {name} to finish",
            every=0.5,
        )
    except AssertionError as unfinished:
        events = up.kubectl("get", "events", "-o", "wide", check=False).stdout
        raise AssertionError(f"{unfinished}\n{events}") from None
    return up.kubectl("logs", name).stdout


def test_a_pod_reads_its_mounted_token_ca_and_namespace(tmp_path: Path) -> None:
    script = (
        f'd="$KUBELING_ROOT{MOUNT}"; cat "$d/namespace"; echo; '
        'test -s "$d/token" && echo token-present; '
        'grep -q "BEGIN CERTIFICATE" "$d/ca.crt" && echo ca-present'
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "reader", "namespace": "default"},
        "spec": {
            "nodeName": NODE,
            "restartPolicy": "Never",
            "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", script]}],
        },
    }
    with running_server(
        tmp_path, command="up", extra=["--node-name", NODE, "--dns-port", "0"]
    ) as up:
        up.kubectl("create", "-f", "-", input=json.dumps(pod))
        created = up.kubectl_json("get", "pod", "reader")
        assert created["spec"]["serviceAccountName"] == "default"  # type: ignore[index]
        logs = _logs_when_done(up, "reader")
    assert logs.split() == ["default", "token-present", "ca-present"], logs
