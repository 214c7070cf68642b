"""Resources served in two group/versions from one stored object, against a real server.

core/v1 and events.k8s.io/v1 Events, autoscaling/v2 and autoscaling/v1
HorizontalPodAutoscalers: written through one version, read, listed, selected
and watched through the other, with kubectl 1.32 and the ``kubernetes``
Python package.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.support.cluster import RunningServer, kubectl_binary, running_server
from tests.support.polling import eventually

NEW_EVENT = textwrap.dedent(
    """
    apiVersion: events.k8s.io/v1
    kind: Event
    metadata: {name: web.pulled, namespace: %(ns)s}
    eventTime: "2024-06-01T12:00:00.000000Z"
    reportingController: kubernetes.io/kubelet
    reportingInstance: node-1
    action: Pulling
    reason: Pulled
    type: Normal
    note: Successfully pulled image "nginx"
    regarding: {kind: Pod, name: web, namespace: %(ns)s}
    """
)

CORE_EVENT = textwrap.dedent(
    """
    apiVersion: v1
    kind: Event
    metadata: {name: web.killing, namespace: %(ns)s}
    involvedObject: {kind: Pod, name: db, namespace: %(ns)s}
    reason: Killing
    message: Stopping container db
    source: {component: kubelet, host: node-1}
    type: Warning
    count: 3
    """
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("multiversion")) as running:
        yield running


@pytest.fixture
def api(server: RunningServer) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    try:
        yield api_client
    finally:
        api_client.close()


def _namespace(server: RunningServer, name: str) -> str:
    server.kubectl("create", "namespace", name)
    return name


def _watch_lines(
    server: RunningServer, args: list[str], *, then: Callable[[], object], count: int
) -> list[str]:
    """Run ``kubectl <args>`` (a watch), wait for its first line, run ``then``,
    and return its first ``count`` lines; the kubectl started here is stopped by PID."""
    env = {**os.environ, "HOME": str(server.home), "KUBECONFIG": str(server.kubeconfig)}
    process = subprocess.Popen(
        [kubectl_binary(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while len(lines) < count and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 1)
            if not ready:
                continue
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if len(lines) == 1:
                then()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()
    return lines


# -- Events with kubectl --------------------------------------------------------------


def test_kubectl_sees_an_events_k8s_io_event_as_a_core_event(server: RunningServer) -> None:
    """kubectl create (events.k8s.io), then get events, events, get -o json (core/v1)."""
    ns = _namespace(server, "ev-kubectl")
    created = server.kubectl("create", "-f", "-", input=NEW_EVENT % {"ns": ns})
    assert created.stdout.strip() == "event.events.k8s.io/web.pulled created"
    header, row = server.kubectl("get", "events", "-n", ns).stdout.strip().splitlines()
    assert header.split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert row.split(None, 4)[1:] == [
        "Normal",
        "Pulled",
        "pod/web",
        'Successfully pulled image "nginx"',
    ]
    events = server.kubectl("events", "-n", ns).stdout
    assert 'Successfully pulled image "nginx"' in events
    core = server.kubectl_json("get", "event", "web.pulled", "-n", ns)
    assert core["apiVersion"] == "v1"
    assert core["message"] == 'Successfully pulled image "nginx"'
    assert core["involvedObject"] == {"kind": "Pod", "name": "web", "namespace": ns}
    assert core["reportingComponent"] == "kubernetes.io/kubelet"
    assert core["source"] == {}


def test_kubectl_sees_a_core_event_through_events_k8s_io(server: RunningServer) -> None:
    """A core/v1 Event reads back as events.k8s.io/v1 with the deprecated fields."""
    ns = _namespace(server, "ev-core")
    server.kubectl("create", "-f", "-", input=CORE_EVENT % {"ns": ns})
    new = server.kubectl_json("get", "events.v1.events.k8s.io", "web.killing", "-n", ns)
    assert new["apiVersion"] == "events.k8s.io/v1"
    assert new["note"] == "Stopping container db"
    assert new["regarding"]["name"] == "db"
    assert new["deprecatedSource"] == {"component": "kubelet", "host": "node-1"}
    assert new["deprecatedCount"] == 3
    assert new["eventTime"] is None
    row = server.kubectl("get", "events.events.k8s.io", "-n", ns).stdout.splitlines()[1]
    assert row.split()[1:4] == ["Warning", "Killing", "pod/db"]


def test_kubectl_field_selectors_per_version(server: RunningServer) -> None:
    """involvedObject.* on core/v1, regarding.* on events.k8s.io/v1; the other is a 400."""
    ns = _namespace(server, "ev-select")
    server.kubectl("create", "-f", "-", input=NEW_EVENT % {"ns": ns})
    server.kubectl("create", "-f", "-", input=CORE_EVENT % {"ns": ns})
    core = server.kubectl(
        "get", "events", "-n", ns, "--field-selector", "involvedObject.name=web", "-o", "name"
    )
    assert core.stdout.split() == ["event/web.pulled"]
    new = server.kubectl(
        "get",
        "events.events.k8s.io",
        "-n",
        ns,
        "--field-selector",
        "regarding.name=db",
        "-o",
        "name",
    )
    assert new.stdout.split() == ["event.events.k8s.io/web.killing"]
    wrong = server.kubectl(
        "get",
        "events.events.k8s.io",
        "-n",
        ns,
        "--field-selector",
        "involvedObject.name=db",
        check=False,
    )
    assert wrong.returncode == 1
    assert "field label not supported: involvedObject.name" in wrong.stderr


def test_kubectl_watch_on_one_version_sees_writes_through_the_other(
    server: RunningServer,
) -> None:
    """kubectl get events.events.k8s.io -w prints the core Event created meanwhile,
    and a raw watch from a resourceVersion gets it as an events.k8s.io object."""
    ns = _namespace(server, "ev-watch")
    server.kubectl("create", "-f", "-", input=NEW_EVENT % {"ns": ns})
    listed = json.loads(server.kubectl("get", "--raw", f"/api/v1/namespaces/{ns}/events").stdout)
    rv = listed["metadata"]["resourceVersion"]
    lines = _watch_lines(
        server,
        ["get", "events.events.k8s.io", "-n", ns, "-w", "-o", "name"],
        then=lambda: server.kubectl("create", "-f", "-", input=CORE_EVENT % {"ns": ns}),
        count=2,
    )
    assert lines == ["event.events.k8s.io/web.pulled", "event.events.k8s.io/web.killing"]
    raw = server.kubectl(
        "get",
        "--raw",
        f"/apis/events.k8s.io/v1/namespaces/{ns}/events?watch=true&resourceVersion={rv}"
        "&timeoutSeconds=1",
    ).stdout
    events = [json.loads(line) for line in raw.splitlines() if line.strip()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "web.killing")
    ]
    assert events[0]["object"]["apiVersion"] == "events.k8s.io/v1"
    assert events[0]["object"]["note"] == "Stopping container db"


def test_kubectl_events_k8s_io_validation_is_upstreams(server: RunningServer) -> None:
    """A new-style Event through events.k8s.io without eventTime and with core fields is 422."""
    ns = _namespace(server, "ev-bad")
    bad = textwrap.dedent(
        f"""
        apiVersion: events.k8s.io/v1
        kind: Event
        metadata: {{name: bad, namespace: {ns}}}
        reason: Nothing
        type: Info
        deprecatedCount: 2
        regarding: {{kind: Pod, name: web, namespace: {ns}}}
        """
    )
    result = server.kubectl("create", "-f", "-", input=bad, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        'The Event "bad" is invalid: ',
        "* eventTime: Required value",
        '* type: Invalid value: "": has invalid value: Info',
        '* count: Invalid value: "": needs to be unset',
    ]
    # the same object as an old-style core/v1 Event is fine
    server.kubectl(
        "create",
        "-f",
        "-",
        input=f"apiVersion: v1\nkind: Event\nmetadata: {{name: ok, namespace: {ns}}}\n"
        f"involvedObject: {{kind: Pod, name: web, namespace: {ns}}}\nreason: Nothing\n"
        "type: Info\ncount: 2\n",
    )


def test_discovery_shows_the_shared_storage_version_hash(server: RunningServer) -> None:
    """Both Event APIs, and both HPA versions, show one storageVersionHash each."""

    def hashes(path: str) -> dict[str, str]:
        doc = json.loads(server.kubectl("get", "--raw", path).stdout)
        return {r["name"]: r.get("storageVersionHash", "") for r in doc["resources"]}

    assert hashes("/api/v1")["events"] == hashes("/apis/events.k8s.io/v1")["events"]
    hpa = "horizontalpodautoscalers"
    assert hashes("/apis/autoscaling/v1")[hpa] == hashes("/apis/autoscaling/v2")[hpa] != ""
    versions = server.kubectl("api-versions").stdout.split()
    assert {"autoscaling/v1", "autoscaling/v2", "events.k8s.io/v1"} <= set(versions)


# -- HorizontalPodAutoscalers with kubectl ------------------------------------------------


def test_kubectl_autoscale_round_trips_between_v1_and_v2(server: RunningServer) -> None:
    """kubectl autoscale writes autoscaling/v1; get hpa (v2) and v1 read the same object."""
    ns = _namespace(server, "hpa-kubectl")
    server.kubectl("create", "deployment", "web", "--image=nginx", "-n", ns)
    out = server.kubectl(
        "autoscale", "deployment", "web", "--cpu-percent=50", "--min=1", "--max=3", "-n", ns
    )
    assert out.stdout.strip() == "horizontalpodautoscaler.autoscaling/web autoscaled"
    rows = [line.split() for line in server.kubectl("get", "hpa", "-n", ns).stdout.splitlines()]
    assert rows[0] == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert rows[1][:7] == ["web", "Deployment/web", "cpu:", "<unknown>/50%", "1", "3", "0"]
    v2 = server.kubectl_json("get", "hpa", "web", "-n", ns, "--show-managed-fields")
    assert v2["apiVersion"] == "autoscaling/v2"
    assert v2["spec"]["metrics"] == [  # type: ignore[index]
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 50},
            },
        }
    ]
    managers = {e["manager"]: e["apiVersion"] for e in v2["metadata"]["managedFields"]}  # type: ignore[index]
    assert managers == {"kubectl-autoscale": "autoscaling/v1"}  # kubectl 1.32 writes v1
    v1 = server.kubectl_json("get", "horizontalpodautoscalers.v1.autoscaling", "web", "-n", ns)
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"] == {  # type: ignore[comparison-overlap]
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1,
        "maxReplicas": 3,
        "targetCPUUtilizationPercentage": 50,
    }
    assert v1["status"] == {"currentReplicas": 0, "desiredReplicas": 0}  # type: ignore[comparison-overlap]
    rows_v1 = server.kubectl("get", "horizontalpodautoscalers.v1.autoscaling", "-n", ns).stdout
    assert rows_v1.splitlines()[1].split()[:4] == ["web", "Deployment/web", "cpu:", "<unknown>/50%"]


def test_kubectl_apply_of_a_v2_hpa_reads_back_through_v1(server: RunningServer) -> None:
    """What autoscaling/v1 cannot say is in its round-trip annotations, yaml included."""
    ns = _namespace(server, "hpa-apply")
    manifest = textwrap.dedent(
        f"""
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {{name: api, namespace: {ns}}}
        spec:
          scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: api}}
          maxReplicas: 5
          metrics:
          - type: Resource
            resource: {{name: memory, target: {{type: AverageValue, averageValue: 1Gi}}}}
          behavior:
            scaleDown: {{stabilizationWindowSeconds: 60}}
        """
    )
    server.kubectl("apply", "-f", "-", input=manifest)
    v1 = server.kubectl_json("get", "horizontalpodautoscalers.v1.autoscaling", "api", "-n", ns)
    annotations = v1["metadata"]["annotations"]  # type: ignore[index]
    assert json.loads(annotations["autoscaling.alpha.kubernetes.io/metrics"]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "1Gi"}}
    ]
    behavior = json.loads(annotations["autoscaling.alpha.kubernetes.io/behavior"])
    assert behavior["ScaleDown"]["StabilizationWindowSeconds"] == 60
    assert behavior["ScaleUp"]["SelectPolicy"] == "Max"  # v2's defaults, as stored
    assert "targetCPUUtilizationPercentage" not in v1["spec"]  # type: ignore[operator]


# -- the kubernetes Python package --------------------------------------------------------


def _v1_event(name: str, ns: str) -> client.CoreV1Event:
    return client.CoreV1Event(
        metadata=client.V1ObjectMeta(name=name),
        involved_object=client.V1ObjectReference(kind="Pod", name="web", namespace=ns),
        reason="Started",
        message="Started container web",
        type="Normal",
        event_time="2024-06-01T12:00:00.000000Z",
        action="Starting",
        reporting_component="kubernetes.io/kubelet",
        reporting_instance="node-1",
    )


def _events_v1_event(name: str, ns: str, **extra: Any) -> client.EventsV1Event:
    return client.EventsV1Event(
        metadata=client.V1ObjectMeta(name=name),
        event_time="2024-06-01T12:00:00.000000Z",
        reporting_controller="kubernetes.io/kubelet",
        reporting_instance="node-1",
        action="Pulling",
        reason="Pulled",
        type="Normal",
        note="Pulled image",
        regarding=client.V1ObjectReference(kind="Pod", name="web", namespace=ns),
        **extra,
    )


def test_core_and_events_v1_apis_read_each_others_events(
    server: RunningServer, api: client.ApiClient
) -> None:
    """CoreV1Api and EventsV1Api create, read and list each other's Events."""
    ns = _namespace(server, "py-events")
    core, events = client.CoreV1Api(api), client.EventsV1Api(api)
    core.create_namespaced_event(ns, _v1_event("from-core", ns))
    events.create_namespaced_event(ns, _events_v1_event("from-events", ns))
    read = events.read_namespaced_event("from-core", ns)
    assert (read.note, read.regarding.name, read.reporting_controller) == (
        "Started container web",
        "web",
        "kubernetes.io/kubelet",
    )
    back = core.read_namespaced_event("from-events", ns)
    assert (back.message, back.involved_object.name, back.reporting_component) == (
        "Pulled image",
        "web",
        "kubernetes.io/kubelet",
    )
    assert sorted(e.metadata.name for e in events.list_namespaced_event(ns).items) == [
        "from-core",
        "from-events",
    ]
    selected = events.list_namespaced_event(
        ns, field_selector="reportingController=kubernetes.io/kubelet,reason=Pulled"
    )
    assert [e.metadata.name for e in selected.items] == ["from-events"]
    by_object = core.list_namespaced_event(ns, field_selector="involvedObject.name=web")
    assert len(by_object.items) == 2


