"""Custom resources: a CRD becomes a served resource for kubectl and the dynamic client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import config, dynamic
from kubernetes.dynamic.exceptions import UnprocessibleEntityError

from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually

CRD = Path(__file__).with_name("crontab-crd.yaml")
CRONTAB = """
apiVersion: stable.example.com/v1
kind: CronTab
metadata: {name: my-cron}
spec: {cronSpec: "* * * * */5", image: my-image, unknownField: 1}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("crd")) as running:
        running.kubectl("apply", "-f", str(CRD))
        eventually(
            lambda: "crontabs" in running.kubectl("api-resources").stdout,
            within=10,
            what="the CRD to be served",
        )
        yield running


def test_kubectl_creates_and_shows_printer_columns(server: RunningServer, tmp_path: Path) -> None:
    """kubectl applies a custom resource (defaulted, pruned) and get shows its columns."""
    manifest = tmp_path / "ct.yaml"
    manifest.write_text(CRONTAB)
    server.kubectl("apply", "-f", str(manifest), "--validate=false")
    spec = json.loads(server.kubectl("get", "ct", "my-cron", "-o", "jsonpath={.spec}").stdout)
    assert spec == {"cronSpec": "* * * * */5", "image": "my-image", "replicas": 1}
    table = server.kubectl("get", "crontabs").stdout.splitlines()
    assert table[0].split() == ["NAME", "SPEC", "REPLICAS", "AGE"]
    assert table[1].split()[:6] == ["my-cron", "*", "*", "*", "*", "*/5"]
    assert "SPEC" in server.kubectl("get", "crontab", "my-cron").stdout


def test_schema_validation_is_422(server: RunningServer) -> None:
    """A value outside the schema's bounds is refused with Kubernetes' message."""
    result = server.kubectl(
        "patch", "ct", "my-cron", "--type=merge", "-p", '{"spec":{"replicas":0}}', check=False
    )
    assert result.returncode == 1
    assert (
        'The CronTab "my-cron" is invalid: spec.replicas: Invalid value: 0: '
        "spec.replicas in body should be greater than or equal to 1"
    ) in result.stderr


def test_dynamic_client_crud(server: RunningServer) -> None:
    """The Python DynamicClient discovers the CRD and creates, lists and deletes through it."""
    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    try:
        client = dynamic.DynamicClient(api_client)
        crontabs = client.resources.get(api_version="stable.example.com/v1", kind="CronTab")
        created = crontabs.create(
            namespace="default",
            body={
                "apiVersion": "stable.example.com/v1",
                "kind": "CronTab",
                "metadata": {"name": "dyn"},
                "spec": {"cronSpec": "@hourly", "replicas": 3},
            },
        )
        assert created.spec.replicas == 3
        names = [i.metadata.name for i in crontabs.get(namespace="default").items]
        assert "dyn" in names
        with pytest.raises(UnprocessibleEntityError):
            crontabs.patch(
                namespace="default",
                name="dyn",
                body={"spec": {"replicas": -1}},
                content_type="application/merge-patch+json",
            )
        crontabs.delete(namespace="default", name="dyn")
        names = [i.metadata.name for i in crontabs.get(namespace="default").items]
        assert "dyn" not in names
    finally:
        api_client.close()
