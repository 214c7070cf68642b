"""Several served versions over one stored object: the REST store's conversion boundary.

Runs the registry and the generic REST store over the memory backend: Events
through core/v1 and events.k8s.io/v1, HorizontalPodAutoscalers through
autoscaling/v2 and v1, and a CRD with two versions.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from kubeling.api.errors import StatusError
from kubeling.apiserver import codec, discovery
from kubeling.apiserver.customresources.registrar import resources_of
from kubeling.apiserver.metrics import Metrics
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import DeleteOptions, ListOptions, WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.strategies.events import EventStrategy
from kubeling.apiserver.strategies.groups import group_strategies
from kubeling.apiserver.watch import watch_events
from kubeling.storage.memory import MemoryStore

W = WriteOptions(field_manager="test")
HPA = "horizontalpodautoscalers"


def _registry() -> Registry:
    registry = Registry(MemoryStore())
    strategies = {**group_strategies(), ("", "events"): EventStrategy()}
    for resource in builtin_resources():
        registry.add(resource, strategies.get((resource.group, resource.plural)))
    return registry


def _rest(registry: Registry, group: str, version: str, plural: str) -> ResourceStore:
    rest = registry.lookup(group, version, plural)
    assert rest is not None
    return rest


def _new_event(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": name},
        "eventTime": "2024-06-01T12:00:00.000000Z",
        "reportingController": "kubernetes.io/kubelet",
        "reportingInstance": "node-1",
        "action": "Pulling",
        "reason": "Pulled",
        "type": "Normal",
        "note": "pulled the image",
        "regarding": {"kind": "Pod", "name": "web", "namespace": "default"},
        **fields,
    }


def _core_event(name: str, involved: str = "web") -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "involvedObject": {"kind": "Pod", "name": involved, "namespace": "default"},
        "reason": "Scheduled",
        "message": "assigned",
        "source": {"component": "default-scheduler"},
        "count": 1,
        "type": "Normal",
    }


def _hpa_v1(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "maxReplicas": 3,
            **spec,
        },
    }


async def test_both_event_apis_share_one_stored_object_and_cache() -> None:
    """An Event written through either API is one key under /registry/events, read by both."""
    registry = _registry()
    core = _rest(registry, "", "v1", "events")
    new = _rest(registry, "events.k8s.io", "v1", "events")
    assert core.watch_cache() is new.watch_cache()
    created = await new.create("default", _new_event("e1"), W)
    assert created["apiVersion"] == "events.k8s.io/v1"
    assert created["note"] == "pulled the image"
    as_core = await core.get("default", "e1")
    assert as_core["apiVersion"] == "v1"
    assert as_core["message"] == "pulled the image"
    assert as_core["involvedObject"]["name"] == "web"
    assert as_core["reportingComponent"] == "kubernetes.io/kubelet"
    kv = await registry.store.get("/registry/events/default/e1")
    assert kv is not None
    assert json.loads(kv.value)["apiVersion"] == "v1"
    await core.create("default", _core_event("e2"), W)
    as_new = await new.get("default", "e2")
    assert (as_new["apiVersion"], as_new["note"]) == ("events.k8s.io/v1", "assigned")
    assert as_new["deprecatedSource"] == {"component": "default-scheduler"}
    assert as_new["deprecatedCount"] == 1
    # every read path: store list, consistent list from the cache, RV=0 list
    listed = await new.list("default", ListOptions.parse({"limit": "10"}))
    assert [i["note"] for i in listed["items"]] == ["pulled the image", "assigned"]
    raw = await new.list_json("default", ListOptions.parse({}))
    assert raw is not None
    body = json.loads(raw)
    assert body["apiVersion"] == "events.k8s.io/v1"
    assert {i["apiVersion"] for i in body["items"]} == {"events.k8s.io/v1"}
    cached = await new.list("default", ListOptions.parse({"resourceVersion": "0"}))
    assert [i["note"] for i in cached["items"]] == ["pulled the image", "assigned"]
    cached_raw = await new.list_json("default", ListOptions.parse({"resourceVersion": "0"}))
    assert cached_raw == codec.dumps(cached)
    core_raw = await core.list_json("default", ListOptions.parse({}))
    assert core_raw is not None
    assert [i["message"] for i in json.loads(core_raw)["items"]] == ["pulled the image", "assigned"]


@pytest.mark.parametrize(
    ("version", "selector", "names"),
    [
        (("", "v1"), "involvedObject.name=web", ["a"]),
        (("", "v1"), "reportingComponent=kubernetes.io/kubelet", ["a"]),
        (("", "v1"), "source=default-scheduler", ["b"]),
        (("events.k8s.io", "v1"), "regarding.name=web", ["a"]),
        (("events.k8s.io", "v1"), "regarding.name=db,type=Normal", ["b"]),
        (("events.k8s.io", "v1"), "reportingController=kubernetes.io/kubelet", ["a"]),
    ],
)
async def test_field_selectors_use_each_versions_labels(
    version: tuple[str, str], selector: str, names: list[str]
) -> None:
    """Each version selects with its own field labels, over the same stored fields."""
    registry = _registry()
    await _rest(registry, "events.k8s.io", "v1", "events").create("default", _new_event("a"), W)
    await _rest(registry, "", "v1", "events").create("default", _core_event("b", "db"), W)
    rest = _rest(registry, *version, "events")
    for options in ({"fieldSelector": selector}, {"fieldSelector": selector, "limit": "5"}):
        listed = await rest.list("default", ListOptions.parse(options))
        assert [i["metadata"]["name"] for i in listed["items"]] == names
    raw = await rest.list_json("default", ListOptions.parse({"fieldSelector": selector}))
    assert raw is not None
    assert [i["metadata"]["name"] for i in json.loads(raw)["items"]] == names


@pytest.mark.parametrize(
    ("version", "label"),
    [(("events.k8s.io", "v1"), "involvedObject.name"), (("", "v1"), "regarding.name")],
)
async def test_other_versions_field_labels_are_400(version: tuple[str, str], label: str) -> None:
    """A label of the other version is not supported, with upstream's message."""
    rest = _rest(_registry(), *version, "events")
    with pytest.raises(StatusError) as info:
        await rest.list("default", ListOptions.parse({"fieldSelector": f"{label}=web"}))
    assert (info.value.code, info.value.message) == (400, f"field label not supported: {label}")