def test_events_v1_watch_sees_core_writes(server: RunningServer, api: client.ApiClient) -> None:
    """A watch through EventsV1Api from a resourceVersion gets a CoreV1Api create."""
    ns = _namespace(server, "py-watch")
    core, events = client.CoreV1Api(api), client.EventsV1Api(api)
    rv = events.list_namespaced_event(ns).metadata.resource_version
    core.create_namespaced_event(ns, _v1_event("seen", ns))
    stream = watch.Watch().stream(
        events.list_namespaced_event, ns, resource_version=rv, timeout_seconds=2
    )
    seen = [(e["type"], e["object"].metadata.name, e["object"].note) for e in stream]
    assert seen == [("ADDED", "seen", "Started container web")]


def test_events_v1_bad_input_is_422(server: RunningServer, api: client.ApiClient) -> None:
    """Missing new-style fields through EventsV1Api: 422 Invalid, one cause per field."""
    ns = _namespace(server, "py-bad")
    events = client.EventsV1Api(api)
    body = _events_v1_event("bad", ns, deprecated_count=4)
    body.reporting_controller = None
    body.action = None
    with pytest.raises(ApiException) as info:
        events.create_namespaced_event(ns, body)
    assert info.value.status == 422
    status = json.loads(info.value.body)
    assert status["reason"] == "Invalid"
    assert status["details"]["kind"] == "Event"
    assert [(c["field"], c["reason"]) for c in status["details"]["causes"]] == [
        ("reportingController", "FieldValueRequired"),
        ("reportingController", "FieldValueInvalid"),
        ("reportingController", "FieldValueInvalid"),
        ("action", "FieldValueRequired"),
        ("count", "FieldValueInvalid"),
    ]
    with pytest.raises(ApiException) as missing:
        events.read_namespaced_event("bad", ns)
    assert missing.value.status == 404


