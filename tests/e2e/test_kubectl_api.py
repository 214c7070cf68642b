"""kubectl 1.32 against a real ``kubeling server``: the API as kubectl sees it."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cluster import RunningServer, running_server

POD = textwrap.dedent(
    """
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: python:3
        command: ["python3", "-m", "http.server"]
        ports: [{containerPort: 8000}]
    """
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("kubectl")) as running:
        yield running


def test_version_reports_1_32(server: RunningServer) -> None:
    """kubectl version shows the server's v1.32 gitVersion (the dispatcher picks 1.32)."""
    out = server.kubectl("version", "-o", "json").stdout
    version = json.loads(out)["serverVersion"]
    assert (version["major"], version["minor"]) == ("1", "32")
    assert version["gitVersion"].startswith("v1.32.")


def test_api_resources_lists_core_and_apps(server: RunningServer) -> None:
    """api-resources shows names, short names, groups and kinds from discovery."""
    out = server.kubectl("api-resources").stdout
    # keyed by name and API version: pods are both core/v1 Pods and metrics.k8s.io PodMetrics
    lines = {
        (fields[0], fields[-3]): fields  # NAME [SHORTNAMES] APIVERSION NAMESPACED KIND
        for fields in (line.split() for line in out.splitlines()[1:])
    }
    assert lines["pods", "v1"][1:] == ["po", "v1", "true", "Pod"]
    assert lines["pods", "metrics.k8s.io/v1beta1"][1:] == [
        "metrics.k8s.io/v1beta1",
        "true",
        "PodMetrics",
    ]
    assert lines["nodes", "metrics.k8s.io/v1beta1"][-1] == "NodeMetrics"
    assert lines["deployments", "apps/v1"][1:] == ["deploy", "apps/v1", "true", "Deployment"]
    assert ("customresourcedefinitions", "apiextensions.k8s.io/v1") in lines


def test_system_namespaces_exist(server: RunningServer) -> None:
    """The four namespaces Kubernetes bootstraps are there, Active."""
    out = server.kubectl("get", "namespaces", "-o", "name").stdout.split()
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert f"namespace/{name}" in out
    table = server.kubectl("get", "ns", "default").stdout.splitlines()
    assert table[0].split() == ["NAME", "STATUS", "AGE"]
    assert table[1].split()[:2] == ["default", "Active"]


def test_create_namespace_and_configmap_send_protobuf(server: RunningServer) -> None:
    """kubectl create namespace/configmap/secret send protobuf bodies; they work."""
    assert server.kubectl("create", "namespace", "team-a").stdout.strip() == (
        "namespace/team-a created"
    )
    server.kubectl("create", "configmap", "settings", "-n", "team-a", "--from-literal=a=1")
    cm = server.kubectl_json("get", "configmap", "settings", "-n", "team-a")
    assert cm["data"] == {"a": "1"}
    server.kubectl("create", "secret", "generic", "s", "-n", "team-a", "--from-literal=k=v")
    secret = server.kubectl_json("get", "secret", "s", "-n", "team-a")
    assert secret["type"] == "Opaque"
    assert secret["data"] == {"k": "dg=="}


def test_apply_get_label_delete_a_pod(server: RunningServer, tmp_path: Path) -> None:
    """apply creates, get shows the Table, label patches, delete removes."""
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD)
    assert server.kubectl("apply", "-f", str(manifest)).stdout.strip() == "pod/web created"
    assert server.kubectl("apply", "-f", str(manifest)).stdout.strip() == "pod/web unchanged"
    header = server.kubectl("get", "pods").stdout.splitlines()[0].split()
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    pod = server.kubectl_json("get", "pod", "web")
    assert pod["spec"]["restartPolicy"] == "Always"  # type: ignore[index]
    assert pod["status"]["phase"] == "Pending"  # type: ignore[index]
    server.kubectl("label", "pod", "web", "tier=front")
    labels = server.kubectl("get", "pod", "web", "-o", "jsonpath={.metadata.labels}").stdout
    assert json.loads(labels) == {"app": "web", "tier": "front"}
    server.kubectl("delete", "pod", "web", "--wait=true")
    missing = server.kubectl("get", "pod", "web", check=False)
    assert missing.returncode == 1
    assert 'pods "web" not found' in missing.stderr