async def _take(events: Any, n: int) -> list[dict[str, Any]]:
    out = []
    async with asyncio.timeout(5):
        async for event in events:
            out.append(event)
            if len(out) == n:
                break
    return out


async def test_watch_through_one_version_sees_writes_through_the_other() -> None:
    """A watch on events.k8s.io gets core writes as events.k8s.io objects, and back."""
    registry = _registry()
    core = _rest(registry, "", "v1", "events")
    new = _rest(registry, "events.k8s.io", "v1", "events")
    start = await core.create("default", _core_event("first"), W)
    rv = start["metadata"]["resourceVersion"]
    new_watch = watch_events(new, "default", ListOptions.parse({"resourceVersion": rv}))
    core_watch = watch_events(
        core,
        "default",
        ListOptions.parse({"resourceVersion": rv, "fieldSelector": "reason=Pulled"}),
    )
    try:
        pending = asyncio.ensure_future(_take(new_watch, 2))
        pending_core = asyncio.ensure_future(_take(core_watch, 1))
        await asyncio.sleep(0)
        await core.create("default", _core_event("second"), W)
        await new.create("default", _new_event("third"), W)
        seen = await pending
        seen_core = await pending_core
    finally:
        await new_watch.aclose()
        await core_watch.aclose()
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in seen] == [
        ("ADDED", "second"),
        ("ADDED", "third"),
    ]
    for event in seen:
        assert event["object"]["apiVersion"] == "events.k8s.io/v1"
        assert json.loads(event["raw"])["note"] == event["object"]["note"]
    assert [e["object"]["metadata"]["name"] for e in seen_core] == ["third"]
    assert seen_core[0]["object"]["message"] == "pulled the image"
    assert json.loads(seen_core[0]["raw"])["apiVersion"] == "v1"


async def test_initial_watch_events_are_converted() -> None:
    """Without a resourceVersion, the synthetic ADDED events are in the watched version."""
    registry = _registry()
    await _rest(registry, "", "v1", "events").create("default", _core_event("old"), W)
    new = _rest(registry, "events.k8s.io", "v1", "events")
    watch = watch_events(new, "default", ListOptions.parse({}))
    try:
        (added,) = await _take(watch, 1)
    finally:
        await watch.aclose()
    assert added["object"]["apiVersion"] == "events.k8s.io/v1"
    assert added["object"]["note"] == "assigned"


async def test_events_k8s_io_validation_is_422_with_upstream_kind() -> None:
    """events.k8s.io's strict rules, reported as upstream's internal kind ``Event``."""
    new = _rest(_registry(), "events.k8s.io", "v1", "events")
    with pytest.raises(StatusError) as info:
        await new.create("default", {"metadata": {"name": "bad"}, "type": "Info"}, W)
    err = info.value
    assert err.code == 422
    assert err.message == (
        'Event "bad" is invalid: [eventTime: Required value, '
        'type: Invalid value: "": has invalid value: Info]'
    )
    status = err.to_status()
    assert status["details"]["kind"] == "Event"
    assert "group" not in status["details"] or status["details"]["group"] == ""
    assert [c["field"] for c in status["details"]["causes"]] == ["eventTime", "type"]
    with pytest.raises(StatusError) as missing:
        await new.get("default", "bad")
    assert missing.value.message == 'events.events.k8s.io "bad" not found'