def test_autoscaling_v1_and_v2_apis_share_hpas(
    server: RunningServer, api: client.ApiClient
) -> None:
    """AutoscalingV1Api writes are read by AutoscalingV2Api, and a v1 update keeps v2 data."""
    ns = _namespace(server, "py-hpa")
    v1, v2 = client.AutoscalingV1Api(api), client.AutoscalingV2Api(api)
    ref = client.V1CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name="web")
    v1.create_namespaced_horizontal_pod_autoscaler(
        ns,
        client.V1HorizontalPodAutoscaler(
            metadata=client.V1ObjectMeta(name="web"),
            spec=client.V1HorizontalPodAutoscalerSpec(
                scale_target_ref=ref, max_replicas=4, target_cpu_utilization_percentage=60
            ),
        ),
    )
    read = v2.read_namespaced_horizontal_pod_autoscaler("web", ns)
    assert read.spec.min_replicas == 1
    (metric,) = read.spec.metrics
    assert (metric.type, metric.resource.name, metric.resource.target.average_utilization) == (
        "Resource",
        "cpu",
        60,
    )
    v2.create_namespaced_horizontal_pod_autoscaler(
        ns,
        client.V2HorizontalPodAutoscaler(
            metadata=client.V1ObjectMeta(name="mem"),
            spec=client.V2HorizontalPodAutoscalerSpec(
                scale_target_ref=client.V2CrossVersionObjectReference(
                    api_version="apps/v1", kind="Deployment", name="mem"
                ),
                max_replicas=3,
                metrics=[
                    client.V2MetricSpec(
                        type="Resource",
                        resource=client.V2ResourceMetricSource(
                            name="memory",
                            target=client.V2MetricTarget(type="AverageValue", average_value="1Gi"),
                        ),
                    )
                ],
            ),
        ),
    )
    as_v1 = v1.read_namespaced_horizontal_pod_autoscaler("mem", ns)
    assert as_v1.spec.target_cpu_utilization_percentage is None
    assert "autoscaling.alpha.kubernetes.io/metrics" in as_v1.metadata.annotations
    as_v1.spec.max_replicas = 7
    v1.replace_namespaced_horizontal_pod_autoscaler("mem", ns, as_v1)
    after = v2.read_namespaced_horizontal_pod_autoscaler("mem", ns)
    assert after.spec.max_replicas == 7
    assert [(m.resource.name, m.resource.target.average_value) for m in after.spec.metrics] == [
        ("memory", "1Gi")
    ]
    assert after.metadata.annotations is None
    names = sorted(h.metadata.name for h in v1.list_namespaced_horizontal_pod_autoscaler(ns).items)
    assert names == ["mem", "web"]