def test_errors_are_kubernetes_statuses(server: RunningServer) -> None:
    """Missing objects and duplicates give kubectl's usual NotFound/AlreadyExists lines."""
    missing = server.kubectl("get", "configmap", "nope", check=False)
    assert missing.stderr.strip() == ('Error from server (NotFound): configmaps "nope" not found')
    server.kubectl("create", "configmap", "twice")
    again = server.kubectl("create", "configmap", "twice", check=False)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        'error: failed to create configmap: configmaps "twice" already exists'
    )


def test_metrics_in_prometheus_format(server: RunningServer) -> None:
    """/metrics counts requests by verb, resource and code, and objects by resource."""
    server.kubectl("get", "namespaces")
    metrics = server.kubectl("get", "--raw", "/metrics").stdout
    assert "# TYPE apiserver_request_total counter" in metrics
    assert any(
        line.startswith("apiserver_request_total{")
        and 'verb="LIST"' in line
        and 'resource="namespaces"' in line
        and 'code="200"' in line
        for line in metrics.splitlines()
    )
    objects = [
        line
        for line in metrics.splitlines()
        if line.startswith('apiserver_storage_objects{resource="namespaces"}')
    ]
    assert len(objects) == 1
    assert int(objects[0].split()[-1]) >= 4


DEPLOYMENT = textwrap.dedent(
    """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      labels: {app: web}
    spec:
      replicas: 2
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
          - name: web
            image: python:3.12
            command: ["python3", "-m", "http.server"]
    """
)


def test_deployment_verbs(server: RunningServer, tmp_path: Path) -> None:
    """describe, annotate, three patch types, scale, replace, diff and custom columns."""
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text(DEPLOYMENT)
    server.kubectl("apply", "-f", str(manifest))
    described = server.kubectl("describe", "deployment", "web").stdout
    assert "Replicas:" in described
    assert "RollingUpdate" in described
    server.kubectl("annotate", "deployment", "web", "team=blue")
    server.kubectl("patch", "deployment", "web", "-p", '{"spec":{"minReadySeconds":5}}')
    server.kubectl(
        "patch",
        "deployment",
        "web",
        "--type=merge",
        "-p",
        '{"metadata":{"labels":{"tier":"front"}}}',
    )
    server.kubectl(
        "patch",
        "deployment",
        "web",
        "--type=json",
        "-p",
        '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":3}]',
    )
    server.kubectl("scale", "deployment", "web", "--replicas=4")
    columns = server.kubectl(
        "get",
        "deployment",
        "web",
        "-o",
        "custom-columns=REPLICAS:.spec.replicas,MIN:.spec.minReadySeconds,"
        "HISTORY:.spec.revisionHistoryLimit,TEAM:.metadata.annotations.team,"
        "TIER:.metadata.labels.tier,GEN:.metadata.generation",
    ).stdout.splitlines()
    # generation: create 1, annotation 2 (Deployments count annotations), minReadySeconds 3,
    # labels no change, revisionHistoryLimit 4, scale 5
    assert columns[1].split() == ["4", "5", "3", "blue", "front", "5"]
    live = server.kubectl("get", "deployment", "web", "-o", "yaml").stdout
    (tmp_path / "live.yaml").write_text(live.replace("minReadySeconds: 5", "minReadySeconds: 7"))
    server.kubectl("replace", "-f", str(tmp_path / "live.yaml"))
    assert (
        server.kubectl("get", "deployment", "web", "-o", "jsonpath={.spec.minReadySeconds}").stdout
        == "7"
    )
    diff = server.kubectl("diff", "-f", str(manifest), check=False)
    assert diff.returncode == 1  # replicas and minReadySeconds differ from the manifest
    assert "-  replicas: 4" in diff.stdout
    assert "+  replicas: 2" in diff.stdout


