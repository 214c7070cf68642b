"""The official ``kubernetes`` Python package against a real ``kubeling server``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.support.cluster import RunningServer, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("pyclient")) as running:
        yield running


@pytest.fixture
def core(server: RunningServer) -> Iterator[client.CoreV1Api]:
    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    try:
        yield client.CoreV1Api(api_client)
    finally:
        api_client.close()


def _cm(name: str, **labels: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, labels=labels), data={"k": name}
    )


def test_crud_and_conflict(core: client.CoreV1Api) -> None:
    """create, read, replace with a stale resourceVersion (409), delete, read (404)."""
    created = core.create_namespaced_config_map("default", _cm("crud"))
    read = core.read_namespaced_config_map("crud", "default")
    assert read.metadata.uid == created.metadata.uid
    read.data = {"k": "2"}
    core.replace_namespaced_config_map("crud", "default", read)
    read.data = {"k": "3"}
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_config_map("crud", "default", read)
    assert conflict.value.status == 409
    core.delete_namespaced_config_map("crud", "default")
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("crud", "default")
    assert missing.value.status == 404


def test_list_with_selectors_and_pages(core: client.CoreV1Api) -> None:
    """Label and field selectors filter; limit/continue walk every item once."""
    for i in range(5):
        core.create_namespaced_config_map("default", _cm(f"sel{i}", tier="a" if i < 2 else "b"))
    tier_a = core.list_namespaced_config_map("default", label_selector="tier=a")
    assert sorted(i.metadata.name for i in tier_a.items) == ["sel0", "sel1"]
    by_name = core.list_namespaced_config_map("default", field_selector="metadata.name=sel3")
    assert [i.metadata.name for i in by_name.items] == ["sel3"]
    names: list[str] = []
    token = None
    while True:
        page = core.list_namespaced_config_map(
            "default", label_selector="tier", limit=2, _continue=token
        )
        names += [i.metadata.name for i in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert names == [f"sel{i}" for i in range(5)]


def test_patch_types(core: client.CoreV1Api) -> None:
    """Strategic (dict), JSON patch (list) and merge patch all apply."""
    core.create_namespaced_config_map("default", _cm("patched"))
    core.patch_namespaced_config_map("patched", "default", {"data": {"s": "1"}})
    core.patch_namespaced_config_map(
        "patched", "default", [{"op": "add", "path": "/data/j", "value": "2"}]
    )
    core.api_client.set_default_header("Content-Type", "application/merge-patch+json")
    try:
        core.patch_namespaced_config_map("patched", "default", {"data": {"k": None}})
    finally:
        core.api_client.default_headers.pop("Content-Type", None)
    assert core.read_namespaced_config_map("patched", "default").data == {"s": "1", "j": "2"}


def test_watch_initial_events_then_changes(core: client.CoreV1Api) -> None:
    """A watch without resourceVersion sends ADDED for what exists, then changes."""
    core.create_namespaced_config_map("default", _cm("watched"))
    events = []
    stream = watch.Watch().stream(
        core.list_namespaced_config_map,
        "default",
        field_selector="metadata.name=watched",
        timeout_seconds=5,
    )
    for event in stream:
        events.append((event["type"], event["object"].data))
        if len(events) == 1:
            core.patch_namespaced_config_map("watched", "default", {"data": {"k": "new"}})
        if len(events) == 2:
            break
    assert events == [("ADDED", {"k": "watched"}), ("MODIFIED", {"k": "new"})]


def test_watch_resumes_from_resource_version(core: client.CoreV1Api) -> None:
    """A watch from a list's resourceVersion sees exactly the later changes."""
    listed = core.list_namespaced_config_map("default")
    core.create_namespaced_config_map("default", _cm("later"))
    stream = watch.Watch().stream(
        core.list_namespaced_config_map,
        "default",
        resource_version=listed.metadata.resource_version,
        timeout_seconds=5,
    )
    first = next(iter(stream))
    assert (first["type"], first["object"].metadata.name) == ("ADDED", "later")