# -- a CustomResourceDefinition with two versions (the None conversion) ------------------

WIDGETS = textwrap.dedent(
    """
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: widgets.example.com}
    spec:
      group: example.com
      scope: Namespaced
      names: {plural: widgets, singular: widget, kind: Widget}
      versions:
      - name: v2
        served: true
        storage: true
        schema:
          openAPIV3Schema:
            type: object
            properties:
              spec: {type: object, properties: {size: {type: integer}}}
      - name: v1
        served: true
        storage: false
        schema:
          openAPIV3Schema:
            type: object
            properties:
              spec: {type: object, properties: {size: {type: integer}}}
    """
)


def test_custom_resource_versions_share_one_stored_object(server: RunningServer) -> None:
    """A Widget written as v1 is stored as v2 and read, listed and watched as either."""
    server.kubectl("apply", "-f", "-", input=WIDGETS)
    eventually(
        lambda: (
            not any(
                server.kubectl("get", "--raw", f"/apis/example.com/{v}", check=False).returncode
                for v in ("v1", "v2")
            )
        ),
        within=10,
        what="the CRD's versions to be served",
    )
    ns = _namespace(server, "crd-versions")
    widget = f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w, namespace: {ns}}}\n"
    server.kubectl("create", "-f", "-", input=widget + "spec: {size: 2}\n")
    as_v2 = server.kubectl_json("get", "widgets.v2.example.com", "w", "-n", ns)
    as_v1 = server.kubectl_json("get", "widgets.v1.example.com", "w", "-n", ns)
    assert (as_v2["apiVersion"], as_v1["apiVersion"]) == ("example.com/v2", "example.com/v1")
    assert as_v2["spec"] == as_v1["spec"] == {"size": 2}
    listed = json.loads(
        server.kubectl("get", "--raw", f"/apis/example.com/v1/namespaces/{ns}/widgets").stdout
    )
    rv = listed["metadata"]["resourceVersion"]
    assert [i["apiVersion"] for i in listed["items"]] == ["example.com/v1"]
    server.kubectl(
        "patch",
        "widgets.v2.example.com",
        "w",
        "-n",
        ns,
        "--type=merge",
        "-p",
        '{"spec":{"size":3}}',
    )
    raw = server.kubectl(
        "get",
        "--raw",
        f"/apis/example.com/v1/namespaces/{ns}/widgets?watch=true&resourceVersion={rv}"
        "&timeoutSeconds=1",
    ).stdout
    (event,) = [json.loads(line) for line in raw.splitlines() if line.strip()]
    assert event["type"] == "MODIFIED"
    assert (event["object"]["apiVersion"], event["object"]["spec"]) == (
        "example.com/v1",
        {"size": 3},
    )

    def widget_hash(version: str) -> str:
        doc = json.loads(server.kubectl("get", "--raw", f"/apis/example.com/{version}").stdout)
        (entry,) = [r for r in doc["resources"] if r["name"] == "widgets"]
        return str(entry["storageVersionHash"])

    assert widget_hash("v1") == widget_hash("v2")