async def test_dry_run_through_a_converted_version_stores_nothing() -> None:
    """dryRun=All answers in the served version and writes nothing."""
    registry = _registry()
    new = _rest(registry, "events.k8s.io", "v1", "events")
    dry = WriteOptions(field_manager="t", dry_run=True)
    answered = await new.create("default", _new_event("dry"), dry)
    assert (answered["apiVersion"], answered["note"]) == ("events.k8s.io/v1", "pulled the image")
    assert await registry.store.get("/registry/events/default/dry") is None
    await new.create("default", _new_event("real"), W)
    deleted, gone = await new.delete("default", "real", DeleteOptions(dry_run=True))
    assert gone
    assert deleted["apiVersion"] == "events.k8s.io/v1"
    assert await registry.store.get("/registry/events/default/real") is not None


async def test_patches_apply_to_the_served_versions_view() -> None:
    """Merge, JSON and strategic patches are written against the version patched."""
    registry = _registry()
    v1 = _rest(registry, "autoscaling", "v1", HPA)
    v2 = _rest(registry, "autoscaling", "v2", HPA)
    await v1.create("default", _hpa_v1("web", targetCPUUtilizationPercentage=50), W)
    merged = await v1.patch(
        "default", "web", "merge", {"spec": {"targetCPUUtilizationPercentage": 60}}, W
    )
    assert merged.obj["spec"]["targetCPUUtilizationPercentage"] == 60
    jsonp = await v1.patch(
        "default", "web", "json", [{"op": "replace", "path": "/spec/maxReplicas", "value": 4}], W
    )
    assert jsonp.obj["spec"]["maxReplicas"] == 4
    smp = await v1.patch("default", "web", "strategic", {"spec": {"minReplicas": 2}}, W)
    assert smp.obj["spec"]["minReplicas"] == 2
    stored = await v2.get("default", "web")
    assert stored["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 60},
            },
        }
    ]
    assert (stored["spec"]["minReplicas"], stored["spec"]["maxReplicas"]) == (2, 4)


