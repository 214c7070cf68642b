"""The generic REST store over the memory backend: verbs, concurrency, deletion."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.errors import StatusError
from kubeling.apiserver import codec
from kubeling.apiserver.admission.chain import AdmissionChain
from kubeling.apiserver.admission.lookup import StaticReader
from kubeling.apiserver.admission.namespace_lifecycle import NamespaceLifecycle
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import DeleteOptions, ListOptions, WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.strategies.groups import group_strategies
from kubeling.storage.memory import MemoryStore

W = WriteOptions()


def _rest(plural: str, group: str = "", *, strategies: bool = False) -> ResourceStore:
    registry = Registry(MemoryStore())
    by_resource = group_strategies() if strategies else {}
    for resource in builtin_resources():
        registry.add(resource, by_resource.get((resource.group, resource.plural)))
    version = "v1" if group != "autoscaling" else "v2"
    rest = registry.lookup(group, version, plural)
    assert rest is not None
    return rest


def _cm(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}, "data": {"k": name}}


async def test_create_sets_identity_and_get_returns_it() -> None:
    """create fills uid, creationTimestamp, resourceVersion, apiVersion and kind."""
    rest = _rest("configmaps")
    created = await rest.create("ns", _cm("a"), W)
    meta = created["metadata"]
    assert (created["apiVersion"], created["kind"]) == ("v1", "ConfigMap")
    assert meta["namespace"] == "ns"
    assert meta["uid"]
    assert meta["creationTimestamp"].endswith("Z")
    assert await rest.get("ns", "a") == created


async def test_duplicate_create_is_409_already_exists() -> None:
    """A second create of the same name is AlreadyExists with Kubernetes' message."""
    rest = _rest("configmaps")
    await rest.create("ns", _cm("a"), W)
    with pytest.raises(StatusError) as info:
        await rest.create("ns", _cm("a"), W)
    assert (info.value.code, info.value.reason) == (409, "AlreadyExists")
    assert info.value.message == 'configmaps "a" already exists'


async def test_generate_name_and_invalid_name() -> None:
    """generateName gets a suffix; an invalid name is a 422 with the field cause."""
    rest = _rest("configmaps")
    made = await rest.create("ns", {"metadata": {"generateName": "job-"}}, W)
    assert made["metadata"]["name"].startswith("job-")
    assert len(made["metadata"]["name"]) == len("job-") + 5
    with pytest.raises(StatusError) as info:
        await rest.create("ns", _cm("Bad_Name"), W)
    assert info.value.code == 422
    assert info.value.message.startswith('ConfigMap "Bad_Name" is invalid: metadata.name')


async def test_update_with_stale_resource_version_conflicts() -> None:
    """PUT with an old resourceVersion is 409 Conflict; with the current one it succeeds."""
    rest = _rest("configmaps")
    first = await rest.create("ns", _cm("a"), W)
    second = await rest.update("ns", "a", {**first, "data": {"k": "2"}}, W)
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    with pytest.raises(StatusError) as info:
        await rest.update("ns", "a", {**first, "data": {"k": "3"}}, W)
    assert (info.value.code, info.value.reason) == (409, "Conflict")
    assert "the object has been modified" in info.value.message


async def test_noop_update_keeps_resource_version() -> None:
    """An update that changes nothing does not write (same resourceVersion)."""
    rest = _rest("configmaps")
    first = await rest.create("ns", _cm("a"), W)
    again = await rest.update("ns", "a", first, W)
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


async def test_concurrent_merge_patches_all_land() -> None:
    """Concurrent patches retry on conflict inside the store; none is lost."""
    rest = _rest("configmaps")
    await rest.create("ns", {"metadata": {"name": "a"}, "data": {}}, W)
    await asyncio.gather(
        *(rest.patch("ns", "a", "merge", {"data": {f"k{i}": "v"}}, W) for i in range(20))
    )
    data = (await rest.get("ns", "a"))["data"]
    assert sorted(data) == sorted(f"k{i}" for i in range(20))