def test_delete_cascade_policies(server: RunningServer) -> None:
    """--cascade=orphan and =foreground are recorded as the Kubernetes finalizers."""
    server.kubectl("create", "configmap", "orphaned")
    server.kubectl("delete", "configmap", "orphaned", "--cascade=orphan", "--wait=false")
    finalizers = server.kubectl(
        "get", "configmap", "orphaned", "-o", "jsonpath={.metadata.finalizers}"
    ).stdout
    assert json.loads(finalizers) == ["orphan"]
    server.kubectl("create", "configmap", "fg")
    server.kubectl("delete", "configmap", "fg", "--cascade=foreground", "--wait=false")
    meta = server.kubectl_json("get", "configmap", "fg")["metadata"]
    assert meta["finalizers"] == ["foregroundDeletion"]  # type: ignore[index]
    assert meta["deletionTimestamp"]  # type: ignore[index]


def test_get_watch_prints_changes(server: RunningServer) -> None:
    """kubectl get -w prints the current row, then a row per change, until timeout."""
    import subprocess
    import threading
    import time as clock

    server.kubectl("create", "configmap", "watched")
    env = {
        **__import__("os").environ,
        "HOME": str(server.home),
        "KUBECONFIG": str(server.kubeconfig),
    }
    process = subprocess.Popen(
        ["kubectl", "get", "configmap", "watched", "-w", "--request-timeout=5s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    threading.Timer(1.5, lambda: server.kubectl("label", "configmap", "watched", "x=y")).start()
    deadline = clock.monotonic() + 4
    lines: list[str] = []
    assert process.stdout is not None
    while clock.monotonic() < deadline and len(lines) < 3:
        line = process.stdout.readline()
        if line:
            lines.append(line)
    process.kill()
    process.wait()
    process.stdout.close()
    assert process.stderr is not None
    process.stderr.close()
    assert lines[0].split() == ["NAME", "DATA", "AGE"]
    assert [line.split()[0] for line in lines[1:3]] == ["watched", "watched"]


def test_auth_whoami_and_can_i(server: RunningServer) -> None:
    """whoami names the client certificate's user and groups; can-i answers (AlwaysAllow)."""
    whoami = server.kubectl("auth", "whoami").stdout.splitlines()
    assert whoami[1].split() == ["Username", "kubernetes-admin"]
    assert whoami[2].split() == ["Groups", "[system:masters", "system:authenticated]"]
    assert server.kubectl("auth", "can-i", "create", "pods").stdout.strip() == "yes"


def test_server_side_apply_conflict_and_force(server: RunningServer, tmp_path: Path) -> None:
    """apply --server-side: another manager's field is a conflict; --force-conflicts takes it."""
    manifest = tmp_path / "ssa.yaml"
    manifest.write_text(DEPLOYMENT.replace("name: web", "name: ssa", 1))
    assert (
        "serverside-applied" in server.kubectl("apply", "--server-side", "-f", str(manifest)).stdout
    )
    server.kubectl(
        "patch",
        "deployment",
        "ssa",
        "--type=merge",
        "--field-manager=ops",
        "-p",
        '{"spec":{"replicas":5}}',
    )
    manifest.write_text(manifest.read_text().replace("replicas: 2", "replicas: 3"))
    conflict = server.kubectl("apply", "--server-side", "-f", str(manifest), check=False)
    assert conflict.returncode == 1
    assert (
        'Apply failed with 1 conflict: conflict with "ops" using apps/v1: .spec.replicas'
        in conflict.stderr
    )
    server.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(manifest))
    deployment = server.kubectl_json("get", "deployment", "ssa", "--show-managed-fields")
    assert deployment["spec"]["replicas"] == 3  # type: ignore[index]
    managers = {
        e["manager"]: e["operation"]  # type: ignore[index]
        for e in deployment["metadata"]["managedFields"]
    }  # type: ignore[index]
    assert managers["kubectl"] == "Apply"


def test_server_side_apply_names_ports_by_their_default_protocol(
    server: RunningServer, tmp_path: Path
) -> None:
    """A port applied without ``protocol`` is the live port with protocol TCP: applying
    the same manifest again changes nothing (it used to append the port again)."""
    manifest = tmp_path / "ports.yaml"
    manifest.write_text(
        """apiVersion: v1
kind: Service
metadata:
  name: ports
spec:
  selector: {app: ports}
  ports:
  - port: 80
"""
    )
    for _ in range(3):
        server.kubectl("apply", "--server-side", "-f", str(manifest))
    service = server.kubectl_json("get", "service", "ports", "--show-managed-fields")
    ports = service["spec"]["ports"]  # type: ignore[index]
    assert [(p["port"], p["protocol"]) for p in ports] == [(80, "TCP")]  # type: ignore[index]
    [entry] = [
        e
        for e in service["metadata"]["managedFields"]  # type: ignore[index]
        if e["manager"] == "kubectl"
    ]
    port_fields = entry["fieldsV1"]["f:spec"]["f:ports"]
    assert list(port_fields) == ['k:{"port":80,"protocol":"TCP"}']
    assert port_fields['k:{"port":80,"protocol":"TCP"}'] == {".": {}, "f:port": {}}


ATOMIC = textwrap.dedent(
    """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: atomic
    spec:
      selector: {matchLabels: {app: atomic}}
      template:
        metadata: {labels: {app: atomic}}
        spec:
          containers:
          - name: web
            image: python:3.12
            env:
            - name: TOKEN
              valueFrom: {secretKeyRef: {name: token, key: value}}
    """
)

SECRET_KEY_REF = (
    '.spec.template.spec.containers[name="web"].env[name="TOKEN"].valueFrom.secretKeyRef'
)


def test_server_side_apply_owns_atomic_structs_whole(server: RunningServer, tmp_path: Path) -> None:
    """+structType=atomic: kubectl owns ``f:selector`` whole; another manager adding
    ``optional`` to a secretKeyRef it owns conflicts on the whole secretKeyRef."""
    manifest = tmp_path / "atomic.yaml"
    manifest.write_text(ATOMIC)
    server.kubectl("apply", "--server-side", "-f", str(manifest))
    deployment = server.kubectl_json("get", "deploy", "atomic", "--show-managed-fields")
    [mine] = [
        e
        for e in deployment["metadata"]["managedFields"]  # type: ignore[index]
        if e["manager"] == "kubectl"
    ]
    assert mine["fieldsV1"]["f:spec"]["f:selector"] == {}
    env = mine["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']
    assert env["f:env"]['k:{"name":"TOKEN"}']["f:valueFrom"] == {"f:secretKeyRef": {}}

    other = tmp_path / "other.yaml"
    other.write_text(
        textwrap.dedent(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: atomic
            spec:
              template:
                spec:
                  containers:
                  - name: web
                    env:
                    - name: TOKEN
                      valueFrom: {secretKeyRef: {name: token, key: value, optional: true}}
            """
        )
    )
    apply_other = ("apply", "--server-side", "--field-manager=ops", "-f", str(other))
    conflict = server.kubectl(*apply_other, check=False)
    assert conflict.returncode == 1
    assert (
        f'Apply failed with 1 conflict: conflict with "kubectl": {SECRET_KEY_REF}'
        in conflict.stderr
    )
    server.kubectl(*apply_other, "--force-conflicts")
    deployment = server.kubectl_json("get", "deploy", "atomic", "--show-managed-fields")
    container = deployment["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["env"][0]["valueFrom"]["secretKeyRef"] == {
        "name": "token",
        "key": "value",
        "optional": True,
    }
    owners = {
        e["manager"]: e["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"][
            'k:{"name":"web"}'
        ]["f:env"]['k:{"name":"TOKEN"}']
        for e in deployment["metadata"]["managedFields"]  # type: ignore[index]
        if e["manager"] in ("kubectl", "ops")
    }
    assert owners["ops"]["f:valueFrom"] == {"f:secretKeyRef": {}}
    assert "f:valueFrom" not in owners["kubectl"]