async def test_v1_update_keeps_what_only_v2_can_say() -> None:
    """A read-modify-write through autoscaling/v1 keeps v2's other metrics and behavior."""
    registry = _registry()
    v1 = _rest(registry, "autoscaling", "v1", HPA)
    v2 = _rest(registry, "autoscaling", "v2", HPA)
    memory = {
        "type": "Resource",
        "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "1Gi"}},
    }
    body = _hpa_v1("api")
    body["apiVersion"] = "autoscaling/v2"
    body["spec"] = {
        "scaleTargetRef": body["spec"]["scaleTargetRef"],
        "maxReplicas": 3,
        "metrics": [memory],
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}},
    }
    await v2.create("default", body, W)
    read = await v1.get("default", "api")
    assert "autoscaling.alpha.kubernetes.io/metrics" in read["metadata"]["annotations"]
    read["spec"]["maxReplicas"] = 6
    await v1.update("default", "api", read, W)
    stored = await v2.get("default", "api")
    assert stored["spec"]["maxReplicas"] == 6
    assert stored["spec"]["metrics"] == [memory]
    assert stored["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 60
    assert "annotations" not in stored["metadata"]


async def test_managed_fields_keep_the_version_they_were_written_with() -> None:
    """Each manager's entry records the apiVersion of its write; apply works through v1."""
    registry = _registry()
    v1 = _rest(registry, "autoscaling", "v1", HPA)
    v2 = _rest(registry, "autoscaling", "v2", HPA)
    await v1.create("default", _hpa_v1("h", targetCPUUtilizationPercentage=50), W)
    await v2.patch(
        "default", "h", "merge", {"spec": {"minReplicas": 2}}, WriteOptions(field_manager="v2er")
    )
    applied = await v1.patch(
        "default",
        "h",
        "apply",
        {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", **_hpa_v1("h")},
        WriteOptions(field_manager="applier", force=True),
    )
    entries = {e["manager"]: e["apiVersion"] for e in applied.obj["metadata"]["managedFields"]}
    assert entries == {
        "test": "autoscaling/v1",
        "v2er": "autoscaling/v2",
        "applier": "autoscaling/v1",
    }
    assert applied.obj["apiVersion"] == "autoscaling/v1"


async def test_hpa_v1_invalid_is_reported_in_storage_terms() -> None:
    """Validation runs on the stored form: the HPA kind of the autoscaling group."""
    v1 = _rest(_registry(), "autoscaling", "v1", HPA)
    with pytest.raises(StatusError) as info:
        await v1.create("default", _hpa_v1("h", maxReplicas=0), W)
    assert info.value.code == 422
    assert info.value.message.startswith(
        'HorizontalPodAutoscaler.autoscaling "h" is invalid: [spec.maxReplicas: '
        "Invalid value: 0: must be greater than 0"
    )


def test_discovery_shows_one_storage_version_hash_per_stored_resource() -> None:
    """Versions sharing storage show the storage version's hash; unstored resources none."""
    resources = _registry().resources()

    def hashes(group: str, version: str) -> dict[str, str | None]:
        doc = discovery.api_resource_list(resources, group, version)
        assert doc is not None
        return {r["name"]: r.get("storageVersionHash") for r in doc["resources"]}

    core, events = hashes("", "v1"), hashes("events.k8s.io", "v1")
    assert core["events"] == events["events"] == "r2yiGXH7wu8="
    assert core["pods"] == "xPOwRZ+Yhw8="
    assert core["pods/status"] is None
    assert core["bindings"] is None
    assert core["componentstatuses"] is None
    v1, v2 = hashes("autoscaling", "v1"), hashes("autoscaling", "v2")
    assert v1[HPA] == v2[HPA] == "qwQve8ut294="
    assert hashes("authorization.k8s.io", "v1")["selfsubjectaccessreviews"] is None


def test_autoscaling_v2_is_the_preferred_version() -> None:
    """autoscaling lists v2 first (preferred), then v1."""
    assert _registry().group_versions()["autoscaling"] == ["v2", "v1"]


def test_metrics_count_each_stored_resource_once() -> None:
    """Shared storage gives one apiserver_storage_objects series, not one per version."""
    text = Metrics().render(_registry())
    series = [line.split(" ")[0] for line in text.splitlines() if not line.startswith("#")]
    assert len(series) == len(set(series))
    assert 'apiserver_storage_objects{resource="events"}' in series
    assert 'apiserver_storage_objects{resource="events.events.k8s.io"}' not in series


CRD = {
    "metadata": {"name": "widgets.example.com", "resourceVersion": "1"},
    "spec": {
        "group": "example.com",
        "names": {"plural": "widgets", "kind": "Widget"},
        "scope": "Namespaced",
        "versions": [
            {"name": "v2", "served": True, "storage": True},
            {"name": "v1", "served": True, "storage": False},
        ],
    },
    "status": {
        "acceptedNames": {"plural": "widgets", "kind": "Widget"},
        "conditions": [{"type": "Established", "status": "True"}],
    },
}


async def test_custom_resource_versions_share_storage_with_none_conversion() -> None:
    """A CRD's versions share one cache; writes are stored in the storage version."""
    registry = Registry(MemoryStore())
    for served in resources_of(CRD):
        registry.add(served.resource, storage_prefix="/registry/example.com/widgets", custom=True)
    v1 = _rest(registry, "example.com", "v1", "widgets")
    v2 = _rest(registry, "example.com", "v2", "widgets")
    assert v1.watch_cache() is v2.watch_cache()
    created = await v1.create(
        "default", {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}, W
    )
    assert created["apiVersion"] == "example.com/v1"
    kv = await registry.store.get("/registry/example.com/widgets/default/w")
    assert kv is not None
    assert json.loads(kv.value)["apiVersion"] == "example.com/v2"
    assert (await v2.get("default", "w"))["apiVersion"] == "example.com/v2"
    raw = await v1.list_json("default", ListOptions.parse({}))
    assert raw is not None
    assert json.loads(raw)["items"][0]["apiVersion"] == "example.com/v1"
    assert v1.resource.storage_version_hash == v2.resource.storage_version_hash


def test_removing_the_last_version_retires_its_cache() -> None:
    """A cache is handed back for stopping only when no version uses it any more."""
    registry = Registry(MemoryStore())
    for served in resources_of(CRD):
        registry.add(served.resource, storage_prefix="/registry/example.com/widgets", custom=True)
    cache = _rest(registry, "example.com", "v1", "widgets").watch_cache()
    registry.remove("example.com", "v1", "widgets")
    assert registry.retired_caches() == []
    registry.remove("example.com", "v2", "widgets")
    assert registry.retired_caches() == [cache]
    assert registry.stored_resources() == []