async def test_status_subresource_split() -> None:
    """Main-resource updates keep status; /status updates keep the spec; generation bumps."""
    rest = _rest("deployments", "apps")
    body = {
        "metadata": {"name": "d"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
        "status": {"replicas": 5},
    }
    created = await rest.create("ns", body, W)
    assert "status" not in created
    assert created["metadata"]["generation"] == 1
    with_status = await rest.update(
        "ns", "d", {**created, "status": {"replicas": 2}}, W, subresource="status"
    )
    assert with_status["status"] == {"replicas": 2}
    spec = dict(with_status["spec"], replicas=3)
    updated = await rest.update("ns", "d", {**with_status, "spec": spec, "status": {}}, W)
    assert updated["status"] == {"replicas": 2}
    assert updated["metadata"]["generation"] == 2


async def test_deployment_status_writes_carry_annotations_but_not_labels() -> None:
    """A Deployment's /status may change its annotations (the controller records the
    revision there) without a generation bump; labels and spec stay; a ReplicaSet's
    /status changes nothing but the status."""
    rest = _rest("deployments", "apps", strategies=True)
    body = {
        "metadata": {"name": "d", "labels": {"app": "web"}},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }
    created = await rest.create("ns", body, W)
    meta = {**created["metadata"], "labels": {"app": "other"}}
    meta["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    written = await rest.update(
        "ns",
        "d",
        {**created, "metadata": meta, "spec": {}, "status": {"replicas": 1}},
        W,
        subresource="status",
    )
    assert written["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}
    assert written["metadata"]["labels"] == {"app": "web"}
    assert written["spec"] == created["spec"]
    assert written["metadata"]["generation"] == 1
    replicasets = _rest("replicasets", "apps", strategies=True)
    rs = await replicasets.create("ns", {**body, "metadata": {"name": "r"}}, W)
    rs_meta = {**rs["metadata"], "annotations": {"x": "y"}}
    rs_written = await replicasets.update(
        "ns", "r", {**rs, "metadata": rs_meta, "status": {"replicas": 1}}, W, subresource="status"
    )
    assert "annotations" not in rs_written["metadata"]
    assert rs_written["status"]["replicas"] == 1


async def test_list_paging_selectors_and_snapshot() -> None:
    """limit/continue pages one snapshot; label and field selectors filter."""
    rest = _rest("configmaps")
    for i in range(5):
        await rest.create("ns", _cm(f"c{i}", tier="a" if i % 2 else "b"), W)
    first = await rest.list("ns", ListOptions.parse({"limit": "2"}))
    assert [i["metadata"]["name"] for i in first["items"]] == ["c0", "c1"]
    assert first["metadata"]["remainingItemCount"] == 3
    await rest.create("ns", _cm("c10"), W)
    rest_page = await rest.list(
        "ns", ListOptions.parse({"limit": "10", "continue": first["metadata"]["continue"]})
    )
    assert [i["metadata"]["name"] for i in rest_page["items"]] == ["c2", "c3", "c4"]
    selected = await rest.list("ns", ListOptions.parse({"labelSelector": "tier=a"}))
    assert [i["metadata"]["name"] for i in selected["items"]] == ["c1", "c3"]
    by_name = await rest.list("ns", ListOptions.parse({"fieldSelector": "metadata.name=c4"}))
    assert [i["metadata"]["name"] for i in by_name["items"]] == ["c4"]
    with pytest.raises(StatusError) as info:
        await rest.list("ns", ListOptions.parse({"fieldSelector": "spec.bogus=1"}))
    assert info.value.code == 400


async def test_a_filtered_scan_whose_revision_is_compacted_is_410_expired() -> None:
    """A first page with a selector reads the store page by page at one revision; compacted
    meanwhile, the list is a 410 Expired naming that revision (not an empty one)."""
    rest = _rest("configmaps")
    for i in range(150):
        await rest.create("ns", _cm(f"c{i:03d}", tier="last" if i == 149 else "other"), W)
    store = rest.store
    read_pages: list[int] = []
    list_pages = store.list

    async def list_then_compact(*args: Any, **kwargs: Any) -> Any:
        page = await list_pages(*args, **kwargs)
        read_pages.append(page.revision)
        if len(read_pages) == 1:  # a compaction between the scan's first and second page
            await rest.create("ns", _cm("later"), W)
            await store.compact(await store.current_revision())
        return page

    store.list = list_then_compact  # type: ignore[method-assign]
    with pytest.raises(StatusError) as info:
        await rest.list("ns", ListOptions.parse({"limit": "1", "labelSelector": "tier=last"}))
    assert (info.value.code, info.value.reason) == (410, "Expired")
    assert info.value.message.startswith(f"too old resource version: {read_pages[0]} (")
    store.list = list_pages  # type: ignore[method-assign]
    listed = await rest.list("ns", ListOptions.parse({"labelSelector": "tier=last"}))
    assert [i["metadata"]["name"] for i in listed["items"]] == ["c149"]


async def test_finalizers_hold_deletion_until_removed() -> None:
    """Delete of an object with finalizers sets deletionTimestamp; removing them deletes it."""
    rest = _rest("configmaps")
    await rest.create("ns", {"metadata": {"name": "a", "finalizers": ["x/y"]}}, W)
    obj, gone = await rest.delete("ns", "a", DeleteOptions())
    assert not gone
    assert obj["metadata"]["deletionTimestamp"]
    await rest.patch("ns", "a", "merge", {"metadata": {"finalizers": None}}, W)
    with pytest.raises(StatusError) as info:
        await rest.get("ns", "a")
    assert info.value.code == 404


async def test_delete_preconditions_and_foreground_policy() -> None:
    """A wrong uid precondition is 409; Foreground records the foregroundDeletion finalizer."""
    rest = _rest("configmaps")
    await rest.create("ns", _cm("a"), W)
    with pytest.raises(StatusError) as info:
        await rest.delete("ns", "a", DeleteOptions(precondition_uid="other"))
    assert info.value.code == 409
    obj, gone = await rest.delete("ns", "a", DeleteOptions(propagation_policy="Foreground"))
    assert not gone
    assert obj["metadata"]["finalizers"] == ["foregroundDeletion"]


async def test_dry_run_writes_nothing() -> None:
    """dryRun=All returns the object that would be created, and stores nothing."""
    rest = _rest("configmaps")
    made = await rest.create("ns", _cm("a"), WriteOptions(dry_run=True))
    assert made["metadata"]["name"] == "a"
    with pytest.raises(StatusError):
        await rest.get("ns", "a")


async def test_bad_input_is_a_4xx_status() -> None:
    """Wrong kind, mismatched namespace and a bad JSON patch are 400/422, not 500."""
    rest = _rest("configmaps")
    with pytest.raises(StatusError) as wrong_kind:
        await rest.create("ns", {"kind": "Secret", "metadata": {"name": "a"}}, W)
    assert wrong_kind.value.code == 400
    with pytest.raises(StatusError) as wrong_ns:
        await rest.create("ns", {"metadata": {"name": "a", "namespace": "other"}}, W)
    assert wrong_ns.value.code == 400
    await rest.create("ns", _cm("a"), W)
    with pytest.raises(StatusError) as bad_patch:
        await rest.patch("ns", "a", "json", [{"op": "remove", "path": "/nope"}], W)
    assert bad_patch.value.code in (400, 422)
    assert (await rest.get("ns", "a"))["data"] == {"k": "a"}


async def test_finalizers_must_be_qualified_names() -> None:
    """ValidateFinalizers: each finalizer is a qualified name, reported at the list."""
    rest = _rest("configmaps")
    body = {"metadata": {"name": "a", "finalizers": ["example.com/ok", "not ok!"]}}
    with pytest.raises(StatusError) as info:
        await rest.create("ns", body, W)
    assert info.value.code == 422
    assert info.value.message.startswith(
        'ConfigMap "a" is invalid: metadata.finalizers: Invalid value: "not ok!": name part '
        "must consist of alphanumeric characters"
    )
    made = await rest.create("ns", {"metadata": {"name": "b", "finalizers": ["kubernetes"]}}, W)
    assert made["metadata"]["finalizers"] == ["kubernetes"]


async def test_creating_in_a_terminating_namespace_is_forbidden_with_its_cause() -> None:
    """NamespaceLifecycle's refusal carries the NamespaceTerminating cause controllers check."""

    gone = {"metadata": {"name": "gone", "deletionTimestamp": "2025-01-01T00:00:00Z"}}
    namespaces = StaticReader([gone])
    registry = Registry(MemoryStore(), admission=AdmissionChain([NamespaceLifecycle(namespaces)]))
    for resource in builtin_resources():
        registry.add(resource)
    rest = registry.lookup("", "v1", "pods")
    assert rest is not None
    with pytest.raises(StatusError) as info:
        await rest.create("gone", {"metadata": {"generateName": "web-"}}, W)
    assert info.value.code == 403
    assert info.value.message == (
        'pods "web-" is forbidden: unable to create new content in namespace gone because '
        "it is being terminated"
    )
    assert info.value.to_status()["details"]["causes"] == [
        {
            "reason": "NamespaceTerminating",
            "message": "namespace gone is being terminated",
            "field": "metadata.namespace",
        }
    ]
    assert errors.has_status_cause(info.value, errors.CAUSE_NAMESPACE_TERMINATING)
    assert not errors.has_status_cause(info.value, "FieldValueInvalid")


@pytest.mark.parametrize(
    "namespace", ["bad\x1bns", "tab\tns", "x" * 1100], ids=["escape", "tab", "too-long"]
)
async def test_names_no_key_can_hold_are_not_found_not_a_server_error(namespace: str) -> None:
    """A namespace or name the store cannot key (a control character, over the key
    limit) holds nothing: get, update, patch and delete are 404 and a list is empty, as
    in Kubernetes, whose etcd keys are bytes (the fuzzer found these 500s)."""
    rest = _rest("configmaps")
    await rest.create("ns", _cm("a"), W)
    for read in (
        rest.get(namespace, "a"),
        rest.get("ns", namespace),
        rest.update(namespace, "a", _cm("a"), W),
        rest.delete(namespace, "a", DeleteOptions()),
    ):
        with pytest.raises(StatusError) as info:
            await read
        assert (info.value.code, info.value.reason) == (404, "NotFound")
    listed = await rest.list(namespace, ListOptions())
    assert listed["items"] == []
    assert (await rest.delete_collection(namespace, ListOptions(), DeleteOptions()))["items"] == []


async def test_a_valid_name_the_store_cannot_key_is_a_400() -> None:
    """A ClusterRole name is only a path segment for Kubernetes (control characters
    allowed): one the store cannot key is refused with 400, not a 500."""
    rest = _rest("clusterroles", "rbac.authorization.k8s.io", strategies=True)
    with pytest.raises(StatusError) as info:
        await rest.create("", {"metadata": {"name": "bell\x07role"}, "rules": []}, W)
    assert (info.value.code, info.value.reason) == (400, "BadRequest")
    assert "Name parameter invalid" in info.value.message


@pytest.mark.parametrize(
    ("namespace", "query"),
    [
        ("default", {"resourceVersion": "0"}),
        ("default", {"resourceVersion": "0", "limit": "1"}),  # ignored, as Kubernetes does
        ("default", {"resourceVersion": "0", "labelSelector": "app=web"}),
        ("default", {"resourceVersion": "0", "fieldSelector": "metadata.name=b"}),
        ("", {"resourceVersion": "0", "resourceVersionMatch": "NotOlderThan"}),
    ],
)
async def test_a_resource_version_0_list_is_encoded_item_by_item_to_the_same_bytes(
    namespace: str, query: dict[str, str]
) -> None:
    """An informer's first list comes from the cache without decoding every object at once;
    its JSON is byte for byte the List that ``list`` answers."""
    rest = _rest("configmaps")
    await rest.create("default", _cm("a", app="web"), W)
    await rest.create("default", {**_cm("b"), "data": {"text": "ünïcode ✓"}}, W)
    await rest.create("other", _cm("c", app="web"), W)
    options = ListOptions.parse(query)
    raw = await rest.list_json(namespace, options)
    listed = await rest.list(namespace, options)
    assert raw == codec.dumps(listed)
    assert json.loads(raw)["items"]
    assert all("kind" not in item for item in json.loads(raw)["items"])


async def test_a_resource_version_0_list_with_an_unknown_field_selector_is_a_400() -> None:
    rest = _rest("configmaps")
    options = ListOptions.parse({"resourceVersion": "0", "fieldSelector": "spec.nodeName=x"})
    with pytest.raises(StatusError) as caught:
        await rest.list_json("default", options)
    assert caught.value.code == 400
